// Experiment 6: the bias moves the activation. Two sigmoid neurons must switch at x = 2 and
// x = 6 to draw a bump; their biases start at 0 and travel far during training.
#include <exception>
#include <vector>

#include <fmt/format.h>

#include <gradflow/views/training_view.hpp>
#include <tutorial/cli.hpp>
#include <tutorial/experiments.hpp>

namespace gt = gradflow::tutorial;
namespace plot = gradflow::plot;

int main(int argc, char** argv) try {
  const auto args =
      gt::parse_args(argc, argv, "Experiment 6: the bias moves the activation.", false, true);
  const auto r = gt::bias_trajectory(1500, args.html.has_value());
  if (args.html) {
    gradflow::TrainingHtmlOptions ho;
    ho.title = "The bias moves the activation: MLP(1, [2, 1]) learning a bump";
    ho.subtitle =
        "target 1 for 2 < x < 6; BCE from logits, SGD lr 0.5, momentum 0.9; every 15th step";
    gradflow::write_training_html(*args.html, *r.record, ho);
    fmt::print("wrote {}\n", *args.html);
  }
  fmt::print(
      "Experiment 6. The bias moves the activation\n\n"
      "Data: x = 0, 0.2, ..., 8 with target 1 on the bump 2 < x < 6, else 0. Network:\n"
      "MLP(1, [2, 1]), two sigmoid hidden neurons and a linear output, BCE from logits, full\n"
      "batch, SGD lr 0.5, momentum 0.9, {} steps.\n\n"
      "  hidden neuron   weight start -> end     bias start -> end     switches (0.5) at x = "
      "-b/w\n",
      r.iteration.size() - 1);
  for (std::size_t i = 0; i < 2; ++i)
    fmt::print(
        "  h{}              {:6.3f} -> {:7.3f}      {:6.3f} -> {:8.3f}     {:6.3f} -> {:6.3f}\n",
        i + 1, r.w_start[i], r.w_end[i], r.b_start[i], r.b_end[i],
        0.0 - r.b_start[i] / r.w_start[i], -r.b_end[i] / r.w_end[i]);
  fmt::print(
      "\n  final loss {:.5f}, accuracy {:.0f}%\n\n"
      "With bias 0 every sigmoid neuron switches at x = 0, whatever its weight: without the\n"
      "bias no neuron could switch at 2 or at 6. Training moved the biases far from 0, and the\n"
      "switching points (-b/w) to the bump's edges.\n\n",
      r.final_loss, 100 * r.final_accuracy);
  std::vector<double> b1, b2, b3;
  for (const auto& b : r.biases) {
    b1.push_back(b[0]);
    b2.push_back(b[1]);
    b3.push_back(b[2]);
  }
  write_chart(args, "tutorial_6_bias_trajectory.svg",
              plot::line_chart({{"bias of hidden neuron 1", r.iteration, b1},
                                {"bias of hidden neuron 2", r.iteration, b2},
                                {"bias of the output neuron", r.iteration, b3}},
                               {"Biases during training", "step", "bias", false, 720, 420}));
  std::vector<plot::Series> curves;
  std::vector<double> xs;
  for (int k = 0; k <= 160; ++k) xs.push_back(-4.0 + 0.1 * k);
  gradflow::Graph g;
  const auto x = g.input("x", 0), w = g.parameter("w", 0), b = g.parameter("b", 0);
  const auto y = gradflow::sigmoid(gradflow::bias(w * x, b));
  for (std::size_t i = 0; i < 2; ++i)
    for (bool end : {false, true}) {
      w.set(end ? r.w_end[i] : r.w_start[i]);
      b.set(end ? r.b_end[i] : r.b_start[i]);
      plot::Series s{fmt::format("h{} {}", i + 1, end ? "trained" : "at start"), xs, {}};
      for (double v : xs) s.y.push_back((x.set(v), y.value()));
      curves.push_back(std::move(s));
    }
  write_chart(args, "tutorial_6_shifted_activations.svg",
              plot::line_chart(curves, {"Hidden activations before and after training", "x",
                                        "sigmoid(w x + b)", false, 720, 420}));
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "{}\n", e.what());
  return 1;
}
