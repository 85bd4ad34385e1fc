// The graph: structure in flat arrays (op, operand offsets, operands, constant attribute), numbers
// in a Workspace (values, gradients, reached flags), names and groups on the side.
//
// Node ids are assigned in creation order and a node's operands always exist before it, so id
// order is a topological order by construction; no cycle can be built. Recording a node appends
// to five arrays (about 30 bytes for a binary op) and evaluates it at once, micrograd-style.
#pragma once

#include <algorithm>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <fmt/ostream.h>

#include <gradflow/ops/errors.hpp>
#include <gradflow/ops/ops.hpp>

namespace gradflow {

/// Index of a node in its graph: 0, 1, 2, ... in creation order.
using NodeId = std::uint32_t;
inline constexpr NodeId no_node = std::numeric_limits<NodeId>::max();

class Graph;
namespace detail {
struct Access;
struct Recorder;
/// What handles point to: allocated once per graph and handed on when the graph moves, so that
/// handles follow their graph into a vector or out of a factory.
struct Anchor {
  Graph* graph;  ///< the graph that owns it now
};
}  // namespace detail

/// What a backward pass does with gradients that are already there.
enum class GradMode : std::uint8_t {
  reset,       ///< default: every gradient starts from 0, so calling backward twice is harmless
  accumulate,  ///< leaves (inputs, parameters, constants) add this pass to what they had
};

/// The numbers of one evaluation of a graph, indexed by node id. A graph owns one; more can be
/// copied from it (Graph::workspace()) and evaluated independently, e.g. one per thread.
struct Workspace {
  std::vector<double> value;           ///< each node's value
  std::vector<double> grad;            ///< d(root)/d(node); sized by the first backward
  std::vector<std::uint8_t> reached;   ///< 1 where the node lies on a path to the root
  std::vector<double> scratch;         ///< reused by GradMode::accumulate
  std::vector<std::uint8_t> scratch8;  ///< reused by GradMode::accumulate
  NodeId root = no_node;               ///< root of the last backward pass, or no_node
};

/// A point in a graph's recording (Graph::mark()): what Graph::rewind() keeps.
struct Mark {
  NodeId nodes = 0;        ///< nodes recorded before the mark
  std::size_t groups = 0;  ///< groups begun before the mark
};

/// A named range of consecutive nodes (a neuron, a layer) recorded by Graph::begin_group.
struct Group {
  std::string name;  ///< e.g. "layer 1 neuron 3"
  std::string kind;  ///< free text, e.g. "neuron", "layer"
  NodeId begin = 0;  ///< first node id in the group
  NodeId end = 0;    ///< one past the last node id
  int parent = -1;   ///< index of the enclosing group, or -1
};

/// A cheap, copyable handle on one node: the graph's anchor and an id. Valid while its graph
/// lives, wherever the graph is moved to; a clone() of the graph has handles of its own.
class Node {
 public:
  Node() = default;
  /// A handle on node `id` of `graph` (no check; Graph::node() checks).
  inline Node(Graph& graph, NodeId id);

  /// False for a default-constructed handle.
  bool valid() const { return anchor_ != nullptr; }
  /// Identifies the node's graph, stable across moves of the graph (for hashing).
  const void* graph_key() const { return anchor_; }
  /// The owning graph; throws UsageError for a default-constructed handle.
  Graph& graph() const;
  /// Index of the node in its graph.
  NodeId id() const { return id_; }

  Op op() const;                  ///< the node's op
  NodeKind kind() const;          ///< input, parameter, constant or op
  std::string_view name() const;  ///< its name, empty if it has none
  /// Name if set, else "#id": what every printout shows.
  std::string label() const;
  /// Returns this node after naming it.
  Node named(std::string_view name) const;

  /// The node's value (re-evaluating stale values first).
  double value() const;
  /// d(root)/d(this) after Graph::backward(root); 0 if the node does not reach the root.
  double grad() const;
  /// Whether the last backward pass reached this node (it lies on a path to the root).
  bool reached() const;
  /// Sets an input's or a parameter's value; the graph re-evaluates before its next read.
  const Node& set(double value) const;

  /// Number of operands: 0 for leaves.
  std::size_t operand_count() const;
  /// Operand `slot`; throws UsageError if there is no such slot.
  Node operand(std::size_t slot) const;
  /// d(this)/d(operand(slot)) at the current values.
  double local_derivative(std::size_t slot) const;
  /// What this node passed back to operand(slot): grad() * local_derivative(slot).
  double contribution(std::size_t slot) const;

  /// Same graph, same node.
  friend bool operator==(const Node& a, const Node& b) {
    return a.anchor_ == b.anchor_ && a.id_ == b.id_;
  }
  /// Ordered by graph, then id (so that nodes can be keys of ordered containers).
  friend std::strong_ordering operator<=>(const Node& a, const Node& b) {
    // std::less is a total order on pointers (emscripten's libc++ has no compare_three_way).
    if (a.anchor_ != b.anchor_)
      return std::less<>{}(a.anchor_, b.anchor_) ? std::strong_ordering::less
                                                 : std::strong_ordering::greater;
    return a.id_ <=> b.id_;
  }

 private:
  friend struct detail::Recorder;
  friend class Graph;
  Node(detail::Anchor* anchor, NodeId id, std::uint32_t epoch)
      : anchor_(anchor), id_(id), epoch_(epoch) {}
  detail::Anchor* anchor_ = nullptr;
  NodeId id_ = no_node;
  std::uint32_t epoch_ = 0;  // the graph's rewinds before this handle was made
};

/// A run of consecutive nodes that gradients() recorded while differentiating one node.
struct BackwardSpan {
  NodeId begin = 0;         ///< first node of the run
  NodeId end = 0;           ///< one past its last node
  NodeId of = no_node;      ///< the node whose derivative rule the run records
  std::uint32_t order = 1;  ///< 1 for d y/d x, 2 when y is itself a first derivative, ...
};

namespace detail {
struct Differentiator;
/// A growable array whose size is kept apart from its storage (internal): the recording checks
/// the room of all of a graph's arrays once per node, then writes without further checks.
template <class T>
struct Column {
  std::vector<T> buf;  ///< storage; buf.size() is the capacity
  std::size_t n = 0;   ///< elements in use
  std::size_t size() const { return n; }
  std::size_t room() const { return buf.size(); }
  T* data() { return buf.data(); }
  const T* data() const { return buf.data(); }
  T& operator[](std::size_t i) { return buf[i]; }
  const T& operator[](std::size_t i) const { return buf[i]; }
  const T& back() const { return buf[n - 1]; }
  /// Appends without a check: room() > size() is the caller's promise.
  void put(T v) { buf[n++] = v; }
  void reserve(std::size_t cap) {
    if (cap > buf.size()) buf.resize(std::max(cap, 2 * buf.size()));
  }
  void push_back(T v) {
    reserve(n + 1);
    put(v);
  }
  void pop_back() { --n; }
  void resize(std::size_t m) {
    reserve(m);
    for (std::size_t i = n; i < m; ++i) buf[i] = T{};
    n = m;
  }
  void assign(std::size_t m, T v) {
    n = 0;
    resize(m);
    for (std::size_t i = 0; i < m; ++i) buf[i] = v;
  }
};

/// Everything a graph holds but its anchor: one place, so that moving and cloning a graph
/// cannot forget a member (internal; Graph's base).
struct GraphState {
  // structure
  Column<Op> op_;
  Column<std::uint32_t> first_;  // size()+1 offsets into args_
  Column<NodeId> args_;
  Column<double> attr_;
  std::unordered_map<NodeId, std::string> names_;
  mutable std::vector<Group> groups_;  // mutable: open groups grow as groups() is read
  std::vector<std::size_t> open_groups_;
  Conventions conventions_;
  bool check_finite_ = false;
  std::vector<BackwardSpan> backward_;  // what gradients() recorded, in id order

  // numbers; mutable so that reading a value can first bring stale values up to date
  mutable Workspace ws_;
  mutable bool stale_ = false;
  // Empty unless the last re-evaluation failed somewhere (a value set out of an op's domain):
  // then, per node, the failed node its value depends on (or no_node), and each failure.
  mutable std::vector<NodeId> origin_;
  mutable std::unordered_map<NodeId, std::exception_ptr> failures_;

  // rewind(): rewinds_[e] is the fewest nodes any rewind since the e-th kept (a handle made after
  // e rewinds is alive if its id is below it); its size is the number of rewinds.
  std::vector<NodeId> rewinds_;
  NodeId names_end_ = 0;  // every named node's id is below it
};
}  // namespace detail

/// A computational graph of scalar nodes with reverse-mode differentiation.
class Graph : private detail::GraphState {
 public:
  /// An empty graph with the given kink conventions.
  explicit Graph(Conventions conventions = {});
  /// Handles into a destroyed graph are invalid; builds with GRADFLOW_CHECK_HANDLES (Debug and
  /// the sanitizer preset) detect their use and throw UsageError.
  ~Graph();
  /// Moves the nodes, values and gradients; existing handles now refer to the new graph. The
  /// moved-from graph is empty and usable.
  Graph(Graph&& other) noexcept;
  /// As the move constructor; this graph's old handles become invalid.
  Graph& operator=(Graph&& other) noexcept;
  /// Not copyable implicitly (a copy would silently leave handles on the original): see clone().
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;
  /// An independent copy: same nodes, names, groups, values and gradients. Handles of this graph
  /// keep referring to this graph; clone.node(id) gives the copy's.
  Graph clone() const;

  // ---- building -------------------------------------------------------------------------------
  /// A value set before each evaluation (`name` may be empty).
  Node input(std::string_view name, double value);
  /// An unnamed input (its label is "#id").
  Node input(double value) { return input({}, value); }
  /// A trainable value.
  Node parameter(std::string_view name, double value);
  /// An unnamed parameter.
  Node parameter(double value) { return parameter({}, value); }
  /// A fixed value; plain doubles in expressions become constants.
  Node constant(double value, std::string_view name = {});
  /// Records `op` over `operands` (arity checked) and evaluates it. On a domain error nothing is
  /// recorded and DomainError names the op, the operand and its value. Without `attr`, the op's
  /// own default (info(op).attr_default: leaky_relu's slope 0.01, pow's exponent 1).
  Node apply(Op op, std::span<const Node> operands, std::optional<double> attr = std::nullopt);
  /// apply() with the operands listed in braces.
  Node apply(Op op, std::initializer_list<Node> operands,
             std::optional<double> attr = std::nullopt) {
    return apply(op, std::span<const Node>(operands.begin(), operands.size()), attr);
  }
  /// Reserves room for `nodes` nodes with `operands` operands in all.
  void reserve(std::size_t nodes, std::size_t operands);
  /// The point of the recording reached so far, to come back to with rewind(): typically taken
  /// after creating the parameters, before recording one step's computation.
  Mark mark() const { return {static_cast<NodeId>(size()), groups_.size()}; }
  /// Drops every node recorded after `m` with its name, value and gradient, and the groups begun
  /// after it (groups begun before it end at the mark at the latest); the nodes before the mark
  /// (the parameters) keep their values and gradients, so that a "rebuild the graph every step"
  /// loop records only the step. Gradients are forgotten if the last backward pass's root was
  /// dropped. Handles to dropped nodes are invalid: Graph::check() rejects them, and with
  /// GRADFLOW_CHECK_HANDLES every use does. Executors compiled on dropped nodes must not be used.
  /// Throws UsageError if the graph has fewer nodes or groups than the mark.
  void rewind(const Mark& m);

  /// Nodes created until the matching end_group() belong to a group (nestable).
  std::size_t begin_group(std::string name, std::string kind);
  /// Closes the innermost open group.
  void end_group();
  /// Every group recorded, in order of begin_group(). A group not yet closed by end_group()
  /// holds every node recorded since its begin_group().
  std::span<const Group> groups() const {
    for (const std::size_t k : open_groups_) groups_[k].end = static_cast<NodeId>(size());
    return groups_;
  }

  // ---- structure ------------------------------------------------------------------------------
  /// Number of nodes.
  std::size_t size() const { return op_.size(); }
  /// Number of operand slots over all nodes.
  std::size_t edge_count() const { return args_.size(); }
  /// Op of node `id` (unchecked, like the accessors below).
  Op op(NodeId id) const { return op_[id]; }
  /// Kind of node `id`.
  NodeKind kind(NodeId id) const { return info(op_[id]).kind; }
  /// The op's constant: pow's exponent, leaky_relu's slope; 0 otherwise.
  double attr(NodeId id) const { return attr_[id]; }
  /// Operand ids of node `id`, in slot order.
  std::span<const NodeId> operands(NodeId id) const {
    return {args_.data() + first_[id], args_.data() + first_[id + 1]};
  }
  /// Position of operand(id, 0) in the flat operand array; edges are numbered by it.
  std::uint32_t first_operand(NodeId id) const { return first_[id]; }
  /// The operand at position `edge` of the flat operand array.
  NodeId operand_at(std::uint32_t edge) const { return args_[edge]; }

  /// Name of node `id`, empty if it has none.
  std::string_view name(NodeId id) const;
  /// Name if set, else "#id".
  std::string label(NodeId id) const;
  /// Names node `id` (names need not be unique); an empty name removes it (the label is "#id").
  void set_name(NodeId id, std::string_view name);
  /// The node named `name`; throws UsageError if none is.
  Node find(std::string_view name) const;
  /// A handle on node `id`; throws UsageError if it does not exist.
  Node node(NodeId id) const;
  /// Parameters in creation order.
  std::vector<Node> parameters() const;
  /// Inputs in creation order.
  std::vector<Node> inputs() const;

  /// The graph's kink conventions, to change: values are re-evaluated before the next read.
  Conventions& conventions() {
    stale_ = true;
    return conventions_;
  }
  /// The graph's kink conventions.
  const Conventions& conventions() const { return conventions_; }
  /// Check mode: forward and backward throw NumericError at the first NaN or infinity.
  void set_check_finite(bool on) { check_finite_ = on; }
  /// Whether check mode is on.
  bool check_finite() const { return check_finite_; }

  // ---- numbers --------------------------------------------------------------------------------
  /// Current value; re-evaluates first if an input or parameter changed since.
  double value(NodeId id) const;
  /// d(root)/d(node) of the last backward pass; 0 before any.
  double grad(NodeId id) const {
    if (id >= size()) [[unlikely]]
      check_id(id, "gradient");  // throws
    return id < ws_.grad.size() ? ws_.grad[id] : 0.0;
  }
  /// Whether the last backward pass reached node `id`.
  bool reached(NodeId id) const;
  /// Whether a backward pass has run since construction or zero_grad().
  bool has_gradients() const { return ws_.root != no_node; }
  /// The root of the last backward pass, or no_node.
  NodeId gradient_root() const { return ws_.root; }
  /// Sets an input's or parameter's value; op nodes are recomputed by the next forward().
  void set_value(NodeId id, double value);
  /// Whether values changed since the last evaluation.
  bool stale() const { return stale_; }

  /// Re-evaluates every node in id order.
  void forward();
  /// Reverse mode from `root`: afterwards grad(n) = d(root)/d(n) for every node n.
  void backward(Node root, GradMode mode = GradMode::reset);
  /// Forgets all gradients.
  void zero_grad();

  /// d(node)/d(operand `slot`) at the current values.
  double local_derivative(NodeId id, std::size_t slot) const;
  /// grad(id) * local_derivative(id, slot) if node `id` was reached, else 0.
  double contribution(NodeId id, std::size_t slot) const;

  /// The graph's own numbers, for engines and views that read them in bulk.
  const Workspace& workspace() const;
  /// The graph's own numbers, writable (for engines).
  Workspace& workspace_mut() { return ws_; }

  /// Throws UsageError unless `n` is a handle into this graph.
  void check(const Node& n, std::string_view what) const;
  /// Throws UsageError naming `what` unless node `id` exists.
  void check_id(NodeId id, std::string_view what) const;
  /// How every message names node `id`: "'z+b' (#11, bias)".
  std::string describe(NodeId id) const;

  /// If gradients() recorded node `id`: the run it belongs to (which node's derivative it
  /// records, and the order of that derivative); else nullptr.
  const BackwardSpan* backward_of(NodeId id) const;
  /// Every run of nodes gradients() recorded, in id order.
  std::span<const BackwardSpan> backward_spans() const { return backward_; }

 private:
  friend struct detail::Access;
  friend struct detail::Recorder;
  friend struct detail::Differentiator;
  friend class Node;
  Node append(Op op, std::span<const Node> operands, double attr);
  // Appends a node whose value is already computed (no checks): the recording fast path, one
  // room check for every array. Operands beyond the first `count` of (a, b) must already be in
  // args_.
  [[gnu::always_inline]] NodeId push(Op op, double attr, double value, NodeId a, NodeId b,
                                     std::size_t count) {
    const auto id = static_cast<NodeId>(op_.n);
    if (op_.n == op_.room() || args_.n + 2 > args_.room()) [[unlikely]]
      grow();
    op_.put(op);
    attr_.put(attr);
    args_.buf[args_.n] = a;  // stored unconditionally, kept if count says so: no branch
    args_.buf[args_.n + 1] = b;
    args_.n += count;
    first_.put(static_cast<std::uint32_t>(args_.n));
    ws_.value.push_back(value);
    if (!origin_.empty()) [[unlikely]]
      origin_.push_back(no_node);  // apply() refuses operands that depend on a failure
    return id;
  }
  // Doubles the room of the node arrays and the operand array (at least 64, and room for
  // `operands` more operands plus the 2 push() stores unconditionally).
  void grow(std::size_t operands = 0);
  Node leaf(Op op, std::string_view name, double value);
  // Removes the last node (a leaf just recorded for an op that then failed).
  void pop_last();
  void refresh() const;

  void throw_if_failed(NodeId id) const;
  std::string dropped_message(const Node& n) const;

  std::unique_ptr<detail::Anchor> anchor_;
  void take(Graph& other) noexcept;
  // A handle on node `id` (unchecked). Handles are how a graph is used, so even a const graph
  // hands them out: what they may change is the graph's values, as through any handle.
  Node handle(NodeId id) const { return {anchor_.get(), id, epoch()}; }
  std::uint32_t epoch() const { return static_cast<std::uint32_t>(rewinds_.size()); }
  // Whether handle `n` (of this graph) survived every rewind since it was made.
  bool alive(const Node& n) const {
    return n.epoch_ == epoch() || (n.epoch_ < rewinds_.size() && n.id_ < rewinds_[n.epoch_]);
  }
};

inline Node::Node(Graph& graph, NodeId id)
    : anchor_(graph.anchor_.get()), id_(id), epoch_(graph.epoch()) {}

namespace detail {
/// Raw views of a graph's structure arrays, for the engine's sweeps (internal).
struct Access {
  static const Op* ops(const Graph& g) { return g.op_.data(); }
  static const std::uint32_t* first(const Graph& g) { return g.first_.data(); }
  static const NodeId* args(const Graph& g) { return g.args_.data(); }
  static const double* attrs(const Graph& g) { return g.attr_.data(); }
};
}  // namespace detail

/// Opens a group for the scope's lifetime.
class GroupScope {
 public:
  /// Calls g.begin_group(name, kind); the destructor calls g.end_group().
  GroupScope(Graph& g, std::string name, std::string kind) : g_(g) {
    g_.begin_group(std::move(name), std::move(kind));
  }
  ~GroupScope() { g_.end_group(); }
  GroupScope(const GroupScope&) = delete;
  GroupScope& operator=(const GroupScope&) = delete;

 private:
  Graph& g_;
};

// ---- the maths, on handles and plain doubles ----------------------------------------------------
Node operator+(Node a, Node b);
Node operator+(Node a, double b);
Node operator+(double a, Node b);
Node operator-(Node a, Node b);
Node operator-(Node a, double b);
Node operator-(double a, Node b);
Node operator*(Node a, Node b);
Node operator*(Node a, double b);
Node operator*(double a, Node b);
Node operator/(Node a, Node b);
Node operator/(Node a, double b);
Node operator/(double a, Node b);
Node operator-(Node a);
inline Node& operator+=(Node& a, Node b) { return a = a + b; }
inline Node& operator+=(Node& a, double b) { return a = a + b; }
inline Node& operator-=(Node& a, Node b) { return a = a - b; }
inline Node& operator-=(Node& a, double b) { return a = a - b; }
inline Node& operator*=(Node& a, Node b) { return a = a * b; }
inline Node& operator*=(Node& a, double b) { return a = a * b; }
inline Node& operator/=(Node& a, Node b) { return a = a / b; }
inline Node& operator/=(Node& a, double b) { return a = a / b; }

/// x^c for a constant exponent.
Node pow(Node x, double c);
Node exp(Node x);
Node log(Node x);
/// One n-ary sum node (every local derivative 1).
Node sum(std::span<const Node> terms);
Node sum(std::initializer_list<Node> terms);
/// z + b, drawn as a bias; b is a parameter (a weight on the constant input 1) or a value.
Node bias(Node z, Node b);
Node bias(Node z, double b);
Node step(Node x);
Node sigmoid(Node x);
Node tanh(Node x);
Node relu(Node x);
Node leaky_relu(Node x, double alpha = 0.01);
Node identity(Node x);
/// log(1 + e^x), stable for every x: its derivative is sigmoid(x).
Node softplus(Node x);
/// |x|; abs'(0) = 0.
Node abs(Node x);
/// min(a, b); at a tie each operand gets half the gradient.
Node min(Node a, Node b);
Node min(Node a, double b);
Node min(double a, Node b);
/// max(a, b); at a tie each operand gets half the gradient.
Node max(Node a, Node b);
Node max(Node a, double b);
Node max(double a, Node b);
/// min(max(x, lo), hi): two nodes, so its kinks follow max's and min's conventions (at x == lo
/// or x == hi the gradient is 1/2).
Node clamp(Node x, double lo, double hi);
/// The square root (x >= 0).
Node sqrt(Node x);
Node sin(Node x);
Node cos(Node x);
/// x^y with a node exponent (x >= 0): an op of its own, differentiable in both.
Node pow(Node x, Node y);
/// c^y for a constant base c >= 0.
Node pow(double c, Node y);
/// The value of x with derivative 0 by definition: no gradient passes (stop_gradient).
Node detach(Node x);
/// H(x; c): 1 for x > 0, 0 for x < 0, c at 0; derivative 0 (records kinked ops' derivatives).
Node heaviside(Node x, double at_zero = 0.5);

/// Writes what every message shows: "'z+b' (#11, bias) = 0.2" (an empty handle: "<empty node>").
std::ostream& operator<<(std::ostream& out, const Node& n);

}  // namespace gradflow

/// \cond
// Nodes as keys of unordered containers.
template <>
struct std::hash<gradflow::Node> {
  std::size_t operator()(const gradflow::Node& n) const noexcept {
    return std::hash<const void*>{}(n.graph_key()) * 31u + n.id();
  }
};

// fmt::format("{}", node) gives the same text as operator<<.
template <>
struct fmt::formatter<gradflow::Node> : fmt::ostream_formatter {};
/// \endcond
