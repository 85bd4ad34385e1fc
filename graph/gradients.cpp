// gradients(): the reverse sweep of sweep.hpp, recorded as nodes. Where reverse_sweep() adds
// grad[x] += grad[i] * d(i)/d(x) as numbers, this adds them as nodes, in the same order (nodes in
// decreasing id order, operands in slot order), with each local derivative recorded by its op's
// derivative_expr. So at the values they were recorded at, first derivatives carry the same bits
// as Graph::backward's.
#include <gradflow/graph/gradients.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

#include <fmt/format.h>

#include <gradflow/ops/errors.hpp>
#include <gradflow/ops/ops.hpp>

namespace gradflow {
namespace detail {

// The builder the ops' derivative_expr() record through (see ops/ops.hpp). An empty Node is an
// exact zero: it records nothing, and products with it vanish. The constants 1 and -1 are
// handles with reserved ids until an op needs them as operands: products with them are the other
// operand or its negation (exact, so the bits match backward's), and none is recorded for
// nothing.
struct Differentiator {
  using E = Node;
  static constexpr NodeId kOne = no_node - 1, kMinusOne = no_node - 2;

  Graph& g;
  NodeId node = 0;              // the node whose derivative is being recorded
  std::vector<NodeId> operand;  // its operands (copied: recording moves the graph's arrays)
  std::vector<std::pair<std::uint64_t, NodeId>> constants;  // recorded by this call, by bits

  explicit Differentiator(Graph& graph) : g(graph) {}

  E x(std::size_t k) const { return g.handle(operand[k]); }
  E y() const { return g.handle(node); }
  double value(std::size_t k) const { return g.ws_.value[operand[k]]; }
  double y_value() const { return g.ws_.value[node]; }
  double attr() const { return g.attr(node); }
  const Conventions& conventions() const { return g.conventions_; }

  static E zero() { return {}; }
  E one() const { return g.handle(kOne); }
  E c(double v) {
    if (v == 1.0) return g.handle(kOne);
    if (v == -1.0) return g.handle(kMinusOne);
    return constant(v);
  }
  // A recorded constant node (one per value and call).
  E constant(double v) {
    std::uint64_t bits;  // the double's bits (memcpy: emscripten's libc++ has no bit_cast)
    std::memcpy(&bits, &v, sizeof bits);
    for (const auto& [b, id] : constants)
      if (b == bits) return g.handle(id);
    const Node n = g.constant(v);
    constants.emplace_back(bits, n.id());
    return n;
  }
  static bool is_one(const E& e) { return e.valid() && e.id() == kOne; }
  static bool is_minus_one(const E& e) { return e.valid() && e.id() == kMinusOne; }
  // e as a node of the graph: zero, 1 and -1 recorded as constants.
  E real(const E& e) {
    if (!e.valid()) return constant(0.0);
    if (is_one(e)) return constant(1.0);
    if (is_minus_one(e)) return constant(-1.0);
    return e;
  }

  E add(const E& a, const E& b) {
    if (!a.valid()) return b;
    if (!b.valid()) return a;
    return g.apply(Op::add, {real(a), real(b)});
  }
  E sub(const E& a, const E& b) {
    if (!b.valid()) return a;
    if (!a.valid()) return neg(b);
    return g.apply(Op::sub, {real(a), real(b)});
  }
  E mul(const E& a, const E& b) {
    if (!a.valid() || !b.valid()) return {};
    if (is_one(a)) return b;
    if (is_one(b)) return a;
    if (is_minus_one(a)) return neg(b);
    if (is_minus_one(b)) return neg(a);
    return g.apply(Op::mul, {a, b});
  }
  E div(const E& a, const E& b) {
    if (!a.valid() && b.valid()) return {};
    return g.apply(Op::div, {real(a), real(b)});
  }
  E neg(const E& a) {
    if (!a.valid()) return {};
    if (is_one(a)) return g.handle(kMinusOne);
    if (is_minus_one(a)) return g.handle(kOne);
    return g.apply(Op::neg, {a});
  }
  E apply(Op op, const E& a, double attr = 0.0) { return g.apply(op, {real(a)}, attr); }
  E apply(Op op, const E& a, const E& b) { return g.apply(op, {real(a), real(b)}); }

  [[noreturn]] void first_order_only(const char* why) const {
    throw UsageError(fmt::format(
        "gradflow: gradients: node {}: {}, first-order only: it has no derivative of its own to "
        "record. Graph::backward uses it; for gradients() set Conventions::step_gradient = "
        "StepGradient::exact",
        g.describe(node), why));
  }

  std::vector<Node> run(NodeId root, std::span<const Node> wrt);
};

std::vector<Node> Differentiator::run(NodeId root, std::span<const Node> wrt) {
  // Which nodes depend on some node of wrt: only they pass derivatives on.
  std::vector<std::uint8_t> dep(std::size_t{root} + 1, 0);
  NodeId low = root;
  for (const Node& w : wrt)
    if (w.id() <= root) {
      dep[w.id()] = 1;
      low = std::min(low, w.id());
    }
  for (NodeId i = low + 1; i <= root; ++i) {
    if (info(g.op(i)).stops_gradient) continue;  // nothing passes: record nothing for it
    for (const NodeId k : g.operands(i))
      if (dep[k]) {
        dep[i] = 1;
        break;
      }
  }

  const BackwardSpan* of_root = g.backward_of(root);
  const std::uint32_t order = (of_root != nullptr ? of_root->order : 0) + 1;
  std::string name = fmt::format("d {} / d ", g.label(root));
  for (std::size_t k = 0; k < wrt.size() && k < 4; ++k)
    name += (k ? ", " : "") + g.label(wrt[k].id());
  if (wrt.size() > 4) name += fmt::format(", ... ({} nodes)", wrt.size());

  const std::size_t start = g.size(), groups = g.groups_.size(), open = g.open_groups_.size(),
                    spans = g.backward_.size();
  std::vector<Node> adj(std::size_t{root} + 1);
  std::vector<Node> out;
  g.begin_group(std::move(name), "backward");
  try {
    const auto span = [&](NodeId of, std::size_t begin) {
      if (g.size() > begin)
        g.backward_.push_back(
            {static_cast<NodeId>(begin), static_cast<NodeId>(g.size()), of, order});
    };
    for (NodeId i = root + 1; i-- > low;) {
      if (!dep[i] || g.kind(i) != NodeKind::op || (i != root && !adj[i].valid())) continue;
      const std::size_t begin = g.size();
      node = i;
      const auto ids = g.operands(i);
      operand.assign(ids.begin(), ids.end());
      const Node gi = i == root ? one() : adj[i];
      with_rule(g.op(i), [&](auto rule) {
        using R = decltype(rule);
        if constexpr (R::info.arity != 0) {
          derivative_exprs<R>(*this, operand.size(), [&](std::size_t slot, const E& d) {
            const NodeId x = operand[slot];
            if (!dep[x]) return;
            const Node contribution = mul(gi, d);
            if (contribution.valid()) adj[x] = add(adj[x], contribution);
          });
        }
      });
      span(i, begin);
    }
    const std::size_t begin = g.size();
    node = root;
    out.reserve(wrt.size());
    for (const Node& w : wrt)
      out.push_back(real(w.id() == root ? one() : w.id() < root ? adj[w.id()] : zero()));
    span(root, begin);
  } catch (...) {  // leave the graph as it was
    while (g.size() > start) g.pop_last();
    g.groups_.resize(groups);
    g.open_groups_.resize(open);
    g.backward_.resize(spans);
    throw;
  }
  g.end_group();
  return out;
}

}  // namespace detail

std::vector<Node> gradients(Node y, std::span<const Node> wrt) {
  if (!y.valid())
    throw UsageError("gradflow: gradients: y is an empty handle (default-constructed)");
  Graph& g = y.graph();
  g.check(y, "gradients of");
  for (const Node& w : wrt) g.check(w, "gradients with respect to");
  (void)g.value(y.id());  // brings values up to date; throws the failure y depends on
  return detail::Differentiator(g).run(y.id(), wrt);
}

std::vector<Node> gradients(Node y, std::initializer_list<Node> wrt) {
  return gradients(y, std::span<const Node>(wrt.begin(), wrt.size()));
}

Node gradient(Node y, Node x) { return gradients(y, {x})[0]; }

}  // namespace gradflow
