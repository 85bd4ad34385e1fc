#include <gradflow/graph/plan.hpp>

#include <algorithm>

#include <fmt/format.h>
#include <boost/graph/depth_first_search.hpp>
#include <boost/graph/exception.hpp>

#include <gradflow/graph/boost_graph.hpp>
#include <gradflow/ops/errors.hpp>

namespace gradflow {
namespace {

// Records vertices as they finish: operands finish before the nodes that consume them.
struct FinishOrder : boost::default_dfs_visitor {
  explicit FinishOrder(std::vector<NodeId>& order) : out(&order) {}
  void finish_vertex(NodeId v, const Graph&) const { out->push_back(v); }
  // Unreachable by construction (operands always precede their node); kept as the proof.
  void back_edge(EdgeId, const Graph&) const { throw boost::not_a_dag(); }
  std::vector<NodeId>* out;
};

}  // namespace

Plan make_plan(const Graph& g, NodeId root) {
  g.check_id(root, "make_plan");
  Plan plan;
  plan.root = root;
  std::vector<boost::default_color_type> color(g.size(), boost::white_color);
  auto color_map = boost::make_iterator_property_map(color.begin(), get(boost::vertex_index, g));
  boost::depth_first_visit(g, root, FinishOrder(plan.order), color_map);
  // The finishing order is already an evaluation order; id order is one too, and the one
  // Graph::backward reverses, so that sums of contributions come out bit for bit the same.
  std::sort(plan.order.begin(), plan.order.end());
  return plan;
}

Plan make_plan(const Graph& g, Node root) {
  g.check(root, "make_plan");
  return make_plan(g, root.id());
}

}  // namespace gradflow
