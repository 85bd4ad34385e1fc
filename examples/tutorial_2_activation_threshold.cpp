// Experiment 2: how hard a neuron is to activate. For a fixed input, sweep the bias and see
// where the step flips and the sigmoid crosses 0.5; a lower bias needs a larger weighted sum.
#include <cmath>
#include <exception>
#include <vector>

#include <fmt/format.h>

#include <tutorial/cli.hpp>
#include <tutorial/experiments.hpp>

namespace gt = gradflow::tutorial;
namespace plot = gradflow::plot;
using gradflow::nn::Activation;

namespace {

// Prints bisection results within 1e-12 of 0 as 0 (not "-0.000000").
double clean(double v) { return std::abs(v) < 1e-12 ? 0.0 : v; }

struct Text {
  const char* intro;  // w1, w2, w3, z, step flip, sigmoid crossing
  const char* outro;
  const char* sweep_title;  // z
  const char* bias_axis;
  const char* output_axis;
  const char* half;  // the 0.5 line
  const char* at_minus_z;
  const char* shift_title;
  const char* sum_axis;
  const char* needs;  // the sum needed: -b
};

const Text en{
    "Experiment 2. How hard a neuron is to activate\n\n"
    "Fixed input x = (1, 2, 3), weights w = ({}, {}, {}): weighted sum z = {:.6g}.\n"
    "Sweeping the bias b from -2 to 2 in steps of 0.01:\n"
    "  step(z + b) first fires at       b = {:.6g}\n"
    "  sigmoid(z + b) crosses 0.5 at    b = {:.6g}   (both at b = -z)\n\n"
    "Turned around: the weighted sum the neuron needs before it fires, for each bias\n"
    "(bisection on the graph's output):\n\n"
    "  bias b   sum needed (step)   sum needed (sigmoid > 0.5)\n",
    "\nThe needed sum is -b: a lower bias makes the neuron harder to activate, a higher one\n"
    "easier. The bias sets the neuron's threshold.\n\n",
    "Output against bias for a fixed input (z = {:.2g})",
    "bias b",
    "output",
    "0.5: fires / does not",
    "b = -z",
    "A lower bias shifts the curve right: a larger sum is needed",
    "weighted sum z",
    "needs z = -b = {:g}",
};

const Text zh{
    "实验 2：神经元有多难被激活\n\n"
    "固定输入 x = (1, 2, 3)，权重 w = ({}, {}, {})：加权和 z = {:.6g}。\n"
    "让偏置 b 从 -2 以 0.01 为步长扫到 2：\n"
    "  step(z + b) 第一次输出 1 时        b = {:.6g}\n"
    "  sigmoid(z + b) 越过 0.5 时         b = {:.6g}   （都在 b = -z 处）\n\n"
    "反过来看：对每个偏置，神经元激活之前需要多大的加权和\n"
    "（在计算图的输出上二分查找）：\n\n"
    "  偏置 b   所需的和（step）    所需的和（sigmoid > 0.5）\n",
    "\n所需的和正是 -b：偏置越低，神经元越难激活；偏置越高，越容易激活。\n"
    "偏置决定了神经元的阈值。\n\n",
    "固定输入下输出随偏置的变化（z = {:.2g}）",
    "偏置 b",
    "输出",
    "0.5：激活与否的分界",
    "b = -z",
    "偏置越低，曲线越往右移：需要更大的加权和",
    "加权和 z",
    "需 z = -b = {:g}",
};

}  // namespace

int main(int argc, char** argv) try {
  const auto args = gt::parse_args(argc, argv, "Experiment 2: how hard a neuron is to activate.");
  const Text& t = gt::pick(args, en, zh);
  const auto r = gt::activation_threshold();
  fmt::print(fmt::runtime(t.intro), gt::kWeights[0], gt::kWeights[1], gt::kWeights[2], r.z,
             r.step_flip_bias, r.sigmoid_half_bias);
  for (std::size_t i = 0; i < r.biases.size(); ++i)
    fmt::print("  {:6.2f}   {:17.6f}   {:26.6f}\n", r.biases[i], clean(r.needed_sum_step[i]),
               clean(r.needed_sum_sigmoid[i]));
  fmt::print("{}", t.outro);
  const auto step_c = gt::colour(Activation::step), sig_c = gt::colour(Activation::sigmoid);
  plot::ChartOptions sweep{fmt::format(fmt::runtime(t.sweep_title), r.z), t.bias_axis,
                           t.output_axis};
  sweep.guides = {{0.5, t.half}, {-r.z, t.at_minus_z, true}};
  write_chart(args, "tutorial_2_bias_sweep.svg",
              plot::line_chart({{"step(z + b)", r.bias, r.step_out, step_c},
                                {"sigmoid(z + b)", r.bias, r.sigmoid_out, sig_c}},
                               sweep));
  // sigmoid(z + b) for three biases: the same green, darker for a lower bias.
  std::vector<plot::Series> shifted;
  std::vector<double> zs;
  for (int k = 0; k <= 160; ++k) zs.push_back(-4.0 + 0.05 * k);
  gradflow::Graph g;
  const auto z = g.input("z", 0), b = g.parameter("b", 0);
  const auto y = gradflow::sigmoid(gradflow::bias(z, b));
  const char* greens[] = {"#14532d", "#16a34a", "#86efac"};
  const plot::Stroke strokes[] = {plot::Stroke::solid, plot::Stroke::dashed, plot::Stroke::solid};
  plot::ChartOptions shift{t.shift_title, t.sum_axis, t.output_axis};
  shift.guides = {{0.5, t.half}};
  int i = 0;
  for (double bv : {-2.0, 0.0, 2.0}) {
    b.set(bv);
    plot::Series s{fmt::format("sigmoid(z {} {:g})", bv < 0 ? '-' : '+', std::abs(bv)),
                   zs,
                   {},
                   greens[i],
                   strokes[i]};
    for (double zv : zs) s.y.push_back((z.set(zv), y.value()));
    shifted.push_back(std::move(s));
    shift.guides.push_back({-bv, fmt::format(fmt::runtime(t.needs), -bv + 0.0), true});
    ++i;
  }
  write_chart(args, "tutorial_2_needed_sum.svg", plot::line_chart(shifted, shift));
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "{}\n", e.what());
  return 1;
}
