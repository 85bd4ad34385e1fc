// <common/cli.hpp>'s parse-only mode, which the command-line fuzzer (fuzz/fuzz_cli.cpp) relies
// on: instead of exiting or returning, parse_or_exit() throws ParseOnlyStop carrying the status
// and the text the program would have printed.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <common/cli.hpp>

namespace {

// Runs a small program's parse in parse-only mode and returns how it stopped.
gradflow::cli::ParseOnlyStop parse_only(std::vector<std::string> args, int* seen = nullptr) {
  gradflow::cli::parse_only_mode() = true;
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  gradflow::cli::App app{"A program with one option."};
  int n = 0;
  app.add_option("--n", n, "A count")->check(CLI::Range(1, 9));
  try {
    app.parse_or_exit(static_cast<int>(argv.size()), argv.data());
  } catch (const gradflow::cli::ParseOnlyStop& stop) {
    gradflow::cli::parse_only_mode() = false;
    if (seen != nullptr) *seen = n;
    return stop;
  }
  gradflow::cli::parse_only_mode() = false;
  FAIL("parse_or_exit() returned in parse-only mode");
  return {};
}

}  // namespace

TEST_CASE("cli: parse-only mode stops after a good parse, with the values parsed") {
  int n = 0;
  const auto stop = parse_only({"prog", "--n", "7"}, &n);
  CHECK(stop.parsed);
  CHECK(stop.status == 0);
  CHECK(stop.output.empty());
  CHECK(n == 7);
}

TEST_CASE("cli: parse-only mode reports a mistake as status 2 and the program's message") {
  const auto stop = parse_only({"prog", "--n", "12"});
  CHECK_FALSE(stop.parsed);
  CHECK(stop.status == gradflow::cli::usage_error);
  CHECK(stop.output.rfind("prog: ", 0) == 0);
  CHECK(stop.output.find("12") != std::string::npos);
  CHECK(stop.output.find("Run 'prog --help'") != std::string::npos);

  const auto unknown = parse_only({"prog", "--m"});
  CHECK(unknown.status == gradflow::cli::usage_error);
  CHECK(unknown.output.find("--m") != std::string::npos);
}

TEST_CASE("cli: parse-only mode returns --help and --version as status 0 with their text") {
  const auto help = parse_only({"prog", "--help"});
  CHECK_FALSE(help.parsed);
  CHECK(help.status == 0);
  CHECK(help.output.find("A program with one option.") != std::string::npos);
  CHECK(help.output.find("--n") != std::string::npos);

  const auto version = parse_only({"prog", "--version"});
  CHECK(version.status == 0);
  CHECK(version.output.find("gradflow ") != std::string::npos);
}
