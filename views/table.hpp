// The backward pass as a table: one row per edge, in the order backward visits the nodes, with
// the upstream gradient, the local derivative and the contribution it passed back.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <gradflow/graph/graph.hpp>

namespace gradflow {

/// What backward did at one edge: upstream * local = contribution, sent to `operand`.
struct EdgeRecord {
  NodeId operand;           ///< the operand the contribution went to
  double local_derivative;  ///< d(node)/d(operand)
  double contribution;      ///< upstream * local_derivative
};

/// What backward did at one node.
struct NodeRecord {
  NodeId node;                    ///< the node processed
  double upstream;                ///< d(root)/d(node): the gradient arriving at the node
  std::vector<EdgeRecord> edges;  ///< one per operand slot, in slot order
};

/// The last backward pass of `g`, node by node, root first (reverse id order over reached nodes).
/// Throws UsageError if `g` has no gradients yet.
std::vector<NodeRecord> backward_records(const Graph& g);

/// backward_records() as a fixed-width text table; numbers with `digits` significant digits.
std::string backward_table(const Graph& g, int digits = 6);

}  // namespace gradflow
