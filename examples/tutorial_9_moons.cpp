// Experiment 9: micrograd's moons demo, reproduced on gradflow's static graph: MLP(2,[16,16,1])
// with ReLU, max-margin loss plus 1e-4 L2, full-batch SGD with lr 1.0 - 0.9 k / 100, 100
// iterations on the batched executor.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <gradflow/views/training_view.hpp>
#include <tutorial/cli.hpp>
#include <tutorial/experiments.hpp>

namespace gt = gradflow::tutorial;
namespace plot = gradflow::plot;
namespace train = gradflow::train;

int main(int argc, char** argv) try {
  const auto args = gt::parse_args(argc, argv, "Experiment 9: micrograd's moons demo.", true);
  gt::MoonsOptions mo;
  if (args.data) mo.data = train::load_csv(*args.data);
  if (args.init) mo.init = train::load_numbers(*args.init);
  mo.print_progress = true;
  mo.field_resolution = 101;
  mo.record = args.html.has_value();
  mo.before_training = [&](const train::Dataset& data) {
    fmt::print(
        "Experiment 9. micrograd's moons demo\n\n"
        "Data: {}. Network: MLP(2, [16, 16, 1]), ReLU hidden\n"
        "layers, linear output; initial parameters {}.\n"
        "Loss: mean_i relu(1 - y_i score_i) + 1e-4 sum_p p^2. Full-batch SGD, lr = 1.0 - 0.9 "
        "k/100.\n"
        "One static graph holds the network for one sample; a batched executor evaluates it for\n"
        "all the samples at once in every training iteration: forward, backward, update.\n\n",
        args.data ? fmt::format("'{}', {} points", *args.data, data.size())
                  : fmt::format("{} two-moons points (noise 0.1, seed 1)", data.size()),
        args.init ? fmt::format("from '{}'", *args.init)
                  : std::string("uniform on [-1, 1) (seed 1), biases 0"));
  };
  const auto r = gt::moons(mo);
  fmt::print(
      "\nAfter {} steps: loss {:.12f} (before the last update), accuracy of the trained network\n"
      "{:.0f}% on {} points. The training graph has {} nodes.\n\n",
      r.records.size(), r.records.back().loss, 100 * r.final_accuracy, r.data.size(),
      r.graph_nodes);
  if (args.html) {
    gradflow::TrainingHtmlOptions ho;
    ho.title = "micrograd's moons demo: MLP(2, [16, 16, 1]) learning";
    ho.subtitle = fmt::format(
        "{} points, max-margin loss + 1e-4 L2, full-batch SGD, lr 1.0 - 0.9 k/100", r.data.size());
    gradflow::write_training_html(*args.html, *r.record, ho);
    fmt::print("wrote {}\n", *args.html);
  }
  if (args.save_data) {
    std::string csv = "x1,x2,label\n";
    for (std::size_t i = 0; i < r.data.size(); ++i)
      csv += fmt::format("{:.17g},{:.17g},{:g}\n", r.data.row(i)[0], r.data.row(i)[1], r.data.y[i]);
    plot::write_text_file(*args.save_data, csv);
    fmt::print("wrote {}\n", *args.save_data);
  }
  if (args.save_init) {
    std::string text;
    for (double v : r.init) text += fmt::format("{:.17g}\n", v);
    plot::write_text_file(*args.save_init, text);
    fmt::print("wrote {}\n", *args.save_init);
  }
  std::vector<plot::Series> points{{"label -1", {}, {}}, {"label +1", {}, {}}};
  for (std::size_t i = 0; i < r.data.size(); ++i) {
    auto& s = points[r.data.y[i] > 0 ? 1 : 0];
    s.x.push_back(r.data.row(i)[0]);
    s.y.push_back(r.data.row(i)[1]);
  }
  write_chart(args, "tutorial_9_moons_boundary.svg",
              plot::scatter_chart(points,
                                  {"Moons: decision boundary (score = 0) after training", "x1",
                                   "x2", false, 720, 480},
                                  &r.field));
  std::vector<double> k, loss, acc;
  for (const auto& s : r.records) {
    k.push_back(s.iteration);
    loss.push_back(s.loss);
    acc.push_back(s.accuracy);
  }
  write_chart(args, "tutorial_9_moons_training.svg",
              plot::line_chart({{"loss", k, loss}, {"accuracy (fraction)", k, acc}},
                               {"Moons: loss and accuracy per step", "step", "", false, 720, 420}));
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "{}\n", e.what());
  return 1;
}
