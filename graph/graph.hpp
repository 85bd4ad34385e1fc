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
  std::vector<T> buf;   ///< storage; buf.size() is the capacity
  std::size_t n = 0;    ///< elements in use
  std::size_t cap = 0;  ///< buf.size(), kept apart so that the room check is one load
  std::size_t size() const { return n; }
  std::size_t room() const { return cap; }
  T* data() { return buf.data(); }
  const T* data() const { return buf.data(); }
  T& operator[](std::size_t i) { return buf[i]; }
  const T& operator[](std::size_t i) const { return buf[i]; }
  const T& back() const { return buf[n - 1]; }
  /// Appends without a check: room() > size() is the caller's promise.
  void put(T v) { buf[n++] = v; }
  /// Room for exactly `m` elements (at least size()).
  void set_room(std::size_t m) {
    buf.resize(std::max(m, n));
    cap = buf.size();
  }
  void reserve(std::size_t m) {
    if (m > buf.size()) set_room(std::max(m, 2 * buf.size()));
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

/// Storage indexed like the node arrays, whose size is the graph's node count (internal): a node's
/// constant and its operand offset are written without a count of their own.
template <class T>
struct Rows {
  std::vector<T> buf;  ///< storage; at least as long as the node arrays need
  T* data() { return buf.data(); }
  const T* data() const { return buf.data(); }
  T& operator[](std::size_t i) { return buf[i]; }
  const T& operator[](std::size_t i) const { return buf[i]; }
  void reserve(std::size_t m) {
    if (m > buf.size()) buf.resize(std::max(m, 2 * buf.size()));
  }
};

/// Everything a graph holds but its anchor: one place, so that moving and cloning a graph
/// cannot forget a member (internal; Graph's base).
struct GraphState {
  // structure
  Column<Op> op_;              // its size is the node count
  Rows<std::uint32_t> first_;  // size()+1 offsets into args_
  Column<NodeId> args_;
  Rows<double> attr_;
  std::unordered_map<NodeId, std::string> names_;
  mutable std::vector<Group> groups_;  // mutable: open groups grow as groups() is read
  std::vector<std::size_t> open_groups_;
  Conventions conventions_;
  bool check_finite_ = false;
  std::vector<BackwardSpan> backward_;  // what gradients() recorded, in id order

  // numbers; mutable so that reading a value can first bring stale values up to date
  mutable Workspace ws_;
  mutable bool stale_ = false;
  // stale_ || check_finite_ || !origin_.empty(): the recording's fast path is off (one test).
  mutable bool slow_ = false;
  // Empty unless the last re-evaluation failed somewhere (a value set out of an op's domain):
  // then, per node, the failed node its value depends on (or no_node), and each failure.
  mutable std::vector<NodeId> origin_;
  mutable std::unordered_map<NodeId, std::exception_ptr> failures_;

  // rewind(): kept(e) is the fewest nodes any rewind since the e-th kept (a handle made after e
  // rewinds is alive if its id is below it). kept() does not decrease with e, so it is stored as
  // runs of equal values: a training loop that rewinds to one mark every step holds one run.
  struct RewindRun {
    std::uint32_t first;  // the run covers epochs first, ..., the next run's first - 1
    NodeId kept;          // kept(e) for those epochs
  };
  std::vector<RewindRun> rewinds_;
  std::uint32_t epoch_ = 0;  // the number of rewinds, kept for the recording's handles
  NodeId names_end_ = 0;     // every named node's id is below it
  // Nodes 0, ..., leaf_prefix_ - 1 are all leaves (the parameters before a mark): the reverse
  // sweep, which has nothing to do at a leaf, stops there.
  NodeId leaf_prefix_ = 0;
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
  /// Nodes 0, ..., leaf_prefix() - 1 are leaves (inputs, parameters, constants).
  NodeId leaf_prefix() const { return leaf_prefix_; }
  /// Number of operand slots over all nodes.
  std::size_t edge_count() const { return args_.size(); }
  /// Op of node `id` (unchecked, like the accessors below).
  Op op(NodeId id) const { return op_[id]; }
  /// Kind of node `id`.
  NodeKind kind(NodeId id) const { return info(op_[id]).kind; }
  /// The op's constant: pow's exponent, leaky_relu's slope, heaviside's value at 0; 0 for ops
  /// without one (whose constant is not stored).
  double attr(NodeId id) const { return info(op_[id]).attr == AttrKind::none ? 0.0 : attr_[id]; }
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
    stale_ = slow_ = true;
    return conventions_;
  }
  /// The graph's kink conventions.
  const Conventions& conventions() const { return conventions_; }
  /// Check mode: forward and backward throw NumericError at the first NaN or infinity.
  void set_check_finite(bool on) {
    check_finite_ = on;
    update_slow();
  }
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
  /// Gradients of the nodes begin, ..., end - 1 of the last backward pass (0 before any), with one
  /// check for the whole range: the read-back of the parameters kept before a mark is
  /// `grads(0, mark.nodes)`. Valid until the graph records, rewinds or runs backward again.
  std::span<const double> grads(NodeId begin, NodeId end) const;
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
  // room check for every array (their room never exceeds no_node nodes, so the id fits).
  // Operands beyond the first `count` of (a, b) must already be in args_. Only while !slow_.
  // The constant is stored only for ops that have one (`kAttr`); attr() reads 0 for the others.
  template <bool kAttr = true>
  [[gnu::always_inline]] NodeId push_fast(Op op, double attr, double value, NodeId a, NodeId b,
                                          std::size_t count) {
    const std::size_t n = op_.n, e = args_.n;
    if (n == op_.room() || e + 2 > args_.room()) [[unlikely]]
      grow();
    // Every address is read before the first store: a store through the byte array op_ may
    // alias anything, and would force reloads in between.
    Op* o = op_.buf.data();
    double* at = attr_.buf.data();
    NodeId* ar = args_.buf.data();
    std::uint32_t* f = first_.buf.data();
    ws_.value.push_back(value);
    if constexpr (kAttr) at[n] = attr;
    ar[e] = a;  // stored unconditionally, kept if count says so: no branch
    ar[e + 1] = b;
    f[n + 1] = static_cast<std::uint32_t>(e + count);
    o[n] = op;
    op_.n = n + 1;
    args_.n = e + count;
    return static_cast<NodeId>(n);
  }
  // push_fast() in any state.
  NodeId push(Op op, double attr, double value, NodeId a, NodeId b, std::size_t count) {
    const NodeId id = push_fast(op, attr, value, a, b, count);
    if (!origin_.empty()) [[unlikely]]
      origin_.push_back(no_node);  // apply() refuses operands that depend on a failure
    return id;
  }
  void update_slow() const { slow_ = stale_ || check_finite_ || !origin_.empty(); }
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
  std::uint32_t epoch() const { return epoch_; }
  // Whether handle `n` (of this graph) survived every rewind since it was made.
  bool alive(const Node& n) const {
    return n.epoch_ == epoch() || (n.epoch_ < epoch() && n.id_ < kept(n.epoch_));
  }
  // The fewest nodes any rewind since the e-th kept (e < epoch()).
  NodeId kept(std::uint32_t e) const {
    const auto it =
        std::upper_bound(rewinds_.begin(), rewinds_.end(), e,
                         [](std::uint32_t v, const RewindRun& r) { return v < r.first; });
    return (it - 1)->kept;
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
  /// The graph's own values as they are (no re-evaluation): leaves' values are never stale.
  static const double* values(const Graph& g) { return g.ws_.value.data(); }
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

namespace detail {
// The recording fast path, inline in every caller: the operands' handles checked with a few
// compares (same graph, ids in range), the value computed from the op's rule directly, one room
// check and the stores of push(). Anything unusual (a bad handle, a value outside the op's
// domain, check mode, stale values, a full graph) takes Graph::apply's general path, out of line,
// which reports it.
struct Recorder {
  // The graph's state allows the fast path: values up to date, no check mode, no failure.
  static bool fast(const Graph& g) { return !g.slow_; }

  // The graph comes from the first operand: an empty one is named with the op being built.
  [[noreturn, gnu::cold, gnu::noinline]] static void empty_operand(std::string_view op);
  // The general path, out of line (Graph::apply).
  [[gnu::cold, gnu::noinline]] static Node general(Graph& g, Op op, Node a, Node b, double attr,
                                                   std::size_t n);
  [[gnu::noinline]] static Node sum_general(Graph& g, std::span<const Node> terms);
  [[gnu::noinline]] static Node affine_general(Graph& g, std::span<const Node> w,
                                               std::span<const Node> x, Node b);

  // The first operand's graph; with GRADFLOW_CHECK_HANDLES, checked alive.
  static Graph& graph_of(Node a, std::string_view op) {
    if (a.anchor_ == nullptr) [[unlikely]]
      empty_operand(op);
#ifdef GRADFLOW_CHECK_HANDLES
    return a.graph();
#else
    return *a.anchor_->graph;
#endif
  }
  // Whether handle n is one of g's (release builds: same anchor, id in range; with
  // GRADFLOW_CHECK_HANDLES also alive after every rewind).
  static bool ok(const Graph& g, Node n) {
#ifdef GRADFLOW_CHECK_HANDLES
    if (!g.alive(n)) return false;  // Graph::apply reports it
#endif
    return n.anchor_ == g.anchor_.get() && n.id_ < g.op_.n;
  }

  template <class R>
  [[gnu::always_inline]] static Node binary(Node a, Node b) {
    Graph& g = graph_of(a, R::info.name);
    // a's anchor is g's, so one compare checks b's graph; one compare both ids.
    bool good = fast(g) && a.anchor_ == b.anchor_ && std::max(a.id_, b.id_) < g.op_.n;
#ifdef GRADFLOW_CHECK_HANDLES
    good = good && ok(g, a) && ok(g, b);
#endif
    if (!good) [[unlikely]]
      return general(g, R::info.op, a, b, 0.0, 2);
    const double* v = g.ws_.value.data();
    const double x0 = v[a.id_], x1 = v[b.id_];
    const auto x = [&](std::size_t k) { return k == 0 ? x0 : x1; };
    if constexpr (requires { R::domain(0.0, 0.0); })
      if (domain<R>(0.0, x).reason != nullptr) [[unlikely]]
        return general(g, R::info.op, a, b, 0.0, 2);
    const double r = compute<R>(0.0, g.conventions_, 2, x);
    return Node(a.anchor_,
                g.push_fast<R::info.attr != AttrKind::none>(R::info.op, 0.0, r, a.id_, b.id_, 2),
                g.epoch());
  }

  template <class R>
  [[gnu::always_inline]] static Node unary(Node a, double attr) {
    Graph& g = graph_of(a, R::info.name);
    bool good = fast(g) && a.id_ < g.op_.n;
#ifdef GRADFLOW_CHECK_HANDLES
    good = good && ok(g, a);
#endif
    if (!good) [[unlikely]]
      return general(g, R::info.op, a, a, attr, 1);
    const double x0 = g.ws_.value[a.id_];
    const auto x = [&](std::size_t) { return x0; };
    if constexpr (requires { R::domain(0.0, 0.0); })
      if (domain<R>(attr, x).reason != nullptr) [[unlikely]]
        return general(g, R::info.op, a, a, attr, 1);
    const double r = compute<R>(attr, g.conventions_, 1, x);
    return Node(a.anchor_,
                g.push_fast<R::info.attr != AttrKind::none>(R::info.op, attr, r, a.id_, 0, 1),
                g.epoch());
  }

  // A binary op with a plain double operand: the double becomes a constant node, which is
  // removed again if the op fails, so that a failed op records nothing.
  template <class R>
  static Node binary_lifted(Node a, double b, bool b_first) {
    Graph& g = graph_of(a, R::info.name);
    const std::size_t before = g.size();
    const Node c = g.constant(b);
    try {
      return b_first ? binary<R>(c, a) : binary<R>(a, c);
    } catch (...) {
      if (g.size() == before + 1) g.pop_last();
      throw;
    }
  }

  // One pass over the terms: check, add (left to right, as rules::Sum), store the operand id.
  static Node sum(std::span<const Node> terms) {
    Graph& g = graph_of(terms.front(), "sum");
    const std::size_t n = terms.size();
    if (!fast(g) || g.op_.n == g.op_.room() || g.args_.n + n + 2 > g.args_.room()) [[unlikely]]
      return sum_general(g, terms);
    const detail::Anchor* anchor = g.anchor_.get();
    const std::size_t size = g.op_.n;
    const double* v = g.ws_.value.data();
    NodeId* out = g.args_.buf.data() + g.args_.n;  // room checked above; committed below
    double s = 0.0;
    for (std::size_t k = 0; k < n; ++k) {
      const Node& t = terms[k];
      if (t.anchor_ != anchor || t.id_ >= size) [[unlikely]]
        return sum_general(g, terms);
      s += v[t.id_];
      out[k] = t.id_;
    }
#ifdef GRADFLOW_CHECK_HANDLES
    for (const Node& t : terms)
      if (!ok(g, t)) return sum_general(g, terms);
#endif
    g.args_.n += n;
    return Node(g.anchor_.get(), g.push_fast<false>(Op::sum, 0.0, s, 0, 0, 0), g.epoch());
  }

  // The same single pass for rules::Affine: operands w_1, x_1, ..., w_n, x_n, b; the value in
  // the rule's order (products left to right from 0, then the bias).
  static Node affine(std::span<const Node> w, std::span<const Node> x, Node b) {
    Graph& g = graph_of(b, "affine");
    const std::size_t n = w.size();
    if (!fast(g) || g.op_.n == g.op_.room() || g.args_.n + 2 * n + 3 > g.args_.room()) [[unlikely]]
      return affine_general(g, w, x, b);
    detail::Anchor* anchor = g.anchor_.get();
    const std::size_t size = g.op_.n;
    const double* v = g.ws_.value.data();
    NodeId* out = g.args_.buf.data() + g.args_.n;  // room checked above; committed below
    double s = 0.0;
    for (std::size_t k = 0; k < n; ++k) {
      const Node& wk = w[k];
      const Node& xk = x[k];
      if (wk.anchor_ != anchor || xk.anchor_ != anchor || std::max(wk.id_, xk.id_) >= size)
          [[unlikely]]
        return affine_general(g, w, x, b);
      const double p = v[wk.id_] * v[xk.id_];
      s += p;
      out[2 * k] = wk.id_;
      out[2 * k + 1] = xk.id_;
    }
    if (b.id_ >= size) [[unlikely]]
      return affine_general(g, w, x, b);
#ifdef GRADFLOW_CHECK_HANDLES
    for (std::size_t k = 0; k < n; ++k)
      if (!ok(g, w[k]) || !ok(g, x[k])) return affine_general(g, w, x, b);
    if (!ok(g, b)) return affine_general(g, w, x, b);
#endif
    out[2 * n] = b.id_;
    s += v[b.id_];
    g.args_.n += 2 * n + 1;
    return Node(anchor, g.push_fast<false>(Op::affine, 0.0, s, 0, 0, 0), g.epoch());
  }
};
}  // namespace detail

// ---- the maths, on handles and plain doubles ----------------------------------------------------
// Inline: each operator is the recording fast path above, compiled into the caller.
inline Node operator+(Node a, Node b) { return detail::Recorder::binary<rules::Add>(a, b); }
inline Node operator+(Node a, double b) {
  return detail::Recorder::binary_lifted<rules::Add>(a, b, false);
}
inline Node operator+(double a, Node b) {
  return detail::Recorder::binary_lifted<rules::Add>(b, a, true);
}
inline Node operator-(Node a, Node b) { return detail::Recorder::binary<rules::Sub>(a, b); }
inline Node operator-(Node a, double b) {
  return detail::Recorder::binary_lifted<rules::Sub>(a, b, false);
}
inline Node operator-(double a, Node b) {
  return detail::Recorder::binary_lifted<rules::Sub>(b, a, true);
}
inline Node operator*(Node a, Node b) { return detail::Recorder::binary<rules::Mul>(a, b); }
inline Node operator*(Node a, double b) {
  return detail::Recorder::binary_lifted<rules::Mul>(a, b, false);
}
inline Node operator*(double a, Node b) {
  return detail::Recorder::binary_lifted<rules::Mul>(b, a, true);
}
inline Node operator/(Node a, Node b) { return detail::Recorder::binary<rules::Div>(a, b); }
inline Node operator/(Node a, double b) {
  return detail::Recorder::binary_lifted<rules::Div>(a, b, false);
}
inline Node operator/(double a, Node b) {
  return detail::Recorder::binary_lifted<rules::Div>(b, a, true);
}
inline Node operator-(Node a) { return detail::Recorder::unary<rules::Neg>(a, 0.0); }
inline Node& operator+=(Node& a, Node b) { return a = a + b; }
inline Node& operator+=(Node& a, double b) { return a = a + b; }
inline Node& operator-=(Node& a, Node b) { return a = a - b; }
inline Node& operator-=(Node& a, double b) { return a = a - b; }
inline Node& operator*=(Node& a, Node b) { return a = a * b; }
inline Node& operator*=(Node& a, double b) { return a = a * b; }
inline Node& operator/=(Node& a, Node b) { return a = a / b; }
inline Node& operator/=(Node& a, double b) { return a = a / b; }

/// x^c for a constant exponent.
inline Node pow(Node x, double c) { return detail::Recorder::unary<rules::Pow>(x, c); }
inline Node exp(Node x) { return detail::Recorder::unary<rules::Exp>(x, 0.0); }
inline Node log(Node x) { return detail::Recorder::unary<rules::Log>(x, 0.0); }
/// One n-ary sum node (every local derivative 1).
Node sum(std::span<const Node> terms);
Node sum(std::initializer_list<Node> terms);
/// w_1 x_1 + ... + w_n x_n + b as one node (rules::Affine: edges w_k, x_k, b with local
/// derivatives x_k, w_k, 1); w and x of equal size. The fused form of bias(sum(w_k * x_k), b):
/// the same value, 2n + 2 fewer nodes.
Node affine(std::span<const Node> w, std::span<const Node> x, Node b);
/// z + b, drawn as a bias; b is a parameter (a weight on the constant input 1) or a value.
inline Node bias(Node z, Node b) { return detail::Recorder::binary<rules::Bias>(z, b); }
inline Node bias(Node z, double b) {
  return detail::Recorder::binary_lifted<rules::Bias>(z, b, false);
}
inline Node step(Node x) { return detail::Recorder::unary<rules::Step>(x, 0.0); }
inline Node sigmoid(Node x) { return detail::Recorder::unary<rules::Sigmoid>(x, 0.0); }
inline Node tanh(Node x) { return detail::Recorder::unary<rules::Tanh>(x, 0.0); }
inline Node relu(Node x) { return detail::Recorder::unary<rules::Relu>(x, 0.0); }
inline Node leaky_relu(Node x, double alpha = 0.01) {
  return detail::Recorder::unary<rules::LeakyRelu>(x, alpha);
}
inline Node identity(Node x) { return detail::Recorder::unary<rules::Identity>(x, 0.0); }
/// log(1 + e^x), stable for every x: its derivative is sigmoid(x).
inline Node softplus(Node x) { return detail::Recorder::unary<rules::Softplus>(x, 0.0); }
/// |x|; abs'(0) = 0.
inline Node abs(Node x) { return detail::Recorder::unary<rules::Abs>(x, 0.0); }
/// min(a, b); at a tie each operand gets half the gradient.
inline Node min(Node a, Node b) { return detail::Recorder::binary<rules::Min>(a, b); }
inline Node min(Node a, double b) {
  return detail::Recorder::binary_lifted<rules::Min>(a, b, false);
}
inline Node min(double a, Node b) {
  return detail::Recorder::binary_lifted<rules::Min>(b, a, true);
}
/// max(a, b); at a tie each operand gets half the gradient.
inline Node max(Node a, Node b) { return detail::Recorder::binary<rules::Max>(a, b); }
inline Node max(Node a, double b) {
  return detail::Recorder::binary_lifted<rules::Max>(a, b, false);
}
inline Node max(double a, Node b) {
  return detail::Recorder::binary_lifted<rules::Max>(b, a, true);
}
/// min(max(x, lo), hi): two nodes, so its kinks follow max's and min's conventions (at x == lo
/// or x == hi the gradient is 1/2).
Node clamp(Node x, double lo, double hi);
/// The square root (x >= 0).
inline Node sqrt(Node x) { return detail::Recorder::unary<rules::Sqrt>(x, 0.0); }
inline Node sin(Node x) { return detail::Recorder::unary<rules::Sin>(x, 0.0); }
inline Node cos(Node x) { return detail::Recorder::unary<rules::Cos>(x, 0.0); }
/// x^y with a node exponent (x >= 0): an op of its own, differentiable in both.
inline Node pow(Node x, Node y) { return detail::Recorder::binary<rules::Power>(x, y); }
/// c^y for a constant base c >= 0.
inline Node pow(double c, Node y) {
  return detail::Recorder::binary_lifted<rules::Power>(y, c, true);
}
/// The value of x with derivative 0 by definition: no gradient passes (stop_gradient).
inline Node detach(Node x) { return detail::Recorder::unary<rules::Detach>(x, 0.0); }
/// H(x; c): 1 for x > 0, 0 for x < 0, c at 0; derivative 0 (records kinked ops' derivatives).
inline Node heaviside(Node x, double at_zero = 0.5) {
  return detail::Recorder::unary<rules::Heaviside>(x, at_zero);
}

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
