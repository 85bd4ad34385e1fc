#include <gradflow/engine/stepper.hpp>

#include <algorithm>
#include <cmath>
#include <functional>

#include <fmt/format.h>

#include <gradflow/graph/evaluate.hpp>
#include <gradflow/graph/sweep.hpp>
#include <gradflow/ops/errors.hpp>

namespace gradflow {
namespace {

// The sweep's observer for hooks (and, with `rec`, the stepper's records).
struct HookObserver {
  const Graph& g;
  const Hooks& hooks;
  static constexpr bool records = false;
  static constexpr bool rewrites = true;
  double arrive(NodeId i, double arrived) const {
    return hooks.empty() ? arrived : hooks.run(g, i, arrived);
  }
  void edge(NodeId, std::size_t, NodeId, double, double, double) {}
  void done(NodeId) {}
};

// Records every step and edge of the sweep into a Stepper's arrays.
struct StepRecorder : HookObserver {
  static constexpr bool records = true;
  std::vector<NodeId>& node;
  std::vector<double>& upstream;
  std::vector<double>& passed;
  std::vector<std::uint32_t>& edge_begin;
  std::vector<double>& local;
  std::vector<double>& before;
  std::vector<double>& after;
  double arrive(NodeId i, double arrived) {
    const double kept = HookObserver::arrive(i, arrived);
    node.push_back(i);
    upstream.push_back(arrived);
    passed.push_back(kept);
    return kept;
  }
  void edge(NodeId, std::size_t, NodeId, double d, double grad_before, double grad_after) {
    local.push_back(d);
    before.push_back(grad_before);
    after.push_back(grad_after);
  }
  void done(NodeId) { edge_begin.push_back(static_cast<std::uint32_t>(local.size())); }
};

}  // namespace

// ---- hooks --------------------------------------------------------------------------------------

Hooks& Hooks::on(Node node, GradHook hook) {
  if (!node.valid()) throw UsageError("gradflow: Hooks::on: the node handle is empty");
  if (graph_ != nullptr && graph_ != &node.graph())
    throw UsageError(
        fmt::format("gradflow: Hooks::on: node '{}' (#{}) belongs to another graph "
                    "than the nodes hooked before it",
                    node.label(), node.id()));
  graph_ = &node.graph();
  per_node_[node.id()].push_back(std::move(hook));
  return *this;
}

Hooks& Hooks::on_every(GradHook hook) {
  every_.push_back(std::move(hook));
  return *this;
}

void Hooks::check(const Graph& g) const {
  if (graph_ != nullptr && graph_ != &g)
    throw UsageError(
        "gradflow: these hooks were added on nodes of another graph than the one differentiated");
}

double Hooks::run(const Graph& g, NodeId node, double grad) const {
  if (const auto it = per_node_.find(node); it != per_node_.end())
    for (const auto& h : it->second) grad = h(HookEvent{g, node, grad});
  for (const auto& h : every_) grad = h(HookEvent{g, node, grad});
  return grad;
}

void backward_with_hooks(const Graph& g, Workspace& ws, NodeId root, const Hooks& hooks) {
  if (root >= g.size())
    throw UsageError(fmt::format("gradflow: backward from node #{}, but the graph has {} nodes",
                                 root, g.size()));
  hooks.check(g);
  prepare(g, ws);
  std::fill(ws.grad.begin(), ws.grad.end(), 0.0);
  std::fill(ws.reached.begin(), ws.reached.end(), 0);
  reverse_sweep(g, ws.value.data(), ws.grad.data(), ws.reached.data(), root, nullptr,
                g.check_finite(), HookObserver{g, hooks});
  ws.root = root;
}

void backward_with_hooks(Graph& g, Node root, const Hooks& hooks) {
  g.check(root, "backward_with_hooks");
  g.workspace();  // brings stale values up to date
  backward_with_hooks(g, g.workspace_mut(), root.id(), hooks);
}

// ---- the stepper --------------------------------------------------------------------------------

Stepper::Stepper(const Graph& g, Node root, const Hooks& hooks) : g_(&g), root_(root.id()) {
  g.check(root, "Stepper");
  hooks.check(g);
  const Workspace& ws = g.workspace();
  value_.assign(ws.value.begin(), ws.value.begin() + static_cast<std::ptrdiff_t>(g.size()));
  for (NodeId i = 0; i < g.size(); ++i)
    if (g.op(i) == Op::parameter) params_.push_back(i);

  edge_begin_.push_back(0);
  grad_.assign(g.size(), 0.0);
  std::vector<std::uint8_t> reached(g.size(), 0);
  reverse_sweep(
      g, ws.value.data(), grad_.data(), reached.data(), root_, nullptr, false,
      StepRecorder{{g, hooks}, node_, upstream_, passed_, edge_begin_, local_, before_, after_});

  // Rewind to the state before step 0 (only the seed 1 at the root), then take step 0.
  for (std::size_t k = size(); k-- > 0;) undo(k);
  apply(0);
}

void Stepper::bad_id(NodeId id, const char* what) const {
  throw UsageError(
      fmt::format("gradflow: Stepper::{}: node #{} is not in the recorded pass ({} "
                  "nodes)",
                  what, id, value_.size()));
}

void Stepper::apply(std::size_t k) {
  grad_[node_[k]] = passed_[k];
  const auto ops = g_->operands(node_[k]);
  for (std::uint32_t e = edge_begin_[k], s = 0; e < edge_begin_[k + 1]; ++e, ++s)
    grad_[ops[s]] = after_[e];
}

void Stepper::undo(std::size_t k) {
  const auto ops = g_->operands(node_[k]);
  for (std::uint32_t e = edge_begin_[k + 1], s = e - edge_begin_[k]; e-- > edge_begin_[k];)
    grad_[ops[--s]] = before_[e];
  grad_[node_[k]] = upstream_[k];
}

bool Stepper::next() {
  if (pos_ + 1 >= size()) return false;
  apply(++pos_);
  return true;
}

bool Stepper::prev() {
  if (pos_ == 0) return false;
  undo(pos_--);
  return true;
}

void Stepper::jump(std::size_t k) {
  if (k >= size())
    throw UsageError(fmt::format("gradflow: Stepper::jump({}): the pass has {} steps (0 to {})", k,
                                 size(), size() - 1));
  while (pos_ < k) apply(++pos_);
  while (pos_ > k) undo(pos_--);
}

BackwardStep Stepper::at(std::size_t k) const {
  if (k >= size())
    throw UsageError(fmt::format("gradflow: Stepper::at({}): the pass has {} steps (0 to {})", k,
                                 size(), size() - 1));
  const NodeId n = node_[k];
  BackwardStep s{k, n, g_->op(n), value_[n], upstream_[k], passed_[k], {}};
  const auto ops = g_->operands(n);
  s.edges.reserve(ops.size());
  for (std::uint32_t e = edge_begin_[k], slot = 0; e < edge_begin_[k + 1]; ++e, ++slot)
    s.edges.push_back(BackwardEdge{slot, g_->first_operand(n) + slot, ops[slot], local_[e],
                                   passed_[k] * local_[e], before_[e], after_[e]});
  return s;
}

std::size_t Stepper::index_of(NodeId node) const {
  // Steps run in decreasing id order.
  const auto it = std::lower_bound(node_.begin(), node_.end(), node, std::greater<>{});
  return it != node_.end() && *it == node ? static_cast<std::size_t>(it - node_.begin()) : npos;
}

}  // namespace gradflow
