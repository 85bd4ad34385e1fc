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
  /// The root's cone in increasing id order (an evaluation order: operands first, `root` last).
  /// Reversed, it is exactly the order in which Graph::backward visits nodes, so a backward
  /// pass over the plan adds the same products in the same order: the same bits.
  std::vector<NodeId> order;
};

/// The nodes `root` depends on, found by Boost.Graph's iterative depth-first search along node
/// -> operand edges, in id order. Throws UsageError if `root` is not a node of `g`.
Plan make_plan(const Graph& g, NodeId root);
/// make_plan(g, root.id()); throws UsageError if `root` is not a handle into `g`.
Plan make_plan(const Graph& g, Node root);

}  // namespace gradflow
