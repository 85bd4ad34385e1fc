// Every op: forward against the C++ standard library, local derivative against central finite
// differences of the graph's own forward, on many points including extremes. Kinks are skipped
// here and pinned by the convention tests below.
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include <doctest/doctest.h>

#include <gradflow/graph/graph.hpp>
#include <gradflow/ops/errors.hpp>

namespace gf = gradflow;

namespace {

// Central difference of f at x with a step relative to |x|; f evaluates through the graph.
// Near a kink at `kink` the step shrinks so that it never straddles it.
double central_difference(const std::function<double(double)>& f, double x,
                          double kink = std::numeric_limits<double>::quiet_NaN()) {
  double h = 1e-6 * std::max(1.0, std::abs(x));
  if (!std::isnan(kink)) h = std::min(h, std::abs(x - kink) / 2);
  return (f(x + h) - f(x - h)) / (2.0 * h);
}

// gradcheck's tolerance (PyTorch: atol 1e-5, rtol 1e-3), tightened where doubles allow.
void check_close(double analytic, double numeric) {
  CHECK(std::abs(analytic - numeric) <= 1e-5 + 1e-4 * std::abs(numeric));
}

struct UnaryCase {
  const char* name;
  std::function<gf::Node(gf::Node)> build;
  std::function<double(double)> reference;
  std::vector<double> points;
  bool kink_at_zero = false;
};

}  // namespace

TEST_CASE("unary ops: values match the standard library, derivatives match finite differences") {
  const std::vector<UnaryCase> cases = {
      {"neg", [](gf::Node x) { return -x; }, [](double x) { return -x; }, {-3, -0.5, 0.25, 7}},
      {"exp",
       [](gf::Node x) { return gf::exp(x); },
       [](double x) { return std::exp(x); },
       {-30, -2, -0.1, 0, 0.7, 3, 20}},
      {"log",
       [](gf::Node x) { return gf::log(x); },
       [](double x) { return std::log(x); },
       {1e-3, 0.2, 1, 2.5, 1e6}},
      {"pow 3",
       [](gf::Node x) { return gf::pow(x, 3); },
       [](double x) { return x * x * x; },
       {-2, -0.3, 0.4, 1.5}},
      {"pow -1.5",
       [](gf::Node x) { return gf::pow(x, -1.5); },
       [](double x) { return 1.0 / (x * std::sqrt(x)); },
       {0.1, 1, 4}},
      {"pow 0.5",
       [](gf::Node x) { return gf::pow(x, 0.5); },
       [](double x) { return std::sqrt(x); },
       {0.01, 2, 9}},
      {"sigmoid",
       [](gf::Node x) { return gf::sigmoid(x); },
       [](double x) { return 1.0 / (1.0 + std::exp(-x)); },
       {-700, -40, -5, -1, -1e-9, 0, 1e-9, 0.3, 2, 40, 700}},
      {"tanh",
       [](gf::Node x) { return gf::tanh(x); },
       [](double x) { return std::tanh(x); },
       {-400, -20, -1, -1e-9, 0, 0.5, 3, 20, 400}},
      {"relu",
       [](gf::Node x) { return gf::relu(x); },
       [](double x) { return x > 0 ? x : 0.0; },
       {-1e300, -3, -1e-9, 1e-9, 0.5, 1e300},
       true},
      {"leaky_relu",
       [](gf::Node x) { return gf::leaky_relu(x, 0.1); },
       [](double x) { return x > 0 ? x : 0.1 * x; },
       {-1e10, -3, -1e-9, 1e-9, 4},
       true},
      {"step",
       [](gf::Node x) { return gf::step(x); },
       [](double x) { return x > 0 ? 1.0 : 0.0; },
       {-5, -1e-9, 1e-9, 5},
       true},
      {"identity",
       [](gf::Node x) { return gf::identity(x); },
       [](double x) { return x; },
       {-2, 0, 3}},
  };
  for (const auto& c : cases) {
    for (const double p : c.points) {
      CAPTURE(c.name);
      CAPTURE(p);
      gf::Graph g;
      const auto x = g.input("x", p);
      const auto y = c.build(x);
      CHECK(y.value() == doctest::Approx(c.reference(p)).epsilon(1e-12));
      g.backward(y);
      CHECK(y.local_derivative(0) == x.grad());  // one edge: the local derivative is the gradient
      const double numeric = central_difference(
          [&](double v) {
            x.set(v);
            return y.value();
          },
          p, c.kink_at_zero ? 0.0 : std::numeric_limits<double>::quiet_NaN());
      check_close(x.grad(), numeric);
    }
  }
}

TEST_CASE("binary ops: both partial derivatives match finite differences") {
  struct BinaryCase {
    const char* name;
    std::function<gf::Node(gf::Node, gf::Node)> build;
    std::function<double(double, double)> reference;
  };
  const std::vector<BinaryCase> cases = {
      {"add", [](gf::Node a, gf::Node b) { return a + b; }, std::plus<>()},
      {"sub", [](gf::Node a, gf::Node b) { return a - b; }, std::minus<>()},
      {"mul", [](gf::Node a, gf::Node b) { return a * b; }, std::multiplies<>()},
      {"div", [](gf::Node a, gf::Node b) { return a / b; }, std::divides<>()},
      {"bias", [](gf::Node a, gf::Node b) { return gf::bias(a, b); }, std::plus<>()},
  };
  const double points[][2] = {{-3, 2}, {0.5, -0.25}, {1e6, 3e-3}, {-7e-4, 11}, {2, 2}};
  for (const auto& c : cases) {
    for (const auto& p : points) {
      CAPTURE(c.name);
      CAPTURE(p[0]);
      CAPTURE(p[1]);
      gf::Graph g;
      const auto a = g.input("a", p[0]);
      const auto b = g.input("b", p[1]);
      const auto y = c.build(a, b);
      CHECK(y.value() == doctest::Approx(c.reference(p[0], p[1])).epsilon(1e-14));
      g.backward(y);
      check_close(a.grad(), central_difference(
                                [&](double v) {
                                  a.set(v);
                                  return y.value();
                                },
                                p[0]));
      a.set(p[0]);
      check_close(b.grad(), central_difference(
                                [&](double v) {
                                  b.set(v);
                                  return y.value();
                                },
                                p[1]));
    }
  }
}

TEST_CASE("sum: one node, every local derivative 1, repeated operands counted") {
  gf::Graph g;
  const auto a = g.input("a", 2), b = g.input("b", -3), c = g.input("c", 0.5);
  const auto s = gf::sum({a, b, c, a});
  CHECK(s.value() == 1.5);
  CHECK(s.operand_count() == 4);
  g.backward(s);
  CHECK(a.grad() == 2.0);
  CHECK(b.grad() == 1.0);
  CHECK(c.grad() == 1.0);
  for (std::size_t k = 0; k < 4; ++k) CHECK(s.local_derivative(k) == 1.0);
}

TEST_CASE("hand-derived derivatives") {
  gf::Graph g;
  const auto x = g.input("x", 0.0);
  SUBCASE("sigmoid' is 0.25 at 0, its maximum") {
    const auto y = gf::sigmoid(x);
    g.backward(y);
    CHECK(y.value() == 0.5);
    CHECK(x.grad() == 0.25);
    for (const double v : {-2.0, -0.5, 0.1, 1.0, 3.0}) {
      x.set(v);
      g.backward(y);
      CHECK(x.grad() < 0.25);
    }
  }
  SUBCASE("tanh' is 1 at 0") {
    const auto y = gf::tanh(x);
    g.backward(y);
    CHECK(x.grad() == 1.0);
  }
  SUBCASE("div: d(a/b)/db = -a/b^2") {
    const auto b = g.input("b", 4.0);
    x.set(3.0);
    const auto y = x / b;
    g.backward(y);
    CHECK(b.grad() == doctest::Approx(-3.0 / 16.0));
    CHECK(x.grad() == 0.25);
  }
  SUBCASE("pow with a negative base and an integer exponent") {
    x.set(-2.0);
    const auto y = gf::pow(x, 3);
    g.backward(y);
    CHECK(y.value() == -8.0);
    CHECK(x.grad() == 12.0);
  }
  SUBCASE("pow with exponent 0 at 0 has derivative 0, not NaN") {
    const auto y = gf::pow(x, 0);
    g.backward(y);
    CHECK(y.value() == 1.0);
    CHECK(x.grad() == 0.0);
  }
}

TEST_CASE("extremes: activations stay finite and exact at +-1e308 and denormals") {
  const double big = 1e308, tiny = std::numeric_limits<double>::denorm_min();
  gf::Graph g;
  const auto x = g.input("x", big);
  const auto s = gf::sigmoid(x), t = gf::tanh(x), r = gf::relu(x);
  const auto l = gf::leaky_relu(x, 0.01), h = gf::step(x);
  struct Expect {
    double x, sigmoid, tanh, relu, leaky, step;
  };
  for (const Expect& e :
       {Expect{big, 1, 1, big, big, 1}, Expect{-big, 0, -1, 0, -0.01 * big, 0},
        Expect{tiny, 0.5, tiny, tiny, tiny, 1}, Expect{-tiny, 0.5, -tiny, 0, -0.0, 0}}) {
    CAPTURE(e.x);
    x.set(e.x);
    CHECK(s.value() == e.sigmoid);
    CHECK(t.value() == e.tanh);
    CHECK(r.value() == e.relu);
    CHECK(l.value() == doctest::Approx(e.leaky));
    CHECK(h.value() == e.step);
    for (const gf::Node y : {s, t, r, l, h}) {
      g.backward(y);
      CHECK(std::isfinite(x.grad()));
    }
  }
  x.set(big);
  g.backward(s);
  CHECK(x.grad() == 0.0);  // saturated: the gradient vanishes exactly
  g.backward(t);
  CHECK(x.grad() == 0.0);
}

TEST_CASE("kink conventions") {
  gf::Graph g;
  const auto x = g.input("x", 0.0);
  SUBCASE("relu'(0) is 0 by default, as PyTorch, and configurable") {
    const auto y = gf::relu(x);
    g.backward(y);
    CHECK(y.value() == 0.0);
    CHECK(x.grad() == 0.0);
    g.conventions().relu_grad_at_zero = 1.0;
    g.backward(y);
    CHECK(x.grad() == 1.0);
    g.conventions().relu_grad_at_zero = 0.5;
    g.backward(y);
    CHECK(x.grad() == 0.5);
  }
  SUBCASE("step(0) fires by default (z reaches the threshold); configurable") {
    const auto y = gf::step(x);
    CHECK(y.value() == 1.0);
    g.conventions().step_at_zero = 0.5;
    g.forward();
    CHECK(y.value() == 0.5);
  }
  SUBCASE("step's derivative is exactly 0, also at 0 unless chosen otherwise") {
    const auto y = gf::step(x);
    for (const double v : {-3.0, 0.0, 2.0}) {
      x.set(v);
      g.backward(y);
      CHECK(x.grad() == 0.0);
    }
    x.set(0.0);
    g.conventions().step_grad_at_zero = 1.0;
    g.backward(y);
    CHECK(x.grad() == 1.0);
  }
  SUBCASE("straight-through and sigmoid surrogate for step") {
    const auto y = gf::step(x);
    x.set(2.0);
    g.conventions().step_gradient = gf::StepGradient::straight_through;
    g.backward(y);
    CHECK(x.grad() == 1.0);
    CHECK(y.value() == 1.0);  // the forward pass is still the step
    g.conventions().step_gradient = gf::StepGradient::sigmoid_surrogate;
    g.backward(y);
    const double s = 1.0 / (1.0 + std::exp(-2.0));
    CHECK(x.grad() == doctest::Approx(s * (1 - s)));
  }
  SUBCASE("leaky_relu'(0) is its slope") {
    const auto y = gf::leaky_relu(x, 0.2);
    g.backward(y);
    CHECK(x.grad() == 0.2);
  }
}

TEST_CASE("NaN propagates through every activation (IEEE), never turns into a number") {
  gf::Graph g;
  const auto x = g.input("x", std::numeric_limits<double>::quiet_NaN());
  for (const gf::Node y : {gf::sigmoid(x), gf::tanh(x), gf::relu(x), gf::leaky_relu(x), gf::step(x),
                           gf::exp(x), x * 2.0})
    CHECK(std::isnan(y.value()));
}
