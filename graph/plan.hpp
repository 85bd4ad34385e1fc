// A plan is what Boost.Graph computes for the engine: the nodes a root depends on, in an order
// where every operand comes before its consumers. Forward over a plan skips everything the root
// does not need; backward over it, reversed, visits exactly the nodes that reach the root.
#pragma once

#include <vector>

#include <gradflow/graph/graph.hpp>

namespace gradflow {

/// The cone of a root in evaluation order, from make_plan().
struct Plan {
  NodeId root = no_node;  ///< the node the plan ends at
  /// Evaluation order of the root's cone: operands first, `root` last.
  std::vector<NodeId> order;
};

/// Depth-first search (Boost.Graph, iterative) from `root` along node -> operand edges; the
/// finishing order is the evaluation order. Throws UsageError if `root` is not in `g`.
Plan make_plan(const Graph& g, Node root);

}  // namespace gradflow
