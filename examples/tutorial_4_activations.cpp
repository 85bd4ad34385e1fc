// Experiment 4: sigmoid, tanh, ReLU and step with their derivatives, the derivatives taken by
// backward through one activation node at each x, and their second derivatives, from
// gradients() (the first derivative recorded as nodes and differentiated again).
#include <exception>
#include <string>

#include <fmt/format.h>

#include <tutorial/cli.hpp>
#include <tutorial/experiments.hpp>

namespace gt = gradflow::tutorial;
namespace plot = gradflow::plot;
using gradflow::nn::Activation;

int main(int argc, char** argv) try {
  const auto args =
      gt::parse_args(argc, argv, "Experiment 4: activation functions and their derivatives.");
  const auto r = gt::activation_curves();
  const auto at = [&](Activation f, double x, bool derivative) {
    const auto& c = r.curve(f);
    const auto i = static_cast<std::size_t>(std::lround((x + 6.0) * 100.0));
    return derivative ? c.dy[i] : c.y[i];
  };
  fmt::print(
      "Experiment 4. Activation functions and their derivatives\n\n"
      "Each curve is one activation node evaluated at x = -6, -5.99, ..., 6; each derivative\n"
      "is what backward passed to x.\n\n"
      "  x        sigmoid  sigmoid'   tanh     tanh'    relu  relu'  step  step'\n");
  for (double x : {-4.0, -1.0, 0.0, 1.0, 4.0})
    fmt::print("  {:5.1f}   {:7.4f}  {:7.4f}   {:7.4f}  {:7.4f}  {:4g}  {:5g}  {:4g}  {:5g}\n", x,
               at(Activation::sigmoid, x, false), at(Activation::sigmoid, x, true),
               at(Activation::tanh, x, false), at(Activation::tanh, x, true),
               at(Activation::relu, x, false), at(Activation::relu, x, true),
               at(Activation::step, x, false), at(Activation::step, x, true));
  fmt::print(
      "\n  largest sigmoid' = {:g} at x = {:g}: every sigmoid shrinks a gradient by 4x or more\n"
      "  largest tanh'    = {:g} at x = {:g}\n"
      "  relu' is 1 for x > 0 and 0 for x < 0 (and 0 at the kink, the convention)\n"
      "  step' is 0 everywhere: no gradient passes\n"
      "  second derivatives (gradients() of f' recorded as nodes): sigmoid''(-1) = {:.4f},\n"
      "  tanh''(-1) = {:.4f}; relu'' and step'' are 0\n\n",
      r.sigmoid_max_grad, r.sigmoid_argmax, r.tanh_max_grad, r.tanh_argmax,
      r.curve(Activation::sigmoid).d2y[500], r.curve(Activation::tanh).d2y[500]);
  const std::pair<Activation, const char*> figures[] = {{Activation::sigmoid, "sigmoid"},
                                                        {Activation::tanh, "tanh"},
                                                        {Activation::relu, "relu"},
                                                        {Activation::step, "step"}};
  for (const auto& [f, name] : figures) {
    const auto& c = r.curve(f);
    write_chart(args, fmt::format("tutorial_4_{}.svg", name),
                plot::line_chart({{std::string(name) + "(x)", r.x, c.y},
                                  {std::string(name) + "'(x)", r.x, c.dy},
                                  {std::string(name) + "''(x)", r.x, c.d2y}},
                                 {fmt::format("{}, its derivative and its second derivative", name),
                                  "x", "", false, 720, 420}));
  }
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "{}\n", e.what());
  return 1;
}
