// Small generated data sets for the lab and the examples, besides train::make_moons: XOR
// quadrants, two circles, and a 1-D curve to fit. Each is a pure function of its arguments
// (nn::Rng, the same numbers on every platform and in WebAssembly).
#pragma once

#include <cstddef>
#include <cstdint>

#include <gradflow/nn/train.hpp>

namespace gradflow::train {

/// XOR in the plane: n points uniform on [-1, 1)^2, pushed `margin` away from both axes, label
/// +1 where x1 x2 > 0 and -1 elsewhere (0/1 with plus_minus_labels false), then Gaussian noise
/// of standard deviation `noise` added to x1 and x2 in turn.
Dataset make_xor(std::size_t n, double noise, std::uint32_t seed, double margin = 0.1,
                 bool plus_minus_labels = true);

/// Two concentric circles: the first n/2 points on the circle of radius 1 (label -1, or 0),
/// the rest on the circle of radius `inner` (label +1), at angles uniform on [0, 2 pi), then
/// Gaussian noise of standard deviation `noise` added to x1 and x2 in turn.
Dataset make_circles(std::size_t n, double noise, std::uint32_t seed, double inner = 0.5,
                     bool plus_minus_labels = true);

/// A 1-D regression curve: n points x evenly spaced on [-1, 1] (one feature), target
/// sin(pi x) plus Gaussian noise of standard deviation `noise`.
Dataset make_curve(std::size_t n, double noise, std::uint32_t seed);

}  // namespace gradflow::train
