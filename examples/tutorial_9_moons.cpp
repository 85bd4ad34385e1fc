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

namespace {

struct Text {
  const char* intro;         // data, initial parameters
  const char* default_data;  // points
  const char* file_data;     // file, points
  const char* default_init;
  const char* file_init;  // file
  const char* result;     // steps, loss, accuracy, points, nodes
  const char* wrote;      // path
  const char* labels[2];
  const char* boundary_title;
  const char* training_title;
  const char* step_axis;
  const char* loss;
  const char* accuracy;
};

const Text en{
    "Experiment 9. micrograd's moons demo\n\n"
    "Data: {}. Network: MLP(2, [16, 16, 1]), ReLU hidden\n"
    "layers, linear output; initial parameters {}.\n"
    "Loss: mean_i relu(1 - y_i score_i) + 1e-4 sum_p p^2. Full-batch SGD, lr = 1.0 - 0.9 k/100.\n"
    "One static graph holds the network for one sample; a batched executor evaluates it for\n"
    "all the samples at once in every training iteration: forward, backward, update.\n\n",
    "{} two-moons points (noise 0.1, seed 1)",
    "'{}', {} points",
    "uniform on [-1, 1) (seed 1), biases 0",
    "from '{}'",
    "\nAfter {} steps: loss {:.12f} (before the last update), accuracy of the trained network\n"
    "{:.0f}% on {} points. The training graph has {} nodes.\n\n",
    "wrote {}\n",
    {"label -1", "label +1"},
    "Moons: decision boundary (score = 0) after training",
    "Moons: loss and accuracy per step",
    "step",
    "loss",
    "accuracy (fraction)",
};

const Text zh{
    "实验 9：micrograd 的双月牙演示\n\n"
    "数据：{}。网络：MLP(2, [16, 16, 1])，ReLU 隐藏层，\n"
    "线性输出；初始参数{}。\n"
    "损失：mean_i relu(1 - y_i score_i) + 1e-4 sum_p p^2。全批量 SGD，学习率 = 1.0 - 0.9 k/100。\n"
    "一张静态计算图记录一个样本上的网络；批量执行器在每次训练迭代中一次算完所有样本：\n"
    "前向、反向、更新。\n\n",
    "{} 个双月牙点（噪声 0.1，种子 1）",
    "'{}'，{} 个点",
    "在 [-1, 1) 上均匀分布（种子 1），偏置为 0",
    "来自 '{}'",
    "\n{0} 步之后：损失 {1:.12f}（最后一次更新之前）。训练后的网络在 {3} 个点上的\n"
    "准确率为 {2:.0f}%。训练用的计算图有 {4} 个节点。\n\n",
    "已写入 {}\n",
    {"标签 -1", "标签 +1"},
    "双月牙：训练后的决策边界（score = 0）",
    "双月牙：每一步的损失与准确率",
    "训练步数",
    "损失",
    "准确率（比例）",
};

}  // namespace

int main(int argc, char** argv) try {
  const auto args = gt::parse_args(argc, argv, "Experiment 9: micrograd's moons demo.", true);
  const Text& t = gt::pick(args, en, zh);
  gt::MoonsOptions mo;
  if (args.data) mo.data = train::load_csv(*args.data);
  if (args.init) mo.init = train::load_numbers(*args.init);
  mo.print_progress = true;
  mo.field_resolution = 101;
  mo.record = args.html.has_value();
  mo.before_training = [&](const train::Dataset& data) {
    fmt::print(fmt::runtime(t.intro),
               args.data ? fmt::format(fmt::runtime(t.file_data), *args.data, data.size())
                         : fmt::format(fmt::runtime(t.default_data), data.size()),
               args.init ? fmt::format(fmt::runtime(t.file_init), *args.init)
                         : std::string(t.default_init));
  };
  const auto r = gt::moons(mo);
  fmt::print(fmt::runtime(t.result), r.records.size(), r.records.back().loss,
             100 * r.final_accuracy, r.data.size(), r.graph_nodes);
  if (args.html) {
    gradflow::TrainingHtmlOptions ho;
    ho.lang = args.lang == gt::Lang::zh ? gradflow::Language::zh : gradflow::Language::en;
    const bool chinese = ho.lang == gradflow::Language::zh;
    ho.title = chinese ? "micrograd 的 moons 示例：MLP(2, [16, 16, 1]) 的学习过程"
                       : "micrograd's moons demo: MLP(2, [16, 16, 1]) learning";
    ho.subtitle = fmt::format(
        fmt::runtime(
            chinese ? "{} 个点，最大间隔损失 + 1e-4 L2，全批量 SGD，学习率 1.0 - 0.9 k/100"
                    : "{} points, max-margin loss + 1e-4 L2, full-batch SGD, lr 1.0 - 0.9 k/100"),
        r.data.size());
    gradflow::write_training_html(*args.html, *r.record, ho);
    fmt::print("wrote {}\n", *args.html);
  }
  if (args.save_data) {
    std::string csv = "x1,x2,label\n";
    for (std::size_t i = 0; i < r.data.size(); ++i)
      csv += fmt::format("{:.17g},{:.17g},{:g}\n", r.data.row(i)[0], r.data.row(i)[1], r.data.y[i]);
    plot::write_text_file(*args.save_data, csv);
    fmt::print(fmt::runtime(t.wrote), *args.save_data);
  }
  if (args.save_init) {
    std::string text;
    for (double v : r.init) text += fmt::format("{:.17g}\n", v);
    plot::write_text_file(*args.save_init, text);
    fmt::print(fmt::runtime(t.wrote), *args.save_init);
  }
  std::vector<plot::Series> points{{t.labels[0], {}, {}}, {t.labels[1], {}, {}}};
  for (std::size_t i = 0; i < r.data.size(); ++i) {
    auto& s = points[r.data.y[i] > 0 ? 1 : 0];
    s.x.push_back(r.data.row(i)[0]);
    s.y.push_back(r.data.row(i)[1]);
  }
  write_chart(
      args, "tutorial_9_moons_boundary.svg",
      plot::scatter_chart(points, {t.boundary_title, "x1", "x2", false, 720, 480}, &r.field));
  std::vector<double> k, loss, acc;
  for (const auto& s : r.records) {
    k.push_back(s.iteration);
    loss.push_back(s.loss);
    acc.push_back(s.accuracy);
  }
  write_chart(args, "tutorial_9_moons_training.svg",
              plot::line_chart({{t.loss, k, loss}, {t.accuracy, k, acc}},
                               {t.training_title, t.step_axis, "", false, 720, 420, true}));
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "{}\n", e.what());
  return 1;
}
