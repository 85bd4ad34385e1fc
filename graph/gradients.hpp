// Higher-order gradients: the backward pass recorded as nodes of the same graph.
//
// gradients(y, {x1, x2}) walks the graph once, in decreasing id order like reverse_sweep(), and
// records d y/d x_i from each op's derivative_expr (ops/ops.hpp, next to its numeric derivative)
// and the same products and sums that Graph::backward computes, in the same order. The results
// are Nodes like any other: read their values, call backward() on them, call gradients() on them
// again (any order), dump them, step through them.
#pragma once

#include <initializer_list>
#include <span>
#include <vector>

#include <gradflow/graph/graph.hpp>

namespace gradflow {

/// d y/d wrt[i] for every i, recorded as new nodes of y's graph (first derivatives equal
/// Graph::backward's bit for bit at the values they were recorded at). A node y does not
/// depend on gets a constant 0. Each node recorded is labelled with the node whose derivative it
/// records (Graph::backward_of) and the whole call is one group of kind "backward". Throws
/// UsageError for nodes of another graph and for first-order-only rules (the step surrogates);
/// DomainError where a derivative is singular at the current values (sqrt at 0); on any error
/// nothing is recorded.
std::vector<Node> gradients(Node y, std::span<const Node> wrt);
/// gradients() with the nodes listed in braces.
std::vector<Node> gradients(Node y, std::initializer_list<Node> wrt);
/// d y/d x as a node: gradients(y, {x})[0].
Node gradient(Node y, Node x);

}  // namespace gradflow
