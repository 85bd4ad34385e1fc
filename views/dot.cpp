#include <gradflow/views/dot.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <ostream>
#include <sstream>
#include <string_view>
#include <tuple>
#include <utility>

#include <fmt/format.h>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/graphviz.hpp>

#include <gradflow/graph/boost_graph.hpp>
#include <gradflow/ops/errors.hpp>

namespace gradflow {
namespace {

// =============================================================================================
// Escaping. Everything user-supplied goes through html() (inside HTML-like labels) or dot_string()
// (inside "..." attributes). Both emit pure ASCII: other characters become numeric character
// references, which Graphviz decodes in labels and tooltips alike; malformed UTF-8 becomes
// U+FFFD and control characters are shown as C escapes (a name "a\nb" reads a\nb), so no name
// can produce invalid DOT, invalid XML in the SVG, or a Graphviz charset warning.

constexpr char32_t kReplacement = 0xFFFD;

// Decodes the UTF-8 sequence at s[i] and advances i past it; malformed input (overlong forms,
// surrogates, truncated sequences, stray continuation bytes) yields U+FFFD for one byte.
char32_t next_code_point(std::string_view s, std::size_t& i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  std::size_t len = 0;
  char32_t cp = 0, min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1Fu, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0Fu, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07u, min = 0x10000;
  } else {
    ++i;
    return kReplacement;
  }
  if (i + len > s.size()) {
    ++i;
    return kReplacement;
  }
  for (std::size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {
      ++i;
      return kReplacement;
    }
    cp = (cp << 6) | (byte(i + k) & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return kReplacement;
  }
  i += len;
  return cp;
}

// Characters XML 1.0 allows (the SVG is XML); the rest become U+FFFD.
bool xml_char(char32_t cp) {
  return (cp >= 0x20 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) ||
         (cp >= 0x10000 && cp <= 0x10FFFF);
}

// A control character as the C escape a programmer would type: \n, \t, \x1b.
std::string control_escape(char32_t c) {
  switch (c) {
    case '\n':
      return "\\n";
    case '\t':
      return "\\t";
    case '\r':
      return "\\r";
    default:
      return fmt::format("\\x{:02x}", static_cast<unsigned>(c));
  }
}

bool is_control(char32_t cp) { return cp < 0x20 || cp == 0x7F; }

// Text inside an HTML-like label <...>: XML escapes, and backslashes doubled.
std::string html(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const char32_t cp = next_code_point(s, i);
    if (is_control(cp)) {
      out += "\\" + control_escape(cp);
    } else if (cp < 0x80) {
      switch (cp) {
        case '\\':  // Graphviz expands \N, \G, \E in labels; \\ is a backslash
          out += R"(\\)";
          break;
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&quot;";
          break;
        case '\'':
          out += "&#39;";
          break;
        default:
          out += static_cast<char>(cp);
      }
    } else {
      out += fmt::format("&#{};", static_cast<std::uint32_t>(xml_char(cp) ? cp : kReplacement));
    }
  }
  return out;
}

// A double-quoted DOT string, as tooltips read it. Graphviz un-escapes a tooltip twice (\\ to \,
// then \N, \G, \L... to the node's name, the graph's name, the label), so each literal backslash
// is written as four; \" is a quote; entities are decoded, so & is written &amp;.
std::string dot_string(std::string_view s) {
  constexpr std::string_view backslash = R"(\\\\)";
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size();) {
    const char32_t cp = next_code_point(s, i);
    if (is_control(cp)) {
      const std::string text = control_escape(cp);  // a visible \n, not a line break
      out += backslash;
      out += text.substr(1);
    } else if (cp == '"') {
      out += "\\\"";
    } else if (cp == '\\') {
      out += backslash;
    } else if (cp == '&') {
      out += "&amp;";
    } else if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else {
      out += fmt::format("&#{};", static_cast<std::uint32_t>(xml_char(cp) ? cp : kReplacement));
    }
  }
  return out + "\"";
}

// The dump's own text (symbols such as the partial sign and arrows) in the same ASCII form.
std::string ascii(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const char32_t cp = next_code_point(s, i);
    if (cp < 0x80)
      out += static_cast<char>(cp);
    else
      out += fmt::format("&#{};", static_cast<std::uint32_t>(xml_char(cp) ? cp : kReplacement));
  }
  return out;
}

// A CSS class token: letters, digits, - and _ only.
std::string css_token(std::string_view s) {
  std::string out;
  for (const char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    out += ok ? c : '_';
  }
  return out.empty() ? "group" : out;
}

// =============================================================================================
// Look: colours of node kinds, the gradient scale, and the marks for blocked and vanishing.

namespace look {
constexpr const char* font = "Helvetica,Arial,sans-serif";
constexpr const char* ink = "#1f2937";
constexpr const char* muted = "#6b7280";
constexpr const char* input_fill = "#dbeafe";
constexpr const char* parameter_fill = "#fef3c7";
constexpr const char* constant_fill = "#f3f4f6";
constexpr const char* op_fill = "#ffffff";
constexpr const char* activation_fill = "#dcfce7";
constexpr const char* group_fill = "#ede9fe";
constexpr const char* neutral = "#4b5563";  // border and edges before backward
constexpr const char* unreached = "#c4c8cf";
constexpr const char* zero = "#a3a3a3";
constexpr const char* blocked = "#dc2626";
constexpr const char* vanishing = "#d97706";
constexpr const char* vanishing_fill = "#fde68a";
constexpr const char* nonfinite = "#be185d";
constexpr const char* highlight = "#d946ef";

// |gradient| by decades: the colour and pen width of node borders (|gradient|) and of edges
// (|contribution|). Fixed decades rather than a scale relative to the largest gradient, so two
// pictures (sigmoid against tanh, say) can be compared by eye.
struct Heat {
  double at_least;
  const char* color;
  double width;
  const char* range;
};
constexpr std::array<Heat, 5> heat{{
    {1.0, "#08306b", 3.6, "\u2265 1"},
    {0.1, "#2171b5", 2.7, "0.1\u20131"},
    {0.01, "#4f9bd0", 2.0, "0.01\u20130.1"},
    {1e-3, "#8dbfe0", 1.5, "0.001\u20130.01"},
    {0.0, "#bcd3e8", 1.1, "< 0.001"},
}};

const Heat& heat_of(double magnitude) {
  for (const Heat& h : heat)
    if (magnitude >= h.at_least) return h;
  return heat.back();
}
}  // namespace look

// =============================================================================================
// The model: what is drawn, and every number and mark of it.

bool is_activation(Op op) {
  return op == Op::step || op == Op::sigmoid || op == Op::tanh || op == Op::relu ||
         op == Op::leaky_relu;
}

// Groups recorded again under the same name (a module records its parameters when built and
// its computation at each call, each inside a group of the same name and kind) form one unit:
// one cluster, or one box when collapsed. A unit is keyed by name, kind and enclosing unit.
struct Unit {
  std::string_view name;
  std::string_view kind;
  int parent = -1;          // enclosing unit, or -1
  int depth = 0;            // 0 for outermost units
  std::vector<int> groups;  // its groups, in creation order
  NodeId last = 0;          // its last node: a collapsed unit's box carries its id
  std::size_t size = 0;     // nodes, nested units' included
  std::size_t calls = 0;    // groups holding at least one op node
};

struct Drawing {
  const Graph& g;
  const DotOptions& opt;
  bool grads = false;  // a backward pass has run
  std::vector<Unit> units;
  std::vector<int> owner;       // innermost unit of each node, or -1
  std::vector<int> absorbed;    // outermost collapsed unit holding each node, or -1
  std::vector<char> collapsed;  // per unit
  std::vector<char> hidden;     // per unit: collapsed or inside a collapsed unit
  std::vector<char> highlighted;
  std::size_t drawn_nodes = 0;
  bool edge_labels = true;
  std::vector<std::string> notes;  // what the size guards did

  Drawing(const Graph& graph, const DotOptions& options);

  int digits() const { return std::clamp(opt.digits, 1, 17); }
  std::string num(double v) const {
    return fmt::format("{:.{}g}", v == 0.0 ? 0.0 : v, digits());  // no "-0"
  }
  bool reached(NodeId id) const { return grads && g.reached(id); }
  bool vanishing(NodeId id) const {
    const Op op = g.op(id);
    if (op != Op::sigmoid && op != Op::tanh) return false;
    return std::abs(g.local_derivative(id, 0)) < opt.vanishing_threshold;
  }
  // An edge through which no gradient can pass: its local derivative is exactly 0 (and no NaN
  // or infinity arrives, since 0 times those is NaN, not 0).
  bool blocked(NodeId consumer, std::size_t slot) const {
    return g.local_derivative(consumer, slot) == 0.0 &&
           !(reached(consumer) && !std::isfinite(g.grad(consumer)));
  }
  const char* back_arrow() const { return opt.rankdir == RankDir::LR ? "\u2190" : "\u2191"; }

  void find_units();
  void apply_collapse();
  std::string op_text(NodeId id) const;
  std::string node_attributes(NodeId id) const;
  std::string box_attributes(int unit) const;
  std::string edge_attributes(EdgeId e) const;
  std::string bundle_attributes(const EdgeId& first, std::uint32_t count, double max_abs,
                                std::uint32_t blocked_count) const;
  std::string legend() const;
  void preamble(std::ostream& out, const std::vector<std::pair<NodeId, int>>& drawn) const;
};

Drawing::Drawing(const Graph& graph, const DotOptions& options)
    : g(graph), opt(options), grads(graph.has_gradients()) {
  const std::size_t n = g.size();
  find_units();
  highlighted.assign(n, 0);
  for (const NodeId id : opt.highlight)
    if (id < n) highlighted[id] = 1;
  collapsed.assign(units.size(), 0);
  for (std::size_t u = 0; u < units.size(); ++u)
    collapsed[u] =
        std::find(opt.collapse.begin(), opt.collapse.end(), units[u].kind) != opt.collapse.end();
  apply_collapse();

  std::size_t drawn_edges = g.edge_count();
  if (drawn_nodes < n) {  // edges inside a box vanish; count the ones that remain
    drawn_edges = 0;
    for (auto [it, end] = edges(g); it != end; ++it) {
      const NodeId s = source(*it, g), t = target(*it, g);
      if (absorbed[s] < 0 || absorbed[s] != absorbed[t]) ++drawn_edges;
    }
  }
  if (opt.max_edge_labels != 0 && drawn_edges > opt.max_edge_labels) {
    edge_labels = false;
    notes.push_back(fmt::format(
        "{} edges > max_edge_labels = {}: edge numbers are in tooltips (hover in the SVG)",
        drawn_edges, opt.max_edge_labels));
  }
}

void Drawing::find_units() {
  const auto groups = g.groups();
  const std::size_t n = g.size();
  std::vector<int> unit_of(groups.size(), -1);
  std::map<std::tuple<std::string_view, std::string_view, int>, int> index;
  owner.assign(n, -1);
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const Group& gr = groups[i];
    // Parents precede children, so the enclosing unit is known.
    const int parent = gr.parent < 0 ? -1 : unit_of[static_cast<std::size_t>(gr.parent)];
    const auto [pos, fresh] =
        index.try_emplace({gr.name, gr.kind, parent}, static_cast<int>(units.size()));
    if (fresh) {
      Unit u;
      u.name = gr.name, u.kind = gr.kind, u.parent = parent;
      u.depth = parent < 0 ? 0 : units[static_cast<std::size_t>(parent)].depth + 1;
      units.push_back(u);
    }
    const int id = pos->second;
    unit_of[i] = id;
    Unit& u = units[static_cast<std::size_t>(id)];
    u.groups.push_back(static_cast<int>(i));
    const NodeId end = std::min<NodeId>(gr.end, static_cast<NodeId>(n));
    if (gr.begin >= end) continue;
    u.last = std::max(u.last, end - 1);
    u.size += end - gr.begin;
    bool has_op = false;
    for (NodeId v = gr.begin; v < end; ++v) {
      owner[v] = id;  // inner groups come later and overwrite: the innermost unit wins
      has_op = has_op || g.kind(v) == NodeKind::op;
    }
    if (has_op) ++u.calls;
  }
}

// Marks the nodes of collapsed units, and enforces the size guard: collapses whole levels of
// units, deepest first (neurons before layers), until no more than max_nodes boxes remain.
void Drawing::apply_collapse() {
  const auto groups = g.groups();
  const std::size_t n = g.size();
  int max_depth = -1;
  for (const Unit& u : units) max_depth = std::max(max_depth, u.depth);
  const auto mark = [&] {
    absorbed.assign(n, -1);
    hidden.assign(units.size(), 0);
    std::size_t boxes = 0, absorbed_count = 0;
    for (std::size_t k = 0; k < units.size(); ++k) {  // parents first
      const int parent = units[k].parent;
      const bool inside = parent >= 0 && hidden[static_cast<std::size_t>(parent)];
      hidden[k] = collapsed[k] || inside;
      if (!collapsed[k] || inside || units[k].size == 0) continue;
      ++boxes;
      for (const int i : units[k].groups)
        for (NodeId id = groups[i].begin; id < groups[i].end && id < n; ++id)
          if (absorbed[id] < 0) {
            absorbed[id] = static_cast<int>(k);
            ++absorbed_count;
          }
    }
    drawn_nodes = n - absorbed_count + boxes;
  };
  mark();
  if (opt.max_nodes == 0 || drawn_nodes <= opt.max_nodes) return;
  const std::size_t before = drawn_nodes;
  std::vector<std::string_view> kinds;
  for (int d = max_depth; d >= 0 && drawn_nodes > opt.max_nodes; --d) {
    for (std::size_t k = 0; k < units.size(); ++k)
      if (units[k].depth == d && !collapsed[k]) {
        collapsed[k] = 1;
        if (std::find(kinds.begin(), kinds.end(), units[k].kind) == kinds.end())
          kinds.push_back(units[k].kind);
      }
    mark();
  }
  if (kinds.empty()) {
    notes.push_back(fmt::format(
        "{} nodes > max_nodes = {}: record groups (Graph::begin_group) to draw them as boxes",
        before, opt.max_nodes));
  } else {
    std::string list;
    for (const auto& k : kinds)
      list += (list.empty() ? "" : ", ") + std::string(k.empty() ? "group" : k);
    notes.push_back(fmt::format(
        "size guard: {} nodes > max_nodes = {}, so each {} is drawn as one box ({} boxes); "
        "max_nodes = 0 draws every node",
        before, opt.max_nodes, list, drawn_nodes));
  }
}

std::string Drawing::op_text(NodeId id) const {
  const OpInfo oi = info(g.op(id));
  switch (g.op(id)) {
    case Op::input:
    case Op::parameter:
    case Op::constant:
      return std::string(oi.name);
    case Op::pow:
      return fmt::format("^{}  pow", num(g.attr(id)));
    case Op::leaky_relu:
      return fmt::format("{}  leaky_relu \u03b1={}", oi.symbol, num(g.attr(id)));
    default:
      return oi.symbol == oi.name ? std::string(oi.name)
                                  : fmt::format("{}  {}", oi.symbol, oi.name);
  }
}

// A node kind's SVG class and fill colour.
struct KindLook {
  const char* klass;
  const char* fill;
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
  return is_activation(op) ? KindLook{"op activation", look::activation_fill}
                           : KindLook{"op", look::op_fill};
}

// Rows of a node's table: a left cell (grey caption) and a right cell (the number).
std::string row(std::string_view caption, std::string_view cell) {
  return fmt::format(
      "<TR><TD ALIGN=\"LEFT\"><FONT COLOR=\"{}\" POINT-SIZE=\"9\">{}</FONT></TD>"
      "<TD ALIGN=\"RIGHT\">{}</TD></TR>",
      look::muted, caption, cell);
}
std::string wide_row(std::string_view cell, const char* bg = nullptr) {
  return bg ? fmt::format("<TR><TD COLSPAN=\"2\" BGCOLOR=\"{}\">{}</TD></TR>", bg, cell)
            : fmt::format("<TR><TD COLSPAN=\"2\">{}</TD></TR>", cell);
}
// Graphviz rejects empty <FONT> and <B> elements, so empty text yields nothing.
std::string small(std::string_view text, const char* color = look::muted) {
  if (text.empty()) return {};
  return fmt::format("<FONT POINT-SIZE=\"9\" COLOR=\"{}\">{}</FONT>", color, text);
}
constexpr const char* table_open =
    "<TABLE BORDER=\"0\" CELLBORDER=\"0\" CELLSPACING=\"0\" CELLPADDING=\"1\">";

std::string Drawing::node_attributes(NodeId id) const {
  const NodeKind kind = g.kind(id);
  const Op op = g.op(id);
  const std::string name = g.label(id);
  const bool named = !g.name(id).empty();
  const double value = g.value(id);

  // label
  std::string label = table_open;
  std::string head = "<B>" + html(name) + "</B>";
  if (opt.show.ids && named) head += " " + small(fmt::format("#{}", id));
  label += wide_row(head);
  if (opt.show.op) label += wide_row(small(html(op_text(id))));
  if (opt.show.value) label += row("value", num(value));

  const KindLook kl = kind_look(kind, op);
  std::string klass = kl.klass;
  const bool root = grads && g.gradient_root() == id;
  std::string color = look::neutral;
  double width = 1.2;
  std::string style = kind == NodeKind::parameter ? "filled" : "rounded,filled";
  if (!grads) {
    if (opt.show.gradient) label += row("grad", small("<I>no gradient yet</I>"));
  } else if (!g.reached(id)) {
    if (opt.show.gradient) label += row("grad", small("<I>not reached</I>"));
    color = look::unreached;
    style += ",dashed";
    klass += " unreached";
  } else {
    const double grad = g.grad(id);
    if (opt.show.gradient) label += row(root ? "grad (root)" : "grad", "<B>" + num(grad) + "</B>");
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
  if (vanishing(id)) {
    const double d = g.local_derivative(id, 0);
    label += wide_row(fmt::format("<FONT POINT-SIZE=\"9\">\u26a0 vanishing: {}\u2032 = {}</FONT>",
                                  op == Op::sigmoid ? "\u03c3" : "tanh", num(d)),
                      look::vanishing_fill);
    klass += " vanishing";
    if (!grads || g.reached(id)) color = look::vanishing;
    width = std::max(width, 2.5);
  }
  label += "</TABLE>";
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
      tip += (k ? ", " : "") + g.label(ops[k]);
    if (ops.size() > shown) tip += fmt::format(", ... {} operands", ops.size());
    tip += ")";
  } else {
    tip += fmt::format(" ({})", info(op).name);
  }
  tip += " = " + num(value);
  if (grads) tip += g.reached(id) ? "; grad " + num(g.grad(id)) : "; not reached by backward";

  return fmt::format(
      "[id=\"n{}\", class={}, label=<{}>, tooltip={}, style=\"{}\", fillcolor=\"{}\", "
      "color=\"{}\", penwidth={}]",
      id, dot_string(klass), label, dot_string(tip), style, kl.fill, color, width);
}

std::string Drawing::box_attributes(int unit) const {
  const Unit& un = units[static_cast<std::size_t>(unit)];
  const NodeId out = un.last;
  std::size_t params = 0, vanishing_count = 0, blocked_count = 0;
  double max_param_grad = 0.0;
  for (const int i : un.groups) {
    for (NodeId id = g.groups()[i].begin; id < g.groups()[i].end; ++id) {
      if (g.kind(id) == NodeKind::parameter) {
        ++params;
        if (reached(id)) max_param_grad = std::max(max_param_grad, std::abs(g.grad(id)));
      }
      if (vanishing(id)) ++vanishing_count;
      const auto ops = g.operands(id);
      for (std::size_t k = 0; k < ops.size(); ++k)
        if (blocked(id, k)) ++blocked_count;
    }
  }
  std::string label = table_open;
  label +=
      wide_row("<B>" + html(un.name.empty() ? "(unnamed)" : un.name) + "</B> " +
               small(html(fmt::format(
                   "{} \u00b7 {} nodes{}", un.kind.empty() ? "group" : un.kind, un.size,
                   un.calls > 1 ? fmt::format(" \u00b7 {} calls", un.calls) : std::string()))));
  if (opt.show.op)
    label += wide_row(small((un.calls > 1 ? "last out: " : "out: ") + html(op_text(out))));
  if (opt.show.value) label += row("value", num(g.value(out)));
  std::string klass = "group " + css_token(un.kind);
  std::string color = look::neutral;
  double width = 1.2;
  if (opt.show.gradient) {
    if (!grads)
      label += row("grad", small("<I>no gradient yet</I>"));
    else if (!g.reached(out))
      label += row("grad", small("<I>not reached</I>"));
    else
      label += row("grad", "<B>" + num(g.grad(out)) + "</B>");
  }
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
  if (params > 0)
    label += row(fmt::format("{} param{}", params, params == 1 ? "" : "s"),
                 grads ? small("max |grad| " + num(max_param_grad), look::ink) : std::string());
  if (vanishing_count > 0) {
    label += wide_row(small(fmt::format("\u26a0 {} vanishing", vanishing_count), look::ink),
                      look::vanishing_fill);
    klass += " vanishing";
    color = look::vanishing;
    width = std::max(width, 2.5);
  }
  if (blocked_count > 0) {
    label += wide_row(small(fmt::format("\u2715 {} blocked edge{} inside", blocked_count,
                                        blocked_count == 1 ? "" : "s"),
                            look::blocked));
    klass += " blocked";
  }
  label += "</TABLE>";
  if (highlighted[out]) {
    color = look::highlight, width = 4.0;
    klass += " highlight";
  }
  const std::string tip = fmt::format("{} ({}): {} nodes drawn as one box; its last node {} = {}",
                                      un.name, un.kind, un.size, g.label(out), num(g.value(out)));
  return fmt::format(
      "[id=\"n{}\", class={}, shape=box3d, style=\"filled\", fillcolor=\"{}\", color=\"{}\", "
      "penwidth={}, label=<{}>, tooltip={}]",
      out, dot_string(klass), look::group_fill, color, width, label, dot_string(tip));
}

std::string Drawing::edge_attributes(EdgeId e) const {
  const NodeId u = e.source;
  const std::size_t slot = e.edge - g.first_operand(u);
  const NodeId v = g.operand_at(e.edge);
  const double local = g.local_derivative(u, slot);
  const bool is_blocked = blocked(u, slot);
  const bool is_vanishing = vanishing(u);

  std::vector<std::string> lines;
  if (opt.show.local_derivative)
    lines.push_back((is_vanishing ? "<B>\u26a0</B> \u2202 " : "\u2202 ") + num(local));
  std::string klass, color = look::neutral, style = "solid";
  double width = 1.2;
  std::string tip = fmt::format("d({})/d({}) = {}", g.label(u), g.label(v), num(local));
  if (grads && !g.reached(u)) {
    klass = "unreached";
    color = look::unreached;
    style = "dotted";
  } else if (grads) {
    const double c = g.contribution(u, slot);
    if (opt.show.contribution) lines.push_back(fmt::format("{} {}", back_arrow(), num(c)));
    tip += fmt::format("; passes back {} \u00d7 {} = {} to {}", num(g.grad(u)), num(local), num(c),
                       g.label(v));
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
  if (is_blocked) {
    klass = "blocked";
    color = look::blocked, style = "dashed", width = 2.0;
    lines.push_back("<B>\u2715 blocked</B>");
    tip += "; blocked: a local derivative of 0 passes no gradient";
  }
  if (is_vanishing) {
    klass += " vanishing";
    tip += fmt::format("; vanishing: |local derivative| < {}", num(opt.vanishing_threshold));
  }
  std::string attrs = fmt::format("[id=\"e{}\", class={}, color=\"{}\", penwidth={}, style={}",
                                  e.edge, dot_string(klass), color, width, style);
  if (!lines.empty() && edge_labels) {
    std::string label;
    for (const auto& l : lines) label += (label.empty() ? "" : "<BR/>") + l;
    attrs += fmt::format(", label=<{}>, fontcolor=\"{}\"", label,
                         is_blocked     ? look::blocked
                         : is_vanishing ? look::vanishing
                                        : look::ink);
  }
  return attrs + fmt::format(", tooltip={}]", dot_string(tip));
}

std::string Drawing::bundle_attributes(const EdgeId& first, std::uint32_t count, double max_abs,
                                       std::uint32_t blocked_count) const {
  const NodeId u = first.source;
  const NodeId v = g.operand_at(first.edge);
  std::string klass = "bundle", color = look::neutral, style = "solid";
  double width = 1.2;
  std::string label = fmt::format("{} edges", count);
  if (grads) {
    label += fmt::format("<BR/>max |{}| {}", back_arrow(), num(max_abs));
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
    color = look::blocked, style = "dashed";
    label += "<BR/><B>\u2715 blocked</B>";
  }
  std::string attrs = fmt::format("[id=\"e{}\", class={}, color=\"{}\", penwidth={}, style={}",
                                  first.edge, dot_string(klass), color, width, style);
  if (edge_labels) attrs += fmt::format(", label=<{}>, fontcolor=\"{}\"", label, look::ink);
  const std::string tip =
      fmt::format("{} edges from {} to {} (first: edge {}); largest |gradient passed back| {}",
                  count, g.label(u), g.label(v), first.edge, num(max_abs));
  return attrs + fmt::format(", tooltip={}]", dot_string(tip));
}

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
      grads ? fmt::format("after backward: gradients of {}", html(g.label(g.gradient_root())))
            : std::string("after forward: no gradients yet");
  const std::string head = opt.title.empty() ? "" : "<B>" + html(opt.title) + "</B>   ";
  t += line(head + small(state, look::ink));
  for (const auto& note : notes) t += line(small(html(note)));
  if (opt.legend) {
    const auto swatch = [](const char* fill, std::string_view text, const char* border) {
      return fmt::format("<TD BGCOLOR=\"{}\" BORDER=\"1\" COLOR=\"{}\">{}</TD>", fill, border,
                         small(text, look::ink));
    };
    std::string kinds = "<TD>" + small("nodes") + "</TD>" +
                        swatch(look::input_fill, "input", "#9ca3af") +
                        swatch(look::parameter_fill, "parameter", "#9ca3af") +
                        swatch(look::constant_fill, "constant", "#9ca3af") +
                        swatch(look::op_fill, "op", "#9ca3af") +
                        swatch(look::activation_fill, "activation", "#9ca3af") +
                        swatch(look::group_fill, "collapsed group", "#9ca3af");
    if (!opt.highlight.empty()) kinds += swatch(look::op_fill, "highlighted", look::highlight);
    t += strip(kinds);
    std::string scale = "<TD>" + small("|gradient|") + "</TD>";
    for (const auto& h : look::heat)
      scale +=
          fmt::format("<TD><FONT COLOR=\"{}\" POINT-SIZE=\"{}\">\u2501\u2501</FONT> {}</TD>",
                      h.color, static_cast<int>(8 + 2 * h.width), small(html(h.range), look::ink));
    scale += fmt::format("<TD><FONT COLOR=\"{}\">\u2501\u2501</FONT> {}</TD>", look::zero,
                         small("0", look::ink));
    scale += fmt::format("<TD><FONT COLOR=\"{}\">\u2504\u2504</FONT> {}</TD>", look::unreached,
                         small("not reached", look::ink));
    t += strip(scale);
    t += line(small(fmt::format("node border: the gradient reaching the node; arrow: the gradient "
                                "it passes back.   on edges: \u2202 local derivative "
                                "d(consumer)/d(operand);  {} gradient passed back = grad "
                                "\u00d7 \u2202",
                                back_arrow()),
                    look::ink));
    t += line(fmt::format(
        "<FONT COLOR=\"{}\" POINT-SIZE=\"9\"><B>- - \u2715 blocked</B></FONT>{}   "
        "<FONT COLOR=\"{}\" POINT-SIZE=\"9\"><B>\u26a0 vanishing</B></FONT>{}",
        look::blocked, small(": local derivative exactly 0, no gradient passes", look::ink),
        look::vanishing,
        small(fmt::format(": sigmoid or tanh with |local derivative| &lt; {}",
                          num(opt.vanishing_threshold)),
              look::ink)));
  }
  return t + "</TABLE>";
}

// Graph attributes, defaults, and the clusters of the graph's groups listing their drawn nodes.
void Drawing::preamble(std::ostream& out, const std::vector<std::pair<NodeId, int>>& drawn) const {
  out << "// gradflow: edges are written consumer -> operand (the way gradients travel);\n"
         "// dir=back draws arrows the way values flow, and the rank direction is mirrored.\n";
  out << fmt::format(
      "graph [rankdir={}, fontname=\"{}\", fontsize=11, nodesep=0.25, ranksep=0.45, "
      "newrank=true, remincross=false, bgcolor=\"white\", labelloc=b, labeljust=l, label=<{}>];\n",
      opt.rankdir == RankDir::LR ? "RL" : "BT", look::font, legend());
  out << fmt::format(
      "node [shape=box, style=\"rounded,filled\", fontname=\"{}\", fontsize=11, "
      "fontcolor=\"{}\", margin=\"0.08,0.04\"];\n",
      look::font, look::ink);
  out << fmt::format(
      "edge [dir=back, arrowtail=normal, arrowsize=0.7, fontname=\"{}\", fontsize=9];\n",
      look::font);
  if (!opt.clusters) return;

  std::vector<std::vector<NodeId>> members(units.size());
  for (const auto& [rep, box] : drawn) {
    const int cluster = box >= 0 ? units[static_cast<std::size_t>(box)].parent : owner[rep];
    if (cluster >= 0) members[static_cast<std::size_t>(cluster)].push_back(rep);
  }
  std::vector<std::vector<int>> children(units.size());
  std::vector<int> roots;
  for (std::size_t k = 0; k < units.size(); ++k) {
    if (hidden[k] || units[k].size == 0) continue;
    (units[k].parent < 0 ? roots : children[static_cast<std::size_t>(units[k].parent)])
        .push_back(static_cast<int>(k));
  }
  // Depth-first over the units, with an explicit stack of open clusters.
  std::vector<std::pair<int, std::size_t>> open;  // unit, next child to write
  const auto indent = [&] { return std::string(2 * open.size(), ' '); };
  const auto open_cluster = [&](int k) {
    const Unit& u = units[static_cast<std::size_t>(k)];
    const int first = u.groups.front();
    out << indent()
        << fmt::format(
               "subgraph cluster_g{} {{ id=\"g{}\"; class={}; label=<<B>{}</B> {}>; "
               "style=\"rounded,dashed\"; color=\"{}\"; fontcolor=\"{}\"; labeljust=l;\n",
               first, first, dot_string("cluster " + css_token(u.kind)),
               html(u.name.empty() ? "(unnamed)" : u.name), small(html(u.kind)),
               open.empty() ? "#7c3aed" : "#a78bfa", look::ink);
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

// =============================================================================================
// Property writers for boost::write_graphviz.

struct GraphWriter {
  const Drawing* d;
  const std::vector<std::pair<NodeId, int>>* drawn;
  void operator()(std::ostream& out) const {
    std::ostringstream text;
    d->preamble(text, *drawn);
    out << ascii(text.str());
  }
};

struct NodeWriter {
  const Drawing* d;
  void operator()(std::ostream& out, NodeId v) const { out << ascii(d->node_attributes(v)); }
};

struct EdgeWriter {
  const Drawing* d;
  void operator()(std::ostream& out, const EdgeId& e) const { out << ascii(d->edge_attributes(e)); }
};

// The drawing with collapsed groups: one vertex per drawn node or box, one edge per edge that
// crosses a box's border, parallel crossings into or out of a box bundled into one.
struct DrawnVertex {
  NodeId rep = 0;  // the node, or the box's last node: its DOT name and id="n<rep>"
  int box = -1;    // the collapsed group, or -1
};
struct DrawnEdge {
  EdgeId first;
  std::uint32_t count = 0;
  double max_abs = 0.0;
  std::uint32_t blocked = 0;
};
using Contracted =
    boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, DrawnVertex, DrawnEdge>;

struct BoxWriter {
  const Drawing* d;
  const Contracted* c;
  void operator()(std::ostream& out, Contracted::vertex_descriptor v) const {
    const DrawnVertex& dv = (*c)[v];
    out << ascii(dv.box >= 0 ? d->box_attributes(dv.box) : d->node_attributes(dv.rep));
  }
};

struct BundleWriter {
  const Drawing* d;
  const Contracted* c;
  void operator()(std::ostream& out, Contracted::edge_descriptor e) const {
    const DrawnEdge& de = (*c)[e];
    out << ascii(de.count == 1 ? d->edge_attributes(de.first)
                               : d->bundle_attributes(de.first, de.count, de.max_abs, de.blocked));
  }
};

Contracted contract(const Drawing& d, std::vector<std::pair<NodeId, int>>& drawn) {
  const Graph& g = d.g;
  Contracted c;
  std::vector<Contracted::vertex_descriptor> vertex_of(g.size());
  std::vector<Contracted::vertex_descriptor> box_vertex(d.units.size());
  for (NodeId id = 0; id < g.size(); ++id) {
    const int box = d.absorbed[id];
    if (box < 0) {
      vertex_of[id] = add_vertex(DrawnVertex{id, -1}, c);
      drawn.emplace_back(id, -1);
    } else if (id == d.units[static_cast<std::size_t>(box)].last) {
      box_vertex[box] = add_vertex(DrawnVertex{id, box}, c);
      drawn.emplace_back(id, box);
    }
  }
  for (NodeId id = 0; id < g.size(); ++id)
    if (d.absorbed[id] >= 0) vertex_of[id] = box_vertex[d.absorbed[id]];

  std::map<std::pair<std::size_t, std::size_t>, Contracted::edge_descriptor> bundles;
  for (auto [it, end] = edges(g); it != end; ++it) {
    const EdgeId e = *it;
    const NodeId s = source(e, g), t = target(e, g);
    const auto cs = vertex_of[s], ct = vertex_of[t];
    if (cs == ct) continue;  // inside one box
    const std::size_t slot = e.edge - g.first_operand(s);
    const double c_abs = d.reached(s) ? std::abs(g.contribution(s, slot)) : 0.0;
    const bool is_blocked = d.blocked(s, slot);
    if (d.absorbed[s] < 0 && d.absorbed[t] < 0) {  // x * x keeps its two edges
      add_edge(cs, ct, DrawnEdge{e, 1, c_abs, is_blocked ? 1u : 0u}, c);
      continue;
    }
    const auto [pos, fresh] = bundles.try_emplace({cs, ct});
    if (fresh) {
      pos->second = add_edge(cs, ct, DrawnEdge{e, 0, 0.0, 0}, c).first;
    }
    DrawnEdge& de = c[pos->second];
    ++de.count;
    de.max_abs = std::max(de.max_abs, c_abs);
    if (is_blocked) ++de.blocked;
  }
  return c;
}

}  // namespace

// =============================================================================================

void write_dot(std::ostream& out, const Graph& g, const DotOptions& options) {
  const Drawing d(g, options);
  std::vector<std::pair<NodeId, int>> drawn;  // (node, box or -1) in drawing order
  if (d.drawn_nodes == g.size()) {
    drawn.reserve(g.size());
    for (NodeId id = 0; id < g.size(); ++id) drawn.emplace_back(id, -1);
    boost::write_graphviz(out, g, NodeWriter{&d}, EdgeWriter{&d}, GraphWriter{&d, &drawn});
  } else {
    const Contracted c = contract(d, drawn);
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
  std::ofstream file(path, std::ios::binary);
  if (!file)
    throw Error(fmt::format("gradflow: cannot open '{}' to write the graph: {}", path,
                            std::strerror(errno)));
  write_dot(file, g, options);
  file.close();
  if (!file) throw Error(fmt::format("gradflow: writing the graph to '{}' failed", path));
}

}  // namespace gradflow
