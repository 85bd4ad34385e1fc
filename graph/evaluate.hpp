// Evaluation and reverse mode over a graph's flat arrays. Graph::forward() and Graph::backward()
// call these on the graph's own workspace; call them directly to evaluate one immutable graph in
// several workspaces (one per thread, say).
#pragma once

#include <cstddef>

#include <gradflow/graph/graph.hpp>
#include <gradflow/graph/plan.hpp>

namespace gradflow {

/// Sizes `ws` for `g` (values of leaves copied from the graph's own workspace where missing).
void prepare(const Graph& g, Workspace& ws);

/// Evaluates every op node in id order (leaves keep the values they hold).
void forward(const Graph& g, Workspace& ws);
/// Evaluates only the nodes `plan.root` depends on, in the plan's order.
void forward(const Graph& g, Workspace& ws, const Plan& plan);

/// Reverse sweep from `root` down to node 0, visiting only nodes flagged as reaching the root.
void backward(const Graph& g, Workspace& ws, NodeId root, GradMode mode = GradMode::reset);
/// Reverse mode over the plan's nodes only, in reverse plan order.
void backward(const Graph& g, Workspace& ws, const Plan& plan, GradMode mode = GradMode::reset);

/// d(node)/d(operand `slot`) at the values in `ws`, under the graph's conventions.
double local_derivative(const Graph& g, const Workspace& ws, NodeId node, std::size_t slot);

namespace detail {
/// Evaluates the node just appended to `g`; throws DomainError/NumericError without side effects
/// on other nodes (the caller removes the node).
void evaluate_appended(const Graph& g, Workspace& ws, NodeId id);
/// forward() from node `from` on (nodes before it keep their values).
void forward_from(const Graph& g, Workspace& ws, NodeId from);
}  // namespace detail

}  // namespace gradflow
