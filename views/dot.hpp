// Graphviz dumps of a graph: what feeds what, what each node computed, how much gradient reached
// it, and where the gradient was blocked or shrank.
//
// The DOT text is written by boost::write_graphviz over gradflow::Graph itself (through its
// graph_traits), or over a small contracted graph when groups are collapsed, with vertex, edge and
// graph property writers. Every node statement carries id="n<NodeId>" and every edge
// id="e<edge index>" (EdgeId::edge, its position in the flat operand array), so that views built
// on the SVG (the browser stepper) can find them; a collapsed group's box carries the id of its
// last node, and a bundle of edges the id of its first edge.
//
// Edges are written consumer -> operand, gradflow's edge direction (the way gradients travel);
// `dir=back` draws their arrows the way values flow, and the rank direction is mirrored to match,
// so with RankDir::LR inputs stand on the left and the root on the right.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include <gradflow/graph/graph.hpp>
#include <gradflow/views/language.hpp>
// render() and dot_available() moved to render.hpp; included here for callers that still reach
// them through this header.
#include <gradflow/views/render.hpp>

namespace gradflow {

/// Where values flow: LR puts inputs on the left and the root on the right, TB inputs on top.
enum class RankDir : std::uint8_t { LR, TB };

/// What the labels show. Names (or \#id) are always shown.
struct DotFields {
  bool op = true;                ///< the op's symbol and name, or the leaf's kind
  bool value = true;             ///< the node's value
  bool gradient = true;          ///< d(root)/d(node), "no gradient yet" before backward
  bool local_derivative = true;  ///< on edges: d(consumer)/d(operand)
  bool contribution = true;      ///< on edges, after backward: gradient passed back
  bool ids = false;              ///< "\#id" after named nodes too
};

/// How write_dot() draws a graph.
struct DotOptions {
  RankDir rankdir = RankDir::LR;  ///< where values flow in the drawing
  /// Significant digits of every number, 1..17 (17 round-trips every double); write_dot()
  /// throws UsageError for any other value.
  int digits = 4;
  DotFields show;  ///< what node and edge labels show
  /// Nodes drawn with a thick magenta outline (class "highlight" in SVG).
  std::vector<NodeId> highlight;
  /// Draw the graph's groups (Graph::begin_group) as nested `subgraph cluster_…` boxes.
  bool clusters = true;
  /// Kinds of groups (Group::kind, e.g. "neuron") drawn as one box each instead of their nodes.
  std::vector<std::string> collapse;
  /// Size guard: when more than this many boxes would be drawn, groups are collapsed, deepest
  /// first (neurons before layers), until the drawing fits; the caption says so. If it cannot fit
  /// (too few groups, or none), write_dot() throws UsageError rather than hand Graphviz a
  /// drawing it takes seconds over and nobody can read. 0 turns the guard off.
  std::size_t max_nodes = 150;
  /// Above this many drawn edges, edge numbers move from labels to tooltips (SVG hover). 0: never.
  std::size_t max_edge_labels = 120;
  /// A legend (kinds, the gradient colour scale, the blocked, vanishing and saturated marks)
  /// under the drawing. Blocked: a local derivative of exactly 0 (red, dashed). Vanishing: an edge
  /// whose local derivative is not 0 but below saturation_threshold (ops.hpp, 0.01), so it passes
  /// back less than 1% of the gradient that arrived (grey, dotted, "≈0"). Saturated: a squashing
  /// activation (sigmoid, tanh) whose local derivative is below that threshold.
  bool legend = true;
  /// First line of the graph's caption.
  std::string title;
  /// The language of the dump's own words: row captions, marks, caption, legend, cluster kinds.
  /// Names, numbers and op names are the same in every language.
  Language lang = Language::en;
};

/// Writes `g` as Graphviz DOT, with its current values and, after backward, its gradients.
/// Throws UsageError for digits outside 1..17, or a graph that cannot be drawn within max_nodes.
void write_dot(std::ostream& out, const Graph& g, const DotOptions& options = {});
/// write_dot() into a string.
std::string to_dot(const Graph& g, const DotOptions& options = {});
/// write_dot() into a file; throws gradflow::Error if it cannot be written.
void write_dot_file(const std::string& path, const Graph& g, const DotOptions& options = {});

}  // namespace gradflow
