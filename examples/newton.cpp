// Newton's method on a 1-D function with derivatives recorded as nodes: f'(x) and f''(x) are
// recorded once by gradients() and re-evaluated at each iterate, x <- x - f'(x)/f''(x). The
// function is f(x) = e^x - 2x + tanh(x)^2 / 4 (its minimum: f'(x) = e^x - 2 + tanh(x) sech(x)^2/2
// = 0), or with --simple f(x) = e^x - 2x, whose minimum is at ln 2 = 0.6931471805599453.
// With --dot FILE the graph, forward and backward nodes, is written as DOT.
#include <cmath>
#include <string>

#include <fmt/format.h>

#include <common/cli.hpp>
#include <gradflow/gradflow.hpp>

namespace gf = gradflow;

int main(int argc, char** argv) {
  double x0 = 2.0;
  int steps = 8;
  bool simple = false;
  std::string dot;
  gf::cli::App app{"Newton's method with f' and f'' recorded as nodes by gradients()"};
  app.add_option("--x0", x0, "Starting point")->check(CLI::Range(-20.0, 20.0));
  app.add_option("--steps", steps, "Newton steps")->check(CLI::Range(1, 100));
  app.add_flag("--simple", simple, "Minimise e^x - 2x (minimum at ln 2)");
  app.add_option("--dot", dot, "Write the graph with its derivative nodes as DOT to FILE");
  app.parse_or_exit(argc, argv);

  gf::Graph g;
  const auto x = g.input("x", x0);
  gf::Node f = gf::exp(x) - 2.0 * x;
  if (!simple) f = f + gf::pow(gf::tanh(x), 2.0) / 4.0;
  f.named("f");
  const auto d1 = gf::gradient(f, x).named("f'");
  const auto d2 = gf::gradient(d1, x).named("f''");
  fmt::print("f(x) = {}: {} nodes, of which {} record f' and f''\n",
             simple ? "e^x - 2x" : "e^x - 2x + tanh(x)^2/4", g.size(),
             g.size() - static_cast<std::size_t>(f.id()) - 1);
  fmt::print("{:>4}  {:>22}  {:>22}  {:>22}  {:>12}\n", "step", "x", "f(x)", "f'(x)", "f''(x)");
  for (int k = 0; k <= steps; ++k) {
    fmt::print("{:>4}  {:>22.17g}  {:>22.17g}  {:>22.6e}  {:>12.6g}\n", k, x.value(), f.value(),
               d1.value(), d2.value());
    if (k == steps || d1.value() == 0.0) break;
    if (!(d2.value() > 0.0)) {
      fmt::print("f''(x) = {} is not positive: Newton's step would not go downhill; stopping\n",
                 d2.value());
      return 1;
    }
    x.set(x.value() - d1.value() / d2.value());
  }
  fmt::print("minimum at x = {:.17g}{}\n", x.value(),
             simple ? fmt::format(" (ln 2 = {:.17g})", std::log(2.0)) : std::string());
  if (!dot.empty()) {
    gf::DotOptions options;
    options.title = "f, f' and f'' (orange: recorded by gradients())";
    gf::write_dot_file(dot, g, options);
    fmt::print("wrote {}\n", dot);
  }
  return 0;
}
