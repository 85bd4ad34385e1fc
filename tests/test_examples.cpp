// The example programs facing hostile command lines and files: a clear message, a non-zero exit
// code, never a crash (a signal: status -1), and --version printing the version set in
// CMakeLists.txt.
#include <cstdio>
#include <fstream>
#include <string>

#include <doctest/doctest.h>

#include <gradflow/version.hpp>

#include "run_command.hpp"

namespace {

gradflow::testing::Run run(const std::string& program, const std::string& args) {
  return gradflow::testing::run_command(std::string(GRADFLOW_BINARY_DIR) + "/examples/" + program +
                                        " " + args + " 2>&1 </dev/null");
}

std::string temp_file(const std::string& name, const std::string& text) {
  const std::string path = std::string(GRADFLOW_BINARY_DIR) + "/tests/" + name;
  std::ofstream(path) << text;
  return path;
}

bool has(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("examples: --version prints the project version") {
  for (const char* program : {"neuron_demo", "neuron_dot", "stepper",
                              "tutorial_1_threshold_to_bias", "tutorial_9_moons"}) {
    CAPTURE(program);
    const gradflow::testing::Run r = run(program, "--version");
    CHECK(r.status == 0);
    CHECK(has(r.out, std::string("gradflow ") + gradflow::version_string));
  }
}

TEST_CASE("examples: unknown options and missing values exit 2 with the usage") {
  struct Case {
    const char* program;
    const char* args;
  };
  for (const Case& c : {Case{"neuron_demo", "--bogus"}, Case{"neuron_dot", "--out"},
                        Case{"stepper", "--activation softmax"}, Case{"stepper", "--html"},
                        Case{"tutorial_5_vanishing_gradients", "--frobnicate"},
                        Case{"tutorial_9_moons", "--data"}}) {
    CAPTURE(c.program);
    CAPTURE(c.args);
    const gradflow::testing::Run r = run(c.program, c.args);
    CHECK(r.status == 2);
    CHECK((has(r.out, "usage") || has(r.out, "unknown")));
  }
}

TEST_CASE("examples: malformed CSV and parameter files name the line and exit non-zero") {
  SUBCASE("a field that is not a number") {
    const auto path = temp_file("bad_moons.csv", "x1,x2,label\n0.5,0.25,1\n0.1,abc,-1\n");
    const gradflow::testing::Run r =
        run("tutorial_9_moons",
            "--out " + std::string(GRADFLOW_BINARY_DIR) + "/tests/out --data " + path);
    CHECK(r.status != 0);
    CHECK(r.status != -1);
    CHECK(has(r.out, ":3"));
    CHECK(has(r.out, "abc"));
  }
  SUBCASE("a row with too few fields") {
    const auto path = temp_file("short_moons.csv", "0.5,0.25,1\n0.1\n");
    const gradflow::testing::Run r = run("tutorial_9_moons", "--data " + path);
    CHECK(r.status != 0);
    CHECK(r.status != -1);
    CHECK(has(r.out, ":2"));
  }
  SUBCASE("a missing file") {
    const gradflow::testing::Run r = run("tutorial_9_moons", "--data /nonexistent/moons.csv");
    CHECK(r.status != 0);
    CHECK(r.status != -1);
    CHECK(has(r.out, "/nonexistent/moons.csv"));
  }
  SUBCASE("an init file with too few parameters") {
    const auto path = temp_file("short_init.txt", "0.1\n0.2\n");
    const gradflow::testing::Run r = run("tutorial_9_moons", "--init " + path);
    CHECK(r.status != 0);
    CHECK(r.status != -1);
    CHECK(has(r.out, "337"));
  }
}
