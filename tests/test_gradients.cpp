// Higher-order gradients (graph/gradients.hpp): the backward pass recorded as nodes. Each op's two
// derivative forms (ops/ops.hpp: derivative() and derivative_expr()) against each other bit for
// bit on many points; second derivatives against closed forms (long double) and central
// differences; Hessians, Hessian-vector products, third order; a deep chain; kink conventions;
// errors leave the graph as it was.
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <gradflow/engine/executor.hpp>
#include <gradflow/engine/gradcheck.hpp>
#include <gradflow/engine/stepper.hpp>
#include <gradflow/graph/gradients.hpp>
#include <gradflow/ops/errors.hpp>
#include <gradflow/views/dot.hpp>

#include <fixtures/random_graph.hpp>

namespace gf = gradflow;
using gf::Op;

namespace {

bool same(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

std::vector<double> points() {
  std::vector<double> p{0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, 1e-300, -1e-300, 30.0, -30.0};
  for (int k = -600; k <= 600; k += 7) p.push_back(k / 100.0 + 0.003);
  return p;
}

// Central difference of node d's value in x.
double central(gf::Node d, gf::Node x, double at, double h) {
  x.set(at + h);
  const double plus = d.value();
  x.set(at - h);
  const double minus = d.value();
  x.set(at);
  return (plus - minus) / (2.0 * h);
}

bool near(double got, double want, double rel, double abs = 0.0) {
  return std::abs(got - want) <= abs + rel * std::abs(want);
}

}  // namespace

TEST_CASE("gradients: each op's derivative_expr records derivative()'s bits, on many points") {
  std::size_t checked = 0;
  for (std::size_t i = 0; i < gf::op_count; ++i) {
    const auto op = static_cast<Op>(i);
    const gf::OpInfo oi = gf::info(op);
    if (oi.kind != gf::NodeKind::op) continue;
    for (const double a : points()) {
      for (const double b : {0.75, -1.25, a, 3.0}) {
        gf::Graph g(gf::Conventions{.step_grad_at_zero = 0.25, .relu_grad_at_zero = 0.3});
        const auto x0 = g.input("a", a), x1 = g.input("b", b), x2 = g.input("c", 0.5);
        std::vector<gf::Node> args{x0};
        if (oi.arity == 2) args.push_back(x1);
        if (oi.arity == gf::variadic)
          args = gf::arity_allows(op, 4) ? std::vector<gf::Node>{x0, x1, x2, x0}
                                         : std::vector<gf::Node>{x0, x1, x2, x0, x1};  // affine
        gf::Node y;
        try {
          y = g.apply(op, args, oi.attr == gf::AttrKind::none ? 0.0 : 1.7);
        } catch (const gf::DomainError&) {
          continue;  // outside the op's domain
        }
        std::vector<gf::Node> d;
        try {
          d = gf::gradients(y, {x0, x1, x2});
        } catch (const gf::DomainError&) {
          continue;  // a singular derivative (sqrt at 0, log of x^y's base 0)
        }
        CAPTURE(oi.name);
        CAPTURE(a);
        CAPTURE(b);
        g.backward(y);
        // the same bits as backward (which adds the local derivatives the same way) ...
        for (const auto& [k, x] : {std::pair{0, x0}, std::pair{1, x1}, std::pair{2, x2}})
          CHECK(same(d[static_cast<std::size_t>(k)].value(), g.grad(x.id())));
        // ... and, one operand per slot, the op's numeric local derivative itself
        if (oi.arity != gf::variadic)
          for (std::size_t k = 0; k < args.size(); ++k)
            CHECK(same(d[k].value(), y.local_derivative(k)));
        ++checked;
      }
    }
  }
  CHECK(checked > 5000);
}

TEST_CASE("gradients: second derivatives against closed forms and central differences") {
  using L = long double;
  struct Case {
    const char* name;
    gf::Node (*f)(gf::Node);
    L (*d2)(L);  // the closed form, in long double
    double lo, hi;
  };
  const Case cases[] = {
      {"tanh", [](gf::Node x) { return tanh(x); },
       [](L x) {
         const L t = std::tanh(x);
         return -2 * t * (1 - t * t);
       },
       -4, 4},
      {"sigmoid", [](gf::Node x) { return sigmoid(x); },
       [](L x) {
         const L s = 1 / (1 + std::exp(-x));
         return s * (1 - s) * (1 - 2 * s);
       },
       -6, 6},
      {"softplus", [](gf::Node x) { return softplus(x); },
       [](L x) {
         const L s = 1 / (1 + std::exp(-x));
         return s * (1 - s);
       },
       -6, 6},
      {"exp", [](gf::Node x) { return exp(x); }, [](L x) { return std::exp(x); }, -3, 3},
      {"log", [](gf::Node x) { return log(x); }, [](L x) { return -1 / (x * x); }, 0.2, 5},
      {"pow 3.5", [](gf::Node x) { return pow(x, 3.5); },
       [](L x) { return 3.5L * 2.5L * std::pow(x, 1.5L); }, 0.1, 4},
      {"pow -2", [](gf::Node x) { return pow(x, -2.0); }, [](L x) { return 6 / (x * x * x * x); },
       0.3, 4},
      {"sqrt", [](gf::Node x) { return sqrt(x); }, [](L x) { return -0.25L / (x * std::sqrt(x)); },
       0.1, 5},
      {"sin", [](gf::Node x) { return sin(x); }, [](L x) { return -std::sin(x); }, -6, 6},
      {"cos", [](gf::Node x) { return cos(x); }, [](L x) { return -std::cos(x); }, -6, 6},
      {"2^x", [](gf::Node x) { return pow(2.0, x); },
       [](L x) { return std::pow(2.0L, x) * std::log(2.0L) * std::log(2.0L); }, -3, 3},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    for (int k = 0; k <= 40; ++k) {
      const double at = c.lo + (c.hi - c.lo) * (k + 0.37) / 41.0;
      CAPTURE(at);
      gf::Graph g;
      const auto x = g.input("x", at);
      const auto y = c.f(x);
      const auto d1 = gf::gradient(y, x);
      const auto d2 = gf::gradient(d1, x);
      const double want = static_cast<double>(c.d2(at));
      CHECK(near(d2.value(), want, 1e-13, 1e-15));
      CHECK(near(central(d1, x, at, 1e-5), want, 1e-6, 1e-8));
      // backward over the first-derivative graph gives the same second derivative
      g.backward(d1);
      CHECK(x.grad() == d2.value());
    }
  }
}

TEST_CASE("gradients: the Hessian of Rosenbrock at (1, 1) is [[802, -400], [-400, 200]]") {
  gf::Graph g;
  const auto x = g.input("x", 1.0), y = g.input("y", 1.0);
  const auto f = pow(1.0 - x, 2.0) + 100.0 * pow(y - pow(x, 2.0), 2.0);
  const auto grad = gf::gradients(f, {x, y});
  CHECK(grad[0].value() == 0.0);
  CHECK(grad[1].value() == 0.0);
  const auto hx = gf::gradients(grad[0], {x, y}), hy = gf::gradients(grad[1], {x, y});
  CHECK(hx[0].value() == 802.0);
  CHECK(hx[1].value() == -400.0);
  CHECK(hy[0].value() == -400.0);
  CHECK(hy[1].value() == 200.0);
  // the recorded Hessian is a function of (x, y): at (0, 0) it is [[2, 0], [0, 200]]
  x.set(0.0);
  y.set(0.0);
  CHECK(hx[0].value() == 2.0);
  CHECK(hx[1].value() == 0.0);
  CHECK(hy[1].value() == 200.0);
  // at (-1, 2): f_xx = 2 - 400 (y - 3x^2) = 402, f_xy = -400 x = 400
  x.set(-1.0);
  y.set(2.0);
  CHECK(hx[0].value() == 402.0);
  CHECK(hx[1].value() == 400.0);
  CHECK(hy[0].value() == 400.0);
}

TEST_CASE("gradients: Hessian-vector products against central differences of the gradient") {
  gf::Graph g;
  const std::vector<gf::Node> x{g.input("x1", 0.3), g.input("x2", -0.7), g.input("x3", 1.1)};
  const auto f = tanh(x[0] * x[1]) + sigmoid(x[1] - x[2]) * x[0] + log(1.0 + x[2] * x[2]) +
                 sin(x[0]) * exp(x[2] / 3.0) + sqrt(1.0 + x[1] * x[1]);
  const auto grad = gf::gradients(f, x);
  const double v[3] = {0.6, -1.3, 0.25};
  const auto gv = gf::sum({grad[0] * v[0], grad[1] * v[1], grad[2] * v[2]});
  const auto hv = gf::gradients(gv, x);
  const double h = 1e-5;
  const double at[3] = {0.3, -0.7, 1.1};
  double plus[3], minus[3];
  for (const double s : {1.0, -1.0}) {
    for (std::size_t k = 0; k < 3; ++k) x[k].set(at[k] + s * h * v[k]);
    g.backward(f);  // the fast numeric path
    for (std::size_t k = 0; k < 3; ++k) (s > 0 ? plus : minus)[k] = x[k].grad();
  }
  for (std::size_t k = 0; k < 3; ++k) x[k].set(at[k]);
  for (std::size_t k = 0; k < 3; ++k) {
    CAPTURE(k);
    CHECK(near(hv[k].value(), (plus[k] - minus[k]) / (2 * h), 1e-7, 1e-8));
  }
}

TEST_CASE("gradients: the third derivative of x^4 at 2 is 48, the fourth 24, the fifth 0") {
  gf::Graph g;
  const auto x = g.input("x", 2.0);
  const auto y = pow(x, 4.0);
  const auto d1 = gf::gradient(y, x), d2 = gf::gradient(d1, x), d3 = gf::gradient(d2, x);
  const auto d4 = gf::gradient(d3, x), d5 = gf::gradient(d4, x);
  CHECK(d1.value() == 32.0);
  CHECK(d2.value() == 48.0);
  CHECK(d3.value() == 48.0);
  CHECK(d4.value() == 24.0);
  CHECK(d5.value() == 0.0);
  // the order of each recorded node
  REQUIRE(g.backward_of(d3.id()) != nullptr);
  CHECK(g.backward_of(d1.id())->order == 1);
  CHECK(g.backward_of(d3.id())->order == 3);
  CHECK(g.backward_of(x.id()) == nullptr);
  CHECK(g.backward_of(y.id()) == nullptr);
  x.set(-1.0);
  CHECK(d3.value() == -24.0);  // 24 x
}

TEST_CASE("gradients: a 10,000-node chain's second derivative, with no recursion") {
  // y = x^(p^n) through n pow nodes of exponent p: y'' = q (q - 1) x^(q - 2), q = p^n.
  const int n = 10000;
  const double p = 1.0001;
  gf::Graph g;
  const auto x = g.input("x", 1.5);
  gf::Node y = x;
  for (int k = 0; k < n; ++k) y = pow(y, p);
  const auto d1 = gf::gradient(y, x);
  const auto d2 = gf::gradient(d1, x);
  const long double q = std::pow(1.0001L, n);
  const double want = static_cast<double>(q * (q - 1) * std::pow(1.5L, q - 2));
  CHECK(near(d2.value(), want, 1e-9));
  g.backward(y);
  CHECK(d1.value() == x.grad());  // bit for bit
  g.backward(d1);
  CHECK(near(x.grad(), want, 1e-9));
}

TEST_CASE("gradients: first derivatives equal backward's bit for bit on random graphs") {
  for (std::uint32_t seed = 1; seed <= 20; ++seed) {
    CAPTURE(seed);
    std::mt19937 rng(seed);
    gf::Graph g;
    const auto pool = gf::testing::build_graph(g, rng, 6, 300, true);
    const auto root = pool.back() + pool[pool.size() - 3] * pool[pool.size() - 7];
    std::vector<gf::Node> leaves = g.inputs();
    for (const auto& p : g.parameters()) leaves.push_back(p);
    const auto d = gf::gradients(root, leaves);
    g.backward(root);
    for (std::size_t k = 0; k < leaves.size(); ++k) CHECK(d[k].value() == leaves[k].grad());
    // and the second derivatives: backward over d/dx0 equals gradients of d/dx0
    const auto h = gf::gradients(d[0], leaves);
    g.backward(d[0]);
    for (std::size_t k = 0; k < leaves.size(); ++k) CHECK(h[k].value() == leaves[k].grad());
  }
}

TEST_CASE("gradients: raw random graphs (domain errors, infinities): backward's bits or an Error") {
  std::size_t compared = 0;
  for (std::uint32_t seed = 1; seed <= 60; ++seed) {
    CAPTURE(seed);
    std::mt19937 rng(seed);
    gf::Graph g;
    try {
      (void)gf::testing::build_graph(g, rng, 4, 200, false);
    } catch (const gf::Error&) {
    }
    const gf::Node root = g.node(static_cast<gf::NodeId>(g.size() - 1));
    const std::vector<gf::Node> leaves = g.inputs();
    try {
      g.backward(root);
      bool finite = true;
      for (gf::NodeId i = 0; i < g.size(); ++i)
        finite = finite && (!g.reached(i) || std::isfinite(g.grad(i)));
      const std::vector<double> grad = g.workspace().grad;
      const std::size_t before = g.size();
      std::vector<gf::Node> d;
      try {
        d = gf::gradients(root, leaves);
      } catch (const gf::Error&) {
        CHECK(g.size() == before);  // nothing recorded
        continue;
      }
      if (!finite) continue;
      for (std::size_t k = 0; k < leaves.size(); ++k) CHECK(d[k].value() == grad[leaves[k].id()]);
      ++compared;
    } catch (const gf::Error&) {
    }
  }
  CHECK(compared > 20);
}

TEST_CASE("gradients: kink conventions carry over") {
  gf::Graph g(gf::Conventions{.relu_grad_at_zero = 0.25});
  const auto x = g.input("x", 0.0), b = g.input("b", 0.0);
  SUBCASE("relu' at 0 is the convention, relu'' is 0") {
    const auto d1 = gf::gradient(relu(x), x);
    CHECK(d1.value() == 0.25);
    CHECK(gf::gradient(d1, x).value() == 0.0);
    x.set(2.0);
    CHECK(d1.value() == 1.0);
    x.set(-2.0);
    CHECK(d1.value() == 0.0);
  }
  SUBCASE("step' stays 0, and so does step''") {
    const auto d1 = gf::gradient(step(x), x);
    CHECK(d1.value() == 0.0);
    CHECK(gf::gradient(d1, x).value() == 0.0);
  }
  SUBCASE("leaky_relu' is alpha at 0 and below, 1 above") {
    const auto d1 = gf::gradient(leaky_relu(x, 0.1), x);
    CHECK(d1.value() == 0.1);
    x.set(3.0);
    CHECK(d1.value() == 1.0);
    x.set(-3.0);
    CHECK(d1.value() == 0.1);
    CHECK(gf::gradient(d1, x).value() == 0.0);
  }
  SUBCASE("abs' is -1, 0 at 0, 1; abs'' = 0") {
    const auto d1 = gf::gradient(abs(x), x);
    CHECK(d1.value() == 0.0);
    x.set(-2.0);
    CHECK(d1.value() == -1.0);
    x.set(5.0);
    CHECK(d1.value() == 1.0);
    CHECK(gf::gradient(d1, x).value() == 0.0);
  }
  SUBCASE("min and max split a tie in halves") {
    const auto dmax = gf::gradients(max(x, b), {x, b});
    const auto dmin = gf::gradients(min(x, b), {x, b});
    CHECK(dmax[0].value() == 0.5);
    CHECK(dmax[1].value() == 0.5);
    CHECK(dmin[0].value() == 0.5);
    CHECK(dmin[1].value() == 0.5);
    x.set(1.0);
    CHECK(dmax[0].value() == 1.0);
    CHECK(dmax[1].value() == 0.0);
    CHECK(dmin[0].value() == 0.0);
    CHECK(dmin[1].value() == 1.0);
    CHECK(max(x, b).value() == 1.0);
    CHECK(min(x, b).value() == 0.0);
  }
  SUBCASE("clamp: 1 inside, 0 outside, 1/2 on a bound") {
    const auto c = clamp(x, -1.0, 2.0);
    const auto d1 = gf::gradient(c, x);
    x.set(0.5);
    CHECK(c.value() == 0.5);
    CHECK(d1.value() == 1.0);
    x.set(3.0);
    CHECK(c.value() == 2.0);
    CHECK(d1.value() == 0.0);
    x.set(-1.0);
    CHECK(d1.value() == 0.5);
    g.backward(c);
    CHECK(x.grad() == 0.5);
    CHECK_THROWS_AS(clamp(x, 2.0, 1.0), gf::UsageError);
  }
}

TEST_CASE("gradients: detach blocks exactly") {
  gf::Graph g;
  const auto x = g.input("x", 3.0);
  const auto y = x * detach(x);  // value x^2, derivative x (not 2x)
  CHECK(y.value() == 9.0);
  const auto d1 = gf::gradient(y, x);
  CHECK(d1.value() == 3.0);
  g.backward(y);
  CHECK(x.grad() == 3.0);
  CHECK(gf::gradient(d1, x).value() == 0.0);  // d1 = detach(x): a constant to derivatives
  CHECK(detach(x).local_derivative(0) == 0.0);
  // a term that only passes through detach gets an exact 0
  CHECK(gf::gradient(detach(x * x), x).value() == 0.0);
}

TEST_CASE("gradients: first-order-only rules and singular derivatives leave the graph as it was") {
  gf::Graph g(gf::Conventions{.step_gradient = gf::StepGradient::straight_through});
  const auto x = g.input("x", 0.5);
  const auto y = step(x) * 2.0;
  const std::size_t before = g.size();
  const std::size_t groups = g.groups().size();
  try {
    (void)gf::gradient(y, x);
    FAIL("no error");
  } catch (const gf::UsageError& e) {
    const std::string what = e.what();
    CHECK(what.find("straight-through") != std::string::npos);
    CHECK(what.find("first-order only") != std::string::npos);
    CHECK(what.find("step") != std::string::npos);
  }
  CHECK(g.size() == before);
  CHECK(g.groups().size() == groups);
  g.backward(y);  // backward still uses the surrogate
  CHECK(x.grad() == 2.0);

  x.set(0.0);
  const auto r = sqrt(x);
  const std::size_t before2 = g.size();
  CHECK_THROWS_AS((void)gf::gradient(r, x), gf::DomainError);
  CHECK(g.size() == before2);
  x.set(4.0);
  CHECK(gf::gradient(r, x).value() == 0.25);
  CHECK(g.backward_spans().back().end == g.size());

  gf::Graph other;
  const auto z = other.input("z", 1.0);
  CHECK_THROWS_AS((void)gf::gradient(y, z), gf::UsageError);
}

TEST_CASE("gradients: a node y does not depend on gets a constant 0, y itself gets 1") {
  gf::Graph g;
  const auto x = g.input("x", 1.0), u = g.input("u", 2.0);
  const auto y = exp(x);
  const auto d = gf::gradients(y, {u, y, x});
  CHECK(d[0].value() == 0.0);
  CHECK(d[0].kind() == gf::NodeKind::constant);
  CHECK(d[1].value() == 1.0);
  CHECK(d[2].value() == y.value());
}

TEST_CASE("gradients: the new ops pass gradcheck at first and second order") {
  gf::Graph g;
  const auto a = g.input("a", 0.7), b = g.input("b", 1.3), c = g.parameter("c", -0.4);
  const auto f = abs(c) * sin(a) + max(a, b) * cos(c) + min(a * b, 2.0) + clamp(b, 0.0, 1.0) +
                 sqrt(a + b) + pow(a, b) + pow(2.0, c);
  for (const int order : {1, 2}) {
    CAPTURE(order);
    const auto report = gf::gradcheck(g, f, gf::GradcheckOptions{.order = order});
    CHECK_MESSAGE(report.ok, report.summary(g));
    CHECK(report.entries.size() == (order == 1 ? 3u : 9u));
    for (const auto& e : report.entries) CHECK_FALSE(e.kink);
  }
}

TEST_CASE("gradients: dumps tell backward nodes apart and name the node each one differentiates") {
  gf::Graph g;
  const auto x = g.input("x", 0.5);
  const auto y = sigmoid(x * detach(x)).named("y");
  const auto d1 = gf::gradient(y, x).named("dy/dx");
  const std::string dot = gf::to_dot(g);
  // every node gradients() recorded is of class backward and says whose derivative it records
  for (gf::NodeId id = 0; id < g.size(); ++id) {
    const std::string head = fmt::format("{}[id=\"n{}\", class=\"", id, id);
    const auto at = dot.find(head);
    REQUIRE(at != std::string::npos);
    const std::string klass =
        dot.substr(at + head.size(), dot.find('"', at + head.size()) - at - head.size());
    CAPTURE(id);
    CHECK((klass.find("backward") != std::string::npos) == (g.backward_of(id) != nullptr));
  }
  CHECK(g.backward_of(d1.id())->of == y.operand(0).id());  // the product's rule made it
  CHECK(dot.find("of y #" + std::to_string(y.id()) + "<") != std::string::npos);
  // an unnamed node is named by its op and id (views/names.hpp): "× #2"
  CHECK(dot.find(fmt::format("of &#215; #{}<", y.operand(0).id())) != std::string::npos);
  CHECK(dot.find("cluster backward") != std::string::npos);
  CHECK(dot.find("recorded by gradients()") != std::string::npos);
  // detach's edge is drawn as detached, not as an accidental block
  CHECK(dot.find("class=\"blocked detached\"") != std::string::npos);
}

TEST_CASE("gradients: a recorded derivative steps like any graph") {
  gf::Graph g;
  const auto x = g.input("x", 0.3);
  const auto y = tanh(x) * sigmoid(x);
  const auto d1 = gf::gradient(y, x);
  g.backward(d1);
  const double d2 = x.grad();
  // (tanh s)'' = tanh'' s + 2 tanh' s' + tanh s'' at 0.3, closed form
  const double t = std::tanh(0.3), s = 1 / (1 + std::exp(-0.3));
  const double want =
      -2 * t * (1 - t * t) * s + 2 * (1 - t * t) * s * (1 - s) + t * s * (1 - s) * (1 - 2 * s);
  CHECK(near(d2, want, 1e-14));
  gf::Stepper st(g, d1);
  while (st.next()) {
  }
  CHECK(st.gradients()[x.id()] == d2);
  CHECK(st.size() > 5);
}

TEST_CASE("gradients: the Executor runs the new ops and recorded derivatives as backward does") {
  gf::Graph g;
  const auto a = g.input("a", 0.5), b = g.input("b", 1.2);
  const auto f = abs(a - 0.3) * sin(b) + max(a, b) * cos(a) + min(a, b * 0.5) +
                 clamp(a, -1.0, 1.0) + sqrt(b) + pow(b, a) + detach(a) * b + heaviside(a);
  const auto d = gf::gradient(f, a);  // includes heaviside, constants, power, log
  const std::size_t n = 7;
  std::vector<double> as, bs;
  for (std::size_t s = 0; s < n; ++s) {
    as.push_back(-1.3 + 0.41 * static_cast<double>(s));
    bs.push_back(0.35 + 0.27 * static_cast<double>(s));
  }
  for (const gf::Node root : {f, d}) {
    gf::Executor ex(g, root, n);
    ex.set_input(a, as);
    ex.set_input(b, bs);
    ex.run();
    for (std::size_t s = 0; s < n; ++s) {
      CAPTURE(s);
      a.set(as[s]);
      b.set(bs[s]);
      g.backward(root);
      CHECK(ex.value(root, s) == doctest::Approx(root.value()).epsilon(1e-12));
      CHECK(ex.grad(a, s) == doctest::Approx(a.grad()).epsilon(1e-12));
      CHECK(ex.grad(b, s) == doctest::Approx(b.grad()).epsilon(1e-12));
    }
  }
}

TEST_CASE("gradients: gradcheck at order 2 names both nodes of a mismatch") {
  // detach is 0 by definition, so finite differences disagree on purpose: x * detach(x) has
  // derivative x (reverse mode) where the values move like x^2 (2x), and d/dx of that
  // derivative is 0 where its values move like x (1).
  gf::Graph g;
  const auto x = g.input("x", 1.5), u = g.input("u", 0.5);
  const auto f = (x * detach(x)).named("f") + u * u;
  const auto first = gf::gradcheck(g, f, std::vector<gf::Node>{x, u});
  CHECK_FALSE(first.ok);
  REQUIRE(first.worst == 0);
  CHECK(first.entries[0].analytic == 1.5);
  CHECK(first.entries[0].numeric == doctest::Approx(3.0));
  CHECK(first.entries[1].ok);
  const auto second = gf::gradcheck(g, f, std::vector<gf::Node>{x, u}, {.order = 2});
  CHECK_FALSE(second.ok);
  REQUIRE(second.entries.size() == 4);
  CHECK(second.entries[0].first == x.id());
  CHECK(second.entries[0].node == x.id());
  CHECK(second.entries[0].analytic == 0.0);
  CHECK(second.entries[0].numeric == doctest::Approx(1.0));
  CHECK(second.entries[3].analytic == 2.0);  // d2/du2 of u^2
  CHECK(second.entries[3].ok);
  CHECK(second.worst == 0);
  CHECK(second.summary(g).find("mismatch at 'x' (#0, input) and 'x'") != std::string::npos);
  CHECK_THROWS_AS(gf::gradcheck(g, f, {.order = 3}), gf::UsageError);
}
