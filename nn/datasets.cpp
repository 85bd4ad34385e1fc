#include <gradflow/nn/datasets.hpp>

#include <cmath>
#include <numbers>

#include <gradflow/nn/nn.hpp>

namespace gradflow::train {

Dataset make_xor(std::size_t n, double noise, std::uint32_t seed, double margin,
                 bool plus_minus_labels) {
  Dataset data;
  nn::Rng rng(seed);
  const auto away = [&](double v) { return v >= 0.0 ? v + margin : v - margin; };
  for (std::size_t i = 0; i < n; ++i) {
    const double a = rng.uniform(-1.0, 1.0), b = rng.uniform(-1.0, 1.0);
    const double p[2] = {away(a), away(b)};
    data.add(p, p[0] * p[1] > 0.0 ? 1.0 : (plus_minus_labels ? -1.0 : 0.0));
  }
  for (double& v : data.x) v += noise * rng.normal();
  return data;
}

Dataset make_circles(std::size_t n, double noise, std::uint32_t seed, double inner,
                     bool plus_minus_labels) {
  Dataset data;
  nn::Rng rng(seed);
  const std::size_t n_out = n / 2;
  for (std::size_t i = 0; i < n; ++i) {
    const double r = i < n_out ? 1.0 : inner;
    const double t = rng.uniform(0.0, 2.0 * std::numbers::pi);
    const double p[2] = {r * std::cos(t), r * std::sin(t)};
    data.add(p, i < n_out ? (plus_minus_labels ? -1.0 : 0.0) : 1.0);
  }
  for (double& v : data.x) v += noise * rng.normal();
  return data;
}

Dataset make_curve(std::size_t n, double noise, std::uint32_t seed) {
  Dataset data;
  nn::Rng rng(seed);
  for (std::size_t i = 0; i < n; ++i) {
    const double x = n < 2 ? 0.0 : -1.0 + 2.0 * static_cast<double>(i) / static_cast<double>(n - 1);
    const double p[1] = {x};
    data.add(p, std::sin(std::numbers::pi * x) + noise * rng.normal());
  }
  return data;
}

}  // namespace gradflow::train
