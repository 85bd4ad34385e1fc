// Multi-class classification: a 2-24-3 tanh MLP with one logit per class learns CS231n's 3-class
// spiral (make_spiral) with the softmax cross-entropy (logsumexp with the max detached) through
// the batched Trainer. Prints the loss and accuracy as it trains and the final accuracy.
#include <string>

#include <fmt/format.h>

#include <common/cli.hpp>
#include <gradflow/gradflow.hpp>

namespace gf = gradflow;

int main(int argc, char** argv) {
  int iterations = 400;
  unsigned seed = 5;
  std::size_t per_class = 60;
  gf::cli::App app{"A 3-class spiral learnt by an MLP with softmax cross-entropy"};
  app.add_option("--iterations", iterations, "Full-batch SGD iterations")
      ->check(CLI::Range(1, 100000));
  app.add_option("--seed", seed, "Seed of the initial weights");
  app.add_option("--points", per_class, "Points per class")->check(CLI::Range(2, 10000));
  app.parse_or_exit(argc, argv);

  const gf::train::Dataset data = gf::train::make_spiral(per_class, 3, 0.1, 3);
  gf::Graph g;
  gf::nn::MLPOptions mo;
  mo.hidden = gf::nn::Activation::tanh;
  mo.init.seed = seed;
  const gf::nn::MLP net(g, {2, 24, 3}, mo);
  gf::train::TrainOptions to;
  to.loss = gf::train::Loss::softmax_ce;
  to.iterations = iterations;
  to.lr.start = 0.5;
  to.momentum = 0.9;
  to.print_progress = true;
  to.print_every = iterations >= 10 ? iterations / 10 : 1;
  gf::train::Trainer trainer(g, net, data.size(), to);
  fmt::print(
      "{} points in 3 spiral arms; a 2-24-3 tanh MLP ({} parameters), softmax "
      "cross-entropy\n",
      data.size(), net.parameter_count());
  trainer.fit(data);
  fmt::print("final accuracy {:.1f}% (chance: 33.3%)\n", 100.0 * trainer.accuracy(data));
  return 0;
}
