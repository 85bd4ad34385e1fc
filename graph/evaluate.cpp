// Forward and reverse sweeps. Each is one loop over flat arrays; per node, with_rule() jumps to
// the op's inlined rule from ops/ops.hpp. No recursion, no allocation per node.
#include <gradflow/graph/evaluate.hpp>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include <gradflow/ops/errors.hpp>

namespace gradflow {
namespace {

// Raw views of the arrays the sweeps touch, read once per sweep into locals (stores through
// the byte array `reached` may alias anything, so nothing is re-read from the graph per node).
struct Arrays {
  explicit Arrays(const Graph& g)
      : conv(g.conventions()),
        n(static_cast<NodeId>(g.size())),
        graph(g),
        op(detail::Access::ops(g)),
        first(detail::Access::first(g)),
        arg(detail::Access::args(g)),
        attr(detail::Access::attrs(g)) {}
  const Conventions& conv;
  NodeId n;
  const Graph& graph;
  const Op* op;
  const std::uint32_t* first;
  const NodeId* arg;
  const double* attr;
  const NodeId* args(NodeId i) const { return arg + first[i]; }
};

std::string operand_text(const Graph& g, NodeId id, double v) {
  return fmt::format("'{}' (#{}, {}) = {}", g.label(id), id, info(g.op(id)).name, v);
}

[[noreturn]] void throw_domain(const Graph& g, const Workspace& ws, NodeId i, std::size_t slot,
                               const char* reason, bool recording) {
  const NodeId a = g.operands(i)[slot];
  const Op op = g.op(i);
  const std::string where =
      recording
          ? fmt::format("building {}: operand {}", info(op).name, operand_text(g, a, ws.value[a]))
          : fmt::format("evaluating node '{}' (#{}, {}): operand {}", g.label(i), i, info(op).name,
                        operand_text(g, a, ws.value[a]));
  std::string msg = fmt::format("gradflow: {}: {}", where, reason);
  if (op == Op::pow) msg += fmt::format(" (exponent {})", g.attr(i));
  if (recording) msg += fmt::format("; the {} node was not recorded", info(op).name);
  throw DomainError(msg, i, op, ws.value[a]);
}

[[noreturn]] void throw_non_finite(const Graph& g, NodeId i, double v, bool in_gradient) {
  throw NumericError(
      fmt::format("gradflow: check mode: the {} of node '{}' (#{}, {}) is {}, the first to "
                  "become non-finite in {}",
                  in_gradient ? "gradient" : "value", g.label(i), i, info(g.op(i)).name, v,
                  in_gradient ? "the backward pass" : "evaluation order"),
      i, in_gradient, v);
}

// Computes v[i] from its operands' values.
inline void forward_node(const Arrays& a, Workspace& ws, double* v, NodeId i, bool recording) {
  with_rule(a.op[i], [&](auto rule) {
    using R = decltype(rule);
    if constexpr (R::info.arity == 1) {
      const double x = v[a.args(i)[0]];
      if constexpr (UnaryDomain<R>) {
        if (const char* why = R::domain(x, a.attr[i]))
          throw_domain(a.graph, ws, i, 0, why, recording);
      }
      v[i] = R::forward(x, a.attr[i], a.conv);
    } else if constexpr (R::info.arity == 2) {
      const NodeId* p = a.args(i);
      const double x = v[p[0]], y = v[p[1]];
      if constexpr (requires { R::domain(x, y); }) {
        if (const char* why = R::domain(x, y)) throw_domain(a.graph, ws, i, 1, why, recording);
      }
      v[i] = R::forward(x, y);
    } else if constexpr (R::info.arity == variadic) {
      double s = 0.0;
      for (const NodeId *p = a.args(i), *e = a.args(i + 1); p != e; ++p) s += v[*p];
      v[i] = s;
    }
  });
}

// Pushes grad[i] to the operands of i, each times its local derivative.
inline void backward_node(const Arrays& a, const double* v, double* grad, std::uint8_t* reached,
                          NodeId i) {
  const double gi = grad[i];
  with_rule(a.op[i], [&](auto rule) {
    using R = decltype(rule);
    if constexpr (R::info.arity == 1) {
      const NodeId x = a.args(i)[0];
      grad[x] += gi * R::derivative(v[x], v[i], a.attr[i], a.conv);
      reached[x] = 1;
    } else if constexpr (R::info.arity == 2) {
      const NodeId* p = a.args(i);
      const NodeId x = p[0], y = p[1];
      const Partials2 d = R::derivative(v[x], v[y], v[i]);
      grad[x] += gi * d.da;
      grad[y] += gi * d.db;
      reached[x] = 1;
      reached[y] = 1;
    } else if constexpr (R::info.arity == variadic) {
      for (const NodeId *p = a.args(i), *e = a.args(i + 1); p != e; ++p) {
        grad[*p] += gi;
        reached[*p] = 1;
      }
    }
  });
}

void check_root(const Graph& g, NodeId root) {
  if (root >= g.size())
    throw UsageError(fmt::format("gradflow: backward from node #{}, but the graph has {} nodes",
                                 root, g.size()));
}

// Clears gradients before a pass; in accumulate mode keeps the leaves' old ones aside.
void start_pass(const Graph& g, Workspace& ws, GradMode mode) {
  const bool fresh = ws.grad.empty();  // then prepare() sizes them, all zeros
  prepare(g, ws);
  if (mode == GradMode::accumulate && ws.root != no_node) {
    ws.scratch.swap(ws.grad);
    ws.scratch8.swap(ws.reached);
    ws.grad.assign(g.size(), 0.0);
    ws.reached.assign(g.size(), 0);
  } else {
    if (!fresh) {
      std::fill(ws.grad.begin(), ws.grad.end(), 0.0);
      std::fill(ws.reached.begin(), ws.reached.end(), 0);
    }
    ws.scratch8.clear();
  }
}

// Accumulate mode: leaves add the gradients they had before this pass (as PyTorch's .grad);
// interior nodes keep this pass's, so each edge record still describes one pass.
void finish_pass(const Graph& g, Workspace& ws, NodeId root) {
  if (!ws.scratch8.empty()) {
    for (NodeId i = 0; i < g.size(); ++i) {
      if (g.kind(i) == NodeKind::op) continue;
      ws.grad[i] += ws.scratch[i];
      ws.reached[i] |= ws.scratch8[i];
    }
    ws.scratch8.clear();
  }
  ws.root = root;
}

}  // namespace

void prepare(const Graph& g, Workspace& ws) {
  const std::size_t n = g.size();
  if (ws.value.size() < n) {
    const auto& own = g.workspace().value;
    const std::size_t old = ws.value.size();
    ws.value.resize(n);
    if (&own != &ws.value)
      std::copy(own.begin() + static_cast<std::ptrdiff_t>(old),
                own.begin() + static_cast<std::ptrdiff_t>(n),
                ws.value.begin() + static_cast<std::ptrdiff_t>(old));
  }
  if (ws.grad.size() != n) {
    ws.grad.resize(n, 0.0);
    ws.reached.resize(n, 0);
  }
}

void forward(const Graph& g, Workspace& ws) {
  prepare(g, ws);
  const Arrays a(g);
  const bool check = g.check_finite();
  double* v = ws.value.data();
  if (!check) {
    for (NodeId i = 0; i < a.n; ++i) forward_node(a, ws, v, i, false);
    return;
  }
  for (NodeId i = 0; i < a.n; ++i) {
    forward_node(a, ws, v, i, false);
    if (!std::isfinite(v[i])) throw_non_finite(g, i, v[i], false);
  }
}

void forward(const Graph& g, Workspace& ws, const Plan& plan) {
  prepare(g, ws);
  const Arrays a(g);
  const bool check = g.check_finite();
  double* v = ws.value.data();
  for (const NodeId i : plan.order) {
    forward_node(a, ws, v, i, false);
    if (check && !std::isfinite(v[i])) throw_non_finite(g, i, v[i], false);
  }
}

void backward(const Graph& g, Workspace& ws, NodeId root, GradMode mode) {
  check_root(g, root);
  start_pass(g, ws, mode);
  const Arrays a(g);
  const bool check = g.check_finite();
  const double* v = ws.value.data();
  double* grad = ws.grad.data();
  std::uint8_t* reached = ws.reached.data();
  grad[root] = 1.0;
  reached[root] = 1;
  // Every consumer has a larger id than its operands, so grad[i] is complete when i is reached.
  for (NodeId i = root + 1; i-- > 0;) {
    if (!reached[i]) continue;
    if (check && !std::isfinite(grad[i])) throw_non_finite(g, i, grad[i], true);
    backward_node(a, v, grad, reached, i);
  }
  finish_pass(g, ws, root);
}

void backward(const Graph& g, Workspace& ws, const Plan& plan, GradMode mode) {
  check_root(g, plan.root);
  start_pass(g, ws, mode);
  const Arrays a(g);
  const bool check = g.check_finite();
  const double* v = ws.value.data();
  double* grad = ws.grad.data();
  std::uint8_t* reached = ws.reached.data();
  grad[plan.root] = 1.0;
  for (auto it = plan.order.rbegin(); it != plan.order.rend(); ++it) {
    const NodeId i = *it;
    reached[i] = 1;
    if (check && !std::isfinite(grad[i])) throw_non_finite(g, i, grad[i], true);
    backward_node(a, v, grad, reached, i);
  }
  finish_pass(g, ws, plan.root);
}

double local_derivative(const Graph& g, const Workspace& ws, NodeId i, std::size_t slot) {
  if (i >= g.size())
    throw UsageError(fmt::format("gradflow: node #{} does not exist ({} nodes)", i, g.size()));
  const auto ops = g.operands(i);
  if (slot >= ops.size())
    throw UsageError(fmt::format("gradflow: node '{}' (#{}, {}) has {} operand(s), not slot {}",
                                 g.label(i), i, info(g.op(i)).name, ops.size(), slot));
  const double* v = ws.value.data();
  return with_rule(g.op(i), [&](auto rule) -> double {
    using R = decltype(rule);
    if constexpr (R::info.arity == 1) {
      return R::derivative(v[ops[0]], v[i], g.attr(i), g.conventions());
    } else if constexpr (R::info.arity == 2) {
      const Partials2 d = R::derivative(v[ops[0]], v[ops[1]], v[i]);
      return slot == 0 ? d.da : d.db;
    } else {
      return 1.0;
    }
  });
}

namespace detail {
void evaluate_appended(const Graph& g, Workspace& ws, NodeId id) {
  forward_node(Arrays(g), ws, ws.value.data(), id, true);
  if (g.check_finite() && !std::isfinite(ws.value[id]))
    throw_non_finite(g, id, ws.value[id], false);
}
}  // namespace detail

}  // namespace gradflow
