// The generated data sets of nn/datasets.hpp: shapes, labels and geometry checked against their
// definitions (without noise, exactly; with noise, its standard deviation statistically), and
// determinism by seed.
#include <cmath>
#include <numbers>

#include <doctest/doctest.h>

#include <gradflow/nn/datasets.hpp>

namespace train = gradflow::train;

TEST_CASE("datasets: XOR labels are the sign of x1 x2, points keep the margin off the axes") {
  const auto d = train::make_xor(400, 0.0, 3, 0.1);
  REQUIRE(d.size() == 400);
  REQUIRE(d.features == 2);
  int positive = 0;
  for (std::size_t i = 0; i < d.size(); ++i) {
    const double a = d.row(i)[0], b = d.row(i)[1];
    CHECK(std::abs(a) >= 0.1);
    CHECK(std::abs(b) >= 0.1);
    CHECK(std::abs(a) < 1.1);
    CHECK(d.y[i] == (a * b > 0 ? 1.0 : -1.0));
    positive += d.y[i] > 0;
  }
  CHECK(positive > 150);  // about half of 400
  CHECK(positive < 250);
  const auto zero_one = train::make_xor(50, 0.0, 3, 0.1, false);
  for (double y : zero_one.y) CHECK((y == 0.0 || y == 1.0));
}

TEST_CASE("datasets: circles lie on radius 1 (label -1) and `inner` (label +1)") {
  const auto d = train::make_circles(101, 0.0, 5, 0.4);
  REQUIRE(d.size() == 101);
  for (std::size_t i = 0; i < d.size(); ++i) {
    const double r = std::hypot(d.row(i)[0], d.row(i)[1]);
    if (i < 50) {
      CHECK(r == doctest::Approx(1.0).epsilon(1e-14));
      CHECK(d.y[i] == -1.0);
    } else {
      CHECK(r == doctest::Approx(0.4).epsilon(1e-14));
      CHECK(d.y[i] == 1.0);
    }
  }
}

TEST_CASE(
    "datasets: the curve is sin(pi x) on an even grid of [-1, 1], and its noise has its std") {
  const auto d = train::make_curve(21, 0.0, 1);
  REQUIRE(d.features == 1);
  REQUIRE(d.size() == 21);
  CHECK(d.x.front() == -1.0);
  CHECK(d.x.back() == 1.0);
  CHECK(d.x[10] == 0.0);
  for (std::size_t i = 0; i < d.size(); ++i) CHECK(d.y[i] == std::sin(std::numbers::pi * d.x[i]));

  const auto noisy = train::make_curve(4000, 0.1, 2);
  double sum = 0, sum2 = 0;
  for (std::size_t i = 0; i < noisy.size(); ++i) {
    const double e = noisy.y[i] - std::sin(std::numbers::pi * noisy.x[i]);
    sum += e;
    sum2 += e * e;
  }
  const double n = static_cast<double>(noisy.size());
  const double sd = std::sqrt(sum2 / n - (sum / n) * (sum / n));
  CHECK(sd == doctest::Approx(0.1).epsilon(0.06));  // 4000 samples: about 1% standard error
}

TEST_CASE("datasets: the same seed gives the same points, another seed others") {
  CHECK(train::make_xor(30, 0.2, 9).x == train::make_xor(30, 0.2, 9).x);
  CHECK(train::make_xor(30, 0.2, 9).x != train::make_xor(30, 0.2, 10).x);
  CHECK(train::make_circles(30, 0.1, 4).x == train::make_circles(30, 0.1, 4).x);
  CHECK(train::make_circles(30, 0.1, 4).x != train::make_circles(30, 0.1, 5).x);
}
