// The terminal stepper (examples/stepper) driven through its standard input, as a user would.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "run_command.hpp"

namespace {

using gradflow::testing::Run;

const std::string stepper_binary = std::string(GRADFLOW_BINARY_DIR) + "/examples/stepper";

// Runs `printf '<input>' | stepper <args>`; `input` and `args` must not contain single quotes.
Run run_stepper(const std::string& args, const std::string& input) {
  REQUIRE_MESSAGE(std::filesystem::exists(stepper_binary),
                  "build the examples first: " << stepper_binary << " is missing");
  const std::string cmd = "printf '" + input + "' | '" + stepper_binary + "' " + args + " 2>&1";
  return gradflow::testing::run_command(cmd);
}

// The step headers ("step 3/13") in the order they were printed.
std::vector<std::string> headers(const std::string& out) {
  std::vector<std::string> h;
  for (std::size_t at = 0; (at = out.find("\nstep ", at)) != std::string::npos; ++at)
    h.push_back(out.substr(at + 1, out.find(' ', at + 6) - at - 1));
  return h;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("stepper: terminal session with next Enter back jump and quit") {
  const Run r = run_stepper("", "n\\n\\np\\n5\\n99\\nx\\nq\\n");
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(headers(r.out) ==
        std::vector<std::string>{"step 1/13", "step 2/13", "step 3/13", "step 2/13", "step 5/13"});
  CHECK(has(r.out, "(steps are numbered 1 to 13)"));
  CHECK(has(r.out, "(unknown command 'x')"));
  // Step 5 is w3*x3: d/dw3 = x3 = 3, so it passes 3 * sigmoid'(0.2) = 0.74255 to w3.
  CHECK(has(r.out, "step 5/13  w3*x3 = mul(w3, x3) = 0.6   receives dy/d(w3*x3) = 0.247517"));
  CHECK(has(r.out, "  w3                 3       0.74255   0 -> 0.74255"));
  // After quitting: the diagnostics in words.
  CHECK(has(r.out, "Diagnostics:\n- the sigmoid node 'y' multiplies the gradient by 0.2475"));
}

TEST_CASE("stepper: terminal at the first and the last step and at the end of input") {
  const Run r = run_stepper("--activation relu", "p\\n13\\nn\\n");
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(headers(r.out) == std::vector<std::string>{"step 1/13", "step 13/13"});
  CHECK(has(r.out, "(already at the first step)"));
  CHECK(has(r.out, "(that was the last step)"));
  // relu'(0.2) = 1: the parameters receive the inputs (and 1 for b).
  CHECK(has(r.out, "dy/dw1 = 1  dy/dw2 = 2  dy/dw3 = 3  dy/db = 1"));
  CHECK(has(r.out, "Diagnostics:\n- No problem found"));
}

TEST_CASE("stepper: terminal --all for sigmoid and step and step's surrogates") {
  SUBCASE("sigmoid") {
    const Run r = run_stepper("--all", "");
    CHECK(r.status == 0);
    CHECK(headers(r.out).size() == 13);
    CHECK(headers(r.out).back() == "step 13/13");
    // sigmoid'(0.2) = 0.247517; dy/dw_i = 0.247517 x_i.
    CHECK(has(r.out,
              "dy/dw1 = 0.247517  dy/dw2 = 0.495033  dy/dw3 = 0.74255  dy/db = 0.247517\n"
              "\nDiagnostics:"));
  }
  SUBCASE("step") {
    const Run r = run_stepper("--all --activation step", "");
    INFO(r.out);
    CHECK(r.status == 0);
    CHECK(has(r.out, "  z+b                0             0   0 -> 0   blocked"));
    CHECK(has(r.out,
              "- the step node 'y' blocks all gradient (step' = 0 at its input 0.2): w1, "
              "w2, w3, b receive 0."));
    CHECK(has(r.out, "dy/dw1 = 0  dy/dw2 = 0  dy/dw3 = 0  dy/db = 0\n\nDiagnostics:"));
  }
  SUBCASE("step, --lang zh: the findings in Chinese") {
    const Run r = run_stepper("--all --activation step --lang zh", "");
    INFO(r.out);
    CHECK(r.status == 0);
    CHECK(has(r.out,
              "\n诊断：\n- step 节点“y”挡住了全部梯度，因为在输入 0.2 处 step′ = 0；所以 w1、w2、"
              "w3、b 的梯度是 0。\n"));
    CHECK_FALSE(has(r.out, "Diagnostics:"));
    CHECK_FALSE(has(r.out, "blocks all gradient"));
  }
  SUBCASE("step with the sigmoid surrogate: the sigmoid neuron's gradients") {
    const Run r = run_stepper("--all --activation step --surrogate", "");
    CHECK(r.status == 0);
    CHECK(has(r.out, "y = step(w1 x1 + w2 x2 + w3 x3 + b) (backward: sigmoid surrogate)"));
    CHECK(has(r.out, "dy/dw1 = 0.247517  dy/dw2 = 0.495033  dy/dw3 = 0.74255  dy/db = 0.247517"));
    CHECK(has(r.out, "passes a surrogate gradient"));
  }
  SUBCASE("step, straight-through") {
    const Run r = run_stepper("--all --activation step --surrogate=straight-through", "");
    CHECK(has(r.out, "dy/dw1 = 1  dy/dw2 = 2  dy/dw3 = 3  dy/db = 1"));
  }
}

TEST_CASE("stepper: terminal --html writes the browser view and bad arguments say why") {
  const auto path = std::filesystem::temp_directory_path() / "gradflow_test_stepper_view.html";
  std::filesystem::remove(path);
  const Run r = run_stepper("--all --activation tanh --html '" + path.string() + "'", "");
  CHECK(r.status == 0);
  CHECK(has(r.out, "browser view written to " + path.string()));
  CHECK(std::filesystem::file_size(path) > 10000);
  std::filesystem::remove(path);

  const auto chart = std::filesystem::temp_directory_path() / "gradflow_test_stepper_flow.svg";
  const Run f = run_stepper("--all --flow '" + chart.string() + "'", "");
  CHECK(f.status == 0);
  // Depths from y: y 0, z+b 1, z and b 2, the products 3, weights and inputs 4.
  CHECK(has(f.out, "depth  nodes  params     mean |\u2207|      max |\u2207|  zeros\n"));
  CHECK(has(f.out, "\n2          2       1       0.2475       0.2475      0\n"));
  // Depth 4, with s = sigmoid'(0.2) = 0.247517: |grad| of w_i is s x_i, of x_i s |w_i|; the mean
  // is s (1 + 2 + 3 + 0.5 + 0.25 + 0.2) / 6 = 0.28670, the largest 3s = 0.74255.
  CHECK(has(f.out, "\n4          6       3       0.2867       0.7425      0\n"));
  CHECK(std::filesystem::file_size(chart) > 1000);
  std::filesystem::remove(chart);

  const Run bad = run_stepper("--activation softmax", "");
  CHECK(bad.status == 2);
  CHECK(has(bad.out, "stepper: --activation: softmax not in {step,sigmoid,tanh,relu}"));
  CHECK(has(bad.out, "Run 'stepper --help' for the options."));
}
