#include <gradflow/views/dot_model.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include <gradflow/graph/boost_graph.hpp>
#include <gradflow/ops/errors.hpp>
#include <gradflow/ops/ops.hpp>
#include <gradflow/views/dot_words.hpp>

namespace gradflow::dot_model {
namespace {

void find_units(const Graph& g, Model& m) {
  const auto groups = g.groups();
  const std::size_t n = g.size();
  std::vector<int> unit_of(groups.size(), -1);
  std::map<std::tuple<std::string_view, std::string_view, int>, int> index;
  m.owner.assign(n, -1);
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const Group& gr = groups[i];
    // Parents precede children, so the enclosing unit is known.
    const int parent = gr.parent < 0 ? -1 : unit_of[static_cast<std::size_t>(gr.parent)];
    const auto [pos, fresh] =
        index.try_emplace({gr.name, gr.kind, parent}, static_cast<int>(m.units.size()));
    if (fresh) {
      Unit u;
      u.name = gr.name, u.kind = gr.kind, u.parent = parent;
      u.depth = parent < 0 ? 0 : m.units[static_cast<std::size_t>(parent)].depth + 1;
      m.units.push_back(u);
    }
    const int id = pos->second;
    unit_of[i] = id;
    Unit& u = m.units[static_cast<std::size_t>(id)];
    u.groups.push_back(static_cast<int>(i));
    const NodeId end = std::min<NodeId>(gr.end, static_cast<NodeId>(n));
    if (gr.begin >= end) continue;
    u.last = std::max(u.last, end - 1);
    u.size += end - gr.begin;
    bool has_op = false;
    for (NodeId v = gr.begin; v < end; ++v) {
      m.owner[v] = id;  // inner groups come later and overwrite: the innermost unit wins
      has_op = has_op || g.kind(v) == NodeKind::op;
    }
    if (has_op) ++u.calls;
  }
}

// Marks the nodes of collapsed units and counts the boxes and nodes drawn.
void mark(const Graph& g, Model& m) {
  const auto groups = g.groups();
  const std::size_t n = g.size();
  m.absorbed.assign(n, -1);
  m.hidden.assign(m.units.size(), 0);
  std::size_t boxes = 0, absorbed_count = 0;
  for (std::size_t k = 0; k < m.units.size(); ++k) {  // parents first
    const int parent = m.units[k].parent;
    const bool inside = parent >= 0 && m.hidden[static_cast<std::size_t>(parent)];
    m.hidden[k] = m.collapsed[k] || inside;
    if (!m.collapsed[k] || inside || m.units[k].size == 0) continue;
    ++boxes;
    for (const int i : m.units[k].groups)
      for (NodeId id = groups[i].begin; id < groups[i].end && id < n; ++id)
        if (m.absorbed[id] < 0) {
          m.absorbed[id] = static_cast<int>(k);
          ++absorbed_count;
        }
  }
  m.drawn_nodes = n - absorbed_count + boxes;
}

// The size guard: collapses whole levels of units, deepest first (neurons before layers), until
// no more than max_nodes boxes remain; refuses a drawing that cannot be made to fit.
void guard_size(const Graph& g, const DotOptions& opt, Model& m) {
  if (opt.max_nodes == 0 || m.drawn_nodes <= opt.max_nodes) return;
  const std::size_t before = m.drawn_nodes;
  int max_depth = -1;
  for (const Unit& u : m.units) max_depth = std::max(max_depth, u.depth);
  std::vector<std::string_view> kinds;
  for (int d = max_depth; d >= 0 && m.drawn_nodes > opt.max_nodes; --d) {
    for (std::size_t k = 0; k < m.units.size(); ++k)
      if (m.units[k].depth == d && !m.collapsed[k]) {
        m.collapsed[k] = 1;
        if (std::find(kinds.begin(), kinds.end(), m.units[k].kind) == kinds.end())
          kinds.push_back(m.units[k].kind);
      }
    mark(g, m);
  }
  if (m.drawn_nodes > opt.max_nodes) {
    // Graphviz takes seconds over a few thousand nodes and the picture is unreadable anyway.
    const std::string why =
        m.units.empty() ? "and the graph has no groups to draw as boxes"
                        : fmt::format("even with every group drawn as one box ({} nodes and boxes)",
                                      m.drawn_nodes);
    throw UsageError(fmt::format(
        "gradflow: write_dot: {} nodes > DotOptions::max_nodes = {}, {}: record groups "
        "(Graph::begin_group, GroupScope) so that they are drawn as boxes, raise max_nodes, or set "
        "max_nodes = 0 to draw every node",
        before, opt.max_nodes, why));
  }
  std::string list;
  const dot_drawing::Words& w = dot_drawing::words(opt.lang);
  for (const auto& k : kinds)
    list += (list.empty() ? "" : ", ") +
            std::string(k.empty() ? std::string_view(w.group) : dot_drawing::kind_word(w, k));
  m.notes.push_back(
      fmt::format(fmt::runtime(w.size_guard), before, opt.max_nodes, list, m.drawn_nodes));
}

}  // namespace

Model make_model(const Graph& g, const DotOptions& opt) {
  Model m;
  find_units(g, m);
  m.collapsed.assign(m.units.size(), 0);
  for (std::size_t u = 0; u < m.units.size(); ++u)
    m.collapsed[u] =
        std::find(opt.collapse.begin(), opt.collapse.end(), m.units[u].kind) != opt.collapse.end();
  mark(g, m);
  guard_size(g, opt, m);

  m.drawn_edges = g.edge_count();
  if (m.drawn_nodes < g.size()) {  // edges inside a box vanish; count the ones that remain
    m.drawn_edges = 0;
    for (auto [it, end] = edges(g); it != end; ++it) {
      const NodeId s = source(*it, g), t = target(*it, g);
      if (m.absorbed[s] < 0 || m.absorbed[s] != m.absorbed[t]) ++m.drawn_edges;
    }
  }
  if (opt.max_edge_labels != 0 && m.drawn_edges > opt.max_edge_labels) {
    m.edge_labels = false;
    m.notes.push_back(fmt::format(fmt::runtime(dot_drawing::words(opt.lang).edge_labels),
                                  m.drawn_edges, opt.max_edge_labels));
  }
  return m;
}

bool blocked(const Graph& g, NodeId consumer, std::size_t slot) {
  return g.local_derivative(consumer, slot) == 0.0 &&
         !(reached(g, consumer) && !std::isfinite(g.grad(consumer)));
}

bool vanishing(const Graph& g, NodeId consumer, std::size_t slot) {
  const double d = std::abs(g.local_derivative(consumer, slot));
  return d != 0.0 && d < saturation_threshold;
}

bool saturated(const Graph& g, NodeId id) {
  const Op op = g.op(id);
  return info(op).saturating && gradflow::saturated(op, g.local_derivative(id, 0));
}

Contracted contract(const Graph& g, const Model& m, std::vector<std::pair<NodeId, int>>& drawn) {
  Contracted c;
  std::vector<Contracted::vertex_descriptor> vertex_of(g.size());
  std::vector<Contracted::vertex_descriptor> box_vertex(m.units.size());
  for (NodeId id = 0; id < g.size(); ++id) {
    const int box = m.absorbed[id];
    if (box < 0) {
      vertex_of[id] = add_vertex(DrawnVertex{id, -1}, c);
      drawn.emplace_back(id, -1);
    } else if (id == m.units[static_cast<std::size_t>(box)].last) {
      box_vertex[box] = add_vertex(DrawnVertex{id, box}, c);
      drawn.emplace_back(id, box);
    }
  }
  for (NodeId id = 0; id < g.size(); ++id)
    if (m.absorbed[id] >= 0) vertex_of[id] = box_vertex[m.absorbed[id]];

  std::map<std::pair<std::size_t, std::size_t>, Contracted::edge_descriptor> bundles;
  for (auto [it, end] = edges(g); it != end; ++it) {
    const EdgeId e = *it;
    const NodeId s = source(e, g), t = target(e, g);
    const auto cs = vertex_of[s], ct = vertex_of[t];
    if (cs == ct) continue;  // inside one box
    const std::size_t slot = e.edge - g.first_operand(s);
    const double c_abs = reached(g, s) ? std::abs(g.contribution(s, slot)) : 0.0;
    const bool is_blocked = blocked(g, s, slot);
    if (m.absorbed[s] < 0 && m.absorbed[t] < 0) {  // x * x keeps its two edges
      add_edge(cs, ct, DrawnEdge{e, 1, c_abs, is_blocked ? 1u : 0u}, c);
      continue;
    }
    const auto [pos, fresh] = bundles.try_emplace({cs, ct});
    if (fresh) pos->second = add_edge(cs, ct, DrawnEdge{e, 0, 0.0, 0}, c).first;
    DrawnEdge& de = c[pos->second];
    ++de.count;
    de.max_abs = std::max(de.max_abs, c_abs);
    if (is_blocked) ++de.blocked;
  }
  return c;
}

}  // namespace gradflow::dot_model
