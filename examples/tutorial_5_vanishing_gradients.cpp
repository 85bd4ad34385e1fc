// Experiment 5: vanishing gradients. How much gradient reaches the start of a chain of
// activations, and the first layer of a deep MLP, for sigmoid, tanh and ReLU.
#include <cmath>
#include <exception>
#include <vector>

#include <fmt/format.h>

#include <gradflow/engine/diagnostics.hpp>
#include <gradflow/graph/graph.hpp>
#include <tutorial/cli.hpp>
#include <tutorial/experiments.hpp>

namespace gt = gradflow::tutorial;
namespace plot = gradflow::plot;
using gradflow::nn::Activation;

namespace {

struct Text {
  const char* intro;  // width
  const char* outro;
  const char* chains_title;
  const char* depth_axis;
  const char* chains_axis;
  const char* chain_series[5];
  const char* mlps_title;
  const char* layers_axis;
  const char* mlps_axis;
  const char* mlp_series[3];
  const char* diagnosis;
};

const Text en{
    "Experiment 5. Vanishing gradients\n\n"
    "Chains: a_d = f(a_(d-1)), a_0 = x = 1; the gradient d a_d / d x reaching x. The tanh chain\n"
    "also with weight 3, a_d = tanh(3 a_(d-1)), which drives every tanh into saturation.\n"
    "MLPs: 2 inputs, d hidden layers of {} neurons, one linear output, biases 0, seed 1;\n"
    "sigmoid and tanh start with Glorot (Xavier) uniform weights, ReLU with He's; the mean\n"
    "|dy/dw| over the first layer's weights, averaged over 4 inputs.\n\n"
    "          ---------------------- chain -----------------------   ---------- MLP ----------\n"
    "  depth   sigmoid    0.25^depth  tanh      tanh(3a)   relu    sigmoid   tanh      relu\n",
    "\nEach sigmoid on the path multiplies the gradient by sigmoid' <= 0.25, so a chain of d\n"
    "sigmoids passes at most 0.25^d. A saturated tanh vanishes just as fast: with weight 3\n"
    "every a_d is near 1, tanh' there is about 0.01, and each layer passes about 0.03 (3e-46\n"
    "at depth 30). With weight 1 the tanh chain drifts towards 0, where tanh' is near 1, and\n"
    "shrinks only slowly. ReLU passes exactly 1 along an active path. In the MLPs the sigmoid\n"
    "network's first layer gets ~1e-21 at depth 30; tanh and ReLU keep gradients of a useful\n"
    "size.\n\n",
    "Gradient reaching the input of a chain of activations",
    "depth",
    "d a_depth / d x (log scale)",
    {"sigmoid", "0.25^depth (bound for sigmoid)", "tanh", "tanh, weight 3 (saturated)", "relu"},
    "Gradient reaching the first layer of an MLP",
    "hidden layers",
    "mean |dy/dw|, first layer (log scale)",
    {"sigmoid MLP (Glorot)", "tanh MLP (Glorot)", "relu MLP (He)"},
    "What gradflow's diagnostics say about the sigmoid chain of depth 30, each link\n"
    "sigmoid(w_k a + b_k) with w_k = 1, b_k = 0 (explain(diagnose(g, a_30))):\n",
};

const Text zh{
    "实验 5：梯度消失\n\n"
    "链：a_d = f(a_(d-1))，a_0 = x = 1；看传回 x 的梯度 d a_d / d x。tanh 链另做一组\n"
    "权重为 3 的：a_d = tanh(3 a_(d-1))，它让每个 tanh 都进入饱和区。\n"
    "多层感知机：2 个输入，d 个隐藏层、每层 {} 个神经元，一个线性输出，偏置为 0，种子 1；\n"
    "sigmoid 和 tanh 网络用 Glorot（Xavier）均匀初始化，ReLU 网络用 He 初始化；\n"
    "取第一层权重的 |dy/dw| 平均值，再对 4 个输入取平均。\n\n"
    "          -------------------------- 链 --------------------------   -------- 多层感知机 "
    "--------\n"
    "  深度    sigmoid    0.25^深度   tanh      tanh(3a)   relu    sigmoid   tanh      relu\n",
    "\n路径上每个 sigmoid 都把梯度乘以 sigmoid' <= 0.25，所以 d 个 sigmoid 组成的链最多\n"
    "只传回 0.25^d。饱和的 tanh 消失得一样快：权重为 3 时每个 a_d 都接近 1，那里的 tanh'\n"
    "约为 0.01，每层只传回约 0.03（深度 30 时约 3e-46）。权重为 1 时 tanh 链逐渐趋向 0，\n"
    "那里 tanh' 接近 1，梯度只缓慢变小。ReLU 沿激活的路径恰好传回 1。多层感知机里，\n"
    "深度 30 的 sigmoid 网络第一层只收到约 1e-21；tanh 和 ReLU 网络的梯度仍然可用。\n\n",
    "传到激活函数链输入端的梯度",
    "深度",
    "d a_深度 / d x（对数坐标）",
    {"sigmoid", "0.25^深度（sigmoid 的上界）", "tanh", "tanh，权重 3（饱和）", "relu"},
    "传到多层感知机第一层的梯度",
    "隐藏层数",
    "第一层的平均 |dy/dw|（对数坐标）",
    {"sigmoid 网络（Glorot）", "tanh 网络（Glorot）", "relu 网络（He）"},
    "gradflow 的诊断对深度 30 的 sigmoid 链是这样说的，每一环是 sigmoid(w_k a + b_k)，\n"
    "w_k = 1，b_k = 0（explain(diagnose(g, a_30))）：\n",
};

}  // namespace

int main(int argc, char** argv) try {
  const auto args = gt::parse_args(argc, argv, "Experiment 5: vanishing gradients.");
  const Text& t = gt::pick(args, en, zh);
  const auto r = gt::vanishing_gradients(30);
  fmt::print(fmt::runtime(t.intro), r.width);
  for (std::size_t i = 0; i < r.depth.size(); ++i) {
    const int d = static_cast<int>(r.depth[i]);
    if (d > 5 && d % 5 != 0) continue;
    fmt::print(
        "  {:5}   {:9.3e}  {:9.3e}   {:7.5f}   {:9.3e}  {:4g}    {:8.2e}  {:8.2e}  {:8.2e}\n", d,
        r.chain_sigmoid[i], std::pow(0.25, d), r.chain_tanh[i], r.chain_tanh_w3[i], r.chain_relu[i],
        r.mlp_sigmoid[i], r.mlp_tanh[i], r.mlp_relu[i]);
  }
  fmt::print("{}", t.outro);
  {
    gradflow::Graph g;
    auto a = g.input("x", 1.0);
    for (int k = 1; k <= 30; ++k)
      a = sigmoid(bias(g.parameter(fmt::format("w{}", k), 1.0) * a,
                       g.parameter(fmt::format("b{}", k), 0.0)));
    fmt::print("{}{}\n", t.diagnosis,
               gradflow::to_text(gradflow::explain(gradflow::diagnose(g, a), {}, args.lang)));
  }
  std::vector<double> bound;
  for (double d : r.depth) bound.push_back(std::pow(0.25, d));
  const auto sig = gt::colour(Activation::sigmoid), tanh = gt::colour(Activation::tanh),
             relu = gt::colour(Activation::relu);
  plot::ChartOptions chains{t.chains_title, t.depth_axis, t.chains_axis, true};
  chains.integer_x = true;
  write_chart(
      args, "tutorial_5_chains.svg",
      plot::line_chart({{t.chain_series[0], r.depth, r.chain_sigmoid, sig},
                        {t.chain_series[1], r.depth, bound, "#6b7280", plot::Stroke::dotted},
                        {t.chain_series[2], r.depth, r.chain_tanh, tanh},
                        {t.chain_series[3], r.depth, r.chain_tanh_w3, tanh, plot::Stroke::dashed},
                        {t.chain_series[4], r.depth, r.chain_relu, relu}},
                       chains));
  plot::ChartOptions mlps{t.mlps_title, t.layers_axis, t.mlps_axis, true};
  mlps.integer_x = true;
  write_chart(args, "tutorial_5_mlps.svg",
              plot::line_chart({{t.mlp_series[0], r.depth, r.mlp_sigmoid, sig},
                                {t.mlp_series[1], r.depth, r.mlp_tanh, tanh},
                                {t.mlp_series[2], r.depth, r.mlp_relu, relu}},
                               mlps));
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "{}\n", e.what());
  return 1;
}
