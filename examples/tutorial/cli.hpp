// Command line shared by the tutorial programs: --out DIR (where charts go, default out/),
// --lang en|zh (the language of the text and the charts, default English), and for the moons demo
// --data, --init, --save-data, --save-init; --help, --version and the exit codes are those of every
// example (<common/cli.hpp>).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include <common/cli.hpp>
#include <gradflow/nn/nn.hpp>
#include <gradflow/views/chart.hpp>
#include <gradflow/views/language.hpp>
#include <gradflow/views/look.hpp>

namespace gradflow::tutorial {

/// The language a tutorial program writes in: the library's own (views/language.hpp), so that
/// --lang reaches the DOT dumps, the charts and the pages the program writes.
using Lang = gradflow::Language;

struct Args {
  std::string out = "out";
  Lang lang = Lang::en;
  std::optional<std::string> data, init, save_data, save_init, html;
};

inline Args parse_args(int argc, char** argv, std::string_view what, bool moons_options = false,
                       bool html_option = false) {
  Args a;
  cli::App app{std::string(what)};
  app.add_option("--out", a.out, "Write the SVG charts into DIR")
      ->type_name("DIR")
      ->capture_default_str();
  app.add_option("--lang", a.lang, "Language of the text and the charts: en (English) or zh (中文)")
      ->transform(
          CLI::CheckedTransformer(std::map<std::string, Lang>{{"en", Lang::en}, {"zh", Lang::zh}}))
      ->type_name("en|zh");
  if (moons_options) {
    app.add_option("--data", a.data,
                   "CSV rows x1,x2,label with labels -1/+1 (header optional);\n"
                   "default: 100 generated two-moons points, noise 0.1, seed 1")
        ->option_text("FILE")
        ->check(CLI::ExistingFile);
    app.add_option("--init", a.init,
                   "One initial parameter per line: per layer, per neuron, its\n"
                   "weights then its bias (337 values for MLP(2,[16,16,1]))")
        ->option_text("FILE")
        ->check(CLI::ExistingFile);
    app.add_option("--save-data", a.save_data, "Write the data set used as CSV")->type_name("FILE");
    app.add_option("--save-init", a.save_init, "Write the initial parameters used, one per line")
        ->type_name("FILE");
  }
  if (moons_options || html_option)
    app.add_option("--html", a.html,
                   "Write the training page (network, timeline, decision map) as one\n"
                   "self-contained HTML file")
        ->type_name("FILE");
  app.parse_or_exit(argc, argv);
  return a;
}

/// The text of a program in the chosen language: `en` or `zh`, two instances of one struct of
/// messages kept together at the top of each program.
template <class Text>
const Text& pick(const Args& a, const Text& en, const Text& zh) {
  return a.lang == Lang::zh ? zh : en;
}

/// The chart colour of an activation: the one the Graphviz dumps use (views/look.hpp).
inline std::string colour(nn::Activation f) { return look::activation_look(nn::op_of(f))->color; }

/// Writes one chart into the output folder and says where.
inline void write_chart(const Args& a, std::string_view file, const std::string& svg) {
  const std::string path = fmt::format("{}/{}", a.out, file);
  plot::write_text_file(path, svg);
  fmt::print("{} {}\n", a.lang == Lang::zh ? "已写入" : "wrote", path);
}

}  // namespace gradflow::tutorial
