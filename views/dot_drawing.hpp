// The Graphviz dump's drawing: the numbers, marks and HTML-like labels of every node, box, edge
// and bundle (dot.cpp), and its caption, legend and clusters (dot_legend.cpp), over the model of
// what is drawn (dot_model.hpp) and the look (look.hpp). Internal to the DOT writer; not part of
// gradflow's API.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <gradflow/graph/boost_graph.hpp>
#include <gradflow/graph/graph.hpp>
#include <gradflow/views/dot.hpp>
#include <gradflow/views/dot_model.hpp>
#include <gradflow/views/dot_words.hpp>
#include <gradflow/views/look.hpp>
#include <gradflow/views/names.hpp>

namespace gradflow::dot_drawing {

using dot_model::Contracted;
using dot_model::DrawnEdge;
using dot_model::DrawnVertex;
using dot_model::Unit;

struct Drawing {
  const Graph& g;
  const DotOptions& opt;
  bool grads = false;  // a backward pass has run
  dot_model::Model model;
  std::vector<char> highlighted;
  std::vector<std::string> names;  // node_names(): no node is drawn as a bare "#id"
  const Words& w;                  // the dump's own words, in DotOptions::lang

  Drawing(const Graph& graph, const DotOptions& options)
      : g(graph),
        opt(options),
        grads(graph.has_gradients()),
        model(dot_model::make_model(g, opt)),
        names(node_names(graph)),
        w(words(options.lang)) {
    highlighted.assign(g.size(), 0);
    for (const NodeId id : opt.highlight)
      if (id < g.size()) highlighted[id] = 1;
  }

  std::string num(double v) const {
    return fmt::format("{:.{}g}", v == 0.0 ? 0.0 : v, opt.digits);  // no "-0"
  }
  const std::string& label(NodeId id) const { return names[id]; }
  bool reached(NodeId id) const { return dot_model::reached(g, id); }
  bool saturated(NodeId id) const { return dot_model::saturated(g, id); }
  bool blocked(NodeId consumer, std::size_t slot) const {
    return dot_model::blocked(g, consumer, slot);
  }
  bool vanishing(NodeId consumer, std::size_t slot) const {
    return dot_model::vanishing(g, consumer, slot);
  }
  const char* back_arrow() const { return opt.rankdir == RankDir::LR ? "\u2190" : "\u2191"; }

  std::string op_text(NodeId id) const;
  std::string node_attributes(NodeId id) const;
  std::string box_attributes(int unit) const;
  std::string edge_attributes(EdgeId e) const;
  std::string bundle_attributes(const DrawnEdge& bundle) const;
  std::string legend() const;
  void order(std::ostream& out) const;
  void preamble(std::ostream& out, const std::vector<std::pair<NodeId, int>>& drawn) const;
};

// "σ  sigmoid", "LReLU  leaky_relu α=0.01", "pow ^2" (a prefix that is the symbol replaces it).
// Rows of a node's table: a left cell (grey caption) and a right cell (the number).
inline std::string row(std::string_view caption, std::string_view cell) {
  return fmt::format(
      "<TR><TD ALIGN=\"LEFT\"><FONT COLOR=\"{}\" POINT-SIZE=\"9\">{}</FONT></TD>"
      "<TD ALIGN=\"RIGHT\">{}</TD></TR>",
      look::muted, caption, cell);
}
inline std::string wide_row(std::string_view cell, const char* bg = nullptr) {
  return bg ? fmt::format("<TR><TD COLSPAN=\"2\" BGCOLOR=\"{}\">{}</TD></TR>", bg, cell)
            : fmt::format("<TR><TD COLSPAN=\"2\">{}</TD></TR>", cell);
}
// Graphviz rejects empty <FONT> and <B> elements, so empty text yields nothing.
inline std::string small(std::string_view text, const char* color = look::muted) {
  if (text.empty()) return {};
  return fmt::format("<FONT POINT-SIZE=\"9\" COLOR=\"{}\">{}</FONT>", color, text);
}
inline constexpr const char* table_open =
    "<TABLE BORDER=\"0\" CELLBORDER=\"0\" CELLSPACING=\"0\" CELLPADDING=\"1\">";

}  // namespace gradflow::dot_drawing
