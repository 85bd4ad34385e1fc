// Experiment 7: the voting reading of activations: sigmoid supports (more or less), tanh votes
// for or against, ReLU supports or abstains.
#include <exception>

#include <fmt/format.h>

#include <tutorial/cli.hpp>
#include <tutorial/experiments.hpp>

namespace gt = gradflow::tutorial;
namespace plot = gradflow::plot;
using gradflow::nn::Activation;

int main(int argc, char** argv) try {
  const auto args = gt::parse_args(argc, argv, "Experiment 7: the voting reading of activations.");
  const auto rows = gt::voting_table();
  fmt::print(
      "Experiment 7. The voting reading of activations\n\n"
      "Read a neuron's output as its vote on what the next layer should do:\n\n"
      "   sum z   sigmoid                    tanh                 relu\n");
  for (const auto& r : rows)
    fmt::print("  {:6.1f}   {:.4f} {:<16}  {:+.4f} {:<9}  {:.1f} {}\n", r.z, r.sigmoid,
               gt::vote(Activation::sigmoid, r.sigmoid), r.tanh, gt::vote(Activation::tanh, r.tanh),
               r.relu, gt::vote(Activation::relu, r.relu));
  fmt::print(
      "\nsigmoid is positive for every sum: it always supports, weakly for small sums.\n"
      "tanh has the sign of the sum: it votes for when positive, against when negative.\n"
      "relu passes positive sums unchanged and outputs exactly 0 for negative ones: it\n"
      "supports or abstains, never opposes.\n\n");
  std::vector<double> z, s, t, r;
  for (const auto& row : rows) {
    z.push_back(row.z);
    s.push_back(row.sigmoid);
    t.push_back(row.tanh);
    r.push_back(row.relu);
  }
  write_chart(
      args, "tutorial_7_votes.svg",
      plot::line_chart({{"sigmoid", z, s}, {"tanh", z, t}, {"relu", z, r}},
                       {"Votes for a sweep of sums", "sum z", "vote (output)", false, 720, 420}));
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "{}\n", e.what());
  return 1;
}
