// Every error path: a clear exception naming node, op and value; the graph stays usable.
#include <cmath>
#include <limits>
#include <string>

#include <doctest/doctest.h>

#include <gradflow/graph/graph.hpp>
#include <gradflow/ops/errors.hpp>

namespace gf = gradflow;

namespace {
// The message of the exception `f` throws, checked to be of type E.
template <class E, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  FAIL("expected an exception");
  return {};
}
bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}
}  // namespace

TEST_CASE("domain errors while building name the op, the operand and its value") {
  gf::Graph g;
  const auto x = g.input("x", -1.0);
  const auto zero = g.input("zero", 0.0);
  const std::size_t before = g.size();
  SUBCASE("log of a negative value") {
    const auto m = message_of<gf::DomainError>([&] { (void)log(x); });
    CHECK(contains(m, "log"));
    CHECK(contains(m, "'x'"));
    CHECK(contains(m, "-1"));
    CHECK(contains(m, "positive"));
  }
  SUBCASE("log of zero") { CHECK_THROWS_AS((void)log(zero), gf::DomainError); }
  SUBCASE("division by zero") {
    const auto m = message_of<gf::DomainError>([&] { (void)(x / zero); });
    CHECK(contains(m, "div"));
    CHECK(contains(m, "'zero'"));
    CHECK(contains(m, "division by zero"));
  }
  SUBCASE("negative base, non-integer exponent") {
    const auto m = message_of<gf::DomainError>([&] { (void)pow(x, 0.5); });
    CHECK(contains(m, "pow"));
    CHECK(contains(m, "non-integer"));
    CHECK(contains(m, "0.5"));
  }
  SUBCASE("zero to a negative power") { CHECK_THROWS_AS((void)pow(zero, -1), gf::DomainError); }
  CHECK(g.size() == before);  // nothing was recorded
  const auto y = x * 3 + 1;   // and the graph still works
  g.backward(y);
  CHECK(y.value() == -2.0);
  CHECK(x.grad() == 3.0);
}

TEST_CASE("a domain error during re-evaluation names the node and fixing the input recovers") {
  gf::Graph g;
  const auto x = g.input("x", 2.0);
  const auto y = log(x).named("loss");
  x.set(-3.0);
  const auto m = message_of<gf::DomainError>([&] { g.forward(); });
  CHECK(contains(m, "'loss'"));
  CHECK(contains(m, "log"));
  CHECK(contains(m, "-3"));
  try {
    g.forward();
  } catch (const gf::DomainError& e) {
    CHECK(e.node == y.id());
    CHECK(e.op == gf::Op::log);
    CHECK(e.value == -3.0);
  }
  x.set(std::exp(1.0));
  g.backward(y);
  CHECK(y.value() == doctest::Approx(1.0));
  CHECK(x.grad() == doctest::Approx(std::exp(-1.0)));
}

TEST_CASE("wrong handles") {
  gf::Graph g, other;
  const auto x = g.input("x", 1.0);
  const auto o = other.input("o", 2.0);
  SUBCASE("default-constructed") {
    gf::Node empty;
    CHECK_FALSE(empty.valid());
    CHECK(contains(message_of<gf::UsageError>([&] { (void)(empty + 1.0); }), "empty"));
    CHECK_THROWS_AS(g.backward(empty), gf::UsageError);
    CHECK_THROWS_AS((void)empty.value(), gf::UsageError);
  }
  SUBCASE("from another graph") {
    CHECK(contains(message_of<gf::UsageError>([&] { (void)(x * o); }), "another graph"));
    CHECK_THROWS_AS(g.backward(o), gf::UsageError);
  }
  SUBCASE("a node that does not exist") {
    CHECK(contains(message_of<gf::UsageError>([&] { g.backward(gf::Node(g, 99)); }), "#99"));
    CHECK_THROWS_AS((void)g.node(5), gf::UsageError);
    CHECK_THROWS_AS((void)g.find("nope"), gf::UsageError);
  }
  SUBCASE("setting an op node") {
    const auto y = (x * 2).named("y");
    const auto m = message_of<gf::UsageError>([&] { y.set(4.0); });
    CHECK(contains(m, "'y'"));
    CHECK(contains(m, "mul"));
  }
  SUBCASE("wrong arity or a leaf op through apply") {
    CHECK_THROWS_AS((void)g.apply(gf::Op::add, {x}), gf::UsageError);
    CHECK_THROWS_AS((void)g.apply(gf::Op::input, {}), gf::UsageError);
    CHECK_THROWS_AS((void)gf::sum(std::span<const gf::Node>{}), gf::UsageError);
  }
  const auto y = x + 1;  // still usable
  g.backward(y);
  CHECK(x.grad() == 1.0);
}

TEST_CASE("check mode reports the first node whose value or gradient is not finite") {
  gf::Graph g;
  g.set_check_finite(true);
  const auto x = g.input("x", 1.0);
  SUBCASE("overflow while building") {
    const auto big = g.input("big", 1000.0);
    const auto m = message_of<gf::NumericError>([&] { (void)exp(big); });
    CHECK(contains(m, "exp"));
    CHECK(contains(m, "inf"));
  }
  SUBCASE("a NaN input during re-evaluation is named") {
    const auto y = tanh(x * 2).named("y");
    (void)y;
    x.set(std::numeric_limits<double>::quiet_NaN());
    try {
      g.forward();
      FAIL("no exception");
    } catch (const gf::NumericError& e) {
      CHECK(e.node == x.id());
      CHECK_FALSE(e.in_gradient);
      CHECK(contains(e.what(), "'x'"));
    }
  }
  SUBCASE("an infinite gradient") {
    const auto r = g.input("r", 0.0);
    const auto y = pow(r, 0.5).named("sqrt");
    try {
      g.backward(y);
      FAIL("no exception");
    } catch (const gf::NumericError& e) {
      CHECK(e.node == r.id());
      CHECK(e.in_gradient);
    }
  }
  SUBCASE("without check mode, values propagate per IEEE") {
    g.set_check_finite(false);
    const auto big = g.input("big", 1000.0);
    const auto y = exp(big);
    CHECK(std::isinf(y.value()));
  }
}

TEST_CASE("a handle that outlives its graph is caught where handle checks are on") {
  gf::Node dangling;
  {
    gf::Graph g;
    dangling = g.input("x", 1.0);
    CHECK(dangling.value() == 1.0);
  }
#ifdef GRADFLOW_CHECK_HANDLES
  const auto m = message_of<gf::UsageError>([&] { (void)dangling.value(); });
  CHECK(contains(m, "destroyed"));
  CHECK(contains(m, "#0"));
  CHECK_THROWS_AS((void)(dangling * 2.0), gf::UsageError);
#endif  // elsewhere using it is undefined behaviour, as documented
}
