// The backward pass one node at a time. A Stepper runs reverse mode from a root once, recording
// at every step the node processed, the gradient that arrived at it and, for each operand, the
// local derivative, the contribution and the operand's accumulated gradient before and after.
// It then walks those records forwards and backwards in time (next, prev, jump) and shows the
// running gradients of every node at the current step.
//
// Steps follow Graph::backward exactly: every node that reaches the root, in reverse id order,
// with the same multiply-adds in the same order, so the last step's gradients are bit-for-bit
// Graph::backward's. Leaves are steps too (they receive their final gradient there, and a hook
// on them can rewrite it).
//
// Hooks (as PyTorch's tensor hooks): a callback runs when a node is processed, with the complete
// gradient that arrived at it; what it returns becomes the node's gradient and is what flows on
// to its operands. Return the argument unchanged to only observe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <unordered_map>
#include <vector>

#include <gradflow/graph/graph.hpp>

namespace gradflow {

// ---- hooks --------------------------------------------------------------------------------------

/// What a hook sees: the node being processed and the complete gradient d(root)/d(node).
struct HookEvent {
  const Graph& graph;  ///< the graph being differentiated
  NodeId node;         ///< the node being processed
  double grad;         ///< the arrived gradient, as returned by this node's earlier hooks
};

/// Returns the gradient to keep and pass on to the node's operands.
using GradHook = std::function<double(const HookEvent&)>;

/// A set of hooks: some on given nodes, some on every node. The hooks of one node run in the
/// order they were added, each on the previous one's result; hooks on every node run last.
class Hooks {
 public:
  /// Adds a hook on `node`; throws UsageError for an empty handle or a node of another graph
  /// than earlier hooks'. Returns *this for chaining.
  Hooks& on(Node node, GradHook hook);
  /// Adds a hook that runs on every node, after its own hooks. Returns *this for chaining.
  Hooks& on_every(GradHook hook);
  /// True when no hook has been added (the backward pass then skips running them).
  bool empty() const { return per_node_.empty() && every_.empty(); }
  /// The gradient `node` passes on when `grad` arrives at it.
  double run(const Graph& g, NodeId node, double grad) const;
  /// Throws UsageError if a hook was added on a node of another graph than `g`.
  void check(const Graph& g) const;

 private:
  const Graph* graph_ = nullptr;  // of the nodes hooked with on()
  std::unordered_map<NodeId, std::vector<GradHook>> per_node_;
  std::vector<GradHook> every_;
};

/// Graph::backward(root) with hooks; afterwards grad(n) is each node's gradient after its hooks.
/// Honours check mode (Graph::set_check_finite): throws NumericError at the first non-finite
/// gradient, after the hooks of its node have run.
void backward_with_hooks(Graph& g, Node root, const Hooks& hooks);
/// The same on any workspace of `g` (values must be current).
void backward_with_hooks(const Graph& g, Workspace& ws, NodeId root, const Hooks& hooks);

// ---- the stepper --------------------------------------------------------------------------------

/// One operand slot of a step.
struct BackwardEdge {
  std::size_t slot;         ///< position of the operand among the node's operands (0-based)
  std::uint32_t edge;       ///< index into the graph's flat operand array (first_operand + slot)
  NodeId operand;           ///< the operand receiving gradient through this slot
  double local_derivative;  ///< d node / d operand at the recorded values
  double contribution;      ///< passed gradient × local derivative
  double grad_before;       ///< the operand's accumulated gradient before this step
  double grad_after;        ///< ... and after: grad_before + contribution
};

/// One step: a node processed by the backward pass.
struct BackwardStep {
  std::size_t index;  ///< the step's position in the pass: 0 is the root
  NodeId node;        ///< the node processed
  Op op;              ///< its operation
  double value;       ///< the node's value in the forward pass
  double upstream;    ///< d(root)/d(node): the complete gradient that arrived at the node
  double passed;      ///< the gradient kept and passed on (upstream, unless a hook rewrote it)
  std::vector<BackwardEdge> edges;  ///< one per operand, in slot order (none for leaves)
};

/// A recorded backward pass that can be walked step by step, forwards and backwards.
class Stepper {
 public:
  /// Returned by index_of() for a node that does not reach the root.
  static constexpr std::size_t npos = std::numeric_limits<std::size_t>::max();

  /// Runs the backward pass from `root` (evaluating first if values are stale) and stands at
  /// step 0, the root. Values are copied: later changes to the graph do not alter the records.
  explicit Stepper(const Graph& g, Node root, const Hooks& hooks = {});

  /// The graph the pass was recorded on (not owned; must outlive the stepper).
  const Graph& graph() const { return *g_; }
  /// The node the backward pass started from.
  NodeId root() const { return root_; }
  /// Number of steps: the nodes that reach the root.
  std::size_t size() const { return node_.size(); }
  /// Index of the current step; its effect is included in grad().
  std::size_t position() const { return pos_; }
  /// True at the last step, when grad() holds the complete gradients.
  bool at_end() const { return pos_ + 1 == size(); }

  /// Moves one step on; false (and stays) at the last step.
  bool next();
  /// Moves one step back, undoing the current one; false (and stays) at step 0.
  bool prev();
  /// Moves to step k; throws UsageError if k >= size().
  void jump(std::size_t k);

  /// The record of the current step.
  BackwardStep current() const { return at(pos_); }
  /// The record of step k; throws UsageError if k >= size().
  BackwardStep at(std::size_t k) const;
  /// Index of the step that processes `node`, or npos if the node does not reach the root.
  std::size_t index_of(NodeId node) const;

  /// Node `id`'s gradient so far, after steps 0..position(); UsageError if there is no such node.
  double grad(NodeId id) const {
    if (id >= grad_.size()) bad_id(id, "grad");
    return grad_[id];
  }
  /// Every node's gradient so far, indexed by node id.
  std::span<const double> gradients() const { return grad_; }
  /// Node `id`'s value in the recorded forward pass; UsageError if there is no such node.
  double value(NodeId id) const {
    if (id >= value_.size()) bad_id(id, "value");
    return value_[id];
  }
  /// Every node's recorded forward value, indexed by node id.
  std::span<const double> values() const { return value_; }
  /// Parameter nodes of the graph, in id order (reaching the root or not).
  std::span<const NodeId> parameters() const { return params_; }

  // Raw records, for views that serialise them (all indexed by step, edges by edge_begin).
  /// The node processed at each step, in step order (decreasing node id).
  std::span<const NodeId> step_nodes() const { return node_; }
  /// size() + 1 offsets: step k's edge records are [edge_begin()[k], edge_begin()[k + 1]).
  std::span<const std::uint32_t> edge_begin() const { return edge_begin_; }

 private:
  [[noreturn]] void bad_id(NodeId id, const char* what) const;
  void apply(std::size_t k);
  void undo(std::size_t k);

  const Graph* g_;
  NodeId root_;
  std::size_t pos_ = 0;
  std::vector<double> value_;
  std::vector<double> grad_;  // running gradients at pos_
  std::vector<NodeId> params_;
  // per step
  std::vector<NodeId> node_;
  std::vector<double> upstream_;
  std::vector<double> passed_;
  std::vector<std::uint32_t> edge_begin_;  // size()+1 offsets into the per-edge arrays
  // per edge, in step order
  std::vector<double> local_;
  std::vector<double> before_;
  std::vector<double> after_;
};

}  // namespace gradflow
