// Experiment 3: the step function's two failures. It throws away how strong the sum was, and
// gradient descent cannot train it: every gradient through it is exactly 0. The same neuron with
// a sigmoid learns; with a straight-through surrogate gradient the step neuron learns too.
#include <exception>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <gradflow/engine/diagnostics.hpp>
#include <gradflow/views/training_view.hpp>
#include <tutorial/cli.hpp>
#include <tutorial/experiments.hpp>
#include <tutorial/neuron.hpp>

namespace gt = gradflow::tutorial;
namespace plot = gradflow::plot;
using gradflow::nn::Activation;

namespace {

struct Text {
  const char* strength;  // z small, step, sigmoid, z large, step, sigmoid
  const char* training;
  const char* rows[3];
  const char* row;    // what, loss start, loss end, accuracy, non-zero gradients; parameters
  const char* after;  // number of gradients
  const char* strength_title;
  const char* sum_axis;
  const char* output_axis;
  const char* sum_label;  // z, step, sigmoid
  const char* landscape_title;
  const char* weight_axis;
  const char* loss_axis;
  const char* start_label;
  const char* training_title;
  const char* step_axis;
  const char* flow_title;
  const char* depth_axis;
  const char* flow_axis;
  const char* flow_series[2];
  const char* diagnosis;
};

const Text en{
    "Experiment 3. The step function's two failures\n\n"
    "1) Strength is lost. Two very different weighted sums:\n"
    "     z = {:<4g}  step = {:g}   sigmoid = {:.4f}\n"
    "     z = {:<4g}  step = {:g}   sigmoid = {:.4f}\n"
    "   The step says 1 both times; the sigmoid still tells a weak sum from a strong one.\n\n",
    "2) No gradient. One neuron y = f(w1x1 + w2x2 + b) trained on the AND gate (MSE, full\n"
    "   batch, SGD lr 0.5, 60 steps) from w = (0.4, -0.6), b = 0.1:\n\n",
    {"step", "sigmoid", "step, straight-through"},
    "   {:<26} loss {:.4f} -> {:.4f}  accuracy {:3.0f}%  non-zero gradients {:3}\n"
    "   {:<26} parameters {::.6g} -> {::.6g}\n",
    "\n   The step neuron's parameters end bit for bit where they started: each of the {} "
    "gradients\n"
    "   computed in training was exactly 0. Its loss landscape is flat: against w1 the loss\n"
    "   only jumps between plateaus, and on a plateau the gradient is 0; the sigmoid's loss\n"
    "   slopes towards better weights. Telling backward to treat the step as the identity\n"
    "   (Conventions::step_gradient = straight_through) gives the step neuron a gradient, and it\n"
    "   learns AND too.\n\n",
    "Step throws the strength away: two sums, one step output",
    "weighted sum z",
    "output",
    "z = {:g}: step {:g}, sigmoid {:.2f}",
    "AND's loss against w1 (w2 = -0.6, b = 0.1): the step's is flat",
    "weight w1",
    "MSE loss",
    "start w1 = 0.4",
    "Training one neuron on AND: loss per step",
    "step",
    "Gradient reaching each depth of the neuron (x = (1, 2, 3))",
    "depth (edges from the output)",
    "largest |gradient| (log scale; 0 = blocked)",
    {"step neuron", "sigmoid neuron"},
    "3) What gradflow's diagnostics say about the step neuron (explain(diagnose(g, y))):\n",
};

const Text zh{
    "实验 3：阶跃函数的两个缺陷\n\n"
    "1）丢失了强弱。两个相差很大的加权和：\n"
    "     z = {:<4g}  step = {:g}   sigmoid = {:.4f}\n"
    "     z = {:<4g}  step = {:g}   sigmoid = {:.4f}\n"
    "   step 两次都输出 1；sigmoid 仍能区分弱的和与强的和。\n\n",
    "2）没有梯度。单个神经元 y = f(w1x1 + w2x2 + b) 学习与门（均方误差，全批量，\n"
    "   SGD 学习率 0.5，60 步），初值 w = (0.4, -0.6)，b = 0.1：\n\n",
    {"step", "sigmoid", "step，直通估计"},
    "   {:<22} 损失 {:.4f} -> {:.4f}  准确率 {:3.0f}%  非零梯度 {:3} 个\n"
    "   {:<22} 参数 {::.6g} -> {::.6g}\n",
    "\n   step 神经元的参数最终与初值逐位相同：训练中算出的 {} 个梯度全都恰好为 0。\n"
    "   它的损失曲面是平的：随 w1 变化，损失只在几个平台之间跳变，平台上梯度为 0；\n"
    "   sigmoid 的损失则一路倾斜，指向更好的权重。让反向传播把 step 当作恒等函数\n"
    "   （Conventions::step_gradient = straight_through），step 神经元就有了梯度，\n"
    "   同样能学会与门。\n\n",
    "step 丢掉了强弱：两个不同的和，同一个输出",
    "加权和 z",
    "输出",
    "z = {:g}：step {:g}，sigmoid {:.2f}",
    "与门的损失随 w1 的变化（w2 = -0.6，b = 0.1）：step 的损失是平的",
    "权重 w1",
    "均方误差",
    "初值 w1 = 0.4",
    "单个神经元学习与门：每一步的损失",
    "训练步数",
    "神经元各层深度收到的梯度（x = (1, 2, 3)）",
    "深度（离输出的边数）",
    "最大 |梯度|（对数坐标；0 = 被阻断）",
    {"step 神经元", "sigmoid 神经元"},
    "3）gradflow 的诊断对 step 神经元是这样说的（explain(diagnose(g, y))）：\n",
};

}  // namespace

int main(int argc, char** argv) try {
  const auto args = gt::parse_args(
      argc, argv,
      "Experiment 3: the step function's two failures.\n--html FILE writes the sigmoid "
      "neuron's training page, and FILE with _step\nbefore .html the step neuron's.",
      false, true);
  const Text& t = gt::pick(args, en, zh);
  const auto r = gt::step_failures(args.html.has_value());
  if (args.html) {
    std::string step_file = *args.html;
    const auto dot = step_file.rfind(".html");
    step_file.insert(dot == std::string::npos ? step_file.size() : dot, "_step");
    gradflow::TrainingHtmlOptions ho;
    ho.lang = args.lang == gt::Lang::zh ? gradflow::Language::zh : gradflow::Language::en;
    const bool chinese = ho.lang == gradflow::Language::zh;
    ho.subtitle = chinese ? "一个神经元学习与门（AND），MSE，全批量，SGD 学习率 0.5，60 步"
                          : "one neuron on the AND gate, MSE, full batch, SGD lr 0.5, 60 steps";
    ho.title = chinese ? "sigmoid 神经元学会了 AND" : "A sigmoid neuron learns AND";
    gradflow::write_training_html(*args.html, *r.sigmoid.record, ho);
    ho.title = chinese ? "step 神经元学不会 AND：每个梯度都恰好为 0"
                       : "A step neuron cannot learn AND: every gradient is exactly 0";
    gradflow::write_training_html(step_file, *r.step.record, ho);
    fmt::print("wrote {} and {}\n", *args.html, step_file);
  }
  fmt::print(fmt::runtime(t.strength), r.z_small, r.step_small, r.sigmoid_small, r.z_large,
             r.step_large, r.sigmoid_large);
  fmt::print("{}", t.training);
  const auto row = [&](const char* what, const gt::TrainedNeuron& n) {
    fmt::print(fmt::runtime(t.row), what, n.loss.front(), n.loss.back(), 100 * n.final_accuracy,
               n.nonzero_gradients, "", n.params_before, n.params_after);
  };
  row(t.rows[0], r.step);
  row(t.rows[1], r.sigmoid);
  row(t.rows[2], r.straight_through);
  fmt::print(fmt::runtime(t.after), 3 * r.step.loss.size());

  const auto step_c = gt::colour(Activation::step), sig_c = gt::colour(Activation::sigmoid);
  // 1) Strength: the two curves, and the two sums marked on each.
  {
    gradflow::Graph g;
    const auto z = g.input("z", 0);
    const auto ys = gradflow::step(z), yg = gradflow::sigmoid(z);
    plot::Series s{"step(z)", {}, {}, step_c}, sg{"sigmoid(z)", {}, {}, sig_c};
    for (int k = 0; k <= 400; ++k) {
      z.set(-4.0 + 0.02 * k);
      s.x.push_back(z.value());
      s.y.push_back(ys.value());
      sg.x.push_back(z.value());
      sg.y.push_back(yg.value());
    }
    plot::Series small{"",        {r.z_small, r.z_small}, {r.step_small, r.sigmoid_small},
                       "#1f77b4", plot::Stroke::dotted,   true,
                       2.0};
    plot::Series large{"",        {r.z_large, r.z_large}, {r.step_large, r.sigmoid_large},
                       "#ea580c", plot::Stroke::dotted,   true,
                       2.0};
    plot::ChartOptions o{t.strength_title, t.sum_axis, t.output_axis};
    o.guides = {
        {r.z_small,
         fmt::format(fmt::runtime(t.sum_label), r.z_small, r.step_small, r.sigmoid_small), true},
        {r.z_large,
         fmt::format(fmt::runtime(t.sum_label), r.z_large, r.step_large, r.sigmoid_large), true}};
    write_chart(args, "tutorial_3_strength.svg", plot::line_chart({s, sg, small, large}, o));
  }
  // 2) The loss landscape against w1.
  {
    const auto& l = r.landscape;
    plot::ChartOptions o{t.landscape_title, t.weight_axis, t.loss_axis};
    o.guides = {{0.4, t.start_label, true}};
    write_chart(
        args, "tutorial_3_landscape.svg",
        plot::line_chart(
            {{"step", l.w1, l.step_loss, step_c}, {"sigmoid", l.w1, l.sigmoid_loss, sig_c}}, o));
  }
  // 3) Training.
  std::vector<double> steps;
  for (std::size_t k = 0; k < r.step.loss.size(); ++k) steps.push_back(static_cast<double>(k));
  plot::ChartOptions o{t.training_title, t.step_axis, t.loss_axis};
  o.integer_x = true;
  write_chart(args, "tutorial_3_training.svg",
              plot::line_chart(
                  {{t.rows[0], steps, r.step.loss, step_c},
                   {t.rows[1], steps, r.sigmoid.loss, sig_c},
                   {t.rows[2], steps, r.straight_through.loss, "#ea580c", plot::Stroke::dashed}},
                  o));
  // 4) The gradient at each depth of the tutorial's neuron: the step blocks it all.
  std::vector<plot::Series> flow;
  const char* colours[] = {step_c.c_str(), sig_c.c_str()};
  int i = 0;
  for (const char* act : {"step", "sigmoid"}) {
    gradflow::Graph g;
    const auto y = gt::neuron(g, gt::activation_op(act));
    const auto report = gradflow::diagnose(g, y);
    if (i == 0)
      fmt::print("{}{}\n", t.diagnosis,
                 gradflow::to_text(gradflow::explain(report, {}, args.lang)));
    plot::Series s{t.flow_series[i],
                   {},
                   {},
                   colours[i],
                   i == 0 ? plot::Stroke::solid : plot::Stroke::dashed,
                   true};
    for (std::size_t d = 0; d < report.by_depth.size(); ++d) {
      s.x.push_back(static_cast<double>(d));
      s.y.push_back(report.by_depth[d].max_abs);
    }
    flow.push_back(std::move(s));
    ++i;
  }
  plot::ChartOptions fo{t.flow_title, t.depth_axis, t.flow_axis, true};
  fo.zero_row = true;
  fo.integer_x = true;
  write_chart(args, "tutorial_3_flow.svg", plot::line_chart(flow, fo));
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "{}\n", e.what());
  return 1;
}
