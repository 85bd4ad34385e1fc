#include <gradflow/nn/nn.hpp>

#include <cmath>
#include <numbers>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <gradflow/ops/errors.hpp>

namespace gradflow::nn {

Op op_of(Activation f) {
  switch (f) {
    case Activation::identity:
      return Op::identity;
    case Activation::step:
      return Op::step;
    case Activation::sigmoid:
      return Op::sigmoid;
    case Activation::tanh:
      return Op::tanh;
    case Activation::relu:
      return Op::relu;
  }
  throw UsageError("gradflow: not an nn::Activation value");
}

std::string_view name(Activation f) { return info(op_of(f)).name; }

Activation parse_activation(std::string_view text) {
  constexpr Activation all[] = {Activation::identity, Activation::step, Activation::sigmoid,
                                Activation::tanh, Activation::relu};
  if (text == "linear") return Activation::identity;
  std::string known;
  for (const Activation f : all) {
    if (text == name(f)) return f;
    known += fmt::format("{}{}", known.empty() ? "" : ", ", name(f));
  }
  throw UsageError(
      fmt::format("gradflow: unknown activation '{}' (known: {}, linear)", text, known));
}

Node activate(Activation f, Node x) { return x.graph().apply(op_of(f), {x}); }

// ---- Rng ----------------------------------------------------------------------------------------

double Rng::uniform() {
  // mt19937 yields 32-bit values in a possibly wider result_type.
  const auto a = static_cast<std::uint32_t>(engine_()) >> 5;
  const auto b = static_cast<std::uint32_t>(engine_()) >> 6;
  return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);  // (a 2^26 + b) / 2^53
}

double Rng::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  const double u1 = uniform(), u2 = uniform();
  const double r = std::sqrt(-2.0 * std::log(1.0 - u1));  // 1 - u1 is in (0, 1]: no log(0)
  const double theta = 2.0 * std::numbers::pi * u2;
  spare_ = r * std::sin(theta);
  has_spare_ = true;
  return r * std::cos(theta);
}

// ---- Neuron -------------------------------------------------------------------------------------

Neuron::Neuron(Graph& g, std::size_t n_inputs, Activation f, Rng& rng, const Init& init,
               BiasForm form, std::string name)
    : f_(f), form_(form), name_(std::move(name)) {
  if (n_inputs == 0)
    throw UsageError(fmt::format("gradflow: neuron '{}' needs at least one input", name_));
  const double r = init.scale_by_fan_in
                       ? init.weight_range / std::sqrt(static_cast<double>(n_inputs))
                       : init.weight_range;
  weights_.reserve(n_inputs);
  for (std::size_t i = 0; i < n_inputs; ++i)
    weights_.push_back(g.parameter(fmt::format("{}.w{}", name_, i + 1), rng.uniform(-r, r)));
  bias_ = g.parameter(fmt::format("{}.b", name_), init.bias);
  if (form_ == BiasForm::constant_input) one_ = g.constant(1.0, fmt::format("{}.one", name_));
  terms_.reserve(n_inputs + 1);
}

Node Neuron::operator()(std::span<const Node> inputs) const {
  if (inputs.size() != weights_.size())
    throw UsageError(fmt::format("gradflow: neuron '{}' has {} weights but was given {} inputs",
                                 name_, weights_.size(), inputs.size()));
  if (form_ == BiasForm::affine) {
    sum_ = pre_ = gradflow::affine(weights_, inputs, bias_).named(fmt::format("{}.z+b", name_));
    out_ = activate(f_, pre_).named(fmt::format("{}.y", name_));
    return out_;
  }
  terms_.clear();
  for (std::size_t i = 0; i < inputs.size(); ++i) terms_.push_back(weights_[i] * inputs[i]);
  if (form_ == BiasForm::constant_input) {
    // The bias is the last term, as the bias node adds it last: the same additions in the same
    // order, so both forms agree bit for bit.
    terms_.push_back((bias_ * one_).named(fmt::format("{}.b*1", name_)));
    sum_ = gradflow::sum(terms_).named(fmt::format("{}.z", name_));
    pre_ = sum_;
  } else {
    sum_ = gradflow::sum(terms_).named(fmt::format("{}.z", name_));
    pre_ = gradflow::bias(sum_, bias_).named(fmt::format("{}.z+b", name_));
  }
  out_ = activate(f_, pre_).named(fmt::format("{}.y", name_));
  return out_;
}

void Neuron::parameters(std::vector<Node>& out) const {
  out.insert(out.end(), weights_.begin(), weights_.end());
  out.push_back(bias_);
}

// ---- Layer --------------------------------------------------------------------------------------

Layer::Layer(Graph& g, std::size_t n_inputs, std::size_t n_outputs, Activation f, Rng& rng,
             const Init& init, BiasForm form, std::string name)
    : g_(&g), name_(std::move(name)) {
  if (n_outputs == 0)
    throw UsageError(fmt::format("gradflow: layer '{}' needs at least one neuron", name_));
  GroupScope layer(g, name_, "layer");
  neurons_.reserve(n_outputs);
  for (std::size_t j = 0; j < n_outputs; ++j) {
    std::string neuron_name = fmt::format("{}.n{}", name_, j + 1);
    GroupScope neuron(g, neuron_name, "neuron");
    neurons_.emplace_back(g, n_inputs, f, rng, init, form, std::move(neuron_name));
  }
}

std::vector<Node> Layer::operator()(std::span<const Node> inputs) const {
  GroupScope layer(*g_, name_, "layer");
  std::vector<Node> out;
  out.reserve(neurons_.size());
  for (const Neuron& n : neurons_) {
    GroupScope neuron(*g_, n.name(), "neuron");
    out.push_back(n(inputs));
  }
  return out;
}

void Layer::parameters(std::vector<Node>& out) const {
  for (const Neuron& n : neurons_) n.parameters(out);
}

// ---- MLP ----------------------------------------------------------------------------------------

MLP::MLP(Graph& g, std::vector<std::size_t> sizes, const MLPOptions& options)
    : g_(&g), sizes_(std::move(sizes)) {
  if (sizes_.size() < 2)
    throw UsageError(
        fmt::format("gradflow: an MLP needs at least {{inputs, outputs}} sizes, got {} number(s)",
                    sizes_.size()));
  for (std::size_t s : sizes_)
    if (s == 0) throw UsageError("gradflow: an MLP layer size of 0");
  Rng rng(options.init.seed);
  layers_.reserve(sizes_.size() - 1);
  for (std::size_t k = 0; k + 1 < sizes_.size(); ++k) {
    const bool last = k + 2 == sizes_.size();
    layers_.emplace_back(g, sizes_[k], sizes_[k + 1], last ? options.output : options.hidden, rng,
                         options.init, options.fused ? BiasForm::affine : options.bias_form,
                         fmt::format("L{}", k + 1));
  }
}

std::vector<Node> MLP::operator()(std::span<const Node> inputs) const {
  if (inputs.size() != sizes_.front())
    throw UsageError(fmt::format("gradflow: the MLP takes {} inputs, was given {}", sizes_.front(),
                                 inputs.size()));
  std::vector<Node> x(inputs.begin(), inputs.end());
  for (const Layer& layer : layers_) x = layer(x);
  return x;
}

std::vector<Node> MLP::operator()(std::string_view prefix) const {
  std::vector<Node> x;
  x.reserve(sizes_.front());
  for (std::size_t i = 0; i < sizes_.front(); ++i)
    x.push_back(g_->input(fmt::format("{}{}", prefix, i + 1), 0.0));
  return (*this)(x);
}

std::vector<Node> MLP::parameters() const {
  std::vector<Node> out;
  out.reserve(parameter_count());
  for (const Layer& layer : layers_) layer.parameters(out);
  return out;
}

std::size_t MLP::parameter_count() const {
  std::size_t n = 0;
  for (std::size_t k = 0; k + 1 < sizes_.size(); ++k) n += (sizes_[k] + 1) * sizes_[k + 1];
  return n;
}

std::vector<double> MLP::parameter_values() const {
  std::vector<double> out;
  for (const Node& p : parameters()) out.push_back(p.value());
  return out;
}

void MLP::set_parameters(std::span<const double> values) const {
  const auto ps = parameters();
  if (values.size() != ps.size())
    throw UsageError(fmt::format(
        "gradflow: the MLP {} has {} parameters (per layer, per neuron: weights then bias), "
        "got {} values",
        fmt::join(sizes_, "-"), ps.size(), values.size()));
  for (std::size_t i = 0; i < ps.size(); ++i) ps[i].set(values[i]);
}

}  // namespace gradflow::nn
