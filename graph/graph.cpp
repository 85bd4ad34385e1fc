#include <gradflow/graph/graph.hpp>

#ifdef GRADFLOW_CHECK_HANDLES
#include <mutex>
#include <unordered_set>
#endif

#include <algorithm>
#include <ostream>

#include <fmt/format.h>

#include <gradflow/graph/evaluate.hpp>
#include <gradflow/ops/errors.hpp>

namespace gradflow {

// ---- Node ---------------------------------------------------------------------------------------

#ifdef GRADFLOW_CHECK_HANDLES
// Debug builds keep the addresses of live graphs, so that a handle that outlived its graph is an
// error instead of a read of freed memory. (A new graph built at the same address would pass.)
namespace {
std::mutex live_mutex;
std::unordered_set<const detail::Anchor*>& live_graphs() {
  static std::unordered_set<const detail::Anchor*> live;
  return live;
}
}  // namespace
#endif

Graph& Node::graph() const {
  if (anchor_ == nullptr)
    throw UsageError(
        "gradflow: this Node handle is empty (default-constructed): it belongs to "
        "no graph");
#ifdef GRADFLOW_CHECK_HANDLES
  {
    const std::lock_guard lock(live_mutex);
    if (!live_graphs().contains(anchor_))
      throw UsageError(
          fmt::format("gradflow: the graph of node #{} was destroyed: a Node handle "
                      "must not outlive its Graph",
                      id_));
  }
  if (!anchor_->graph->alive(*this)) throw UsageError(anchor_->graph->dropped_message(*this));
#endif
  return *anchor_->graph;
}
Op Node::op() const { return graph().op(id_); }
NodeKind Node::kind() const { return graph().kind(id_); }
std::string_view Node::name() const { return graph().name(id_); }
std::string Node::label() const { return graph().label(id_); }
Node Node::named(std::string_view name) const {
  graph().set_name(id_, name);
  return *this;
}
double Node::value() const { return graph().value(id_); }
double Node::grad() const { return graph().grad(id_); }
bool Node::reached() const { return graph().reached(id_); }
const Node& Node::set(double value) const {
  graph().set_value(id_, value);
  return *this;
}
std::size_t Node::operand_count() const { return graph().operands(id_).size(); }
Node Node::operand(std::size_t slot) const {
  const auto ops = graph().operands(id_);
  if (slot >= ops.size())
    throw UsageError(fmt::format("gradflow: node {} has {} operand(s), not slot {}",
                                 anchor_->graph->describe(id_), ops.size(), slot));
  return Node(*anchor_->graph, ops[slot]);
}
double Node::local_derivative(std::size_t slot) const {
  return graph().local_derivative(id_, slot);
}
double Node::contribution(std::size_t slot) const { return graph().contribution(id_, slot); }

// ---- Graph: building ----------------------------------------------------------------------------

Graph::Graph(Conventions conventions)
    : anchor_(std::make_unique<detail::Anchor>(detail::Anchor{this})) {
  conventions_ = conventions;
  first_.reserve(1);
  first_[0] = 0;
#ifdef GRADFLOW_CHECK_HANDLES
  const std::lock_guard lock(live_mutex);
  live_graphs().insert(anchor_.get());
#endif
}

// Not `= default`: with GRADFLOW_CHECK_HANDLES the graph leaves the registry of live graphs.
Graph::~Graph() {  // NOLINT(modernize-use-equals-default)
#ifdef GRADFLOW_CHECK_HANDLES
  const std::lock_guard lock(live_mutex);
  live_graphs().erase(anchor_.get());
#endif
}

// Takes other's contents and anchor (so its handles follow); other becomes an empty graph with a
// new anchor.
void Graph::take(Graph& other) noexcept {
  static_cast<GraphState&>(*this) = std::move(static_cast<GraphState&>(other));
  anchor_ = std::move(other.anchor_);
  anchor_->graph = this;
  // other: empty again, with its conventions and an anchor of its own
  const Conventions conventions = conventions_;
  static_cast<GraphState&>(other) = GraphState{};
  other.conventions_ = conventions;
  other.first_.reserve(1);
  other.first_[0] = 0;
  other.anchor_ = std::make_unique<detail::Anchor>(detail::Anchor{&other});
#ifdef GRADFLOW_CHECK_HANDLES
  const std::lock_guard lock(live_mutex);
  live_graphs().insert(other.anchor_.get());
#endif
}

Graph::Graph(Graph&& other) noexcept { take(other); }

Graph& Graph::operator=(Graph&& other) noexcept {
  if (this != &other) {
#ifdef GRADFLOW_CHECK_HANDLES
    {
      const std::lock_guard lock(live_mutex);
      if (anchor_) live_graphs().erase(anchor_.get());
    }
#endif
    take(other);
  }
  return *this;
}

Graph Graph::clone() const {
  Graph c;
  static_cast<GraphState&>(c) = static_cast<const GraphState&>(*this);
  return c;
}

void Graph::check(const Node& n, std::string_view what) const {
  if (!n.valid())
    throw UsageError(fmt::format("gradflow: {}: the handle is empty (default-constructed)", what));
  if (&n.graph() != this)
    throw UsageError(fmt::format(
        "gradflow: {}: node {} belongs to another graph (of {} nodes) than this one (of {} "
        "nodes); nodes of two graphs cannot be combined",
        what, n.graph().describe(n.id()), n.graph().size(), size()));
  if (!alive(n)) throw UsageError(fmt::format("gradflow: {}: {}", what, dropped_message(n)));
  check_id(n.id(), what);
}

std::string Graph::dropped_message(const Node& n) const {
  return fmt::format(
      "node #{} was dropped by Graph::rewind() (the graph kept its first {} nodes); a handle "
      "must not outlive the part of the graph it points into",
      n.id_, kept(n.epoch_));
}

void Graph::check_id(NodeId id, std::string_view what) const {
  if (id >= size())
    throw UsageError(fmt::format("gradflow: {}: node #{} does not exist (the graph has {} nodes)",
                                 what, id, size()));
}

std::string Graph::describe(NodeId id) const {
  return fmt::format("'{}' (#{}, {})", label(id), id, info(op(id)).name);
}

Node Graph::append(Op op, std::span<const Node> operands, double attr) {
  const NodeId id = static_cast<NodeId>(size());
  if (id == no_node) throw UsageError("gradflow: graph is full (2^32 - 1 nodes)");
  // The same room check as push(): the node arrays grow together, or push()'s single check
  // would miss an array that a push_back here had left smaller than the others.
  if (op_.n == op_.room() || args_.n + operands.size() + 2 > args_.room()) grow(operands.size());
  attr_[id] = attr;
  for (const Node& n : operands) args_.buf[args_.n++] = n.id();
  first_[std::size_t{id} + 1] = static_cast<std::uint32_t>(args_.n);
  op_.put(op);
  ws_.value.push_back(0.0);
  if (info(op).kind == NodeKind::op) {
    try {
      detail::evaluate_appended(*this, ws_, id);
    } catch (...) {  // leave the graph exactly as it was
      pop_last();
      throw;
    }
  }
  return handle(id);
}

void Graph::grow(std::size_t operands) {
  if (op_.n >= no_node) throw UsageError("gradflow: graph is full (2^32 - 1 nodes)");
  // At most no_node nodes of room, so that push_fast()'s room check also keeps ids below it.
  const std::size_t nodes =
      std::min<std::size_t>(no_node, std::max<std::size_t>(64, 2 * op_.room()));
  const std::size_t edges =
      std::max<std::size_t>(args_.n + operands + 2, std::max<std::size_t>(128, 2 * args_.room()));
  if (nodes > op_.room()) op_.set_room(nodes);
  attr_.reserve(op_.room());
  first_.reserve(op_.room() + 1);
  args_.reserve(edges);
  ws_.value.reserve(op_.room());
}

Node Graph::leaf(Op op, std::string_view name, double value) {
  if (size() == no_node) throw UsageError("gradflow: graph is full (2^32 - 1 nodes)");
  const Node n(*this, push(op, 0.0, value, 0, 0, 0));
  if (leaf_prefix_ == n.id()) ++leaf_prefix_;
  if (!name.empty()) set_name(n.id(), name);
  return n;
}

Node Graph::input(std::string_view name, double value) { return leaf(Op::input, name, value); }
Node Graph::parameter(std::string_view name, double value) {
  return leaf(Op::parameter, name, value);
}
Node Graph::constant(double value, std::string_view name) {
  return leaf(Op::constant, name, value);
}

namespace detail {

void Recorder::empty_operand(std::string_view op) {
  throw UsageError(
      fmt::format("gradflow: {}: an operand is an empty handle (default-constructed)", op));
}

Node Recorder::general(Graph& g, Op op, Node a, Node b, double attr, std::size_t n) {
  const Node both[2] = {a, b};
  return g.apply(op, std::span<const Node>(both, n), attr);
}

Node Recorder::sum_general(Graph& g, std::span<const Node> terms) {
  return g.apply(Op::sum, terms);
}

Node Recorder::affine_general(Graph& g, std::span<const Node> w, std::span<const Node> x, Node b) {
  std::vector<Node> operands;  // the unusual path only (a bad handle, check mode, growth)
  operands.reserve(2 * w.size() + 1);
  for (std::size_t k = 0; k < w.size(); ++k) {
    operands.push_back(w[k]);
    operands.push_back(x[k]);
  }
  operands.push_back(b);
  return g.apply(Op::affine, operands);
}

}  // namespace detail

Node Graph::apply(Op op, std::span<const Node> operands, std::optional<double> attr_or_default) {
  const OpInfo oi = info(op);
  const double attr = attr_or_default.value_or(oi.attr_default);
  if (oi.kind != NodeKind::op)
    throw UsageError(
        fmt::format("gradflow: apply({}): leaves are made with input(), "
                    "parameter() or constant()",
                    oi.name));
  if (!arity_allows(op, operands.size()))
    throw UsageError(fmt::format("gradflow: {} takes {} operand(s), got {}", oi.name,
                                 arity_text(op), operands.size()));
  for (const Node& n : operands) check(n, oi.name);
  if (stale_) refresh();
  for (const Node& n : operands) throw_if_failed(n.id());
  if (!check_finite_ && size() < no_node) {
    // Evaluate first; commit only if the operands are in the op's domain (otherwise append()
    // records, reports and rolls back).
    const double* v = ws_.value.data();
    const auto x = [&](std::size_t k) { return v[operands[k].id()]; };
    bool in_domain = true;
    double r = 0.0;
    with_rule(op, [&](auto rule) {
      using R = decltype(rule);
      in_domain = domain<R>(attr, x).reason == nullptr;
      if (in_domain) r = compute<R>(attr, conventions_, operands.size(), x);
    });
    if (in_domain) {
      for (const Node& n : operands) args_.push_back(n.id());
      return handle(push(op, attr, r, 0, 0, 0));
    }
  }
  return append(op, operands, attr);
}

void Graph::pop_last() {
  names_.erase(static_cast<NodeId>(size() - 1));
  op_.pop_back();
  args_.resize(first_[size()]);
  ws_.value.pop_back();
  if (origin_.size() > size()) origin_.pop_back();
  leaf_prefix_ = std::min(leaf_prefix_, static_cast<NodeId>(size()));
  update_slow();
  if (ws_.grad.size() > size()) {
    ws_.grad.resize(size());
    ws_.reached.resize(size());
  }
}

void Graph::rewind(const Mark& m) {
  if (m.nodes > size() || m.groups > groups_.size())
    throw UsageError(fmt::format(
        "gradflow: rewind: the mark ({} nodes, {} groups) lies beyond this graph's recording ({} "
        "nodes, {} groups): it was taken on another graph or before an earlier rewind",
        m.nodes, m.groups, size(), groups_.size()));
  const NodeId n = m.nodes;
  leaf_prefix_ = std::min(leaf_prefix_, n);
  op_.resize(n);
  args_.resize(first_[n]);
  ws_.value.resize(n);
  if (ws_.root != no_node && ws_.root >= n) {  // the gradients were of a dropped root
    ws_.grad.clear();
    ws_.reached.clear();
    ws_.root = no_node;
  } else if (ws_.grad.size() > n) {
    ws_.grad.resize(n);
    ws_.reached.resize(n);
  }
  if (names_end_ > n) {
    std::erase_if(names_, [n](const auto& kv) { return kv.first >= n; });
    names_end_ = n;
  }
  groups_.resize(m.groups);
  std::erase_if(open_groups_, [&](std::size_t k) { return k >= m.groups; });
  for (Group& gr : groups_) gr.end = std::min(gr.end, n);
  if (!origin_.empty()) {
    origin_.resize(n);
    std::erase_if(failures_, [n](const auto& kv) { return kv.first >= n; });
    if (failures_.empty()) origin_.clear();
  }
  update_slow();
  // Handles made since an earlier rewind keep only what every later rewind kept.
  // kept(e) = n for the new epoch and for every earlier one that kept more: those are the last
  // runs, which merge into one.
  std::uint32_t first = epoch_;
  while (!rewinds_.empty() && rewinds_.back().kept >= n) {
    first = rewinds_.back().first;
    rewinds_.pop_back();
  }
  rewinds_.push_back({first, n});
  ++epoch_;
}

void Graph::reserve(std::size_t nodes, std::size_t operands) {
  nodes = std::min<std::size_t>(nodes, no_node);
  if (nodes > op_.room()) op_.set_room(nodes);
  attr_.reserve(op_.room());
  first_.reserve(op_.room() + 1);
  args_.reserve(operands + 2);  // push() stores two operands unconditionally
  ws_.value.reserve(op_.room());
}

std::size_t Graph::begin_group(std::string name, std::string kind) {
  const int parent = open_groups_.empty() ? -1 : static_cast<int>(open_groups_.back());
  const auto here = static_cast<NodeId>(size());
  groups_.push_back(Group{std::move(name), std::move(kind), here, here, parent});
  open_groups_.push_back(groups_.size() - 1);
  return groups_.size() - 1;
}

void Graph::end_group() {
  if (open_groups_.empty()) throw UsageError("gradflow: end_group() without begin_group()");
  groups_[open_groups_.back()].end = static_cast<NodeId>(size());
  open_groups_.pop_back();
}

// ---- Graph: structure ---------------------------------------------------------------------------

std::string_view Graph::name(NodeId id) const {
  const auto it = names_.find(id);
  return it == names_.end() ? std::string_view{} : std::string_view{it->second};
}

std::string Graph::label(NodeId id) const {
  const auto it = names_.find(id);
  return it == names_.end() ? fmt::format("#{}", id) : it->second;
}

void Graph::set_name(NodeId id, std::string_view name) {
  check_id(id, "naming a node");
  if (name.empty()) {
    names_.erase(id);  // back to "#id"
  } else {
    names_[id] = std::string(name);
    names_end_ = std::max(names_end_, id + 1);
  }
}

Node Graph::find(std::string_view name) const {
  NodeId best = no_node;
  for (const auto& [id, n] : names_)
    if (n == name && id < best) best = id;
  if (best == no_node) throw UsageError(fmt::format("gradflow: no node is named '{}'", name));
  return handle(best);
}

Node Graph::node(NodeId id) const {
  check_id(id, "node()");
  return handle(id);
}

std::vector<Node> Graph::parameters() const {
  std::vector<Node> out;
  for (NodeId i = 0; i < size(); ++i)
    if (op_[i] == Op::parameter) out.push_back(handle(i));
  return out;
}

std::vector<Node> Graph::inputs() const {
  std::vector<Node> out;
  for (NodeId i = 0; i < size(); ++i)
    if (op_[i] == Op::input) out.push_back(handle(i));
  return out;
}

// ---- Graph: numbers -----------------------------------------------------------------------------

void Graph::refresh() const {
  // The workspace is the graph's cache of its own values; bringing it up to date does not
  // change what the graph computes. A node that cannot be evaluated (an input set out of an op's
  // domain) does not stop the others: it is recorded with its error, its value is NaN, and
  // reading it, or anything that depends on it, throws that error.
  origin_.clear();
  failures_.clear();
  for (NodeId from = 0;;) {
    try {
      detail::forward_from(*this, ws_, from);
      break;
    } catch (const DomainError& e) {
      failures_.emplace(e.node, std::current_exception());
      ws_.value[e.node] = std::numeric_limits<double>::quiet_NaN();
      from = e.node + 1;
    } catch (const NumericError& e) {
      failures_.emplace(e.node, std::current_exception());
      from = e.node + 1;
    }
  }
  if (!failures_.empty()) {
    origin_.assign(size(), no_node);
    for (NodeId i = 0; i < size(); ++i) {
      for (const NodeId k : operands(i))
        if (origin_[k] != no_node) {
          origin_[i] = origin_[k];
          break;
        }
      if (origin_[i] == no_node && failures_.contains(i)) origin_[i] = i;
    }
  }
  stale_ = false;
  update_slow();
}

void Graph::throw_if_failed(NodeId id) const {
  if (!origin_.empty() && origin_[id] != no_node) [[unlikely]]
    std::rethrow_exception(failures_.at(origin_[id]));
}

const Workspace& Graph::workspace() const {
  if (stale_) refresh();
  return ws_;
}

double Graph::value(NodeId id) const {
  check_id(id, "value");
  if (stale_ && kind(id) == NodeKind::op) refresh();
  throw_if_failed(id);
  return ws_.value[id];
}

std::span<const double> Graph::grads(NodeId begin, NodeId end) const {
  if (begin > end || end > size())
    throw UsageError(
        fmt::format("gradflow: grads({}, {}): the graph has {} nodes", begin, end, size()));
  if (ws_.grad.size() < size()) {  // no backward pass since these nodes were recorded
    ws_.grad.resize(size(), 0.0);
    ws_.reached.resize(size(), 0);
  }
  return {ws_.grad.data() + begin, ws_.grad.data() + end};
}

bool Graph::reached(NodeId id) const { return id < ws_.reached.size() && ws_.reached[id] != 0; }

void Graph::set_value(NodeId id, double value) {
  check_id(id, "set_value");
  if (kind(id) == NodeKind::op)
    throw UsageError(
        fmt::format("gradflow: cannot set the value of node {} to {}: only inputs, parameters "
                    "and constants hold values; op nodes compute theirs",
                    describe(id), value));
  ws_.value[id] = value;
  stale_ = slow_ = true;
}

void Graph::forward() {
  refresh();
  // An explicit forward() reports the first node that could not be evaluated.
  for (NodeId i = 0; !origin_.empty() && i < size(); ++i)
    if (origin_[i] == i) std::rethrow_exception(failures_.at(i));
}

void Graph::backward(Node root, GradMode mode) {
  check(root, "backward");
  if (stale_) refresh();
  throw_if_failed(root.id());
  gradflow::backward(*this, ws_, root.id(), mode);
}

void Graph::zero_grad() {
  ws_.grad.assign(size(), 0.0);
  ws_.reached.assign(size(), 0);
  ws_.root = no_node;
}

double Graph::local_derivative(NodeId id, std::size_t slot) const {
  if (stale_) refresh();
  check_id(id, "local_derivative");
  throw_if_failed(id);
  return gradflow::local_derivative(*this, ws_, id, slot);
}

double Graph::contribution(NodeId id, std::size_t slot) const {
  const double d = local_derivative(id, slot);
  return reached(id) ? ws_.grad[id] * d : 0.0;
}

// ---- the maths ----------------------------------------------------------------------------------

namespace {
using detail::Recorder;
}  // namespace

Node sum(std::span<const Node> terms) {
  if (terms.empty()) throw UsageError("gradflow: sum of no terms");
  return Recorder::sum(terms);
}
Node affine(std::span<const Node> w, std::span<const Node> x, Node b) {
  if (w.size() != x.size())
    throw UsageError(
        fmt::format("gradflow: affine: {} weight(s) but {} input(s): one weight per input",
                    w.size(), x.size()));
  return Recorder::affine(w, x, b);
}
Node sum(std::initializer_list<Node> terms) {
  return sum(std::span<const Node>(terms.begin(), terms.size()));
}
std::ostream& operator<<(std::ostream& out, const Node& n) {
  if (!n.valid()) return out << "<empty node>";
  const Graph& g = n.graph();
  return out << g.describe(n.id()) << " = " << fmt::format("{}", g.value(n.id()));
}

Node clamp(Node x, double lo, double hi) {
  if (!(lo <= hi))
    throw UsageError(fmt::format("gradflow: clamp({}, {}, {}): needs lo <= hi", x, lo, hi));
  return min(max(x, lo), hi);
}
const BackwardSpan* Graph::backward_of(NodeId id) const {
  const auto it = std::upper_bound(backward_.begin(), backward_.end(), id,
                                   [](NodeId v, const BackwardSpan& s) { return v < s.begin; });
  if (it == backward_.begin()) return nullptr;
  const BackwardSpan& s = *(it - 1);
  return id < s.end ? &s : nullptr;
}

}  // namespace gradflow
