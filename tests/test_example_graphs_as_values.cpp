// The graphs_as_values example (graphs returned by value, kept in a vector, cloned; nodes
// printed and used as keys) prints the numbers of the tutorial's neuron. Checked against closed
// forms worked out here: y = sigmoid(0.2), loss = (1 - y)^2 / 2, dloss/dw_i = (y - 1) y (1 - y)
// x_i.
#include <cmath>
#include <regex>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "run_command.hpp"

namespace {

std::string run(const std::string& args) {
  const auto r = gradflow::testing::run_command(std::string(GRADFLOW_BINARY_DIR) +
                                                "/examples/graphs_as_values " + args + " 2>&1");
  REQUIRE(r.status == 0);
  return r.out;
}

// Every number after `label = ` in the output, in order.
std::vector<double> numbers_after(const std::string& out, const std::string& label) {
  std::vector<double> found;
  const std::regex re(label + R"( = (-?[0-9.e+-]+))");
  for (auto it = std::sregex_iterator(out.begin(), out.end(), re); it != std::sregex_iterator();
       ++it)
    found.push_back(std::stod((*it)[1].str()));
  return found;
}

double sigmoid(double s) { return 1.0 / (1.0 + std::exp(-s)); }

}  // namespace

TEST_CASE("graphs_as_values: three forms of the neuron give the closed-form y and gradients") {
  const std::string out = run("");
  const double y = sigmoid(0.2);  // z = 0.5*1 - 0.25*2 + 0.2*3 = 0.6, minus h = 0.4
  const double dy = (y - 1.0) * y * (1.0 - y);

  const auto ys = numbers_after(out, "y");
  REQUIRE(ys.size() == 5);  // three forms, then the clone and the original
  for (int i : {0, 1, 2, 4}) CHECK(ys[i] == doctest::Approx(y).epsilon(1e-11));
  CHECK(ys[3] == doctest::Approx(sigmoid(8.6)).epsilon(1e-11));  // the clone's b = 8

  const auto losses = numbers_after(out, "loss");
  REQUIRE(losses.size() == 3);
  for (double l : losses) CHECK(l == doctest::Approx((1 - y) * (1 - y) / 2).epsilon(1e-11));

  const double x[] = {1.0, 2.0, 3.0};
  for (int i = 0; i < 3; ++i) {
    const auto g = numbers_after(out, "dloss/dw" + std::to_string(i + 1));
    REQUIRE(g.size() == 3);
    for (double v : g) CHECK(v == doctest::Approx(dy * x[i]).epsilon(1e-10));
  }
  const auto gb = numbers_after(out, "dloss/db");
  REQUIRE(gb.size() == 4);  // two bias forms, the clone, the original
  CHECK(gb[0] == doctest::Approx(dy).epsilon(1e-10));
  CHECK(gb[1] == doctest::Approx(dy).epsilon(1e-10));
  const double y8 = sigmoid(8.6);
  CHECK(gb[2] == doctest::Approx((y8 - 1.0) * y8 * (1.0 - y8)).epsilon(1e-5));
  CHECK(gb[3] == doctest::Approx(dy).epsilon(1e-5));

  CHECK(out.find("11 parameters in all") != std::string::npos);  // 3 + 4 + 4
  CHECK(out.find("agree with the first form's: 9 of 9") != std::string::npos);
  CHECK(out.find("(blocked): 0 of 11") != std::string::npos);
  CHECK(out.find("constant input 1: '#11' (#11, input) = 1") != std::string::npos);
}

TEST_CASE("graphs_as_values: with the step, every parameter of every form is blocked") {
  const std::string out = run("--activation step");
  CHECK(out.find("(blocked): 11 of 11") != std::string::npos);
  for (double v : numbers_after(out, "dloss/dw1")) CHECK(v == 0.0);
}
