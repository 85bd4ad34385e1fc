// libFuzzer target: the command line of every example program. The first byte picks a program,
// the rest is its arguments, one per line. Each program's own main() runs in parse-only mode
// (<common/cli.hpp>), so its options, validators and messages are what is fuzzed, and its work
// never starts. Any argument list must end in one of three ways, or the target aborts:
//   parsed:       the program would go on to its work (status 0, nothing printed);
//   help/version: status 0 and something printed;
//   a mistake:    status 2 and "PROGRAM: what is wrong ... Run 'PROGRAM --help' ...".
// A crash, a sanitizer finding, any other exception or a main() that returns without parsing
// its command line is a finding.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include <common/cli.hpp>
#include <programs.hpp>

namespace {

constexpr std::size_t kMaxArguments = 32;

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

[[noreturn]] void finding(std::string_view program, std::string_view what) {
  fmt::print(stderr, "fuzz_cli: {}: {}\n", program, what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  gradflow::cli::parse_only_mode() = true;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  constexpr std::size_t count = std::size(fuzzed_programs);
  const FuzzedProgram& program = fuzzed_programs[data[0] % count];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

  std::vector<std::string> arguments{program.name};
  for (std::size_t begin = 0; begin <= text.size() && arguments.size() <= kMaxArguments;) {
    const std::size_t end = std::min(text.find('\n', begin), text.size());
    if (end > begin || end < text.size()) arguments.emplace_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  std::vector<char*> argv;
  for (std::string& a : arguments) argv.push_back(a.data());
  argv.push_back(nullptr);

  try {
    program.main(static_cast<int>(arguments.size()), argv.data());
  } catch (const gradflow::cli::ParseOnlyStop& stop) {
    if (stop.parsed) {
      if (stop.status != 0 || !stop.output.empty()) finding(program.name, "parsed, yet output");
      return 0;
    }
    if (stop.status == 0) {
      if (stop.output.empty()) finding(program.name, "help or version printed nothing");
      return 0;
    }
    if (stop.status != gradflow::cli::usage_error)
      finding(program.name, fmt::format("exit status {}", stop.status));
    if (!starts_with(stop.output, fmt::format("{}: ", program.name)) ||
        stop.output.find(fmt::format("Run '{} --help'", program.name)) == std::string::npos)
      finding(program.name, fmt::format("a mistake's message is malformed: {:?}", stop.output));
    return 0;
  }
  finding(program.name, "main() returned without parsing its command line");
}
