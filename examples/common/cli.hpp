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

#include <string>

#include <CLI/CLI.hpp>

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
bool& parse_only_mode();

/// A CLI11 command line with --version and gradflow's messages and exit codes. Its constructor,
/// destructor and parse_or_exit() are compiled once, in cli.cpp: CLI11 is header-only, and the
/// parser and help formatter they pull in cost each program several seconds to compile again
/// (minutes under the sanitizers). A program's own add_option() calls stay templates here.
class App : public CLI::App {
 public:
  explicit App(std::string description);
  ~App() override;
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  /// Parses the command line; exits on --help, --version (status 0) or a mistake (status 2).
  /// The program's name in messages is argv[0] without its folder.
  void parse_or_exit(int argc, char** argv);
};

}  // namespace gradflow::cli
