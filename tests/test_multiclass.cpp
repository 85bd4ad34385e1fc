// Multi-class classification: logsumexp, log_softmax and softmax cross-entropy built from nodes
// (stable for any logits, differentiable to any order thanks to detach), the spiral data set,
// and the Trainer with one logit per class.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include <doctest/doctest.h>

#include <gradflow/graph/gradients.hpp>
#include <gradflow/nn/nn.hpp>
#include <gradflow/nn/train.hpp>
#include <gradflow/ops/errors.hpp>

namespace gf = gradflow;
namespace tr = gradflow::train;

namespace {

// log sum e^z in long double: an independent reference.
long double lse_ref(const std::vector<double>& z) {
  long double m = z[0];
  for (const double v : z) m = std::max<long double>(m, v);
  long double s = 0;
  for (const double v : z) s += std::exp(static_cast<long double>(v) - m);
  return m + std::log(s);
}

}  // namespace

TEST_CASE("multiclass: log_softmax and cross-entropy against long double, for any logits") {
  for (const std::vector<double>& z : std::vector<std::vector<double>>{
           {1.0, 2.0, 3.0}, {1000.0, 999.0, -1000.0}, {-800.0, -801.0, -799.5, -805.0}}) {
    gf::Graph g;
    std::vector<gf::Node> logits;
    for (const double v : z) logits.push_back(g.input(v));
    const auto ls = tr::log_softmax(logits);
    const long double lse = lse_ref(z);
    // z_k - lse loses what rounding lse to a double loses: a few ulps of |lse|
    const double tol = 4 * 2.2205e-16 * std::max(1.0, std::abs(static_cast<double>(lse)));
    for (std::size_t k = 0; k < z.size(); ++k)
      CHECK(std::abs(ls[k].value() - static_cast<double>(z[k] - lse)) <= tol);
    const auto ce = tr::softmax_cross_entropy(logits, 1);
    CHECK(std::isfinite(ce.value()));
    CHECK(std::abs(ce.value() - static_cast<double>(lse - z[1])) <= tol);
  }
  // log(e + e^2 + e^3) = 3.4076059644443806 (Python: math.log(sum(math.exp(k) for k in (1,2,3))))
  gf::Graph g;
  const std::vector<gf::Node> z{g.input(1.0), g.input(2.0), g.input(3.0)};
  CHECK(tr::logsumexp(z).value() == doctest::Approx(3.4076059644443806).epsilon(1e-15));
  CHECK_THROWS_AS(tr::softmax_cross_entropy(z, 3), gf::UsageError);
  CHECK_THROWS_AS(tr::softmax_cross_entropy(z, std::span<const gf::Node>(z.data(), 2)),
                  gf::UsageError);
}

TEST_CASE("multiclass: the cross-entropy's gradient is p - onehot, its Hessian diag(p) - p p^T") {
  gf::Graph g;
  const std::vector<double> zs{0.3, -1.2, 2.0, 0.7};
  std::vector<gf::Node> z;
  for (const double v : zs) z.push_back(g.input(v));
  const std::size_t t = 2;
  const auto ce = tr::softmax_cross_entropy(z, t);
  const long double lse = lse_ref(zs);
  std::vector<double> p;
  for (const double v : zs) p.push_back(static_cast<double>(std::exp(v - lse)));
  const auto grad = gf::gradients(ce, z);
  g.backward(ce);
  for (std::size_t k = 0; k < z.size(); ++k) {
    CAPTURE(k);
    const double want = p[k] - (k == t ? 1.0 : 0.0);
    CHECK(std::abs(grad[k].value() - want) <= 1e-15);
    CHECK(grad[k].value() == z[k].grad());  // bit for bit with backward
    const auto row = gf::gradients(grad[k], z);
    for (std::size_t j = 0; j < z.size(); ++j)
      CHECK(std::abs(row[j].value() - ((k == j ? p[k] : 0.0) - p[k] * p[j])) <= 1e-15);
  }
}

TEST_CASE("multiclass: the spiral data set") {
  const tr::Dataset d = tr::make_spiral(50, 3, 0.2, 7);
  REQUIRE(d.size() == 150);
  CHECK(d.features == 2);
  std::size_t per[3] = {0, 0, 0};
  for (std::size_t i = 0; i < d.size(); ++i) {
    REQUIRE(d.y[i] >= 0.0);
    REQUIRE(d.y[i] <= 2.0);
    ++per[static_cast<std::size_t>(d.y[i])];
    const double r = std::hypot(d.row(i)[0], d.row(i)[1]);
    // radius k / 49, whatever the angle's noise
    CHECK(r == doctest::Approx(static_cast<double>(i % 50) / 49.0).epsilon(1e-12));
  }
  CHECK(per[0] == 50);
  CHECK(per[1] == 50);
  CHECK(per[2] == 50);
  // without noise, arm j's last point is at angle 4j + 4: (sin, cos) of it
  const tr::Dataset clean = tr::make_spiral(10, 3, 0.0, 1);
  CHECK(clean.row(29)[0] == doctest::Approx(std::sin(12.0)));
  CHECK(clean.row(29)[1] == doctest::Approx(std::cos(12.0)));
  CHECK_THROWS_AS(tr::make_spiral(0, 3, 0.1, 1), gf::UsageError);
}

TEST_CASE("multiclass: a Trainer with one logit per class learns the 3-class spiral") {
  const tr::Dataset d = tr::make_spiral(40, 3, 0.1, 3);
  gf::Graph g;
  gf::nn::MLPOptions mo;
  mo.hidden = gf::nn::Activation::tanh;
  mo.init.seed = 5;
  const gf::nn::MLP net(g, {2, 24, 3}, mo);
  tr::TrainOptions to;
  to.loss = tr::Loss::softmax_ce;
  to.iterations = 400;
  to.lr.start = 0.5;
  to.momentum = 0.9;
  tr::Trainer trainer(g, net, d.size(), to);
  CHECK(trainer.scores().size() == 3);
  CHECK(trainer.one_hot().size() == 3);
  const auto records = trainer.fit(d);
  CHECK(records.back().data_loss < 0.5 * records.front().data_loss);
  const double acc = trainer.accuracy(d);
  CHECK(acc > 0.8);
  CHECK(records.back().accuracy > 0.6);
  // predict() is the largest logit's class
  const double c = trainer.predict(d.row(0));
  CHECK((c == 0.0 || c == 1.0 || c == 2.0));

  gf::Graph g2;
  const gf::nn::MLP one(g2, {2, 4, 1}, mo);
  CHECK_THROWS_AS(tr::Trainer(g2, one, d.size(), to), gf::UsageError);
  gf::Graph g3;
  const gf::nn::MLP three(g3, {2, 4, 3}, mo);
  CHECK_THROWS_AS(tr::Trainer(g3, three, d.size(), tr::TrainOptions{}), gf::UsageError);
}
