// Neurons, layers and multi-layer perceptrons assembled from primitive nodes, micrograd-style:
// a module owns parameter nodes, and calling it on input nodes records its computation.
//
// One neuron is  y = f(w1 x1 + ... + wn xn + b):  one `mul` node per input, one n-ary `sum`
// node, the bias, and one activation node. The bias comes in two forms that compute the same
// numbers bit for bit (the additions happen in the same order):
//   BiasForm::node            z = sum(w_i x_i), then a `bias` node z + b;
//   BiasForm::constant_input  b is a weight on a constant input 1: z = sum(w_i x_i, b * 1).
// MLPOptions::fused (BiasForm::affine) records Σ w_i x_i + b as one `affine` node instead, with
// the same value (no fused multiply-add in the portable build) in far fewer nodes.
//
// Parameters are created once, when the module is constructed; every call records a fresh copy
// of the computation over the same parameter nodes. So a graph for a batch holds one copy of
// the network per sample, all sharing their weights, and training re-evaluates that graph (set
// inputs, forward, backward) without rebuilding it.
//
// Parameter order (parameters(), set_parameters(), --init files), documented and stable:
//   for each layer (input side first), for each neuron (top first): its weights in input order,
//   then its bias.
// Groups (Graph::groups()): constructing records, per layer, a group of kind "layer" named "L1",
// "L2", ... enclosing one group of kind "neuron" per neuron ("L1.n1", ...) holding its parameters;
// each call records the same nesting again around the nodes it creates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <gradflow/graph/graph.hpp>

namespace gradflow::nn {

/// The activation applied by a neuron. `identity` makes the neuron linear.
enum class Activation : std::uint8_t {
  identity,  ///< f(x) = x
  step,      ///< Heaviside: 1 for x > 0, 0 for x < 0, Conventions::step_at_zero at 0
  sigmoid,   ///< 1 / (1 + e^-x)
  tanh,      ///< tanh x
  relu       ///< max(0, x)
};

/// The op that computes f (its name, symbol and traits are the op's: ops/ops.hpp).
Op op_of(Activation f);
/// The op's name: "identity", "step", "sigmoid", "tanh" or "relu".
std::string_view name(Activation f);
/// "identity" (or "linear"), "step", "sigmoid", "tanh", "relu"; throws UsageError otherwise.
Activation parse_activation(std::string_view text);
/// Records the activation node for f over x.
Node activate(Activation f, Node x);

/// How a neuron adds its bias; both forms give bit-identical results.
enum class BiasForm : std::uint8_t {
  node,            ///< a `bias` node after the weighted sum
  constant_input,  ///< a weight on a constant input 1, one more term of the sum
  /// Σ w_i x_i + b as one `affine` node (MLPOptions::fused): the same value, one node per neuron
  /// before the activation instead of n_inputs + 2; its edges keep their local derivatives.
  affine,
};

/// Random numbers that are the same on every platform and standard library. std::mt19937's
/// output sequence is fixed by the C++ standard, but std::uniform_real_distribution and
/// std::normal_distribution are not (libstdc++, libc++ and MSVC give different numbers), so the
/// conversions are written out here.
class Rng {
 public:
  /// Seeds the underlying std::mt19937.
  explicit Rng(std::uint32_t seed) : engine_(seed) {}
  /// Uniform on [0, 1) with 53 random bits, from two 32-bit draws: (a >> 5, b >> 6) as in
  /// numpy's random_sample / the reference genrand_res53 of mt19937ar.c.
  double uniform();
  /// Uniform on [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  /// Standard normal by the Box-Muller transform (one pair per two draws; the second is kept).
  double normal();

 private:
  std::mt19937 engine_;
  double spare_ = 0.0;
  bool has_spare_ = false;
};

/// How parameters start. Weights are uniform on [-r, r) with r = weight_range, divided by
/// sqrt(n_inputs) when scale_by_fan_in; biases start at `bias` (micrograd: r = 1, bias 0).
struct Init {
  std::uint32_t seed = 1;        ///< seed of the Rng an MLP draws its weights from
  double weight_range = 1.0;     ///< r: weights are uniform on [-r, r)
  bool scale_by_fan_in = false;  ///< divide r by sqrt(number of inputs of the neuron)
  double bias = 0.0;             ///< initial value of every bias
};

/// One neuron's parameters; calling it records its nodes.
class Neuron {
 public:
  /// Creates n_inputs weight parameters and one bias parameter, named "<name>.w1", ...,
  /// "<name>.b", drawing weights from `rng`.
  Neuron(Graph& g, std::size_t n_inputs, Activation f, Rng& rng, const Init& init = {},
         BiasForm form = BiasForm::node, std::string name = "n");

  /// Records y = f(sum_i w_i x_i + b) over `inputs` (one node per input) and returns y.
  /// Throws UsageError if inputs.size() != n_inputs().
  Node operator()(std::span<const Node> inputs) const;

  /// Number of inputs, i.e. of weights.
  std::size_t n_inputs() const { return weights_.size(); }
  /// The activation f.
  Activation activation() const { return f_; }
  /// How the bias is added.
  BiasForm bias_form() const { return form_; }
  /// Prefix of the neuron's node names and its group's name (e.g. "L1.n1").
  const std::string& name() const { return name_; }
  /// The weight parameters, in input order.
  std::span<const Node> weights() const { return weights_; }
  /// The bias parameter.
  Node bias() const { return bias_; }
  /// Appends the weights, then the bias.
  void parameters(std::vector<Node>& out) const;

  /// The nodes recorded by the last call: the weighted sum (z), the sum plus bias (z + b; for
  /// the constant-input form the same node as z), and the output.
  Node last_sum() const { return sum_; }
  /// The last call's z + b node, the activation's input (see last_sum()).
  Node last_pre_activation() const { return pre_; }
  /// The last call's output y (see last_sum()).
  Node last_output() const { return out_; }

 private:
  Activation f_;
  BiasForm form_;
  std::string name_;
  std::vector<Node> weights_;
  Node bias_;
  Node one_;  // the constant input 1 of the constant-input form
  mutable std::vector<Node> terms_;
  mutable Node sum_, pre_, out_;
};

/// n_outputs neurons over the same inputs.
class Layer {
 public:
  /// Creates n_outputs neurons named "<name>.n1", ..., each taking n_inputs inputs, inside a
  /// "layer" group; throws UsageError if n_outputs is 0.
  Layer(Graph& g, std::size_t n_inputs, std::size_t n_outputs, Activation f, Rng& rng,
        const Init& init = {}, BiasForm form = BiasForm::node, std::string name = "L1");
  /// Records the layer (a "layer" group enclosing one "neuron" group per neuron).
  std::vector<Node> operator()(std::span<const Node> inputs) const;
  /// The neurons, top first.
  std::span<const Neuron> neurons() const { return neurons_; }
  /// The layer's group name and node-name prefix ("L1", ...).
  const std::string& name() const { return name_; }
  /// Appends each neuron's parameters (weights, then bias), top neuron first.
  void parameters(std::vector<Node>& out) const;

 private:
  Graph* g_;
  std::string name_;
  std::vector<Neuron> neurons_;
};

/// Activations, bias form and initialisation of an MLP.
struct MLPOptions {
  Activation hidden = Activation::relu;      ///< every layer but the last
  Activation output = Activation::identity;  ///< the last layer (micrograd: linear)
  BiasForm bias_form = BiasForm::node;       ///< how every neuron adds its bias
  /// Each neuron's weighted sum and bias as one `affine` node (BiasForm::affine), for speed;
  /// the primitive form (mul, sum, bias) stays the default for teaching. The Executor (and so
  /// the Trainer) runs both forms with the same numbers, bit for bit.
  bool fused = false;
  Init init{};  ///< initial weights and biases (one Rng for all)
};

/// A multi-layer perceptron: sizes = {n_inputs, hidden..., n_outputs}, e.g. {2, 16, 16, 1}.
class MLP {
 public:
  /// Creates the layers "L1", "L2", ... and their parameters in `g`; throws UsageError if
  /// there are fewer than 2 sizes or a size is 0.
  MLP(Graph& g, std::vector<std::size_t> sizes, const MLPOptions& options = {});
  /// Records the network over `inputs`, returning the output layer's nodes.
  std::vector<Node> operator()(std::span<const Node> inputs) const;
  /// Creates sizes[0] input nodes named "<prefix>1", ... and records the network over them.
  std::vector<Node> operator()(std::string_view prefix = "x") const;

  /// {n_inputs, hidden..., n_outputs}, as given.
  std::span<const std::size_t> sizes() const { return sizes_; }
  /// The layers, input side first.
  std::span<const Layer> layers() const { return layers_; }
  /// Every parameter in the documented order (per layer, per neuron: weights, then bias).
  std::vector<Node> parameters() const;
  /// Number of parameters: sum over layers of (inputs + 1) * outputs.
  std::size_t parameter_count() const;
  /// Current values in parameter order.
  std::vector<double> parameter_values() const;
  /// Sets every parameter in parameter order; throws UsageError unless values.size() equals
  /// parameter_count().
  void set_parameters(std::span<const double> values) const;

 private:
  Graph* g_;
  std::vector<std::size_t> sizes_;
  std::vector<Layer> layers_;
};

}  // namespace gradflow::nn
