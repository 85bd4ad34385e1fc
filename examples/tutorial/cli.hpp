// Command line shared by the tutorial programs: --out DIR (where charts go, default out/), and
// for the moons demo --data, --init, --save-data, --save-init; --help, --version and the exit
// codes are those of every example (<common/cli.hpp>).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include <common/cli.hpp>
#include <gradflow/views/chart.hpp>

namespace gradflow::tutorial {

struct Args {
  std::string out = "out";
  std::optional<std::string> data, init, save_data, save_init, html;
};

inline Args parse_args(int argc, char** argv, std::string_view what, bool moons_options = false,
                       bool html_option = false) {
  Args a;
  cli::App app{std::string(what)};
  app.add_option("--out", a.out, "Write the SVG charts into DIR")
      ->type_name("DIR")
      ->capture_default_str();
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

/// Writes one chart into the output folder and says where.
inline void write_chart(const Args& a, std::string_view file, const std::string& svg) {
  const std::string path = fmt::format("{}/{}", a.out, file);
  plot::write_text_file(path, svg);
  fmt::print("wrote {}\n", path);
}

}  // namespace gradflow::tutorial
