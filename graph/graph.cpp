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
  first_.push_back(0);
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
  other.first_.assign(1, 0);
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
      n.id_, rewinds_[n.epoch_]);
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
  op_.put(op);
  attr_.put(attr);
  for (const Node& n : operands) args_.buf[args_.n++] = n.id();
  first_.put(static_cast<std::uint32_t>(args_.n));
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
  const std::size_t nodes = std::max<std::size_t>(64, 2 * op_.room());
  const std::size_t edges =
      std::max<std::size_t>(args_.n + operands + 2, std::max<std::size_t>(128, 2 * args_.room()));
  op_.reserve(nodes);
  attr_.reserve(op_.room());
  first_.reserve(op_.room() + 1);
  args_.reserve(edges);
  ws_.value.reserve(op_.room());
}

Node Graph::leaf(Op op, std::string_view name, double value) {
  if (size() == no_node) throw UsageError("gradflow: graph is full (2^32 - 1 nodes)");
  const Node n(*this, push(op, 0.0, value, 0, 0, 0));
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

// The recording fast path: operands checked with a few compares, the value computed from the
// rule directly, five appends. Anything unusual (a bad handle, a value outside the op's domain,
// check mode, stale values) takes Graph::apply's general path, which reports it.
struct Recorder {
  static bool ok(const Graph& g, Node n) {
#ifdef GRADFLOW_CHECK_HANDLES
    if (!g.alive(n)) return false;  // Graph::apply reports it
#endif
    return n.anchor_ == g.anchor_.get() && n.id_ < g.op_.size();
  }
  static bool fast(const Graph& g) {
    return !g.stale_ && !g.check_finite_ && g.op_.size() < no_node && g.origin_.empty();
  }

  // The graph comes from the first operand: an empty one is named with the op being built.
  [[noreturn, gnu::cold, gnu::noinline]] static void empty_operand(std::string_view op) {
    throw UsageError(
        fmt::format("gradflow: {}: an operand is an empty handle (default-constructed)", op));
  }
  static void need(Node a, std::string_view op) {
    if (!a.valid()) [[unlikely]]
      empty_operand(op);
  }
  // The first operand's graph (checked by need()); with GRADFLOW_CHECK_HANDLES, also alive.
  static Graph& graph_of(Node a) {
#ifdef GRADFLOW_CHECK_HANDLES
    return a.graph();
#else
    return *a.anchor_->graph;
#endif
  }

  template <class R>
  static Node binary(Node a, Node b) {
    need(a, R::info.name);
    Graph& g = graph_of(a);
    if (!fast(g) || !ok(g, a) || !ok(g, b)) [[unlikely]]
      return g.apply(R::info.op, {a, b});
    const double* v = g.ws_.value.data();
    const NodeId ids[2] = {a.id_, b.id_};
    const auto x = [&](std::size_t k) { return v[ids[k]]; };
    if (domain<R>(0.0, x).reason != nullptr) [[unlikely]]
      return g.apply(R::info.op, {a, b});
    return Node(g, g.push(R::info.op, 0.0, compute<R>(0.0, g.conventions_, 2, x), a.id_, b.id_, 2));
  }

  template <class R>
  static Node unary(Node a, double attr) {
    need(a, R::info.name);
    Graph& g = graph_of(a);
    if (!fast(g) || !ok(g, a)) [[unlikely]]
      return g.apply(R::info.op, {a}, attr);
    const double* v = g.ws_.value.data();
    const auto x = [&](std::size_t) { return v[a.id_]; };
    if (domain<R>(attr, x).reason != nullptr) [[unlikely]]
      return g.apply(R::info.op, {a}, attr);
    return Node(g, g.push(R::info.op, attr, compute<R>(attr, g.conventions_, 1, x), a.id_, 0, 1));
  }

  // A binary op with a plain double operand: the double becomes a constant node, which is
  // removed again if the op fails, so that a failed op records nothing.
  template <class R>
  static Node binary_lifted(Node a, double b, bool b_first) {
    need(a, R::info.name);
    Graph& g = graph_of(a);
    const std::size_t before = g.size();
    const Node c = g.constant(b);
    try {
      return b_first ? binary<R>(c, a) : binary<R>(a, c);
    } catch (...) {
      if (g.size() == before + 1) g.pop_last();
      throw;
    }
  }

  static Node sum(std::span<const Node> terms) {
    need(terms.front(), "sum");
    Graph& g = graph_of(terms.front());
    bool good = fast(g);
    for (const Node& t : terms) good = good && ok(g, t);
    if (!good) [[unlikely]]
      return g.apply(Op::sum, terms);
    const double* v = g.ws_.value.data();
    const double s = compute<rules::Sum>(0.0, g.conventions_, terms.size(),
                                         [&](std::size_t k) { return v[terms[k].id_]; });
    for (const Node& t : terms) g.args_.push_back(t.id_);
    return Node(g, g.push(Op::sum, 0.0, s, 0, 0, 0));
  }
};

}  // namespace detail

Node Graph::apply(Op op, std::span<const Node> operands, std::optional<double> attr_or_default) {
  const OpInfo oi = info(op);
  const double attr = attr_or_default.value_or(oi.attr_default);
  if (oi.kind != NodeKind::op)
    throw UsageError(
        fmt::format("gradflow: apply({}): leaves are made with input(), "
                    "parameter() or constant()",
                    oi.name));
  if (oi.arity == variadic ? operands.empty()
                           : operands.size() != static_cast<std::size_t>(oi.arity))
    throw UsageError(fmt::format("gradflow: {} takes {} operand(s), got {}", oi.name,
                                 oi.arity == variadic ? "one or more" : std::to_string(oi.arity),
                                 operands.size()));
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
  attr_.pop_back();
  first_.pop_back();
  args_.resize(first_.back());
  ws_.value.pop_back();
  if (origin_.size() > size()) origin_.pop_back();
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
  op_.resize(n);
  attr_.resize(n);
  first_.resize(std::size_t{n} + 1);
  args_.resize(first_.back());
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
  // Handles made since an earlier rewind keep only what every later rewind kept.
  rewinds_.push_back(n);
  for (std::size_t e = rewinds_.size() - 1; e-- > 0 && rewinds_[e] > n;) rewinds_[e] = n;
}

void Graph::reserve(std::size_t nodes, std::size_t operands) {
  op_.reserve(nodes);
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

bool Graph::reached(NodeId id) const { return id < ws_.reached.size() && ws_.reached[id] != 0; }

void Graph::set_value(NodeId id, double value) {
  check_id(id, "set_value");
  if (kind(id) == NodeKind::op)
    throw UsageError(
        fmt::format("gradflow: cannot set the value of node {} to {}: only inputs, parameters "
                    "and constants hold values; op nodes compute theirs",
                    describe(id), value));
  ws_.value[id] = value;
  stale_ = true;
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

Node operator+(Node a, Node b) { return Recorder::binary<rules::Add>(a, b); }
Node operator+(Node a, double b) { return Recorder::binary_lifted<rules::Add>(a, b, false); }
Node operator+(double a, Node b) { return Recorder::binary_lifted<rules::Add>(b, a, true); }
Node operator-(Node a, Node b) { return Recorder::binary<rules::Sub>(a, b); }
Node operator-(Node a, double b) { return Recorder::binary_lifted<rules::Sub>(a, b, false); }
Node operator-(double a, Node b) { return Recorder::binary_lifted<rules::Sub>(b, a, true); }
Node operator*(Node a, Node b) { return Recorder::binary<rules::Mul>(a, b); }
Node operator*(Node a, double b) { return Recorder::binary_lifted<rules::Mul>(a, b, false); }
Node operator*(double a, Node b) { return Recorder::binary_lifted<rules::Mul>(b, a, true); }
Node operator/(Node a, Node b) { return Recorder::binary<rules::Div>(a, b); }
Node operator/(Node a, double b) { return Recorder::binary_lifted<rules::Div>(a, b, false); }
Node operator/(double a, Node b) { return Recorder::binary_lifted<rules::Div>(b, a, true); }
Node operator-(Node a) { return Recorder::unary<rules::Neg>(a, 0.0); }

Node pow(Node x, double c) { return Recorder::unary<rules::Pow>(x, c); }
Node exp(Node x) { return Recorder::unary<rules::Exp>(x, 0.0); }
Node log(Node x) { return Recorder::unary<rules::Log>(x, 0.0); }
Node sum(std::span<const Node> terms) {
  if (terms.empty()) throw UsageError("gradflow: sum of no terms");
  return Recorder::sum(terms);
}
Node sum(std::initializer_list<Node> terms) {
  return sum(std::span<const Node>(terms.begin(), terms.size()));
}
Node bias(Node z, Node b) { return Recorder::binary<rules::Bias>(z, b); }
Node bias(Node z, double b) { return Recorder::binary_lifted<rules::Bias>(z, b, false); }
Node step(Node x) { return Recorder::unary<rules::Step>(x, 0.0); }
Node sigmoid(Node x) { return Recorder::unary<rules::Sigmoid>(x, 0.0); }
Node tanh(Node x) { return Recorder::unary<rules::Tanh>(x, 0.0); }
Node relu(Node x) { return Recorder::unary<rules::Relu>(x, 0.0); }
Node leaky_relu(Node x, double alpha) { return Recorder::unary<rules::LeakyRelu>(x, alpha); }
std::ostream& operator<<(std::ostream& out, const Node& n) {
  if (!n.valid()) return out << "<empty node>";
  const Graph& g = n.graph();
  return out << g.describe(n.id()) << " = " << fmt::format("{}", g.value(n.id()));
}

Node identity(Node x) { return Recorder::unary<rules::Identity>(x, 0.0); }
Node softplus(Node x) { return Recorder::unary<rules::Softplus>(x, 0.0); }
Node abs(Node x) { return Recorder::unary<rules::Abs>(x, 0.0); }
Node min(Node a, Node b) { return Recorder::binary<rules::Min>(a, b); }
Node min(Node a, double b) { return Recorder::binary_lifted<rules::Min>(a, b, false); }
Node min(double a, Node b) { return Recorder::binary_lifted<rules::Min>(b, a, true); }
Node max(Node a, Node b) { return Recorder::binary<rules::Max>(a, b); }
Node max(Node a, double b) { return Recorder::binary_lifted<rules::Max>(a, b, false); }
Node max(double a, Node b) { return Recorder::binary_lifted<rules::Max>(b, a, true); }
Node clamp(Node x, double lo, double hi) {
  if (!(lo <= hi))
    throw UsageError(fmt::format("gradflow: clamp({}, {}, {}): needs lo <= hi", x, lo, hi));
  return min(max(x, lo), hi);
}
Node sqrt(Node x) { return Recorder::unary<rules::Sqrt>(x, 0.0); }
Node sin(Node x) { return Recorder::unary<rules::Sin>(x, 0.0); }
Node cos(Node x) { return Recorder::unary<rules::Cos>(x, 0.0); }
Node pow(Node x, Node y) { return Recorder::binary<rules::Power>(x, y); }
Node pow(double c, Node y) { return Recorder::binary_lifted<rules::Power>(y, c, true); }
Node detach(Node x) { return Recorder::unary<rules::Detach>(x, 0.0); }
Node heaviside(Node x, double at_zero) { return Recorder::unary<rules::Heaviside>(x, at_zero); }

const BackwardSpan* Graph::backward_of(NodeId id) const {
  const auto it = std::upper_bound(backward_.begin(), backward_.end(), id,
                                   [](NodeId v, const BackwardSpan& s) { return v < s.begin; });
  if (it == backward_.begin()) return nullptr;
  const BackwardSpan& s = *(it - 1);
  return id < s.end ? &s : nullptr;
}

}  // namespace gradflow
