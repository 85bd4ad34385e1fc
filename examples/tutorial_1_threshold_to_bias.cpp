// Experiment 1: the McCulloch-Pitts threshold h becomes a bias b = -h, and the bias is a weight
// on a constant input 1 that receives the same gradient that weight would.
#include <exception>

#include <fmt/format.h>

#include <tutorial/cli.hpp>
#include <tutorial/experiments.hpp>

namespace gt = gradflow::tutorial;

int main(int argc, char** argv) try {
  const auto args = gt::parse_args(argc, argv, "Experiment 1: threshold to bias.");
  const auto r = gt::threshold_to_bias();
  fmt::print(
      "Experiment 1. Threshold to bias\n\n"
      "The M-P neuron fires when z = w1x1 + w2x2 + w3x3 reaches its threshold h: step(z - h).\n"
      "With w = ({}, {}, {}) and h = {}, compare it with step(z + b), b = -h = {},\n"
      "on every input of the grid {{-2, -1.5, ..., 2}}^3:\n\n"
      "  inputs on the grid            {}\n"
      "  step(z - h) == step(z + b)     {}   ({} of them fire)\n"
      "  sigmoid(z - h) == sigmoid(z + b) exactly: {}\n\n"
      "The bias is a weight on an input that is always 1. The same sigmoid neuron built both\n"
      "ways (a `bias` node after the sum, or one more mul node b * 1 inside the sum):\n\n"
      "  largest difference of outputs over the grid            {:g}\n"
      "  largest difference of any parameter's gradient          {:g}\n"
      "  at x = (1, 2, 3): dy/db = {:.12g} = dy/d(z+b) = {:.12g} (local derivative 1)\n\n"
      "Both forms compute the same additions in the same order, so they agree bit for bit.\n"
      "This experiment has no chart.\n",
      gt::kWeights[0], gt::kWeights[1], gt::kWeights[2], gt::kThreshold, -gt::kThreshold, r.points,
      r.agree, r.fired, r.sigmoid_agree, r.max_value_diff, r.max_grad_diff, r.grad_b,
      r.grad_pre_activation);
  (void)args;
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "{}\n", e.what());
  return 1;
}
