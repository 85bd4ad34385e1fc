// The out-of-line part of <common/cli.hpp>: compiled once for every program that uses it.
#include <common/cli.hpp>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <utility>

#include <fmt/format.h>

#include <gradflow/version.hpp>

namespace gradflow::cli {

bool& parse_only_mode() {
  static bool on = false;
  return on;
}

App::App(std::string description) : CLI::App(std::move(description)) {
  set_version_flag("--version", fmt::format("gradflow {}", version_string),
                   "Print the version and exit");
  failure_message([](const CLI::App* app, const CLI::Error& e) {
    return fmt::format("{0}: {1}\nRun '{0} --help' for the options.\n", app->get_name(), e.what());
  });
}

App::~App() = default;

void App::parse_or_exit(int argc, char** argv) {
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

}  // namespace gradflow::cli
