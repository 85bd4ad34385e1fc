// The test program's main. ctest runs one test case per entry (doctest_discover_tests); an entry
// that selects no test case would pass silently, as happens when a name contains ';', which
// CMake splits. So a run that was given a filter and ran nothing fails.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <string_view>

namespace {

int test_cases_started = 0;

struct CountingListener : doctest::IReporter {
  explicit CountingListener(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats&) override {}
  void test_case_start(const doctest::TestCaseData&) override { ++test_cases_started; }
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};
REGISTER_LISTENER("counting", 1, CountingListener);

}  // namespace

int main(int argc, char** argv) {
  doctest::Context context(argc, argv);
  const int result = context.run();
  bool filtered = false, query = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    filtered |= arg.starts_with("--test-case=") || arg.starts_with("-tc=");
    query |= arg.starts_with("--list") || arg.starts_with("-l") || arg == "--help" || arg == "-h" ||
             arg.starts_with("--count") || arg.starts_with("-c");
  }
  if (result == 0 && filtered && !query && test_cases_started == 0) {
    std::fprintf(stderr,
                 "no test case matched the filter: a test name with ';' is split by "
                 "CMake; rename it\n");
    return 1;
  }
  return result;
}
