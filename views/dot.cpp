// Graphviz dumps: the labels and attributes of nodes, boxes, edges and bundles, the legend and the
// clusters, written through boost::write_graphviz. What is drawn (groups, collapsing, size guards)
// is decided in dot_model.cpp, the colours in look.hpp, the escaping in escape.cpp.
#include <gradflow/views/dot.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <boost/graph/graphviz.hpp>

#include <gradflow/graph/boost_graph.hpp>
#include <gradflow/ops/errors.hpp>
#include <gradflow/ops/ops.hpp>
#include <gradflow/views/dot_drawing.hpp>
#include <gradflow/views/dot_model.hpp>
#include <gradflow/views/escape.hpp>
#include <gradflow/views/look.hpp>

namespace gradflow::dot_drawing {

// "σ  sigmoid", "LReLU  leaky_relu α=0.01", "pow ^2" (a prefix that is the symbol replaces it).
std::string Drawing::op_text(NodeId id) const {
  const OpInfo oi = info(g.op(id));
  if (oi.kind != NodeKind::op) return std::string(oi.name);
  if (oi.attr != AttrKind::none && oi.attr_prefix == oi.symbol)
    return fmt::format("{} {}{}", oi.name, oi.attr_prefix, num(g.attr(id)));
  std::string text =
      oi.symbol == oi.name ? std::string(oi.name) : fmt::format("{}  {}", oi.symbol, oi.name);
  if (oi.attr != AttrKind::none) text += fmt::format(" {}{}", oi.attr_prefix, num(g.attr(id)));
  return text;
}

namespace {

// A node kind's SVG class, fill colour, and the colour of its op's name.
struct KindLook {
  const char* klass;
  const char* fill;
  const char* op_color = look::muted;
};
KindLook kind_look(NodeKind kind, Op op) {
  switch (kind) {
    case NodeKind::input:
      return {"input", look::input_fill};
    case NodeKind::parameter:
      return {"parameter", look::parameter_fill};
    case NodeKind::constant:
      return {"constant", look::constant_fill};
    case NodeKind::op:
      break;
  }
  if (const look::ActivationLook* a = look::activation_look(op))
    return {"op activation", a->fill, a->color};
  return {"op", look::op_fill};
}

}  // namespace

std::string Drawing::node_attributes(NodeId id) const {
  const NodeKind kind = g.kind(id);
  const Op op = g.op(id);
  const std::string name = label(id);
  const double value = g.value(id);

  // label
  std::string html = table_open;
  std::string head = "<B>" + dot_html(name) + "</B>";
  if (opt.show.ids && name.find('#') == std::string::npos)
    head += " " + small(fmt::format("#{}", id));
  html += wide_row(head);
  KindLook kl = kind_look(kind, op);
  if (opt.show.op) html += wide_row(small(dot_html(op_text(id)), kl.op_color));
  // A node recorded by gradients(): which node's derivative it records, and its order.
  const BackwardSpan* backward = g.backward_of(id);
  if (backward != nullptr) {
    kl.fill = look::backward_fill;
    static constexpr const char* orders[] = {"", "", "\u00b2", "\u00b3"};
    const std::string d = backward->order < 4 ? fmt::format("\u2202{}", orders[backward->order])
                                              : fmt::format("\u2202^{}", backward->order);
    const std::string of = g.name(backward->of).empty()
                               ? label(backward->of)
                               : fmt::format("{} #{}", label(backward->of), backward->of);
    html += wide_row(
        small(dot_html(fmt::format(fmt::runtime(w.recorded_of), d, of)), look::backward_color));
  }
  if (opt.show.value) html += row(w.value, num(value));

  std::string klass = kl.klass;
  if (backward != nullptr) klass += " backward";
  const bool root = grads && g.gradient_root() == id;
  std::string color = look::neutral;
  double width = 1.2;
  std::string style = kind == NodeKind::parameter ? "filled" : "rounded,filled";
  if (!grads) {
    if (opt.show.gradient) html += row(w.grad, small(fmt::format("<I>{}</I>", w.no_gradient_yet)));
  } else if (!g.reached(id)) {
    if (opt.show.gradient) html += row(w.grad, small(fmt::format("<I>{}</I>", w.not_reached)));
    color = look::unreached;
    style += ",dashed";
    klass += " unreached";
  } else {
    const double grad = g.grad(id);
    if (opt.show.gradient) html += row(root ? w.grad_root : w.grad, "<B>" + num(grad) + "</B>");
    if (!std::isfinite(grad)) {
      color = look::nonfinite, width = 3.0;
      klass += " nonfinite";
    } else if (grad == 0.0) {
      color = look::zero, width = 1.0;
      klass += " zero";
    } else {
      const auto& h = look::heat_of(std::abs(grad));
      color = h.color, width = h.width;
    }
  }
  if (root) klass += " root";
  if (saturated(id)) {  // "⚠ saturated: σ′ = 4.5e-05"
    html += wide_row(
        fmt::format("<FONT POINT-SIZE=\"9\">{} {}: {}\u2032 = {}</FONT>", look::saturated.symbol,
                    w.saturated, info(op).symbol, num(g.local_derivative(id, 0))),
        look::saturated.fill);
    klass += " saturated";
    if (!grads || g.reached(id)) color = look::saturated.color;
    width = std::max(width, 2.5);
  }
  html += "</TABLE>";
  if (highlighted[id]) {
    color = look::highlight, width = 4.0;
    klass += " highlight";
  }

  // tooltip: "y = sigmoid(z+b) = 0.5498; grad 1"
  std::string tip = name;
  if (kind == NodeKind::op) {
    tip += fmt::format(" = {}(", info(op).name);
    const auto ops = g.operands(id);
    constexpr std::size_t shown = 8;  // a sum over a thousand terms needs no thousand names
    for (std::size_t k = 0; k < std::min(ops.size(), shown); ++k)
      tip += (k ? ", " : "") + label(ops[k]);
    if (ops.size() > shown) tip += fmt::format(fmt::runtime(w.tip_operands), ops.size());
    tip += ")";
  } else {
    tip += fmt::format(" ({})", info(op).name);
  }
  tip += " = " + num(value);
  if (backward != nullptr)
    tip += fmt::format(fmt::runtime(w.tip_recorded), backward->order, g.describe(backward->of));
  if (grads)
    tip += g.reached(id) ? fmt::format(fmt::runtime(w.tip_grad), num(g.grad(id)))
                         : std::string(w.tip_not_reached);

  return fmt::format(
      "[id=\"n{}\", class={}, label=<{}>, tooltip={}, style=\"{}\", fillcolor=\"{}\", "
      "color=\"{}\", penwidth={}]",
      id, dot_string(klass), html, dot_string(tip), style, kl.fill, color, width);
}

std::string Drawing::box_attributes(int unit) const {
  const Unit& un = model.units[static_cast<std::size_t>(unit)];
  const NodeId out = un.last;
  std::size_t params = 0, saturated_count = 0, blocked_count = 0;
  double max_param_grad = 0.0;
  for (const int i : un.groups) {
    for (NodeId id = g.groups()[i].begin; id < g.groups()[i].end; ++id) {
      if (g.kind(id) == NodeKind::parameter) {
        ++params;
        if (reached(id)) max_param_grad = std::max(max_param_grad, std::abs(g.grad(id)));
      }
      if (saturated(id)) ++saturated_count;
      const auto ops = g.operands(id);
      for (std::size_t k = 0; k < ops.size(); ++k)
        if (blocked(id, k)) ++blocked_count;
    }
  }
  // Three rows, so that a column of sixteen boxes stays short: name, op and size; value and ∇;
  // parameters and marks.
  std::string html = table_open;
  const std::string kind =
      un.kind.empty() ? std::string(w.group) : std::string(kind_word(w, un.kind));
  std::string size = fmt::format(fmt::runtime(w.box_nodes), kind, un.size);
  if (un.calls > 1) size += fmt::format(fmt::runtime(w.box_calls), un.calls);
  std::string head = "<B>" + dot_html(un.name.empty() ? w.unnamed : un.name) + "</B>";
  if (opt.show.op)
    head += "  " + small((un.calls > 1 ? w.last_out : w.out) + dot_html(op_text(out)), look::ink);
  html += wide_row(head);
  std::string numbers;
  if (opt.show.value) numbers += small(w.value) + " " + num(g.value(out));
  if (opt.show.gradient) {
    numbers += numbers.empty() ? "" : "   ";
    if (!grads)
      numbers += small(fmt::format("{} <I>{}</I>", w.grad, w.no_gradient_yet));
    else if (!g.reached(out))
      numbers += small(fmt::format("{} <I>{}</I>", w.grad, w.not_reached));
    else
      numbers += small(w.grad) + " <B>" + num(g.grad(out)) + "</B>";
  }
  if (!numbers.empty()) html += wide_row(numbers);
  std::string klass = "group " + css_token(un.kind);
  std::string color = look::neutral;
  double width = 1.2;
  if (grads && g.reached(out)) {
    const double grad = g.grad(out);
    if (grad == 0.0) {
      color = look::zero;
    } else if (std::isfinite(grad)) {
      color = look::heat_of(std::abs(grad)).color;
      width = look::heat_of(std::abs(grad)).width;
    } else {
      color = look::nonfinite;
    }
  } else if (grads) {
    color = look::unreached;
    klass += " unreached";
  }
  std::string last = small(size);
  if (params > 0) {
    last += "  " +
            small(params == 1 ? std::string(w.param) : fmt::format(fmt::runtime(w.params), params));
    if (grads)
      last += " " + small(fmt::format(fmt::runtime(w.max_grad), num(max_param_grad)), look::ink);
  }
  html += wide_row(last);
  if (saturated_count > 0) {
    html += wide_row(small(fmt::format("{} {}", look::saturated.symbol,
                                       fmt::format(fmt::runtime(w.box_saturated), saturated_count)),
                           look::ink),
                     look::saturated.fill);
    klass += " saturated";
    color = look::saturated.color;
    width = std::max(width, 2.5);
  }
  if (blocked_count > 0) {
    html += wide_row(small(fmt::format("{} {}", look::blocked.symbol,
                                       fmt::format(fmt::runtime(w.box_blocked), blocked_count)),
                           look::blocked.color));
    klass += " blocked";
  }
  html += "</TABLE>";
  if (highlighted[out]) {
    color = look::highlight, width = 4.0;
    klass += " highlight";
  }
  const std::string tip = fmt::format(fmt::runtime(w.tip_box), un.name, un.kind, un.size,
                                      label(out), num(g.value(out)));
  return fmt::format(
      "[id=\"n{}\", class={}, shape=box3d, style=\"filled\", fillcolor=\"{}\", color=\"{}\", "
      "penwidth={}, label=<{}>, tooltip={}]",
      out, dot_string(klass), look::group_fill, color, width, html, dot_string(tip));
}

std::string Drawing::edge_attributes(EdgeId e) const {
  const NodeId u = e.source;
  const std::size_t slot = e.edge - g.first_operand(u);
  const NodeId v = g.operand_at(e.edge);
  const double local = g.local_derivative(u, slot);
  const bool is_blocked = blocked(u, slot);
  const bool is_vanishing = vanishing(u, slot);
  const bool is_saturated = saturated(u);

  std::vector<std::string> lines;
  if (opt.show.local_derivative)
    lines.push_back((is_saturated ? fmt::format("<B>{}</B> \u2202 ", look::saturated.symbol)
                                  : std::string("\u2202 ")) +
                    num(local));
  std::string klass, color = look::neutral, style = "solid";
  double width = 1.2;
  std::string tip = fmt::format("d({})/d({}) = {}", label(u), label(v), num(local));
  if (grads && !g.reached(u)) {
    klass = "unreached";
    color = look::unreached;
    style = "dotted";
  } else if (grads) {
    const double c = g.contribution(u, slot);
    if (opt.show.contribution) lines.push_back(fmt::format("{} {}", back_arrow(), num(c)));
    tip += fmt::format(fmt::runtime(w.tip_passes), num(g.grad(u)), num(local), num(c), label(v));
    if (!std::isfinite(c)) {
      klass = "flow nonfinite", color = look::nonfinite, width = 3.0;
    } else if (c == 0.0) {
      klass = "zero", color = look::zero, width = 1.0;
    } else {
      const auto& h = look::heat_of(std::abs(c));
      klass = "flow", color = h.color, width = h.width;
    }
  } else {
    klass = "pending";
  }
  if (is_vanishing && !(grads && !g.reached(u))) {
    // Faint and dotted whatever its decade: the eye should follow what does pass.
    klass += " vanishing";
    color = look::vanishing.color, style = "dotted", width = 1.0;
    lines.push_back(look::vanishing.symbol);
    tip += fmt::format(fmt::runtime(w.tip_vanishing), saturation_threshold);
  }
  const bool detached = info(g.op(u)).stops_gradient;
  if (is_blocked && detached) {
    klass = "blocked detached";
    color = look::detached.color, style = "dashed", width = 2.0;
    lines.push_back(fmt::format("<B>{} {}</B>", look::detached.symbol, w.detached));
    tip += w.tip_detached;
  } else if (is_blocked) {
    klass = "blocked";
    color = look::blocked.color, style = "dashed", width = 2.0;
    lines.push_back(fmt::format("<B>{} {}</B>", look::blocked.symbol, w.blocked));
    tip += w.tip_blocked;
  }
  if (is_saturated) {
    klass += " saturated";
    tip += fmt::format(fmt::runtime(w.tip_saturated), saturation_threshold);
  }
  std::string attrs = fmt::format("[id=\"e{}\", class={}, color=\"{}\", penwidth={}, style={}",
                                  e.edge, dot_string(klass), color, width, style);
  if (!lines.empty() && model.edge_labels) {
    std::string html;
    for (const auto& l : lines) html += (html.empty() ? "" : "<BR/>") + l;
    attrs += fmt::format(", label=<{}>, fontcolor=\"{}\"", html,
                         is_blocked && detached ? look::detached.color
                         : is_blocked           ? look::blocked.color
                         : is_saturated         ? look::saturated.color
                         : is_vanishing         ? look::vanishing.color
                                                : look::ink);
  }
  return attrs + fmt::format(", tooltip={}]", dot_string(tip));
}

std::string Drawing::bundle_attributes(const DrawnEdge& bundle) const {
  const auto& [first, count, max_abs, blocked_count] = bundle;
  const NodeId u = first.source;
  const NodeId v = g.operand_at(first.edge);
  std::string klass = "bundle", color = look::neutral, style = "solid";
  double width = 1.2;
  std::string html = fmt::format(fmt::runtime(w.edges), count);
  if (grads) {
    html += "<BR/>" + fmt::format(fmt::runtime(w.max_back), back_arrow(), num(max_abs));
    if (max_abs == 0.0) {
      color = look::zero;
      klass += " zero";
    } else if (std::isfinite(max_abs)) {
      color = look::heat_of(max_abs).color;
      width = look::heat_of(max_abs).width;
      klass += " flow";
    } else {
      color = look::nonfinite;
      klass += " nonfinite";
    }
  }
  if (blocked_count == count) {
    klass += " blocked";
    color = look::blocked.color, style = "dashed";
    html += fmt::format("<BR/><B>{} {}</B>", look::blocked.symbol, w.blocked);
  }
  std::string attrs = fmt::format("[id=\"e{}\", class={}, color=\"{}\", penwidth={}, style={}",
                                  first.edge, dot_string(klass), color, width, style);
  if (model.edge_labels) attrs += fmt::format(", label=<{}>, fontcolor=\"{}\"", html, look::ink);
  const std::string tip =
      fmt::format(fmt::runtime(w.tip_bundle), count, label(u), label(v), first.edge, num(max_abs));
  return attrs + fmt::format(", tooltip={}]", dot_string(tip));
}

}  // namespace gradflow::dot_drawing

namespace gradflow {
namespace {

using dot_drawing::Drawing;
using dot_model::Contracted;
using dot_model::DrawnEdge;
using dot_model::DrawnVertex;

// =============================================================================================
// Property writers for boost::write_graphviz.

struct GraphWriter {
  const Drawing* d;
  const std::vector<std::pair<NodeId, int>>* drawn;
  void operator()(std::ostream& out) const {
    std::ostringstream text;
    d->preamble(text, *drawn);
    out << dot_ascii(text.str());
  }
};

struct NodeWriter {
  const Drawing* d;
  void operator()(std::ostream& out, NodeId v) const { out << dot_ascii(d->node_attributes(v)); }
};

struct EdgeWriter {
  const Drawing* d;
  void operator()(std::ostream& out, const EdgeId& e) const {
    out << dot_ascii(d->edge_attributes(e));
  }
};

struct BoxWriter {
  const Drawing* d;
  const Contracted* c;
  void operator()(std::ostream& out, Contracted::vertex_descriptor v) const {
    const DrawnVertex& dv = (*c)[v];
    out << dot_ascii(dv.box >= 0 ? d->box_attributes(dv.box) : d->node_attributes(dv.rep));
  }
};

struct BundleWriter {
  const Drawing* d;
  const Contracted* c;
  void operator()(std::ostream& out, Contracted::edge_descriptor e) const {
    const DrawnEdge& de = (*c)[e];
    out << dot_ascii(de.count == 1 ? d->edge_attributes(de.first) : d->bundle_attributes(de));
  }
};

}  // namespace

// =============================================================================================

void write_dot(std::ostream& out, const Graph& g, const DotOptions& options) {
  if (options.digits < 1 || options.digits > 17)
    throw UsageError(fmt::format(
        "gradflow: write_dot: DotOptions::digits = {} is outside 1..17 (significant digits of "
        "every number; 17 round-trips every double)",
        options.digits));
  const Drawing d(g, options);
  std::vector<std::pair<NodeId, int>> drawn;  // (node, box or -1) in drawing order
  if (d.model.drawn_nodes == g.size()) {
    drawn.reserve(g.size());
    for (NodeId id = 0; id < g.size(); ++id) drawn.emplace_back(id, -1);
    boost::write_graphviz(out, g, NodeWriter{&d}, EdgeWriter{&d}, GraphWriter{&d, &drawn});
  } else {
    const Contracted c = dot_model::contract(g, d.model, drawn);
    boost::write_graphviz(out, c, BoxWriter{&d, &c}, BundleWriter{&d, &c}, GraphWriter{&d, &drawn},
                          get(&DrawnVertex::rep, c));
  }
}

std::string to_dot(const Graph& g, const DotOptions& options) {
  std::ostringstream out;
  write_dot(out, g, options);
  return out.str();
}

void write_dot_file(const std::string& path, const Graph& g, const DotOptions& options) {
  const std::string text = to_dot(g, options);  // a refused drawing leaves no file behind
  std::ofstream file(path, std::ios::binary);
  if (!file)
    throw Error(fmt::format("gradflow: cannot open '{}' to write the graph: {}", path,
                            std::strerror(errno)));
  file << text;
  file.close();
  if (!file) throw Error(fmt::format("gradflow: writing the graph to '{}' failed", path));
}

}  // namespace gradflow