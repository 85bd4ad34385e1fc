// What a new user tripped over (issue 12): each case failed before its fix.
#include <cmath>
#include <map>
#include <sstream>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include <gradflow/engine/stepper.hpp>
#include <gradflow/graph/graph.hpp>
#include <gradflow/ops/errors.hpp>

namespace gf = gradflow;

TEST_CASE("set out of an op's domain: unrelated nodes still read and record") {
  gf::Graph g;
  const auto x = g.input("x", 2.0);
  const auto u = g.input("u", 3.0);
  const auto lx = log(x).named("log x");
  const auto y = lx * 2.0;
  const auto v = (u * u).named("v");  // does not depend on x
  x.set(-1.0);
  CHECK(v.value() == 9.0);           // unrelated: reads normally
  CHECK((v + 1.0).value() == 10.0);  // and records normally
  CHECK(u.value() == 3.0);
  try {
    (void)y.value();  // depends on the failure: throws and names the failing node
    FAIL("no DomainError");
  } catch (const gf::DomainError& e) {
    CHECK(std::string(e.what()).find("'log x'") != std::string::npos);
    CHECK(e.node == lx.id());
    CHECK(e.value == -1.0);
  }
  CHECK_THROWS_AS(lx.value(), gf::DomainError);
  CHECK_THROWS_AS(g.backward(y), gf::DomainError);
  CHECK_THROWS_AS(y + 1.0, gf::DomainError);  // recording on top of the failure: nothing recorded
  g.backward(v);                              // a root that does not depend on it
  CHECK(u.grad() == 6.0);
  CHECK_THROWS_AS(g.forward(), gf::DomainError);  // an explicit forward reports it
  x.set(4.0);                                     // back in the domain: all is well again
  CHECK(y.value() == doctest::Approx(2.0 * std::log(4.0)));
  g.backward(y);
  CHECK(x.grad() == doctest::Approx(0.5));
}

TEST_CASE("changing a convention re-evaluates before the next read") {
  gf::Graph g;
  const auto z = g.input("z", 0.0);
  const auto y = step(z) * 3.0;
  CHECK(y.value() == 3.0);  // step(0) = 1 by default
  g.conventions().step_at_zero = 0.0;
  CHECK(y.value() == 0.0);
  g.conventions().relu_grad_at_zero = 1.0;
  const auto r = relu(z);
  g.backward(r);
  CHECK(z.grad() == 1.0);
}

TEST_CASE("an empty name gives the #id label back") {
  gf::Graph g;
  const auto a = g.input("a", 1.0);
  CHECK(a.label() == "a");
  a.named("");
  CHECK(a.label() == "#0");
  CHECK(a.name().empty());
}

TEST_CASE("check mode while recording names the operands, not a node never recorded") {
  gf::Graph g;
  g.set_check_finite(true);
  const auto a = g.input("a", 1e308);
  const auto b = g.input("b", 10.0);
  const std::size_t n = g.size();
  try {
    (void)(a * b);
    FAIL("no NumericError");
  } catch (const gf::NumericError& e) {
    const std::string what = e.what();
    CHECK(
        what.find("building mul of 'a' (#0, input) = 1e+308 and 'b' (#1, input) = 10 gives inf") !=
        std::string::npos);
    CHECK(what.find("not recorded") != std::string::npos);
    CHECK(what.find("#2") == std::string::npos);
  }
  CHECK(g.size() == n);
}

TEST_CASE("a group not closed holds every node recorded since it opened") {
  gf::Graph g;
  const auto x = g.input("x", 1.0);
  g.begin_group("n", "neuron");
  const auto y = x * 2.0;
  const auto z = y + 1.0;
  REQUIRE(g.groups().size() == 1);
  CHECK(g.groups()[0].begin == y.id() - 1);  // the constant 2 is the group's first node
  CHECK(g.groups()[0].end == z.id() + 1);
  g.end_group();
  (void)(z * 3.0);
  CHECK(g.groups()[0].end == z.id() + 1);  // closed: later nodes are not in it
}

TEST_CASE("nodes print, format, hash, order and take every compound assignment") {
  gf::Graph g;
  auto a = g.input("a", 6.0);
  const auto b = g.input("b", 2.0);
  std::ostringstream out;
  out << a;
  CHECK(out.str() == "'a' (#0, input) = 6");
  CHECK(fmt::format("{}", b) == "'b' (#1, input) = 2");
  CHECK(fmt::format("{}", gf::Node{}) == "<empty node>");
  CHECK(a < b);
  CHECK_FALSE(b < a);
  std::unordered_set<gf::Node> set{a, b, a};
  CHECK(set.size() == 2);
  std::map<gf::Node, int> map{{b, 2}, {a, 1}};
  CHECK(map.begin()->first == a);
  auto c = a;
  c -= 1.0;  // 5
  c /= b;    // 2.5
  c /= 0.5;  // 5
  c -= b;    // 3
  CHECK(c.value() == 3.0);
  g.backward(c);
  CHECK(a.grad() == doctest::Approx(1.0));   // d/da ((a - 1) / b / 0.5 - b) = 1 / (b * 0.5)
  CHECK(b.grad() == doctest::Approx(-3.5));  // -(a - 1) / (0.5 b²) - 1 = -5 / 2 - 1
}

TEST_CASE("the stepper checks the ids it is asked about") {
  gf::Graph g;
  const auto x = g.input("x", 1.0);
  const auto y = x * 3.0;
  gf::Stepper s(g, y);
  CHECK(s.value(x.id()) == 1.0);
  CHECK_THROWS_AS((void)s.grad(99), gf::UsageError);
  CHECK_THROWS_AS((void)s.value(99), gf::UsageError);
  (void)(y + 1.0);  // the graph grows after the pass was recorded
  CHECK_THROWS_AS((void)s.grad(static_cast<gf::NodeId>(g.size() - 1)), gf::UsageError);
}

namespace {
// A factory: the graph and its handles come back together.
struct Built {
  gf::Graph g;
  gf::Node x, y;
};
Built make_square(double v) {
  Built b;
  b.x = b.g.input("x", v);
  b.y = b.x * b.x;
  return b;
}
}  // namespace

TEST_CASE("a graph moves, handles follow it, and clone() copies it") {
  Built b = make_square(3.0);
  CHECK(b.y.value() == 9.0);
  b.g.backward(b.y);
  CHECK(b.x.grad() == 6.0);
  CHECK(&b.x.graph() == &b.g);

  std::vector<gf::Graph> graphs;
  gf::Node kept;
  for (int i = 0; i < 20; ++i) {  // reallocations move the graphs again and again
    gf::Graph g;
    const auto a = g.input("a", i);
    const auto s = a * 2.0 + 1.0;
    if (i == 0) kept = s;
    graphs.push_back(std::move(g));
    CHECK(g.size() == 0);  // the moved-from graph is empty and usable
    CHECK(g.input("again", 1.0).value() == 1.0);
  }
  CHECK(&kept.graph() == &graphs[0]);
  CHECK(kept.value() == 1.0);
  graphs[0].node(0).set(5.0);
  CHECK(kept.value() == 11.0);

  gf::Graph copy = b.g.clone();
  CHECK(copy.size() == b.g.size());
  copy.node(b.x.id()).set(10.0);
  CHECK(copy.node(b.y.id()).value() == 100.0);
  CHECK(b.y.value() == 9.0);  // the original is untouched and its handles still point at it
  CHECK(&b.y.graph() == &b.g);
  CHECK(copy.node(b.x.id()).grad() == 6.0);  // gradients are copied too
  CHECK(copy.node(b.y.id()) != b.y);         // handles of two graphs differ
  CHECK_THROWS_AS(b.y + copy.node(b.x.id()), gf::UsageError);
}

TEST_CASE("a const graph hands out handles and unnamed leaves need no name") {
  gf::Graph g;
  const auto x = g.input(2.0);
  const auto w = g.parameter(0.5).named("w");
  (void)(x * w);
  const gf::Graph& cg = g;
  CHECK(cg.node(0) == x);
  CHECK(cg.find("w") == w);
  CHECK(cg.parameters() == std::vector<gf::Node>{w});
  CHECK(cg.inputs() == std::vector<gf::Node>{x});
  CHECK(x.label() == "#0");
  CHECK_THROWS_AS(cg.node(99), gf::UsageError);
}

TEST_CASE("empty handles and nodes of two graphs are named in the error") {
  gf::Graph g, other;
  const auto x = g.input("x", 1.0);
  const auto y = other.input("y", 2.0);
  const gf::Node empty;
  CHECK_THROWS_WITH_AS(empty * x, doctest::Contains("mul: an operand is an empty handle"),
                       gf::UsageError);
  CHECK_THROWS_WITH_AS(tanh(empty), doctest::Contains("tanh: an operand is an empty handle"),
                       gf::UsageError);
  CHECK_THROWS_WITH_AS(empty + 1.0, doctest::Contains("add: an operand is an empty handle"),
                       gf::UsageError);
  CHECK_THROWS_WITH_AS(x * y, doctest::Contains("node 'y' (#0, input) belongs to another graph"),
                       gf::UsageError);
}
