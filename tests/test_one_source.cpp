// The architecture's promises: each op's rule and traits in one place (ops/ops.hpp), one reverse
// sweep behind every backward path (so they agree bit for bit), and the bugs that the duplicated
// rules and sweeps had caused.
#include <cmath>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <gradflow/engine/executor.hpp>
#include <gradflow/engine/stepper.hpp>
#include <gradflow/graph/evaluate.hpp>
#include <gradflow/graph/plan.hpp>
#include <gradflow/ops/errors.hpp>

#include <fixtures/random_graph.hpp>

namespace gf = gradflow;

namespace {

// The repro: shared nodes whose contributions arrive in different orders in a
// depth-first plan and in reverse id order.
struct Shared {
  gf::Graph g;
  gf::Node x, p, y;
  Shared() {
    x = g.input("x", -0.77);
    p = g.parameter("p", 0.123);
    const auto c1 = 0.1 * x, c2 = 0.7 * x, c3 = x / 3.0, c4 = exp(x * p);
    y = ((c3 + c1) * c4 + c2) * tanh(c4 - c1);
  }
};

// d/dx sigmoid = e^-|x| / (1 + e^-|x|)², in long double: an independent reference.
double sigmoid_slope(double x) {
  const long double e = std::exp(-std::fabs(static_cast<long double>(x)));
  return static_cast<double>(e / ((1.0L + e) * (1.0L + e)));
}
// d/dx tanh = sech²(x) = 4 e^-2|x| / (1 + e^-2|x|)², in long double.
double tanh_slope(double x) {
  const long double e = std::exp(-2.0L * std::fabs(static_cast<long double>(x)));
  return static_cast<double>(4.0L * e / ((1.0L + e) * (1.0L + e)));
}

}  // namespace

TEST_CASE("one source: every op is named and found by its name") {
  std::set<std::string> names;
  for (std::size_t i = 0; i < gf::op_count; ++i) {
    const auto op = static_cast<gf::Op>(i);
    const gf::OpInfo oi = gf::info(op);
    CHECK(oi.op == op);
    CHECK(!oi.name.empty());
    CHECK(!oi.symbol.empty());
    CHECK(gf::op_named(oi.name) == op);
    names.insert(std::string(oi.name));
  }
  CHECK(names.size() == gf::op_count);
  CHECK(!gf::op_named("no such op").has_value());
}

TEST_CASE("one source: the traits of the tutorial's activations") {
  using gf::Op;
  std::vector<Op> activations, saturating, kinked;
  for (std::size_t i = 0; i < gf::op_count; ++i) {
    const auto op = static_cast<Op>(i);
    if (gf::info(op).activation) activations.push_back(op);
    if (gf::info(op).saturating) saturating.push_back(op);
    if (gf::info(op).kink_at_zero) kinked.push_back(op);
  }
  CHECK(activations == std::vector<Op>{Op::step, Op::sigmoid, Op::tanh, Op::relu, Op::leaky_relu,
                                       Op::identity, Op::softplus});
  CHECK(saturating == std::vector<Op>{Op::sigmoid, Op::tanh});
  CHECK(kinked == std::vector<Op>{Op::step, Op::relu, Op::leaky_relu, Op::heaviside, Op::abs,
                                  Op::min, Op::max});
  // "saturated" (tiny) and "blocked" (exactly 0) are never confused.
  CHECK(gf::saturated(Op::sigmoid, 0.009));
  CHECK_FALSE(gf::saturated(Op::sigmoid, 0.0));
  CHECK_FALSE(gf::saturated(Op::sigmoid, 0.011));
  CHECK_FALSE(gf::saturated(Op::relu, 0.001));
  CHECK(gf::info(Op::leaky_relu).attr == gf::AttrKind::slope);
  CHECK(gf::info(Op::pow).attr == gf::AttrKind::exponent);
}

TEST_CASE("one source: sum has a rule like every other op") {
  const std::vector<double> v{0.1, 0.2, 0.3};
  const double s =
      gf::compute<gf::rules::Sum>(0.0, gf::Conventions{}, 3, [&](std::size_t k) { return v[k]; });
  CHECK(s == (0.1 + 0.2) + 0.3);  // left to right, the order every path uses
  gf::Graph g;
  const auto a = g.input("a", 0.1), b = g.input("b", 0.2), c = g.input("c", 0.3);
  const auto n = gf::sum({a, b, c});
  CHECK(n.value() == s);
  CHECK(n.local_derivative(2) == 1.0);
}

TEST_CASE("one source: apply() without a slope gives leaky_relu its own default 0.01") {
  gf::Graph g;
  const auto x = g.input("x", -2.0);
  CHECK(g.apply(gf::Op::leaky_relu, {x}).value() == leaky_relu(x).value());
  CHECK(g.apply(gf::Op::leaky_relu, {x}).value() == doctest::Approx(-0.02));
  CHECK(g.apply(gf::Op::leaky_relu, {x}, 0.5).value() == -1.0);
}

TEST_CASE("one sweep: plan and executor backward equal Graph::backward bit for bit") {
  Shared s;
  s.g.backward(s.y);
  const double dx = s.x.grad(), dp = s.p.grad();
  // The numbers: 0.79460234904896332 from reverse id order (within rounding).
  CHECK(dx == doctest::Approx(0.79460234904896332).epsilon(1e-15));

  gf::Workspace ws = s.g.workspace();
  gf::backward(s.g, ws, gf::make_plan(s.g, s.y));
  CHECK(ws.grad[s.x.id()] == dx);
  CHECK(ws.grad[s.p.id()] == dp);

  gf::Executor ex(s.g, s.y, 1);
  const std::vector<double> xs{-0.77};
  ex.set_input(s.x, xs);
  ex.run();
  CHECK(ex.grad(s.x, 0) == dx);
  CHECK(ex.grad(s.p) == dp);

  gf::Stepper st(s.g, s.y);
  st.jump(st.size() - 1);
  CHECK(st.grad(s.x.id()) == dx);
  CHECK(st.grad(s.p.id()) == dp);

  gf::Workspace hooked = s.g.workspace();
  gf::backward_with_hooks(s.g, hooked, s.y.id(), gf::Hooks{});
  CHECK(hooked.grad[s.x.id()] == dx);
}

TEST_CASE("one sweep: random graphs agree bit for bit across every backward path") {
  struct Rng {
    std::mt19937 engine;
    std::uint32_t operator()() { return static_cast<std::uint32_t>(engine()); }
  };
  for (const std::uint32_t seed : {11u, 12u, 13u, 14u}) {
    CAPTURE(seed);
    gf::Graph g;
    Rng rng{std::mt19937(seed)};
    const auto pool = gf::testing::build_graph(g, rng, 6, 600, true);
    const auto root = pool.back() + pool[pool.size() - 3] * pool[pool.size() - 7];
    g.backward(root);
    const auto plan = gf::make_plan(g, root);
    gf::Workspace ws = g.workspace();
    gf::backward(g, ws, plan);
    gf::Stepper st(g, root);
    st.jump(st.size() - 1);
    CHECK(plan.order.size() == st.size());
    std::size_t differ = 0;
    for (gf::NodeId i = 0; i < g.size(); ++i) {
      if (ws.grad[i] != g.grad(i) || st.grad(i) != g.grad(i)) ++differ;
      CHECK((ws.reached[i] != 0) == g.reached(i));
    }
    CHECK(differ == 0);
  }
}

TEST_CASE("one source: make_plan on a const graph lists the cone in id order") {
  Shared s;
  const gf::Graph& cg = s.g;
  const auto plan = gf::make_plan(cg, s.y.id());
  CHECK(std::is_sorted(plan.order.begin(), plan.order.end()));
  CHECK(plan.order.back() == s.y.id());
  s.g.backward(s.y);
  std::size_t reached = 0;
  for (gf::NodeId i = 0; i < s.g.size(); ++i) reached += s.g.reached(i) ? 1 : 0;
  CHECK(plan.order.size() == reached);
  CHECK_THROWS_AS(gf::make_plan(cg, gf::NodeId{99999}), gf::UsageError);
}

TEST_CASE("numerics: saturated sigmoid and tanh slopes keep their digits on both sides") {
  gf::Graph g;
  for (const double x : {-745.0, -300.0, -40.0, -37.0, -18.5, -2.0, -0.3, 0.0, 0.3, 2.0, 18.5, 19.5,
                         37.0, 40.0, 300.0}) {
    CAPTURE(x);
    const auto in = g.input("x", x);
    const auto s = sigmoid(in), t = tanh(in);
    const double ds = s.local_derivative(0), dt = t.local_derivative(0);
    const double rs = sigmoid_slope(x), rt = tanh_slope(x);
    CHECK(ds == doctest::Approx(rs).epsilon(1e-14));
    CHECK(dt == doctest::Approx(rt).epsilon(1e-14));
    if (rs > 0.0) CHECK(std::fabs(ds - rs) <= 1e-14 * rs);
    if (rt > 0.0) CHECK(std::fabs(dt - rt) <= 1e-14 * rt);
    // The same slope on both sides of 0 (to rounding): y(1 - y) gave 0 at +37 but 8.5e-17 at -37.
    gf::Graph h;
    const auto m = h.input("m", -x);
    CHECK(sigmoid(m).local_derivative(0) == doctest::Approx(ds).epsilon(1e-15));
    CHECK(tanh(m).local_derivative(0) == doctest::Approx(dt).epsilon(1e-15));
  }
  // Where 1 - y² was 30% off (18.5) or exactly 0 (beyond 19), the slope is tiny, not zero.
  const auto far = g.input("far", 19.5);
  CHECK(tanh(far).local_derivative(0) > 0.0);
  const auto s37 = g.input("s37", 37.0);
  CHECK(sigmoid(s37).local_derivative(0) == doctest::Approx(8.533047625744065e-17));
}

TEST_CASE("errors: a failed op with a plain double operand records nothing") {
  gf::Graph g;
  const auto y = g.input("y", 3.0);
  const std::size_t before = g.size();
  for (int i = 0; i < 3; ++i) CHECK_THROWS_AS(y / 0.0, gf::DomainError);
  CHECK(g.size() == before);
  CHECK_THROWS_AS(0.0 / (y - 3.0), gf::DomainError);  // y - 3 is recorded, 0 and / are not
  CHECK(g.size() == before + 2);                      // the constant 3 and y - 3

  gf::Graph c;
  c.set_check_finite(true);
  const auto a = c.input("a", 1e308);
  const std::size_t n = c.size();
  CHECK_THROWS_AS(a * 1e308, gf::NumericError);
  CHECK_THROWS_AS(1e308 * a, gf::NumericError);
  CHECK(c.size() == n);
  CHECK((a * 0.5).value() == 5e307);  // and the graph is still usable
}

TEST_CASE("hooks: a hook on a node of another graph is refused") {
  gf::Graph g1, g2;
  const auto a = g1.input("a", 1.0);
  const auto b = g2.input("b", 2.0);
  gf::Hooks hooks;
  hooks.on(a, [](const gf::HookEvent& e) { return e.grad; });
  CHECK_THROWS_AS(hooks.on(b, [](const gf::HookEvent& e) { return e.grad; }), gf::UsageError);
  const auto y2 = b * 3.0;
  CHECK_THROWS_AS(gf::backward_with_hooks(g2, y2, hooks), gf::UsageError);
  CHECK_THROWS_AS(gf::Stepper(g2, y2, hooks), gf::UsageError);
}

TEST_CASE("executor: errors in nodes shared by the batch say so and name both nodes") {
  gf::Graph g;
  const auto x = g.input("x", 1.0);
  const auto p = g.parameter("p", 2.0);
  const auto lp = log(p).named("log p");
  const auto y = lp * x;
  gf::Executor ex(g, y, 4);
  p.set(-1.0);
  try {
    ex.run();
    FAIL("no DomainError");
  } catch (const gf::DomainError& e) {
    const std::string what = e.what();
    CHECK(what.find("'log p' (#2, log) (shared by all samples)") != std::string::npos);
    CHECK(what.find("operand 'p' (#1, parameter) = -1") != std::string::npos);
    CHECK(what.find("sample 0") == std::string::npos);
  }
}

TEST_CASE("one sweep: the executor's per-sample gradients equal Graph::backward bit for bit") {
  Shared s;
  const std::vector<double> xs{-0.77, 0.31, 1.9};
  gf::Executor ex(s.g, s.y, xs.size());
  ex.set_input(s.x, xs);
  ex.run();
  for (std::size_t k = 0; k < xs.size(); ++k) {
    CAPTURE(k);
    s.x.set(xs[k]);
    s.g.backward(s.y);
    CHECK(ex.value(s.y, k) == s.y.value());
    CHECK(ex.grad(s.x, k) == s.x.grad());
  }
}
