// The fused affine op (w_1 x_1 + ... + w_n x_n + b as one node), the bulk gradient read-back and
// the recording's fast paths.
#include <cmath>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <gradflow/engine/executor.hpp>
#include <gradflow/engine/gradcheck.hpp>
#include <gradflow/graph/graph.hpp>
#include <gradflow/nn/nn.hpp>
#include <gradflow/ops/errors.hpp>
#include <gradflow/views/dot.hpp>

namespace gf = gradflow;

namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// A tanh MLP 2-3-2-1 on one sample, primitive (mul, sum, bias) or fused (affine).
struct Net {
  gf::Graph g;
  std::vector<gf::Node> p;
  gf::Node score;
  Net(bool fused, double x1, double x2) {
    for (int k = 0; k < 9 + 8 + 3; ++k) p.push_back(g.parameter(0.37 * std::sin(1.3 * k + 0.2)));
    std::vector<gf::Node> in{g.input("x1", x1), g.input("x2", x2)};
    std::size_t i = 0;
    for (const std::size_t width : {3u, 2u, 1u}) {
      std::vector<gf::Node> out;
      for (std::size_t j = 0; j < width; ++j) {
        const std::span<const gf::Node> w(p.data() + i, in.size());
        const gf::Node b = p[i + in.size()];
        i += in.size() + 1;
        gf::Node z;
        if (fused) {
          z = gf::affine(w, in, b);
        } else {
          std::vector<gf::Node> terms;
          for (std::size_t k = 0; k < in.size(); ++k) terms.push_back(w[k] * in[k]);
          z = bias(gf::sum(terms), b);
        }
        out.push_back(width == 1 ? z : tanh(z));
      }
      in = out;
    }
    score = in[0];
  }
};

}  // namespace

TEST_CASE("affine: value and every edge's local derivative, worked out by hand") {
  gf::Graph g;
  const auto w1 = g.parameter("w1", 0.5), w2 = g.parameter("w2", -2.0);
  const auto x1 = g.input("x1", 3.0), x2 = g.input("x2", 0.25), b = g.parameter("b", 0.125);
  const std::vector<gf::Node> w{w1, w2}, x{x1, x2};
  const auto y = gf::affine(w, x, b);
  // 0.5 * 3 + (-2) * 0.25 + 0.125 = 1.5 - 0.5 + 0.125
  CHECK(y.value() == 1.125);
  CHECK(y.op() == gf::Op::affine);
  REQUIRE(y.operand_count() == 5);
  CHECK(y.operand(0) == w1);
  CHECK(y.operand(1) == x1);
  CHECK(y.operand(2) == w2);
  CHECK(y.operand(3) == x2);
  CHECK(y.operand(4) == b);
  // d/dw_k = x_k, d/dx_k = w_k, d/db = 1
  CHECK(y.local_derivative(0) == 3.0);
  CHECK(y.local_derivative(1) == 0.5);
  CHECK(y.local_derivative(2) == 0.25);
  CHECK(y.local_derivative(3) == -2.0);
  CHECK(y.local_derivative(4) == 1.0);
  const auto loss = y * y;  // d loss/dy = 2y = 2.25
  g.backward(loss);
  CHECK(w1.grad() == 2.25 * 3.0);
  CHECK(x1.grad() == 2.25 * 0.5);
  CHECK(w2.grad() == 2.25 * 0.25);
  CHECK(x2.grad() == 2.25 * -2.0);
  CHECK(b.grad() == 2.25);
  CHECK(y.contribution(3) == 2.25 * -2.0);
  CHECK(std::string(gf::info(gf::Op::affine).name) == "affine");
}

TEST_CASE("affine: drawn as one box with an edge per operand, each with its local derivative") {
  gf::Graph g;
  const auto w1 = g.parameter("w1", 0.5), w2 = g.parameter("w2", -2.0);
  const auto x1 = g.input("x1", 3.0), x2 = g.input("x2", 0.25), b = g.parameter("b", 0.125);
  const std::vector<gf::Node> w{w1, w2}, x{x1, x2};
  const auto y = gf::affine(w, x, b).named("y");
  g.backward(y);
  const std::string dot = gf::to_dot(g);
  // one node statement for y, naming the op
  const auto at = dot.find(fmt::format("[id=\"n{}\"", y.id()));
  REQUIRE(at != std::string::npos);
  const std::string ystmt = dot.substr(at, dot.find('\n', at) - at);
  CHECK(contains(ystmt, "affine"));
  // five edges y -> operand, with ids e0..e4 (the operand array's positions), each labelled with
  // its local derivative: x1 = 3, w1 = 0.5, x2 = 0.25, w2 = -2, 1
  const char* partial[] = {"3", "0.5", "0.25", "-2", "1"};
  const gf::Node ops[] = {w1, x1, w2, x2, b};
  for (std::size_t k = 0; k < 5; ++k) {
    const auto e = dot.find(fmt::format("[id=\"e{}\"", g.first_operand(y.id()) + k));
    REQUIRE(e != std::string::npos);
    const auto line_begin = dot.rfind('\n', e) + 1;
    const std::string stmt = dot.substr(line_begin, dot.find('\n', e) - line_begin);
    CAPTURE(stmt);
    CHECK(stmt.rfind(fmt::format("{}->{} ", y.id(), ops[k].id()), 0) == 0);
    CHECK(contains(stmt, fmt::format("&#8706; {}", partial[k])));
  }
}

TEST_CASE("affine: the same bits as bias(sum(w_k * x_k), b), values and gradients") {
  for (const auto& [x1, x2] : {std::pair{0.3, -1.7}, std::pair{2.5, 0.01}, std::pair{-4.0, 9.0}}) {
    Net prim(false, x1, x2), fused(true, x1, x2);
    CAPTURE(x1);
    CHECK(fused.score.value() == prim.score.value());
    CHECK(fused.g.size() < prim.g.size());
    prim.g.backward(prim.score);
    fused.g.backward(fused.score);
    for (std::size_t k = 0; k < prim.p.size(); ++k) CHECK(fused.p[k].grad() == prim.p[k].grad());
  }
}

TEST_CASE("affine: gradients match central differences, first and second order") {
  Net net(true, 0.4, -0.9);
  const auto r1 = gf::gradcheck(net.g, net.score, net.g.parameters());
  CHECK_MESSAGE(r1.ok, r1.summary(net.g));
  CHECK(r1.entries.size() == net.p.size());
  const auto r2 = gf::gradcheck(net.g, net.score,
                                std::vector<gf::Node>{net.p[0], net.p[1], net.p[2]}, {.order = 2});
  CHECK_MESSAGE(r2.ok, r2.summary(net.g));
}

TEST_CASE("affine: operand counts, mismatched sizes and the executor are refused clearly") {
  gf::Graph g;
  const auto a = g.input("a", 1.0), c = g.input("c", 2.0);
  try {
    (void)g.apply(gf::Op::affine, {a, c, a, c});
    FAIL("an even operand count was accepted");
  } catch (const gf::UsageError& e) {
    CHECK(contains(e.what(), "affine takes an odd number"));
    CHECK(contains(e.what(), "got 4"));
  }
  const std::vector<gf::Node> w{a, c}, x{a};
  try {
    (void)gf::affine(w, x, c);
    FAIL("two weights for one input were accepted");
  } catch (const gf::UsageError& e) {
    CHECK(contains(e.what(), "2 weight(s) but 1 input(s)"));
  }
  const auto y = g.apply(gf::Op::affine, {a, c, a}).named("z");  // 1 * 2 + 1
  CHECK(y.value() == 3.0);
  try {
    gf::Executor ex(g, y, 4);
    FAIL("the executor accepted an affine node");
  } catch (const gf::UsageError& e) {
    CHECK(contains(e.what(), "'z'"));
    CHECK(contains(e.what(), "affine"));
  }
  gf::Graph other;
  const auto o = other.input("o", 1.0);
  const std::vector<gf::Node> wo{o};
  CHECK_THROWS_AS(gf::affine(wo, std::vector<gf::Node>{a}, c), gf::UsageError);
}

TEST_CASE("affine: nn's fused option computes the default network's numbers in fewer nodes") {
  gf::Graph gp, gfu;
  const gf::nn::MLP prim(gp, {2, 4, 1}, {.hidden = gf::nn::Activation::tanh});
  const gf::nn::MLP fused(gfu, {2, 4, 1}, {.hidden = gf::nn::Activation::tanh, .fused = true});
  REQUIRE(prim.parameter_values() == fused.parameter_values());
  const auto xp = std::vector<gf::Node>{gp.input("x1", 0.7), gp.input("x2", -0.2)};
  const auto xf = std::vector<gf::Node>{gfu.input("x1", 0.7), gfu.input("x2", -0.2)};
  const auto sp = prim(xp)[0], sf = fused(xf)[0];
  CHECK(sf.value() == sp.value());
  CHECK(sf.operand(0).op() == gf::Op::affine);  // under the output layer's identity
  CHECK(gfu.size() < gp.size());
  gp.backward(sp);
  gfu.backward(sf);
  const auto pp = prim.parameters(), pf = fused.parameters();
  for (std::size_t k = 0; k < pp.size(); ++k) CHECK(pf[k].grad() == pp[k].grad());
}

TEST_CASE("grads: one read-back of a range equals grad() node by node") {
  Net net(false, 0.6, 0.2);
  const gf::Mark m = net.g.mark();
  CHECK(net.g.grads(0, 3).size() == 3);
  CHECK(net.g.grads(0, 3)[1] == 0.0);  // before any backward pass
  net.g.backward(net.score);
  const auto gs = net.g.grads(0, static_cast<gf::NodeId>(net.p.size()));
  REQUIRE(gs.size() == net.p.size());
  for (std::size_t k = 0; k < net.p.size(); ++k) CHECK(gs[k] == net.p[k].grad());
  CHECK_THROWS_AS(net.g.grads(0, static_cast<gf::NodeId>(net.g.size() + 1)), gf::UsageError);
  CHECK_THROWS_AS(net.g.grads(3, 2), gf::UsageError);
  (void)m;
}

TEST_CASE("recording: bad handles and check mode leave the fast path with the usual errors") {
  gf::Graph g, h;
  const auto a = g.input("a", 2.0), b = h.input("b", 3.0);
  try {
    (void)(a * b);
    FAIL("nodes of two graphs were combined");
  } catch (const gf::UsageError& e) {
    CHECK(contains(e.what(), "belongs to another graph"));
  }
  CHECK_THROWS_AS(gf::sum({a, b}), gf::UsageError);
  CHECK_THROWS_AS((void)(gf::Node{} * a), gf::UsageError);
  const auto z = g.input("z", 0.0);
  CHECK_THROWS_AS((void)(a / z), gf::DomainError);
  CHECK(g.size() == 2);  // nothing recorded by the failures
  g.set_check_finite(true);
  const auto big = g.input("big", 1e308);
  CHECK_THROWS_AS((void)(big * big), gf::NumericError);
  g.set_check_finite(false);
  CHECK(std::isinf((big * big).value()));
  // a stale value (an input set since) is brought up to date before the op is computed
  const auto s = a * a;
  a.set(5.0);
  CHECK((a * a).value() == 25.0);
  CHECK(s.value() == 25.0);
}
