// Experiment 6: the bias moves the activation. Two sigmoid neurons must switch at x = -3 and
// x = 2 to draw a bump; they start switching at 0 (bias 0), and training moves one switching
// point -b/w to the left and the other to the right.
#include <exception>
#include <vector>

#include <fmt/format.h>

#include <gradflow/views/training_view.hpp>
#include <tutorial/cli.hpp>
#include <tutorial/experiments.hpp>

namespace gt = gradflow::tutorial;
namespace plot = gradflow::plot;
using gradflow::nn::Activation;

namespace {

struct Text {
  const char* intro;  // steps
  const char* header;
  const char* outro;  // loss, accuracy
  const char* switch_title;
  const char* step_axis;
  const char* switch_axis;
  const char* unit;  // neuron number
  const char* edge;  // bump edge x
  const char* fit_title;
  const char* x_axis;
  const char* output_axis;
  const char* target;
  const char* before;
  const char* after;
  const char* hidden;  // neuron number
};

const Text en{
    "Experiment 6. The bias moves the activation\n\n"
    "Data: x = -6, -5.75, ..., 6 with target 1 on the bump -3 < x < 2, else 0. Network:\n"
    "MLP(1, [2, 1]), two sigmoid hidden neurons and a linear output, BCE from logits, full\n"
    "batch, SGD lr 0.5, momentum 0.9, {} steps.\n\n",
    "  hidden neuron   weight start -> end     bias start -> end     switches (0.5) at x = "
    "-b/w\n",
    "\n  final loss {:.5f}, accuracy {:.0f}%\n\n"
    "With bias 0 every sigmoid neuron switches at x = 0, whatever its weight: without the\n"
    "bias no neuron could switch at -3 or at 2. The weights grow too, which only makes the\n"
    "switch sharper; where it happens is -b/w, and training carries it from 0 to the bump's\n"
    "edges: one to the left, one to the right.\n\n",
    "Where each hidden neuron switches (-b/w) during training",
    "training step",
    "switching point x = -b/w",
    "hidden neuron {}",
    "bump edge x = {:g}",
    "The network's output before and after training",
    "x",
    "output sigmoid(score)",
    "target",
    "before training",
    "after training",
    "hidden neuron {} (trained)",
};

const Text zh{
    "实验 6：偏置移动激活函数\n\n"
    "数据：x = -6, -5.75, ..., 6，在凸起 -3 < x < 2 上目标为 1，其余为 0。网络：\n"
    "MLP(1, [2, 1])，两个 sigmoid 隐藏神经元和一个线性输出，对 logit 的二元交叉熵，\n"
    "全批量，SGD 学习率 0.5，动量 0.9，{} 步。\n\n",
    "  隐藏神经元      权重 初值 -> 终值        偏置 初值 -> 终值      切换点（0.5）x = -b/w\n",
    "\n  最终损失 {:.5f}，准确率 {:.0f}%\n\n"
    "偏置为 0 时，无论权重是多少，sigmoid 神经元都在 x = 0 处切换：没有偏置，就没有神经元\n"
    "能在 -3 或 2 处切换。权重也会变大，但那只让切换更陡；切换发生在 -b/w 处，训练把它\n"
    "从 0 带到凸起的两条边：一个向左，一个向右。\n\n",
    "训练中每个隐藏神经元的切换点 -b/w",
    "训练步数",
    "切换点 x = -b/w",
    "隐藏神经元 {}",
    "凸起的边 x = {:g}",
    "训练前后网络的输出",
    "x",
    "输出 sigmoid(score)",
    "目标",
    "训练前",
    "训练后",
    "隐藏神经元 {}（训练后）",
};

}  // namespace

int main(int argc, char** argv) try {
  const auto args =
      gt::parse_args(argc, argv, "Experiment 6: the bias moves the activation.", false, true);
  const Text& t = gt::pick(args, en, zh);
  const auto r = gt::bias_trajectory(1500, args.html.has_value());
  if (args.html) {
    gradflow::TrainingHtmlOptions ho;
    ho.lang = args.lang == gt::Lang::zh ? gradflow::Language::zh : gradflow::Language::en;
    const bool chinese = ho.lang == gradflow::Language::zh;
    ho.title = chinese ? "偏置移动激活：MLP(1, [2, 1]) 学习一个凸起"
                       : "The bias moves the activation: MLP(1, [2, 1]) learning a bump";
    ho.subtitle =
        chinese
            ? "-3 < x < 2 时目标为 1；基于 logits 的 BCE，SGD 学习率 0.5，动量 0.9；每 15 "
              "步记录一次"
            : "target 1 for -3 < x < 2; BCE from logits, SGD lr 0.5, momentum 0.9; every 15th step";
    gradflow::write_training_html(*args.html, *r.record, ho);
    fmt::print("wrote {}\n", *args.html);
  }
  fmt::print(fmt::runtime(t.intro), r.iteration.size() - 1);
  fmt::print("{}", t.header);
  for (std::size_t i = 0; i < 2; ++i)
    fmt::print(
        "  h{}              {:6.3f} -> {:7.3f}      {:6.3f} -> {:8.3f}     {:6.3f} -> {:6.3f}\n",
        i + 1, r.w_start[i], r.w_end[i], r.b_start[i], r.b_end[i], r.switching.front()[i] + 0.0,
        r.switching.back()[i]);
  fmt::print(fmt::runtime(t.outro), r.final_loss, 100 * r.final_accuracy);

  const char* unit_colour[] = {"#15803d", "#86efac"};  // the sigmoid's green, dark and light
  std::vector<double> s1, s2;
  for (const auto& s : r.switching) {
    s1.push_back(s[0]);
    s2.push_back(s[1]);
  }
  plot::ChartOptions o{t.switch_title, t.step_axis, t.switch_axis};
  o.integer_x = true;
  o.guides = {{-3.0, fmt::format(fmt::runtime(t.edge), -3.0), false, true},
              {2.0, fmt::format(fmt::runtime(t.edge), 2.0), false, true}};
  write_chart(args, "tutorial_6_switching_points.svg",
              plot::line_chart({{fmt::format(fmt::runtime(t.unit), 1), r.iteration, s1,
                                 unit_colour[0], plot::Stroke::solid, false, 2.5},
                                {fmt::format(fmt::runtime(t.unit), 2), r.iteration, s2,
                                 unit_colour[1], plot::Stroke::solid, false, 2.5}},
                               o));

  // Target, output before and after, and the two trained hidden activations.
  const auto data = gt::bump_data();
  plot::Series target{t.target, {}, {}, "#1f77b4", plot::Stroke::solid, true, 0.0};
  for (std::size_t i = 0; i < data.size(); ++i) {
    target.x.push_back(data.row(i)[0]);
    target.y.push_back(data.y[i]);
  }
  std::vector<plot::Series> curves{
      target,
      {t.before, r.x, r.output_start, "#6b7280", plot::Stroke::dotted, false, 2.0},
      {t.after, r.x, r.output_end, "#ea580c", plot::Stroke::solid, false, 2.5}};
  gradflow::Graph g;
  const auto x = g.input("x", 0), w = g.parameter("w", 0), b = g.parameter("b", 0);
  const auto y = gradflow::sigmoid(gradflow::bias(w * x, b));
  for (std::size_t i = 0; i < 2; ++i) {
    w.set(r.w_end[i]);
    b.set(r.b_end[i]);
    plot::Series s{fmt::format(fmt::runtime(t.hidden), i + 1),
                   r.x,
                   {},
                   unit_colour[i],
                   plot::Stroke::dashed,
                   false,
                   1.5};
    for (double v : r.x) s.y.push_back((x.set(v), y.value()));
    curves.push_back(std::move(s));
  }
  plot::ChartOptions f{t.fit_title, t.x_axis, t.output_axis};
  f.guides = {{-3.0, "", true}, {2.0, "", true}};
  write_chart(args, "tutorial_6_fit.svg", plot::line_chart(curves, f));
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "{}\n", e.what());
  return 1;
}
