// Experiment 1: the McCulloch-Pitts threshold h becomes a bias b = -h, and the bias is a weight
// on a constant input 1 that receives the same gradient that weight would.
#include <exception>
#include <vector>

#include <fmt/format.h>

#include <gradflow/views/dot.hpp>
#include <gradflow/views/render.hpp>
#include <tutorial/cli.hpp>
#include <tutorial/experiments.hpp>
#include <tutorial/figures.hpp>

namespace gt = gradflow::tutorial;
namespace plot = gradflow::plot;

namespace {

struct Text {
  const char* report;  // fmt arguments: w1, w2, w3, h, -h, points, agree, fired, sigmoid agree,
                       // value diff, gradient diff, y, dy/db, dy/d(z+b), dy/db (constant input)
  const char* figure_title;
  const char* captions[3];
  const char* chart_title;
  const char* chart_x;
  const char* chart_y;
};

const Text en{
    "Experiment 1. Threshold to bias\n\n"
    "The M-P neuron fires when z = w1x1 + w2x2 + w3x3 reaches its threshold h: step(z - h).\n"
    "With w = ({}, {}, {}) and h = {}, compare it with step(z + b), b = -h = {},\n"
    "on every input of the grid {{-2, -1.5, ..., 2}}^3:\n\n"
    "  inputs on the grid            {}\n"
    "  step(z - h) == step(z + b)     {}   ({} of them fire)\n"
    "  sigmoid(z - h) == sigmoid(z + b) exactly: {}\n\n"
    "The bias is a weight on an input that is always 1. The same sigmoid neuron, with these\n"
    "weights, built both ways (a `bias` node after the sum, or one more mul node b * 1 inside\n"
    "the sum):\n\n"
    "  largest difference of outputs over the grid            {:g}\n"
    "  largest difference of any parameter's gradient          {:g}\n"
    "  at x = (1, 2, 3): y = sigmoid(0.2) = {:.6f}\n"
    "    dy/db = {:.6f} = dy/d(z+b) = {:.6f} (the bias node's local derivative is 1)\n"
    "    dy/db as the weight of the constant input 1: {:.6f}\n\n"
    "Both forms compute the same additions in the same order, so they agree bit for bit.\n\n",
    "Three ways to write the same neuron: the same output, the same gradients",
    {"threshold: sigmoid(z - h)", "bias: sigmoid(z + b)", "weight on input 1: sigmoid(z + b·1)"},
    "step(z - h) and step(z + b), b = -h: the same function",
    "weighted sum z",
    "output",
};

const Text zh{
    "实验 1：从阈值到偏置\n\n"
    "M-P 神经元在 z = w1x1 + w2x2 + w3x3 达到阈值 h 时激活：step(z - h)。\n"
    "取 w = ({}, {}, {})、h = {}，把它与 step(z + b)（b = -h = {}）比较，\n"
    "输入取遍网格 {{-2, -1.5, ..., 2}}^3：\n\n"
    "  网格上的输入个数                {}\n"
    "  step(z - h) == step(z + b)     {} 个（其中 {} 个激活）\n"
    "  sigmoid(z - h) 与 sigmoid(z + b) 完全相等：{} 个\n\n"
    "偏置就是一个恒为 1 的输入上的权重。用同样的权重把同一个 sigmoid 神经元按两种方式搭建\n"
    "（求和之后接一个 `bias` 节点，或在求和里多放一个乘法节点 b * 1）：\n\n"
    "  网格上输出的最大差异                      {:g}\n"
    "  任一参数梯度的最大差异                    {:g}\n"
    "  在 x = (1, 2, 3) 处：y = sigmoid(0.2) = {:.6f}\n"
    "    dy/db = {:.6f} = dy/d(z+b) = {:.6f}（bias 节点的局部导数为 1）\n"
    "    把 b 当作常数输入 1 的权重时，dy/db = {:.6f}\n\n"
    "两种写法按同样的顺序做同样的加法，所以结果逐位相同。\n\n",
    "同一个神经元的三种写法：输出相同，梯度也相同",
    {"阈值：sigmoid(z - h)", "偏置：sigmoid(z + b)", "常数输入 1 的权重：sigmoid(z + b·1)"},
    "step(z - h) 与 step(z + b)（b = -h）是同一个函数",
    "加权和 z",
    "输出",
};

}  // namespace

int main(int argc, char** argv) try {
  const auto args = gt::parse_args(argc, argv, "Experiment 1: threshold to bias.");
  const Text& t = gt::pick(args, en, zh);
  const auto r = gt::threshold_to_bias();
  fmt::print(fmt::runtime(t.report), gt::kWeights[0], gt::kWeights[1], gt::kWeights[2],
             gt::kThreshold, -gt::kThreshold, r.points, r.agree, r.fired, r.sigmoid_agree,
             r.max_value_diff, r.max_grad_diff, r.y, r.grad_b, r.grad_pre_activation,
             r.grad_b_constant_input);

  // The two step neurons against z: one line, drawn twice (the second dashed over the first).
  std::vector<double> zs, with_h, with_b;
  gradflow::Graph g;
  const auto z = g.input("z", 0);
  const auto yh = gradflow::step(z - gt::kThreshold);
  const auto yb = gradflow::step(gradflow::bias(z, g.parameter("b", -gt::kThreshold)));
  for (int k = 0; k <= 400; ++k) {
    z.set(-2.0 + 0.01 * k);
    zs.push_back(z.value());
    with_h.push_back(yh.value());
    with_b.push_back(yb.value());
  }
  const auto step_colour = gt::colour(gradflow::nn::Activation::step);
  plot::ChartOptions o{t.chart_title, t.chart_x, t.chart_y};
  o.guides = {{gt::kThreshold, "z = h = 0.4", true}};
  write_chart(
      args, "tutorial_1_threshold.svg",
      plot::line_chart({{"step(z - h)", zs, with_h, step_colour, plot::Stroke::solid, false, 5.0},
                        {"step(z + b)", zs, with_b, "#f59e0b", plot::Stroke::dashed}},
                       o));

  if (gradflow::dot_available()) {
    gt::ThreeForms forms;
    gt::three_forms(forms);
    gradflow::DotOptions d;
    d.rankdir = gradflow::RankDir::TB;
    d.legend = false;
    d.digits = 4;
    d.lang = args.lang;
    std::vector<std::string> drawings;
    for (const auto* graph : {&forms.threshold, &forms.bias_node, &forms.constant_input})
      drawings.push_back(gradflow::render_svg(gradflow::to_dot(*graph, d)));
    write_chart(
        args, "tutorial_1_three_forms.svg",
        gt::side_by_side(drawings, {t.captions[0], t.captions[1], t.captions[2]}, t.figure_title));
  }
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "{}\n", e.what());
  return 1;
}
