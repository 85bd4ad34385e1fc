// Experiment 5: vanishing gradients. How much gradient reaches the start of a chain of
// activations, and the first layer of a deep MLP, for sigmoid, tanh and ReLU.
#include <cmath>
#include <exception>
#include <vector>

#include <fmt/format.h>

#include <tutorial/cli.hpp>
#include <tutorial/experiments.hpp>

namespace gt = gradflow::tutorial;
namespace plot = gradflow::plot;

int main(int argc, char** argv) try {
  const auto args = gt::parse_args(argc, argv, "Experiment 5: vanishing gradients.");
  const auto r = gt::vanishing_gradients(30);
  fmt::print(
      "Experiment 5. Vanishing gradients\n\n"
      "Chains: a_d = f(a_(d-1)), a_0 = x = 1; the gradient d a_d / d x reaching x.\n"
      "MLPs: 2 inputs, d hidden layers of {} neurons, one linear output, He-uniform weights\n"
      "(seed 1); the mean |dy/dw| over the first layer's weights, averaged over 4 inputs.\n\n"
      "          ---------------- chain ----------------   ------------- MLP --------------\n"
      "  depth   sigmoid     0.25^depth  tanh      relu    sigmoid     tanh       relu\n",
      r.width);
  for (std::size_t i = 0; i < r.depth.size(); ++i) {
    const int d = static_cast<int>(r.depth[i]);
    if (d > 5 && d % 5 != 0) continue;
    fmt::print("  {:5}   {:9.3e}   {:9.3e}   {:7.5f}   {:4g}    {:9.3e}   {:9.3e}  {:9.3e}\n", d,
               r.chain_sigmoid[i], std::pow(0.25, d), r.chain_tanh[i], r.chain_relu[i],
               r.mlp_sigmoid[i], r.mlp_tanh[i], r.mlp_relu[i]);
  }
  fmt::print(
      "\nEach sigmoid on the path multiplies the gradient by sigmoid' <= 0.25, so a chain of d\n"
      "sigmoids passes at most 0.25^d. ReLU passes exactly 1 along an active path; tanh' is\n"
      "close to 1 near 0 and the chain's gradient shrinks only slowly. In the MLPs the\n"
      "sigmoid network's first layer gets ~1e-17 at depth 30; tanh and ReLU keep gradients\n"
      "of a useful size.\n\n");
  std::vector<double> bound;
  for (double d : r.depth) bound.push_back(std::pow(0.25, d));
  write_chart(args, "tutorial_5_chains.svg",
              plot::line_chart({{"sigmoid chain", r.depth, r.chain_sigmoid},
                                {"0.25^depth (bound for sigmoid)", r.depth, bound},
                                {"tanh chain", r.depth, r.chain_tanh},
                                {"relu chain", r.depth, r.chain_relu}},
                               {"Gradient reaching the input of a chain of activations", "depth",
                                "d a_depth / d x", true, 720, 420}));
  write_chart(args, "tutorial_5_mlps.svg",
              plot::line_chart({{"sigmoid MLP", r.depth, r.mlp_sigmoid},
                                {"tanh MLP", r.depth, r.mlp_tanh},
                                {"relu MLP", r.depth, r.mlp_relu}},
                               {"Gradient reaching the first layer of an MLP", "hidden layers",
                                "mean |dy/dw|, first layer", true, 720, 420}));
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "{}\n", e.what());
  return 1;
}
