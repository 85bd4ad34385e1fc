// Experiment 4: sigmoid, tanh, ReLU and step with their derivatives, the derivatives taken by
// backward through one activation node at each x, and their second derivatives, from
// gradients() (the first derivative recorded as nodes and differentiated again); and
// sigmoid(k x) approaching the step.
#include <cmath>
#include <exception>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <tutorial/cli.hpp>
#include <tutorial/experiments.hpp>

namespace gt = gradflow::tutorial;
namespace plot = gradflow::plot;
using gradflow::nn::Activation;

namespace {

struct Text {
  const char* intro;
  const char* maxima;     // sigmoid max, at, tanh max, at
  const char* steep;      // header of the sigmoid(kx) table
  const char* steep_row;  // k, gap
  const char* steep_end;
  const char* second;  // sigmoid''(-1), tanh''(-1)
  const char* values_title;
  const char* derivatives_title;
  const char* second_title;
  const char* steep_title;
  const char* x_axis;
};

const Text en{
    "Experiment 4. Activation functions and their derivatives\n\n"
    "Each curve is one activation node evaluated at x = -6, -5.99, ..., 6; each derivative\n"
    "is what backward passed to x.\n\n"
    "  x        sigmoid  sigmoid'   tanh     tanh'    relu  relu'  step  step'\n",
    "\n  largest sigmoid' = {:g} at x = {:g}: every sigmoid shrinks a gradient by 4x or more\n"
    "  largest tanh'    = {:g} at x = {:g}\n"
    "  relu' is 1 for x > 0 and 0 for x < 0 (and 0 at the kink, the convention)\n"
    "  step' is 0 everywhere: no gradient passes\n\n",
    "The sigmoid approximates the step: sigmoid(k x) for a growing steepness k.\n"
    "  k     largest |sigmoid(k x) - step(x)| for |x| >= 0.5\n",
    "  {:<4g}  {:.3g}\n",
    "The gap is 1 - sigmoid(k/2): it vanishes as k grows, yet for every k the derivative is\n"
    "positive everywhere, so a gradient always passes.\n\n",
    "Second derivatives, from gradients() (f' recorded as nodes and differentiated again):\n"
    "  sigmoid''(-1) = {:.4f}, tanh''(-1) = {:.4f}; relu'' and step'' are 0\n\n",
    "The four activations on shared axes",
    "Their derivatives (what backward passes) on shared axes",
    "Their second derivatives (gradients() of the first) on shared axes",
    "sigmoid(k x) approaches the step as k grows",
    "x",
};

const Text zh{
    "实验 4：激活函数及其导数\n\n"
    "每条曲线都是一个激活节点在 x = -6, -5.99, ..., 6 处的取值；每个导数都是\n"
    "反向传播传给 x 的值。\n\n"
    "  x        sigmoid  sigmoid'   tanh     tanh'    relu  relu'  step  step'\n",
    "\n  sigmoid' 的最大值 = {:g}，在 x = {:g} 处：每经过一个 sigmoid，梯度至少缩小为 1/4\n"
    "  tanh' 的最大值    = {:g}，在 x = {:g} 处\n"
    "  relu' 在 x > 0 时为 1，在 x < 0 时为 0（拐点处按约定取 0）\n"
    "  step' 处处为 0：没有梯度能通过\n\n",
    "sigmoid 可以逼近阶跃函数：让陡度 k 增大，看 sigmoid(k x)。\n"
    "  k     |x| >= 0.5 时 |sigmoid(k x) - step(x)| 的最大值\n",
    "  {:<4g}  {:.3g}\n",
    "差距等于 1 - sigmoid(k/2)，随 k 增大趋于 0；但无论 k 多大，导数处处为正，\n"
    "梯度始终能传过去。\n\n",
    "二阶导数由 gradients() 求得（把 f' 记录成节点，再求一次导）：\n"
    "  sigmoid''(-1) = {:.4f}，tanh''(-1) = {:.4f}；relu'' 和 step'' 都是 0\n\n",
    "四个激活函数画在同一坐标系中",
    "它们的导数（反向传播传回的值）画在同一坐标系中",
    "它们的二阶导数（对一阶导数再求 gradients()）画在同一坐标系中",
    "k 越大，sigmoid(k x) 越接近阶跃函数",
    "x",
};

}  // namespace

int main(int argc, char** argv) try {
  const auto args =
      gt::parse_args(argc, argv, "Experiment 4: activation functions and their derivatives.");
  const Text& t = gt::pick(args, en, zh);
  const auto r = gt::activation_curves();
  const auto at = [&](Activation f, double x, bool derivative) {
    const auto& c = r.curve(f);
    const auto i = static_cast<std::size_t>(std::lround((x + 6.0) * 100.0));
    return derivative ? c.dy[i] : c.y[i];
  };
  fmt::print("{}", t.intro);
  for (double x : {-4.0, -1.0, 0.0, 1.0, 4.0})
    fmt::print("  {:5.1f}   {:7.4f}  {:7.4f}   {:7.4f}  {:7.4f}  {:4g}  {:5g}  {:4g}  {:5g}\n", x,
               at(Activation::sigmoid, x, false), at(Activation::sigmoid, x, true),
               at(Activation::tanh, x, false), at(Activation::tanh, x, true),
               at(Activation::relu, x, false), at(Activation::relu, x, true),
               at(Activation::step, x, false), at(Activation::step, x, true));
  fmt::print(fmt::runtime(t.maxima), r.sigmoid_max_grad, r.sigmoid_argmax, r.tanh_max_grad,
             r.tanh_argmax);
  fmt::print(fmt::runtime(t.second), r.curve(Activation::sigmoid).d2y[500],
             r.curve(Activation::tanh).d2y[500]);
  fmt::print("{}", t.steep);
  for (std::size_t i = 0; i < r.steepness.size(); ++i)
    fmt::print(fmt::runtime(t.steep_row), r.steepness[i], r.steep_gap[i]);
  fmt::print("{}", t.steep_end);

  // Shared axes: x from -4 to 4 (ReLU would dwarf the others on -6..6). Step is drawn dashed
  // over ReLU where both are 0; step' dashed over relu' where both are 0.
  std::vector<double> xs;
  std::vector<std::size_t> idx;
  for (std::size_t i = 0; i < r.x.size(); ++i)
    if (std::abs(r.x[i]) <= 4.0 + 1e-9) {
      xs.push_back(r.x[i]);
      idx.push_back(i);
    }
  const auto pick = [&](const std::vector<double>& v) {
    std::vector<double> out;
    for (auto i : idx) out.push_back(v[i]);
    return out;
  };
  std::vector<plot::Series> values, slopes, curvatures;
  for (auto f : {Activation::sigmoid, Activation::tanh, Activation::relu, Activation::step}) {
    const auto& c = r.curve(f);
    const bool dashed = f == Activation::step;
    const std::string name(gradflow::nn::name(f));
    values.push_back({name + "(x)", xs, pick(c.y), gt::colour(f),
                      dashed ? plot::Stroke::dashed : plot::Stroke::solid, false,
                      dashed ? 2.5 : 2.0});
    slopes.push_back({name + "'(x)", xs, pick(c.dy), gt::colour(f),
                      dashed ? plot::Stroke::dashed : plot::Stroke::solid, false,
                      dashed ? 2.5 : 2.0});
    curvatures.push_back({name + "''(x)", xs, pick(c.d2y), gt::colour(f),
                          dashed ? plot::Stroke::dashed : plot::Stroke::solid, false,
                          dashed ? 2.5 : 2.0});
  }
  plot::ChartOptions ov{t.values_title, t.x_axis, ""};
  ov.y_min = -1.0;
  ov.y_max = 2.0;
  // ReLU is cut off above 2 (at x = 2) so that the squashing curves keep their size.
  for (auto& s : values)
    for (double& v : s.y)
      if (v > 2.0) v = std::nan("");
  write_chart(args, "tutorial_4_activations.svg", plot::line_chart(values, ov));
  write_chart(args, "tutorial_4_derivatives.svg",
              plot::line_chart(slopes, {t.derivatives_title, t.x_axis, ""}));
  write_chart(args, "tutorial_4_second_derivatives.svg",
              plot::line_chart(curvatures, {t.second_title, t.x_axis, ""}));

  // sigmoid(k x) against the step: greens from pale (k = 1) to dark (k = 20).
  const char* greens[] = {"#86efac", "#22c55e", "#15803d", "#14532d"};
  std::vector<plot::Series> steep{{"step(x)", xs, pick(r.curve(Activation::step).y),
                                   gt::colour(Activation::step), plot::Stroke::dashed, false, 2.5}};
  for (std::size_t i = 0; i < r.steepness.size(); ++i)
    steep.insert(steep.end() - 1, {fmt::format("sigmoid({:g}x)", r.steepness[i]), xs,
                                   pick(r.steep[i]), greens[i % 4]});
  write_chart(args, "tutorial_4_steepness.svg",
              plot::line_chart(steep, {t.steep_title, t.x_axis, ""}));
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "{}\n", e.what());
  return 1;
}
