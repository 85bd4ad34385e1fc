// The live lab's engine (lab.cpp): what the WebAssembly module exports to the page, also
// compiled natively so that the tests can compare the browser's numbers with these.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <gradflow/graph/graph.hpp>

namespace gradflow::lab {

/// The neuron's fields: x1..x3, w1..w3, b; the form; the activation; step's surrogate.
struct NeuronRequest {
  std::array<double, 3> x{}, w{};
  double b = 0.0;
  std::string form = "bias";           ///< "bias" (z + b), "threshold" (z - h, h = -b), "weight"
  std::string activation = "sigmoid";  ///< step, sigmoid, tanh, relu
  std::string surrogate = "none";      ///< step's backward: none, sigmoid, straight-through
  /// Reads {"x": [..3], "w": [..3], "b": .., "form", "act", "surrogate"}; UsageError naming a
  /// bad field.
  static NeuronRequest from_json(const std::string& text);
};

/// Records the neuron of `r` in `form` into `g` and returns y.
Node build_neuron(Graph& g, const NeuronRequest& r, std::string_view form);

/// The network's settings; preset "moons" is tutorial_9_moons's run exactly.
struct NetworkConfig {
  std::string preset = "none";
  std::string data = "moons";  ///< moons, xor, circles, curve (1-D regression)
  std::size_t points = 100;
  double noise = 0.1;
  std::uint32_t seed = 1;
  std::vector<std::size_t> hidden{16, 16};
  std::string activation = "relu";
  double lr = 1.0, lr_drop = 0.9;  ///< lr(k) = lr - lr_drop k / schedule, then lr - lr_drop
  int schedule = 100;
  std::size_t batch = 0;  ///< 0: full batch
  double l2 = 1e-4;
  std::uint32_t init_seed = 1;
  bool regression() const { return data == "curve"; }
  /// Reads the page's settings; UsageError naming a bad field.
  static NetworkConfig from_json(const std::string& text);
};

/// JSON in, JSON out; errors as {"error": message}. See lab.cpp.
std::string neuron(const std::string& request);
std::string network_reset(const std::string& config);
std::string network_train(int steps);
std::string network_view(int grid);
std::string network_sample(int sample);
std::string network_record(int first);
std::string network_detail(int sample, int step);

}  // namespace gradflow::lab
