// The example programs facing hostile command lines and files: a clear message, a non-zero exit
// code, never a crash (a signal: status -1), --version printing the version set in
// CMakeLists.txt, and --help the usage. Every program's command line is <common/cli.hpp>.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
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
  for (const char* program :
       {"neuron_demo", "neuron_dot", "stepper", "tutorial_1_threshold_to_bias", "tutorial_9_moons",
        "newton", "hessian", "spiral"}) {
    CAPTURE(program);
    const gradflow::testing::Run r = run(program, "--version");
    CHECK(r.status == 0);
    CHECK(has(r.out, std::string("gradflow ") + gradflow::version_string));
  }
}

TEST_CASE("examples: --help prints the usage and exits 0") {
  for (const char* program : {"neuron_demo", "neuron_dot", "stepper",
                              "tutorial_1_threshold_to_bias", "tutorial_9_moons"}) {
    CAPTURE(program);
    const gradflow::testing::Run r = run(program, "--help");
    CHECK(r.status == 0);
    CHECK(has(r.out, std::string("Usage: ") + program + " [OPTIONS]"));
    CHECK(has(r.out, "--version"));
  }
  CHECK(has(run("tutorial_9_moons", "--help").out, "--save-init FILE"));
}

TEST_CASE("examples: unknown options, missing and bad values exit 2 naming what is wrong") {
  struct Case {
    const char* program;
    const char* args;
    const char* says;  // the message names the option and, when there is one, the value
  };
  for (const Case& c : {
           Case{"neuron_demo", "--bogus",
                "neuron_demo: The following argument was not expected: --bogus"},
           Case{"neuron_demo", "extra", "not expected: extra"},
           Case{"neuron_dot", "--out", "neuron_dot: --out: 1 required"},
           Case{"stepper", "--activation softmax",
                "stepper: --activation: softmax not in {step,sigmoid,tanh,relu}"},
           Case{"stepper", "--surrogate=exact", "--surrogate: exact not in"},
           Case{"stepper", "--html", "stepper: --html: 1 required"},
           Case{"tutorial_5_vanishing_gradients", "--frobnicate",
                "tutorial_5_vanishing_gradients: The following argument was not expected: "
                "--frobnicate"},
           Case{"tutorial_1_threshold_to_bias", "--data", "not expected: --data"},
           Case{"tutorial_9_moons", "--data", "tutorial_9_moons: --data: 1 required"},
           Case{"tutorial_9_moons", "--init /nonexistent/init.txt",
                "--init: File does not exist: /nonexistent/init.txt"},
       }) {
    const std::string command = std::string(c.program) + " " + c.args;
    CAPTURE(command);
    const gradflow::testing::Run r = run(c.program, c.args);
    INFO(r.out);
    CHECK(r.status == 2);
    CHECK(has(r.out, c.says));
    CHECK(has(r.out, std::string("Run '") + c.program + " --help' for the options."));
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
    CHECK(r.status == 2);
    CHECK(has(r.out, "--data: File does not exist: /nonexistent/moons.csv"));
  }
  SUBCASE("an init file with too few parameters") {
    const auto path = temp_file("short_init.txt", "0.1\n0.2\n");
    const gradflow::testing::Run r = run("tutorial_9_moons", "--init " + path);
    CHECK(r.status != 0);
    CHECK(r.status != -1);
    CHECK(has(r.out, "337"));
  }
}

TEST_CASE("examples: stepper --layers builds an MLP and walks its backward pass") {
  // MLP 2-4-1: 2 inputs, 4 * 3 + 5 = 17 parameters, per hidden unit 2 muls, a sum, a bias node
  // and a relu (20), the output unit 4 muls, a sum, a bias node and the identity (7): 46 nodes,
  // all on a path to y, so 46 steps, the first at the output's identity node.
  const auto r = run("stepper", "--layers 2,4,1 --activation relu --all");
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(has(r.out, "y = MLP 2-4-1 (relu hidden layers, linear output, seed 1), 46 nodes"));
  CHECK(has(r.out, "backward from y: 46 steps"));
  CHECK(has(r.out, "step 1/46  y = identity(L2.n1.z+b)"));
  CHECK(has(r.out, "step 46/46"));
  // 17 parameters: only those of the current node's neuron, as the browser view shows them.
  CHECK(has(r.out, "step 1/46  y = identity(L2.n1.z+b)"));
  CHECK(has(r.out, "parameters of L2.n1 so far (5 of 17):  dy/dL2.n1.w1 = "));
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);)
    if (has(line, "parameters")) CHECK_FALSE((has(line, "dy/dL1.") && has(line, "dy/dL2.")));
  const auto bad = run("stepper", "--layers 2,4,3 --all");
  CHECK(bad.status == 1);
  CHECK(has(bad.out, "the last layer must have one output (the root y), not 3"));
}

TEST_CASE("examples: newton finds ln 2 with f' and f'' recorded as nodes") {
  const gradflow::testing::Run r = run("newton", "--simple");
  REQUIRE(r.status == 0);
  const auto at = r.out.find("minimum at x = ");
  REQUIRE(at != std::string::npos);
  const double x = std::stod(r.out.substr(at + 15));
  CHECK(std::abs(x - std::log(2.0)) <= 2e-16);
  // Newton converges quadratically: f'(x) drops from 1.6e-9 to 0 in one step
  CHECK(has(r.out, "1.782646e-09"));
  CHECK(run("newton", "--x0 nope").status == 2);
}

TEST_CASE("examples: hessian prints a symmetric Hessian whose eigenvalues add up to its trace") {
  for (const char* args : {"", "--train 2000"}) {
    CAPTURE(args);
    const gradflow::testing::Run r = run("hessian", args);
    REQUIRE(r.status == 0);
    const auto trace = r.out.find("trace ");
    REQUIRE(trace != std::string::npos);
    const double t = std::stod(r.out.substr(trace + 6));
    const auto sum = r.out.find("= sum of eigenvalues ", trace);
    REQUIRE(sum != std::string::npos);
    CHECK(std::abs(std::stod(r.out.substr(sum + 21)) - t) <= 1e-12 * std::abs(t));
    const auto asym = r.out.find("max |H - H^T| = ");
    REQUIRE(asym != std::string::npos);
    CHECK(std::stod(r.out.substr(asym + 16)) < 1e-12);
  }
  // at the initial weights a saddle; after training a minimum
  CHECK(has(run("hessian", "").out, "negative eigenvalue"));
  CHECK(has(run("hessian", "--train 2000").out, "every eigenvalue >= 0"));
}

TEST_CASE("examples: spiral learns three classes with softmax cross-entropy") {
  const gradflow::testing::Run r = run("spiral", "");
  REQUIRE(r.status == 0);
  const auto at = r.out.find("final accuracy ");
  REQUIRE(at != std::string::npos);
  CHECK(std::stod(r.out.substr(at + 15)) > 80.0);
  CHECK(has(r.out, "step 0 loss "));
  CHECK(run("spiral", "--points 1").status == 2);
}

TEST_CASE("examples: every tutorial program writes its charts in English and with --lang zh") {
  namespace fs = std::filesystem;
  const char* programs[] = {"tutorial_1_threshold_to_bias",
                            "tutorial_2_activation_threshold",
                            "tutorial_3_step_failures",
                            "tutorial_4_activations",
                            "tutorial_5_vanishing_gradients",
                            "tutorial_6_bias_moves",
                            "tutorial_7_voting",
                            "tutorial_8_xor",
                            "tutorial_9_moons"};
  const fs::path root = fs::path(GRADFLOW_BINARY_DIR) / "tests" / "tutorial_charts";
  for (const char* program : programs)
    for (const char* lang : {"en", "zh"}) {
      CAPTURE(program);
      CAPTURE(lang);
      const fs::path dir = root / lang / program;
      fs::remove_all(dir);
      const gradflow::testing::Run r =
          run(program, "--out " + dir.string() + " --lang " + std::string(lang));
      INFO(r.out);
      REQUIRE(r.status == 0);
      const bool zh = std::string(lang) == "zh";
      // The text is in the chosen language: Chinese has the word for "experiment", English
      // does not (and says "Experiment").
      CHECK(has(r.out, "实验") == zh);
      CHECK(has(r.out, "Experiment") == !zh);
      if (std::string(program) == "tutorial_3_step_failures") {
        // explain()'s finding about the step neuron (x = (1, 2, 3): z + b = 0.2), in the language.
        CHECK(has(r.out, zh ? "- step 节点“y”挡住了全部梯度，因为在输入 0.2 处 step′ = 0；所以 "
                              "w1、w2、w3、b 的梯度是 0。\n"
                            : "- the step node 'y' blocks all gradient (step' = 0 at its input "
                              "0.2): w1, w2, w3, b receive 0.\n"));
        CHECK(has(r.out, "blocks all gradient") == !zh);
      }
      if (std::string(program) == "tutorial_5_vanishing_gradients") {
        // explain() on the depth-30 sigmoid chain: 30 sigmoids, 3 edges each, depth 90 at x.
        CHECK(has(r.out, zh ? "- 平均 |梯度| 从深度 0 处的 1 降到深度 90 处的 "
                            : "- Mean |gradient| falls from 1 at depth 0 to "));
        CHECK(has(r.out, zh ? "- 30 个 sigmoid/tanh 节点各自把梯度乘以 "
                            : "- 30 sigmoid/tanh nodes multiply the gradient by between "));
        CHECK(has(r.out, "The gradient vanishes") == !zh);
      }
      int charts = 0;
      for (const auto& e : fs::directory_iterator(dir)) {
        if (e.path().extension() != ".svg") continue;
        ++charts;
        std::ifstream in(e.path());
        std::stringstream svg;
        svg << in.rdbuf();
        CAPTURE(e.path().string());
        CHECK(svg.str().rfind("<svg", 0) == 0);
        CHECK(svg.str().find("</svg>") != std::string::npos);
        CHECK(has(r.out, (zh ? "已写入 " : "wrote ") + e.path().string()));
      }
      CHECK(charts >= 1);
    }
  CHECK(run("tutorial_4_activations", "--lang fr").status == 2);
}
