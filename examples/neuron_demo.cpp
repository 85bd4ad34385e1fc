// The flagship demo: the tutorial's neuron, three inputs, three weights and a bias, built from
// primitive nodes and run with step, sigmoid, tanh and relu in turn. For each it prints the
// forward values and the backward pass edge by edge, so one sees why the step function cannot
// learn (every local derivative through it is 0) and why sigmoid learns slowly (at most 0.25).
#include <array>
#include <filesystem>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include <common/cli.hpp>
#include <gradflow/gradflow.hpp>
#include <tutorial/neuron.hpp>

namespace gf = gradflow;

namespace {

constexpr auto kInputs = gf::tutorial::neuron_inputs;
constexpr auto kWeights = gf::tutorial::neuron_weights;
constexpr double kThreshold = -gf::tutorial::neuron_bias;  // M-P: fires when z >= h

// Threshold form f(z - h) against bias form f(z + b), b = -h, on a grid of inputs.
void threshold_to_bias() {
  gf::Graph g;
  const auto x1 = g.input("x1", 0), x2 = g.input("x2", 0), x3 = g.input("x3", 0);
  const auto z = kWeights[0] * x1 + kWeights[1] * x2 + kWeights[2] * x3;
  const auto with_threshold = gf::step(z - kThreshold);
  const auto with_bias = gf::step(gf::bias(z, g.parameter("b", -kThreshold)));
  int points = 0, agree = 0, fired = 0;
  for (double a = -2; a <= 2; a += 0.5)
    for (double b = -2; b <= 2; b += 0.5)
      for (double c = -2; c <= 2; c += 0.5) {
        x1.set(a);
        x2.set(b);
        x3.set(c);
        ++points;
        agree += with_threshold.value() == with_bias.value();
        fired += with_bias.value() == 1.0;
      }
  fmt::print(
      "1. Threshold to bias. The McCulloch-Pitts neuron fires when z = w1x1+w2x2+w3x3 reaches\n"
      "   the threshold h = {}. Writing step(z - h) as step(z + b) with b = -h = {} moves the\n"
      "   threshold into the sum: b is a weight on a constant input 1.\n"
      "   On a grid of {} inputs both forms agree on {} ({} fire).\n\n",
      kThreshold, -kThreshold, points, agree, fired);
}

// With --dot DIR: the neuron's graph after backward as DIR/neuron_<f>.dot, and .svg when `dot`
// is installed.
void run(std::string_view f, const std::string& dot_dir) {
  gf::Graph g;
  const auto y = gf::tutorial::neuron(g, gf::tutorial::activation_op(f), -kThreshold);
  g.backward(y);
  if (!dot_dir.empty()) {
    std::filesystem::create_directories(dot_dir);
    const std::string base = fmt::format("{}/neuron_{}", dot_dir, f);
    gf::DotOptions options;
    options.title = fmt::format("y = {}(w1x1 + w2x2 + w3x3 + b)", f);
    gf::write_dot_file(base + ".dot", g, options);
    const bool svg = gf::render(base + ".dot", base + ".svg");
    fmt::print("wrote {}.dot{}\n", base, svg ? fmt::format(" and {}.svg", base) : "");
  }
  const auto zb = g.find("z+b");
  fmt::print("--- {} ---\n", f);
  fmt::print("forward: z = {:.6g}, z + b = {:.6g}, y = {}({:.6g}) = {:.6g}\n", g.find("z").value(),
             zb.value(), f, zb.value(), y.value());
  fmt::print("backward from y: dy/d(z+b) = {}'(z+b) = {:.6g}\n\n", f, y.local_derivative(0));
  fmt::print("{}\n", gf::backward_table(g));
  fmt::print("parameter gradients:");
  for (const auto& p : g.parameters()) fmt::print("  dy/d{} = {:.6g}", p.label(), p.grad());
  fmt::print("\n\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::string dot_dir;
  gf::cli::App app{
      "The tutorial's neuron, y = f(w1x1 + w2x2 + w3x3 + b), with step, sigmoid, tanh and relu:\n"
      "the forward values and the backward pass edge by edge."};
  app.add_option("--dot", dot_dir,
                 "Also write each neuron's graph into DIR as DOT (and SVG when\n"
                 "Graphviz's dot is installed)")
      ->type_name("DIR");
  app.parse_or_exit(argc, argv);
  fmt::print(
      "gradflow: one neuron, y = f(w1x1 + w2x2 + w3x3 + b), x = ({}, {}, {}), "
      "w = ({}, {}, {}), b = {}\n\n",
      kInputs[0], kInputs[1], kInputs[2], kWeights[0], kWeights[1], kWeights[2], -kThreshold);
  threshold_to_bias();
  fmt::print(
      "2. The same neuron with four activations. Each table lists the backward pass edge\n"
      "   by edge: the gradient arriving at a node, the local derivative of the node with\n"
      "   respect to one operand, and their product, the contribution passed back.\n\n");
  for (const auto f : {"step", "sigmoid", "tanh", "relu"}) run(f, dot_dir);
  fmt::print(
      "What the tables show:\n"
      "  step:    local derivative 0 (blocked): no weight or bias receives any gradient, so\n"
      "           gradient descent cannot change them; step also outputs 1 whatever the size of\n"
      "           the sum, throwing away how strong it was.\n"
      "  sigmoid: derivative y(1-y) <= 0.25: every gradient is shrunk by at least 4x here.\n"
      "  tanh:    derivative 1-y^2, 1 at 0: close to 1 for small sums, vanishing for large ones.\n"
      "  relu:    derivative 1 for a positive sum: the gradient passes unchanged.\n");
  return 0;
}
