// THE reverse sweep: every backward pass of gradflow (Graph::backward, backward over a plan,
// backward with hooks, the Stepper's recording) is reverse_sweep() with a different observer, so
// they all add the same products in the same order and agree bit for bit.
//
// Per node, with_rule() jumps to the op's inlined rule (ops/ops.hpp) through the one calling
// protocol (compute, derivatives); the loops run over the graph's flat arrays, read once into
// locals. No recursion, no allocation per node.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <gradflow/graph/graph.hpp>
#include <gradflow/graph/plan.hpp>

namespace gradflow {

/// Raw views of a graph's structure arrays, read once per sweep. (Stores through the byte array
/// `reached` may alias anything, so nothing is re-read from the graph per node.)
struct GraphArrays {
  /// Reads `g`'s arrays (valid until `g` records another node).
  explicit GraphArrays(const Graph& g)
      : conv(g.conventions()),
        n(static_cast<NodeId>(g.size())),
        op(detail::Access::ops(g)),
        first(detail::Access::first(g)),
        arg(detail::Access::args(g)),
        attr(detail::Access::attrs(g)) {}
  const Conventions& conv;     ///< the graph's kink conventions
  NodeId n;                    ///< node count
  const Op* op;                ///< op per node
  const std::uint32_t* first;  ///< operand offsets, n + 1
  const NodeId* arg;           ///< operand ids
  const double* attr;          ///< constant per node (only for ops that have one)
  /// Operand ids of node i.
  const NodeId* args(NodeId i) const { return arg + first[i]; }
  /// Operand count of node i.
  std::size_t arity(NodeId i) const { return first[i + 1] - first[i]; }
  /// The constant of node i, whose op's rule is R: stored only for ops that have one.
  template <class R>
  double attr_of(NodeId i) const {
    if constexpr (R::info.attr != AttrKind::none)
      return attr[i];
    else
      return 0.0;
  }
};

/// What a reverse sweep tells its observer. The default does nothing and costs nothing.
struct SweepObserver {
  /// Records anything per edge? (false: edge() is never called.)
  static constexpr bool records = false;
  /// May arrive() return something else than the arriving gradient? (false: it is not called.)
  static constexpr bool rewrites = false;
  /// The gradient `arrived` at node `i`; returns what the node keeps and passes on (hooks).
  double arrive(NodeId /*i*/, double arrived) { return arrived; }
  /// Node i passes `passed` to operand slot `slot` (node x) with local derivative d; x's
  /// gradient goes from `before` to `after`.
  void edge(NodeId /*i*/, std::size_t /*slot*/, NodeId /*x*/, double /*d*/, double /*before*/,
            double /*after*/) {}
  /// Node i is done (all its edges seen).
  void done(NodeId /*i*/) {}
};

namespace detail {
[[noreturn]] void throw_non_finite(const Graph& g, NodeId i, double v, bool in_gradient);

// The sweep's loop, once over a plan's nodes and once over ids with reached flags, each with and
// without check mode: each instantiation has one call site of `visit`, so that GCC inlines the
// node's rule into the loop.
template <bool kPlan, bool kCheck, class Obs>
void sweep_loop(const Graph& g, const GraphArrays& arrays, const double* v, double* grad,
                std::uint8_t* reached, NodeId root, const Plan* plan, Obs& obs) {
  // A copy in locals: a store through `reached` may alias anything the caller can see, which
  // forced a reload of the array addresses from `arrays` at every node.
  const GraphArrays a = arrays;
  const auto visit = [&](NodeId i) __attribute__((always_inline)) {
    double gi = grad[i];
    if constexpr (Obs::rewrites || Obs::records) {
      gi = obs.arrive(i, gi);
      grad[i] = gi;
    }
    if constexpr (kCheck)
      if (!std::isfinite(gi)) detail::throw_non_finite(g, i, gi, true);
    const NodeId* p = a.args(i);
    // Operand ids and every local derivative are read before the first store: stores through
    // the byte array `reached` may alias anything, and would force reloads in between.
    const auto pass = [&](std::size_t k, NodeId x, double d) {
      if constexpr (Obs::records) {
        const double before = grad[x];
        grad[x] += gi * d;
        obs.edge(i, k, x, d, before, grad[x]);
      } else {
        grad[x] += gi * d;
      }
    };
    with_rule(a.op[i], [&](auto rule) {
      using R = decltype(rule);
      if constexpr (R::info.arity == 1 || R::info.arity == 2) {
        constexpr std::size_t n = R::info.arity;
        NodeId ids[n];
        double d[n];
        for (std::size_t k = 0; k < n; ++k) ids[k] = p[k];
        derivatives<R>(
            a.template attr_of<R>(i), a.conv, n, [&](std::size_t k) { return v[ids[k]]; }, v[i],
            [&](std::size_t k, double dk) { d[k] = dk; });
        for (std::size_t k = 0; k < n; ++k) pass(k, ids[k], d[k]);
        for (std::size_t k = 0; k < n; ++k) reached[ids[k]] = 1;
      } else if constexpr (R::info.arity == variadic) {
        const std::size_t n = a.arity(i);
        derivatives<R>(
            a.template attr_of<R>(i), a.conv, n, [&](std::size_t k) { return v[p[k]]; }, v[i],
            [&](std::size_t k, double dk) {
              pass(k, p[k], dk);
              reached[p[k]] = 1;
            });
      }
    });
    obs.done(i);
  };
  // Every consumer has a larger id than its operands, so grad[i] is complete when i is next.
  if constexpr (kPlan) {
    for (auto it = plan->order.rbegin(); it != plan->order.rend(); ++it) visit(*it);
  } else {
    // Below the graph's leading leaves there is nothing to do, unless the observer sees leaves
    // or check mode checks their gradients.
    const NodeId low =
        kCheck || Obs::records || Obs::rewrites ? 0 : std::min(g.leaf_prefix(), root);
    for (NodeId i = root + 1; i-- > low;)
      if (reached[i]) visit(i);
  }
}
}  // namespace detail

/// Reverse mode from `root` over the values `v`: grad[operand] += passed * local derivative,
/// node by node in decreasing id order, operand by operand in slot order. `grad` and `reached`
/// must be zero (sized g.size()); afterwards grad[n] = d(root)/d(n) and reached[n] = 1 for
/// every node that reaches the root. With a plan, its (id-ordered) nodes are the ones visited;
/// without, every id from the root down whose reached flag is set: the same nodes, in the same
/// order. Check mode throws NumericError at the first non-finite gradient passed on.
template <class Observer = SweepObserver>
void reverse_sweep(const Graph& g, const double* v, double* grad, std::uint8_t* reached,
                   NodeId root, const Plan* plan, bool check, Observer&& obs = {}) {
  const GraphArrays a(g);
  grad[root] = 1.0;
  reached[root] = 1;
  using Obs = std::remove_reference_t<Observer>;
  Obs& o = obs;
  // Check mode is a loop of its own: the loop body has no test that does not depend on the node.
  if (plan != nullptr) {
    if (check)
      detail::sweep_loop<true, true>(g, a, v, grad, reached, root, plan, o);
    else
      detail::sweep_loop<true, false>(g, a, v, grad, reached, root, plan, o);
  } else {
    if (check)
      detail::sweep_loop<false, true>(g, a, v, grad, reached, root, plan, o);
    else
      detail::sweep_loop<false, false>(g, a, v, grad, reached, root, plan, o);
  }
}

}  // namespace gradflow
