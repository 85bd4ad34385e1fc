// The command line of every example program and of the benchmark, on CLI11. A program makes a
// gradflow::cli::App with its description, adds its options (with CLI11's validators), and calls
// parse_or_exit(argc, argv). Every program then behaves the same:
//   --help     prints the usage and the options to stdout and exits 0;
//   --version  prints "gradflow X.Y.Z" (the version set in CMakeLists.txt) and exits 0;
//   a mistake  (an unknown option, a missing value, a value a validator rejects) prints
//              "PROGRAM: what is wrong", naming the option and the value, to stderr and exits 2.
// The command-line fuzzer (fuzz/fuzz_cli.cpp) runs every program's main() in parse-only mode:
// parse_or_exit() then throws ParseOnlyStop instead of exiting or returning, so the program's
// work never starts.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <gradflow/version.hpp>

namespace gradflow::cli {

/// The exit code of a command-line mistake, as for most Unix tools.
inline constexpr int usage_error = 2;

/// Thrown by App::parse_or_exit() in parse-only mode, where it would otherwise exit or return.
/// Deliberately not a std::exception: the programs' handlers do not catch it.
struct ParseOnlyStop {
  int status;           ///< what the program would exit with: 0 parsed, --help or --version; 2
  std::string output;   ///< what it would have printed (usage, version or the mistake)
  bool parsed = false;  ///< true when parsing succeeded and the program would go on to its work
};

/// Parse-only mode, for the fuzzer: off unless a harness turns it on.
inline bool& parse_only_mode() {
  static bool on = false;
  return on;
}

/// A CLI11 command line with --version and gradflow's messages and exit codes.
class App : public CLI::App {
 public:
  explicit App(std::string description) : CLI::App(std::move(description)) {
    set_version_flag("--version", fmt::format("gradflow {}", version_string),
                     "Print the version and exit");
    failure_message([](const CLI::App* app, const CLI::Error& e) {
      return fmt::format("{0}: {1}\nRun '{0} --help' for the options.\n", app->get_name(),
                         e.what());
    });
  }

  /// Parses the command line; exits on --help, --version (status 0) or a mistake (status 2).
  /// The program's name in messages is argv[0] without its folder.
  void parse_or_exit(int argc, char** argv) {
    if (get_name().empty())
      name(argc > 0 ? std::filesystem::path(argv[0]).filename().string() : "gradflow");
    try {
      parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      if (parse_only_mode()) {
        std::ostringstream out;
        const int status = exit(e, out, out) == 0 ? 0 : usage_error;
        throw ParseOnlyStop{status, std::move(out).str()};
      }
      std::exit(exit(e) == 0 ? 0 : usage_error);
    }
    if (parse_only_mode()) throw ParseOnlyStop{0, {}, true};
  }
};

}  // namespace gradflow::cli
