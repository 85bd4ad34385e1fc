// Experiment 2: how hard a neuron is to activate. For a fixed input, sweep the bias and see
// where the step flips and the sigmoid crosses 0.5; a lower bias needs a larger weighted sum.
#include <cmath>
#include <exception>
#include <vector>

#include <fmt/format.h>

#include <tutorial/cli.hpp>
#include <tutorial/experiments.hpp>

namespace gt = gradflow::tutorial;
namespace plot = gradflow::plot;

namespace {
// Prints bisection results within 1e-12 of 0 as 0 (not "-0.000000").
double clean(double v) { return std::abs(v) < 1e-12 ? 0.0 : v; }
}  // namespace

int main(int argc, char** argv) try {
  const auto args = gt::parse_args(argc, argv, "Experiment 2: how hard a neuron is to activate.");
  const auto r = gt::activation_threshold();
  fmt::print(
      "Experiment 2. How hard a neuron is to activate\n\n"
      "Fixed input x = (1, 2, 3), weights w = ({}, {}, {}): weighted sum z = {:.6g}.\n"
      "Sweeping the bias b from -2 to 2 in steps of 0.01:\n"
      "  step(z + b) first fires at       b = {:.6g}\n"
      "  sigmoid(z + b) crosses 0.5 at    b = {:.6g}   (both at b = -z)\n\n"
      "Turned around: the weighted sum the neuron needs before it fires, for each bias\n"
      "(bisection on the graph's output):\n\n"
      "  bias b   sum needed (step)   sum needed (sigmoid > 0.5)\n",
      gt::kWeights[0], gt::kWeights[1], gt::kWeights[2], r.z, r.step_flip_bias,
      r.sigmoid_half_bias);
  for (std::size_t i = 0; i < r.biases.size(); ++i)
    fmt::print("  {:6.2f}   {:17.6f}   {:26.6f}\n", r.biases[i], clean(r.needed_sum_step[i]),
               clean(r.needed_sum_sigmoid[i]));
  fmt::print(
      "\nThe needed sum is -b: a lower bias makes the neuron harder to activate, a higher one\n"
      "easier. The bias sets the neuron's threshold.\n\n");
  write_chart(args, "tutorial_2_bias_sweep.svg",
              plot::line_chart(
                  {{"step(z + b)", r.bias, r.step_out}, {"sigmoid(z + b)", r.bias, r.sigmoid_out}},
                  {fmt::format("Output against bias for a fixed input (z = {:.2g})", r.z), "bias b",
                   "output", false, 720, 420}));
  std::vector<plot::Series> shifted;
  std::vector<double> zs;
  for (int k = 0; k <= 160; ++k) zs.push_back(-4.0 + 0.05 * k);
  gradflow::Graph g;
  const auto z = g.input("z", 0), b = g.parameter("b", 0);
  const auto y = gradflow::sigmoid(gradflow::bias(z, b));
  for (double bv : {-2.0, 0.0, 2.0}) {
    b.set(bv);
    plot::Series s{fmt::format("sigmoid(z + {:g})", bv), zs, {}};
    for (double zv : zs) s.y.push_back((z.set(zv), y.value()));
    shifted.push_back(std::move(s));
  }
  write_chart(args, "tutorial_2_needed_sum.svg",
              plot::line_chart(shifted, {"A lower bias shifts the curve right: a larger sum is "
                                         "needed",
                                         "weighted sum z", "output", false, 720, 420}));
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "{}\n", e.what());
  return 1;
}
