#include <gradflow/engine/stepper.hpp>

#include <algorithm>
#include <cmath>
#include <functional>

#include <fmt/format.h>

#include <gradflow/graph/evaluate.hpp>
#include <gradflow/ops/errors.hpp>

namespace gradflow {
namespace {

// Where a sweep leaves what it did; the plain backward passes none.
struct Recorder {
  std::vector<NodeId>* node;
  std::vector<double>* upstream;
  std::vector<double>* passed;
  std::vector<std::uint32_t>* edge_begin;
  std::vector<double>* local;
  std::vector<double>* before;
  std::vector<double>* after;
};

[[noreturn]] void throw_non_finite_grad(const Graph& g, NodeId i, double v) {
  throw NumericError(
      fmt::format("gradflow: check mode: the gradient of node '{}' (#{}, {}) is {}, the first to "
                  "become non-finite in the backward pass",
                  g.label(i), i, info(g.op(i)).name, v),
      i, true, v);
}

// Reverse mode from `root`, node by node in reverse id order over the nodes that reach it, as
// engine/evaluate.cpp does: grad[operand] += grad[node] * local derivative, operand by operand.
void sweep(const Graph& g, const Workspace& ws, std::vector<double>& grad,
           std::vector<std::uint8_t>& reached, NodeId root, const Hooks& hooks, bool check,
           const Recorder* rec) {
  grad.assign(g.size(), 0.0);
  reached.assign(g.size(), 0);
  grad[root] = 1.0;
  reached[root] = 1;
  const bool hooked = !hooks.empty();
  for (NodeId i = root + 1; i-- > 0;) {
    if (!reached[i]) continue;
    const double arrived = grad[i];
    if (hooked) grad[i] = hooks.run(g, i, arrived);
    const double gi = grad[i];
    if (check && !std::isfinite(gi)) throw_non_finite_grad(g, i, gi);
    if (rec) {
      rec->node->push_back(i);
      rec->upstream->push_back(arrived);
      rec->passed->push_back(gi);
    }
    const auto ops = g.operands(i);
    for (std::size_t s = 0; s < ops.size(); ++s) {
      const NodeId x = ops[s];
      const double d = local_derivative(g, ws, i, s);
      if (rec) {
        rec->local->push_back(d);
        rec->before->push_back(grad[x]);
      }
      grad[x] += gi * d;
      reached[x] = 1;
      if (rec) rec->after->push_back(grad[x]);
    }
    if (rec) rec->edge_begin->push_back(static_cast<std::uint32_t>(rec->local->size()));
  }
}

}  // namespace

// ---- hooks --------------------------------------------------------------------------------------

Hooks& Hooks::on(Node node, GradHook hook) {
  if (!node.valid()) throw UsageError("gradflow: Hooks::on: the node handle is empty");
  per_node_[node.id()].push_back(std::move(hook));
  return *this;
}

Hooks& Hooks::on_every(GradHook hook) {
  every_.push_back(std::move(hook));
  return *this;
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
  prepare(g, ws);
  sweep(g, ws, ws.grad, ws.reached, root, hooks, g.check_finite(), nullptr);
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
  const Workspace& ws = g.workspace();
  value_.assign(ws.value.begin(), ws.value.begin() + static_cast<std::ptrdiff_t>(g.size()));
  for (NodeId i = 0; i < g.size(); ++i)
    if (g.op(i) == Op::parameter) params_.push_back(i);

  edge_begin_.push_back(0);
  const Recorder rec{&node_, &upstream_, &passed_, &edge_begin_, &local_, &before_, &after_};
  std::vector<std::uint8_t> reached;
  sweep(g, ws, grad_, reached, root_, hooks, false, &rec);

  // Rewind to the state before step 0 (only the seed 1 at the root), then take step 0.
  for (std::size_t k = size(); k-- > 0;) undo(k);
  apply(0);
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

Step Stepper::step(std::size_t k) const {
  if (k >= size())
    throw UsageError(fmt::format("gradflow: Stepper::step({}): the pass has {} steps (0 to {})", k,
                                 size(), size() - 1));
  const NodeId n = node_[k];
  Step s{k, n, g_->op(n), value_[n], upstream_[k], passed_[k], {}};
  const auto ops = g_->operands(n);
  s.edges.reserve(ops.size());
  for (std::uint32_t e = edge_begin_[k], slot = 0; e < edge_begin_[k + 1]; ++e, ++slot)
    s.edges.push_back(EdgeStep{slot, g_->first_operand(n) + slot, ops[slot], local_[e],
                               passed_[k] * local_[e], before_[e], after_[e]});
  return s;
}

std::size_t Stepper::step_of(NodeId node) const {
  // Steps run in decreasing id order.
  const auto it = std::lower_bound(node_.begin(), node_.end(), node, std::greater<>{});
  return it != node_.end() && *it == node ? static_cast<std::size_t>(it - node_.begin()) : npos;
}

}  // namespace gradflow
