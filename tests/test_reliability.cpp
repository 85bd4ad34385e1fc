// Reliability: gradcheck, property tests on random graphs, hostile inputs, threads.
#include <cmath>
#include <limits>
#include <random>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include <gradflow/engine/executor.hpp>
#include <gradflow/engine/gradcheck.hpp>
#include <gradflow/graph/evaluate.hpp>
#include <gradflow/graph/plan.hpp>
#include <gradflow/ops/errors.hpp>

#include <fixtures/random_graph.hpp>

namespace gf = gradflow;

namespace {
struct Rng {
  std::mt19937 engine;
  std::uint32_t operator()() { return static_cast<std::uint32_t>(engine()); }
};
}  // namespace

TEST_CASE("gradcheck: passes on hand-checked graphs, names the node that mismatches") {
  gf::Graph g;
  const auto x = g.input("x", 0.3);
  const auto w = g.parameter("w", -1.1);
  const auto y = tanh(w * x) + exp(x) / (1.0 + pow(w, 2));
  const auto ok = gf::gradcheck(g, y);
  CHECK(ok.ok);
  REQUIRE(ok.entries.size() == 2);
  CHECK(ok.worst == gf::GradcheckReport::npos);
  for (const auto& e : ok.entries) CHECK(e.error < 1e-8);

  // Straight-through step: backward passes 1, finite differences see a flat function.
  const auto s = step(x - 0.1).named("gate");
  g.conventions().step_gradient = gf::StepGradient::straight_through;
  const auto bad = gf::gradcheck(g, s);
  CHECK_FALSE(bad.ok);
  REQUIRE(bad.worst != gf::GradcheckReport::npos);
  CHECK(bad.entries[bad.worst].node == x.id());
  CHECK(bad.entries[bad.worst].analytic == 1.0);
  CHECK(bad.entries[bad.worst].numeric == 0.0);
  CHECK(bad.summary(g).find("'x'") != std::string::npos);
  g.conventions().step_gradient = gf::StepGradient::exact;
  CHECK(gf::gradcheck(g, s).ok);
}

TEST_CASE("gradcheck: kinks are flagged, not failed, unless asked") {
  gf::Graph g;
  const auto x = g.input("x", 0.0);
  g.conventions().relu_grad_at_zero = 1.0;  // the analytic value at the kink is a convention
  const auto y = relu(x) * 3.0;
  auto report = gf::gradcheck(g, y);
  REQUIRE(report.entries.size() == 1);
  CHECK(report.entries[0].kink);
  CHECK(report.entries[0].analytic == 3.0);
  CHECK(report.entries[0].numeric == doctest::Approx(1.5));
  CHECK(report.ok);
  gf::GradcheckOptions strict;
  strict.skip_kinks = false;
  CHECK_FALSE(gf::gradcheck(g, y, strict).ok);
  x.set(0.5);  // away from the kink nothing is flagged
  report = gf::gradcheck(g, y);
  CHECK_FALSE(report.entries[0].kink);
  CHECK(report.ok);
}

TEST_CASE("gradcheck: the graph's own numbers are untouched") {
  gf::Graph g;
  const auto x = g.input("x", 2.0);
  const auto y = x * x;
  g.backward(y);
  (void)gf::gradcheck(g, y);
  CHECK(x.value() == 2.0);
  CHECK(y.value() == 4.0);
  CHECK(x.grad() == 4.0);
}

TEST_CASE("property: random graphs of thousands of nodes agree with finite differences") {
  for (std::uint32_t seed = 1; seed <= 12; ++seed) {
    CAPTURE(seed);
    gf::Graph g;
    Rng rng{std::mt19937(seed)};
    const auto pool = gf::testing::build_graph(g, rng, 8, 3000, true);
    const auto root = pool.back();
    const auto report = gf::gradcheck(g, root);
    CHECK(report.ok);
    if (!report.ok) MESSAGE(report.summary(g));
    CHECK(report.entries.size() > 0);
  }
}

TEST_CASE("property: forward then backward twice gives identical results") {
  gf::Graph g;
  Rng rng{std::mt19937(99)};
  const auto pool = gf::testing::build_graph(g, rng, 10, 5000, true);
  const auto root = pool.back();
  g.backward(root);
  const std::vector<double> values = g.workspace().value, grads = g.workspace().grad;
  g.forward();
  g.backward(root);
  CHECK(g.workspace().value == values);
  CHECK(g.workspace().grad == grads);
}

TEST_CASE("property: re-evaluation with new inputs matches a freshly built graph") {
  gf::Graph g;
  Rng rng{std::mt19937(5)};
  const auto pool = gf::testing::build_graph(g, rng, 10, 4000, true);
  const auto root = pool.back();
  g.backward(root);
  for (gf::NodeId i = 0; i < 10; ++i) g.node(i).set(0.1 * i - 0.4);
  g.backward(root);

  gf::Graph fresh;
  Rng same{std::mt19937(5)};
  const auto pool2 = gf::testing::build_graph(fresh, same, 10, 4000, true);
  for (gf::NodeId i = 0; i < 10; ++i) fresh.node(i).set(0.1 * i - 0.4);
  fresh.backward(pool2.back());
  REQUIRE(fresh.size() == g.size());
  for (gf::NodeId i = 0; i < g.size(); ++i) {
    CHECK(g.value(i) == fresh.value(i));
    CHECK(g.grad(i) == fresh.grad(i));
  }
}

TEST_CASE("hostile: NaN and infinity inputs propagate per IEEE and check mode names the origin") {
  gf::Graph g;
  const auto x = g.input("x", 1.0);
  const auto w = g.parameter("w", 2.0);
  const auto y = sigmoid(w * x) + tanh(x) * w;
  x.set(std::numeric_limits<double>::quiet_NaN());
  g.backward(y);
  CHECK(std::isnan(y.value()));
  CHECK(std::isnan(w.grad()));
  x.set(INFINITY);
  g.backward(y);
  CHECK(y.value() == 1.0 + 2.0);  // sigmoid(inf) = 1, tanh(inf) = 1
  CHECK(x.grad() == 0.0);         // both activations saturate: 0 * w + 0 * w
  // d(w x)/dw = x = inf meets sigmoid' = 0: 0 * inf is NaN, as in PyTorch. No special case.
  CHECK(std::isnan(w.grad()));
  g.set_check_finite(true);
  x.set(-INFINITY);
  try {
    g.forward();
    FAIL("check mode let an infinite input through");
  } catch (const gf::NumericError& e) {
    CHECK(e.node == x.id());
  }
  g.set_check_finite(false);
  x.set(0.5);
  g.backward(y);
  CHECK(std::isfinite(w.grad()));
}

TEST_CASE("hostile: a 10-million-node chain evaluates and differentiates") {
  constexpr int n = 10'000'000;
  gf::Graph g;
  g.reserve(n + 1, n);
  const auto x = g.input("x", 0.25);
  auto y = x;
  for (int i = 0; i < n; ++i) y = -y;  // y = (-1)^n x, depth n
  g.backward(y);
  CHECK(y.value() == 0.25);
  CHECK(x.grad() == 1.0);
}

TEST_CASE("hostile: a million-operand sum and a node used thousands of times") {
  constexpr std::size_t n = 1'000'000;
  gf::Graph g;
  std::vector<gf::Node> terms;
  terms.reserve(n);
  const auto x = g.input("x", 0.5);
  for (std::size_t i = 0; i < n; ++i) terms.push_back(i % 2 ? x : g.input("", 1.0));
  const auto s = gf::sum(terms);
  g.backward(s);
  CHECK(s.value() == 0.5 * n / 2 + n / 2);
  CHECK(x.grad() == n / 2);
  const auto plan = gf::make_plan(g, s);
  CHECK(plan.order.size() == n / 2 + 2);  // distinct nodes: n/2 ones, x, and s

  gf::Graph h;
  const auto u = h.input("u", 1.5);
  auto acc = u * u;
  for (int i = 0; i < 5000; ++i) acc = acc + u * u;  // u used 10002 times
  h.backward(acc);
  CHECK(u.grad() == doctest::Approx(5001 * 2 * 1.5));
}

TEST_CASE("hostile: a throwing op leaves the graph valid and usable") {
  gf::Graph g;
  const auto x = g.input("x", 0.0);
  const auto y = x * 2.0 + 1.0;
  g.backward(y);
  const std::size_t size = g.size();
  CHECK_THROWS_AS((void)log(x), gf::DomainError);
  CHECK_THROWS_AS((void)(y / x), gf::DomainError);
  CHECK(g.size() == size + 0);  // the divisor was a node: nothing added
  CHECK(x.grad() == 2.0);       // gradients of the last pass survive
  const auto z = log(y);
  g.backward(z);
  CHECK(x.grad() == 2.0);
}

TEST_CASE("threads: separate workspaces over one immutable graph give sequential results") {
  gf::Graph g;
  Rng rng{std::mt19937(3)};
  const auto pool = gf::testing::build_graph(g, rng, 6, 3000, true);
  const auto root = pool.back() * g.node(0) + g.node(1);  // depends on the inputs for sure
  const auto plan = gf::make_plan(g, root);
  const gf::Workspace base = g.workspace();
  constexpr int threads = 4;
  const auto run = [&](int t, gf::Workspace& ws) {
    for (gf::NodeId i = 0; i < 6; ++i) ws.value[i] = 0.1 * t - 0.05 * i;
    gf::forward(g, ws, plan);
    gf::backward(g, ws, plan);
  };
  std::vector<gf::Workspace> sequential(threads, base), parallel(threads, base);
  for (int t = 0; t < threads; ++t) run(t, sequential[static_cast<std::size_t>(t)]);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      for (int rep = 0; rep < 20; ++rep) run(t, parallel[static_cast<std::size_t>(t)]);
    });
  for (auto& w : workers) w.join();
  for (std::size_t t = 0; t < threads; ++t) {
    CHECK(parallel[t].value == sequential[t].value);
    CHECK(parallel[t].grad == sequential[t].grad);
  }
  CHECK(sequential[0].value[root.id()] != sequential[3].value[root.id()]);
}

TEST_CASE("threads: executors over one graph in parallel give sequential results") {
  gf::Graph g;
  const auto x1 = g.input("x1", 0.0), x2 = g.input("x2", 0.0), t = g.input("t", 0.0);
  const auto w1 = g.parameter("w1", 0.3), w2 = g.parameter("w2", -0.7), b = g.parameter("b", 0.1);
  const auto y = tanh(bias(gf::sum({w1 * x1, w2 * x2}), b));
  const auto loss = (y - t) * (y - t) + 0.01 * (w1 * w1 + w2 * w2);
  g.workspace();  // values current: executors only read the graph
  constexpr std::size_t batch = 64;
  constexpr int threads = 4;
  const auto run = [&](int k, std::vector<double>& out) {
    gf::Executor ex(g, loss, batch);
    std::vector<double> a(batch), c(batch), d(batch);
    for (std::size_t s = 0; s < batch; ++s) {
      a[s] = 0.01 * static_cast<double>(s) - 0.3 * k;
      c[s] = 0.5 - 0.02 * static_cast<double>(s);
      d[s] = s % 2 ? 1.0 : -1.0;
    }
    ex.set_input(x1, a);
    ex.set_input(x2, c);
    ex.set_input(t, d);
    ex.run();
    out = {ex.loss(), ex.grad(w1), ex.grad(w2), ex.grad(b)};
  };
  std::vector<std::vector<double>> sequential(threads), parallel(threads);
  for (int k = 0; k < threads; ++k) run(k, sequential[static_cast<std::size_t>(k)]);
  std::vector<std::thread> workers;
  for (int k = 0; k < threads; ++k)
    workers.emplace_back([&, k] {
      for (int rep = 0; rep < 10; ++rep) run(k, parallel[static_cast<std::size_t>(k)]);
    });
  for (auto& w : workers) w.join();
  for (std::size_t k = 0; k < threads; ++k) CHECK(parallel[k] == sequential[k]);
  CHECK(sequential[0] != sequential[1]);
}
