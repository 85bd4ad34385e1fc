// Diagnostics over a backward pass: blocked, vanishing, saturated, exploding, NaN origin, dead
// ReLUs, unreached parameters, and the gradient-flow tables and chart. Expected values are
// computed independently in each test (plain double arithmetic, or by hand).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <gradflow/engine/diagnostics.hpp>
#include <gradflow/graph/graph.hpp>
#include <gradflow/ops/errors.hpp>
#include <gradflow/views/flow_chart.hpp>
#include <tutorial/neuron.hpp>

namespace gf = gradflow;

namespace {

using gf::tutorial::neuron;

std::vector<std::string> labels(const gf::Graph& g, const std::vector<gf::NodeId>& ids) {
  std::vector<std::string> out;
  for (auto id : ids) out.push_back(g.label(id));
  return out;
}

// The findings as the terminal prints them.
std::string words(const gf::DiagnosticReport& r, std::span<const gf::ReluActivity> relus = {}) {
  return gf::to_text(gf::explain(r, relus));
}

// The findings of one kind.
std::vector<gf::Finding> of_kind(const std::vector<gf::Finding>& all, const std::string& kind) {
  std::vector<gf::Finding> out;
  for (const auto& f : all)
    if (f.kind == kind) out.push_back(f);
  return out;
}

}  // namespace

TEST_CASE("diagnostics: a step neuron is blocked and the words name the starved parameters") {
  gf::Graph g;
  const auto y = neuron(g, gf::Op::step);
  const auto r = gf::diagnose(g, y);
  REQUIRE(r.blocked.size() == 1);
  CHECK(r.blocked[0].node == y.id());
  CHECK(g.label(r.blocked[0].operand) == "z+b");
  CHECK(r.blocked[0].upstream == 1.0);
  CHECK(labels(g, r.blocked[0].starved) == std::vector<std::string>{"w1", "w2", "w3", "b"});
  CHECK(r.vanishing.empty());  // zero is blocked, not vanishing
  CHECK(r.largest_param_grad == 0.0);
  const std::string text = words(r);
  CHECK(text.find("the step node 'y' blocks all gradient (step' = 0 at its input 0.2): w1, w2, "
                  "w3, b receive 0.") != std::string::npos);

  SUBCASE("with the straight-through surrogate nothing is blocked") {
    gf::Graph h;
    h.conventions().step_gradient = gf::StepGradient::straight_through;
    const auto r2 = gf::diagnose(h, neuron(h, gf::Op::step));
    CHECK(r2.blocked.empty());
    CHECK(r2.largest_param_grad == 3.0);  // dy/dw3 = x3
    REQUIRE(r2.surrogates.size() == 1);
    CHECK(r2.surrogates[0].local_derivative == 1.0);
    CHECK(words(r2).find("the step node 'y' passes a surrogate gradient: its local "
                         "derivative at 0.2 is 1 (straight-through") != std::string::npos);
  }
}

TEST_CASE("diagnostics: only the first blocker is reported and a zero input blocks its weight") {
  // Two hidden step units feed an output step unit: the output blocks everything, and the hidden
  // units, which receive 0, are not reported again.
  gf::Graph g;
  const auto x = g.input("x", 1.0);
  const auto h1 = step(bias(g.parameter("a", 2.0) * x, g.parameter("c", -1.0))).named("h1");
  const auto h2 = step(bias(g.parameter("d", -1.0) * x, g.parameter("e", 0.5))).named("h2");
  const auto out = gf::step(gf::sum({h1, h2}) - 0.5).named("out");
  const auto r = gf::diagnose(g, out);
  REQUIRE(r.blocked.size() == 1);
  CHECK(r.blocked[0].node == out.id());
  CHECK(r.blocked[0].starved.size() == 4);

  SUBCASE("a mul with a zero input passes nothing to its weight") {
    gf::Graph k;
    const auto x0 = k.input("x0", 0.0), x1 = k.input("x1", 2.0);
    const auto w0 = k.parameter("w0", 1.0), w1 = k.parameter("w1", 1.0);
    const auto y = sigmoid(w0 * x0 + w1 * x1);
    const auto rk = gf::diagnose(k, y);
    REQUIRE(rk.blocked.size() == 1);
    CHECK(rk.blocked[0].operand == w0.id());
    CHECK(labels(k, rk.blocked[0].starved) == std::vector<std::string>{"w0"});
    CHECK(words(rk).find("its other factor 'x0' is 0): w0 receives 0") != std::string::npos);
  }
}

TEST_CASE("diagnostics: a deep sigmoid chain is reported as vanishing") {
  // h_0 = x = 1, h_k = sigmoid(w_k h_{k-1} + b_k) with w_k = 1, b_k = 0, for k = 1..30.
  constexpr int layers = 30;
  gf::Graph g;
  auto h = g.input("x", 1.0);
  std::vector<gf::Node> ws;
  for (int k = 1; k <= layers; ++k) {
    ws.push_back(g.parameter(fmt::format("w{}", k), 1.0));
    h = sigmoid(bias(ws.back() * h, g.parameter(fmt::format("b{}", k), 0.0)));
  }
  // Reference in plain doubles: dy/dw_1 = h_0 * prod_k sigmoid'(h_{k-1}), each factor ~0.22.
  std::vector<double> hv{1.0};
  for (int k = 1; k <= layers; ++k) hv.push_back(1.0 / (1.0 + std::exp(-hv.back())));
  double dw1 = hv[0];
  for (int k = 1; k <= layers; ++k) dw1 *= hv[k] * (1.0 - hv[k]);
  CHECK(dw1 < 1e-18);

  const auto r = gf::diagnose(g, h);
  g.backward(h);
  CHECK(ws[0].grad() == doctest::Approx(dw1).epsilon(1e-9));
  REQUIRE_FALSE(r.vanishing.empty());
  CHECK(r.vanishing.front().node == ws[0].id());
  CHECK(r.vanishing.front().value == ws[0].grad());
  for (const auto& v : r.vanishing) CHECK(v.node != ws.back().id());  // the last layer learns
  CHECK(r.saturated.empty());  // no single sigmoid is saturated: the product vanishes
  CHECK(r.blocked.empty());
  CHECK(r.squashing.size() == layers);
  // 3 edges per layer (sigmoid, bias, mul) plus the input: depth 0..90.
  CHECK(r.by_depth.size() == 3 * layers + 1);
  CHECK(r.by_depth.back().mean_abs == doctest::Approx(dw1 * 1.0 /*w_1*/).epsilon(1e-9));
  CHECK(r.by_depth.front().mean_abs == 1.0);
  const std::string text = words(r);
  INFO(text);
  CHECK(text.find("The gradient vanishes: w1, b1, w2, b2, w3, b3, w4, b4 and 39 more receive less "
                  "than 1e-06 (or 0.0001 times the largest parameter gradient, 0.2247)") !=
        std::string::npos);
  CHECK(text.find("Mean |gradient| falls from 1 at depth 0") != std::string::npos);
  CHECK(text.find("30 sigmoid/tanh nodes") != std::string::npos);

  SUBCASE("a single saturated sigmoid is named with its input and derivative") {
    gf::Graph k;
    const auto w = k.parameter("w", 10.0);
    const auto y = sigmoid(w * k.input("x", 1.0)).named("s");
    const auto rk = gf::diagnose(k, y);
    REQUIRE(rk.saturated.size() == 1);
    const double s10 = 1.0 / (1.0 + std::exp(-10.0));
    CHECK(rk.saturated[0].local_derivative == doctest::Approx(s10 * (1 - s10)));  // 4.54e-5
    CHECK(rk.saturated[0].input == 10.0);
    CHECK(words(rk).find("the sigmoid node 's' is saturated: its input is 10 and its "
                         "local derivative 4.54e-05 < 0.01") != std::string::npos);
  }
}

TEST_CASE("diagnostics: the sigmoid neuron is not saturated but its gradient shrinks 4x") {
  gf::Graph g;
  const auto r = gf::diagnose(g, neuron(g, gf::Op::sigmoid));
  CHECK(r.blocked.empty());
  CHECK(r.saturated.empty());
  CHECK(r.vanishing.empty());
  const std::string text = words(r);
  INFO(text);
  CHECK(text.find("the sigmoid node 'y' multiplies the gradient by 0.2475 (sigmoid' = y(1-y) is "
                  "at most 0.25), so every gradient below it is 4.04 times smaller than without "
                  "the sigmoid; through n sigmoid layers it shrinks at least 4^n times.") !=
        std::string::npos);
}

TEST_CASE("diagnostics: dead ReLUs over a set of inputs with the inputs restored") {
  gf::Graph g;
  const auto x = g.input("x", 0.5);
  const auto w1 = g.parameter("w1", 1.0), b1 = g.parameter("b1", -10.0);
  const auto w2 = g.parameter("w2", 1.0), b2 = g.parameter("b2", 0.0);
  const auto h1 = relu(bias(w1 * x, b1)).named("h1");
  const auto h2 = relu(bias(w2 * x, b2)).named("h2");
  const auto y = (h1 + h2).named("y");
  const std::vector<std::vector<double>> rows{{-1.0}, {0.0}, {0.5}, {1.0}};
  const auto act = gf::relu_activity(g, y, rows);
  REQUIRE(act.size() == 2);
  CHECK(act[0].node == h1.id());
  CHECK(act[0].rows == 4);
  CHECK(act[0].active == 0);  // x - 10 < 0 for every row
  CHECK(act[0].dead());
  CHECK(act[1].active == 2);  // x > 0 at 0.5 and 1; at 0 relu'(0) = 0 by convention
  CHECK_FALSE(act[1].dead());
  CHECK(x.value() == 0.5);
  CHECK(y.value() == 0.5);

  const auto r = gf::diagnose(g, y);
  REQUIRE(r.blocked.size() == 1);
  CHECK(r.blocked[0].node == h1.id());
  CHECK(labels(g, r.blocked[0].starved) == std::vector<std::string>{"w1", "b1"});
  const std::string text = words(r, act);
  INFO(text);
  CHECK(text.find("the relu node 'h1' blocks the gradient 1 it received") != std::string::npos);
  CHECK(text.find("the ReLU is off: its input -9.5 is below 0") != std::string::npos);
  CHECK(text.find("the relu node 'h1' is dead: off (relu' = 0) on all 4 inputs") !=
        std::string::npos);
  CHECK(text.find("'h2' is dead") == std::string::npos);

  CHECK_THROWS_AS(gf::relu_activity(g, y, std::vector<std::vector<double>>{{1.0, 2.0}}),
                  gf::UsageError);
  CHECK(x.value() == 0.5);
}

TEST_CASE("diagnostics: the first node to produce NaN or infinity") {
  SUBCASE("in the values: exp overflows, then inf - inf is NaN") {
    gf::Graph g;
    const auto x = g.input("x", 1000.0);
    const auto e = exp(x).named("e");
    const auto y = ((e - e) * 2.0).named("y");
    const auto r = gf::diagnose(g, y);
    REQUIRE(r.non_finite_value);
    CHECK(r.non_finite_value->node == e.id());
    CHECK(std::isinf(r.non_finite_value->value));
    CHECK(words(r).find("the exp node 'e' is the first to compute a non-finite value "
                        "(inf)") != std::string::npos);
  }
  SUBCASE("in the gradients: sqrt at 0 has an infinite derivative") {
    gf::Graph g;
    const auto x = g.input("x", 0.0);
    const auto s = pow(x, 0.5).named("sqrt");
    const auto y = (s + x).named("y");
    const auto r = gf::diagnose(g, y);
    CHECK_FALSE(r.non_finite_value);
    REQUIRE(r.non_finite_grad);
    CHECK(r.non_finite_grad->node == s.id());
    CHECK(r.non_finite_grad->operand == x.id());
    CHECK(std::isinf(r.non_finite_grad->local_derivative));
    CHECK(words(r).find("at the edge from the pow node 'sqrt' to 'x': local derivative inf "
                        "gives inf") != std::string::npos);
  }
  SUBCASE("a finite pass reports neither") {
    gf::Graph g;
    const auto r = gf::diagnose(g, neuron(g, gf::Op::tanh));
    CHECK_FALSE(r.non_finite_value);
    CHECK_FALSE(r.non_finite_grad);
  }
}

TEST_CASE("diagnostics: exploding gradients through a chain of x3 multiplications") {
  // h_k = w_k h_{k-1}, w_k = 3, h_0 = x = 1: dy/dx = 3^20, dy/dw_k = 3^19 for every k (exact).
  gf::Graph g;
  auto h = g.input("x", 1.0);
  const auto x = h;
  for (int k = 1; k <= 20; ++k) h = g.parameter(fmt::format("w{}", k), 3.0) * h;
  const auto r = gf::diagnose(g, h);
  REQUIRE_FALSE(r.exploding.empty());
  CHECK(g.label(r.exploding.front().node) == "w20");  // the first one backward processes
  CHECK(r.exploding.front().value == std::pow(3.0, 19));
  bool has_x = false;
  for (const auto& e : r.exploding)
    if (e.node == x.id()) has_x = e.value == std::pow(3.0, 20);
  CHECK(has_x);
  // h_k's gradient is 3^(20-k): above 1e6 from 3^13 = 1594323 on, i.e. h_0..h_7 (x and 7 muls).
  std::size_t muls = 0;
  for (const auto& e : r.exploding) muls += g.op(e.node) == gf::Op::mul;
  CHECK(muls == 7);
  CHECK(words(r).find("The gradient explodes: 28 node(s) have |gradient| > 1e+06, first "
                      "'w20' (1.162e+09), largest 'x' (3.487e+09)") != std::string::npos);
}

TEST_CASE("diagnostics: gradient flow per depth and per group as a table and an SVG chart") {
  gf::Graph g;
  const auto x = g.input("x", 1.0);
  gf::Node h1, y;
  {
    gf::GroupScope layer(g, "layer 1", "layer");
    h1 = tanh(bias(g.parameter("w1", 0.5) * x, g.parameter("b1", 0.0))).named("h1");
  }
  {
    gf::GroupScope layer(g, "layer 2", "layer");
    y = sigmoid(bias(g.parameter("w2", 2.0) * h1, g.parameter("b2", 0.0))).named("y");
  }
  const auto unused = g.parameter("unused", 1.0);
  const auto r = gf::diagnose(g, y);
  CHECK(labels(g, r.unreached) == std::vector<std::string>{"unused"});
  CHECK(r.depth[unused.id()] == -1);
  // Depths (longest path from y): y 0, bias 1, mul 2 and b2 2, w2 3 and h1 3, bias 4, mul 5 and
  // b1 5, w1 6 and x 6.
  CHECK(r.depth[y.id()] == 0);
  CHECK(r.depth[h1.id()] == 3);
  CHECK(r.depth[x.id()] == 6);
  REQUIRE(r.by_depth.size() == 7);
  CHECK(r.by_depth[3].nodes == 2);
  CHECK(r.by_depth[3].params == 1);
  // Independent gradients: t = tanh(0.5), s = sigmoid(2t); dy/dh1 = s(1-s) * 2,
  // dy/dw1 = dy/dh1 * (1 - t^2) * x.
  const double t = std::tanh(0.5), s = 1.0 / (1.0 + std::exp(-2.0 * t));
  const double dh1 = s * (1 - s) * 2.0, dw2 = s * (1 - s) * t;
  CHECK(r.by_depth[3].max_abs == doctest::Approx(dh1));
  CHECK(r.by_depth[3].mean_abs == doctest::Approx((dh1 + dw2) / 2));
  REQUIRE(r.by_group.size() == 2);
  CHECK(r.by_group[0].label == "layer 1");
  CHECK(r.by_group[0].nodes == 5);  // w1, mul, b1, bias, tanh
  CHECK(r.by_group[0].params == 2);
  CHECK(r.by_group[1].label == "layer 2");

  const std::string table = gf::flow_table(r);
  CHECK(table.find("depth  nodes  params     mean |\u2207|      max |\u2207|  zeros") !=
        std::string::npos);
  // The rule under the header is as wide as the header in columns (53), not in bytes.
  CHECK(table.find("zeros\n" + std::string(53, '-') + "\n") != std::string::npos);
  CHECK(table.find("layer 2") != std::string::npos);
  const std::string svg = gf::flow_chart(r);
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK(svg.find("Gradient flow from &#39;y&#39; per depth") != std::string::npos);
  CHECK(svg.find("mean |\xe2\x88\x87|") != std::string::npos);  // ∇: a node's gradient
  CHECK(svg.find("0 = blocked") != std::string::npos);
  CHECK(svg.find("class=\"axis-break\"") != std::string::npos);
  const auto path = std::filesystem::temp_directory_path() / "gradflow_test_flow.svg";
  gf::write_flow_chart(path.string(), r);
  std::ifstream in(path);
  std::stringstream read;
  read << in.rdbuf();
  CHECK(read.str() == svg);
  std::filesystem::remove(path);
  const std::string groups = gf::flow_chart(r, gf::FlowAxis::group);
  CHECK(groups.find("per group") != std::string::npos);
  CHECK(groups.find("group: 0 layer 1, 1 layer 2") != std::string::npos);
  // In Chinese: the title, axes and legend; the group names as the program wrote them.
  const std::string zh = gf::flow_chart(r, gf::FlowAxis::group, gf::Language::zh);
  CHECK(zh.find("从 &#39;y&#39; 出发的梯度流（按组）") != std::string::npos);
  CHECK(zh.find("组：0 layer 1, 1 layer 2") != std::string::npos);
  CHECK(zh.find("平均 |\xe2\x88\x87|") != std::string::npos);
  for (const char* english : {"Gradient flow", "per group", "mean", "blocked"})
    CHECK_MESSAGE(zh.find(english) == std::string::npos, english);
}

TEST_CASE("diagnostics: a NaN local derivative is named as NaN, not as a factor") {
  // Regression: for tanh(NaN), explain() said "multiplies the gradient by inf ... every
  // gradient below it is 0 times smaller".
  gf::Graph g;
  const auto x = g.input("x", std::nan(""));
  const auto y = tanh(x).named("y");
  const auto r = gf::diagnose(g, y);
  REQUIRE(r.squashing.size() == 1);
  CHECK(std::isnan(r.squashing[0].local_derivative));
  CHECK(r.saturated.empty());  // NaN is neither saturated nor blocked
  CHECK(r.blocked.empty());
  const auto findings = gf::explain(r);
  const std::string text = gf::to_text(findings);
  INFO(text);
  CHECK(text.find("inf") == std::string::npos);
  CHECK(text.find("times smaller") == std::string::npos);
  CHECK(text.find("multiplies the gradient") == std::string::npos);
  const auto nan = of_kind(findings, "non_finite_derivative");
  REQUIRE(nan.size() == 1);
  CHECK(nan[0].severity == gf::Severity::error);
  CHECK(nan[0].nodes == std::vector<gf::NodeId>{y.id()});
  CHECK(nan[0].text ==
        "the tanh node 'y' has a local derivative that is NaN (its input is NaN), so every "
        "gradient it passes on is NaN too.");
  // The input holds NaN; it does not compute it.
  CHECK(text.find("the input node 'x' holds a non-finite value (nan)") != std::string::npos);

  SUBCASE("beside a finite sigmoid, the NaN tanh is left out of the factors") {
    gf::Graph h;
    const auto a = h.input("a", 0.0), b = h.input("b", std::nan(""));
    const auto out = (sigmoid(a).named("s") + tanh(b).named("t")).named("out");
    const auto findings2 = gf::explain(gf::diagnose(h, out));
    const auto shrinks = of_kind(findings2, "shrinks");
    REQUIRE(shrinks.size() == 1);
    CHECK(shrinks[0].text.find("the sigmoid node 's' multiplies the gradient by 0.25") == 0);
    CHECK(of_kind(findings2, "non_finite_derivative").size() == 1);
  }
}

TEST_CASE("diagnostics: findings carry a severity, a kind and the nodes they are about") {
  gf::Graph g;
  const auto y = neuron(g, gf::Op::step);
  const auto findings = gf::explain(gf::diagnose(g, y));
  REQUIRE(findings.size() == 1);
  CHECK(findings[0].severity == gf::Severity::warning);
  CHECK(gf::severity_name(findings[0].severity) == "warning");
  CHECK(findings[0].kind == "blocked");
  // The blocking node, the operand it blocks, then the starved parameters.
  CHECK(labels(g, findings[0].nodes) ==
        std::vector<std::string>{"y", "z+b", "w1", "w2", "w3", "b"});
  CHECK(gf::to_text(findings) == "- " + findings[0].text + "\n");

  SUBCASE("a healthy pass gives one note that says so") {
    gf::Graph h;
    const auto ok = gf::explain(gf::diagnose(h, neuron(h, gf::Op::relu)));
    REQUIRE(ok.size() == 1);
    CHECK(ok[0].kind == "ok");
    CHECK(ok[0].severity == gf::Severity::note);
    CHECK(ok[0].nodes.empty());
  }
  SUBCASE("an empty report is a usage error") {
    CHECK_THROWS_AS(gf::explain(gf::DiagnosticReport{}), gf::UsageError);
  }
}

TEST_CASE("diagnostics: one saturation threshold, and exactly 0 is blocked, not saturated") {
  CHECK(gf::DiagnosticOptions{}.saturation == gf::saturation_threshold);
  // tanh'(x) = 4e/(1 + e)^2 with e = exp(-2|x|) is exactly 0 once e underflows (|x| > ~373).
  gf::Graph g;
  const auto w = g.parameter("w", 1.0);
  const auto y = tanh(w * g.input("x", 1000.0)).named("t");
  const auto r = gf::diagnose(g, y);
  REQUIRE(r.squashing.size() == 1);
  CHECK(r.squashing[0].local_derivative == 0.0);
  CHECK(r.saturated.empty());
  REQUIRE(r.blocked.size() == 1);
  CHECK(r.blocked[0].node == y.id());
  CHECK_FALSE(gf::saturated(gf::Op::tanh, 0.0));
  CHECK(words(r).find("times smaller") == std::string::npos);

  SUBCASE("a tiny parameter gradient is vanishing by the options' thresholds") {
    gf::Graph h;
    const auto a = h.parameter("a", 1e-8), b = h.parameter("b", 1.0);
    const auto out = (a * h.input("u", 1.0) + b * h.input("v", 1e-9)).named("out");
    gf::DiagnosticOptions o;
    o.tiny_parameter_gradient = 1e-6;
    o.tiny_parameter_gradient_ratio = 0.0;
    const auto r1 = gf::diagnose(h, out, o);
    REQUIRE(r1.vanishing.size() == 1);
    CHECK(r1.vanishing[0].node == b.id());  // d out / d b = v = 1e-9
    o.tiny_parameter_gradient = 1e-12;
    CHECK(gf::diagnose(h, out, o).vanishing.empty());
  }
}

namespace {

// Words of explain()'s English sentences that a Chinese finding must not contain (node labels,
// op names and numbers are the same in both languages).
constexpr const char* english_words[] = {
    "the ",       "gradient", "node",     "block",   "receive",   "saturat",  "vanish",
    "derivative", "passes",   "dead",     "explode", "reach",     "problem",  "times",
    "smaller",    "depth",    "Mean",     "every",   "surrogate", "identity", "because",
    "input",      "more",     "findings", "worst",   "kind",      "about"};

void check_chinese(const std::vector<gf::Finding>& en, const std::vector<gf::Finding>& zh) {
  REQUIRE(zh.size() == en.size());
  for (std::size_t i = 0; i < zh.size(); ++i) {
    INFO(zh[i].text);
    CHECK(zh[i].kind == en[i].kind);  // the kind is a word programs test: the same in both
    CHECK(zh[i].severity == en[i].severity);
    CHECK(zh[i].nodes == en[i].nodes);
    CHECK(zh[i].text != en[i].text);
    for (const char* word : english_words)
      CHECK_MESSAGE(zh[i].text.find(word) == std::string::npos, word);
  }
}

}  // namespace

TEST_CASE("diagnostics: findings in Chinese, and the English default unchanged") {
  SUBCASE("a step neuron: blocked") {
    gf::Graph g;
    const auto r = gf::diagnose(g, neuron(g, gf::Op::step));
    const auto en = gf::explain(r);
    CHECK(gf::to_text(en) ==
          "- the step node 'y' blocks all gradient (step' = 0 at its input 0.2): w1, w2, w3, b "
          "receive 0.\n");
    CHECK(gf::to_text(gf::explain(r, {}, gf::Language::en)) == gf::to_text(en));
    const auto zh = gf::explain(r, {}, gf::Language::zh);
    check_chinese(en, zh);
    CHECK(gf::to_text(zh) ==
          "- step 节点“y”挡住了全部梯度，因为在输入 0.2 处 step′ = 0；所以 w1、w2、"
          "w3、b 的梯度是 0。\n");
  }
  SUBCASE("a sigmoid neuron: the gradient shrinks 4.04 times (1 / sigmoid'(0.2))") {
    gf::Graph g;
    const auto r = gf::diagnose(g, neuron(g, gf::Op::sigmoid));
    CHECK(gf::to_text(gf::explain(r)) ==
          "- the sigmoid node 'y' multiplies the gradient by 0.2475 (sigmoid' = y(1-y) is at most "
          "0.25), so every gradient below it is 4.04 times smaller than without the sigmoid; "
          "through n sigmoid layers it shrinks at least 4^n times.\n");
    const auto zh = gf::explain(r, {}, gf::Language::zh);
    check_chinese(gf::explain(r), zh);
    CHECK(gf::to_text(zh) ==
          "- sigmoid 节点“y”把梯度乘以 0.2475（sigmoid′ = y(1−y) 最大为 0.25），所以它下面的每个"
          "梯度都只有去掉这个 sigmoid 时的 1/4.04；每经过一层 sigmoid，梯度至少缩小到原来的 1/4，"
          "n 层就是 1/4ⁿ。\n");
  }
  SUBCASE("the straight-through surrogate, and a neuron without problems") {
    gf::Graph g;
    g.conventions().step_gradient = gf::StepGradient::straight_through;
    const auto r = gf::diagnose(g, neuron(g, gf::Op::step));
    const auto zh = gf::explain(r, {}, gf::Language::zh);
    check_chinese(gf::explain(r), zh);
    CHECK(gf::to_text(zh).find("替代梯度") != std::string::npos);
    gf::Graph h;
    const auto ok = gf::diagnose(h, neuron(h, gf::Op::relu));
    CHECK(gf::to_text(gf::explain(ok)) ==
          "- No problem found: every parameter receives gradient (largest |gradient| 3).\n");
    CHECK(gf::to_text(gf::explain(ok, {}, gf::Language::zh)) ==
          "- 没有发现问题：每个参数都得到了梯度（最大的 |梯度| 是 3）。\n");
  }
  SUBCASE("dead and blocked ReLUs, an unreached parameter") {
    gf::Graph g;
    const auto x = g.input("x", 0.5);
    const auto w1 = g.parameter("w1", 1.0), b1 = g.parameter("b1", -10.0);
    const auto w2 = g.parameter("w2", 1.0), b2 = g.parameter("b2", 0.0);
    g.parameter("c", 2.0);
    const auto y =
        (relu(bias(w1 * x, b1)).named("h1") + relu(bias(w2 * x, b2)).named("h2")).named("y");
    const std::vector<std::vector<double>> rows{{-1.0}, {0.5}};
    const auto act = gf::relu_activity(g, y, rows);
    const auto r = gf::diagnose(g, y);
    const auto en = gf::explain(r, act);
    const auto zh = gf::explain(r, act, gf::Language::zh);
    check_chinese(en, zh);
    const std::string text = gf::to_text(zh);
    // h1's input is 0.5 - 10 = -9.5; it receives dy/dh1 = 1.
    CHECK(text.find("relu 节点“h1”挡住了它收到的梯度 1，因为这个 ReLU 处于关闭状态：它的输入 "
                    "-9.5 小于 0；所以 w1、b1 的梯度是 0。") != std::string::npos);
    CHECK(text.find("relu 节点“h1”已经“死亡”：在全部 2 个输入上都处于关闭状态") !=
          std::string::npos);
    CHECK(text.find("c 和“y”之间没有路径相连") != std::string::npos);
    CHECK(gf::to_text(en).find("- c does not reach 'y' and gets no gradient from it.\n") !=
          std::string::npos);
  }
  SUBCASE("a deep sigmoid chain vanishes, a chain of x3 explodes, a NaN") {
    gf::Graph g;
    auto h = g.input("x", 1.0);
    for (int k = 1; k <= 30; ++k)
      h = sigmoid(bias(g.parameter(fmt::format("w{}", k), 1.0) * h,
                       g.parameter(fmt::format("b{}", k), 0.0)));
    const auto r = gf::diagnose(g, h);
    const auto zh = gf::explain(r, {}, gf::Language::zh);
    check_chinese(gf::explain(r), zh);
    CHECK(gf::to_text(zh).find("梯度消失了：") != std::string::npos);
    // More than 8 parameters: the list ends "以及另外 N 个", with no space before the verb.
    CHECK(gf::to_text(zh).find(" 个得到的梯度小于 1e-06（或小于最大参数梯度 ") !=
          std::string::npos);
    CHECK(gf::to_text(zh).find("个 得到") == std::string::npos);
    CHECK(gf::to_text(zh).find("平均 |梯度| 从深度 0 处的 1 降到深度 90 处的") !=
          std::string::npos);

    gf::Graph e;
    auto m = e.input("x", 1.0);
    for (int k = 1; k <= 20; ++k) m = e.parameter(fmt::format("w{}", k), 3.0) * m;
    const auto re = gf::diagnose(e, m);
    const auto zhe = gf::explain(re, {}, gf::Language::zh);
    check_chinese(gf::explain(re), zhe);
    // 3^19 = 1.162e+09 at w20, 3^20 = 3.487e+09 at x.
    CHECK(gf::to_text(zhe).find("梯度爆炸了：28 个节点的 |梯度| > 1e+06，第一个是“w20”"
                                "（1.162e+09），最大的是“x”（3.487e+09）。") != std::string::npos);

    gf::Graph n;  // exp(1000) overflows to inf
    const auto ex = exp(n.input("x", 1000.0)).named("e");
    const auto out = ((ex - ex) * 2.0).named("y");
    const auto rn = gf::diagnose(n, out);
    const auto zhn = gf::explain(rn, {}, gf::Language::zh);
    check_chinese(gf::explain(rn), zhn);
    CHECK(gf::to_text(zhn).find("exp 节点“e”最先算出非有限值（inf）") != std::string::npos);
  }
}
