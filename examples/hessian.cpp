// The Hessian of a small network's loss at a point, and its eigenvalues. A 2-2-1 tanh MLP on the
// four XOR points with the mean squared error; gradients() records the loss's gradient in the 9
// parameters as nodes, and gradients() of each of those the Hessian's rows. Eigen's symmetric
// eigensolver gives the eigenvalues: all positive at a strict local minimum, some negative at a
// saddle (where plain gradient descent slows down).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <Eigen/Eigenvalues>

#include <common/cli.hpp>
#include <gradflow/gradflow.hpp>

namespace gf = gradflow;

int main(int argc, char** argv) {
  unsigned seed = 1;
  int train = 0;
  gf::cli::App app{
      "The Hessian of a 2-2-1 MLP's XOR loss, recorded by gradients(), and its "
      "eigenvalues"};
  app.add_option("--seed", seed, "Seed of the initial weights");
  app.add_option("--train", train, "Gradient descent steps (learning rate 0.5) before the Hessian")
      ->check(CLI::Range(0, 100000));
  app.parse_or_exit(argc, argv);

  gf::Graph g;
  gf::nn::MLPOptions options;
  options.hidden = gf::nn::Activation::tanh;
  options.output = gf::nn::Activation::tanh;
  options.init.seed = seed;
  const gf::nn::MLP net(g, {2, 2, 1}, options);
  const double xs[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
  const double ts[4] = {-1, 1, 1, -1};
  std::vector<gf::Node> terms;
  for (std::size_t i = 0; i < 4; ++i) {
    const std::vector<gf::Node> in{g.constant(xs[i][0]), g.constant(xs[i][1])};
    const gf::Node out = net(in)[0];
    terms.push_back(gf::pow(out - ts[i], 2.0));
  }
  const gf::Node loss = (gf::sum(terms) / 4.0).named("loss");
  const std::vector<gf::Node> params = net.parameters();
  const std::size_t n = params.size();

  const std::vector<gf::Node> grad = gf::gradients(loss, params);
  // The gradient's nodes re-evaluate after set(): gradient descent on the recorded gradient.
  std::vector<double> step(n);
  for (int t = 0; t < train; ++t) {
    for (std::size_t i = 0; i < n; ++i) step[i] = grad[i].value();
    for (std::size_t i = 0; i < n; ++i) params[i].set(params[i].value() - 0.5 * step[i]);
  }
  Eigen::MatrixXd h(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(n));
  for (std::size_t i = 0; i < n; ++i) {
    const std::vector<gf::Node> row = gf::gradients(grad[i], params);
    for (std::size_t j = 0; j < n; ++j)
      h(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = row[j].value();
  }
  double asymmetry = 0.0;
  for (Eigen::Index i = 0; i < h.rows(); ++i)
    for (Eigen::Index j = 0; j < h.cols(); ++j)
      asymmetry = std::max(asymmetry, std::abs(h(i, j) - h(j, i)));

  fmt::print(
      "2-2-1 tanh MLP on XOR, seed {}, after {} training steps: loss {:.10g}, {} parameters, "
      "graph of {} nodes\n",
      seed, train, loss.value(), n, g.size());
  fmt::print("gradient:");
  for (const auto& d : grad) fmt::print(" {:.4g}", d.value());
  fmt::print("\nHessian (max |H - H^T| = {:.3g}):\n", asymmetry);
  for (Eigen::Index i = 0; i < h.rows(); ++i) {
    fmt::print("  {:>9}", params[static_cast<std::size_t>(i)].label());
    for (Eigen::Index j = 0; j < h.cols(); ++j) fmt::print(" {:>9.4f}", h(i, j));
    fmt::print("\n");
  }
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(h, Eigen::EigenvaluesOnly);
  fmt::print("eigenvalues:");
  int negative = 0;
  for (Eigen::Index i = 0; i < eig.eigenvalues().size(); ++i) {
    fmt::print(" {:.6g}", eig.eigenvalues()(i));
    negative += eig.eigenvalues()(i) < 0.0;
  }
  fmt::print("\ntrace {:.10g} = sum of eigenvalues {:.10g}\n", h.trace(), eig.eigenvalues().sum());
  fmt::print("{}\n", negative > 0 ? fmt::format("{} negative eigenvalue(s): a saddle or a maximum "
                                                "direction; gradient descent can escape along it",
                                                negative)
                                  : std::string("every eigenvalue >= 0: locally convex here"));
  return 0;
}
