// The backward stepper: equivalence with Graph::backward, records, stepping back, jumps, hooks,
// and the kink conventions seen through it.
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <gradflow/engine/diagnostics.hpp>
#include <gradflow/engine/stepper.hpp>
#include <gradflow/graph/graph.hpp>
#include <gradflow/ops/errors.hpp>
#include <tutorial/neuron.hpp>

#include <fixtures/random_graph.hpp>

namespace gf = gradflow;

namespace {

using gf::tutorial::neuron;

// Every node's gradient after the stepper's last step equals Graph::backward's, bit for bit.
void check_replay_equals_backward(gf::Graph& g, gf::Node root) {
  gf::Stepper s(g, root);
  while (s.next()) {
  }
  CHECK(s.at_end());
  g.backward(root);
  for (gf::NodeId i = 0; i < g.size(); ++i) {
    INFO("node #" << i);
    const double a = s.grad(i), b = g.grad(i);
    CHECK((a == b || (std::isnan(a) && std::isnan(b))));
    CHECK(g.reached(i) == (s.index_of(i) != gf::Stepper::npos));
  }
}

}  // namespace

TEST_CASE("stepper: replaying every step gives exactly Graph::backward's gradients") {
  SUBCASE("the neuron with each activation") {
    for (auto op : {gf::Op::step, gf::Op::sigmoid, gf::Op::tanh, gf::Op::relu}) {
      gf::Graph g;
      check_replay_equals_backward(g, neuron(g, op));
    }
  }
  SUBCASE("micrograd's expression, with node reuse") {
    gf::Graph g;
    const auto x = g.input("x", -4.0);
    const auto z = 2 * x + 2 + x;
    const auto q = relu(z) + z * x;
    const auto h = relu(z * z);
    const auto y = h + q + q * x;
    check_replay_equals_backward(g, y);
    CHECK(x.grad() == 46.0);
  }
  SUBCASE("random graphs, safe and unsafe (NaN and infinities included)") {
    std::mt19937 rng(8);
    for (int trial = 0; trial < 40; ++trial) {
      gf::Graph g;
      std::vector<gf::Node> pool;
      auto next = [&] { return static_cast<std::uint32_t>(rng()); };
      try {
        pool = gf::testing::build_graph(g, next, 6, 60, trial % 2 == 0);
      } catch (const gf::DomainError&) {
        continue;  // unsafe mode may hit log(-1) while building; nothing to step through
      }
      INFO("trial " << trial);
      check_replay_equals_backward(g, pool.back());
      check_replay_equals_backward(g, pool[pool.size() / 2]);
    }
  }
}

TEST_CASE("stepper: the sigmoid neuron's records worked out by hand") {
  gf::Graph g;
  const auto y = neuron(g, gf::Op::sigmoid);
  gf::Stepper s(g, y);
  // Every node reaches y: 13 steps, in reverse id order.
  REQUIRE(s.size() == 13);
  for (std::size_t k = 0; k < 13; ++k) CHECK(s.at(k).node == 12 - k);

  const double sy = 1.0 / (1.0 + std::exp(-0.2));  // sigmoid(0.2) = 0.549833997...
  const double ds = sy * (1.0 - sy);               // 0.247516572...
  CHECK(ds == doctest::Approx(0.2475165727).epsilon(1e-9));

  const auto s0 = s.current();
  CHECK(s0.index == 0);
  CHECK(s0.op == gf::Op::sigmoid);
  CHECK(s0.value == doctest::Approx(sy));
  CHECK(s0.upstream == 1.0);
  CHECK(s0.passed == 1.0);
  REQUIRE(s0.edges.size() == 1);
  CHECK(s0.edges[0].operand == g.find("z+b").id());
  CHECK(s0.edges[0].edge == g.first_operand(12));
  CHECK(s0.edges[0].local_derivative == doctest::Approx(ds));
  CHECK(s0.edges[0].contribution == doctest::Approx(ds));
  CHECK(s0.edges[0].grad_before == 0.0);
  CHECK(s0.edges[0].grad_after == doctest::Approx(ds));

  // BackwardStep 1, the bias node: passes ds to z and to b, both local derivatives 1.
  REQUIRE(s.next());
  const auto s1 = s.current();
  CHECK(g.label(s1.node) == "z+b");
  CHECK(s1.upstream == doctest::Approx(ds));
  REQUIRE(s1.edges.size() == 2);
  CHECK(g.label(s1.edges[1].operand) == "b");
  CHECK(s1.edges[1].local_derivative == 1.0);
  CHECK(s.grad(g.find("b").id()) == doctest::Approx(ds));
  CHECK(s.grad(g.find("w3").id()) == 0.0);  // not yet

  // BackwardStep 4, w3*x3 (operands w3, x3): d/dw3 = x3 = 3, d/dx3 = w3 = 0.2.
  s.jump(4);
  const auto s4 = s.current();
  CHECK(g.label(s4.node) == "w3*x3");
  CHECK(g.label(s4.edges[0].operand) == "w3");
  CHECK(s4.edges[0].local_derivative == 3.0);
  CHECK(s4.edges[1].local_derivative == 0.2);
  CHECK(s.grad(g.find("w3").id()) == doctest::Approx(3 * ds));
  CHECK(s.grad(g.find("w1").id()) == 0.0);

  // A leaf step passes nothing on; its gradient is final.
  const auto s5 = s.at(5);
  CHECK(g.label(s5.node) == "w3");
  CHECK(s5.edges.empty());
  CHECK(s5.upstream == doctest::Approx(3 * ds));
  CHECK(s.parameters().size() == 4);
}

TEST_CASE("stepper: stepping back restores every earlier state exactly") {
  gf::Graph g;
  const auto x = g.input("x", 0.7);
  const auto y = x * x * sigmoid(x) + x;  // repeated operands: x*x passes twice to x
  gf::Stepper s(g, y);
  std::vector<std::vector<double>> seen;
  do {
    seen.emplace_back(s.gradients().begin(), s.gradients().end());
  } while (s.next());
  REQUIRE(seen.size() == s.size());
  CHECK_FALSE(s.next());
  CHECK(s.position() == s.size() - 1);
  for (std::size_t k = s.size() - 1; k-- > 0;) {
    REQUIRE(s.prev());
    CHECK(s.position() == k);
    CHECK(std::vector<double>(s.gradients().begin(), s.gradients().end()) == seen[k]);
  }
  CHECK_FALSE(s.prev());
  CHECK(s.position() == 0);
  // At step 0 only the root's seed and what it passed are there.
  std::size_t nonzero = 0;
  for (double v : s.gradients()) nonzero += v != 0.0;
  CHECK(nonzero == 3);  // y, and its two operands x*x*sigmoid(x) and x

  SUBCASE("x*x records both edges into x: before/after chain") {
    gf::Graph h;
    const auto a = h.input("a", 3.0);
    const auto sq = a * a;
    gf::Stepper t(h, sq);
    const auto st = t.at(0);
    REQUIRE(st.edges.size() == 2);
    CHECK(st.edges[0].grad_before == 0.0);
    CHECK(st.edges[0].grad_after == 3.0);
    CHECK(st.edges[1].grad_before == 3.0);
    CHECK(st.edges[1].grad_after == 6.0);
    t.jump(1);
    CHECK(t.grad(a.id()) == 6.0);
    t.prev();
    CHECK(t.grad(a.id()) == 6.0);  // step 0 already passed both contributions
  }
}

TEST_CASE("stepper: jump equals stepping and an out-of-range jump names the range") {
  gf::Graph g;
  const auto y = neuron(g, gf::Op::tanh);
  gf::Stepper walked(g, y), jumped(g, y);
  for (std::size_t k = 0; k < walked.size(); ++k) {
    jumped.jump(k);
    CHECK(jumped.position() == k);
    CHECK(std::vector<double>(jumped.gradients().begin(), jumped.gradients().end()) ==
          std::vector<double>(walked.gradients().begin(), walked.gradients().end()));
    walked.next();
  }
  jumped.jump(0);
  jumped.jump(12);
  jumped.jump(3);
  walked.jump(3);
  CHECK(std::vector<double>(jumped.gradients().begin(), jumped.gradients().end()) ==
        std::vector<double>(walked.gradients().begin(), walked.gradients().end()));
  CHECK_THROWS_WITH_AS(jumped.jump(13), doctest::Contains("13 steps (0 to 12)"), gf::UsageError);
  CHECK_THROWS_AS(jumped.at(99), gf::UsageError);
  CHECK(jumped.position() == 3);
}

TEST_CASE("stepper: a stepper from an inner node walks only its cone") {
  gf::Graph g;
  const auto y = neuron(g, gf::Op::relu);
  (void)y;
  gf::Stepper s(g, g.find("z"));
  CHECK(s.size() == 10);  // z, three products, three weights, three inputs
  CHECK(s.index_of(g.find("b").id()) == gf::Stepper::npos);
  CHECK(s.index_of(g.find("w2").id()) != gf::Stepper::npos);
  s.jump(s.size() - 1);
  CHECK(s.grad(g.find("w2").id()) == 2.0);
  CHECK(s.grad(g.find("b").id()) == 0.0);
}

TEST_CASE("stepper: hooks observe every processed node with its complete gradient") {
  gf::Graph g;
  const auto y = neuron(g, gf::Op::sigmoid);
  std::vector<gf::NodeId> order;
  std::vector<double> grads;
  gf::Hooks hooks;
  hooks.on_every([&](const gf::HookEvent& e) {
    order.push_back(e.node);
    grads.push_back(e.grad);
    return e.grad;
  });
  gf::Stepper s(g, y, hooks);
  g.backward(y);
  REQUIRE(order.size() == 13);
  for (std::size_t k = 0; k < 13; ++k) {
    CHECK(order[k] == s.at(k).node);
    CHECK(grads[k] == g.grad(order[k]));  // complete when the node is processed
  }
  s.jump(12);
  for (gf::NodeId i = 0; i < g.size(); ++i) CHECK(s.grad(i) == g.grad(i));
}

TEST_CASE("stepper: hooks rewrite the gradient passed on") {
  gf::Graph g;
  const auto y = neuron(g, gf::Op::sigmoid);
  const auto zb = g.find("z+b");
  g.backward(y);
  std::vector<double> plain;
  for (const auto& p : g.parameters()) plain.push_back(p.grad());

  SUBCASE("doubling at z+b doubles every parameter's gradient; the record shows both") {
    gf::Hooks hooks;
    hooks.on(zb, [](const gf::HookEvent& e) { return 2 * e.grad; });
    gf::Stepper s(g, y, hooks);
    const auto st = s.at(1);
    CHECK(st.node == zb.id());
    CHECK(st.passed == 2 * st.upstream);
    CHECK(st.edges[0].contribution == st.passed);
    s.jump(s.size() - 1);
    backward_with_hooks(g, y, hooks);
    const auto params = g.parameters();
    for (std::size_t i = 0; i < params.size(); ++i) {
      CHECK(params[i].grad() == 2 * plain[i]);  // times 2 is exact
      CHECK(s.grad(params[i].id()) == params[i].grad());
    }
    CHECK(g.grad(zb.id()) == 2 * s.at(1).upstream);
  }
  SUBCASE("clipping on every node; hooks of one node chain in order") {
    gf::Hooks hooks;
    hooks.on(g.find("w3"), [](const gf::HookEvent& e) { return e.grad + 1.0; })
        .on(g.find("w3"), [](const gf::HookEvent& e) { return e.grad * 10.0; })
        .on_every([](const gf::HookEvent& e) { return std::min(e.grad, 0.5); });
    backward_with_hooks(g, y, hooks);
    // The clip halves the root's seed 1 to 0.5, so everything below gets half the plain value:
    // w3 receives 3 * 0.2475 / 2 = 0.371, then (0.371 + 1) * 10 = 13.7, clipped to 0.5.
    CHECK(g.find("w3").grad() == 0.5);
    CHECK(g.find("w2").grad() == doctest::Approx(plain[1] / 2));  // 2 * 0.2475 / 2
    CHECK(g.find("x3").grad() == doctest::Approx(0.2 * 0.2475165727 / 2));
  }
  SUBCASE("a hook stopping the gradient at z cuts off the weights, not the bias") {
    gf::Hooks hooks;
    hooks.on(g.find("z"), [](const gf::HookEvent&) { return 0.0; });
    backward_with_hooks(g, y, hooks);
    CHECK(g.find("w1").grad() == 0.0);
    CHECK(g.find("b").grad() == plain[3]);
  }
  SUBCASE("check mode throws at the first non-finite gradient a hook produces") {
    gf::Hooks hooks;
    hooks.on(zb, [](const gf::HookEvent&) { return std::nan(""); });
    g.set_check_finite(true);
    CHECK_THROWS_WITH_AS(backward_with_hooks(g, y, hooks), doctest::Contains("'z+b'"),
                         gf::NumericError);
  }
}

TEST_CASE("stepper: step cannot learn but its straight-through and sigmoid surrogates can") {
  const auto param_grads = [](gf::StepGradient mode) {
    gf::Graph g;
    g.conventions().step_gradient = mode;
    const auto y = neuron(g, gf::Op::step);
    gf::Stepper s(g, y);
    s.jump(s.size() - 1);
    std::vector<double> out;
    for (auto p : s.parameters()) out.push_back(s.grad(p));
    return out;
  };
  // exact: step'(0.2) = 0, nothing reaches w1, w2, w3, b.
  CHECK(param_grads(gf::StepGradient::exact) == std::vector<double>{0, 0, 0, 0});
  // straight-through: step acts as the identity backwards, dy/dw_i = x_i, dy/db = 1.
  CHECK(param_grads(gf::StepGradient::straight_through) == std::vector<double>{1, 2, 3, 1});
  // sigmoid surrogate: sigmoid'(0.2) = 0.2475..., the sigmoid neuron's gradients.
  const auto sur = param_grads(gf::StepGradient::sigmoid_surrogate);
  CHECK(sur[0] == doctest::Approx(0.2475165727));
  CHECK(sur[2] == doctest::Approx(3 * 0.2475165727));
}

TEST_CASE("stepper: a leaf root is one step and stale values are brought up to date first") {
  gf::Graph g;
  const auto x = g.input("x", 2.0);
  const auto y = x * x;
  gf::Stepper leaf(g, x);
  CHECK(leaf.size() == 1);
  CHECK(leaf.current().edges.empty());
  CHECK(leaf.grad(x.id()) == 1.0);
  CHECK_FALSE(leaf.next());
  x.set(5.0);  // y is stale until evaluated
  gf::Stepper s(g, y);
  CHECK(s.value(y.id()) == 25.0);
  CHECK(s.at(0).edges[0].local_derivative == 5.0);
  s.jump(1);
  CHECK(s.grad(x.id()) == 10.0);
  x.set(1.0);  // the records keep the values they were made with
  CHECK(s.value(y.id()) == 25.0);
}

TEST_CASE("stepper: a 300000-node chain is stepped and diagnosed without recursion") {
  gf::Graph g;
  const auto x = g.parameter("x", 0.5);
  auto h = x;
  for (int i = 0; i < 300000; ++i) h = h * 1.0;  // a constant and a mul per link
  gf::Stepper s(g, h);
  CHECK(s.size() == 600001);  // every node reaches h
  s.jump(s.size() - 1);
  CHECK(s.grad(x.id()) == 1.0);
  s.jump(0);
  CHECK(s.grad(x.id()) == 0.0);
  const auto r = gf::diagnose(s);
  CHECK(r.by_depth.size() == 300001);  // x is 300000 muls below h
  CHECK(r.depth[x.id()] == 300000);
  CHECK(r.blocked.empty());
}
