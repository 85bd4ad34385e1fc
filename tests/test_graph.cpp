// Composite expressions with independently computed reference values, backward semantics,
// re-evaluation, per-edge records and deep graphs.
#include <cmath>
#include <random>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <gradflow/graph/evaluate.hpp>
#include <gradflow/graph/graph.hpp>
#include <gradflow/views/table.hpp>

namespace gf = gradflow;

TEST_CASE("micrograd's sanity check: y = -20, dy/dx = 46") {
  // Reference: micrograd's test_engine.py, whose values it checks against PyTorch.
  gf::Graph g;
  const auto x = g.input("x", -4.0);
  const auto z = 2 * x + 2 + x;
  const auto q = relu(z) + z * x;
  const auto h = relu(z * z);
  const auto y = h + q + q * x;
  g.backward(y);
  CHECK(y.value() == -20.0);
  CHECK(x.grad() == 46.0);
}

TEST_CASE("micrograd's more-ops expression: pow, div, neg, relu, node reuse") {
  // Reference: micrograd's test_more_ops (checked there against PyTorch): g = 24.70408163265306,
  // dg/da = 138.83381924198252, dg/db = 645.5772594752186. Re-derived for this test with central
  // differences in plain Python: 24.70408163265306, 138.833819260, 645.577259535.
  gf::Graph gr;
  const auto a = gr.input("a", -4.0);
  const auto b = gr.input("b", 2.0);
  auto c = a + b;
  auto d = a * b + pow(b, 3);
  c += c + 1;
  c += 1 + c + (-a);
  d += d * 2 + relu(b + a);
  d += 3 * d + relu(b - a);
  const auto e = c - d;
  const auto f = pow(e, 2);
  auto g = f / 2.0;
  g += 10.0 / f;
  gr.backward(g);
  CHECK(g.value() == doctest::Approx(24.70408163265306).epsilon(1e-12));
  CHECK(a.grad() == doctest::Approx(138.83381924198252).epsilon(1e-12));
  CHECK(b.grad() == doctest::Approx(645.5772594752186).epsilon(1e-12));
}

TEST_CASE("node reuse: a = 1, b = a + a, c = b + b gives dc/da = 4") {
  gf::Graph g;
  const auto a = g.input("a", 1.0);
  const auto b = a + a;
  const auto c = b + b;
  g.backward(c);
  CHECK(c.value() == 4.0);
  CHECK(a.grad() == 4.0);
  CHECK(b.grad() == 2.0);
}

TEST_CASE("exp and log compose: d/dx log(exp(x) + x^2) = (e^x + 2x) / (e^x + x^2)") {
  gf::Graph g;
  const auto x = g.input("x", 0.7);
  const auto y = log(exp(x) + pow(x, 2));
  g.backward(y);
  const double ex = std::exp(0.7);
  CHECK(y.value() == doctest::Approx(std::log(ex + 0.49)));
  CHECK(x.grad() == doctest::Approx((ex + 1.4) / (ex + 0.49)));
}

TEST_CASE("the tutorial's neuron, by hand") {
  // y = sigmoid(w1 x1 + w2 x2 + w3 x3 + b), x = (1, 2, 3), w = (0.5, -0.25, 0.2), b = -0.4:
  // z + b = 0.2, y = 1/(1+e^-0.2) = 0.549833997..., dy/dw_i = y(1-y) x_i, dy/db = y(1-y).
  gf::Graph g;
  const double xs[] = {1, 2, 3}, ws[] = {0.5, -0.25, 0.2};
  std::vector<gf::Node> w, products;
  for (int i = 0; i < 3; ++i) {
    w.push_back(g.parameter("w", ws[i]));
    products.push_back(w.back() * g.input("x", xs[i]));
  }
  const auto b = g.parameter("b", -0.4);
  const auto y = sigmoid(bias(sum(products), b));
  g.backward(y);
  const double s = 0.549833997312478;
  CHECK(y.value() == doctest::Approx(s).epsilon(1e-14));
  for (int i = 0; i < 3; ++i) CHECK(w[i].grad() == doctest::Approx(s * (1 - s) * xs[i]));
  CHECK(b.grad() == doctest::Approx(s * (1 - s)));
}

TEST_CASE("per-edge record: local derivative and contribution") {
  gf::Graph g;
  const auto x = g.input("x", 3.0);
  const auto w = g.parameter("w", -2.0);
  const auto p = (w * x).named("p");
  const auto y = tanh(p).named("y");
  SUBCASE("before backward: local derivatives are known, contributions are not") {
    CHECK_FALSE(g.has_gradients());
    CHECK(p.local_derivative(0) == 3.0);   // d(w x)/dw = x
    CHECK(p.local_derivative(1) == -2.0);  // d(w x)/dx = w
    CHECK(p.contribution(0) == 0.0);
    CHECK_FALSE(p.reached());
  }
  SUBCASE("after backward") {
    g.backward(y);
    const double t = std::tanh(-6.0), dt = 1 - t * t;
    CHECK(y.local_derivative(0) == doctest::Approx(dt));
    CHECK(p.grad() == doctest::Approx(dt));
    CHECK(p.contribution(0) == doctest::Approx(dt * 3.0));
    CHECK(p.contribution(1) == doctest::Approx(dt * -2.0));
    CHECK(w.grad() == doctest::Approx(p.contribution(0)));
    const auto records = gf::backward_records(g);
    REQUIRE(records.size() == 4);
    CHECK(records[0].node == y.id());
    CHECK(records[0].upstream == 1.0);
    CHECK(records[1].node == p.id());
    REQUIRE(records[1].edges.size() == 2);
    CHECK(records[1].edges[0].operand == w.id());
    CHECK(records[1].edges[0].contribution == doctest::Approx(dt * 3.0));
    const std::string table = gf::backward_table(g);
    CHECK(table.find("tanh") != std::string::npos);
    CHECK(table.find(fmt::format("{:.6g}", dt * 3.0)) != std::string::npos);
  }
}

TEST_CASE("a step neuron passes exactly zero gradient and the table marks the edge blocked") {
  gf::Graph g;
  const auto x = g.input("x", 1.5);
  const auto w = g.parameter("w", 0.8);
  const auto y = step(bias(w * x, g.parameter("b", -0.5)));
  g.backward(y);
  CHECK(y.value() == 1.0);
  for (const auto& p : g.parameters()) {
    CHECK(p.reached());
    CHECK(p.grad() == 0.0);
  }
  CHECK(gf::backward_table(g).find("blocked") != std::string::npos);
}

TEST_CASE("backward twice resets and accumulate mode adds into leaves only") {
  gf::Graph g;
  const auto x = g.input("x", 2.0);
  const auto h = x * x;  // dh/dx = 4
  const auto y = h * 3;  // dy/dx = 12
  g.backward(y);
  g.backward(y);
  CHECK(x.grad() == 12.0);
  CHECK(h.grad() == 3.0);
  g.backward(y, gf::GradMode::accumulate);
  CHECK(x.grad() == 24.0);
  CHECK(h.grad() == 3.0);  // interior nodes describe the last pass
  g.backward(h, gf::GradMode::accumulate);
  CHECK(x.grad() == 28.0);
  g.zero_grad();
  CHECK(x.grad() == 0.0);
  CHECK_FALSE(g.has_gradients());
  g.backward(h, gf::GradMode::accumulate);  // nothing to add to: a plain pass
  CHECK(x.grad() == 4.0);
}

TEST_CASE("backward from an inner node ignores what does not reach it") {
  gf::Graph g;
  const auto a = g.input("a", 2.0), b = g.input("b", 5.0);
  const auto p = a * 3;
  const auto q = p + b;
  g.backward(q);
  CHECK(b.reached());
  g.backward(p);
  CHECK(a.grad() == 3.0);
  CHECK_FALSE(b.reached());
  CHECK(b.grad() == 0.0);
  CHECK_FALSE(q.reached());
}

TEST_CASE("re-evaluation with new inputs matches a freshly built graph") {
  const auto build = [](gf::Graph& g, double xv, double wv) {
    const auto x = g.input("x", xv);
    const auto w = g.parameter("w", wv);
    return sigmoid(w * x + tanh(x)) * log(1 + exp(w));
  };
  gf::Graph g;
  const auto y = build(g, 0.3, -1.2);
  g.backward(y);
  for (const auto& [xv, wv] : {std::pair{1.7, 0.4}, std::pair{-2.0, 3.0}}) {
    g.find("x").set(xv);
    g.find("w").set(wv);
    g.backward(y);  // sees the stale values and re-evaluates first
    gf::Graph fresh;
    const auto y2 = build(fresh, xv, wv);
    fresh.backward(y2);
    CHECK(y.value() == y2.value());
    CHECK(g.find("x").grad() == fresh.find("x").grad());
    CHECK(g.find("w").grad() == fresh.find("w").grad());
  }
}

TEST_CASE("a second workspace evaluates the same graph independently") {
  gf::Graph g;
  const auto x = g.input("x", 1.0);
  const auto y = x * x * x;
  g.backward(y);
  gf::Workspace ws = g.workspace();
  ws.value[x.id()] = 2.0;
  gf::forward(g, ws);
  gf::backward(g, ws, y.id());
  CHECK(ws.value[y.id()] == 8.0);
  CHECK(ws.grad[x.id()] == 12.0);
  CHECK(y.value() == 1.0);  // the graph's own numbers are untouched
  CHECK(x.grad() == 3.0);
}

TEST_CASE("a Boost.Graph plan matches the reverse sweep: same reached set, same gradients") {
  std::mt19937 rng(7);
  gf::Graph g;
  std::vector<gf::Node> pool;
  for (int i = 0; i < 20; ++i) pool.push_back(g.input("", 0.1 * (i - 10)));
  std::uniform_int_distribution<int> pick_op(0, 5);
  for (int i = 0; i < 2000; ++i) {
    std::uniform_int_distribution<std::size_t> pick(pool.size() > 200 ? pool.size() - 200 : 0,
                                                    pool.size() - 1);
    const auto a = pool[pick(rng)], b = pool[pick(rng)];
    switch (pick_op(rng)) {
      case 0:
        pool.push_back(a + b);
        break;
      case 1:
        pool.push_back(a * b * 0.5);
        break;
      case 2:
        pool.push_back(tanh(a));
        break;
      case 3:
        pool.push_back(a - sigmoid(b));
        break;
      case 4:
        pool.push_back(gf::sum({a, b, a}));
        break;
      default:
        pool.push_back(relu(a) + leaky_relu(b));
        break;
    }
  }
  const auto root = pool[pool.size() - 5];
  const auto plan = gf::make_plan(g, root);
  g.backward(root);
  std::vector<std::uint8_t> in_plan(g.size(), 0);
  for (const auto id : plan.order) in_plan[id] = 1;
  std::size_t reached = 0;
  for (gf::NodeId i = 0; i < g.size(); ++i) {
    CHECK(static_cast<bool>(in_plan[i]) == g.reached(i));
    reached += g.reached(i);
  }
  CHECK(reached == plan.order.size());
  CHECK(plan.order.back() == root.id());
  std::vector<std::size_t> position(g.size());
  for (std::size_t k = 0; k < plan.order.size(); ++k) position[plan.order[k]] = k;
  for (const auto id : plan.order)
    for (const auto operand : g.operands(id)) CHECK(position[operand] < position[id]);

  gf::Workspace ws = g.workspace();
  for (int i = 0; i < 20; ++i) ws.value[static_cast<gf::NodeId>(i)] = 0.05 * i;
  for (int i = 0; i < 20; ++i) g.node(static_cast<gf::NodeId>(i)).set(0.05 * i);
  gf::forward(g, ws, plan);
  gf::backward(g, ws, plan);
  g.backward(root);
  CHECK(ws.value[root.id()] == root.value());
  // The plan visits nodes in another order than the sweep, so sums round differently.
  for (gf::NodeId i = 0; i < 20; ++i) CHECK(ws.grad[i] == doctest::Approx(g.grad(i)).epsilon(1e-9));
}

TEST_CASE("a million-node chain: no recursion in forward, backward or the plan") {
  constexpr int n = 1'000'000;
  gf::Graph g;
  g.reserve(n + 2, 2 * n);
  const auto x = g.input("x", 0.5);
  auto y = x;
  for (int i = 0; i < n; ++i) y = y + x;  // y = (n + 1) x, a chain of depth n
  g.backward(y);
  CHECK(y.value() == 0.5 * (n + 1));
  CHECK(x.grad() == n + 1.0);
  x.set(2.0);
  g.forward();
  CHECK(y.value() == 2.0 * (n + 1));
  const auto plan = gf::make_plan(g, y);
  CHECK(plan.order.size() == static_cast<std::size_t>(n) + 1);
}

TEST_CASE("groups record ranges of nodes, nested") {
  gf::Graph g;
  const auto x = g.input("x", 1);
  {
    gf::GroupScope layer(g, "layer 0", "layer");
    {
      gf::GroupScope neuron(g, "neuron 0", "neuron");
      (void)tanh(x * g.parameter("w", 1));
    }
  }
  REQUIRE(g.groups().size() == 2);
  CHECK(g.groups()[0].kind == "layer");
  CHECK(g.groups()[1].parent == 0);
  CHECK(g.groups()[1].begin == 1);
  CHECK(g.groups()[1].end == 4);
  CHECK(g.groups()[0].end == 4);
}

TEST_CASE("graph: check mode's recording path and the fast path grow the node arrays together") {
  // In check mode apply() records through append(); leaves record through push(). Alternating
  // them once made append() grow the op array alone, and push() then wrote past the operand
  // offsets (found by fuzz_graph; ASan sees the overflow). Values and gradients must be right.
  gradflow::Graph g;
  g.set_check_finite(true);
  gradflow::Node x = g.input("x", 0.5);
  double expected = 0.5;
  std::vector<gradflow::Node> params;
  for (int i = 0; i < 700; ++i) {
    params.push_back(g.parameter(0.25 * i));
    x = g.apply(gradflow::Op::add, {x, params.back()});
    expected += 0.25 * i;
  }
  CHECK(g.size() == 1401);
  CHECK(x.value() == expected);  // every partial sum is exact in binary
  g.backward(x);
  for (const auto& p : params) CHECK(p.grad() == 1.0);
  CHECK(x.operand(1) == params.back());
  CHECK(x.operand(0).operand(1) == params[698]);
}
