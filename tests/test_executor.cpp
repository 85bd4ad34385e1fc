// The batched executor against the reference: for every sample, Graph::backward on the same graph
// with the inputs set to that sample. Fused and unfused runs must agree bit for bit.
#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <gradflow/engine/executor.hpp>
#include <gradflow/ops/errors.hpp>

#include <fixtures/random_graph.hpp>

namespace gf = gradflow;

namespace {

// One sample of micrograd's moons workload, from primitive nodes: an MLP 2-h-h-1 (one mul per
// input, one sum, a bias node, relu; the last layer linear) and the max-margin loss with an L2
// penalty, relu(1 - y score) + alpha Σ p². With `fused`, each neuron's weighted sum and bias is
// one affine node instead (the same parameters, created in the same order).
struct Mlp {
  gf::Node x1, x2, label, loss, score;
  std::vector<gf::Node> params;
};

Mlp build_mlp(gf::Graph& g, int hidden, double alpha, std::uint32_t seed, bool fused = false) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Mlp m;
  m.x1 = g.input("x1", 0.3);
  m.x2 = g.input("x2", -0.7);
  m.label = g.input("y", 1.0);
  std::vector<gf::Node> in{m.x1, m.x2};
  const int sizes[] = {hidden, hidden, 1};
  for (int layer = 0; layer < 3; ++layer) {
    std::vector<gf::Node> out;
    for (int j = 0; j < sizes[layer]; ++j) {
      std::vector<gf::Node> terms, ws;
      for (const gf::Node& x : in) {
        const auto w = g.parameter("w", u(rng));
        m.params.push_back(w);
        ws.push_back(w);
        if (!fused) terms.push_back(w * x);
      }
      const auto b = g.parameter("b", 0.1 * u(rng));
      m.params.push_back(b);
      const auto z = fused ? gf::affine(ws, in, b) : bias(sum(terms), b);
      out.push_back(layer < 2 ? relu(z) : z);
    }
    in = out;
  }
  m.score = in[0].named("score");
  std::vector<gf::Node> squares;
  for (const auto& p : m.params) squares.push_back(p * p);
  m.loss = (relu(1.0 - m.label * m.score) + alpha * sum(squares)).named("loss");
  return m;
}

struct Batch {
  std::vector<double> x1, x2, y;
};

Batch make_batch(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1.5, 1.5);
  Batch b;
  for (std::size_t i = 0; i < n; ++i) {
    b.x1.push_back(u(rng));
    b.x2.push_back(u(rng));
    b.y.push_back(i % 3 == 0 ? -1.0 : 1.0);
  }
  return b;
}

void load(gf::Executor& ex, const Mlp& m, const Batch& b) {
  ex.set_input(m.x1, b.x1);
  ex.set_input(m.x2, b.x2);
  ex.set_input(m.label, b.y);
}

// Compares every node of the cone, sample by sample, with Graph::backward on the graph itself.
void check_against_graph(gf::Graph& g, gf::Executor& ex, const std::vector<gf::Node>& inputs,
                         const std::vector<std::vector<double>>& columns) {
  const auto& order = ex.plan().order;
  const auto root = ex.root();
  std::vector<double> mean_grad(g.size(), 0.0);
  const auto nb = ex.batch();
  for (std::size_t s = 0; s < nb; ++s) {
    for (std::size_t k = 0; k < inputs.size(); ++k) inputs[k].set(columns[k][s]);
    g.backward(root);
    for (const gf::NodeId i : order) {
      const auto n = g.node(i);
      INFO("sample ", s, ", node ", n.label(), " (#", i, ", ", gf::info(n.op()).name, ")");
      CHECK(ex.value(n, s) == doctest::Approx(n.value()).epsilon(1e-12));
      CHECK(ex.grad(n, s) == doctest::Approx(n.grad()).epsilon(1e-12));
      mean_grad[i] += n.grad() / static_cast<double>(nb);
    }
  }
  for (const gf::NodeId i : order) {
    const auto n = g.node(i);
    INFO("node ", n.label(), " (#", i, ")");
    CHECK(ex.grad(n) == doctest::Approx(mean_grad[i]).epsilon(1e-10));
  }
}

// Two executors of one graph hold the same loss, and every node of the cone the same values and
// gradients, reduced and per sample (every `step`-th of the batch's `nb`), compared with ==.
void same_numbers(const gf::Graph& g, const gf::Executor& a, const gf::Executor& b, std::size_t nb,
                  std::size_t step) {
  CHECK(a.loss() == b.loss());
  for (const gf::NodeId i : a.plan().order) {
    const auto n = g.node(i);
    INFO("node #", i, " ", gf::info(n.op()).name);
    CHECK(a.grad(n) == b.grad(n));
    for (std::size_t s = 0; s < nb; s += step) {
      CHECK(a.value(n, s) == b.value(n, s));
      if (a.varies(n)) CHECK(a.grad(n, s) == b.grad(n, s));
    }
  }
}
}  // namespace

TEST_CASE("executor: per-sample values and gradients match Graph::backward on an MLP loss") {
  gf::Graph g;
  const Mlp m = build_mlp(g, 6, 1e-4, 5);
  const Batch b = make_batch(13, 9);  // not a multiple of the kernels' blocks: remainders run
  for (const bool fuse : {false, true}) {
    CAPTURE(fuse);
    gf::Executor ex(g, m.loss, b.y.size(), {gf::Reduction::mean, fuse});
    CHECK(ex.fused_sums() == (fuse ? 13u : 0u));  // 6 + 6 + 1 neurons; the L2 sum is uniform
    CHECK(ex.varies(m.score));
    CHECK_FALSE(ex.varies(m.params[0]));
    load(ex, m, b);
    ex.run();
    check_against_graph(g, ex, {m.x1, m.x2, m.label}, {b.x1, b.x2, b.y});
  }
}

TEST_CASE("executor: fused and unfused runs agree bit for bit and mul nodes stay readable") {
  gf::Graph g;
  const Mlp m = build_mlp(g, 16, 1e-4, 11);
  const Batch b = make_batch(100, 4);
  gf::Executor fused(g, m.loss, 100), plain(g, m.loss, 100, {gf::Reduction::mean, false});
  CHECK(fused.fused_sums() == 33);
  CHECK(plain.fused_sums() == 0);
  for (auto* ex : {&fused, &plain}) {
    load(*ex, m, b);
    ex->run();
  }
  same_numbers(g, fused, plain, 100, 7);
  // A second run after a parameter update re-reads the parameters from the graph.
  for (const auto& p : m.params) p.set(p.value() - 0.1 * fused.grad(p));
  fused.run();
  plain.run();
  CHECK(fused.loss() == plain.loss());
  CHECK(fused.loss() != doctest::Approx(0.0));
}

TEST_CASE("executor: the mean loss is micrograd's batch loss and the sum is B times it") {
  // micrograd: total = (1/B) Σ relu(1 - y_s score_s) + alpha Σ p². With the per-sample graph
  // relu(1 - y score) + alpha Σ p², the mean over samples counts the penalty once.
  gf::Graph g;
  const Mlp m = build_mlp(g, 4, 1e-2, 2);
  const Batch b = make_batch(10, 3);
  gf::Executor mean(g, m.loss, 10), total(g, m.loss, 10, {gf::Reduction::sum, true});
  load(mean, m, b);
  load(total, m, b);
  mean.run();
  total.run();
  double data = 0.0, penalty = 0.0;
  for (const auto& p : m.params) penalty += p.value() * p.value();
  for (std::size_t s = 0; s < 10; ++s) {
    m.x1.set(b.x1[s]);
    m.x2.set(b.x2[s]);
    const double score = m.score.value();
    data += std::max(0.0, 1.0 - b.y[s] * score);
  }
  CHECK(mean.loss() == doctest::Approx(data / 10 + 1e-2 * penalty).epsilon(1e-12));
  CHECK(total.loss() == doctest::Approx(10 * mean.loss()).epsilon(1e-12));
  for (const auto& p : m.params) CHECK(total.grad(p) == doctest::Approx(10 * mean.grad(p)));
  std::vector<double> grads(m.params.size());
  mean.gradients(m.params, grads);
  CHECK(grads[3] == mean.grad(m.params[3]));
}

TEST_CASE("executor: random graphs of every op agree with Graph::backward per sample") {
  struct Rng {
    std::mt19937 engine;
    std::uint32_t operator()() { return static_cast<std::uint32_t>(engine()); }
  };
  for (const std::uint32_t seed : {1u, 2u, 3u}) {
    CAPTURE(seed);
    gf::Graph g;
    Rng rng{std::mt19937(seed)};
    const auto pool = gf::testing::build_graph(g, rng, 8, 400, true);
    const auto root = pool.back() * g.node(0) + pool[pool.size() - 2] + g.node(1);
    std::vector<gf::Node> inputs;  // those in the root's cone
    const auto plan = gf::make_plan(g, root);
    for (const auto& in : g.inputs())
      if (std::find(plan.order.begin(), plan.order.end(), in.id()) != plan.order.end())
        inputs.push_back(in);
    REQUIRE(inputs.size() >= 2);
    std::vector<std::vector<double>> columns(inputs.size());
    std::mt19937 data(seed + 100);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    for (auto& c : columns)
      for (int s = 0; s < 5; ++s) c.push_back(u(data));
    for (const bool fuse : {false, true}) {
      gf::Executor ex(g, root, 5, {gf::Reduction::mean, fuse});
      for (std::size_t k = 0; k < inputs.size(); ++k) ex.set_input(inputs[k], columns[k]);
      ex.run();
      check_against_graph(g, ex, inputs, columns);
    }
  }
}

TEST_CASE("executor: sample_workspace is sample s as Graph::backward leaves it") {
  gf::Graph g;
  const Mlp m = build_mlp(g, 3, 1e-3, 8);
  const Batch b = make_batch(6, 1);
  gf::Executor ex(g, m.loss, 6);
  load(ex, m, b);
  ex.run();
  gf::Workspace ws;
  ex.sample_workspace(4, ws);
  m.x1.set(b.x1[4]);
  m.x2.set(b.x2[4]);
  m.label.set(b.y[4]);
  g.backward(m.loss);
  for (const gf::NodeId i : ex.plan().order) {
    CHECK(ws.value[i] == doctest::Approx(g.value(i)).epsilon(1e-12));
    CHECK(ws.grad[i] == doctest::Approx(g.grad(i)).epsilon(1e-12));
    CHECK(ws.reached[i] == 1);
  }
  CHECK(ex.grad(m.params[0], 4) == doctest::Approx(m.params[0].grad()).epsilon(1e-12));
}

TEST_CASE("executor: a root that does not depend on the inputs") {
  gf::Graph g;
  const auto x = g.input("x", 2.0);
  const auto w = g.parameter("w", 3.0);
  const auto y = w * w + 1.0;
  (void)x;
  gf::Executor mean(g, y, 4), total(g, y, 4, {gf::Reduction::sum, true});
  mean.run();
  total.run();
  CHECK(mean.loss() == 10.0);
  CHECK(total.loss() == 40.0);
  CHECK(mean.grad(w) == 6.0);
  CHECK(total.grad(w) == 24.0);
  CHECK(mean.grad(w, 2) == 6.0);
  CHECK_THROWS_AS(mean.value(x, 0), gf::UsageError);  // not in the cone
}

TEST_CASE("executor: errors name the node and the sample") {
  gf::Graph g;
  const auto x = g.input("x", 1.0);
  const auto w = g.parameter("w", 2.0);
  const auto y = log(x * w).named("logxw");
  gf::Graph other;
  const auto stranger = other.input("s", 0.0);
  CHECK_THROWS_AS(gf::Executor(g, y, 0), gf::UsageError);
  CHECK_THROWS_AS(gf::Executor(g, stranger, 3), gf::UsageError);

  gf::Executor ex(g, y, 3);
  CHECK_THROWS_AS(ex.input(w), gf::UsageError);  // a parameter, not an input
  const std::vector<double> two{1.0, 2.0};
  CHECK_THROWS_AS(ex.set_input(x, two), gf::UsageError);
  CHECK_THROWS_AS(ex.value(y, 3), gf::UsageError);
  CHECK_THROWS_AS(ex.value(stranger, 0), gf::UsageError);

  const std::vector<double> bad{1.0, -1.0, 3.0};
  ex.set_input(x, bad);
  try {
    ex.forward();
    FAIL("expected a DomainError");
  } catch (const gf::DomainError& e) {
    const std::string what = e.what();
    CHECK(e.node == y.id());
    CHECK(e.value == -2.0);
    CHECK(what.find("'logxw'") != std::string::npos);
    CHECK(what.find("sample 1") != std::string::npos);
  }
  const std::vector<double> good{1.0, 0.5, 3.0};
  ex.set_input(x, good);
  ex.run();
  CHECK(ex.value(y, 2) == doctest::Approx(std::log(6.0)));
  CHECK(ex.grad(x, 1) == doctest::Approx(2.0));  // d log(2x)/dx = 1/x

  g.set_check_finite(true);
  const auto z = (x / (x - 1.0 + 1.0)).named("ratio");  // fine at build time (x = 1)
  gf::Executor checked(g, z, 2);
  const std::vector<double> inf{1.0, HUGE_VAL};
  checked.set_input(x, inf);
  try {
    checked.forward();
    FAIL("expected a NumericError");
  } catch (const gf::NumericError& e) {
    CHECK(std::string(e.what()).find("sample 1") != std::string::npos);
  }
}

// The sweeps were optimised together with the executor; this guards one of their corners.
TEST_CASE("executor: accumulate mode keeps the leaves' gradients when the graph grew in between") {
  gf::Graph g;
  const auto x = g.input("x", 3.0);
  const auto y = x * x;
  g.backward(y);
  const auto z = y + x;  // the graph grows after the first pass
  g.backward(z, gf::GradMode::accumulate);
  CHECK(x.grad() == 6.0 + 7.0);
  g.backward(z);
  CHECK(x.grad() == 7.0);
}

TEST_CASE("executor: a batch of one matches Graph::backward and the unfused run") {
  gf::Graph g;
  const Mlp m = build_mlp(g, 5, 1e-3, 21);
  const Batch b = make_batch(1, 6);
  gf::Executor fused(g, m.loss, 1), plain(g, m.loss, 1, {gf::Reduction::mean, false});
  for (auto* ex : {&fused, &plain}) {
    load(*ex, m, b);
    ex->run();
  }
  check_against_graph(g, fused, {m.x1, m.x2, m.label}, {b.x1, b.x2, b.y});
  for (const gf::NodeId i : fused.plan().order) {
    const auto n = g.node(i);
    CHECK(fused.grad(n) == plain.grad(n));
    CHECK(fused.value(n, 0) == plain.value(n, 0));
  }
}

// Tiles on threads: the tiling depends on the batch and the graph only, and each tile's partial
// gradients are added in tile order, so every number is the same for any thread count.
TEST_CASE("threads: the executor's results are bit-identical for 1, 2, 3 and 4 threads") {
  gf::Graph g;
  const Mlp m = build_mlp(g, 6, 1e-3, 5);
  for (const std::size_t batch : {1u, 7u, 37u, 333u, 1001u}) {
    for (const std::size_t tile : {0u, 8u, 13u}) {
      const Batch b = make_batch(batch, static_cast<std::uint32_t>(batch));
      std::vector<double> first;
      for (std::size_t threads = 1; threads <= 4; ++threads) {
        INFO("batch ", batch, ", tile ", tile, ", threads ", threads);
        gf::ExecutorOptions o;
        o.threads = threads;
        o.tile = tile;
        gf::Executor ex(g, m.loss, batch, o);
        CHECK(ex.threads() >= 1);
        CHECK(ex.threads() <= threads);  // at most one per core
        CHECK(ex.tiles() == (batch + ex.tile_size() - 1) / ex.tile_size());
        if (tile != 0) CHECK(ex.tile_size() == std::min(tile, batch));
        load(ex, m, b);
        const auto results = [&] {
          std::vector<double> got{ex.loss()};
          for (const auto& p : m.params) got.push_back(ex.grad(p));
          for (std::size_t s = 0; s < batch; s += 5) {
            got.push_back(ex.value(m.score, s));
            got.push_back(ex.grad(m.score, s));
            got.push_back(ex.grad(m.x1, s));
          }
          return got;
        };
        ex.run();  // forward and backward tile by tile
        const std::vector<double> got = results();
        ex.forward();  // every tile forward, then every tile backward: the same numbers
        ex.backward();
        CHECK(results() == got);
        if (threads == 1)
          first = got;
        else
          CHECK(got == first);
      }
    }
  }
}

TEST_CASE("executor: tiles agree with Graph::backward per sample and name the failing sample") {
  gf::Graph g;
  const Mlp m = build_mlp(g, 4, 1e-2, 8);
  const Batch b = make_batch(37, 9);
  gf::ExecutorOptions o;
  o.tile = 8;  // five tiles, the last of five samples
  o.threads = 2;
  gf::Executor ex(g, m.loss, 37, o);
  CHECK(ex.tiles() == 5);
  load(ex, m, b);
  ex.run();
  check_against_graph(g, ex, {m.x1, m.x2, m.label}, {b.x1, b.x2, b.y});

  // A domain error in a late tile names its sample (the first one, in the first failing node).
  gf::Graph h;
  const auto x = h.input("x", 1.0);
  const auto y = log(x).named("logx");
  const auto z = log(y + 1.0).named("log1p");
  std::vector<double> xs(37, 2.0);
  xs[35] = 0.5;   // log(log 0.5 + 1) fails in the second node, sample 35
  xs[30] = -1.0;  // log(-1) fails in the first node, sample 30
  for (const std::size_t threads : {1u, 2u, 4u}) {
    gf::ExecutorOptions ho;
    ho.tile = 8;
    ho.threads = threads;
    gf::Executor hx(h, z, 37, ho);
    hx.set_input(x, xs);
    try {
      hx.forward();
      FAIL("expected a DomainError");
    } catch (const gf::DomainError& e) {
      CHECK(e.node == y.id());
      CHECK(std::string(e.what()).find("sample 30") != std::string::npos);
    }
  }
}

// An MLP of affine nodes: the same tiling rule and kernels, so the same guarantee; and the
// primitive form's numbers, bit for bit.
TEST_CASE("threads: an affine MLP's results are bit-identical for 1, 2 and 4 threads") {
  gf::Graph gf_, gp;
  const Mlp m = build_mlp(gf_, 6, 1e-3, 5, true), p = build_mlp(gp, 6, 1e-3, 5);
  for (const std::size_t batch : {1u, 37u, 1001u, 1441u}) {
    for (const std::size_t tile : {0u, 8u, 13u}) {
      const Batch b = make_batch(batch, static_cast<std::uint32_t>(batch));
      gf::ExecutorOptions o;
      o.tile = tile;
      gf::Executor prim(gp, p.loss, batch, o);
      load(prim, p, b);
      prim.run();
      for (const std::size_t threads : {1u, 2u, 4u}) {
        INFO("batch ", batch, ", tile ", tile, ", threads ", threads);
        o.threads = threads;
        gf::Executor ex(gf_, m.loss, batch, o);
        CHECK(ex.tile_size() == prim.tile_size());
        load(ex, m, b);
        ex.run();
        CHECK(ex.loss() == prim.loss());
        for (std::size_t k = 0; k < m.params.size(); ++k)
          CHECK(ex.grad(m.params[k]) == prim.grad(p.params[k]));
        for (std::size_t s = 0; s < batch; s += 5) {
          CHECK(ex.value(m.score, s) == prim.value(p.score, s));
          CHECK(ex.grad(m.score, s) == prim.grad(p.score, s));
          CHECK(ex.grad(m.x1, s) == prim.grad(p.x1, s));
        }
      }
    }
  }
}

// Neuron steps (weighted sum, bias or add, activation in one step) and first-write gradient rows:
// tanh, sigmoid and relu neurons, an add instead of a bias, a neuron whose sum is also read by
// the loss (not fused) and an input read twice. Every node, sample by sample, against the
// unfused run bit for bit and against Graph::backward, in a tiled batch, a batch of one and
// check mode.
TEST_CASE("executor: neuron steps keep every node's values and gradients, bit for bit") {
  gf::Graph g;
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  const auto x1 = g.input("x1", 0.2), x2 = g.input("x2", -0.4);
  std::vector<gf::Node> params;
  const auto param = [&] {
    params.push_back(g.parameter("p", u(rng)));
    return params.back();
  };
  std::vector<gf::Node> in{x1, x2, x1};  // x1 read twice by each neuron of the first layer
  std::vector<gf::Node> sums;
  for (int layer = 0; layer < 2; ++layer) {
    std::vector<gf::Node> out;
    for (int j = 0; j < 4; ++j) {
      std::vector<gf::Node> terms;
      for (const auto& x : in) terms.push_back(param() * x);
      const auto s = sum(terms);
      sums.push_back(s);
      const auto z = j == 1 ? s + param() : bias(s, param());
      out.push_back(j == 0 ? tanh(z) : j == 3 ? relu(z) : sigmoid(z));
    }
    in = out;
  }
  std::vector<gf::Node> last;
  for (const auto& x : in) last.push_back(param() * x);
  // The first sum is also read by the loss: its neuron runs as separate steps.
  const auto score = bias(sum(last), param());
  const auto loss = (score * score + 0.5 * sums[0]).named("loss");
  for (const std::size_t nb : {std::size_t{1}, std::size_t{29}}) {
    CAPTURE(nb);
    const Batch b = make_batch(nb, 8);
    gf::Executor fused(g, loss, nb, {gf::Reduction::mean, true, 1, 8}),
        plain(g, loss, nb, {gf::Reduction::mean, false, 1, 8});
    CHECK(fused.fused_neurons() == 7);  // 8 neurons, the first one's sum read twice
    CHECK(plain.fused_neurons() == 0);
    for (const bool check : {false, true}) {
      g.set_check_finite(check);
      for (auto* ex : {&fused, &plain}) {
        ex->set_input(x1, b.x1);
        ex->set_input(x2, b.x2);
        ex->run();
      }
      same_numbers(g, fused, plain, nb, 1);
    }
    g.set_check_finite(false);
    check_against_graph(g, fused, {x1, x2}, {b.x1, b.x2});
  }
}

namespace {
// An executor of `m`'s loss over batch `b` with `samples` (kept or recomputed on demand), run.
gf::Executor scratch_run(gf::Graph& g, const Mlp& m, const Batch& b, gf::SampleStorage samples,
                         std::size_t threads, bool fuse = true, std::size_t tile = 0) {
  gf::ExecutorOptions o;
  o.tile = tile;
  o.fuse = fuse;
  o.threads = threads;
  o.samples = samples;
  gf::Executor ex(g, m.loss, b.y.size(), o);
  load(ex, m, b);
  ex.run();
  return ex;
}

// Every node's numbers in samples `ss` (values, gradients per sample, uniform ones through the
// single-sample sweep too) and their workspaces, ==.
void same_samples(const gf::Graph& g, const gf::Executor& a, const gf::Executor& b,
                  const std::vector<std::size_t>& ss) {
  same_numbers(g, a, b, 1, 1);  // loss, grad(n), and sample 0
  gf::Workspace wa, wb;
  for (const std::size_t s : ss) {
    CAPTURE(s);
    for (const gf::NodeId i : a.plan().order) {
      const auto n = g.node(i);
      INFO("node #", i, " ", gf::info(n.op()).name);
      CHECK(a.value(n, s) == b.value(n, s));
      CHECK(a.grad(n, s) == b.grad(n, s));
    }
    a.sample_workspace(s, wa);
    b.sample_workspace(s, wb);
    CHECK(wa.value == wb.value);
    CHECK(wa.grad == wb.grad);
  }
}
}  // namespace

// Issue 16: past a few MiB of per-sample numbers the tiles run in a per-thread scratch block and
// read-back recomputes a sample's tile: every number the stored run gives, bit for bit.
TEST_CASE("executor: a run that does not keep samples gives the stored run's numbers") {
  gf::Graph g;
  const Mlp m = build_mlp(g, 16, 1e-3, 5);
  {  // automatic: kept while small
    gf::Executor small(g, m.loss, 100), large(g, m.loss, 10000);
    CHECK(small.keeps_samples());
    CHECK_FALSE(large.keeps_samples());
  }
  for (const bool fuse : {true, false}) {
    const Batch b = make_batch(1001, 17);
    const gf::Executor kept = scratch_run(g, m, b, gf::SampleStorage::keep, 1, fuse);
    REQUIRE(kept.keeps_samples());
    REQUIRE(kept.tiles() > 2);
    const std::size_t t = kept.tile_size();
    const std::vector<std::size_t> ss{0, 3, t - 1, t, 2 * t + 5, 1000 - t, 999, 1000, 0};
    for (const std::size_t threads : {1u, 2u}) {
      CAPTURE(fuse);
      CAPTURE(threads);
      const gf::Executor ex = scratch_run(g, m, b, gf::SampleStorage::recompute, threads, fuse);
      REQUIRE_FALSE(ex.keeps_samples());
      CHECK(ex.tile_size() == t);
      same_samples(g, ex, kept, ss);
      std::vector<double> ga(m.params.size()), gb(m.params.size());
      ex.gradients(m.params, ga);
      kept.gradients(m.params, gb);
      CHECK(ga == gb);
    }
  }
  // Automatic at batch 10,000: 1 and 2 threads, the stored run.
  const Batch big = make_batch(10000, 3);
  const gf::Executor kept = scratch_run(g, m, big, gf::SampleStorage::keep, 1);
  const gf::Executor one = scratch_run(g, m, big, gf::SampleStorage::automatic, 1);
  const gf::Executor two = scratch_run(g, m, big, gf::SampleStorage::automatic, 2);
  CHECK_FALSE(one.keeps_samples());
  same_samples(g, one, kept, {0, 5000, 9999});
  same_samples(g, two, kept, {9998, 1, 7777});
}

TEST_CASE("executor: not keeping samples, forward and backward alone and later inputs") {
  gf::Graph g;
  const Mlp m = build_mlp(g, 6, 1e-3, 9, true);  // affine neurons
  const Batch b = make_batch(203, 4), c = make_batch(203, 5);
  gf::ExecutorOptions o;
  o.tile = 16;
  o.samples = gf::SampleStorage::recompute;
  gf::Executor ex(g, m.loss, 203, o);
  CHECK_THROWS_AS(ex.value(m.score, 0), gf::UsageError);  // nothing to recompute from yet
  o.samples = gf::SampleStorage::keep;
  gf::Executor kept(g, m.loss, 203, o);
  load(ex, m, b);
  load(kept, m, b);
  ex.forward();  // values only: gradients read 0, as stored
  kept.forward();
  CHECK(ex.loss() == kept.loss());
  CHECK(ex.value(m.score, 200) == kept.value(m.score, 200));
  CHECK(ex.grad(m.score, 200) == 0.0);
  // New inputs before the backward: it differentiates the forward's samples, as a stored run.
  load(ex, m, c);
  load(kept, m, c);
  ex.backward();
  kept.backward();
  same_samples(g, ex, kept, {0, 17, 202});
  // Inputs changed after a run: read-back still gives that run's numbers.
  const gf::Executor ref = scratch_run(g, m, b, gf::SampleStorage::keep, 1, true, 16);
  ex.set_input(m.x1, b.x1);
  ex.set_input(m.x2, b.x2);
  ex.set_input(m.label, b.y);
  ex.run();
  const auto x1 = ex.input(m.x1);
  std::fill(x1.begin(), x1.end(), 0.25);
  same_samples(g, ex, ref, {0, 100, 202});
  CHECK(ex.value(m.x1, 7) == b.x1[7]);
  ex.run();  // the new inputs from here on
  CHECK(ex.value(m.x1, 7) == 0.25);
  CHECK(ex.loss() != ref.loss());
}

TEST_CASE("executor: not keeping samples, errors name the same node and sample") {
  gf::Graph h;
  const auto x = h.input("x", 1.0);
  const auto w = h.parameter("w", 0.0);
  const auto y = log(x).named("logx");
  const auto z = sqrt(log(y + 1.0).named("log1p") - w).named("root");
  std::vector<double> xs(37, 3.0);
  xs[35] = 0.5;   // log(log 0.5 + 1) fails in the second node, sample 35
  xs[30] = -1.0;  // log(-1) fails in the first node, sample 30
  const auto message = [&](gf::SampleStorage samples, std::size_t threads, bool backward) {
    gf::ExecutorOptions o;
    o.tile = 8;
    o.threads = threads;
    o.samples = samples;
    gf::Executor ex(h, z, 37, o);
    ex.set_input(x, xs);
    try {
      if (backward)
        ex.run();
      else
        ex.forward();
    } catch (const gf::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const auto same = [&](bool backward) {
    const std::string want = message(gf::SampleStorage::keep, 1, backward);
    for (const std::size_t threads : {1u, 2u})
      CHECK(message(gf::SampleStorage::recompute, threads, backward) == want);
    return want;
  };
  CHECK(same(false).find("sample 30") != std::string::npos);  // DomainError
  h.set_check_finite(true);
  xs[30] = 3.0;
  xs[35] = 1.0;  // log1p = 0 = w: root = sqrt(0), its operand's gradient inf
  xs[33] = 1.0;
  const std::string g = same(true);
  CHECK(g.find("gradient") != std::string::npos);
  CHECK(g.find("sample 33") != std::string::npos);
  xs[12] = HUGE_VAL;  // a value: the forward's check
  const std::string v = same(false);
  CHECK(v.find("value") != std::string::npos);
  CHECK(v.find("sample 12") != std::string::npos);
  h.set_check_finite(false);
}
