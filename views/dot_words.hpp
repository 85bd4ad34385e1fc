// The Graphviz dump's own words in each Language: row captions, marks, the caption, the legend
// and the size guards' notes. Numbers, node names and op names are the same in every language.
// Internal to the DOT writer; not part of gradflow's API.
#pragma once

#include <string_view>

#include <gradflow/views/language.hpp>

namespace gradflow::dot_drawing {

struct Words {
  // node rows; "∇" marks a node's accumulated gradient everywhere
  const char* value;
  const char* grad;       // "∇ grad"
  const char* grad_root;  // "∇ grad (root)"
  const char* no_gradient_yet;
  const char* not_reached;
  const char* saturated;    // "⚠ saturated: σ′ = ..."
  const char* recorded_of;  // "∂² of y #5": {} derivative, {} node
  // collapsed boxes and bundles
  const char* unnamed;
  const char* group;
  const char* box_nodes;  // "{kind} · {n} nodes"
  const char* box_calls;  // " · {n} calls"
  const char* out;
  const char* last_out;
  const char* params;         // "{n} params"
  const char* param;          // "1 param"
  const char* max_grad;       // "max |∇| {}"
  const char* box_saturated;  // "{n} saturated"
  const char* box_blocked;    // "{n} blocked edges inside"
  const char* edges;          // "{n} edges"
  const char* max_back;       // "max |←| {}"
  // edge marks
  const char* blocked;
  const char* detached;
  const char* vanishing;
  // caption and legend
  const char* after_backward;  // "after backward: gradients of {}"
  const char* after_forward;
  const char* nodes;
  const char* input;
  const char* parameter;
  const char* constant;
  const char* op;
  const char* collapsed_group;
  const char* backward_recorded;
  const char* highlighted;
  const char* scale;  // the heat scale's caption
  const char* zero;
  const char* unreached;
  const char* grammar;  // what ∂, ← and ∇ mean; {0} is the arrow
  const char* blocked_means;
  const char* saturated_means;  // {} the squashing activations
  const char* vanishing_means;
  const char* detached_means;
  const char* size_guard;   // {before} {max} {kinds} {boxes}
  const char* edge_labels;  // {edges} {max}
  // kinds of groups the library and the examples record
  const char* layer;
  const char* neuron;
  const char* backward;
  // tooltips (hover in the SVG)
  const char* tip_operands;     // ", ... {n} operands"
  const char* tip_recorded;     // "; recorded by gradients(): order {k} derivative, from ..."
  const char* tip_grad;         // "; grad {}"
  const char* tip_not_reached;  // "; not reached by backward"
  const char* tip_box;          // {0} name {1} kind {2} nodes {3} last node {4} its value
  const char* tip_passes;       // {0} ∇ {1} ∂ {2} ← {3} operand
  const char* tip_vanishing;    // {} threshold
  const char* tip_detached;
  const char* tip_blocked;
  const char* tip_saturated;  // {} threshold
  const char* tip_bundle;     // {0} count {1} from {2} to {3} first edge {4} largest
};

inline constexpr Words english{
    .value = "value",
    .grad = "\u2207 grad",
    .grad_root = "\u2207 grad (root)",
    .no_gradient_yet = "no gradient yet",
    .not_reached = "not reached",
    .saturated = "saturated",
    .recorded_of = "{} of {}",
    .unnamed = "(unnamed)",
    .group = "group",
    .box_nodes = "{} \u00b7 {} nodes",
    .box_calls = " \u00b7 {} calls",
    .out = "out: ",
    .last_out = "last out: ",
    .params = "{} params",
    .param = "1 param",
    .max_grad = "max |\u2207| {}",
    .box_saturated = "{} saturated",
    .box_blocked = "{} blocked edges inside",
    .edges = "{} edges",
    .max_back = "max |{}| {}",
    .blocked = "blocked",
    .detached = "detached",
    .vanishing = "vanishing",
    .after_backward = "after backward: gradients of {}",
    .after_forward = "after forward: no gradients yet",
    .nodes = "nodes",
    .input = "input",
    .parameter = "parameter",
    .constant = "constant",
    .op = "op",
    .collapsed_group = "collapsed group",
    .backward_recorded = "backward: recorded by gradients()",
    .highlighted = "highlighted",
    .scale = "|\u2207| at node borders, |{}| on edges",
    .zero = "0",
    .unreached = "not reached",
    .grammar =
        "on edges: \u2202 local derivative d(consumer)/d(operand);  {0} contribution "
        "passed back = \u2207 of the consumer \u00d7 \u2202.   in nodes: \u2207 the "
        "node's gradient, the sum of the {0} arriving",
    .blocked_means = "local derivative exactly 0, no gradient passes",
    .saturated_means = "local derivative below 0.01 ({}): less than 1% passes",
    .vanishing_means = "an edge passing less than 1% of what arrived (not 0)",
    .detached_means = "derivative 0 by definition (detach)",
    .size_guard =
        "size guard: {} nodes > max_nodes = {}, so each {} is drawn as one box ({} "
        "boxes); max_nodes = 0 draws every node",
    .edge_labels =
        "{} edges > max_edge_labels = {}: edge numbers are in tooltips (hover in the "
        "SVG)",
    .layer = "layer",
    .neuron = "neuron",
    .backward = "backward",
    .tip_operands = ", ... {} operands",
    .tip_recorded = "; recorded by gradients(): order {} derivative, from the rule of {}",
    .tip_grad = "; grad {}",
    .tip_not_reached = "; not reached by backward",
    .tip_box = "{0} ({1}): {2} nodes drawn as one box; its last node {3} = {4}",
    .tip_passes = "; passes back {0} \u00d7 {1} = {2} to {3}",
    .tip_vanishing = "; vanishing: |local derivative| < {}, less than 1% of what arrives passes",
    .tip_detached = "; detached: its derivative is 0 by definition (detach stops the gradient)",
    .tip_blocked = "; blocked: a local derivative of 0 passes no gradient",
    .tip_saturated = "; saturated: |local derivative| < {}",
    .tip_bundle = "{0} edges from {1} to {2} (first: edge {3}); largest |gradient passed back| {4}",
};

// Written for learners reading Chinese, in the terms of the Chinese tutorial
// (docs/tutorial.zh.md): 局部导数, 梯度, 反向传播, 饱和, 阻断.
inline constexpr Words chinese{
    .value = "\u503c",                                            // 值
    .grad = "\u2207 \u68af\u5ea6",                                // ∇ 梯度
    .grad_root = "\u2207 \u68af\u5ea6\uff08\u6839\uff09",         // ∇ 梯度（根）
    .no_gradient_yet = "\u5c1a\u65e0\u68af\u5ea6",                // 尚无梯度
    .not_reached = "\u53cd\u5411\u4f20\u64ad\u672a\u5230\u8fbe",  // 反向传播未到达
    .saturated = "\u9971\u548c",                                  // 饱和
    .recorded_of = "{1} \u7684 {0}",                              // y 的 ∂²
    .unnamed = "\uff08\u672a\u547d\u540d\uff09",                  // （未命名）
    .group = "\u7ec4",                                            // 组
    .box_nodes = "{} \u00b7 {} \u4e2a\u8282\u70b9",               // 个节点
    .box_calls = " \u00b7 \u8c03\u7528 {} \u6b21",                // 调用 n 次
    .out = "\u8f93\u51fa\uff1a",                                  // 输出：
    .last_out = "\u6700\u540e\u8f93\u51fa\uff1a",                 // 最后输出：
    .params = "{} \u4e2a\u53c2\u6570",                            // n 个参数
    .param = "1 \u4e2a\u53c2\u6570",
    .max_grad = "\u6700\u5927 |\u2207| {}",                           // 最大
    .box_saturated = "{} \u4e2a\u9971\u548c",                         // n 个饱和
    .box_blocked = "\u5185\u90e8 {} \u6761\u8fb9\u88ab\u963b\u65ad",  // 内部 n 条边被阻断
    .edges = "{} \u6761\u8fb9",                                       // n 条边
    .max_back = "\u6700\u5927 |{}| {}",
    .blocked = "\u963b\u65ad",         // 阻断
    .detached = "\u5df2\u5206\u79bb",  // 已分离
    .vanishing = "\u6d88\u5931",       // 消失
    // 反向传播之后：{} 的梯度
    .after_backward = "\u53cd\u5411\u4f20\u64ad\u4e4b\u540e\uff1a{} \u7684\u68af\u5ea6",
    // 前向计算之后：尚无梯度
    .after_forward = "\u524d\u5411\u8ba1\u7b97\u4e4b\u540e\uff1a\u5c1a\u65e0\u68af\u5ea6",
    .nodes = "\u8282\u70b9",                        // 节点
    .input = "\u8f93\u5165",                        // 输入
    .parameter = "\u53c2\u6570",                    // 参数
    .constant = "\u5e38\u91cf",                     // 常量
    .op = "\u8fd0\u7b97",                           // 运算
    .collapsed_group = "\u6298\u53e0\u7684\u7ec4",  // 折叠的组
    // 反向：由 gradients() 记录
    .backward_recorded = "\u53cd\u5411\uff1a\u7531 gradients() \u8bb0\u5f55",
    .highlighted = "\u9ad8\u4eae",  // 高亮
    // 节点边框为 |∇|，边为 |←|
    .scale = "\u8282\u70b9\u8fb9\u6846\u4e3a |\u2207|\uff0c\u8fb9\u4e3a |{}|",
    .zero = "0",
    .unreached = "\u672a\u5230\u8fbe",  // 未到达
    // 边上：∂ 局部导数 d(使用者)/d(操作数)；← 传回的贡献 = 使用者的 ∇ × ∂。
    // 节点里：∇ 该节点的梯度，即传到它的所有 ← 之和
    .grammar =
        "\u8fb9\u4e0a\uff1a\u2202 \u5c40\u90e8\u5bfc\u6570 d(\u4f7f\u7528\u8005)/"
        "d(\u64cd\u4f5c\u6570)\uff1b{0} \u4f20\u56de\u7684\u8d21\u732e = "
        "\u4f7f\u7528\u8005\u7684 \u2207 \u00d7 \u2202\u3002   "
        "\u8282\u70b9\u91cc\uff1a\u2207 \u8be5\u8282\u70b9\u7684\u68af\u5ea6\uff0c"
        "\u5373\u4f20\u5230\u5b83\u7684\u6240\u6709 {0} \u4e4b\u548c",
    // 局部导数恰好为 0，梯度完全无法通过
    .blocked_means =
        "\u5c40\u90e8\u5bfc\u6570\u6070\u597d\u4e3a 0\uff0c\u68af\u5ea6"
        "\u5b8c\u5168\u65e0\u6cd5\u901a\u8fc7",
    // 局部导数低于 0.01（sigmoid, tanh）：通过的不到 1%
    .saturated_means =
        "\u5c40\u90e8\u5bfc\u6570\u4f4e\u4e8e 0.01\uff08{}\uff09\uff1a"
        "\u901a\u8fc7\u7684\u4e0d\u5230 1%",
    // 传回的不到到达量的 1%（但不为 0）
    .vanishing_means =
        "\u4f20\u56de\u7684\u4e0d\u5230\u5230\u8fbe\u91cf\u7684 1%"
        "\uff08\u4f46\u4e0d\u4e3a 0\uff09",
    // 导数按定义为 0（detach）
    .detached_means = "\u5bfc\u6570\u6309\u5b9a\u4e49\u4e3a 0\uff08detach\uff09",
    // 尺寸保护：{} 个节点 > max_nodes = {}，所以每个 {} 画成一个框（共 {} 个框）；
    // max_nodes = 0 时画出每个节点
    .size_guard =
        "\u5c3a\u5bf8\u4fdd\u62a4\uff1a{} \u4e2a\u8282\u70b9 > max_nodes = {}"
        "\uff0c\u6240\u4ee5\u6bcf\u4e2a{}\u753b\u6210\u4e00\u4e2a\u6846\uff08\u5171 "
        "{} \u4e2a\u6846\uff09\uff1bmax_nodes = 0 \u65f6\u753b\u51fa\u6bcf\u4e2a"
        "\u8282\u70b9",
    // {} 条边 > max_edge_labels = {}：边上的数字移到了提示里（在 SVG 中悬停查看）
    .edge_labels =
        "{} \u6761\u8fb9 > max_edge_labels = {}\uff1a\u8fb9\u4e0a\u7684"
        "\u6570\u5b57\u79fb\u5230\u4e86\u63d0\u793a\u91cc\uff08\u5728 SVG \u4e2d"
        "\u60ac\u505c\u67e5\u770b\uff09",
    .layer = "\u5c42",               // 层
    .neuron = "\u795e\u7ecf\u5143",  // 神经元
    .backward = "\u53cd\u5411",      // 反向
    .tip_operands = "，……共 {} 个操作数",
    .tip_recorded = "；由 gradients() 记录：{} 阶导数，来自 {} 的求导规则",
    .tip_grad = "；梯度 {}",
    .tip_not_reached = "；反向传播没有到达这里",
    .tip_box = "{0}（{1}）：{2} 个节点画成一个方框；最后一个节点 {3} = {4}",
    .tip_passes = "；传回 {0} \u00d7 {1} = {2} 给 {3}",
    .tip_vanishing = "；梯度消失：|局部导数| < {}，传过去的不到收到的 1%",
    .tip_detached = "；已分离：按定义导数为 0（detach 截断了梯度）",
    .tip_blocked = "；被阻断：局部导数为 0，梯度一点也传不过去",
    .tip_saturated = "；饱和：|局部导数| < {}",
    .tip_bundle = "从 {1} 到 {2} 的 {0} 条边（第一条：边 {3}）；传回的最大 |梯度| 是 {4}",
};

inline constexpr const Words& words(Language l) { return l == Language::zh ? chinese : english; }

/// A group kind in `l`: the kinds gradflow records (layer, neuron, backward) translated, any
/// other kind as the program wrote it.
inline std::string_view kind_word(const Words& w, std::string_view kind) {
  if (kind == "layer") return w.layer;
  if (kind == "neuron") return w.neuron;
  if (kind == "backward") return w.backward;
  return kind;
}

}  // namespace gradflow::dot_drawing
