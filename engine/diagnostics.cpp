#include <gradflow/engine/diagnostics.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <fmt/format.h>

#include <gradflow/graph/plan.hpp>
#include <gradflow/ops/errors.hpp>

namespace gradflow {
namespace {

std::string num(double v) {
  if (std::isnan(v)) return "NaN";
  return fmt::format("{:.4g}", v == 0.0 ? 0.0 : v);
}

// "a, b, c and 4 more"
std::string list_nodes(const Graph& g, std::span<const NodeId> ids, std::size_t max = 8) {
  std::string out;
  for (std::size_t i = 0; i < ids.size() && i < max; ++i) out += (i ? ", " : "") + g.label(ids[i]);
  if (ids.size() > max) out += fmt::format(" and {} more", ids.size() - max);
  return out;
}

// "a、b、c 以及另外 4 个"
std::string list_nodes_zh(const Graph& g, std::span<const NodeId> ids, std::size_t max = 8) {
  std::string out;
  for (std::size_t i = 0; i < ids.size() && i < max; ++i) out += (i ? "、" : "") + g.label(ids[i]);
  if (ids.size() > max) out += fmt::format(" 以及另外 {} 个", ids.size() - max);
  return out;
}

// Final gradient of every node: what its step passed on (after hooks), 0 where unreached.
std::vector<double> final_gradients(const Stepper& s) {
  std::vector<double> grad(s.graph().size(), 0.0);
  for (std::size_t k = 0; k < s.size(); ++k) {
    const BackwardStep st = s.at(k);
    grad[st.node] = st.passed;
  }
  return grad;
}

// Parameters in the cone of `from` (itself included) whose final gradient is exactly 0, in id
// order.
std::vector<NodeId> starved_below(const Graph& g, NodeId from, const std::vector<double>& grad) {
  std::vector<NodeId> out;
  for (const NodeId n : make_plan(g, from).order)
    if (g.op(n) == Op::parameter && grad[n] == 0.0) out.push_back(n);
  return out;
}

FlowRow make_row(std::string label, std::span<const NodeId> nodes, const Graph& g,
                 const std::vector<double>& grad) {
  FlowRow r;
  r.label = std::move(label);
  r.nodes = nodes.size();
  double sum = 0.0;
  for (NodeId n : nodes) {
    const double a = std::fabs(grad[n]);
    sum += a;
    r.max_abs = std::max(r.max_abs, a);
    r.zeros += grad[n] == 0.0;
    r.params += g.op(n) == Op::parameter;
  }
  r.mean_abs = nodes.empty() ? 0.0 : sum / static_cast<double>(nodes.size());
  return r;
}

}  // namespace

std::vector<int> depths_from(const Graph& g, NodeId root) {
  if (root >= g.size())
    throw UsageError(
        fmt::format("gradflow: depths_from node #{}: the graph has {} nodes", root, g.size()));
  const Plan plan = make_plan(g, root);
  std::vector<int> depth(g.size(), -1);
  depth[root] = 0;
  // The plan is in id order, operands first; reversed, consumers come before their operands,
  // so every node's depth is final before it is relaxed into its operands.
  for (auto it = plan.order.rbegin(); it != plan.order.rend(); ++it)
    for (NodeId m : g.operands(*it)) depth[m] = std::max(depth[m], depth[*it] + 1);
  return depth;
}

DiagnosticReport diagnose(const Graph& g, Node root, const DiagnosticOptions& options) {
  return diagnose(Stepper(g, root), options);
}

DiagnosticReport diagnose(const Stepper& pass, const DiagnosticOptions& options) {
  const Graph& g = pass.graph();
  DiagnosticReport r;
  r.graph = &g;
  r.root = pass.root();
  r.options = options;
  const std::vector<double> grad = final_gradients(pass);
  const auto params = pass.parameters();

  // Non-finite values: in id order (evaluation order), the first is the origin, since all its
  // operands come before it and are finite.
  for (std::size_t k = pass.size(); k-- > 0;) {
    const NodeId n = pass.step_nodes()[k];
    if (!std::isfinite(pass.value(n))) {
      r.non_finite_value = NonFinite{n, pass.value(n), false};
      break;
    }
  }

  for (std::size_t k = 0; k < pass.size(); ++k) {
    const BackwardStep st = pass.at(k);
    if (!r.non_finite_grad && std::isfinite(st.upstream) && !std::isfinite(st.passed))
      r.non_finite_grad = NonFinite{st.node, st.passed, true};  // a hook made it
    for (const BackwardEdge& e : st.edges) {
      if (!r.non_finite_grad && std::isfinite(st.passed) && std::isfinite(e.grad_before) &&
          !std::isfinite(e.grad_after))
        r.non_finite_grad = NonFinite{st.node, e.grad_after, true, e.operand, e.local_derivative};
      if (e.local_derivative == 0.0 && st.passed != 0.0 && std::isfinite(st.passed))
        r.blocked.push_back(BlockedEdge{st.node, e.slot, e.operand, pass.value(e.operand),
                                        st.passed, starved_below(g, e.operand, grad)});
    }
    if (st.op == Op::step && g.conventions().step_gradient != StepGradient::exact)
      r.surrogates.push_back(
          {st.node, pass.value(st.edges[0].operand), st.edges[0].local_derivative});
    if (info(st.op).saturating) {
      const Squashing q{st.node, pass.value(st.edges[0].operand), st.edges[0].local_derivative};
      r.squashing.push_back(q);
      // As ops' saturated(), with this report's threshold: exactly 0 is blocked, NaN is neither.
      if (q.local_derivative != 0.0 && std::fabs(q.local_derivative) < options.saturation)
        r.saturated.push_back(q);
    }
    if (std::isfinite(st.passed) && std::fabs(st.passed) > options.exploding)
      r.exploding.push_back({st.node, st.passed});
  }

  for (NodeId p : params) {
    if (pass.index_of(p) == Stepper::npos) r.unreached.push_back(p);
    if (std::isfinite(grad[p]))
      r.largest_param_grad = std::max(r.largest_param_grad, std::fabs(grad[p]));
  }
  for (NodeId p : params) {
    const double a = std::fabs(grad[p]);
    if (pass.index_of(p) != Stepper::npos && a != 0.0 &&
        (a < options.tiny_parameter_gradient ||
         a < options.tiny_parameter_gradient_ratio * r.largest_param_grad))
      r.vanishing.push_back({p, grad[p]});
  }

  // Gradient flow per depth and per group.
  r.depth = depths_from(g, r.root);
  int deepest = 0;
  for (int d : r.depth) deepest = std::max(deepest, d);
  std::vector<std::vector<NodeId>> at_depth(static_cast<std::size_t>(deepest) + 1);
  for (NodeId n : pass.step_nodes()) at_depth[static_cast<std::size_t>(r.depth[n])].push_back(n);
  for (std::size_t d = 0; d < at_depth.size(); ++d)
    r.by_depth.push_back(make_row(std::to_string(d), at_depth[d], g, grad));
  for (const Group& grp : g.groups()) {
    std::vector<NodeId> members;
    for (NodeId n = grp.begin; n < grp.end; ++n)
      if (pass.index_of(n) != Stepper::npos) members.push_back(n);
    if (!members.empty()) r.by_group.push_back(make_row(grp.name, members, g, grad));
  }
  return r;
}

std::vector<ReluActivity> relu_activity(Graph& g, Node root,
                                        std::span<const std::vector<double>> rows) {
  g.check(root, "relu_activity");
  const std::vector<Node> inputs = g.inputs();
  std::vector<double> saved;
  saved.reserve(inputs.size());
  for (const Node& x : inputs) saved.push_back(x.value());
  const std::vector<int> depth = depths_from(g, root.id());
  std::vector<ReluActivity> out;
  for (NodeId n = 0; n < g.size(); ++n)
    if (g.op(n) == Op::relu && depth[n] >= 0) out.push_back({n, 0, 0});
  const auto restore = [&] {
    for (std::size_t i = 0; i < inputs.size(); ++i) inputs[i].set(saved[i]);
  };
  try {
    for (std::size_t r = 0; r < rows.size(); ++r) {
      if (rows[r].size() != inputs.size())
        throw UsageError(fmt::format(
            "gradflow: relu_activity: row {} has {} values, but the graph has {} inputs", r,
            rows[r].size(), inputs.size()));
      for (std::size_t i = 0; i < inputs.size(); ++i) inputs[i].set(rows[r][i]);
      g.forward();
      for (ReluActivity& a : out) {
        ++a.rows;
        a.active += g.local_derivative(a.node, 0) != 0.0;
      }
    }
  } catch (...) {
    restore();
    throw;
  }
  restore();
  return out;
}

// ---- printing -----------------------------------------------------------------------------------

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::error:
      return "error";
    case Severity::warning:
      return "warning";
    case Severity::note:
      return "note";
  }
  return "note";
}

std::vector<Finding> explain(const DiagnosticReport& r, std::span<const ReluActivity> relus,
                             Language lang) {
  if (r.graph == nullptr) throw UsageError("gradflow: explain: an empty report");
  const Graph& g = *r.graph;
  // Chinese is written for learners as its own sentences, not word for word; the numbers, node
  // labels and op names are the same in both languages.
  const bool zh = lang == Language::zh;
  std::vector<Finding> out;
  const auto say = [&out](Severity severity, std::string_view kind, std::string text,
                          std::vector<NodeId> nodes) {
    out.push_back(Finding{severity, std::string(kind), std::move(text), std::move(nodes)});
  };
  const auto node_text = [&g, zh](NodeId n) {
    return zh ? fmt::format("{} 节点“{}”", info(g.op(n)).name, g.label(n))
              : fmt::format("the {} node '{}'", info(g.op(n)).name, g.label(n));
  };
  // In Chinese, the list followed by a space only when it ends in a Latin label ("w1、b 的"),
  // not after "以及另外 39 个".
  const auto nodes_text = [&g, zh](std::span<const NodeId> ids) {
    if (!zh) return list_nodes(g, ids);
    std::string list = list_nodes_zh(g, ids);
    if (!list.empty() && static_cast<unsigned char>(list.back()) < 0x80) list += ' ';
    return list;
  };

  if (r.non_finite_value) {
    const NonFinite& f = *r.non_finite_value;
    const bool leaf = g.kind(f.node) != NodeKind::op;
    say(Severity::error, "non_finite_value",
        zh ? fmt::format("{}{}非有限值（{}）；由它算出的每个值、经过它的每个梯度都不可信。",
                         node_text(f.node), leaf ? "的值是" : "最先算出", f.value)
           : fmt::format("{} {} a non-finite value ({}); every value computed from it, and every "
                         "gradient through it, is suspect.",
                         node_text(f.node), leaf ? "holds" : "is the first to compute", f.value),
        {f.node});
  }
  if (r.non_finite_grad) {
    const NonFinite& f = *r.non_finite_grad;
    if (f.operand == no_node)
      say(Severity::error, "non_finite_gradient",
          zh ? fmt::format("梯度在{}处首次变成非有限值（{}），是钩子（hook）把它设成这样的。",
                           node_text(f.node), f.value)
             : fmt::format("The gradient first becomes non-finite at {} ({}), set so by a hook.",
                           node_text(f.node), f.value),
          {f.node});
    else
      say(Severity::error, "non_finite_gradient",
          zh ? fmt::format("梯度在从{}到“{}”的边上首次变成非有限值：局部导数 {} 得出 {}。",
                           node_text(f.node), g.label(f.operand), f.local_derivative, f.value)
             : fmt::format("The gradient first becomes non-finite at the edge from {} to '{}': "
                           "local derivative {} gives {}.",
                           node_text(f.node), g.label(f.operand), f.local_derivative, f.value),
          {f.node, f.operand});
  }

  std::size_t reached_params = 0;
  for (NodeId p = 0; p < g.size(); ++p)
    reached_params += g.op(p) == Op::parameter && r.depth[p] >= 0;
  for (const BlockedEdge& b : r.blocked) {
    std::string why;
    switch (g.op(b.node)) {
      case Op::step:
        why = zh ? fmt::format("在输入 {} 处 step′ = 0", num(b.operand_value))
                 : fmt::format("step' = 0 at its input {}", num(b.operand_value));
        break;
      case Op::relu:
        why = zh ? fmt::format("这个 ReLU 处于关闭状态：它的输入 {} {} 0", num(b.operand_value),
                               b.operand_value < 0.0 ? "小于" : "等于")
                 : fmt::format("the ReLU is off: its input {} is {} 0", num(b.operand_value),
                               b.operand_value < 0.0 ? "below" : "at");
        break;
      default:
        if (g.operands(b.node).size() == 2 && g.op(b.node) == Op::mul) {
          const NodeId other = g.operands(b.node)[1 - b.slot];
          why = zh ? fmt::format("它的另一个因子“{}”是 0", g.label(other))
                   : fmt::format("its other factor '{}' is 0", g.label(other));
        } else {
          why = zh ? fmt::format("它对“{}”的局部导数恰好是 0", g.label(b.operand))
                   : fmt::format("its local derivative with respect to '{}' is exactly 0",
                                 g.label(b.operand));
        }
    }
    const bool all = !b.starved.empty() && b.starved.size() == reached_params;
    const bool toward = g.operands(b.node).size() > 1;
    std::vector<NodeId> nodes{b.node, b.operand};
    for (const NodeId p : b.starved)
      if (p != b.operand) nodes.push_back(p);
    if (zh) {
      const std::string effect = b.starved.empty()
                                     ? std::string("不过它下面的每个参数仍能沿别的路径得到梯度")
                                     : fmt::format("所以 {}的梯度是 0", nodes_text(b.starved));
      std::string what =
          all ? std::string("全部梯度") : fmt::format("它收到的梯度 {}", num(b.upstream));
      if (toward) what += fmt::format("（通往“{}”的那条边）", g.label(b.operand));
      say(Severity::warning, "blocked",
          fmt::format("{}挡住了{}，因为{}；{}。", node_text(b.node), what, why, effect),
          std::move(nodes));
      continue;
    }
    const std::string effect =
        b.starved.empty()
            ? std::string("every parameter below it still receives gradient along another path")
            : fmt::format("{} {} 0", list_nodes(g, b.starved),
                          b.starved.size() == 1 ? "receives" : "receive");
    std::string what = all ? std::string("all gradient")
                           : fmt::format("the gradient {} it received", num(b.upstream));
    if (toward) what += fmt::format(" toward '{}'", g.label(b.operand));
    say(Severity::warning, "blocked",
        fmt::format("{} blocks {} ({}): {}.", node_text(b.node), what, why, effect),
        std::move(nodes));
  }

  for (const Squashing& s : r.saturated)
    say(Severity::warning, "saturated",
        zh ? fmt::format("{}已经饱和：输入是 {}，局部导数 {} < {}，所以它收到的梯度几乎一点也传不"
                         "下去。",
                         node_text(s.node), num(s.input), num(s.local_derivative),
                         num(r.options.saturation))
           : fmt::format("{} is saturated: its input is {} and its local derivative {} < {}, so "
                         "it passes on almost none of its gradient.",
                         node_text(s.node), num(s.input), num(s.local_derivative),
                         num(r.options.saturation)),
        {s.node});

  if (!r.vanishing.empty()) {
    std::vector<NodeId> ids;
    double smallest = INFINITY;
    for (const NodeValue& v : r.vanishing) {
      ids.push_back(v.node);
      smallest = std::min(smallest, std::fabs(v.value));
    }
    say(Severity::warning, "vanishing",
        zh ? fmt::format("梯度消失了：{}得到的梯度小于 {}（或小于最大参数梯度 {} 的 {} 倍）；"
                         "最小的是 {}。",
                         nodes_text(ids), num(r.options.tiny_parameter_gradient),
                         num(r.largest_param_grad), num(r.options.tiny_parameter_gradient_ratio),
                         num(smallest))
           : fmt::format("The gradient vanishes: {} receive{} less than {} (or {} times the "
                         "largest parameter gradient, {}); the smallest is {}.",
                         list_nodes(g, ids), ids.size() == 1 ? "s" : "",
                         num(r.options.tiny_parameter_gradient),
                         num(r.options.tiny_parameter_gradient_ratio), num(r.largest_param_grad),
                         num(smallest)),
        ids);
    if (r.by_depth.size() > 2)
      say(Severity::note, "depth_decay",
          zh ? fmt::format("平均 |梯度| 从深度 0 处的 {} 降到深度 {} 处的 {}。",
                           num(r.by_depth.front().mean_abs), r.by_depth.size() - 1,
                           num(r.by_depth.back().mean_abs))
             : fmt::format("Mean |gradient| falls from {} at depth 0 to {} at depth {}.",
                           num(r.by_depth.front().mean_abs), num(r.by_depth.back().mean_abs),
                           r.by_depth.size() - 1),
          {});
  }

  // A NaN (or infinite) local derivative is no factor at all: say so, and leave it out of the
  // shrinking factors below.
  std::vector<Squashing> finite;
  for (const Squashing& s : r.squashing) {
    if (std::isfinite(s.local_derivative)) {
      finite.push_back(s);
      continue;
    }
    const bool nan = std::isnan(s.local_derivative);
    const std::string_view what = zh ? (nan ? "NaN" : "无穷大") : (nan ? "NaN" : "infinite");
    say(Severity::error, "non_finite_derivative",
        zh ? fmt::format("{}的局部导数是 {}（它的输入是 {}），所以它传下去的每个梯度也都是 {}。",
                         node_text(s.node), what, num(s.input), what)
           : fmt::format("{} has a local derivative that is {} (its input is {}), so every "
                         "gradient it passes on is {} too.",
                         node_text(s.node), what, num(s.input), what),
        {s.node});
  }
  // Sigmoid and tanh that are not saturated still shrink what they pass on.
  double lo = INFINITY, hi = 0.0;
  for (const Squashing& s : finite) {
    lo = std::min(lo, s.local_derivative);
    hi = std::max(hi, s.local_derivative);
  }
  if (finite.size() == 1 && r.saturated.empty() && lo != 0.0) {
    const NodeId only = finite.front().node;
    const bool sig = g.op(only) == Op::sigmoid;
    const std::string_view name = info(g.op(only)).name;
    const double factor = 1.0 / lo;
    if (zh) {
      const std::string effect =
          factor < 1.005
              ? fmt::format("所以它下面的每个梯度都和去掉这个 {} 时差不多", name)
              : fmt::format("所以它下面的每个梯度都只有去掉这个 {} 时的 1/{:.3g}", name, factor);
      say(Severity::note, "shrinks",
          fmt::format("{}把梯度乘以 {}（{}），{}{}。", node_text(only), num(lo),
                      sig ? "sigmoid′ = y(1−y) 最大为 0.25" : "tanh′ = 1−y² 最大为 1", effect,
                      sig ? "；每经过一层 sigmoid，梯度至少缩小到原来的 1/4，n 层就是 1/4ⁿ" : ""),
          {only});
    } else {
      const std::string effect = factor < 1.005
                                     ? fmt::format(
                                           "so every gradient below it is about what it would be "
                                           "without the {}",
                                           name)
                                     : fmt::format(
                                           "so every gradient below it is {:.3g} times smaller "
                                           "than without the {}",
                                           factor, name);
      say(Severity::note, "shrinks",
          fmt::format("{} multiplies the gradient by {} ({}), {}{}.", node_text(only), num(lo),
                      sig ? "sigmoid' = y(1-y) is at most 0.25" : "tanh' = 1-y^2 is at most 1",
                      effect,
                      sig ? "; through n sigmoid layers it shrinks at least 4^n times" : ""),
          {only});
    }
  } else if (finite.size() > 1) {
    std::vector<NodeId> ids;
    ids.reserve(finite.size());
    for (const Squashing& s : finite) ids.push_back(s.node);
    say(Severity::note, "shrinks",
        zh ? fmt::format("{} 个 sigmoid/tanh 节点各自把梯度乘以 {} 到 {} 之间的一个数；沿着由"
                         "它们连成的链，这些因子会相乘。",
                         finite.size(), num(lo), num(hi))
           : fmt::format("{} sigmoid/tanh nodes multiply the gradient by between {} and {} each; "
                         "along a chain of them these factors multiply.",
                         finite.size(), num(lo), num(hi)),
        std::move(ids));
  }
  const bool straight = g.conventions().step_gradient == StepGradient::straight_through;
  for (const Squashing& s : r.surrogates)
    say(Severity::note, "surrogate",
        zh ? fmt::format("{}传回的是替代梯度：它在 {} 处的局部导数是 {}（{}），而真正的导数是 "
                         "0；正因为如此，阶跃单元才能学习。",
                         node_text(s.node), num(s.input), num(s.local_derivative),
                         straight ? "直通估计：把 step 当作恒等函数来求导"
                                  : "sigmoid 替代：用 sigmoid′(x) 代替")
           : fmt::format("{} passes a surrogate gradient: its local derivative at {} is {} ({}), "
                         "where the true derivative is 0; this is what lets a step unit learn.",
                         node_text(s.node), num(s.input), num(s.local_derivative),
                         straight ? "straight-through: as if step were the identity"
                                  : "sigmoid surrogate: sigmoid'(x)"),
        {s.node});

  if (!r.exploding.empty()) {
    const auto big = std::max_element(r.exploding.begin(), r.exploding.end(),
                                      [](const NodeValue& a, const NodeValue& b) {
                                        return std::fabs(a.value) < std::fabs(b.value);
                                      });
    say(Severity::warning, "exploding",
        zh ? fmt::format("梯度爆炸了：{} 个节点的 |梯度| > {}，第一个是“{}”（{}），最大的是"
                         "“{}”（{}）。",
                         r.exploding.size(), num(r.options.exploding), g.label(r.exploding[0].node),
                         num(r.exploding[0].value), g.label(big->node), num(big->value))
           : fmt::format("The gradient explodes: {} node(s) have |gradient| > {}, first '{}' "
                         "({}), largest '{}' ({}).",
                         r.exploding.size(), num(r.options.exploding), g.label(r.exploding[0].node),
                         num(r.exploding[0].value), g.label(big->node), num(big->value)),
        {r.exploding[0].node, big->node});
  }
  for (const ReluActivity& a : relus)
    if (a.dead())
      say(Severity::warning, "dead_relu",
          zh ? fmt::format("{}已经“死亡”：在全部 {} 个输入上都处于关闭状态（relu′ = 0），它下面"
                           "的任何参数都无法经过它学习。",
                           node_text(a.node), a.rows)
             : fmt::format("{} is dead: off (relu' = 0) on all {} inputs, so nothing below it "
                           "learns through it.",
                           node_text(a.node), a.rows),
          {a.node});
  if (!r.unreached.empty())
    say(Severity::note, "unreached",
        zh ? fmt::format("{}和“{}”之间没有路径相连，所以得不到来自它的梯度。",
                         nodes_text(r.unreached), g.label(r.root))
           : fmt::format("{} do{} not reach '{}' and get{} no gradient from it.",
                         list_nodes(g, r.unreached), r.unreached.size() == 1 ? "es" : "",
                         g.label(r.root), r.unreached.size() == 1 ? "s" : ""),
        r.unreached);
  if (out.empty())
    say(Severity::note, "ok",
        zh ? fmt::format("没有发现问题：每个参数都得到了梯度（最大的 |梯度| 是 {}）。",
                         num(r.largest_param_grad))
           : fmt::format("No problem found: every parameter receives gradient (largest "
                         "|gradient| {}).",
                         num(r.largest_param_grad)),
        {});
  return out;
}

std::string to_text(std::span<const Finding> findings) {
  std::string out;
  for (const Finding& f : findings) {
    out += "- ";
    out += f.text;
    out += '\n';
  }
  return out;
}

std::string flow_table(const DiagnosticReport& r) {
  const auto table = [](std::string_view head, const std::vector<FlowRow>& rows) {
    std::size_t w = head.size();
    for (const auto& row : rows) w = std::max(w, row.label.size());
    std::string out = fmt::format("{:<{}}  {:>5}  {:>6}  {:>11}  {:>11}  {:>5}\n", head, w, "nodes",
                                  "params", "mean |\u2207|", "max |\u2207|", "zeros");
    // A rule as wide as the header in columns: "∇" is three bytes and one column (fmt pads by
    // columns too).
    const auto columns = static_cast<std::size_t>(
        std::count_if(out.begin(), out.end(), [](char c) { return (c & 0xC0) != 0x80; }));
    out += std::string(columns - 1, '-') + "\n";
    for (const auto& row : rows)
      out += fmt::format("{:<{}}  {:>5}  {:>6}  {:>11.4g}  {:>11.4g}  {:>5}\n", row.label, w,
                         row.nodes, row.params, row.mean_abs, row.max_abs, row.zeros);
    return out;
  };
  std::string out = table("depth", r.by_depth);
  if (!r.by_group.empty()) {
    out += '\n';  // not "\n" + table(...): GCC 12 warns falsely (-Wrestrict) on that
    out += table("group", r.by_group);
  }
  return out;
}

}  // namespace gradflow
