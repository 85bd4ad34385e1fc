// Experiment 3: the step function's two failures. It throws away how strong the sum was, and
// gradient descent cannot train it: every gradient through it is exactly 0. The same neuron with
// a sigmoid learns; with a straight-through surrogate gradient the step neuron learns too.
#include <exception>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <gradflow/views/training_view.hpp>
#include <tutorial/cli.hpp>
#include <tutorial/experiments.hpp>

namespace gt = gradflow::tutorial;
namespace plot = gradflow::plot;

int main(int argc, char** argv) try {
  const auto args = gt::parse_args(
      argc, argv,
      "Experiment 3: the step function's two failures.\n--html FILE writes the sigmoid "
      "neuron's training page, and FILE with _step\nbefore .html the step neuron's.",
      false, true);
  const auto r = gt::step_failures(args.html.has_value());
  if (args.html) {
    std::string step_file = *args.html;
    const auto dot = step_file.rfind(".html");
    step_file.insert(dot == std::string::npos ? step_file.size() : dot, "_step");
    gradflow::TrainingHtmlOptions ho;
    ho.subtitle = "one neuron on the AND gate, MSE, full batch, SGD lr 0.5, 60 steps";
    ho.title = "A sigmoid neuron learns AND";
    gradflow::write_training_html(*args.html, *r.sigmoid.record, ho);
    ho.title = "A step neuron cannot learn AND: every gradient is exactly 0";
    gradflow::write_training_html(step_file, *r.step.record, ho);
    fmt::print("wrote {} and {}\n", *args.html, step_file);
  }
  fmt::print(
      "Experiment 3. The step function's two failures\n\n"
      "1) Strength is lost. Two very different weighted sums:\n"
      "     z = {:<6g}  step = {:g}   sigmoid = {:.6f}\n"
      "     z = {:<6g}  step = {:g}   sigmoid = {:.6f}\n"
      "   The step says 1 both times; the sigmoid still tells a weak sum from a strong one.\n\n"
      "2) No gradient. One neuron y = f(w1x1 + w2x2 + b) trained on the AND gate (MSE, full\n"
      "   batch, SGD lr 0.5, 60 steps) from w = (0.4, -0.6), b = 0.1:\n\n",
      r.z_small, r.step_small, r.sigmoid_small, r.z_large, r.step_large, r.sigmoid_large);
  const auto row = [](const char* what, const gt::TrainedNeuron& t) {
    fmt::print(
        "   {:<26} loss {:.4f} -> {:.4f}  accuracy {:3.0f}%  non-zero gradients {:3}\n"
        "   {:<26} parameters {::.6g} -> {::.6g}\n",
        what, t.loss.front(), t.loss.back(), 100 * t.final_accuracy, t.nonzero_gradients, "",
        t.params_before, t.params_after);
  };
  row("step", r.step);
  row("sigmoid", r.sigmoid);
  row("step, straight-through", r.straight_through);
  fmt::print(
      "\n   The step neuron's parameters end bit for bit where they started: each of the {} "
      "gradients\n"
      "   computed in training was exactly 0. The sigmoid's loss falls. Telling backward to treat\n"
      "   the step as the identity (Conventions::step_gradient = straight_through) gives the step\n"
      "   neuron a gradient, and it learns AND too.\n\n",
      3 * r.step.loss.size());
  std::vector<double> steps;
  for (std::size_t k = 0; k < r.step.loss.size(); ++k) steps.push_back(static_cast<double>(k));
  write_chart(args, "tutorial_3_training.svg",
              plot::line_chart({{"step (exact gradient 0)", steps, r.step.loss},
                                {"sigmoid", steps, r.sigmoid.loss},
                                {"step, straight-through", steps, r.straight_through.loss}},
                               {"Training one neuron on AND: loss per step", "step", "MSE loss",
                                false, 720, 420}));
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "{}\n", e.what());
  return 1;
}
