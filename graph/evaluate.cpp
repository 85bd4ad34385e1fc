// Forward and reverse sweeps over a graph's workspaces. The reverse sweep itself is
// reverse_sweep() in sweep.hpp; this file sizes workspaces, handles accumulate mode and reports
// errors.
#include <gradflow/graph/evaluate.hpp>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include <gradflow/graph/sweep.hpp>
#include <gradflow/ops/errors.hpp>

namespace gradflow {
namespace {

std::string operand_text(const Graph& g, NodeId id, double v) {
  return fmt::format("{} = {}", g.describe(id), v);
}

[[noreturn]] void throw_domain(const Graph& g, const Workspace& ws, NodeId i, std::size_t slot,
                               const char* reason, bool recording) {
  const NodeId a = g.operands(i)[slot];
  const Op op = g.op(i);
  const std::string where = recording ? fmt::format("building {}: operand {}", info(op).name,
                                                    operand_text(g, a, ws.value[a]))
                                      : fmt::format("evaluating node {}: operand {}", g.describe(i),
                                                    operand_text(g, a, ws.value[a]));
  std::string msg = fmt::format("gradflow: {}: {}", where, reason);
  if (op == Op::pow) msg += fmt::format(" (exponent {})", g.attr(i));
  if (recording) msg += fmt::format("; the {} node was not recorded", info(op).name);
  throw DomainError(msg, i, op, ws.value[a]);
}

// Computes v[i] from its operands' values, after the op's domain check.
// Leaves keep the values they hold. One jump per node; inlined into each sweep's loop (as an
// out-of-line call its prologue, epilogue and argument moves were a third of a mul's cost).
[[gnu::always_inline]] inline void forward_node(const Graph& g, const GraphArrays& a, Workspace& ws,
                                                double* v, NodeId i, bool recording) {
  with_rule(a.op[i], [&](auto rule) {
    using R = decltype(rule);
    if constexpr (R::info.arity != 0) {
      const NodeId* p = a.args(i);
      const auto x = [&](std::size_t k) { return v[p[k]]; };
      if (const DomainCheck d = domain<R>(a.template attr_of<R>(i), x); d.reason != nullptr)
          [[unlikely]]
        throw_domain(g, ws, i, d.slot, d.reason, recording);
      v[i] = compute<R>(a.template attr_of<R>(i), a.conv, a.arity(i), x);
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

namespace detail {
void throw_non_finite(const Graph& g, NodeId i, double v, bool in_gradient) {
  throw NumericError(
      fmt::format("gradflow: check mode: the {} of node {} is {}, the first to become "
                  "non-finite in {}",
                  in_gradient ? "gradient" : "value", g.describe(i), v,
                  in_gradient ? "the backward pass" : "evaluation order"),
      i, in_gradient, v);
}

}  // namespace detail

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
  detail::forward_from(g, ws, 0);
}

void forward(const Graph& g, Workspace& ws, const Plan& plan) {
  prepare(g, ws);
  const GraphArrays a(g);
  const bool check = g.check_finite();
  double* v = ws.value.data();
  for (const NodeId i : plan.order) {
    forward_node(g, a, ws, v, i, false);
    if (check && !std::isfinite(v[i])) detail::throw_non_finite(g, i, v[i], false);
  }
}

void backward(const Graph& g, Workspace& ws, NodeId root, GradMode mode) {
  check_root(g, root);
  start_pass(g, ws, mode);
  reverse_sweep(g, ws.value.data(), ws.grad.data(), ws.reached.data(), root, nullptr,
                g.check_finite());
  finish_pass(g, ws, root);
}

void backward(const Graph& g, Workspace& ws, const Plan& plan, GradMode mode) {
  check_root(g, plan.root);
  start_pass(g, ws, mode);
  reverse_sweep(g, ws.value.data(), ws.grad.data(), ws.reached.data(), plan.root, &plan,
                g.check_finite());
  finish_pass(g, ws, plan.root);
}

double local_derivative(const Graph& g, const Workspace& ws, NodeId i, std::size_t slot) {
  g.check_id(i, "local_derivative");
  const auto ops = g.operands(i);
  if (slot >= ops.size())
    throw UsageError(fmt::format("gradflow: node {} has {} operand(s), not slot {}", g.describe(i),
                                 ops.size(), slot));
  const double* v = ws.value.data();
  return derivative(
      g.op(i), slot, g.attr(i), g.conventions(), ops.size(),
      [&](std::size_t k) { return v[ops[k]]; }, v[i]);
}

namespace detail {
void forward_from(const Graph& g, Workspace& ws, NodeId from) {
  const GraphArrays a(g);
  double* v = ws.value.data();
  if (!g.check_finite()) {  // check mode hoisted out of the hot loop
    for (NodeId i = from; i < a.n; ++i) forward_node(g, a, ws, v, i, false);
    return;
  }
  for (NodeId i = from; i < a.n; ++i) {
    forward_node(g, a, ws, v, i, false);
    if (!std::isfinite(v[i])) throw_non_finite(g, i, v[i], false);
  }
}

void evaluate_appended(const Graph& g, Workspace& ws, NodeId id) {
  forward_node(g, GraphArrays(g), ws, ws.value.data(), id, true);
  const double r = ws.value[id];
  if (g.check_finite() && !std::isfinite(r)) {
    // The node is about to be removed: name its operands, not its future id.
    std::string operands;
    for (const NodeId k : g.operands(id))
      operands +=
          fmt::format("{}{}", operands.empty() ? "" : " and ", operand_text(g, k, ws.value[k]));
    const std::string_view op = info(g.op(id)).name;
    throw NumericError(fmt::format("gradflow: check mode: building {} of {} gives {}; the {} node "
                                   "was not recorded",
                                   op, operands, r, op),
                       id, false, r);
  }
}
}  // namespace detail

}  // namespace gradflow
