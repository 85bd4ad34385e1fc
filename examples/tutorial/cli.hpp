// Command line shared by the tutorial programs: --out DIR (where charts go, default out/), and
// for the moons demo --data, --init, --save-data, --save-init. Errors print the usage and exit 2.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include <gradflow/version.hpp>
#include <gradflow/views/chart.hpp>

namespace gradflow::tutorial {

struct Args {
  std::string out = "out";
  std::optional<std::string> data, init, save_data, save_init;
};

inline Args parse_args(int argc, char** argv, std::string_view what, bool moons_options = false) {
  const std::string usage = fmt::format(
      "usage: {} [--out DIR]{}\n  {}\n  --out DIR        write the SVG charts into DIR "
      "(default: out)\n{}",
      argc > 0 ? argv[0] : "tutorial",
      moons_options ? " [--data FILE] [--init FILE] [--save-data FILE] [--save-init FILE]" : "",
      what,
      moons_options
          ? "  --data FILE      CSV rows x1,x2,label with labels -1/+1 (header optional);\n"
            "                   default: 100 generated two-moons points, noise 0.1, seed 1\n"
            "  --init FILE      one initial parameter per line: per layer, per neuron, its\n"
            "                   weights then its bias (337 values for MLP(2,[16,16,1]))\n"
            "  --save-data FILE write the data set used as CSV\n"
            "  --save-init FILE write the initial parameters used, one per line\n"
          : "");
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto value = [&](std::string_view flag) -> std::string {
      if (i + 1 >= argc) {
        fmt::print(stderr, "{}: {} needs a value\n{}", argv[0], flag, usage);
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      fmt::print("{}", usage);
      std::exit(0);
    } else if (arg == "--version") {
      fmt::print("gradflow {}\n", version_string);
      std::exit(0);
    } else if (arg == "--out") {
      a.out = value(arg);
    } else if (moons_options && arg == "--data") {
      a.data = value(arg);
    } else if (moons_options && arg == "--init") {
      a.init = value(arg);
    } else if (moons_options && arg == "--save-data") {
      a.save_data = value(arg);
    } else if (moons_options && arg == "--save-init") {
      a.save_init = value(arg);
    } else {
      fmt::print(stderr, "{}: unknown argument '{}'\n{}", argv[0], arg, usage);
      std::exit(2);
    }
  }
  return a;
}

/// Writes one chart into the output folder and says where.
inline void write_chart(const Args& a, std::string_view file, const std::string& svg) {
  const std::string path = fmt::format("{}/{}", a.out, file);
  plot::write_text_file(path, svg);
  fmt::print("wrote {}\n", path);
}

}  // namespace gradflow::tutorial
