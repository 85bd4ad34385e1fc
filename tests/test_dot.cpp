// Graphviz dumps: the DOT text carries the numbers and marks it should, hostile names cannot
// break it, and the real `dot` accepts every dump without a single warning.
//
// Reference numbers are computed here independently of gradflow (std::exp, by hand) and
// formatted as the dump formats them: DotOptions::digits significant digits, "{:.4g}".
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <gradflow/graph/graph.hpp>
#include <gradflow/ops/errors.hpp>
#include <gradflow/views/dot.hpp>
#include <gradflow/views/render.hpp>

namespace gf = gradflow;
namespace fs = std::filesystem;

namespace {

// The dump writes every non-ASCII character as a character reference.
constexpr std::string_view kPartial = "&#8706; ";  // ∂, before a local derivative
constexpr std::string_view kBack = "&#8592; ";     // ←, before a contribution (RankDir::LR)

std::string num(double v, int digits = 4) { return fmt::format("{:.{}g}", v, digits); }

std::size_t count(std::string_view text, std::string_view what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string_view::npos; pos = text.find(what, pos + 1))
    ++n;
  return n;
}

// The one statement (one line) carrying `key`, e.g. [id="n5" or [id="e3".
std::string statement(const std::string& dot, const std::string& key) {
  const auto pos = dot.find(key);
  REQUIRE_MESSAGE(pos != std::string::npos, "no statement with " << key);
  REQUIRE_MESSAGE(dot.find(key, pos + 1) == std::string::npos, "two statements with " << key);
  const auto begin = dot.rfind('\n', pos) + 1;
  return dot.substr(begin, dot.find('\n', pos) - begin);
}
std::string node_stmt(const std::string& dot, gf::NodeId id) {
  return statement(dot, fmt::format("[id=\"n{}\"", id));
}
std::string node_stmt(const std::string& dot, const gf::Node& n) { return node_stmt(dot, n.id()); }
// The edge from `consumer` to its operand `slot`.
std::string edge_stmt(const std::string& dot, const gf::Node& consumer, std::size_t slot) {
  const auto edge = consumer.graph().first_operand(consumer.id()) + slot;
  return statement(dot, fmt::format("[id=\"e{}\"", edge));
}
// Every edge statement, one per line (the legend also shows the symbols edges use).
std::string edge_lines(const std::string& dot) {
  std::istringstream in(dot);
  std::string out;
  for (std::string line; std::getline(in, line);)
    if (line.find("[id=\"e") != std::string::npos) out += line + "\n";
  return out;
}
bool has(std::string_view text, std::string_view what) {
  return text.find(what) != std::string_view::npos;
}
std::string klass(const std::string& stmt) {
  const auto pos = stmt.find("class=\"");
  REQUIRE(pos != std::string::npos);
  return stmt.substr(pos + 7, stmt.find('"', pos + 7) - pos - 7);
}

fs::path scratch_dir() {
  const fs::path dir = fs::path(GRADFLOW_BINARY_DIR) / "test_dot";
  fs::create_directories(dir);
  return dir;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct DotRun {
  int status;
  std::string errors;
  std::string svg;
};

// Runs the real `dot -Tsvg` on `dot_text`; the paths are plain ASCII under the build directory.
DotRun run_dot(const std::string& dot_text, const std::string& name) {
  REQUIRE_MESSAGE(gf::dot_available(), "Graphviz's dot is needed (the set-up installs graphviz)");
  const fs::path dir = scratch_dir();
  const fs::path in = dir / (name + ".dot"), out = dir / (name + ".svg"),
                 err = dir / (name + ".err");
  {
    std::ofstream f(in, std::ios::binary);
    f << dot_text;
  }
  const std::string cmd =
      fmt::format("dot -Tsvg '{}' -o '{}' 2> '{}'", in.string(), out.string(), err.string());
  const int status = std::system(cmd.c_str());
  return {status, read(err), read(out)};
}

void check_dot_accepts(const std::string& dot_text, const std::string& name) {
  const DotRun r = run_dot(dot_text, name);
  CHECK_MESSAGE(r.status == 0, "dot failed on " << name);
  CHECK_MESSAGE(r.errors.empty(), "dot complained about " << name << ": " << r.errors);
  CHECK(has(r.svg, "</svg>"));
}

// The tutorial's neuron: y = f(w1x1 + w2x2 + w3x3 + b), x = (1, 2, 3), w = (0.5, -0.25, 0.2).
struct NeuronGraph {
  gf::Graph g;
  std::vector<gf::Node> x, w, products;
  gf::Node z, b, zb, y;

  NeuronGraph(gf::Op f, double bias_value) {
    const double xs[] = {1, 2, 3}, ws[] = {0.5, -0.25, 0.2};
    for (int i = 0; i < 3; ++i) x.push_back(g.input(fmt::format("x{}", i + 1), xs[i]));
    gf::GroupScope neuron(g, "neuron", "neuron");
    for (int i = 0; i < 3; ++i) {
      w.push_back(g.parameter(fmt::format("w{}", i + 1), ws[i]));
      products.push_back((w.back() * x[static_cast<std::size_t>(i)]).named(fmt::format("p{}", i)));
    }
    z = gf::sum(products).named("z");
    b = g.parameter("b", bias_value);
    zb = gf::bias(z, b).named("z+b");
    y = g.apply(f, {zb}).named("y");
  }
};

}  // namespace

TEST_CASE("dot: the sigmoid neuron's labels carry values, local derivatives, contributions") {
  NeuronGraph n(gf::Op::sigmoid, -0.4);
  n.g.backward(n.y);
  const std::string dot = gf::to_dot(n.g);

  // By hand: z = 0.5 - 0.5 + 0.6 = 0.6, z + b = 0.2, y = 1 / (1 + e^-0.2), dy/d(z+b) = y(1 - y).
  const double s = 1.0 / (1.0 + std::exp(-0.2)), ds = s * (1.0 - s);
  REQUIRE(num(s) == "0.5498");
  REQUIRE(num(ds) == "0.2475");

  const std::string y = node_stmt(dot, n.y);
  CHECK(has(y, "<B>y</B>"));
  CHECK(has(y, "sigmoid"));
  CHECK(has(y, num(s)));
  CHECK(has(y, "grad (root)"));
  CHECK(has(klass(y), "root"));
  CHECK(has(node_stmt(dot, n.zb), num(0.2)));
  CHECK(has(node_stmt(dot, n.z), num(0.6)));

  // y -> z+b: local derivative sigmoid' = y(1 - y), contribution 1 * y(1 - y).
  const std::string top = edge_stmt(dot, n.y, 0);
  CHECK(has(top, std::string(kPartial) + num(ds)));
  CHECK(has(top, std::string(kBack) + num(ds)));
  CHECK(klass(top) == "flow");
  // p_i = w_i * x_i: d p_i / d w_i = x_i, and w_i receives ds * x_i; d p_i / d x_i = w_i.
  const double xs[] = {1, 2, 3}, ws[] = {0.5, -0.25, 0.2};
  for (std::size_t i = 0; i < 3; ++i) {
    const std::string to_w = edge_stmt(dot, n.products[i], 0);
    CHECK(has(to_w, std::string(kPartial) + num(xs[i])));
    CHECK(has(to_w, std::string(kBack) + num(ds * xs[i])));
    const std::string to_x = edge_stmt(dot, n.products[i], 1);
    CHECK(has(to_x, std::string(kPartial) + num(ws[i])));
    CHECK(has(to_x, std::string(kBack) + num(ds * ws[i])));
    CHECK(has(node_stmt(dot, n.w[i]), "<B>" + num(ds * xs[i]) + "</B>"));
  }
  CHECK(num(ds * 3) == "0.7425");
  CHECK(has(node_stmt(dot, n.b), "<B>" + num(ds) + "</B>"));
  CHECK(has(dot, "after backward: gradients of y"));
  check_dot_accepts(dot, "neuron_sigmoid");
}

TEST_CASE("dot: every node and edge carries its stable id") {
  NeuronGraph n(gf::Op::tanh, -0.4);
  const std::string dot = gf::to_dot(n.g);
  CHECK(count(dot, "[id=\"n") == n.g.size());
  CHECK(count(dot, "[id=\"e") == n.g.edge_count());
  for (gf::NodeId id = 0; id < n.g.size(); ++id) {
    // DOT names nodes by id; the statement "5 [id="n5", ..." starts its line.
    CHECK(node_stmt(dot, id).rfind(fmt::format("{}[id=\"n{}\"", id, id), 0) == 0);
  }
  // An edge is written consumer -> operand, and its id is its index in the operand array.
  for (std::size_t k = 0; k < 3; ++k) {
    const auto e = edge_stmt(dot, n.z, k);
    CHECK(e.rfind(fmt::format("{}->{} ", n.z.id(), n.products[k].id()), 0) == 0);
  }
}

TEST_CASE("dot: before backward, after forward, after backward") {
  gf::Graph g;
  const auto x = g.input("x", 3.0);
  const auto w = g.parameter("w", -2.0);
  const auto p = (w * x).named("p");
  const auto y = tanh(p).named("y");
  const auto other = (x * 4.0).named("other");  // not on the path to y

  SUBCASE("before any backward: values and local derivatives, no gradient numbers") {
    const std::string dot = gf::to_dot(g);
    for (gf::NodeId id = 0; id < g.size(); ++id) {
      const std::string s = node_stmt(dot, id);
      CHECK(has(s, "no gradient yet"));
      CHECK(has(s, ">&#8711; grad<"));  // ∇: the row is there, with no number in it
      CHECK_FALSE(has(s, "<B>0</B>"));
    }
    CHECK(has(node_stmt(dot, p), num(-6.0)));
    CHECK(has(edge_stmt(dot, p, 0), std::string(kPartial) + num(3.0)));   // d(wx)/dw = x
    CHECK(has(edge_stmt(dot, p, 1), std::string(kPartial) + num(-2.0)));  // d(wx)/dx = w
    CHECK_FALSE(has(edge_lines(dot), kBack));
    CHECK(count(edge_lines(dot), "\n") == g.edge_count());
    CHECK(klass(edge_stmt(dot, p, 0)) == "pending");
    CHECK(has(dot, "no gradients yet"));
    check_dot_accepts(dot, "before_backward");
  }
  SUBCASE("after an input changed: the dump re-evaluates, still no gradients") {
    x.set(0.5);
    const std::string dot = gf::to_dot(g);
    CHECK(has(node_stmt(dot, p), num(-1.0)));
    CHECK(has(node_stmt(dot, y), num(std::tanh(-1.0))));
    CHECK(has(node_stmt(dot, y), "no gradient yet"));
  }
  SUBCASE("after backward: gradients, and unreached nodes say so") {
    g.backward(y);
    const std::string dot = gf::to_dot(g);
    const double t = std::tanh(-6.0), dt = 1.0 - t * t;
    CHECK(has(edge_stmt(dot, y, 0), std::string(kPartial) + num(dt)));
    CHECK(has(node_stmt(dot, w), "<B>" + num(dt * 3.0) + "</B>"));
    CHECK(has(node_stmt(dot, x), "<B>" + num(dt * -2.0) + "</B>"));
    const std::string o = node_stmt(dot, other);
    CHECK(has(o, "not reached"));
    CHECK(has(klass(o), "unreached"));
    CHECK_FALSE(has(o, "no gradient yet"));
    CHECK(klass(edge_stmt(dot, other, 0)) == "unreached");
    CHECK_FALSE(has(edge_stmt(dot, other, 0), kBack));
    CHECK_FALSE(has(dot, "no gradient yet"));
    check_dot_accepts(dot, "after_backward");
  }
  SUBCASE("after zero_grad: back to no gradients") {
    g.backward(y);
    g.zero_grad();
    CHECK(has(node_stmt(gf::to_dot(g), w), "no gradient yet"));
  }
}

TEST_CASE("dot: blocked edges are marked where the local derivative is 0, and only there") {
  SUBCASE("step neuron: the step's edge is blocked; every gradient below it is 0") {
    NeuronGraph n(gf::Op::step, -0.4);
    n.g.backward(n.y);
    const std::string dot = gf::to_dot(n.g);
    const std::string top = edge_stmt(dot, n.y, 0);
    CHECK(klass(top) == "blocked");
    CHECK(has(top, "blocked</B>"));
    CHECK(has(top, std::string(kPartial) + "0"));
    CHECK(has(top, "style=dashed"));
    CHECK(count(dot, "class=\"blocked\"") == 1);
    // Below the step the edges pass 0: drawn as zero flow, not as blocked.
    CHECK(klass(edge_stmt(dot, n.zb, 0)) == "zero");
    CHECK(has(node_stmt(dot, n.w[0]), "<B>0</B>"));
    check_dot_accepts(dot, "step_neuron");
  }
  SUBCASE("relu below 0 blocks; relu above 0 does not") {
    NeuronGraph dead(gf::Op::relu, -1.0);  // z + b = -0.4
    dead.g.backward(dead.y);
    CHECK(klass(edge_stmt(gf::to_dot(dead.g), dead.y, 0)) == "blocked");
    NeuronGraph live(gf::Op::relu, -0.4);  // z + b = 0.2
    live.g.backward(live.y);
    const std::string dot = gf::to_dot(live.g);
    CHECK(count(dot, "class=\"blocked\"") == 0);
    CHECK(has(edge_stmt(dot, live.y, 0), std::string(kBack) + "1"));
  }
  SUBCASE("before backward a zero local derivative is already marked") {
    NeuronGraph n(gf::Op::step, -0.4);
    CHECK(klass(edge_stmt(gf::to_dot(n.g), n.y, 0)) == "blocked");
  }
}

TEST_CASE("dot: saturated sigmoid and tanh are marked, and only they, but exactly 0 is blocked") {
  gf::Graph g;
  const auto a = g.input("a", 10.0), c = g.input("c", 0.2), d = g.input("d", 5.0),
             h = g.input("h", 1000.0), f = g.input("f", 4.0);
  const auto s_sat = sigmoid(a).named("s_sat");    // s'(10) = 4.54e-5
  const auto s_ok = sigmoid(c).named("s_ok");      // s'(0.2) = 0.2475
  const auto t_sat = tanh(d).named("t_sat");       // 1 - tanh(5)^2 = 1.82e-4
  const auto s_5 = sigmoid(d).named("s_5");        // s'(5) = 6.65e-3 < 0.01: saturated
  const auto s_4 = sigmoid(f).named("s_4");        // s'(4) = 1.77e-2 > 0.01: not
  const auto s_flat = sigmoid(h).named("s_flat");  // s'(1000) = e^-1000 = 0: blocked
  const auto r = relu(a).named("r");
  const auto y = gf::sum({s_sat, s_ok, t_sat, s_5, s_4, s_flat, r});
  g.backward(y);
  const double e = std::exp(-10.0), s10 = 1.0 / (1.0 + e), th = std::tanh(5.0);
  const double s5 = 1.0 / (1.0 + std::exp(-5.0)), s4 = 1.0 / (1.0 + std::exp(-4.0));
  REQUIRE(s5 * (1 - s5) < gf::saturation_threshold);
  REQUIRE(s4 * (1 - s4) > gf::saturation_threshold);
  const std::string dot = gf::to_dot(g);
  for (const auto& n : {s_sat, t_sat, s_5}) {
    CAPTURE(n.name());
    CHECK(has(klass(node_stmt(dot, n)), "saturated"));
    CHECK(has(klass(edge_stmt(dot, n, 0)), "saturated"));
  }
  for (const auto& n : {s_ok, s_4, s_flat, r}) {
    CAPTURE(n.name());
    CHECK_FALSE(has(klass(node_stmt(dot, n)), "saturated"));
    CHECK_FALSE(has(klass(edge_stmt(dot, n, 0)), "saturated"));
    CHECK_FALSE(has(node_stmt(dot, n), "&#9888;"));
  }
  CHECK(klass(edge_stmt(dot, s_flat, 0)) == "blocked");  // exactly 0: blocked, not saturated
  // The mark's row: "⚠ saturated: σ′ = ..." with the local derivative.
  CHECK(has(node_stmt(dot, s_sat), "&#9888; saturated: &#963;&#8242; = " + num(s10 * (1 - s10))));
  CHECK(has(node_stmt(dot, t_sat), "&#9888; saturated: tanh&#8242; = " + num(1 - th * th)));
  CHECK(has(node_stmt(dot, s_5), "&#9888; saturated: &#963;&#8242; = " + num(s5 * (1 - s5))));
  // Their edges pass less than 1% of what arrived, not 0: vanishing, faint and dotted, "≈0".
  for (const auto& n : {s_sat, t_sat, s_5}) {
    const std::string es = edge_stmt(dot, n, 0);
    CHECK(has(klass(es), "vanishing"));
    CHECK(has(es, "style=dotted"));
    CHECK(has(es, "&#8776;0"));
  }
  for (const auto& n : {s_ok, s_4, s_flat, r})
    CHECK_FALSE(has(klass(edge_stmt(dot, n, 0)), "vanishing"));
  // The legend names the two marks apart.
  CHECK(has(dot,
            "&#9888; saturated</B></FONT><FONT POINT-SIZE=\"9\" COLOR=\"#1f2937\">: local "
            "derivative below 0.01 (sigmoid, tanh)"));
  CHECK(has(dot,
            "&#10005; blocked</B></FONT><FONT POINT-SIZE=\"9\" COLOR=\"#1f2937\">: local "
            "derivative exactly 0"));
  CHECK(has(dot,
            "&#8776;0 vanishing</B></FONT><FONT POINT-SIZE=\"9\" COLOR=\"#1f2937\">: an edge "
            "passing less than 1% of what arrived (not 0)"));
  check_dot_accepts(dot, "saturated");
}

TEST_CASE("dot: every activation has its own colour, and the legend shows the ones drawn") {
  gf::Graph g;
  const auto x = g.input("x", 0.3);
  std::vector<gf::Node> acts;
  std::vector<std::string> fills;
  for (std::size_t k = 0; k < gf::op_count; ++k) {
    const auto op = static_cast<gf::Op>(k);
    if (!gf::info(op).activation) continue;
    acts.push_back(g.apply(op, {x}));
  }
  REQUIRE(acts.size() == 7);
  const std::string dot = gf::to_dot(g);
  for (const auto& a : acts) {
    const std::string stmt = node_stmt(dot, a);
    CHECK(has(klass(stmt), "activation"));
    const auto pos = stmt.find("fillcolor=\"");
    fills.push_back(stmt.substr(pos + 11, 7));
    CHECK(has(dot, fmt::format("BGCOLOR=\"{}\"", fills.back())));  // its legend swatch
  }
  std::sort(fills.begin(), fills.end());
  CHECK(std::unique(fills.begin(), fills.end()) == fills.end());
  // A graph without activations lists none in its legend.
  gf::Graph plain;
  const auto p = plain.input("p", 1.0) * 2.0;
  (void)p;
  CHECK(has(dot, ">sigmoid</FONT></TD>"));  // a legend swatch
  CHECK_FALSE(has(gf::to_dot(plain), ">sigmoid</FONT></TD>"));
}

TEST_CASE("dot: hostile names are escaped, and dot accepts them without a warning") {
  const std::vector<std::string> names = {
      "a\"b",
      "back\\slash\\",
      "<tag>&amp;",
      "{x}|y",
      "line\nbreak\ttab",
      "\xcf\x83-na\xc3\xafve",
      "\xff\xfe bad",
      "cut \xe2\x82",
      "\xf0\x9f\x98\x80",
      "\x01\x1b[31m",
      "]; node [shape=none",
      "-- -> // /*",
      "&#0; &#xD800;",
      "\xef\xbf\xbe",
      "'single'",
      "%s %n {}",
      "",
  };
  gf::Graph g;
  std::vector<gf::Node> leaves;
  {
    gf::GroupScope hostile(g, "grp \"<{|}>\" \\ \xcf\x83", "ki\"nd<>");
    for (const auto& nm : names) leaves.push_back(g.input(nm, 1.5));
    gf::GroupScope inner(g, "\xff inner \n", "");
    leaves.push_back(g.parameter("\\N \\G \\E \\L", -2.0));
  }
  const auto y = sigmoid(gf::sum(leaves)).named("y \"out\" \\");
  const auto big = exp(g.input("huge", 1000.0));  // inf
  const auto nan = (big * 0.0).named("nan?");     // inf * 0 = NaN
  g.backward(y);
  gf::DotOptions o;
  o.title = "title \"quoted\" <b> & \\ \xcf\x83";
  o.highlight = {leaves[0].id(), nan.id()};
  o.show.ids = true;
  const std::string dot = gf::to_dot(g, o);

  CHECK_MESSAGE(std::all_of(dot.begin(), dot.end(),
                            [](char ch) { return static_cast<unsigned char>(ch) < 0x80; }),
                "the dump is pure ASCII");
  CHECK(has(node_stmt(dot, big), "inf"));
  CHECK(has(node_stmt(dot, nan), "nan"));
  const DotRun r = run_dot(dot, "hostile");
  CHECK(r.status == 0);
  CHECK_MESSAGE(r.errors.empty(), r.errors);
  // The names arrive intact in the picture (the SVG escapes <, >, &, " and -).
  CHECK(has(r.svg, "\xcf\x83&#45;na\xc3\xafve"));
  CHECK(has(r.svg, "a&quot;b"));
  CHECK(has(r.svg, "back\\slash\\"));
  CHECK(has(r.svg, "&lt;tag&gt;&amp;amp;"));
  CHECK(has(r.svg, "{x}|y"));
  CHECK(has(r.svg, "line\\nbreak\\ttab"));  // control characters shown as C escapes
  CHECK(has(r.svg, "\xef\xbf\xbd bad"));    // malformed UTF-8 becomes U+FFFD
  CHECK(has(r.svg, "\xf0\x9f\x98\x80"));
  CHECK(has(r.svg, "]; node [shape=none"));
  CHECK(has(r.svg, "&amp;#0; &amp;#xD800;"));
  CHECK(has(r.svg, ">\\N \\G \\E \\L<"));
  CHECK(has(r.svg, "y &quot;out&quot; \\"));
  // Tooltips go through a different escaping (a quoted string); they arrive intact too.
  CHECK(has(r.svg, "xlink:title=\"a&quot;b (input) = 1.5"));
  CHECK(has(r.svg, "xlink:title=\"\\N \\G \\E \\L (parameter) = &#45;2"));
  // Graphviz reads the ids back: every node and edge of the graph is in the SVG under its id.
  for (gf::NodeId id = 0; id < g.size(); ++id)
    CHECK(has(r.svg, fmt::format("<g id=\"n{}\" class=\"node", id)));
  for (std::size_t e = 0; e < g.edge_count(); ++e)
    CHECK(has(r.svg, fmt::format("<g id=\"e{}\" class=\"edge", e)));
  CHECK(has(r.svg, "class=\"node input highlight\""));
}

TEST_CASE("dot: groups become nested clusters listing their nodes") {
  gf::Graph g;
  const auto x = g.input("x", 0.5);
  gf::Node h, params_b;
  {
    gf::GroupScope layer(g, "L1", "layer");
    {
      gf::GroupScope neuron(g, "L1.n1", "neuron");
      params_b = g.parameter("b", 0.1);
    }
    {  // the same neuron recorded again (a module's call): one cluster with both parts
      gf::GroupScope neuron(g, "L1.n1", "neuron");
      h = tanh(bias(x * 2.0, params_b)).named("h");
    }
  }
  const auto y = (h * h).named("y");
  g.backward(y);

  SUBCASE("clusters on") {
    const std::string dot = gf::to_dot(g);
    CHECK(count(dot, "subgraph cluster_") == 2);
    const auto outer = dot.find("subgraph cluster_g0 {");
    const auto inner = dot.find("subgraph cluster_g1 {");
    REQUIRE(outer != std::string::npos);
    REQUIRE(inner != std::string::npos);
    CHECK(outer < inner);
    CHECK(has(dot, "class=\"cluster layer\""));
    CHECK(has(dot, "class=\"cluster neuron\""));
    CHECK(has(dot, "label=<<B>L1.n1</B>"));
    // The inner cluster's member list holds the parameter and h, not x or y.
    const auto members_begin = dot.find('\n', inner) + 1;
    const std::string members =
        dot.substr(members_begin, dot.find('\n', members_begin) - members_begin);
    CHECK(has(members, fmt::format(" {}; ", params_b.id())));
    CHECK(has(members, fmt::format(" {}; ", h.id())));
    CHECK_FALSE(has(" " + members, fmt::format(" {}; ", x.id())));
    CHECK_FALSE(has(" " + members, fmt::format(" {}; ", y.id())));
    check_dot_accepts(dot, "clusters");
  }
  SUBCASE("clusters off") {
    gf::DotOptions o;
    o.clusters = false;
    CHECK_FALSE(has(gf::to_dot(g, o), "subgraph"));
  }
  SUBCASE("collapsed: the neuron is one box with the id of its last node") {
    gf::DotOptions o;
    o.collapse = {"neuron"};
    const std::string dot = gf::to_dot(g, o);
    const std::string box = node_stmt(dot, h);
    CHECK(has(klass(box), "group neuron"));
    CHECK(has(box, "shape=box3d"));
    CHECK(has(box, "5 nodes"));      // b, and 2.0, mul, bias, tanh
    CHECK_FALSE(has(box, "calls"));  // the first record holds no op: one call
    CHECK(has(box, num(std::tanh(1.1))));
    CHECK(count(dot, "[id=\"n") == 3);  // x, the box, y
    // y = h * h: its two edges to the box are bundled; the box's edge to x is the mul's edge.
    CHECK(count(dot, fmt::format("{}->{} ", y.id(), h.id())) == 1);
    CHECK(has(statement(dot, fmt::format("{}->{} ", y.id(), h.id())), "2 edges"));
    CHECK(count(dot, fmt::format("{}->{} ", h.id(), x.id())) == 1);
    CHECK(count(dot, "subgraph cluster_") == 1);  // the layer, around the box
    check_dot_accepts(dot, "collapsed_neuron");
  }
}

namespace {
// A 2-16-16-1 tanh network with a squared loss, every layer and neuron recorded as a group.
gf::Node mlp(gf::Graph& g, const std::vector<int>& sizes = {16, 16, 1}) {
  std::vector<gf::Node> act = {g.input("x1", 0.5), g.input("x2", -1.2)};
  unsigned state = 7;
  const auto next = [&state] {
    state = state * 1103515245u + 12345u;
    return static_cast<double>((state >> 8) % 2001) / 1000.0 - 1.0;
  };
  const int layers = static_cast<int>(sizes.size());
  for (int l = 0; l < layers; ++l) {
    gf::GroupScope layer(g, fmt::format("L{}", l + 1), "layer");
    std::vector<gf::Node> out;
    for (int j = 0; j < sizes[static_cast<std::size_t>(l)]; ++j) {
      gf::GroupScope neuron(g, fmt::format("L{}.n{}", l + 1, j + 1), "neuron");
      std::vector<gf::Node> products;
      for (const auto& a : act) products.push_back(g.parameter("w", next()) * a);
      const auto zb = bias(gf::sum(products), g.parameter("b", next()));
      out.push_back(l + 1 == layers ? identity(zb) : tanh(zb));
    }
    act = out;
  }
  return pow(act[0] - 1.0, 2).named("loss");
}
}  // namespace

TEST_CASE("dot: the size guard keeps a 2-16-16-1 network readable") {
  gf::Graph g;
  const auto loss = mlp(g);
  g.backward(loss);
  REQUIRE(g.size() > 700);

  SUBCASE("default: neurons drawn as boxes, edge numbers moved to tooltips") {
    const std::string dot = gf::to_dot(g);
    const std::size_t drawn = count(dot, "[id=\"n");
    CHECK(drawn <= gf::DotOptions{}.max_nodes);
    CHECK(count(dot, "class=\"group neuron") == 33);
    CHECK(drawn == 2 + 33 + 3);  // inputs, neurons, and the loss's constant, sub and pow
    CHECK(has(dot, "size guard"));
    CHECK(has(dot, "edge numbers are in tooltips"));
    CHECK(count(dot, "subgraph cluster_") == 3);  // the layers, around their neurons
    check_dot_accepts(dot, "mlp_guarded");
  }
  SUBCASE("bundles: a neuron's 16 crossings to one box of the previous layer are one edge") {
    gf::DotOptions o;
    o.collapse = {"layer"};
    const std::string dot = gf::to_dot(g, o);
    CHECK(count(dot, "[id=\"n") == 2 + 3 + 3);
    CHECK(has(dot, "256 edges"));  // layer 2 -> layer 1
    CHECK(has(dot, "class=\"bundle flow\""));
    check_dot_accepts(dot, "mlp_layers");
  }
  SUBCASE("a max_nodes that even one box per layer exceeds is refused") {
    gf::DotOptions o;
    o.max_nodes = 5;  // 2 inputs + 3 layers + the loss's 3 nodes = 8 at best
    try {
      (void)gf::to_dot(g, o);
      FAIL("should throw");
    } catch (const gf::UsageError& e) {
      CHECK(has(e.what(), fmt::format("{} nodes > DotOptions::max_nodes = 5", g.size())));
      CHECK(has(e.what(), "even with every group drawn as one box (8 nodes and boxes)"));
    }
  }
  SUBCASE("max_nodes = 0 draws every node") {
    gf::DotOptions o;
    o.max_nodes = 0;
    const std::string dot = gf::to_dot(g, o);
    CHECK(count(dot, "[id=\"n") == g.size());
    CHECK(count(dot, "[id=\"e") == g.edge_count());
    CHECK_FALSE(has(dot, "size guard"));
  }
}

namespace {
// Where `dot -Tplain` puts each node: name -> (x, y), y growing upwards.
std::map<std::string, std::pair<double, double>> positions(const std::string& dot_text,
                                                           const std::string& name) {
  REQUIRE(gf::dot_available());
  const fs::path dir = scratch_dir();
  const fs::path in = dir / (name + ".dot"), out = dir / (name + ".plain");
  {
    std::ofstream f(in, std::ios::binary);
    f << dot_text;
  }
  const std::string cmd = fmt::format("dot -Tplain '{}' -o '{}'", in.string(), out.string());
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::map<std::string, std::pair<double, double>> at;
  std::istringstream plain(read(out));
  for (std::string line; std::getline(plain, line);) {
    std::istringstream fields(line);
    std::string kind, node;
    double x = 0, y = 0;
    if (fields >> kind >> node >> x >> y && kind == "node") at[node] = {x, y};
  }
  return at;
}

// The head of a node's label: its bold name.
std::string head(const std::string& stmt) {
  const auto pos = stmt.find("<B>");
  REQUIRE(pos != std::string::npos);
  return stmt.substr(pos + 3, stmt.find("</B>", pos) - pos - 3);
}
}  // namespace

namespace {
// The slide order of an MLP drawn with `options`, from the positions `dot -Tplain` gives: the
// layers as columns left to right (rows top to bottom with RankDir::TB), each strictly beyond the
// one before; the inputs before the first layer, in order, and level with it (between its lowest
// and highest node); the units of a layer, and the products under each neuron's sum, in index
// order down the column (across the row with TB).
void check_slide(const std::vector<int>& sizes, const gf::DotOptions& options) {
  gf::Graph g;
  g.backward(mlp(g, sizes));
  const std::string dot = gf::to_dot(g, options);
  const bool tb = options.rankdir == gf::RankDir::TB;
  const auto at = positions(dot, fmt::format("mlp_slide_{}_{}_{}", g.size(), tb, options.clusters));
  // Along the flow (x, or -y with TB), and down a column (-y, or x with TB: across a row).
  const auto along = [&](gf::NodeId id) {
    const auto& [x, y] = at.at(std::to_string(id));
    return tb ? -y : x;
  };
  const auto down = [&](gf::NodeId id) {
    const auto& [x, y] = at.at(std::to_string(id));
    return tb ? x : -y;
  };
  const auto drawn = [&](gf::NodeId id) { return at.count(std::to_string(id)) > 0; };
  const auto groups = g.groups();
  std::vector<const gf::Group*> layers;
  std::vector<std::vector<const gf::Group*>> units(sizes.size());
  for (const auto& gr : groups) {
    if (gr.kind == "layer") layers.push_back(&gr);
    if (gr.kind == "neuron") units[static_cast<std::size_t>(gr.name[1] - '1')].push_back(&gr);
  }
  REQUIRE(layers.size() == sizes.size());
  // Each layer's extent along the flow and down the column, over its drawn nodes and boxes.
  struct Extent {
    double first = 1e300, last = -1e300, top = 1e300, bottom = -1e300;
  };
  std::vector<Extent> extent(layers.size());
  for (std::size_t l = 0; l < layers.size(); ++l)
    for (gf::NodeId id = layers[l]->begin; id < layers[l]->end; ++id) {
      if (!drawn(id)) continue;
      extent[l].first = std::min(extent[l].first, along(id));
      extent[l].last = std::max(extent[l].last, along(id));
      extent[l].top = std::min(extent[l].top, down(id));
      extent[l].bottom = std::max(extent[l].bottom, down(id));
    }
  // The inputs: before the first layer, x1 before x2, and level with the layer.
  CHECK(down(0) < down(1));
  for (const gf::NodeId x : {0u, 1u}) {
    CAPTURE(x);
    CHECK(along(x) < extent[0].first);
    CHECK(down(x) > extent[0].top);
    CHECK(down(x) < extent[0].bottom);
  }
  for (std::size_t l = 0; l < layers.size(); ++l) {
    CAPTURE(l);
    if (l > 0) CHECK(extent[l].first > extent[l - 1].last);  // strictly beyond the one before
    for (std::size_t j = 0; j < units[l].size(); ++j) {
      CAPTURE(j);
      const gf::NodeId out = units[l][j]->end - 1;  // the unit's output, or its box
      if (j > 0) CHECK(down(units[l][j - 1]->end - 1) < down(out));
      if (!drawn(units[l][j]->begin)) continue;  // collapsed into a box
      std::vector<gf::NodeId> products;
      for (gf::NodeId id = units[l][j]->begin; id < units[l][j]->end; ++id)
        if (g.op(id) == gf::Op::mul) products.push_back(id);
      for (std::size_t k = 1; k < products.size(); ++k)
        CHECK(down(products[k - 1]) < down(products[k]));
    }
  }
}
}  // namespace

TEST_CASE(
    "dot: an MLP reads as a slide: inputs, then layers as columns, units and operands in order") {
  for (const auto& sizes : {std::vector<int>{2, 1}, std::vector<int>{16, 16, 1}}) {
    CAPTURE(sizes.size());
    check_slide(sizes, {});
  }
}

TEST_CASE("dot: an MLP top to bottom keeps the order, in rows") {
  gf::DotOptions o;
  o.rankdir = gf::RankDir::TB;
  for (const auto& sizes : {std::vector<int>{2, 1}, std::vector<int>{16, 16, 1}}) {
    CAPTURE(sizes.size());
    check_slide(sizes, o);
  }
}

TEST_CASE("dot: an MLP without clusters keeps the order") {
  gf::DotOptions o;
  o.clusters = false;
  for (const auto& sizes : {std::vector<int>{2, 1}, std::vector<int>{16, 16, 1}}) {
    CAPTURE(sizes.size());
    check_slide(sizes, o);
    o.rankdir = gf::RankDir::TB;
    check_slide(sizes, o);
    o.rankdir = gf::RankDir::LR;
  }
}

TEST_CASE("dot: an MLP runs left to right, layers in order, units top to bottom, nodes named") {
  for (const auto& sizes : {std::vector<int>{2, 1}, std::vector<int>{16, 16, 1}}) {
    CAPTURE(sizes.size());
    gf::Graph g;
    g.backward(mlp(g, sizes));
    const std::string dot = gf::to_dot(g);
    CHECK(has(dot, "rankdir=RL"));  // mirrored: edges point to operands, so values flow LR
    // Every drawn node is named: no label is a bare "#id".
    std::istringstream lines(dot);
    for (std::string line; std::getline(lines, line);)
      if (has(line, "[id=\"n")) {
        CAPTURE(line.substr(0, 60));
        CHECK(head(line)[0] != '#');
      }
  }
  SUBCASE("unnamed nodes take their group's name and their op") {
    gf::Graph g;
    g.backward(mlp(g, {2, 1}));
    const std::string dot = gf::to_dot(g);
    const auto first = g.groups()[1];  // L1.n1
    REQUIRE(first.name == "L1.n1");
    CHECK(head(node_stmt(dot, first.begin)) == "w");                  // named by the program
    CHECK(head(node_stmt(dot, first.begin + 1)) == "L1.n1 &#215;1");  // ×1
    CHECK(has(dot, "<B>L1.n1 &#931;</B>"));  // Σ, one per neuron: not numbered
    CHECK(has(dot, "<B>L1.n1 +b</B>"));
    CHECK(head(node_stmt(dot, first.end - 1)) == "L1.n1 tanh");
  }
}

TEST_CASE("dot: a graph without groups above max_nodes is refused with the remedies") {
  // A 2,001-node chain once gave a 3.8 MB SVG that took dot 5 s, with only a note in a caption.
  gf::Graph g;
  gf::Node v = g.input("x", 0.5);
  for (int i = 0; i < 2000; ++i) v = v * 1.0001;
  REQUIRE(g.size() > 2000);
  try {
    (void)gf::to_dot(g);
    FAIL("should throw");
  } catch (const gf::UsageError& e) {
    const std::string what = e.what();
    CHECK(has(what, fmt::format("{} nodes > DotOptions::max_nodes = 150", g.size())));
    CHECK(has(what, "no groups"));
    CHECK(has(what, "begin_group"));
    CHECK(has(what, "max_nodes = 0"));
  }
  gf::DotOptions o;
  o.max_nodes = g.size();  // exactly at the limit: drawn
  CHECK(count(gf::to_dot(g, o), "[id=\"n") == g.size());
  o.max_nodes = 0;
  CHECK(count(gf::to_dot(g, o), "[id=\"n") == g.size());
}

TEST_CASE("dot: options") {
  NeuronGraph n(gf::Op::sigmoid, -0.4);
  n.g.backward(n.y);
  const double s = 1.0 / (1.0 + std::exp(-0.2));
  gf::DotOptions o;
  SUBCASE("rank direction: inputs left or on top (mirrored, edges point to operands)") {
    CHECK(has(gf::to_dot(n.g, o), "rankdir=RL"));
    o.rankdir = gf::RankDir::TB;
    const std::string dot = gf::to_dot(n.g, o);
    CHECK(has(dot, "rankdir=BT"));
    CHECK(has(edge_stmt(dot, n.y, 0), "&#8593; "));  // ↑: gradients go up
  }
  SUBCASE("significant digits") {
    o.digits = 2;
    CHECK(has(node_stmt(gf::to_dot(n.g, o), n.y), ">" + num(s, 2) + "<"));
    o.digits = 9;
    CHECK(has(node_stmt(gf::to_dot(n.g, o), n.y), ">" + num(s, 9) + "<"));
    o.digits = 17;
    CHECK(has(node_stmt(gf::to_dot(n.g, o), n.y), ">" + num(s, 17) + "<"));
    o.digits = 1;
    CHECK(has(node_stmt(gf::to_dot(n.g, o), n.y), ">" + num(s, 1) + "<"));
  }
  SUBCASE("digits outside 1..17 are refused, naming the value") {
    for (const int bad : {0, -3, 18, 100}) {
      o.digits = bad;
      CAPTURE(bad);
      try {
        (void)gf::to_dot(n.g, o);
        FAIL("digits outside 1..17 should throw");
      } catch (const gf::UsageError& e) {
        CHECK(has(e.what(), fmt::format("digits = {} is outside 1..17", bad)));
      }
    }
    const std::string path = (scratch_dir() / "refused.dot").string();
    fs::remove(path);
    CHECK_THROWS_AS(gf::write_dot_file(path, n.g, o), gf::UsageError);
    CHECK_FALSE(fs::exists(path));  // no half-written file
  }
  SUBCASE("fields") {
    CHECK(has(node_stmt(gf::to_dot(n.g, o), n.y), "&#963;  sigmoid"));  // σ and the op's name
    o.show.value = false;
    o.show.contribution = false;
    o.show.op = false;
    const std::string dot = gf::to_dot(n.g, o);
    CHECK_FALSE(has(node_stmt(dot, n.y), ">value<"));
    CHECK_FALSE(has(node_stmt(dot, n.y), "&#963;  sigmoid"));
    CHECK(has(node_stmt(dot, n.y), ">&#8711; grad (root)<"));
    CHECK(has(edge_stmt(dot, n.y, 0), kPartial));
    CHECK_FALSE(has(edge_lines(dot), kBack));
    o.show.local_derivative = false;
    o.show.gradient = false;
    const std::string bare = gf::to_dot(n.g, o);
    CHECK_FALSE(has(edge_stmt(bare, n.y, 0), "label="));
    CHECK_FALSE(has(node_stmt(bare, n.y), ">grad"));
  }
  SUBCASE("highlight") {
    o.highlight = {n.w[1].id()};
    const std::string dot = gf::to_dot(n.g, o);
    CHECK(has(klass(node_stmt(dot, n.w[1])), "highlight"));
    CHECK(count(dot, "highlight\"") == 1);
  }
  SUBCASE("no legend, a title") {
    o.legend = false;
    o.title = "my title";
    const std::string dot = gf::to_dot(n.g, o);
    CHECK(has(dot, "<B>my title</B>"));
    CHECK_FALSE(has(dot, "local derivative exactly 0"));
    check_dot_accepts(dot, "options_no_legend");
  }
}

TEST_CASE("dot: files and rendering") {
  NeuronGraph n(gf::Op::relu, -0.4);
  n.g.backward(n.y);
  const fs::path dir = scratch_dir();
  const std::string dot_path = (dir / "render.dot").string();
  gf::write_dot_file(dot_path, n.g);
  CHECK(read(dot_path) == gf::to_dot(n.g));

  REQUIRE(gf::dot_available());
  const std::string svg = (dir / "render.svg").string(), png = (dir / "render.png").string();
  fs::remove(svg);
  fs::remove(png);
  CHECK(gf::render(dot_path, svg));
  CHECK(has(read(svg), "<svg"));
  CHECK(gf::render(dot_path, png));
  CHECK(read(png).rfind("\x89PNG", 0) == 0);

  CHECK_THROWS_AS(gf::render(dot_path, (dir / "render.gif").string()), gf::UsageError);
  const std::string broken = (dir / "broken.dot").string();
  {
    std::ofstream f(broken);
    f << "digraph { a -> ; }\n";
  }
  try {
    gf::render(broken, (dir / "broken.svg").string());
    FAIL("render of a broken DOT file should throw");
  } catch (const gf::Error& e) {
    CHECK(has(e.what(), "syntax error"));  // dot's own message
  }
  CHECK_THROWS_AS(gf::write_dot_file((dir / "no/such/dir/x.dot").string(), n.g), gf::Error);
}

TEST_CASE("render_svg: DOT text in, SVG out, through pipes") {
  REQUIRE(gf::dot_available());
  SUBCASE("a small graph's SVG carries its node labels") {
    const std::string svg = gf::render_svg("digraph { alpha -> beta; beta [label=\"gamma\"]; }");
    CHECK(has(svg, "<svg"));
    CHECK(has(svg, "</svg>"));
    CHECK(has(svg, ">alpha</text>"));
    CHECK(has(svg, ">gamma</text>"));
  }
  SUBCASE("a gradflow dump renders") {
    NeuronGraph n(gf::Op::sigmoid, -0.4);
    n.g.backward(n.y);
    const std::string svg = gf::render_svg(gf::to_dot(n.g));
    CHECK(has(svg, "id=\"n0\""));
    CHECK(has(svg, ">z+b</text>"));
  }
  SUBCASE("another layout engine") {
    CHECK(has(gf::render_svg("graph { a -- b; }", "neato"), "</svg>"));
    CHECK_THROWS_AS(gf::render_svg("graph { a -- b; }", "rm"), gf::UsageError);
  }
  SUBCASE("a syntax error throws Error carrying dot's complaint") {
    try {
      (void)gf::render_svg("digraph { a -> ; }");
      FAIL("render_svg of broken DOT text should throw");
    } catch (const gf::Error& e) {
      CHECK(has(e.what(), "syntax error"));  // dot's own message
      CHECK(has(e.what(), "line 1"));
    }
  }
  SUBCASE("2 MB of DOT text does not deadlock") {
    // A caller that wrote all of stdin before reading stdout, or read stdout to its end before
    // reading stderr, could block on a full pipe while dot blocks on another. 200 nodes with 10 kB
    // comments each (dot limits a quoted string to 16 kB), which dot copies into the SVG: 2 MB each
    // way.
    std::string text = "digraph { ";
    const std::string pad(10'000, 'x');
    for (int i = 0; i < 200; ++i) text += fmt::format("n{} [comment=\"{}\"]; ", i, pad);
    text += "}";
    REQUIRE(text.size() >= 2'000'000);
    const std::string svg = gf::render_svg(text);
    CHECK(has(svg, "</svg>"));
    CHECK(has(svg, "<title>n199</title>"));
    CHECK(svg.size() > 2'000'000);
  }
  SUBCASE("without Graphviz on the PATH the error says what to install") {
    const std::string path = std::getenv("PATH");
    ::setenv("PATH", "/nonexistent", 1);
    std::string what;
    try {
      (void)gf::render_svg("digraph { a; }");
    } catch (const gf::Error& e) {
      what = e.what();
    }
    ::setenv("PATH", path.c_str(), 1);
    CHECK(has(what, "not installed"));
    CHECK(has(what, "graphviz package"));
  }
  SUBCASE("a syntax error at the end of a large text (dot quits after reading it all)") {
    std::string text = "digraph { ";
    while (text.size() < 2'000'000) text += "a -> b; ";
    text += "-> }";
    CHECK_THROWS_AS((void)gf::render_svg(text), gf::Error);
  }
}

TEST_CASE("dot: edge cases: empty graph, lone leaf, open group, nodes recorded after backward") {
  SUBCASE("empty graph") {
    gf::Graph g;
    const std::string dot = gf::to_dot(g);
    CHECK(count(dot, "[id=\"") == 0);
    check_dot_accepts(dot, "empty");
  }
  SUBCASE("a lone constant, top to bottom, no legend") {
    gf::Graph g;
    g.constant(2.5);
    gf::DotOptions o;
    o.rankdir = gf::RankDir::TB;
    o.legend = false;
    const std::string dot = gf::to_dot(g, o);
    CHECK(has(node_stmt(dot, 0), "<B>2.5</B>"));  // an unnamed constant is named by its value
    CHECK(has(node_stmt(dot, 0), ">2.5<"));
    check_dot_accepts(dot, "lone_constant");
  }
  SUBCASE("a group still open, and an unnamed one") {
    gf::Graph g;
    {
      gf::GroupScope unnamed(g, "", "");
      g.input("a", 1.0);
    }
    g.begin_group("open", "layer");
    const auto b = g.input("b", 2.0) * 3.0;
    const std::string dot = gf::to_dot(g);
    CHECK(has(dot, "<B>(unnamed)</B>"));
    CHECK(has(node_stmt(dot, b), ">6<"));
    check_dot_accepts(dot, "open_group");
    g.end_group();
  }
  SUBCASE("nodes recorded after backward are not reached") {
    gf::Graph g;
    const auto x = g.input("x", 2.0);
    const auto y = (x * x).named("y");
    g.backward(y);
    const auto later = (y + 1.0).named("later");
    const std::string dot = gf::to_dot(g);
    CHECK(has(node_stmt(dot, later), "not reached"));
    CHECK(has(node_stmt(dot, x), "<B>4</B>"));  // d(x^2)/dx = 2x
    check_dot_accepts(dot, "after_backward_growth");
  }
}

namespace {
// `text` (UTF-8) as the dump writes it: every non-ASCII character as a decimal reference.
std::string refs(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    const int n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    unsigned cp = c & (0xFFu >> (n + 1));
    for (int k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3Fu);
    out += fmt::format("&#{};", cp);
    i += static_cast<std::size_t>(n);
  }
  return out;
}
// The caption and legend: the label of the `graph [...]` statement.
std::string legend_of(const std::string& dot) {
  const auto at = dot.find("\ngraph [");
  REQUIRE(at != std::string::npos);
  return dot.substr(at, dot.find('\n', at + 1) - at);
}
}  // namespace

TEST_CASE("dot: lang zh writes the legend, captions and rows in Chinese, en is unchanged") {
  gf::Graph g;
  g.backward(mlp(g));  // 2-16-16-1: boxes, the size guard's note, clusters
  gf::DotOptions o;
  const std::string en = gf::to_dot(g, o);
  o.lang = gf::Language::en;
  CHECK(gf::to_dot(g, o) == en);  // English is the default
  o.lang = gf::Language::zh;
  const std::string zh = gf::to_dot(g, o);
  const std::string legend = legend_of(zh);
  for (const char* words :
       {"反向传播之后：loss 的梯度", "局部导数恰好为 0，梯度完全无法通过", "尺寸保护：",
        "所以每个神经元画成一个框", "输入", "参数", "常量", "折叠的组", "未到达", "消失", "饱和"})
    CHECK_MESSAGE(has(legend, refs(words)), words);
  const std::string english_legend = legend_of(en);
  for (const char* words : {"after backward", ">nodes<", "parameter", "constant", "collapsed group",
                            "blocked", "vanishing", "saturated", "local derivative", "not reached",
                            "size guard", "edges &gt; max_edge_labels", "contribution"}) {
    CHECK_MESSAGE(has(english_legend, words), words);
    CHECK_MESSAGE(!has(legend, words), words);
  }
  // Cluster titles and boxes: the kinds gradflow records, and the rows' captions.
  CHECK(has(zh, "<B>L1</B> <FONT POINT-SIZE=\"9\" COLOR=\"#6b7280\">" + refs("层") + "</FONT>"));
  CHECK(has(en, "<B>L1</B> <FONT POINT-SIZE=\"9\" COLOR=\"#6b7280\">layer</FONT>"));
  // L1.n1's box, its label
  const std::string stmt = node_stmt(zh, g.groups()[1].end - 1);
  const std::string box = stmt.substr(0, stmt.find(", tooltip="));
  CHECK(has(box, refs("神经元 · 8 个节点")));
  CHECK(has(box, refs("∇ 梯度")));
  CHECK_FALSE(has(box, " nodes"));
  check_dot_accepts(zh, "mlp_zh");

  // The tooltips (hover in the SVG): boxes, bundles, edges and nodes.
  const auto tooltips = [](const std::string& dot) {
    std::string all;
    for (auto at = dot.find("tooltip=\""); at != std::string::npos;
         at = dot.find("tooltip=\"", at + 1))
      all += dot.substr(at, dot.find('"', at + 9) - at) + "\n";
    return all;
  };
  // L1.n1's box: 8 nodes, its last the tanh.
  CHECK(has(node_stmt(en, g.groups()[1].end - 1),
            "tooltip=\"L1.n1 (neuron): 8 nodes drawn as one box; its last node L1.n1 tanh = "));
  CHECK(has(node_stmt(zh, g.groups()[1].end - 1),
            "tooltip=\"L1.n1" + refs("（neuron）：8 个节点画成一个方框；最后一个节点 ") +
                "L1.n1 tanh = "));
  gf::Graph small;
  small.backward(mlp(small, {2, 1}));
  o.lang = gf::Language::en;
  const std::string small_en = tooltips(gf::to_dot(small, o));
  o.lang = gf::Language::zh;
  const std::string small_zh = tooltips(gf::to_dot(small, o));
  CHECK(has(small_zh, refs("；传回 ")));
  CHECK(has(small_zh, refs("；梯度 ")));
  CHECK(has(small_en, "; passes back "));
  CHECK(has(small_en, "; grad "));
  for (const char* english : {"passes back", "; grad ", "nodes drawn", "edges from",
                              "its last node", "largest", "not reached", "operands", "recorded by"})
    CHECK_MESSAGE(!has(tooltips(zh) + small_zh, english), english);
}
