// Experiment 8: why non-linearity. A stack of linear layers is one affine map: it cannot learn
// XOR and cannot follow a curve (it ends at the best straight line); one tanh (or ReLU) hidden
// layer can, and the more hidden units, the closer a curve is followed.
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

namespace {

struct Text {
  const char* intro;
  const char* affine;  // collapsed c0 c1 c2, from gradient c0 c1 c2, error, relu and tanh successes
  const char* fit_intro;
  const char* fit_row;    // N, mse
  const char* fit_outro;  // linear mse, slope, intercept, best line mse
  const char* loss_title;
  const char* step_axis;
  const char* loss_axis;
  const char* linear;
  const char* targets[2];
  const char* map_title;  // activation
  const char* fit_title;
  const char* units;  // N
  const char* stack;
  const char* target;
  const char* error_title;
  const char* units_axis;
  const char* error_axis;
  const char* tanh_units;
  const char* best_line;
};

const Text en{
    "Experiment 8. Why non-linearity: XOR\n\n"
    "XOR: (0,0) -> 0, (0,1) -> 1, (1,0) -> 1, (1,1) -> 0. Network MLP(2, [4, 1]) with a\n"
    "linear output, MSE, full batch, SGD lr 0.1, momentum 0.9, 400 steps, seed 7.\n\n"
    "  hidden     final loss   lowest loss   accuracy   outputs on the four inputs\n",
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
    "XOR from {} of the seeds 1..8 (tanh: {} of 8); from the others some ReLU units are dead\n"
    "(they never fire on any of the four inputs, so they pass no gradient and stay so).\n\n",
    "Fitting a curve: y = sin x at x = -3, -2.9, ..., 3 with MLP(1, [N, 1]), tanh hidden\n"
    "layer, linear output (MSE, full batch, SGD lr 0.05, momentum 0.9, 4000 steps, seed 1).\n\n"
    "  hidden units N   mean squared error\n",
    "  {:14}   {:.3g}\n",
    "\n  three stacked linear layers MLP(1, [8, 8, 1]):  {:.6g}\n"
    "  the best straight line y = {:.6f} x + {:.3g} (least squares): {:.6g}\n\n"
    "The error falls as hidden units are added: each tanh unit is one more bend the network\n"
    "can place. Linear layers, however many, end on the best straight line.\n\n",
    "XOR: training loss by hidden activation",
    "step",
    "MSE loss (log scale)",
    "identity (linear)",
    {"target 0", "target 1"},
    "{} hidden layer: output > 0.5 shaded",
    "Fitting sin x: more hidden units, a closer fit",
    "tanh, N = {}",
    "linear layers (= best line)",
    "target sin x",
    "Error of the fit against the number of hidden units",
    "hidden units N",
    "mean squared error (log scale)",
    "tanh hidden layer",
    "linear layers / best line",
};

const Text zh{
    "实验 8：为什么需要非线性：异或\n\n"
    "异或：(0,0) -> 0，(0,1) -> 1，(1,0) -> 1，(1,1) -> 0。网络 MLP(2, [4, 1])，线性输出，\n"
    "均方误差，全批量，SGD 学习率 0.1，动量 0.9，400 步，种子 7。\n\n"
    "  隐藏层     最终损失     最低损失      准确率     四个输入上的输出\n",
    "\n激活函数为恒等函数时，网络是 y = v . (W x + b) + c，即一个仿射映射\n"
    "y = c1 x1 + c2 x2 + c0。手工合并训练后的权重，再从计算图上读出同一个映射\n"
    "（反向传播得到 dy/dx1、dy/dx2；c0 = y(0, 0)）：\n\n"
    "                     c0            c1            c2\n"
    "  由权重合并     {:12.9f}  {:12.9f}  {:12.9f}\n"
    "  由反向传播     {:12.9f}  {:12.9f}  {:12.9f}\n"
    "  网格输入上 |网络 - 仿射映射| 的最大值：{:.3g}\n\n"
    "对异或最好的仿射拟合是常数 0.5（损失 0.25，由最小二乘求得）：没有仿射映射能分开异或，\n"
    "线性网络就停在那里。tanh 隐藏层能准确学会异或。只有 4 个隐藏神经元时，ReLU 取决于\n"
    "初值：种子 1..8 中有 {} 个学会了异或（tanh：8 个中 {} 个）；其余的种子下，有些 ReLU\n"
    "单元“死”了（在四个输入上都不激活，因而传不回梯度，一直保持这样）。\n\n",
    "拟合曲线：在 x = -3, -2.9, ..., 3 上用 MLP(1, [N, 1]) 拟合 y = sin x，tanh 隐藏层，\n"
    "线性输出（均方误差，全批量，SGD 学习率 0.05，动量 0.9，4000 步，种子 1）。\n\n"
    "  隐藏单元数 N     均方误差\n",
    "  {:14}   {:.3g}\n",
    "\n  三个线性层叠加 MLP(1, [8, 8, 1])：            {:.6g}\n"
    "  最好的直线 y = {:.6f} x + {:.3g}（最小二乘）：{:.6g}\n\n"
    "隐藏单元越多，误差越小：每个 tanh 单元都让网络多一个可以安放的弯。\n"
    "线性层无论叠多少层，最后都停在最好的那条直线上。\n\n",
    "异或：不同隐藏层激活函数的训练损失",
    "训练步数",
    "均方误差（对数坐标）",
    "恒等（线性）",
    {"目标 0", "目标 1"},
    "{} 隐藏层：输出 > 0.5 的区域着色",
    "拟合 sin x：隐藏单元越多，拟合越贴近",
    "tanh，N = {}",
    "线性层（= 最好的直线）",
    "目标 sin x",
    "拟合误差与隐藏单元数",
    "隐藏单元数 N",
    "均方误差（对数坐标）",
    "tanh 隐藏层",
    "线性层 / 最好的直线",
};

}  // namespace

int main(int argc, char** argv) try {
  const auto args =
      gt::parse_args(argc, argv, "Experiment 8: why non-linearity (XOR).", false, true);
  const Text& t = gt::pick(args, en, zh);
  const auto lin = gt::xor_run(Activation::identity);
  const auto th = gt::xor_run(Activation::tanh, 7, 400, 61, args.html.has_value());
  const auto re = gt::xor_run(Activation::relu, 7, 400, 61);
  fmt::print("{}", t.intro);
  for (const auto* r : {&lin, &th, &re})
    fmt::print("  {:<9}  {:10.3g}   {:11.3g}   {:7.0f}%   {::.3f}\n", gradflow::nn::name(r->hidden),
               r->final_loss, r->min_loss, 100 * r->final_accuracy, r->outputs);
  fmt::print(fmt::runtime(t.affine), lin.collapsed[0], lin.collapsed[1], lin.collapsed[2],
             lin.from_gradient[0], lin.from_gradient[1], lin.from_gradient[2], lin.max_affine_error,
             gt::xor_successes(Activation::relu), gt::xor_successes(Activation::tanh));
  const auto fit = gt::function_fit();
  fmt::print("{}", t.fit_intro);
  for (std::size_t i = 0; i < fit.units.size(); ++i)
    fmt::print(fmt::runtime(t.fit_row), fit.units[i], fit.mse[i]);
  fmt::print(fmt::runtime(t.fit_outro), fit.linear_mse, fit.best_slope,
             std::abs(fit.best_intercept) < 1e-12 ? 0.0 : fit.best_intercept, fit.best_line_mse);

  if (args.html) {
    gradflow::TrainingHtmlOptions ho;
    ho.lang = args.lang == gt::Lang::zh ? gradflow::Language::zh : gradflow::Language::en;
    const bool chinese = ho.lang == gradflow::Language::zh;
    ho.title = chinese ? "XOR：带 tanh 隐藏层的 MLP(2, [4, 1]) 的学习过程"
                       : "XOR: MLP(2, [4, 1]) with a tanh hidden layer learning";
    ho.subtitle =
        chinese ? "4 个点，MSE，全批量，SGD 学习率 0.1，动量 0.9，种子 7；每 4 步记录一次"
                : "4 points, MSE, full batch, SGD lr 0.1, momentum 0.9, seed 7; every 4th step";
    gradflow::write_training_html(*args.html, *th.record, ho);
    fmt::print("wrote {}\n", *args.html);
  }
  const auto lin_c = gt::colour(Activation::identity), tanh_c = gt::colour(Activation::tanh),
             relu_c = gt::colour(Activation::relu);
  std::vector<double> steps;
  for (std::size_t k = 0; k < lin.loss.size(); ++k) steps.push_back(static_cast<double>(k));
  plot::ChartOptions lo{t.loss_title, t.step_axis, t.loss_axis, true};
  lo.integer_x = true;
  write_chart(args, "tutorial_8_xor_loss.svg",
              plot::line_chart({{t.linear, steps, lin.loss, lin_c},
                                {"tanh", steps, th.loss, tanh_c},
                                {"relu", steps, re.loss, relu_c}},
                               lo));
  const auto data = gt::xor_gate();
  std::vector<plot::Series> points{{t.targets[0], {}, {}}, {t.targets[1], {}, {}}};
  for (std::size_t i = 0; i < data.size(); ++i) {
    auto& s = points[data.y[i] > 0.5 ? 1 : 0];
    s.x.push_back(data.row(i)[0]);
    s.y.push_back(data.row(i)[1]);
  }
  write_chart(
      args, "tutorial_8_xor_tanh.svg",
      plot::scatter_chart(
          points, {fmt::format(fmt::runtime(t.map_title), "tanh"), "x1", "x2", false, 560, 420},
          &th.field));
  write_chart(
      args, "tutorial_8_xor_relu.svg",
      plot::scatter_chart(
          points, {fmt::format(fmt::runtime(t.map_title), "relu"), "x1", "x2", false, 560, 420},
          &re.field));

  // The 1-D fit: target points, the tanh networks in cyan from pale (N = 1) to dark, the
  // linear stack dashed.
  const auto sine = gt::sine_data();
  plot::Series target{t.target, {}, {}, "#1f77b4", plot::Stroke::solid, true, 0.0};
  for (std::size_t i = 0; i < sine.size(); ++i) {
    target.x.push_back(sine.row(i)[0]);
    target.y.push_back(sine.y[i]);
  }
  const char* cyans[] = {"#a5f3fc", "#22d3ee", "#0891b2", "#0e7490", "#164e63"};
  std::vector<plot::Series> fits{target};
  for (std::size_t i = 0; i < fit.units.size(); ++i)
    if (fit.units[i] != 16)  // 8 and 16 units are indistinguishable at this size
      fits.push_back({fmt::format(fmt::runtime(t.units), fit.units[i]), fit.x, fit.fits[i],
                      cyans[i % 5], plot::Stroke::solid, false, 2.0});
  fits.push_back({t.stack, fit.x, fit.linear_fit, lin_c, plot::Stroke::dashed, false, 2.0});
  write_chart(args, "tutorial_8_fit.svg", plot::line_chart(fits, {t.fit_title, "x", "y"}));
  std::vector<double> n;
  for (auto u : fit.units) n.push_back(static_cast<double>(u));
  plot::ChartOptions eo{t.error_title, t.units_axis, t.error_axis, true};
  eo.integer_x = true;
  write_chart(args, "tutorial_8_fit_error.svg",
              plot::line_chart({{t.tanh_units, n, fit.mse, tanh_c, plot::Stroke::solid, true},
                                {t.best_line, n, std::vector<double>(n.size(), fit.linear_mse),
                                 lin_c, plot::Stroke::dashed}},
                               eo));
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "{}\n", e.what());
  return 1;
}
