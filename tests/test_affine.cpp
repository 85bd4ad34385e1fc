// The fused affine op (w_1 x_1 + ... + w_n x_n + b as one node), the bulk gradient read-back and
// the recording's fast paths.
#include <cmath>
#include <random>
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

// Affine nodes over every mix of operands the executor tells apart, sample by sample: inputs
// x1, x2 and y vary; w1..w4, b1..b3 are parameters and c a constant (uniform). `fused` records
// each affine node as affine(w, x, b), otherwise as its primitive form bias(sum(w_k * x_k), b).
// With `extra`, two more nodes, only in the fused graph: one uses an operand in several slots
// (its primitive form adds the edges to it in the other order) and one has a pair of uniform
// operands w c (its primitive form reduces the product's gradient over the batch, then
// multiplies by c once; the affine node multiplies in each sample, then reduces: the same
// mean, rounded differently).
struct Mixed {
  gf::Graph g;
  gf::Node x1, x2, y, loss;
  std::vector<gf::Node> p;  // the parameters
  std::vector<gf::Node> z;  // the affine nodes (or their bias nodes)
  Mixed(bool fused, bool extra) {
    x1 = g.input("x1", 0.5);
    x2 = g.input("x2", -0.25);
    y = g.input("y", 1.0);
    for (int k = 0; k < 7; ++k) p.push_back(g.parameter(0.6 * std::cos(1.7 * k + 0.4)));
    const auto &w1 = p[0], &w2 = p[1], &w3 = p[2], &w4 = p[3], &b1 = p[4], &b2 = p[5], &b3 = p[6];
    const auto c = g.constant(1.25, "c");
    const auto aff = [&](std::vector<gf::Node> w, std::vector<gf::Node> x, gf::Node b) {
      if (fused) return gf::affine(w, x, b);
      std::vector<gf::Node> terms;
      for (std::size_t k = 0; k < w.size(); ++k) terms.push_back(w[k] * x[k]);
      return bias(gf::sum(terms), b);
    };
    // a varying weight (x1 x2): the general kernel
    z.push_back(aff({x1, w2}, {x2, y}, b1).named("z1"));
    // a varying bias: the general kernel
    z.push_back(aff({w1, w3}, {x2, x1}, tanh(x1 * w4)).named("z2"));
    // (varying, uniform) then (uniform, varying), uniform bias: the weighted-sum kernel
    z.push_back(aff({x1, w1}, {w2, x2}, b2).named("z3"));
    // only uniform operands: evaluated once per batch
    z.push_back(aff({w1}, {w2}, b3).named("z4"));
    gf::Node out = tanh(z[0]) + z[1] * z[3] + sigmoid(z[2]);
    if (extra) {
      // x1 in three slots, a pair of uniform operands: the general kernel
      z.push_back(gf::affine(std::vector{x1, w1, w2}, std::vector{x1, x2, c}, x1).named("z5"));
      // w1 in three slots: the weighted-sum kernel
      z.push_back(gf::affine(std::vector{w1, w1}, std::vector{x1, x2}, w1).named("z6"));
      out = out + z[4] * z[5];
    }
    const auto d = out - y;
    loss = (d * d).named("loss");
  }
  void load(gf::Executor& ex, const std::vector<std::vector<double>>& cols) const {
    ex.set_input(x1, cols[0]);
    ex.set_input(x2, cols[1]);
    ex.set_input(y, cols[2]);
  }
  void set_sample(const std::vector<std::vector<double>>& cols, std::size_t s) const {
    x1.set(cols[0][s]);
    x2.set(cols[1][s]);
    y.set(cols[2][s]);
  }
};

std::vector<std::vector<double>> columns(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1.5, 1.5);
  std::vector<std::vector<double>> c(3);
  for (auto& col : c)
    for (std::size_t s = 0; s < n; ++s) col.push_back(u(rng));
  return c;
}

// Every node of the executor's cone in every sample, against Graph::backward on the graph with
// that sample's inputs: the same bits.
template <class Set>
void same_bits_as_graph(gf::Graph& g, const gf::Executor& ex, Set&& set_sample) {
  for (std::size_t s = 0; s < ex.batch(); ++s) {
    set_sample(s);
    g.backward(ex.root());
    for (const gf::NodeId i : ex.plan().order) {
      const auto n = g.node(i);
      INFO("sample ", s, ", node ", g.describe(i));
      CHECK(ex.value(n, s) == n.value());
      CHECK(ex.grad(n, s) == n.grad());
    }
  }
}

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

TEST_CASE("affine: operand counts and mismatched sizes are refused clearly") {
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

TEST_CASE("affine: the executor runs every mix of operands with Graph::backward's bits") {
  for (const bool extra : {false, true}) {
    for (const std::size_t batch : {1u, 5u, 13u, 37u}) {
      for (const std::size_t tile : {0u, 8u}) {
        INFO("extra ", extra, ", batch ", batch, ", tile ", tile);
        Mixed m(true, extra);
        const auto cols = columns(batch, static_cast<std::uint32_t>(batch));
        gf::ExecutorOptions o;
        o.tile = tile;
        gf::Executor ex(m.g, m.loss, batch, o);
        CHECK(ex.varies(m.z[0]));
        CHECK(ex.varies(m.z[1]));
        CHECK_FALSE(ex.varies(m.z[3]));
        m.load(ex, cols);
        ex.run();
        // the batch gradient is the mean of the per-sample ones (up to the order of the sums)
        std::vector<double> mean(m.p.size(), 0.0);
        for (std::size_t s = 0; s < batch; ++s) {
          m.set_sample(cols, s);
          m.g.backward(m.loss);
          for (std::size_t k = 0; k < m.p.size(); ++k)
            mean[k] += m.p[k].grad() / static_cast<double>(batch);
        }
        for (std::size_t k = 0; k < m.p.size(); ++k)
          CHECK(ex.grad(m.p[k]) == doctest::Approx(mean[k]).epsilon(1e-12));
        same_bits_as_graph(m.g, ex, [&](std::size_t s) { m.set_sample(cols, s); });
        // a sample's workspace is that sample as Graph::backward leaves it
        gf::Workspace ws;
        const std::size_t s = batch / 2;
        ex.sample_workspace(s, ws);
        m.set_sample(cols, s);
        m.g.backward(m.loss);
        for (const gf::NodeId i : ex.plan().order) {
          CHECK(ws.value[i] == m.g.value(i));
          CHECK(ws.grad[i] == m.g.grad(i));
        }
      }
    }
  }
}

TEST_CASE("affine: the executor gives the primitive form's bits, for any tiling and threads") {
  for (const std::size_t batch : {1u, 13u, 333u, 3265u}) {
    for (const std::size_t tile : {0u, 8u, 13u}) {
      const auto cols = columns(batch, 7);
      std::vector<double> first;
      for (const std::size_t threads : {1u, 2u}) {
        INFO("batch ", batch, ", tile ", tile, ", threads ", threads);
        Mixed fused(true, false), prim(false, false);
        gf::ExecutorOptions o;
        o.tile = tile;
        o.threads = threads;
        gf::Executor ef(fused.g, fused.loss, batch, o), ep(prim.g, prim.loss, batch, o);
        CHECK(ef.tile_size() == ep.tile_size());  // an affine node tiles as its primitive form
        if (batch == 3265 && tile == 0) CHECK(ef.tiles() == 8);  // 4 if counted as 15 nodes, not 20
        fused.load(ef, cols);
        prim.load(ep, cols);
        ef.run();
        ep.run();
        std::vector<double> got{ef.loss()};
        CHECK(ef.loss() == ep.loss());
        for (std::size_t k = 0; k < fused.p.size(); ++k) {
          CHECK(ef.grad(fused.p[k]) == ep.grad(prim.p[k]));
          got.push_back(ef.grad(fused.p[k]));
        }
        for (std::size_t s = 0; s < batch; s += 3)
          for (std::size_t k = 0; k < fused.z.size(); ++k) {
            CHECK(ef.value(fused.z[k], s) == ep.value(prim.z[k], s));
            CHECK(ef.grad(fused.z[k], s) == ep.grad(prim.z[k], s));
            CHECK(ef.grad(fused.x1, s) == ep.grad(prim.x1, s));
            got.push_back(ef.grad(fused.x2, s));
          }
        if (threads == 1)
          first = got;
        else
          CHECK(got == first);
      }
    }
  }
}

TEST_CASE("affine: the executor's batch gradient matches central differences of its loss") {
  Mixed m(true, true);
  const auto cols = columns(19, 3);
  gf::ExecutorOptions o;
  o.tile = 8;
  gf::Executor ex(m.g, m.loss, 19, o);
  m.load(ex, cols);
  ex.run();
  std::vector<double> grad;
  for (const auto& p : m.p) grad.push_back(ex.grad(p));
  for (std::size_t k = 0; k < m.p.size(); ++k) {
    CAPTURE(k);
    const double v = m.p[k].value(), h = 1e-6;
    m.p[k].set(v + h);
    ex.forward();
    const double up = ex.loss();
    m.p[k].set(v - h);
    ex.forward();
    const double down = ex.loss();
    m.p[k].set(v);
    const double fd = (up - down) / (2 * h);
    CHECK(grad[k] == doctest::Approx(fd).epsilon(1e-7));
    CHECK(std::abs(grad[k]) > 1e-3);  // a real check, not 0 against 0
  }
}

TEST_CASE("affine: executor errors name the node and the sample") {
  gf::Graph g;
  const auto x = g.input("x", 1.0);
  const auto w = g.parameter("w", 2.0), b = g.parameter("b", -1.0);
  const auto z = gf::affine(std::vector{w}, std::vector{x}, b).named("z");  // 2x - 1
  const auto y = log(z).named("logz");
  gf::Executor ex(g, y, 4);
  ex.set_input(x, std::vector{1.0, 2.0, 0.25, 0.5});
  try {
    ex.forward();
    FAIL("expected a DomainError");
  } catch (const gf::DomainError& e) {
    CHECK(e.node == y.id());
    CHECK(e.value == -0.5);
    CHECK(contains(e.what(), "'logz'"));
    CHECK(contains(e.what(), "sample 2"));
    CHECK(contains(e.what(), "'z'"));  // the operand
  }
  // check mode: the affine node is the first to become non-finite
  g.set_check_finite(true);
  const auto t = tanh(gf::affine(std::vector{w, x}, std::vector{x, x}, b).named("zz"));
  gf::Executor checked(g, t, 3);
  checked.set_input(x, std::vector{1.0, 1e300, 3.0});
  try {
    checked.forward();
    FAIL("expected a NumericError");
  } catch (const gf::NumericError& e) {
    CHECK(contains(e.what(), "'zz'"));
    CHECK(contains(e.what(), "sample 1"));
  }
}

TEST_CASE("affine: nn's fused MLP on the executor is its primitive form's, bit for bit") {
  namespace nn = gf::nn;
  gf::Graph gp, gfu;
  nn::MLPOptions opt{.hidden = nn::Activation::tanh};
  const nn::MLP prim(gp, {2, 5, 4, 1}, opt);
  opt.fused = true;
  const nn::MLP fused(gfu, {2, 5, 4, 1}, opt);
  const auto record = [](gf::Graph& g, const nn::MLP& net) {
    const auto in = std::vector<gf::Node>{g.input("x1", 0.0), g.input("x2", 0.0)};
    const auto y = g.input("y", 0.0);
    const auto d = net(in)[0] - y;
    return std::vector<gf::Node>{in[0], in[1], y, (d * d).named("loss")};
  };
  const auto np = record(gp, prim), nf = record(gfu, fused);
  const auto cols = columns(37, 11);
  gf::ExecutorOptions o;
  o.tile = 8;
  o.threads = 2;
  gf::Executor ep(gp, np[3], 37, o), ef(gfu, nf[3], 37, o);
  CHECK(ep.fused_sums() == 10);
  CHECK(ef.fused_sums() == 0);  // affine nodes instead
  for (std::size_t k = 0; k < 3; ++k) {
    ep.set_input(np[k], cols[k]);
    ef.set_input(nf[k], cols[k]);
  }
  ep.run();
  ef.run();
  CHECK(ef.loss() == ep.loss());
  const auto pp = prim.parameters(), pf = fused.parameters();
  for (std::size_t k = 0; k < pp.size(); ++k) CHECK(ef.grad(pf[k]) == ep.grad(pp[k]));
  same_bits_as_graph(gfu, ef, [&](std::size_t s) {
    for (std::size_t k = 0; k < 3; ++k) nf[k].set(cols[k][s]);
  });
}
