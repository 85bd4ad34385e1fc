// Training: losses built from nodes against values worked out by hand, L2, SGD with momentum,
// the learning-rate schedule (and its clamp, issue 12), the CSV loader's errors, the moons
// generator, the one-sample graph trained on the batched executor against a reference that
// records a fresh graph per sample, and a short run against micrograd's own arithmetic.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <gradflow/engine/executor.hpp>
#include <gradflow/nn/nn.hpp>
#include <gradflow/nn/train.hpp>
#include <gradflow/ops/errors.hpp>

namespace gf = gradflow;
namespace nn = gradflow::nn;
namespace train = gradflow::train;

namespace {
struct LossCase {
  train::Loss loss;
  double score, target, value, grad;
};
}  // namespace

TEST_CASE("train: each loss's value and gradient worked out by hand") {
  // mse (s - t)^2: (0.3 - 1)^2 = 0.49, d/ds = 2 (s - t) = -1.4.
  // bce from logits softplus(s) - t s: s = 2, t = 1: log(1 + e^-2) = 0.1269280110429725,
  //   d/ds = sigmoid(2) - 1 = -0.11920292202211769 (Python); s = 0: ln 2, d/ds = 0.5 - t.
  // hinge relu(1 - t s): s = 0.3, t = 1: 0.7, d/ds = -t = -1; t = -1: 1.3, d/ds = 1;
  //   s = 2, t = 1: 0 and no gradient (the margin is met).
  const std::vector<LossCase> cases{
      {train::Loss::mse, 0.3, 1.0, 0.49, -1.4},
      {train::Loss::bce_logits, 2.0, 1.0, 0.1269280110429725, -0.11920292202211769},
      {train::Loss::bce_logits, 0.0, 1.0, 0.6931471805599453, -0.5},
      {train::Loss::bce_logits, 0.0, 0.0, 0.6931471805599453, 0.5},
      {train::Loss::hinge, 0.3, 1.0, 0.7, -1.0},
      {train::Loss::hinge, 0.3, -1.0, 1.3, 1.0},
      {train::Loss::hinge, 2.0, 1.0, 0.0, 0.0},
  };
  for (const auto& c : cases) {
    CAPTURE(train::name(c.loss));
    CAPTURE(c.score);
    CAPTURE(c.target);
    gf::Graph g;
    const auto s = g.parameter("s", c.score);
    const auto t = g.input("t", c.target);
    const auto l = train::sample_loss(c.loss, s, t);
    g.backward(l);
    CHECK(l.value() == doctest::Approx(c.value).epsilon(1e-14));
    CHECK(s.grad() == doctest::Approx(c.grad).epsilon(1e-14));
  }
}

TEST_CASE("train: BCE from logits stays finite where the naive formula does not") {
  // t = 1, s = -800: the loss is softplus(800) - 0 ... = 800 exactly in doubles, the gradient
  // sigmoid(-800) - 1 = -1. The naive -log(sigmoid(s)) is -log(0) = inf.
  gf::Graph g;
  const auto s = g.parameter("s", -800);
  const auto t = g.input("t", 1);
  const auto l = train::bce_with_logits(s, t);
  g.backward(l);
  CHECK(l.value() == 800.0);
  CHECK(s.grad() == -1.0);
  s.set(800);
  t.set(0);
  g.backward(l);
  CHECK(l.value() == 800.0);
  CHECK(s.grad() == 1.0);
}

TEST_CASE("train: mean and the L2 penalty") {
  gf::Graph g;
  const std::array<gf::Node, 3> p{g.parameter("a", 1), g.parameter("b", 2), g.parameter("c", 3)};
  const auto l2 = train::l2_penalty(p, 0.5);  // 0.5 (1 + 4 + 9) = 7, d/dp = 2 * 0.5 * p = p
  g.backward(l2);
  CHECK(l2.value() == 7.0);
  for (const auto& q : p) CHECK(q.grad() == q.value());
  const auto m = train::mean(p);  // 2, each d/dp = 1/3
  g.backward(m);
  CHECK(m.value() == doctest::Approx(2.0));
  CHECK(p[1].grad() == doctest::Approx(1.0 / 3.0));
}

TEST_CASE("train: SGD with momentum for three updates by hand") {
  // loss p^2, p = 1, lr 0.1, momentum 0.9, v = 0.9 v + g, p -= lr v:
  //   g = 2,    v = 2,                    p = 0.8
  //   g = 1.6,  v = 1.8 + 1.6 = 3.4,      p = 0.8 - 0.34 = 0.46
  //   g = 0.92, v = 3.06 + 0.92 = 3.98,   p = 0.46 - 0.398 = 0.062
  gf::Graph g;
  const auto p = g.parameter("p", 1);
  const auto loss = p * p;
  train::SGD sgd({p}, 0.9);
  const std::array<double, 3> expected{0.8, 0.46, 0.062};
  for (double e : expected) {
    g.backward(loss);
    sgd.update(0.1);
    CHECK(p.value() == doctest::Approx(e).epsilon(1e-14));
  }
  // Without momentum, one update is exactly p -= lr * g.
  const auto q = g.parameter("q", 0.7);
  const auto l2 = q * q;
  train::SGD plain({q});
  g.backward(l2);
  plain.update(0.25);
  CHECK(q.value() == 0.7 - 0.25 * (2 * 0.7));
  // Gradients given from elsewhere (an Executor's) instead of the graph's.
  const std::array<double, 1> grad{-2.0};
  plain.update(0.25, grad);
  CHECK(q.value() == (0.7 - 0.25 * (2 * 0.7)) + 0.5);
  CHECK_THROWS_AS(plain.update(0.25, std::span<const double>{}), gf::UsageError);
}

TEST_CASE("train: the learning-rate schedule is micrograd's 1.0 - 0.9 k / 100") {
  const train::LearningRate lr{1.0, 0.9};
  CHECK(lr.at(0, 100) == 1.0);
  CHECK(lr.at(50, 100) == 1.0 - 0.9 * 50 / 100);
  CHECK(lr.at(99, 100) == doctest::Approx(0.109));
  CHECK(train::LearningRate{0.3, 0.0}.at(77, 100) == 0.3);
  // Past its end the schedule stays at start - drop (issue 12), before its start at start.
  CHECK(lr.at(100, 100) == 1.0 - 0.9);
  CHECK(lr.at(150, 100) == 1.0 - 0.9);
  CHECK(lr.at(1000000, 100) == 1.0 - 0.9);
  CHECK(lr.at(-3, 100) == 1.0);
}

TEST_CASE("train: issue 12: a second fit() keeps a decaying rate at the schedule's end") {
  // The report: moons(40), MLP {2, 8, 8, 1}, hinge, 50 iterations, lr 1.0 - 0.9 k / 50, fit()
  // twice. The schedule was fed the trainer's total count: the second fit's rate went 0.1 ->
  // -0.78 (gradient ascent) and the loss ended at NaN. Now it stays at 1.0 - 0.9.
  const auto data = train::make_moons(40, 0.1, 1);
  gf::Graph g;
  const nn::MLP net(g, {2, 8, 8, 1});
  train::TrainOptions o;
  o.loss = train::Loss::hinge;
  o.iterations = 50;
  o.lr = {1.0, 0.9};
  train::Trainer t(g, net, data.size(), o);
  const auto first = t.fit(data);
  const auto second = t.fit(data);
  CHECK(t.iterations_done() == 100);
  REQUIRE(first.size() == 50);
  REQUIRE(second.size() == 50);
  CHECK(first[49].lr == doctest::Approx(1.0 - 0.9 * 49 / 50));
  for (const auto& r : second) {
    CAPTURE(r.iteration);
    CHECK(r.lr == 1.0 - 0.9);
    CHECK(std::isfinite(r.loss));
  }
  for (double p : net.parameter_values()) CHECK(std::isfinite(p));
  CHECK(second.back().loss <= first.back().loss);
}

TEST_CASE("train: CSV with or without a header and malformed lines named by line number") {
  const auto d = train::parse_csv("x1,x2,label\n1,2,1\n\n-0.5, 3e-1 ,-1\r\n", "a.csv");
  REQUIRE(d.size() == 2);
  CHECK(d.features == 2);
  CHECK(d.row(1)[0] == -0.5);
  CHECK(d.row(1)[1] == 0.3);
  CHECK(d.y == std::vector<double>{1, -1});
  CHECK(train::parse_csv("1,2,1\n3,4,-1\n").size() == 2);  // no header
  CHECK_THROWS_WITH_AS(train::parse_csv("x1,x2,label\n1,2,1\n3,abc,-1\n", "data.csv"),
                       "gradflow: data.csv:3: field 2 'abc' is not a number", gf::Error);
  CHECK_THROWS_WITH_AS(train::parse_csv("1,2,1\n\n1,2\n", "data.csv"),
                       "gradflow: data.csv:3: expected 3 fields, found 2", gf::Error);
  CHECK_THROWS_WITH_AS(train::parse_csv("x,y\n", "h.csv"), "gradflow: h.csv: no samples",
                       gf::Error);
  CHECK_THROWS_WITH_AS(train::parse_csv("1\n2\n", "one.csv"),
                       doctest::Contains("one.csv:1: a sample needs at least one feature"),
                       gf::Error);
  CHECK_THROWS_AS(train::load_csv("/nonexistent/gradflow.csv"), gf::Error);

  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "gradflow_test_train";
  fs::create_directories(dir);
  {
    std::ofstream(dir / "d.csv") << "1.5,2.5,1\n";
    std::ofstream(dir / "init.txt") << "0.25\n\n-1e-3\n";
    std::ofstream(dir / "bad.txt") << "0.25\nx\n";
  }
  CHECK(train::load_csv((dir / "d.csv").string()).row(0)[1] == 2.5);
  CHECK(train::load_numbers((dir / "init.txt").string()) == std::vector<double>{0.25, -1e-3});
  CHECK_THROWS_WITH_AS(train::load_numbers((dir / "bad.txt").string()),
                       doctest::Contains("bad.txt:2: 'x' is not a number"), gf::Error);
  fs::remove_all(dir);
}

TEST_CASE("train: make_moons follows scikit-learn's geometry") {
  // Without noise, n = 6: the upper moon at t = 0, pi/2, pi: (1, 0), (0, 1), (-1, 0), label -1;
  // the lower moon (1 - cos t, 1/2 - sin t): (0, 0.5), (1, -0.5), (2, 0.5), label +1.
  const auto d = train::make_moons(6, 0.0, 1);
  const std::array<std::array<double, 3>, 6> expected{
      {{1, 0, -1}, {0, 1, -1}, {-1, 0, -1}, {0, 0.5, 1}, {1, -0.5, 1}, {2, 0.5, 1}}};
  REQUIRE(d.size() == 6);
  for (std::size_t i = 0; i < 6; ++i) {
    CHECK(d.row(i)[0] == doctest::Approx(expected[i][0]).epsilon(1e-12).scale(1));
    CHECK(d.row(i)[1] == doctest::Approx(expected[i][1]).epsilon(1e-12).scale(1));
    CHECK(d.y[i] == expected[i][2]);
  }
  CHECK(train::make_moons(5, 0.0, 1, false).y == std::vector<double>{0, 0, 1, 1, 1});
  // Noise: the same seed gives the same points; the offsets have standard deviation ~0.1
  // (2000 offsets: standard error of the estimate ~0.0016; bounds are 6 of those).
  const auto a = train::make_moons(1000, 0.1, 5), b = train::make_moons(1000, 0.1, 5);
  const auto c = train::make_moons(1000, 0.0, 5);
  CHECK(a.x == b.x);
  double s2 = 0;
  for (std::size_t i = 0; i < a.x.size(); ++i) s2 += (a.x[i] - c.x[i]) * (a.x[i] - c.x[i]);
  CHECK(std::sqrt(s2 / static_cast<double>(a.x.size())) == doctest::Approx(0.1).epsilon(0.1));
}

TEST_CASE("train: the trainer records one sample, whatever the batch, and adds no nodes") {
  // What one recording of the network adds: inputs, target, the network, the sample's loss.
  gf::Graph h;
  const nn::MLP copy(h, {2, 4, 1});
  const std::size_t h_before = h.size();
  const auto y = copy("x");
  train::hinge(y.front(), h.input("target", 0));
  const std::size_t one_recording = h.size() - h_before;

  const auto data = train::make_moons(10, 0.1, 2);
  for (std::size_t batch : {0u, 1u, 4u}) {
    CAPTURE(batch);
    gf::Graph g;
    const nn::MLP net(g, {2, 4, 1});
    const std::size_t before = g.size();
    train::TrainOptions o;
    o.loss = train::Loss::hinge;
    o.iterations = 5;
    o.batch_size = batch;
    train::Trainer t(g, net, data.size(), o);
    CHECK(g.size() - before == one_recording);
    CHECK(t.inputs().size() == 2);
    CHECK(t.loss() == t.data_loss());  // no L2 penalty recorded for l2 = 0
    CHECK(t.executor().batch() == (batch == 0 ? data.size() : batch));
    CHECK(t.executor().root() == t.loss());
    const std::size_t nodes = g.size(), edges = g.edge_count();
    t.fit(data);
    CHECK(g.size() == nodes);
    CHECK(g.edge_count() == edges);
    CHECK(t.iterations_done() == 5);
    // predict() evaluates the trained network: the same as a fresh recording with the trained
    // parameters in another graph.
    copy.set_parameters(net.parameter_values());
    const auto inputs = h.inputs();
    inputs[0].set(data.row(3)[0]);
    inputs[1].set(data.row(3)[1]);
    CHECK(t.predict(data.row(3)) == y.front().value());
  }
}

TEST_CASE("train: the full-batch gradient is the mean of per-sample gradients") {
  // Independent path: one single-sample copy of the network in a second graph with the same
  // parameters, backward per sample with GradMode::accumulate, divided by n.
  const auto data = train::make_moons(8, 0.1, 3);
  nn::MLPOptions mo;
  mo.hidden = nn::Activation::tanh;
  gf::Graph g, h;
  const nn::MLP net(g, {2, 3, 1}, mo), copy(h, {2, 3, 1}, mo);
  train::TrainOptions o;
  o.loss = train::Loss::bce_logits;
  o.target_threshold = 0.0;
  train::Trainer t(g, net, data.size(), o);
  auto targets = data;
  for (double& y : targets.y) y = y > 0 ? 1.0 : 0.0;
  const auto before = net.parameter_values();
  t.iterate(targets);  // the gradients of this iteration's batch, taken before its update
  const std::vector<double> batch_grad(t.gradients().begin(), t.gradients().end());
  REQUIRE(batch_grad.size() == net.parameter_count());
  copy.set_parameters(before);
  const auto x = copy("x");
  const auto target = h.input("target", 0);
  const auto loss = train::bce_with_logits(x.front(), target);
  const auto inputs = h.inputs();
  for (std::size_t i = 0; i < data.size(); ++i) {
    inputs[0].set(data.row(i)[0]);
    inputs[1].set(data.row(i)[1]);
    target.set(targets.y[i]);
    h.backward(loss, i == 0 ? gf::GradMode::reset : gf::GradMode::accumulate);
  }
  const auto ps = copy.parameters();
  for (std::size_t i = 0; i < ps.size(); ++i)
    CHECK(ps[i].grad() / static_cast<double>(data.size()) ==
          doctest::Approx(batch_grad[i]).epsilon(1e-10));
}

TEST_CASE("train: every loss's batch gradient agrees with finite differences of the batch loss") {
  for (auto loss : {train::Loss::mse, train::Loss::bce_logits, train::Loss::hinge}) {
    CAPTURE(train::name(loss));
    gf::Graph g;
    nn::MLPOptions mo;
    mo.hidden = nn::Activation::sigmoid;
    const nn::MLP net(g, {2, 4, 1}, mo);
    auto data = train::make_moons(6, 0.2, 9);
    if (loss != train::Loss::hinge)
      for (double& y : data.y) y = y > 0 ? 1.0 : 0.0;
    train::TrainOptions o;
    o.loss = loss;
    o.l2 = 0.01;
    train::Trainer t(g, net, data.size(), o);
    const auto before = net.parameter_values();
    const auto rec = t.iterate(data);  // gradients at `before`, then one update
    // The batch loss mean_i loss_i + 0.01 sum p^2 as a function of the parameters, through a
    // second executor over the trainer's one-sample root.
    net.set_parameters(before);
    gf::Executor ex(g, t.loss(), data.size());
    for (std::size_t j = 0; j < 2; ++j) {
      std::vector<double> column;
      for (std::size_t i = 0; i < data.size(); ++i) column.push_back(data.row(i)[j]);
      ex.set_input(t.inputs()[j], column);
    }
    ex.set_input(t.target(), data.y);
    ex.forward();
    CHECK(ex.loss() == rec.loss);
    const auto params = net.parameters();
    for (std::size_t k = 0; k < params.size(); ++k) {
      CAPTURE(k);
      const double v = before[k], h = 1e-6;
      params[k].set(v + h);
      ex.forward();
      const double up = ex.loss();
      params[k].set(v - h);
      ex.forward();
      const double down = ex.loss();
      params[k].set(v);
      CHECK(t.gradients()[k] == doctest::Approx((up - down) / (2 * h)).epsilon(1e-6).scale(1));
    }
  }
}

TEST_CASE("train: executor-trained parameters equal a loop that records a graph per sample") {
  // Reference, independent of the Executor and of the Trainer's code: for every sample of the
  // batch a fresh graph records the network with the current parameters and the sample's loss;
  // Graph::backward's gradients are summed and divided by the batch size, the L2 gradient
  // 2 alpha p is added by hand; then v = m v + g, p -= lr_k v with lr_k = 0.5 - 0.4 k / K. The
  // minibatches are the documented shuffle: Fisher-Yates with nn::Rng(shuffle_seed) whenever
  // fewer than batch_size rows remain (full batch: the data in order).
  constexpr int kIterations = 7;
  constexpr double alpha = 1e-3, momentum = 0.9;
  for (auto loss : {train::Loss::mse, train::Loss::bce_logits, train::Loss::hinge}) {
    for (std::size_t batch : {0u, 1u, 4u}) {
      CAPTURE(train::name(loss));
      CAPTURE(batch);
      auto data = train::make_moons(10, 0.2, 6);
      if (loss == train::Loss::bce_logits)
        for (double& y : data.y) y = y > 0 ? 1.0 : 0.0;
      nn::MLPOptions mo;
      mo.hidden = nn::Activation::tanh;
      mo.init.seed = 5;
      gf::Graph g;
      const nn::MLP net(g, {2, 5, 3, 1}, mo);
      train::TrainOptions o;
      o.loss = loss;
      o.l2 = alpha;
      o.iterations = kIterations;
      o.lr = {0.5, 0.4};
      o.momentum = momentum;
      o.batch_size = batch;
      o.shuffle_seed = 11;
      train::Trainer t(g, net, data.size(), o);

      const std::size_t n = data.size(), b = batch == 0 ? n : batch;
      std::vector<double> p = net.parameter_values(), v(p.size(), 0.0);
      std::vector<std::size_t> order(n);
      std::iota(order.begin(), order.end(), std::size_t{0});
      std::size_t cursor = n;
      nn::Rng rng(o.shuffle_seed);
      for (int k = 0; k < kIterations; ++k) {
        CAPTURE(k);
        if (b == n) {
          cursor = 0;
        } else if (cursor + b > n) {
          for (std::size_t i = n; i-- > 1;)
            std::swap(order[i],
                      order[static_cast<std::size_t>(rng.uniform() * static_cast<double>(i + 1))]);
          cursor = 0;
        }
        std::vector<double> grad(p.size(), 0.0);
        double loss_sum = 0.0;
        for (std::size_t c = 0; c < b; ++c) {
          const std::size_t row = order[cursor + c];
          gf::Graph h;
          const nn::MLP copy(h, {2, 5, 3, 1}, mo);
          copy.set_parameters(p);
          const std::array<gf::Node, 2> x{h.input("x1", data.row(row)[0]),
                                          h.input("x2", data.row(row)[1])};
          const auto l = train::sample_loss(loss, copy(x).front(), h.input("t", data.y[row]));
          h.backward(l);
          loss_sum += l.value();
          const auto ps = copy.parameters();
          for (std::size_t i = 0; i < ps.size(); ++i) grad[i] += ps[i].grad();
        }
        cursor += b;
        double penalty = 0.0;
        for (double q : p) penalty += q * q;
        const double expected_loss = loss_sum / static_cast<double>(b) + alpha * penalty;
        const double lr = 0.5 - 0.4 * k / kIterations;
        for (std::size_t i = 0; i < p.size(); ++i) {
          v[i] = momentum * v[i] + (grad[i] / static_cast<double>(b) + 2 * alpha * p[i]);
          p[i] -= lr * v[i];
        }

        const auto r = t.iterate(data);
        CHECK(r.iteration == k);
        CHECK(std::abs(r.loss - expected_loss) < 1e-12);
        CHECK(std::abs(r.data_loss - (expected_loss - alpha * penalty)) < 1e-12);
        CHECK(r.lr == lr);
        const auto trained = net.parameter_values();
        double worst = 0.0;
        for (std::size_t i = 0; i < p.size(); ++i)
          worst = std::max(worst, std::abs(trained[i] - p[i]));
        CHECK(worst < 1e-12);
      }
    }
  }
}

TEST_CASE("train: minibatches and per-sample SGD use the same static graph") {
  gf::Graph g;
  nn::MLPOptions mo;
  mo.output = nn::Activation::sigmoid;
  const nn::MLP net(g, {2, 1}, mo);
  train::Dataset andg;
  for (int a = 0; a <= 1; ++a)
    for (int b = 0; b <= 1; ++b) {
      const double p[2] = {static_cast<double>(a), static_cast<double>(b)};
      andg.add(p, a && b ? 1.0 : 0.0);
    }
  train::TrainOptions o;
  o.loss = train::Loss::mse;
  o.batch_size = 1;
  o.iterations = 2000;
  o.lr = {1.0, 0.0};
  o.score_threshold = o.target_threshold = 0.5;
  train::Trainer t(g, net, andg.size(), o);
  CHECK(t.batch_size() == 1);
  CHECK(t.executor().batch() == 1);
  t.fit(andg);
  CHECK(t.accuracy(andg) == 1.0);
  o.batch_size = 5;
  CHECK_THROWS_AS(train::Trainer(g, net, andg.size(), o), gf::UsageError);
}

TEST_CASE("train: a short moons run reproduces micrograd's numbers") {
  // Reference: karpathy/micrograd's engine.py and nn.py semantics (Value with +, *, relu and
  // its topological backward; the demo's loss and update), transcribed to plain Python and run
  // on the same data (make_moons(20, 0.1, seed 4), written out with 17 digits) and the same
  // initial parameters (MLP {2, 8, 1}, seed 2), lr = 1.0 - 0.9 k / 10. Its losses, 12 decimals:
  const std::array<double, 10> micrograd{
      0.778238625452, 0.565514146846, 0.396780461893, 0.370861537539, 0.357194597506,
      0.345889043086, 0.336795392517, 0.329762697209, 0.324748007611, 0.320798787241};
  const std::array<double, 10> accuracy{0.6, 0.85, 0.8, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85};
  const auto data = train::make_moons(20, 0.1, 4);
  gf::Graph g;
  nn::MLPOptions mo;
  mo.init.seed = 2;
  const nn::MLP net(g, {2, 8, 1}, mo);
  train::TrainOptions o;
  o.loss = train::Loss::hinge;
  o.l2 = 1e-4;
  o.iterations = 10;
  o.lr = {1.0, 0.9};
  train::Trainer t(g, net, data.size(), o);
  const auto records = t.fit(data);
  for (std::size_t k = 0; k < records.size(); ++k) {
    CAPTURE(k);
    CHECK(std::abs(records[k].loss - micrograd[k]) < 6e-13);
    CHECK(records[k].accuracy == doctest::Approx(accuracy[k]));
  }
  CHECK(train::progress_line(records[1]) == "step 1 loss 0.565514146846 accuracy 85%");
}

TEST_CASE("train: a fused network (affine nodes) trains with the primitive form's numbers") {
  // The executor runs an affine node with the bits of its primitive form bias(sum(w x), b), so
  // the two networks follow the same trajectory, iteration by iteration, bit for bit.
  const auto data = train::make_moons(45, 0.1, 4);
  for (const std::size_t batch : {0u, 16u}) {
    CAPTURE(batch);
    nn::MLPOptions mo;
    mo.hidden = nn::Activation::relu;
    gf::Graph gp, gfu;
    const nn::MLP prim(gp, {2, 8, 8, 1}, mo);
    mo.fused = true;
    const nn::MLP fused(gfu, {2, 8, 8, 1}, mo);
    REQUIRE(prim.parameter_values() == fused.parameter_values());
    train::TrainOptions o;
    o.loss = train::Loss::hinge;
    o.l2 = 1e-4;
    o.momentum = 0.9;
    o.iterations = 6;
    o.batch_size = batch;
    o.lr = {.start = 0.5, .drop = 0.4};
    train::Trainer tp(gp, prim, data.size(), o), tf(gfu, fused, data.size(), o);
    CHECK(gfu.size() < gp.size());
    for (int k = 0; k < o.iterations; ++k) {
      CAPTURE(k);
      const auto rp = tp.iterate(data), rf = tf.iterate(data);
      CHECK(rf.loss == rp.loss);
      CHECK(rf.data_loss == rp.data_loss);
      CHECK(rf.accuracy == rp.accuracy);
      CHECK(std::equal(tf.gradients().begin(), tf.gradients().end(), tp.gradients().begin(),
                       tp.gradients().end()));
      CHECK(fused.parameter_values() == prim.parameter_values());
    }
    CHECK(tf.predict(data.row(7)) == tp.predict(data.row(7)));
  }
}
