// Experiment 7: the voting reading of activations: sigmoid supports (more or less), tanh votes
// for or against, ReLU supports or abstains; and the caveat: the next layer's weight decides
// whether a vote counts for or against.
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
  const char* outro;
  // The words of gt::vote(), translated: supports, supports weakly, for, against, neutral,
  // abstains.
  const char* votes[6];
  const char* votes_title;
  const char* sum_axis;
  const char* vote_axis;
  const char* support;
  const char* oppose;
  const char* abstain;
  const char* next_title;
  const char* next_axis;
  const char* next_series[3];
};

const Text en{
    "Experiment 7. The voting reading of activations\n\n"
    "Read a neuron's output as its vote on what the next layer should do:\n\n"
    "   sum z   sigmoid                    tanh                 relu\n",
    "\nsigmoid is positive for every sum: it always supports, weakly for small sums.\n"
    "tanh has the sign of the sum: it votes for when positive, against when negative.\n"
    "relu passes positive sums unchanged and outputs exactly 0 for negative ones: it\n"
    "supports or abstains, never opposes.\n\n"
    "The caveat: the next layer multiplies each output by its weight v. With v < 0 a relu\n"
    "that \"supports\" pushes the next neuron down, and a sigmoid always opposes: whether a\n"
    "unit votes for or against is decided by the sign of v, not by the activation alone. What\n"
    "stays true: relu's 0 is an abstention whatever v is.\n\n",
    {"supports", "supports weakly", "for", "against", "neutral", "abstains"},
    "What each activation votes, by sum",
    "sum z",
    "vote (output)",
    "supports (output > 0)",
    "opposes (output < 0)",
    "abstains: output exactly 0",
    "What the next layer receives: v · a(z); the weight's sign decides",
    "contribution v · a(z)",
    {"relu, v = +1", "relu, v = -1: its support now opposes", "sigmoid, v = -1: always opposes"},
};

const Text zh{
    "实验 7：激活函数的“投票”解读\n\n"
    "把神经元的输出看作它对下一层该怎么做投出的一票：\n\n"
    "   和 z    sigmoid                    tanh                 relu\n",
    "\nsigmoid 对任何和都输出正数：它总是支持，和较小时支持得弱一些。\n"
    "tanh 与和同号：和为正时投赞成票，为负时投反对票。\n"
    "relu 原样传出正的和，对负的和恰好输出 0：它支持或弃权，从不反对。\n\n"
    "需要注意：下一层会把每个输出乘以它的权重 v。若 v < 0，一个“支持”的 relu 反而把\n"
    "下一个神经元往下压，sigmoid 则永远是反对：一个单元投赞成还是反对，由 v 的符号决定，\n"
    "不只由激活函数决定。不变的是：无论 v 是多少，relu 的 0 都是弃权。\n\n",
    {"支持", "弱支持", "赞成", "反对", "中立", "弃权"},
    "各激活函数按输入的和投出的票",
    "和 z",
    "票（输出）",
    "支持（输出 > 0）",
    "反对（输出 < 0）",
    "弃权：输出恰好为 0",
    "下一层收到的是 v · a(z)：权重的符号说了算",
    "贡献 v · a(z)",
    {"relu，v = +1", "relu，v = -1：支持变成了反对", "sigmoid，v = -1：永远反对"},
};

// The translated word of gt::vote().
std::string word(const Text& t, Activation f, double y) {
  const std::string v = gt::vote(f, y);
  const char* en_words[] = {"supports", "supports weakly", "for", "against", "neutral", "abstains"};
  for (int i = 0; i < 6; ++i)
    if (v == en_words[i]) return t.votes[i];
  return v;
}

}  // namespace

int main(int argc, char** argv) try {
  const auto args = gt::parse_args(argc, argv, "Experiment 7: the voting reading of activations.");
  const Text& t = gt::pick(args, en, zh);
  const auto rows = gt::voting_table();
  fmt::print("{}", t.intro);
  for (const auto& r : rows)
    fmt::print("  {:6.1f}   {:.4f} {:<16}  {:+.4f} {:<9}  {:.1f} {}\n", r.z, r.sigmoid,
               word(t, Activation::sigmoid, r.sigmoid), r.tanh, word(t, Activation::tanh, r.tanh),
               r.relu, word(t, Activation::relu, r.relu));
  fmt::print("{}", t.outro);
  const auto c = gt::vote_curves();
  const auto sig = gt::colour(Activation::sigmoid), tanh = gt::colour(Activation::tanh),
             relu = gt::colour(Activation::relu);
  const auto regions = [&](plot::ChartOptions& o) {
    o.y_min = -1.2;
    o.y_max = 3.0;
    o.bands = {{0.0, 3.2, "#2563eb", t.support}, {-1.4, 0.0, "#dc2626", t.oppose}};
    o.guides = {{0.0, t.abstain}};
  };
  plot::ChartOptions o{t.votes_title, t.sum_axis, t.vote_axis};
  regions(o);
  write_chart(args, "tutorial_7_votes.svg",
              plot::line_chart({{"sigmoid", c.z, c.sigmoid, sig, plot::Stroke::solid, false, 2.5},
                                {"tanh", c.z, c.tanh, tanh, plot::Stroke::solid, false, 2.5},
                                {"relu", c.z, c.relu, relu, plot::Stroke::solid, false, 2.5}},
                               o));
  plot::ChartOptions n{t.next_title, t.sum_axis, t.next_axis};
  regions(n);
  n.y_min = -3.0;
  n.y_max = 3.0;
  n.bands = {{0.0, 3.2, "#2563eb", t.support}, {-3.2, 0.0, "#dc2626", t.oppose}};
  write_chart(
      args, "tutorial_7_next_layer.svg",
      plot::line_chart(
          {{t.next_series[0], c.z, c.relu, relu, plot::Stroke::solid, false, 2.5},
           {t.next_series[1], c.z, c.relu_times_minus, relu, plot::Stroke::dashed, false, 2.5},
           {t.next_series[2], c.z, c.sigmoid_times_minus, sig, plot::Stroke::dashed, false, 2.5}},
          n));
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "{}\n", e.what());
  return 1;
}
