// gradflow::Graph as a Boost.Graph graph, without copying it: graph_traits over the flat arrays.
// Vertices are node ids; each node has one out-edge per operand slot, pointing from the node to
// its operand (consumer -> operand), so a depth-first search from a root walks what the root
// depends on. Models IncidenceGraph, VertexListGraph and EdgeListGraph.
#pragma once

#include <cstdint>
#include <utility>

#include <boost/graph/graph_traits.hpp>
#include <boost/graph/properties.hpp>
#include <boost/iterator/counting_iterator.hpp>
#include <boost/iterator/iterator_facade.hpp>
#include <boost/property_map/property_map.hpp>

#include <gradflow/graph/graph.hpp>

namespace gradflow {

/// An edge: operand slot `edge` (an index into the flat operand array) of node `source`.
struct EdgeId {
  NodeId source = no_node;  ///< the consuming node
  std::uint32_t edge = 0;   ///< index into the flat operand array (slot = edge - first_operand)
  /// Same node, same slot.
  friend bool operator==(const EdgeId&, const EdgeId&) = default;
};

namespace detail {

class OutEdgeIterator : public boost::iterator_facade<OutEdgeIterator, EdgeId,
                                                      boost::random_access_traversal_tag, EdgeId> {
 public:
  OutEdgeIterator() = default;
  OutEdgeIterator(NodeId source, std::uint32_t edge) : source_(source), edge_(edge) {}

 private:
  friend class boost::iterator_core_access;
  EdgeId dereference() const { return {source_, edge_}; }
  bool equal(const OutEdgeIterator& o) const { return edge_ == o.edge_; }
  void increment() { ++edge_; }
  void decrement() { --edge_; }
  void advance(std::ptrdiff_t n) { edge_ = static_cast<std::uint32_t>(edge_ + n); }
  std::ptrdiff_t distance_to(const OutEdgeIterator& o) const {
    return static_cast<std::ptrdiff_t>(o.edge_) - static_cast<std::ptrdiff_t>(edge_);
  }
  NodeId source_ = no_node;
  std::uint32_t edge_ = 0;
};

// Walks every operand slot of every node, in node order.
class EdgeIterator
    : public boost::iterator_facade<EdgeIterator, EdgeId, boost::forward_traversal_tag, EdgeId> {
 public:
  EdgeIterator() = default;
  EdgeIterator(const Graph* g, NodeId source, std::uint32_t edge)
      : g_(g), source_(source), edge_(edge) {
    skip_empty();
  }

 private:
  friend class boost::iterator_core_access;
  EdgeId dereference() const { return {source_, edge_}; }
  bool equal(const EdgeIterator& o) const { return edge_ == o.edge_; }
  void increment() {
    ++edge_;
    skip_empty();
  }
  void skip_empty() {
    while (source_ < g_->size() && edge_ >= g_->first_operand(source_ + 1)) ++source_;
  }
  const Graph* g_ = nullptr;
  NodeId source_ = 0;
  std::uint32_t edge_ = 0;
};

}  // namespace detail
}  // namespace gradflow

namespace boost {

template <>
struct graph_traits<gradflow::Graph> {
  using vertex_descriptor = gradflow::NodeId;
  using edge_descriptor = gradflow::EdgeId;
  using directed_category = directed_tag;
  using edge_parallel_category = allow_parallel_edge_tag;
  struct traversal_category : incidence_graph_tag, vertex_list_graph_tag, edge_list_graph_tag {};
  using vertex_iterator = counting_iterator<gradflow::NodeId>;
  using out_edge_iterator = gradflow::detail::OutEdgeIterator;
  using edge_iterator = gradflow::detail::EdgeIterator;
  using vertices_size_type = std::size_t;
  using edges_size_type = std::size_t;
  using degree_size_type = std::size_t;
  static vertex_descriptor null_vertex() { return gradflow::no_node; }
};

template <>
struct property_map<gradflow::Graph, vertex_index_t> {
  using type = typed_identity_property_map<gradflow::NodeId>;
  using const_type = type;
};

}  // namespace boost

namespace gradflow {

using Traits = boost::graph_traits<Graph>;

inline std::pair<Traits::vertex_iterator, Traits::vertex_iterator> vertices(const Graph& g) {
  return {Traits::vertex_iterator(0), Traits::vertex_iterator(static_cast<NodeId>(g.size()))};
}
inline std::size_t num_vertices(const Graph& g) { return g.size(); }
inline std::pair<Traits::out_edge_iterator, Traits::out_edge_iterator> out_edges(NodeId v,
                                                                                 const Graph& g) {
  return {{v, g.first_operand(v)}, {v, g.first_operand(v + 1)}};
}
inline std::size_t out_degree(NodeId v, const Graph& g) { return g.operands(v).size(); }
inline NodeId source(EdgeId e, const Graph&) { return e.source; }
inline NodeId target(EdgeId e, const Graph& g) { return g.operand_at(e.edge); }
inline std::pair<Traits::edge_iterator, Traits::edge_iterator> edges(const Graph& g) {
  const auto m = static_cast<std::uint32_t>(g.edge_count());
  return {{&g, 0, 0}, {&g, static_cast<NodeId>(g.size()), m}};
}
inline std::size_t num_edges(const Graph& g) { return g.edge_count(); }
inline boost::typed_identity_property_map<NodeId> get(boost::vertex_index_t, const Graph&) {
  return {};
}

}  // namespace gradflow
