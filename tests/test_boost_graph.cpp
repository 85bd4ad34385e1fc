// gradflow::Graph seen through Boost.Graph's concepts, checked with Boost's own algorithms.
#include <algorithm>
#include <vector>

#include <doctest/doctest.h>
#include <boost/graph/graph_concepts.hpp>
#include <boost/graph/topological_sort.hpp>

#include <gradflow/graph/boost_graph.hpp>

namespace gf = gradflow;

BOOST_CONCEPT_ASSERT((boost::IncidenceGraphConcept<gf::Graph>));
BOOST_CONCEPT_ASSERT((boost::VertexListGraphConcept<gf::Graph>));
BOOST_CONCEPT_ASSERT((boost::EdgeListGraphConcept<gf::Graph>));

TEST_CASE("vertices are nodes, edges point from a node to its operands") {
  gf::Graph g;
  const auto a = g.input("a", 1), b = g.input("b", 2);
  const auto s = gf::sum({a, b, a});
  const auto t = tanh(s);
  CHECK(num_vertices(g) == 4);
  CHECK(num_edges(g) == 4);
  std::vector<gf::NodeId> targets;
  for (auto [it, end] = out_edges(s.id(), g); it != end; ++it) {
    CHECK(source(*it, g) == s.id());
    targets.push_back(target(*it, g));
  }
  CHECK(targets == std::vector<gf::NodeId>{a.id(), b.id(), a.id()});
  CHECK(out_degree(t.id(), g) == 1);
  CHECK(out_degree(a.id(), g) == 0);
  std::size_t count = 0;
  for (auto [it, end] = edges(g); it != end; ++it, ++count)
    CHECK(std::find(g.operands(source(*it, g)).begin(), g.operands(source(*it, g)).end(),
                    target(*it, g)) != g.operands(source(*it, g)).end());
  CHECK(count == 4);
}

TEST_CASE("boost::topological_sort puts every operand before its consumers") {
  gf::Graph g;
  const auto x = g.input("x", 1);
  auto y = x;
  for (int i = 0; i < 50; ++i) y = (i % 3 == 0) ? y * x : tanh(y) + x;
  std::vector<gf::NodeId> order;  // topological_sort emits reverse topological order
  std::vector<boost::default_color_type> color(g.size());
  boost::topological_sort(g, std::back_inserter(order),
                          boost::color_map(boost::make_iterator_property_map(
                              color.begin(), get(boost::vertex_index, g))));
  REQUIRE(order.size() == g.size());
  std::vector<std::size_t> pos(g.size());
  for (std::size_t k = 0; k < order.size(); ++k) pos[order[k]] = k;
  for (gf::NodeId v = 0; v < g.size(); ++v)
    for (const auto u : g.operands(v)) CHECK(pos[u] < pos[v]);  // edge v -> u: u finishes first
}
