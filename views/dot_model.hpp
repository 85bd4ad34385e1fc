// What a Graphviz dump draws, before any text is written: the graph's groups merged into units,
// which units are collapsed into one box each (DotOptions::collapse and the size guard), how many
// nodes and edges remain, and the marks of nodes and edges. Used by views/dot.cpp; not part of
// gradflow's API, and free to change with it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/graph/adjacency_list.hpp>

#include <gradflow/graph/boost_graph.hpp>
#include <gradflow/graph/graph.hpp>
#include <gradflow/views/dot.hpp>

namespace gradflow::dot_model {

/// Groups recorded again under the same name (a module records its parameters when built and its
/// computation at each call, each inside a group of the same name and kind) form one unit: one
/// cluster, or one box when collapsed. A unit is keyed by name, kind and enclosing unit.
struct Unit {
  std::string_view name;
  std::string_view kind;
  int parent = -1;          ///< enclosing unit, or -1
  int depth = 0;            ///< 0 for outermost units
  std::vector<int> groups;  ///< its groups (indices into Graph::groups()), in creation order
  NodeId last = 0;          ///< its last node: a collapsed unit's box carries its id
  std::size_t size = 0;     ///< nodes, nested units' included
  std::size_t calls = 0;    ///< groups holding at least one op node
};

/// Units, what is collapsed, and what the size guards did.
struct Model {
  std::vector<Unit> units;
  std::vector<int> owner;          ///< innermost unit of each node, or -1
  std::vector<int> absorbed;       ///< outermost collapsed unit holding each node, or -1
  std::vector<char> collapsed;     ///< per unit: drawn as one box
  std::vector<char> hidden;        ///< per unit: collapsed or inside a collapsed unit
  std::size_t drawn_nodes = 0;     ///< nodes and boxes drawn
  std::size_t drawn_edges = 0;     ///< edges drawn (before bundling)
  bool edge_labels = true;         ///< false above DotOptions::max_edge_labels
  std::vector<std::string> notes;  ///< what the size guards did, for the caption
};

/// The model of `g` drawn with `options`. Throws UsageError if DotOptions::max_nodes is exceeded
/// even with every group collapsed (or the graph has no groups).
Model make_model(const Graph& g, const DotOptions& options);

/// Whether backward has reached `id` (false before any backward).
inline bool reached(const Graph& g, NodeId id) { return g.has_gradients() && g.reached(id); }

/// Whether no gradient can pass the edge from `consumer` to its operand `slot`: its local
/// derivative is exactly 0 (and no NaN or infinity arrives, since 0 times those is NaN, not 0).
bool blocked(const Graph& g, NodeId consumer, std::size_t slot);

/// Whether the edge from `consumer` to its operand `slot` lets less than saturation_threshold of
/// the gradient arriving at `consumer` through, without blocking it: 0 < |local derivative| <
/// saturation_threshold (the contribution is then below 1% of what arrived, whatever arrived).
bool vanishing(const Graph& g, NodeId consumer, std::size_t slot);

/// Whether `id` is a saturating activation whose local derivative is below
/// saturation_threshold, but not 0 (see gradflow::saturated).
bool saturated(const Graph& g, NodeId id);

/// The drawing with collapsed groups: one vertex per drawn node or box, one edge per edge that
/// crosses a box's border, parallel crossings into or out of a box bundled into one.
struct DrawnVertex {
  NodeId rep = 0;  ///< the node, or the box's last node: its DOT name and id="n<rep>"
  int box = -1;    ///< the collapsed unit, or -1
};
struct DrawnEdge {
  EdgeId first;               ///< the first edge of the bundle
  std::uint32_t count = 0;    ///< edges in the bundle
  double max_abs = 0.0;       ///< largest |gradient passed back| among them
  std::uint32_t blocked = 0;  ///< blocked edges among them
};
using Contracted =
    boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, DrawnVertex, DrawnEdge>;

/// The contracted graph of `m`; `drawn` receives (node, box or -1) of every vertex, in order.
Contracted contract(const Graph& g, const Model& m, std::vector<std::pair<NodeId, int>>& drawn);

}  // namespace gradflow::dot_model
