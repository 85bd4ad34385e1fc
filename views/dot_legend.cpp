// The Graphviz dump's caption and legend, and the clusters of the graph's groups.
#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <gradflow/graph/graph.hpp>
#include <gradflow/ops/ops.hpp>
#include <gradflow/views/dot_drawing.hpp>
#include <gradflow/views/escape.hpp>
#include <gradflow/views/look.hpp>

namespace gradflow::dot_drawing {

std::string Drawing::legend() const {
  // One column of rows; rows with several entries are tables of their own, so that their cells
  // keep their natural widths.
  const auto line = [](std::string_view cell) {
    return fmt::format("<TR><TD ALIGN=\"LEFT\">{}</TD></TR>", cell);
  };
  const auto strip = [](std::string_view cells) {
    return fmt::format(
        "<TR><TD ALIGN=\"LEFT\"><TABLE BORDER=\"0\" CELLBORDER=\"0\" CELLSPACING=\"4\" "
        "CELLPADDING=\"1\"><TR>{}</TR></TABLE></TD></TR>",
        cells);
  };
  std::string t = "<TABLE BORDER=\"0\" CELLBORDER=\"0\" CELLSPACING=\"1\" CELLPADDING=\"1\">";
  const std::string state =
      grads ? fmt::format(fmt::runtime(w.after_backward), dot_html(label(g.gradient_root())))
            : std::string(w.after_forward);
  const std::string head = opt.title.empty() ? "" : "<B>" + dot_html(opt.title) + "</B>   ";
  t += line(head + small(state, look::ink));
  for (const auto& note : model.notes) t += line(small(dot_html(note)));
  if (opt.legend) {
    const auto swatch = [](const char* fill, std::string_view text, const char* border) {
      return fmt::format("<TD BGCOLOR=\"{}\" BORDER=\"1\" COLOR=\"{}\">{}</TD>", fill, border,
                         small(text, look::ink));
    };
    std::string kinds = "<TD>" + small(w.nodes) + "</TD>" +
                        swatch(look::input_fill, w.input, "#9ca3af") +
                        swatch(look::parameter_fill, w.parameter, "#9ca3af") +
                        swatch(look::constant_fill, w.constant, "#9ca3af") +
                        swatch(look::op_fill, w.op, "#9ca3af") +
                        swatch(look::group_fill, w.collapsed_group, "#9ca3af");
    std::vector<char> present(op_count, 0);  // the activations drawn, each in its colour
    for (NodeId id = 0; id < g.size(); ++id) present[static_cast<std::size_t>(g.op(id))] = 1;
    for (const look::ActivationLook& a : look::activations)
      if (present[static_cast<std::size_t>(a.op)])
        kinds += swatch(a.fill, info(a.op).name, a.color);
    if (!g.backward_spans().empty())
      kinds += swatch(look::backward_fill, w.backward_recorded, look::backward_color);
    if (!opt.highlight.empty()) kinds += swatch(look::op_fill, w.highlighted, look::highlight);
    t += strip(kinds);
    std::string scale =
        "<TD>" + small(dot_html(fmt::format(fmt::runtime(w.scale), back_arrow()))) + "</TD>";
    for (const auto& h : look::heat)
      scale += fmt::format("<TD><FONT COLOR=\"{}\" POINT-SIZE=\"{}\">\u2501\u2501</FONT> {}</TD>",
                           h.color, static_cast<int>(8 + 2 * h.width),
                           small(dot_html(h.range), look::ink));
    scale += fmt::format("<TD><FONT COLOR=\"{}\">\u2501\u2501</FONT> {}</TD>", look::zero,
                         small(w.zero, look::ink));
    scale += fmt::format("<TD><FONT COLOR=\"{}\">\u2504\u2504</FONT> {}</TD>", look::unreached,
                         small(w.unreached, look::ink));
    t += strip(scale);
    t += line(small(dot_html(fmt::format(fmt::runtime(w.grammar), back_arrow())), look::ink));
    std::string squashing;  // "sigmoid, tanh"
    for (std::size_t k = 0; k < op_count; ++k)
      if (info(static_cast<Op>(k)).saturating)
        squashing += (squashing.empty() ? "" : ", ") + std::string(info(static_cast<Op>(k)).name);
    const auto mark = [&](const look::Mark& m, std::string_view drawn, std::string_view word,
                          std::string_view means) {
      return fmt::format("<FONT COLOR=\"{}\" POINT-SIZE=\"9\"><B>{}{} {}</B></FONT>{}", m.color,
                         drawn, m.symbol, word, small(": " + dot_html(means), look::ink));
    };
    bool detach = false;
    for (NodeId id = 0; id < g.size(); ++id) detach = detach || info(g.op(id)).stops_gradient;
    t += line(mark(look::blocked, "- - ", w.blocked, w.blocked_means) + "   " +
              mark(look::vanishing, "\u00b7\u00b7\u00b7 ", w.vanishing, w.vanishing_means) + "   " +
              mark(look::saturated, "", w.saturated,
                   fmt::format(fmt::runtime(w.saturated_means), squashing)) +
              (detach ? "   " + mark(look::detached, "- - ", w.detached, w.detached_means)
                      : std::string()));
  }
  return t + "</TABLE>";
}

// Slide order: the graph's inputs stacked top to bottom in the order they were made, and so are
// sibling groups that do not feed each other (the neurons of a layer), each run of them held in
// one rank by its output node and ordered by invisible edges. Layers that feed each other follow
// the flow left to right anyway.
void Drawing::order(std::ostream& out) const {
  // Which way an invisible edge orders its ends was found by trying (tests/test_dot.cpp checks
  // the positions `dot -Tplain` gives): with rankdir=RL (RankDir::LR) nodes outside clusters
  // stack in the edges' direction and nodes inside clusters against it; with rankdir=BT
  // (RankDir::TB) both stack in the edges' direction.
  const bool mirrored = opt.rankdir == RankDir::TB;
  const auto chain = [&out, mirrored](std::vector<NodeId> ids, bool clustered) {
    if (ids.size() < 2) return;
    out << "{ rank=same; ";
    for (const NodeId id : ids) out << id << "; ";
    out << "}\n";
    if (clustered && !mirrored) std::reverse(ids.begin(), ids.end());
    for (std::size_t k = 0; k < ids.size(); ++k) out << (k ? " -> " : "") << ids[k];
    out << " [style=invis];\n";
  };
  std::vector<NodeId> inputs;
  for (NodeId id = 0; id < g.size(); ++id)
    if (g.kind(id) == NodeKind::input && model.owner[id] < 0) inputs.push_back(id);
  chain(inputs, false);
  const auto drawn = [&](NodeId id) { return model.absorbed[id] < 0; };
  // The inputs in a column of their own, left of the weights they meet: an input read by a node
  // of a group (a neuron) drawn as itself is held one rank beyond that node's parameters (by an
  // invisible edge), so the first layer's weights do not share its column and it sits at the
  // height of what it feeds. Graphs without groups (the tutorial's neuron) are left as they are.
  for (NodeId id = 0; id < g.size(); ++id) {
    if (!drawn(id) || model.owner[id] < 0) continue;
    const auto ops = g.operands(id);
    for (const NodeId x : ops) {
      if (g.kind(x) != NodeKind::input || model.owner[x] >= 0) continue;
      for (const NodeId p : ops)
        if (g.kind(p) == NodeKind::parameter && drawn(p))
          out << p << " -> " << x << " [style=invis];\n";
    }
  }
  // Operands in index order: the operands of one node that are nodes of one op in the node's own
  // group (a neuron's products ×1, ×2, ... under its Σ) stack in the order they are read.
  for (NodeId id = 0; id < g.size(); ++id) {
    if (!drawn(id) || model.owner[id] < 0) continue;
    std::vector<NodeId> same;
    for (const NodeId o : g.operands(id))
      if (drawn(o) && g.kind(o) == NodeKind::op && model.owner[o] == model.owner[id] &&
          std::find(same.begin(), same.end(), o) == same.end() &&
          (same.empty() || g.op(o) == g.op(same.front())))
        same.push_back(o);
    chain(same, opt.clusters);
  }

  // The drawn node standing for unit k: its last node, or the box holding it.
  const auto anchor = [&](std::size_t k) {
    const NodeId last = model.units[k].last;
    const int box = model.absorbed[last];
    return box < 0 ? last : model.units[static_cast<std::size_t>(box)].last;
  };
  // Whether unit b reads a node of unit a directly.
  const auto feeds = [&](std::size_t a, std::size_t b) {
    const auto groups = g.groups();
    for (const int gb : model.units[b].groups)
      for (NodeId id = groups[gb].begin; id < groups[gb].end && id < g.size(); ++id)
        for (const NodeId operand : g.operands(id))
          for (const int ga : model.units[a].groups)
            if (operand >= groups[ga].begin && operand < groups[ga].end) return true;
    return false;
  };
  std::vector<std::vector<std::size_t>> siblings(model.units.size() + 1);  // by parent; last: roots
  for (std::size_t k = 0; k < model.units.size(); ++k) {
    const Unit& u = model.units[k];
    const bool inside_box = u.parent >= 0 && model.hidden[static_cast<std::size_t>(u.parent)];
    if (u.size == 0 || inside_box || u.calls == 0) continue;
    siblings[u.parent < 0 ? model.units.size() : static_cast<std::size_t>(u.parent)].push_back(k);
  }
  // Layers as columns: when a unit feeds the next one (layer 1 feeds layer 2), the parameters
  // and constants drawn inside the later one are held right of the earlier one's output (by
  // invisible edges), so the two clusters do not share a rank and stack side by side, not one
  // above the other.
  for (const auto& list : siblings)
    for (std::size_t i = 1; i < list.size(); ++i) {
      if (!feeds(list[i - 1], list[i])) continue;
      const NodeId before = anchor(list[i - 1]);
      for (const int gi : model.units[list[i]].groups)
        for (NodeId id = g.groups()[gi].begin; id < g.groups()[gi].end && id < g.size(); ++id)
          if (drawn(id) && g.kind(id) != NodeKind::op && g.kind(id) != NodeKind::input)
            out << id << " -> " << before << " [style=invis];\n";
    }
  for (const auto& list : siblings) {
    std::vector<NodeId> run;
    std::size_t run_start = 0;
    for (std::size_t i = 0; i < list.size(); ++i) {
      bool joins = !run.empty();
      for (std::size_t j = run_start; j < i && joins; ++j)
        joins = model.units[list[j]].kind == model.units[list[i]].kind && !feeds(list[j], list[i]);
      if (!joins) {
        chain(run, opt.clusters);
        run.clear();
        run_start = i;
      }
      run.push_back(anchor(list[i]));
    }
    chain(run, opt.clusters);
  }
}

// Graph attributes, defaults, and the clusters of the graph's groups listing their drawn nodes.
void Drawing::preamble(std::ostream& out, const std::vector<std::pair<NodeId, int>>& drawn) const {
  out << "// gradflow: edges are written consumer -> operand (the way gradients travel);\n"
         "// dir=back draws arrows the way values flow, and the rank direction is mirrored.\n";
  out << fmt::format(
      "graph [rankdir={}, fontname=\"{}\", fontsize=11, nodesep=0.25, ranksep={}, "
      "newrank=true, remincross=false, bgcolor=\"white\", labelloc=b, labeljust=l, label=<{}>];\n",
      opt.rankdir == RankDir::LR ? "RL" : "BT", look::font,
      // boxes bundle many edges between two columns: room to tell them apart
      model.drawn_nodes < g.size() ? 1.2 : 0.45, legend());
  out << fmt::format(
      "node [shape=box, style=\"rounded,filled\", fontname=\"{}\", fontsize=11, "
      "fontcolor=\"{}\", margin=\"0.08,0.04\"];\n",
      look::font, look::ink);
  out << fmt::format(
      "edge [dir=back, arrowtail=normal, arrowsize=0.7, fontname=\"{}\", fontsize=9];\n",
      look::font);
  order(out);
  if (!opt.clusters) return;

  std::vector<std::vector<NodeId>> members(model.units.size());
  for (const auto& [rep, box] : drawn) {
    const int cluster =
        box >= 0 ? model.units[static_cast<std::size_t>(box)].parent : model.owner[rep];
    if (cluster >= 0) members[static_cast<std::size_t>(cluster)].push_back(rep);
  }
  std::vector<std::vector<int>> children(model.units.size());
  std::vector<int> roots;
  for (std::size_t k = 0; k < model.units.size(); ++k) {
    if (model.hidden[k] || model.units[k].size == 0) continue;
    (model.units[k].parent < 0 ? roots : children[static_cast<std::size_t>(model.units[k].parent)])
        .push_back(static_cast<int>(k));
  }
  // Depth-first over the model.units, with an explicit stack of open clusters.
  std::vector<std::pair<int, std::size_t>> open;  // unit, next child to write
  const auto indent = [&] { return std::string(2 * open.size(), ' '); };
  const auto open_cluster = [&](int k) {
    const Unit& u = model.units[static_cast<std::size_t>(k)];
    const int first = u.groups.front();
    out << indent()
        << fmt::format(
               "subgraph cluster_g{} {{ id=\"g{}\"; class={}; label=<<B>{}</B> {}>; "
               "style=\"rounded,dashed\"; color=\"{}\"; fontcolor=\"{}\"; labeljust=l;\n",
               first, first, dot_string("cluster " + css_token(u.kind)),
               dot_html(u.name.empty() ? w.unnamed : u.name), small(dot_html(kind_word(w, u.kind))),
               u.kind == "backward" ? look::backward_color
               : open.empty()       ? "#7c3aed"
                                    : "#a78bfa",
               look::ink);
    open.emplace_back(k, 0);
    const auto& m = members[static_cast<std::size_t>(k)];
    if (m.empty()) return;
    out << indent();
    for (const NodeId id : m) out << id << "; ";
    out << "\n";
  };
  for (const int root : roots) {
    open_cluster(root);
    while (!open.empty()) {
      auto& [k, next] = open.back();
      const auto& kids = children[static_cast<std::size_t>(k)];
      if (next < kids.size()) {
        open_cluster(kids[next++]);
      } else {
        open.pop_back();
        out << indent() << "}\n";
      }
    }
  }
}

}  // namespace gradflow::dot_drawing
