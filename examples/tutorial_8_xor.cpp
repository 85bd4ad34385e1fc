// Experiment 8: why non-linearity. A stack of linear layers is one affine map and cannot learn
// XOR; one tanh (or ReLU) hidden layer can.
#include <exception>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <gradflow/views/training_view.hpp>
#include <tutorial/cli.hpp>
#include <tutorial/experiments.hpp>

namespace gt = gradflow::tutorial;
namespace plot = gradflow::plot;
using gradflow::nn::Activation;

int main(int argc, char** argv) try {
  const auto args =
      gt::parse_args(argc, argv, "Experiment 8: why non-linearity (XOR).", false, true);
  const auto lin = gt::xor_run(Activation::identity);
  const auto th = gt::xor_run(Activation::tanh, 7, 400, 61, args.html.has_value());
  const auto re = gt::xor_run(Activation::relu, 7, 400, 61);
  fmt::print(
      "Experiment 8. Why non-linearity: XOR\n\n"
      "XOR: (0,0) -> 0, (0,1) -> 1, (1,0) -> 1, (1,1) -> 0. Network MLP(2, [4, 1]) with a\n"
      "linear output, MSE, full batch, SGD lr 0.1, momentum 0.9, 400 steps, seed 7.\n\n"
      "  hidden     final loss   lowest loss   accuracy   outputs on the four inputs\n");
  for (const auto* r : {&lin, &th, &re})
    fmt::print("  {:<9}  {:10.3g}   {:11.3g}   {:7.0f}%   {::.3f}\n", gradflow::nn::name(r->hidden),
               r->final_loss, r->min_loss, 100 * r->final_accuracy, r->outputs);
  fmt::print(
      "\nWith identity activations the network is y = v . (W x + b) + c, one affine map\n"
      "y = c1 x1 + c2 x2 + c0. Collapsing the trained weights by hand, and reading the same map\n"
      "off the graph (dy/dx1, dy/dx2 from backward; c0 = y(0, 0)):\n\n"
      "                     c0            c1            c2\n"
      "  from weights   {:12.9f}  {:12.9f}  {:12.9f}\n"
      "  from backward  {:12.9f}  {:12.9f}  {:12.9f}\n"
      "  largest |network - affine map| over a grid of inputs: {:.3g}\n\n"
      "The best affine fit to XOR is the constant 0.5 (loss 0.25, found by least squares):\n"
      "no affine map separates XOR, and the linear network ends there. The tanh hidden layer\n"
      "learns XOR exactly. With only 4 hidden neurons ReLU depends on its start: it learned\n"
      "XOR from {} of the seeds 1..8 (tanh: {} of 8); from the others some ReLU units never\n"
      "fire on any input, pass no gradient, and stay dead.\n\n",
      lin.collapsed[0], lin.collapsed[1], lin.collapsed[2], lin.from_gradient[0],
      lin.from_gradient[1], lin.from_gradient[2], lin.max_affine_error,
      gt::xor_successes(Activation::relu), gt::xor_successes(Activation::tanh));
  if (args.html) {
    gradflow::TrainingHtmlOptions ho;
    ho.title = "XOR: MLP(2, [4, 1]) with a tanh hidden layer learning";
    ho.subtitle = "4 points, MSE, full batch, SGD lr 0.1, momentum 0.9, seed 7; every 4th step";
    gradflow::write_training_html(*args.html, *th.record, ho);
    fmt::print("wrote {}\n", *args.html);
  }
  std::vector<double> steps;
  for (std::size_t k = 0; k < lin.loss.size(); ++k) steps.push_back(static_cast<double>(k));
  write_chart(args, "tutorial_8_xor_loss.svg",
              plot::line_chart(
                  {{"identity (linear)", steps, lin.loss},
                   {"tanh", steps, th.loss},
                   {"relu", steps, re.loss}},
                  {"XOR: training loss by hidden activation", "step", "MSE loss", true, 720, 420}));
  const auto data = gt::xor_gate();
  std::vector<plot::Series> points{{"target 0", {}, {}}, {"target 1", {}, {}}};
  for (std::size_t i = 0; i < data.size(); ++i) {
    auto& s = points[data.y[i] > 0.5 ? 1 : 0];
    s.x.push_back(data.row(i)[0]);
    s.y.push_back(data.row(i)[1]);
  }
  write_chart(args, "tutorial_8_xor_tanh.svg",
              plot::scatter_chart(
                  points, {"tanh hidden layer: output > 0.5 shaded", "x1", "x2", false, 520, 420},
                  &th.field));
  write_chart(args, "tutorial_8_xor_relu.svg",
              plot::scatter_chart(
                  points, {"relu hidden layer: output > 0.5 shaded", "x1", "x2", false, 520, 420},
                  &re.field));
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "{}\n", e.what());
  return 1;
}
