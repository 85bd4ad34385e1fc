// Recording a training run (nn/record.hpp): the snapshots against a network evaluated by hand in
// plain C++ loops from the recorded parameters (forward, hinge loss, L2), their gradients against
// central differences of that hand-written loss, the units' activity and maps against the same
// hand forward pass, and a recorded run against an unrecorded one (bit for bit).
#include <cmath>
#include <cstddef>
#include <vector>

#include <doctest/doctest.h>

#include <gradflow/graph/graph.hpp>
#include <gradflow/nn/nn.hpp>
#include <gradflow/nn/record.hpp>
#include <gradflow/nn/train.hpp>
#include <gradflow/ops/errors.hpp>

namespace gf = gradflow;
namespace nn = gradflow::nn;
namespace train = gradflow::train;

namespace {

constexpr double kL2 = 1e-3;

// A 2-3-1 ReLU network with a linear output, parameters in nn's documented order.
struct Hand {
  const std::vector<double>& p;
  // Hidden unit j's pre-activation at (x1, x2).
  double pre1(std::size_t j, double x1, double x2) const {
    return p[j * 3] * x1 + p[j * 3 + 1] * x2 + p[j * 3 + 2];
  }
  double hidden(std::size_t j, double x1, double x2) const {
    return std::max(0.0, pre1(j, x1, x2));
  }
  double score(double x1, double x2) const {
    double s = p[12];
    for (std::size_t j = 0; j < 3; ++j) s += p[9 + j] * hidden(j, x1, x2);
    return s;
  }
  // mean hinge + L2, as TrainOptions{hinge, l2 = kL2} defines it.
  double loss(const train::Dataset& d) const {
    double sum = 0.0;
    for (std::size_t i = 0; i < d.size(); ++i)
      sum += std::max(0.0, 1.0 - d.y[i] * score(d.row(i)[0], d.row(i)[1]));
    double sq = 0.0;
    for (const double v : p) sq += v * v;
    return sum / static_cast<double>(d.size()) + kL2 * sq;
  }
};

train::TrainOptions options() {
  train::TrainOptions o;
  o.loss = train::Loss::hinge;
  o.l2 = kL2;
  o.iterations = 6;
  o.lr = {0.5, 0.3};
  return o;
}

nn::MLPOptions net_options() {
  nn::MLPOptions o;
  o.init.seed = 7;
  return o;
}

}  // namespace

TEST_CASE("record: snapshots hold the trainer's losses and parameters, checked by hand") {
  const train::Dataset data = train::make_moons(10, 0.1, 3);
  gf::Graph g;
  const nn::MLP net(g, {2, 3, 1}, net_options());
  train::Trainer trainer(g, net, data.size(), options());
  train::RecordOptions ro;
  ro.grid = 5;
  ro.detail_every = 3;
  ro.detail_samples = {0, 7};
  train::TrainingRecorder rec(g, net, trainer, data, ro);
  const auto records = rec.fit();
  const gf::TrainingRecord& r = rec.record();

  // The same run without a recorder: every loss and the final parameters are the same bits.
  gf::Graph g2;
  const nn::MLP net2(g2, {2, 3, 1}, net_options());
  train::Trainer plain(g2, net2, data.size(), options());
  const auto plain_records = plain.fit(data);
  REQUIRE(records.size() == plain_records.size());
  for (std::size_t k = 0; k < records.size(); ++k) CHECK(records[k].loss == plain_records[k].loss);
  CHECK(net.parameter_values() == net2.parameter_values());

  REQUIRE(r.snapshots.size() == 6);
  CHECK(r.sizes == std::vector<std::size_t>{2, 3, 1});
  REQUIRE(r.units.size() == 4);
  CHECK(r.units[0].name == "L1.n1");
  CHECK(r.units[3].name == "L2.n1");
  CHECK(r.units[3].first_param == 9);
  CHECK(r.units[0].activation == gf::Op::relu);
  CHECK(r.param_names.front() == "L1.n1.w1");
  CHECK(r.loss_name == "hinge");
  for (std::size_t k = 0; k < r.snapshots.size(); ++k) {
    const gf::TrainingSnapshot& s = r.snapshots[k];
    CAPTURE(k);
    CHECK(s.iteration == static_cast<int>(k));
    CHECK(s.loss == records[k].loss);
    CHECK(s.accuracy == records[k].accuracy);
    CHECK(s.progress == train::progress_line(records[k]));
    // The parameters the loss was computed with: the hand-written network gives the same loss.
    const Hand h{s.params};
    CHECK(s.loss == doctest::Approx(h.loss(data)).epsilon(1e-13));
    // Gradients: central differences of the hand-written loss.
    REQUIRE(s.grads.size() == 13);
    for (std::size_t i = 0; i < s.grads.size(); ++i) {
      std::vector<double> up = s.params, down = s.params;
      up[i] += 1e-6;
      down[i] -= 1e-6;
      const double fd = (Hand{up}.loss(data) - Hand{down}.loss(data)) / 2e-6;
      CHECK(s.grads[i] == doctest::Approx(fd).epsilon(1e-6));
    }
    // SGD without momentum: the next snapshot's parameters are p - lr g, to the bit.
    if (k + 1 < r.snapshots.size())
      for (std::size_t i = 0; i < s.params.size(); ++i)
        CHECK(r.snapshots[k + 1].params[i] == s.params[i] - s.lr * s.grads[i]);
    // Units: the fraction of samples where a hidden ReLU is off, and the mean pre-activation.
    for (std::size_t j = 0; j < 3; ++j) {
      double off = 0.0, pre = 0.0;
      for (std::size_t i = 0; i < data.size(); ++i) {
        const double z = h.pre1(j, data.row(i)[0], data.row(i)[1]);
        off += z <= 0.0 ? 1.0 : 0.0;
        pre += z;
      }
      CHECK(s.units[j].blocked == off / static_cast<double>(data.size()));
      CHECK(s.units[j].mean_pre == doctest::Approx(pre / static_cast<double>(data.size())));
      CHECK(s.units[j].saturated == 0.0);  // ReLU never saturates
    }
    // Maps: 5 x 5 points over the data's extent; the score and a hidden unit's output by hand.
    REQUIRE(s.score_map.size() == 25);
    REQUIRE(s.unit_maps.size() == 4);
    for (std::size_t row = 0; row < 5; ++row)
      for (std::size_t col = 0; col < 5; ++col) {
        const double x1 = r.x_min + (r.x_max - r.x_min) * static_cast<double>(col) / 4.0;
        const double x2 = r.y_min + (r.y_max - r.y_min) * static_cast<double>(row) / 4.0;
        CHECK(s.score_map[row * 5 + col] == doctest::Approx(h.score(x1, x2)).epsilon(1e-12));
        CHECK(s.unit_maps[1][row * 5 + col] == doctest::Approx(h.hidden(1, x1, x2)));
        CHECK(s.unit_maps[3][row * 5 + col] == s.score_map[row * 5 + col]);
      }
    // Detail at iterations 0, 3 and the last (5), for samples 0 and 7.
    CHECK(s.detail.empty() == (k != 0 && k != 3 && k != 5));
  }
  CHECK(r.grid == 5);
  CHECK(r.x_min < -1.0);  // the moons span about [-1, 2] x [-0.5, 1]
  CHECK(r.x_max > 2.0);

  // One sample's backward pass through L1.n2 at iteration 3: its nodes in backward order
  // (y, z+b, z, w2*x2, w1*x1); the activation's local derivative is relu'(z + b) and its
  // contribution is the gradient it passed times that.
  const gf::TrainingSnapshot& s3 = r.snapshots[3];
  REQUIRE(s3.detail.size() == 2);
  CHECK(s3.detail[1].sample == 7);
  const auto& nodes = s3.detail[1].units[1];
  REQUIRE(nodes.size() == 5);
  CHECK(nodes[0].label == "L1.n2.y");
  CHECK(nodes[0].step.op == gf::Op::relu);
  CHECK(nodes[4].step.op == gf::Op::mul);
  CHECK(nodes[4].operand_labels == std::vector<std::string>{"L1.n2.w1", "x1"});
  const Hand h3{s3.params};
  const double z = h3.pre1(1, data.row(7)[0], data.row(7)[1]);
  CHECK(nodes[0].step.value == doctest::Approx(std::max(0.0, z)));
  REQUIRE(nodes[0].step.edges.size() == 1);
  CHECK(nodes[0].step.edges[0].local_derivative == (z > 0.0 ? 1.0 : 0.0));
  CHECK(nodes[0].step.edges[0].contribution ==
        nodes[0].step.passed * nodes[0].step.edges[0].local_derivative);
  // d loss_7 / d y of L1.n2: -t * w_out2 when the margin is not met (the hinge is active).
  const double margin = 1.0 - data.y[7] * h3.score(data.row(7)[0], data.row(7)[1]);
  CHECK(nodes[0].step.upstream == (margin > 0.0 ? -data.y[7] * s3.params[10] : 0.0));
  // The w1*x1 node: local derivatives x1 and w1.
  REQUIRE(nodes[4].step.edges.size() == 2);
  CHECK(nodes[4].step.edges[0].local_derivative == data.row(7)[0]);
  CHECK(nodes[4].step.edges[1].local_derivative == s3.params[3]);
}

TEST_CASE("record: every-k snapshots keep the last iteration, misuse is a UsageError") {
  const train::Dataset data = train::make_moons(10, 0.1, 3);
  gf::Graph g;
  const nn::MLP net(g, {2, 3, 1}, net_options());
  train::Trainer trainer(g, net, data.size(), options());
  train::RecordOptions ro;
  ro.every = 4;
  ro.detail_every = 0;
  ro.grid = 0;
  SUBCASE("snapshots at 0, 4 and the last") {
    train::TrainingRecorder rec(g, net, trainer, data, ro);
    rec.fit();
    REQUIRE(rec.record().snapshots.size() == 3);
    CHECK(rec.record().snapshots[1].iteration == 4);
    CHECK(rec.record().snapshots[2].iteration == 5);
    CHECK(rec.record().snapshots[2].score_map.empty());
    CHECK(rec.record().snapshots[2].detail.empty());
  }
  SUBCASE("a detail sample outside the data") {
    ro.detail_samples = {10};
    CHECK_THROWS_AS(train::TrainingRecorder(g, net, trainer, data, ro), gf::UsageError);
  }
  SUBCASE("the network called after the trainer") {
    (void)net("other");
    CHECK_THROWS_AS(train::TrainingRecorder(g, net, trainer, data, ro), gf::UsageError);
  }
}

TEST_CASE("record: a cap thins the older snapshots, the kept ones as an uncapped run's") {
  // 100 iterations, cap 10: the newest 5 every iteration, the older 0 .. 94 at the smallest
  // power-of-2 stride s with 94 / s + 1 + 5 <= 10, s = 32 (0, 32, 64); the first always kept.
  const train::Dataset data = train::make_moons(10, 0.1, 3);
  train::TrainOptions o = options();
  o.iterations = 100;
  train::RecordOptions ro;
  ro.detail_every = 0;
  ro.grid = 4;
  gf::Graph g1, g2;
  const nn::MLP net1(g1, {2, 3, 1}, net_options());
  train::Trainer t1(g1, net1, data.size(), o);
  train::TrainingRecorder all(g1, net1, t1, data, ro);
  const auto records = all.fit();
  ro.cap = 10;
  const nn::MLP net2(g2, {2, 3, 1}, net_options());
  train::Trainer t2(g2, net2, data.size(), o);
  train::TrainingRecorder capped(g2, net2, t2, data, ro);
  capped.fit();
  const auto& kept = capped.record().snapshots;
  REQUIRE(records.size() == 100);
  REQUIRE(all.record().snapshots.size() == 100);
  CHECK(kept.size() <= 10);
  CHECK(capped.thinnings() > 0);
  CHECK(all.thinnings() == 0);
  REQUIRE(kept.size() >= 6);
  CHECK(kept[0].iteration == 0);
  for (std::size_t k = 0; k < 5; ++k) CHECK(kept[kept.size() - 5 + k].iteration == 95 + int(k));
  int before = -1;
  for (const auto& s : kept) {
    CHECK(s.iteration > before);
    CHECK(s.iteration - before <= 32);
    before = s.iteration;
    // Moved, not mixed up: each kept snapshot is the uncapped run's at its iteration.
    const auto& same = all.record().snapshots[static_cast<std::size_t>(s.iteration)];
    CHECK(s.loss == records[static_cast<std::size_t>(s.iteration)].loss);
    CHECK(s.params == same.params);
    CHECK(s.grads == same.grads);
    CHECK(s.score_map == same.score_map);
    CHECK(s.progress == same.progress);
  }
}

TEST_CASE("record: for 1-D inputs the maps are the fitted curve along the axis") {
  train::Dataset data;
  for (int i = 0; i < 6; ++i) {
    const double x = 0.5 * i - 1.0;
    data.add(std::vector<double>{x}, x > 0.2 ? 1.0 : 0.0);
  }
  gf::Graph g;
  nn::MLPOptions mo;
  mo.hidden = nn::Activation::sigmoid;
  mo.init.seed = 3;
  const nn::MLP net(g, {1, 2, 1}, mo);
  train::TrainOptions o;
  o.iterations = 3;
  o.lr = {0.5, 0.0};
  train::Trainer trainer(g, net, data.size(), o);
  train::RecordOptions ro;
  ro.grid = 7;
  train::TrainingRecorder rec(g, net, trainer, data, ro);
  rec.fit();
  const gf::TrainingRecord& r = rec.record();
  CHECK(r.grid == 7);
  CHECK(r.x_min == doctest::Approx(-1.0 - 0.25));  // the data span [-1, 1.5], 10% margin
  CHECK(r.x_max == doctest::Approx(1.5 + 0.25));
  for (const gf::TrainingSnapshot& s : r.snapshots) {
    REQUIRE(s.score_map.size() == 7);
    REQUIRE(s.unit_maps.size() == 3);
    const auto& p = s.params;  // L1.n1: w, b; L1.n2: w, b; L2.n1: v1, v2, c
    for (std::size_t i = 0; i < 7; ++i) {
      const double x = r.x_min + (r.x_max - r.x_min) * static_cast<double>(i) / 6.0;
      const double h1 = 1.0 / (1.0 + std::exp(-(p[0] * x + p[1])));
      const double h2 = 1.0 / (1.0 + std::exp(-(p[2] * x + p[3])));
      CHECK(s.unit_maps[0][i] == doctest::Approx(h1).epsilon(1e-12));
      CHECK(s.score_map[i] == doctest::Approx(p[4] * h1 + p[5] * h2 + p[6]).epsilon(1e-12));
    }
  }
}
