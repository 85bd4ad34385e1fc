// The tutorial's neuron, shared by the demo programs and the tests that check them:
// y = f(w1 x1 + w2 x2 + w3 x3 + b) with x = (1, 2, 3), w = (0.5, -0.25, 0.2), b = -0.4, so
// z = 0.6 and z + b = 0.2. Built from primitive nodes: three mul, one sum, a bias, the activation.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include <gradflow/graph/graph.hpp>
#include <gradflow/ops/errors.hpp>

namespace gradflow::tutorial {

inline constexpr std::array<double, 3> neuron_inputs{1.0, 2.0, 3.0};
inline constexpr std::array<double, 3> neuron_weights{0.5, -0.25, 0.2};
inline constexpr double neuron_bias = -0.4;  // the threshold h = 0.4 turned into a bias

/// The activation op named `name` ("step", "sigmoid", "tanh", "relu", "identity", ...).
inline Op activation_op(std::string_view name) {
  const auto op = op_named(name);
  if (!op || !info(*op).activation) {
    std::string known;
    for (std::size_t i = 0; i < op_count; ++i)
      if (info(static_cast<Op>(i)).activation)
        known += fmt::format("{}{}", known.empty() ? "" : ", ", info(static_cast<Op>(i)).name);
    throw UsageError(fmt::format("unknown activation '{}' ({})", name, known));
  }
  return *op;
}

/// Records the neuron in `g` and returns y. Node ids in an empty graph: x1 0, w1 1, w1*x1 2,
/// x2 3, w2 4, w2*x2 5, x3 6, w3 7, w3*x3 8, z 9, b 10, z+b 11, y 12.
inline Node neuron(Graph& g, Op activation, double b = neuron_bias) {
  std::array<Node, 3> products;
  for (std::size_t i = 0; i < 3; ++i) {
    const auto x = g.input(fmt::format("x{}", i + 1), neuron_inputs[i]);
    const auto w = g.parameter(fmt::format("w{}", i + 1), neuron_weights[i]);
    products[i] = (w * x).named(fmt::format("w{0}*x{0}", i + 1));
  }
  const auto z = sum(products).named("z");
  const auto bias_node = g.parameter("b", b);  // after z, whatever the argument order
  const auto zb = bias(z, bias_node).named("z+b");
  return g.apply(activation, {zb}).named("y");
}

}  // namespace gradflow::tutorial
