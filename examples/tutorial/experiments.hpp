// The computations behind the tutorial's experiments 1-9 (docs/tutorial.md). Each returns its
// numbers in a struct; the programs examples/tutorial_*.cpp print and chart them, and
// tests/test_tutorial.cpp asserts them against values worked out independently. Keeping the
// computations here means the numbers a reader sees are the numbers the tests check.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <gradflow/graph/gradients.hpp>
#include <gradflow/graph/graph.hpp>
#include <gradflow/nn/nn.hpp>
#include <gradflow/nn/record.hpp>
#include <gradflow/nn/train.hpp>
#include <gradflow/ops/errors.hpp>
#include <gradflow/views/chart.hpp>

namespace gradflow::tutorial {

// ---- 1. Threshold to bias -----------------------------------------------------------------------

/// The demo neuron of examples/neuron_demo.cpp: three inputs, these weights, threshold 0.4.
inline constexpr std::array<double, 3> kWeights{0.5, -0.25, 0.2};
inline constexpr double kThreshold = 0.4;

struct ThresholdToBias {
  int points = 0;         ///< inputs on the grid {-2, -1.5, ..., 2}^3
  int agree = 0;          ///< where step(z - h) == step(z + b), b = -h
  int fired = 0;          ///< where the neuron fires (output 1)
  int sigmoid_agree = 0;  ///< where sigmoid(z - h) == sigmoid(z + b) exactly
  /// Bias node against a weight on a constant input 1 (sigmoid neurons, same weights): the
  /// largest difference over the grid of outputs and of every parameter's gradient.
  double max_value_diff = 0;
  double max_grad_diff = 0;
  /// At x = (1, 2, 3): d y / d b, and d y / d (z + b) that flows into the bias node.
  double grad_b = 0;
  double grad_pre_activation = 0;
  double y = 0;                      ///< the output at x = (1, 2, 3): sigmoid(0.2)
  double grad_b_constant_input = 0;  ///< d y / d b with the bias a weight on a constant 1
};

inline ThresholdToBias threshold_to_bias() {
  ThresholdToBias r;
  Graph g;
  const std::array<Node, 3> x{g.input("x1", 0), g.input("x2", 0), g.input("x3", 0)};
  const Node z = sum({kWeights[0] * x[0], kWeights[1] * x[1], kWeights[2] * x[2]}).named("z");
  const Node b = g.parameter("b", -kThreshold);
  const Node with_threshold = step(z - kThreshold), with_bias = step(bias(z, b));
  const Node sig_threshold = sigmoid(z - kThreshold), sig_bias = sigmoid(bias(z, b));

  // The same sigmoid neuron twice, its bias as a node and as a weight on a constant input 1,
  // both with the named weights w = (0.5, -0.25, 0.2) and b = -h.
  nn::Rng rng_a(7), rng_b(7);
  const nn::Neuron a(g, 3, nn::Activation::sigmoid, rng_a, {}, nn::BiasForm::node, "A");
  const nn::Neuron c(g, 3, nn::Activation::sigmoid, rng_b, {}, nn::BiasForm::constant_input, "C");
  for (std::size_t i = 0; i < 3; ++i) {
    a.weights()[i].set(kWeights[i]);
    c.weights()[i].set(kWeights[i]);
  }
  a.bias().set(-kThreshold);
  c.bias().set(-kThreshold);
  const Node ya = a(x), yc = c(x);
  std::vector<Node> pa, pc;
  a.parameters(pa);
  c.parameters(pc);
  std::vector<double> ga(pa.size());

  for (int i = 0; i <= 8; ++i)
    for (int j = 0; j <= 8; ++j)
      for (int k = 0; k <= 8; ++k) {
        x[0].set(-2 + 0.5 * i);
        x[1].set(-2 + 0.5 * j);
        x[2].set(-2 + 0.5 * k);
        ++r.points;
        r.agree += with_threshold.value() == with_bias.value();
        r.fired += with_bias.value() == 1.0;
        r.sigmoid_agree += sig_threshold.value() == sig_bias.value();
        r.max_value_diff = std::max(r.max_value_diff, std::abs(ya.value() - yc.value()));
        g.backward(ya);
        for (std::size_t p = 0; p < pa.size(); ++p) ga[p] = pa[p].grad();
        g.backward(yc);
        for (std::size_t p = 0; p < pc.size(); ++p)
          r.max_grad_diff = std::max(r.max_grad_diff, std::abs(ga[p] - pc[p].grad()));
      }
  x[0].set(1);
  x[1].set(2);
  x[2].set(3);
  g.backward(ya);
  r.grad_b = a.bias().grad();
  r.grad_pre_activation = a.last_pre_activation().grad();
  r.y = ya.value();
  g.backward(yc);
  r.grad_b_constant_input = c.bias().grad();
  return r;
}

/// The three equivalent forms of the tutorial's sigmoid neuron at x = (1, 2, 3), each in its own
/// graph after backward: sigmoid(z - h) with a constant threshold, sigmoid(z + b) with a bias
/// node, and sigmoid(z + b * 1) with the bias a weight on a constant input 1.
struct ThreeForms {
  Graph threshold, bias_node, constant_input;
};

inline void three_forms(ThreeForms& f) {
  const auto products = [](Graph& g, std::vector<Node>& out) {
    for (std::size_t i = 0; i < 3; ++i) {
      const Node x = g.input(fmt::format("x{}", i + 1), static_cast<double>(i + 1));
      const Node w = g.parameter(fmt::format("w{}", i + 1), kWeights[i]);
      out.push_back((w * x).named(fmt::format("w{0}*x{0}", i + 1)));
    }
  };
  {
    Graph& g = f.threshold;
    std::vector<Node> p;
    products(g, p);
    const Node z = sum(p).named("z");
    const Node y = sigmoid((z - g.constant(kThreshold, "h")).named("z-h")).named("y");
    g.backward(y);
  }
  {
    Graph& g = f.bias_node;
    std::vector<Node> p;
    products(g, p);
    const Node z = sum(p).named("z");
    const Node y = sigmoid(bias(z, g.parameter("b", -kThreshold)).named("z+b")).named("y");
    g.backward(y);
  }
  {
    Graph& g = f.constant_input;
    std::vector<Node> p;
    products(g, p);
    p.push_back((g.parameter("b", -kThreshold) * g.constant(1.0, "1")).named("b*1"));
    const Node y = sigmoid(sum(p).named("z+b*1")).named("y");
    g.backward(y);
  }
}

// ---- 2. How hard a neuron is to activate --------------------------------------------------------

struct ActivationThreshold {
  double z = 0;                     ///< the fixed input's weighted sum w . x, x = (1, 2, 3)
  std::vector<double> bias;         ///< swept from -2 to 2 in steps of 0.01
  std::vector<double> step_out;     ///< step(z + b)
  std::vector<double> sigmoid_out;  ///< sigmoid(z + b)
  double step_flip_bias = 0;        ///< the lowest swept bias at which the step fires
  double sigmoid_half_bias = 0;     ///< where sigmoid(z + b) crosses 0.5 (interpolated)
  /// For each of these biases, the weighted sum needed to fire, found by bisection on the graph.
  std::vector<double> biases{-2, -1, -0.5, 0, 0.5, 1, 2};
  std::vector<double> needed_sum_step, needed_sum_sigmoid;
};

inline ActivationThreshold activation_threshold() {
  ActivationThreshold r;
  Graph g;
  std::array<Node, 3> products;
  for (std::size_t i = 0; i < 3; ++i)
    products[i] = g.parameter("w", kWeights[i]) * g.input("x", static_cast<double>(i + 1));
  const Node z = sum(products);
  const Node b = g.parameter("b", 0);
  const Node pre = bias(z, b);
  const Node y_step = step(pre), y_sig = sigmoid(pre);
  r.z = z.value();
  double prev_b = 0, prev_s = 0;
  bool flipped = false, crossed = false;
  for (int k = 0; k <= 400; ++k) {
    const double bv = (k - 200) / 100.0;
    b.set(bv);
    r.bias.push_back(bv);
    r.step_out.push_back(y_step.value());
    r.sigmoid_out.push_back(y_sig.value());
    if (!flipped && y_step.value() == 1.0) {
      r.step_flip_bias = bv;
      flipped = true;
    }
    if (!crossed && k > 0 && prev_s < 0.5 && y_sig.value() >= 0.5) {
      r.sigmoid_half_bias = prev_b + (0.5 - prev_s) / (y_sig.value() - prev_s) * (bv - prev_b);
      crossed = true;
    }
    prev_b = bv;
    prev_s = y_sig.value();
  }
  // Needed sum: the neuron over a free weighted sum s; bisection on s for each bias.
  Graph h;
  const Node s = h.input("s", 0), hb = h.parameter("b", 0);
  const Node hs = step(bias(s, hb)), hg = sigmoid(bias(s, hb));
  for (double bv : r.biases) {
    hb.set(bv);
    for (const Node* out : {&hs, &hg}) {
      double lo = -10, hi = 10;  // out(lo) below the threshold, out(hi) at or above it
      const double level = out == &hs ? 1.0 : 0.5;
      for (int it = 0; it < 80; ++it) {
        const double mid = 0.5 * (lo + hi);
        s.set(mid);
        (out->value() >= level ? hi : lo) = mid;
      }
      (out == &hs ? r.needed_sum_step : r.needed_sum_sigmoid).push_back(hi);
    }
  }
  return r;
}

// ---- 3. The step function's two failures --------------------------------------------------------

/// The AND gate as a data set with 0/1 targets.
inline train::Dataset and_gate() {
  train::Dataset d;
  for (int a = 0; a <= 1; ++a)
    for (int b = 0; b <= 1; ++b) {
      const double p[2] = {static_cast<double>(a), static_cast<double>(b)};
      d.add(p, a == 1 && b == 1 ? 1.0 : 0.0);
    }
  return d;
}

struct TrainedNeuron {
  std::vector<double> loss;  ///< per iteration, before its update
  std::vector<double> params_before, params_after;
  double final_accuracy = 0;             ///< after training, on the data
  int nonzero_gradients = 0;             ///< parameter gradients != 0, summed over all iterations
  std::optional<TrainingRecord> record;  ///< the run for the training page, when asked for
};

/// Trains one neuron y = f(w1 x1 + w2 x2 + b) on the AND gate with MSE, full batch, plain SGD
/// (lr 0.5, 60 iterations), from w = (0.4, -0.6), b = 0.1 (wrong on 3 of 4 inputs as a step).
inline TrainedNeuron train_and_neuron(nn::Activation f,
                                      StepGradient step_gradient = StepGradient::exact,
                                      bool record = false) {
  Conventions conv;
  conv.step_gradient = step_gradient;
  Graph g(conv);
  nn::MLPOptions mo;
  mo.output = f;
  const nn::MLP net(g, {2, 1}, mo);
  const std::array<double, 3> init{0.4, -0.6, 0.1};
  net.set_parameters(init);
  train::TrainOptions o;
  o.loss = train::Loss::mse;
  o.iterations = 60;
  o.lr = {0.5, 0.0};
  o.score_threshold = 0.5;
  o.target_threshold = 0.5;
  const auto data = and_gate();
  train::Trainer t(g, net, data.size(), o);
  TrainedNeuron r;
  r.params_before = net.parameter_values();
  const auto after = [&](const train::IterationRecord& s) {
    r.loss.push_back(s.loss);
    for (double d : t.gradients()) r.nonzero_gradients += d != 0.0;
  };
  if (record) {  // every iteration, each input's backward pass every 10
    train::RecordOptions ro;
    ro.detail_samples = {0, 1, 2, 3};
    train::TrainingRecorder recorder(g, net, t, data, ro);
    for (int k = 0; k < o.iterations; ++k) after(recorder.iterate(k + 1 == o.iterations));
    r.record = recorder.take();
  } else {
    t.fit(data, after);
  }
  r.params_after = net.parameter_values();
  r.final_accuracy = t.accuracy(data);
  return r;
}

struct StepFailures {
  /// Two very different sums, the same step output; sigmoid tells them apart.
  double z_small = 0.2, z_large = 3;
  double step_small = 0, step_large = 0, sigmoid_small = 0, sigmoid_large = 0;
  TrainedNeuron step, sigmoid, straight_through;
  struct Landscape {
    std::vector<double> w1;                       ///< -3 to 3 in steps of 0.01
    std::vector<double> step_loss, sigmoid_loss;  ///< AND's MSE, w2 = -0.6 and b = 0.1 fixed
    std::vector<double> step_grad, sigmoid_grad;  ///< d loss / d w1 from backward
  } landscape;
};

/// The AND neuron's MSE against its first weight (w2 = -0.6, b = 0.1 held), for the step and
/// the sigmoid, with d loss / d w1 from backward: the step's loss is flat between jumps, so the
/// gradient is 0 wherever it is defined.
inline StepFailures::Landscape loss_landscape() {
  StepFailures::Landscape r;
  Graph g;
  const Node w1 = g.parameter("w1", 0), w2 = g.parameter("w2", -0.6), b = g.parameter("b", 0.1);
  const auto data = and_gate();
  std::vector<Node> se_step, se_sig;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const Node pre = bias(w1 * data.row(i)[0] + w2 * data.row(i)[1], b);
    const Node e_step = step(pre) - data.y[i], e_sig = sigmoid(pre) - data.y[i];
    se_step.push_back(e_step * e_step);
    se_sig.push_back(e_sig * e_sig);
  }
  const double n = static_cast<double>(data.size());
  const Node l_step = sum(se_step) * (1.0 / n), l_sig = sum(se_sig) * (1.0 / n);
  for (int k = 0; k <= 600; ++k) {
    const double v = (k - 300) / 100.0;
    w1.set(v);
    r.w1.push_back(v);
    g.backward(l_step);
    r.step_loss.push_back(l_step.value());
    r.step_grad.push_back(w1.grad());
    g.backward(l_sig);
    r.sigmoid_loss.push_back(l_sig.value());
    r.sigmoid_grad.push_back(w1.grad());
  }
  return r;
}

inline StepFailures step_failures(bool record = false) {
  StepFailures r;
  Graph g;
  const Node z = g.input("z", 0);
  const Node ys = step(z), yg = sigmoid(z);
  z.set(r.z_small);
  r.step_small = ys.value();
  r.sigmoid_small = yg.value();
  z.set(r.z_large);
  r.step_large = ys.value();
  r.sigmoid_large = yg.value();
  r.landscape = loss_landscape();
  r.step = train_and_neuron(nn::Activation::step, StepGradient::exact, record);
  r.sigmoid = train_and_neuron(nn::Activation::sigmoid, StepGradient::exact, record);
  r.straight_through = train_and_neuron(nn::Activation::step, StepGradient::straight_through);
  return r;
}

// ---- 4. Activation functions and their derivatives ---------------------------------------------

struct ActivationCurve {
  nn::Activation f;
  std::vector<double> y, dy;  ///< f(x) and f'(x) from backward, on the shared x grid
  std::vector<double> d2y;    ///< f''(x) from gradients(): f' recorded as nodes, differentiated
};

struct ActivationCurves {
  std::vector<double> x;  ///< -6 to 6 in steps of 0.01 (x = 0 exactly at the middle)
  std::vector<ActivationCurve> curves;
  double sigmoid_max_grad = 0, sigmoid_argmax = 0;
  double tanh_max_grad = 0, tanh_argmax = 0;
  /// sigmoid(k x) on the x grid for each k: the steeper, the closer to the step.
  std::vector<double> steepness{1, 2, 5, 20};
  std::vector<std::vector<double>> steep;
  /// For each k, the largest |sigmoid(k x) - step(x)| over |x| >= 0.5 (= 1 - sigmoid(k / 2)).
  std::vector<double> steep_gap;
  const ActivationCurve& curve(nn::Activation f) const {
    return *std::find_if(curves.begin(), curves.end(),
                         [f](const ActivationCurve& c) { return c.f == f; });
  }
};

inline ActivationCurves activation_curves() {
  ActivationCurves r;
  for (int k = 0; k <= 1200; ++k) r.x.push_back((k - 600) / 100.0);
  for (auto f : {nn::Activation::sigmoid, nn::Activation::tanh, nn::Activation::relu,
                 nn::Activation::step}) {
    Graph g;
    const Node x = g.input("x", 0);
    const Node y = nn::activate(f, x);
    const Node d2 = gradient(gradient(y, x), x);  // recorded once, re-evaluated at each x
    ActivationCurve c{f, {}, {}, {}};
    for (double v : r.x) {
      x.set(v);
      g.backward(y);
      c.y.push_back(y.value());
      c.dy.push_back(x.grad());
      c.d2y.push_back(d2.value());
    }
    r.curves.push_back(std::move(c));
  }
  const auto argmax = [&](nn::Activation f, double& best, double& at) {
    const auto& c = r.curve(f);
    const auto it = std::max_element(c.dy.begin(), c.dy.end());
    best = *it;
    at = r.x[static_cast<std::size_t>(it - c.dy.begin())];
  };
  argmax(nn::Activation::sigmoid, r.sigmoid_max_grad, r.sigmoid_argmax);
  argmax(nn::Activation::tanh, r.tanh_max_grad, r.tanh_argmax);
  // sigmoid(k x) for growing k, through a graph: mul by k, then the sigmoid node.
  Graph g;
  const Node x = g.input("x", 0), k = g.parameter("k", 1);
  const Node y = sigmoid(k * x);
  for (double kv : r.steepness) {
    k.set(kv);
    std::vector<double> ys;
    double gap = 0;
    for (double v : r.x) {
      x.set(v);
      ys.push_back(y.value());
      if (std::abs(v) >= 0.5 - 1e-12)
        gap = std::max(gap, std::abs(y.value() - (v > 0 ? 1.0 : 0.0)));
    }
    r.steep.push_back(std::move(ys));
    r.steep_gap.push_back(gap);
  }
  return r;
}

// ---- 5. Vanishing gradients ---------------------------------------------------------------------

struct Vanishing {
  std::vector<double> depth;  ///< 1 .. max_depth
  /// Chains a_d = f(a_{d-1}), a_0 = x = 1: d a_d / d x.
  std::vector<double> chain_sigmoid, chain_tanh, chain_relu;
  /// The tanh chain with weight 3, a_d = tanh(3 a_{d-1}): every a_d near 1, saturated.
  std::vector<double> chain_tanh_w3;
  /// MLPs of `width` neurons per hidden layer and `depth` hidden layers (2 inputs, 1 linear
  /// output): mean |d y / d w| over the first layer's weights, averaged over 4 inputs.
  std::vector<double> mlp_sigmoid, mlp_tanh, mlp_relu;
  std::size_t width = 16;
};

inline double chain_gradient(nn::Activation f, int depth, double weight = 1.0) {
  Graph g;
  const Node x = g.input("x", 1.0);
  Node a = x;
  for (int d = 0; d < depth; ++d) a = nn::activate(f, weight == 1.0 ? a : weight * a);
  g.backward(a);
  return x.grad();
}

/// Mean |d y / d w| over the first layer's weights of an MLP with `depth` hidden layers, biases
/// 0, seed 1. ReLU networks start with He's uniform initialisation, r = sqrt(6 / fan_in), which
/// keeps a ReLU network's signal from shrinking; sigmoid and tanh networks with Glorot's
/// (Xavier's), r = sqrt(6 / (fan_in + fan_out)), made for squashing activations.
inline double first_layer_gradient(nn::Activation f, int depth, std::size_t width) {
  Graph g;
  std::vector<std::size_t> sizes{2};
  for (int d = 0; d < depth; ++d) sizes.push_back(width);
  sizes.push_back(1);
  nn::MLPOptions o;
  o.hidden = f;
  const bool he = f == nn::Activation::relu;
  o.init.weight_range = he ? std::sqrt(6.0) : 1.0;
  o.init.scale_by_fan_in = he;
  const nn::MLP net(g, sizes, o);
  if (!he)  // uniform on [-1, 1) scaled to [-r, r): Glorot's uniform initialisation
    for (std::size_t l = 0; l < net.layers().size(); ++l) {
      const double r = std::sqrt(6.0 / static_cast<double>(sizes[l] + sizes[l + 1]));
      for (const auto& n : net.layers()[l].neurons())
        for (const Node& w : n.weights()) w.set(w.value() * r);
    }
  const auto x = g.input("x1", 0), y = g.input("x2", 0);
  const std::array<Node, 2> in{x, y};
  const Node out = net(in).front();
  std::vector<Node> first;
  net.layers().front().parameters(first);
  const std::array<std::array<double, 2>, 4> samples{
      {{0.5, -1.0}, {1.0, 0.25}, {-0.75, 0.5}, {0.3, 0.9}}};
  double total = 0;
  std::size_t count = 0;
  for (const auto& s : samples) {
    x.set(s[0]);
    y.set(s[1]);
    g.backward(out);
    for (std::size_t i = 0; i < first.size(); ++i) {
      if ((i + 1) % 3 == 0) continue;  // every third is a bias (2 weights, then the bias)
      total += std::abs(first[i].grad());
      ++count;
    }
  }
  return total / static_cast<double>(count);
}

inline Vanishing vanishing_gradients(int max_depth = 30) {
  Vanishing r;
  for (int d = 1; d <= max_depth; ++d) {
    r.depth.push_back(d);
    r.chain_sigmoid.push_back(chain_gradient(nn::Activation::sigmoid, d));
    r.chain_tanh.push_back(chain_gradient(nn::Activation::tanh, d));
    r.chain_relu.push_back(chain_gradient(nn::Activation::relu, d));
    r.chain_tanh_w3.push_back(chain_gradient(nn::Activation::tanh, d, 3.0));
    r.mlp_sigmoid.push_back(first_layer_gradient(nn::Activation::sigmoid, d, r.width));
    r.mlp_tanh.push_back(first_layer_gradient(nn::Activation::tanh, d, r.width));
    r.mlp_relu.push_back(first_layer_gradient(nn::Activation::relu, d, r.width));
  }
  return r;
}

// ---- 6. The bias moves the activation -----------------------------------------------------------

/// A bump: target 1 for -3 < x < 2, else 0, at x = -6, -5.75, ..., 6.
inline train::Dataset bump_data() {
  train::Dataset d;
  for (int k = 0; k <= 48; ++k) {
    const double x[1] = {-6.0 + 0.25 * k};
    d.add(x, x[0] > -3.0 && x[0] < 2.0 ? 1.0 : 0.0);
  }
  return d;
}

struct BiasTrajectory {
  std::vector<double> iteration;
  /// The two hidden neurons' biases and the output neuron's bias, after each iteration.
  std::vector<std::array<double, 3>> biases;
  /// The two hidden neurons' switching points -b/w (where w x + b = 0, sigmoid = 0.5).
  std::vector<std::array<double, 2>> switching;
  /// Hidden neurons' weights and biases before and after training.
  std::array<double, 2> w_start{}, b_start{}, w_end{}, b_end{};
  double final_loss = 0, final_accuracy = 0;
  std::optional<TrainingRecord> record;  ///< the run for the training page, when asked for
  /// The network's output sigmoid(score) on x = -6, -5.95, ..., 6 before and after training.
  std::vector<double> x, output_start, output_end;
};

/// MLP(1, [2, 1]): two sigmoid hidden neurons, a linear output, BCE from logits, full batch,
/// SGD lr 0.5 with momentum 0.9 for 1500 iterations, seed 3. To draw the bump the hidden
/// neurons must switch at x = -3 and x = 2, on both sides of where they start (bias 0 switches
/// at x = 0): their biases move, one switching point to the left, the other to the right.
inline BiasTrajectory bias_trajectory(int iterations = 1500, bool with_record = false) {
  Graph g;
  nn::MLPOptions mo;
  mo.hidden = nn::Activation::sigmoid;
  mo.init.seed = 3;
  const nn::MLP net(g, {1, 2, 1}, mo);
  train::TrainOptions o;
  o.loss = train::Loss::bce_logits;
  o.iterations = iterations;
  o.lr = {0.5, 0.0};
  o.momentum = 0.9;
  o.target_threshold = 0.5;
  const auto data = bump_data();
  train::Trainer t(g, net, data.size(), o);
  const auto& hidden = net.layers()[0].neurons();
  const auto& out = net.layers()[1].neurons()[0];
  BiasTrajectory r;
  const auto record = [&](double k) {
    r.iteration.push_back(k);
    r.biases.push_back({hidden[0].bias().value(), hidden[1].bias().value(), out.bias().value()});
    r.switching.push_back({-hidden[0].bias().value() / hidden[0].weights()[0].value(),
                           -hidden[1].bias().value() / hidden[1].weights()[0].value()});
  };
  const auto sample = [&](std::vector<double>& ys) {
    for (double v : r.x) {
      const double p[1] = {v};
      ys.push_back(1.0 / (1.0 + std::exp(-t.predict(p))));
    }
  };
  for (int k = 0; k <= 240; ++k) r.x.push_back(-6.0 + 0.05 * k);
  sample(r.output_start);
  for (std::size_t i = 0; i < 2; ++i) {
    r.w_start[i] = hidden[i].weights()[0].value();
    r.b_start[i] = hidden[i].bias().value();
  }
  record(0);
  const auto after = [&](const train::IterationRecord& s) {
    record(s.iteration + 1);
    r.final_loss = s.loss;
  };
  if (with_record) {  // every 15th iteration (and the last), the passes of x = -6 and 0 every 150
    train::RecordOptions ro;
    ro.every = 15;
    ro.detail_every = 150;
    ro.grid = 81;
    ro.detail_samples = {0, data.size() / 2};
    train::TrainingRecorder recorder(g, net, t, data, ro);
    for (int k = 0; k < iterations; ++k) after(recorder.iterate(k + 1 == iterations));
    r.record = recorder.take();
  } else {
    t.fit(data, after);
  }
  for (std::size_t i = 0; i < 2; ++i) {
    r.w_end[i] = hidden[i].weights()[0].value();
    r.b_end[i] = hidden[i].bias().value();
  }
  r.final_accuracy = t.accuracy(data);
  sample(r.output_end);
  return r;
}

// ---- 7. The voting reading of activations -------------------------------------------------------

struct VoteRow {
  double z, sigmoid, tanh, relu;
};

/// sigmoid, tanh and relu of the sums -3, -2, -1, -0.5, 0, 0.5, 1, 2, 3, through graph nodes.
inline std::vector<VoteRow> voting_table() {
  Graph g;
  const Node z = g.input("z", 0);
  const Node s = sigmoid(z), t = tanh(z), r = relu(z);
  std::vector<VoteRow> rows;
  for (double v : {-3.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0}) {
    z.set(v);
    rows.push_back({v, s.value(), t.value(), r.value()});
  }
  return rows;
}

/// What the next layer receives from one unit, v * a(z), for a weight v of either sign: the
/// sign of v, not the activation, decides whether the unit's vote counts for or against.
struct VoteCurves {
  std::vector<double> z;  ///< -3 to 3 in steps of 0.02
  std::vector<double> sigmoid, tanh, relu;
  std::vector<double> relu_times_minus, sigmoid_times_minus;  ///< v = -1
};

inline VoteCurves vote_curves() {
  VoteCurves r;
  Graph g;
  const Node z = g.input("z", 0), v = g.parameter("v", -1);
  const Node s = sigmoid(z), t = tanh(z), u = relu(z);
  const Node us = v * u, ss = v * s;
  for (int k = 0; k <= 300; ++k) {
    z.set((k - 150) / 50.0);
    r.z.push_back(z.value());
    r.sigmoid.push_back(s.value());
    r.tanh.push_back(t.value());
    r.relu.push_back(u.value());
    r.relu_times_minus.push_back(us.value());
    r.sigmoid_times_minus.push_back(ss.value());
  }
  return r;
}

/// How the tutorial reads an output as a vote.
inline std::string vote(nn::Activation f, double y) {
  switch (f) {
    case nn::Activation::sigmoid:
      return y > 0.5 ? "supports" : "supports weakly";
    case nn::Activation::tanh:
      return y > 0 ? "for" : (y < 0 ? "against" : "neutral");
    case nn::Activation::relu:
      return y > 0 ? "supports" : "abstains";
    default:
      return "";
  }
}

// ---- 8. Why non-linearity: XOR ------------------------------------------------------------------

inline train::Dataset xor_gate() {
  train::Dataset d;
  for (int a = 0; a <= 1; ++a)
    for (int b = 0; b <= 1; ++b) {
      const double p[2] = {static_cast<double>(a), static_cast<double>(b)};
      d.add(p, a != b ? 1.0 : 0.0);
    }
  return d;
}

struct XorRun {
  nn::Activation hidden;
  std::vector<double> loss;
  double final_loss = 0, min_loss = 0, final_accuracy = 0;
  std::vector<double> outputs;  ///< on (0,0), (0,1), (1,0), (1,1) after training
  /// Identity hidden layer only: the network as one affine map y = c1 x1 + c2 x2 + c0, from the
  /// weights (W2 W1, W2 b1 + b2) and, independently, from backward (dy/dx) and y(0, 0).
  std::array<double, 3> collapsed{}, from_gradient{};
  double max_affine_error = 0;           ///< |net(x) - affine(x)| over a grid of x
  plot::Field field;                     ///< output - 0.5 on [-0.5, 1.5]^2, when asked for
  std::optional<TrainingRecord> record;  ///< the run for the training page, when asked for
};

/// MLP(2, [4, 1]) with the given hidden activation and a linear output, MSE on XOR's 0/1
/// targets, full batch, SGD lr 0.1 with momentum 0.9, 400 iterations, initial weights from
/// `seed`.
inline XorRun xor_run(nn::Activation hidden, std::uint32_t seed = 7, int iterations = 400,
                      int field_resolution = 0, bool record = false) {
  Graph g;
  nn::MLPOptions mo;
  mo.hidden = hidden;
  mo.init.seed = seed;
  const nn::MLP net(g, {2, 4, 1}, mo);
  train::TrainOptions o;
  o.loss = train::Loss::mse;
  o.iterations = iterations;
  o.lr = {0.1, 0.0};
  o.momentum = 0.9;
  o.score_threshold = 0.5;
  o.target_threshold = 0.5;
  const auto data = xor_gate();
  train::Trainer t(g, net, data.size(), o);
  XorRun r;
  r.hidden = hidden;
  if (record) {  // every 4th iteration (and the last), each sample's pass every 40
    train::RecordOptions ro;
    ro.every = 4;
    ro.detail_every = 40;
    ro.detail_samples = {0, 1, 2, 3};
    train::TrainingRecorder recorder(g, net, t, data, ro);
    for (const auto& s : recorder.fit()) r.loss.push_back(s.loss);
    r.record = recorder.take();
  } else {
    for (const auto& s : t.fit(data)) r.loss.push_back(s.loss);
  }
  r.final_loss = r.loss.back();
  r.min_loss = *std::min_element(r.loss.begin(), r.loss.end());
  for (std::size_t i = 0; i < data.size(); ++i) r.outputs.push_back(t.predict(data.row(i)));
  r.final_accuracy = t.accuracy(data);
  if (field_resolution > 1) {
    r.field = {-0.5, 1.5, -0.5, 1.5, field_resolution, field_resolution, {}};
    for (int j = 0; j < field_resolution; ++j)
      for (int i = 0; i < field_resolution; ++i) {
        const double p[2] = {-0.5 + 2.0 * i / (field_resolution - 1),
                             -0.5 + 2.0 * j / (field_resolution - 1)};
        r.field.z.push_back(t.predict(p) - 0.5);
      }
  }
  if (hidden == nn::Activation::identity) {
    // Collapse by hand: y = sum_j v_j (w_j . x + b_j) + c = (sum_j v_j w_j) . x + (v . b + c).
    const auto& h = net.layers()[0].neurons();
    const auto& o_neuron = net.layers()[1].neurons()[0];
    double c1 = 0, c2 = 0, c0 = o_neuron.bias().value();
    for (std::size_t j = 0; j < h.size(); ++j) {
      const double v = o_neuron.weights()[j].value();
      c1 += v * h[j].weights()[0].value();
      c2 += v * h[j].weights()[1].value();
      c0 += v * h[j].bias().value();
    }
    r.collapsed = {c0, c1, c2};
    // Independently: a fresh copy of the network over its own inputs; dy/dx is the collapsed
    // weight vector everywhere, and y(0, 0) the constant.
    const Node x1 = g.input("q1", 0), x2 = g.input("q2", 0);
    const std::array<Node, 2> in{x1, x2};
    const Node y = net(in).front();
    g.backward(y);
    r.from_gradient = {y.value(), x1.grad(), x2.grad()};
    for (int i = -4; i <= 4; ++i)
      for (int j = -4; j <= 4; ++j) {
        x1.set(0.5 * i);
        x2.set(0.5 * j);
        r.max_affine_error =
            std::max(r.max_affine_error, std::abs(y.value() - (c0 + c1 * 0.5 * i + c2 * 0.5 * j)));
      }
  }
  return r;
}

/// How many of the seeds 1..n learn XOR (100% accuracy) with this hidden activation. With only
/// 4 hidden neurons a ReLU network often ends with units that never fire on any of the four
/// inputs ("dead" ReLUs, gradient 0): the initialisation decides.
inline int xor_successes(nn::Activation hidden, std::uint32_t n = 8) {
  int ok = 0;
  for (std::uint32_t seed = 1; seed <= n; ++seed) ok += xor_run(hidden, seed).final_accuracy == 1.0;
  return ok;
}

/// sin x at x = -3, -2.9, ..., 3: a curve no straight line follows.
inline train::Dataset sine_data() {
  train::Dataset d;
  for (int k = 0; k <= 60; ++k) {
    const double x[1] = {-3.0 + 0.1 * k};
    d.add(x, std::sin(x[0]));
  }
  return d;
}

struct FunctionFit {
  std::vector<std::size_t> units{1, 2, 4, 8, 16};  ///< hidden tanh units N
  std::vector<double> mse;                         ///< final mean squared error per N
  std::vector<double> x;                           ///< -3.5 to 3.5 in steps of 0.05
  std::vector<std::vector<double>> fits;           ///< each network's output on x
  /// Three stacked linear layers MLP(1, [8, 8, 1]) trained the same way: its error and output.
  double linear_mse = 0;
  std::vector<double> linear_fit;
  /// The best straight line by least squares, y = slope x + intercept, and its error.
  double best_slope = 0, best_intercept = 0, best_line_mse = 0;
};

/// Fits sin x on [-3, 3] with MLP(1, [N, 1]) (tanh hidden layer, linear output) for each N, and
/// with a stack of linear layers: MSE, full batch, SGD lr 0.05 with momentum 0.9, 4000
/// iterations, seed 1, weights uniform on [-2, 2) (the linear stack: on [-1, 1) / sqrt(fan-in)).
inline FunctionFit function_fit(int iterations = 4000) {
  FunctionFit r;
  const auto data = sine_data();
  for (int k = 0; k <= 140; ++k) r.x.push_back(-3.5 + 0.05 * k);
  const auto run = [&](std::vector<std::size_t> sizes, nn::Activation f, double& mse,
                       std::vector<double>& fit) {
    Graph g;
    nn::MLPOptions mo;
    mo.hidden = f;
    mo.init.weight_range = f == nn::Activation::identity ? 1.0 : 2.0;
    mo.init.scale_by_fan_in =
        f == nn::Activation::identity;  // a product of layers must not explode
    const nn::MLP net(g, std::move(sizes), mo);
    train::TrainOptions o;
    o.loss = train::Loss::mse;
    o.iterations = iterations;
    o.lr = {0.05, 0.0};
    o.momentum = 0.9;
    train::Trainer t(g, net, data.size(), o);
    t.fit(data);
    mse = 0;
    for (std::size_t i = 0; i < data.size(); ++i) {
      const double e = t.predict(data.row(i)) - data.y[i];
      mse += e * e;
    }
    mse /= static_cast<double>(data.size());
    for (double v : r.x) {
      const double p[1] = {v};
      fit.push_back(t.predict(p));
    }
  };
  for (std::size_t n : r.units) {
    r.mse.emplace_back();
    r.fits.emplace_back();
    run({1, n, 1}, nn::Activation::tanh, r.mse.back(), r.fits.back());
  }
  run({1, 8, 8, 1}, nn::Activation::identity, r.linear_mse, r.linear_fit);
  // Least squares: slope = cov(x, y) / var(x), intercept = mean y - slope mean x.
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    mx += data.row(i)[0];
    my += data.y[i];
  }
  mx /= static_cast<double>(data.size());
  my /= static_cast<double>(data.size());
  double sxy = 0, sxx = 0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    sxy += (data.row(i)[0] - mx) * (data.y[i] - my);
    sxx += (data.row(i)[0] - mx) * (data.row(i)[0] - mx);
  }
  r.best_slope = sxy / sxx;
  r.best_intercept = my - r.best_slope * mx;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const double e = r.best_slope * data.row(i)[0] + r.best_intercept - data.y[i];
    r.best_line_mse += e * e;
  }
  r.best_line_mse /= static_cast<double>(data.size());
  return r;
}

// ---- 9. micrograd's moons demo ------------------------------------------------------------------

struct MoonsOptions {
  std::optional<train::Dataset> data;       ///< default: make_moons(100, 0.1, seed 1)
  std::optional<std::vector<double>> init;  ///< default: nn::Init seed 1, uniform [-1, 1), bias 0
  int iterations = 100;
  bool print_progress = false;
  int field_resolution = 0;  ///< > 0: sample the trained score on a grid this many points wide
  bool record = false;       ///< keep a TrainingRecord of every iteration (the training page)
  /// Called once the data and initial parameters are checked, before the first iteration.
  std::function<void(const train::Dataset&)> before_training;
};

struct MoonsResult {
  train::Dataset data;
  std::vector<double> init;
  std::vector<train::IterationRecord> records;
  double final_accuracy = 0;  ///< of the trained network (after the last update), on the data
  std::size_t graph_nodes = 0;
  plot::Field field;
  std::optional<TrainingRecord> record;  ///< with MoonsOptions::record
};

/// MLP(2, [16, 16, 1]) with ReLU, loss mean(relu(1 - y score)) + 1e-4 sum p^2, full-batch SGD
/// with lr 1.0 - 0.9 k / 100, as micrograd's demo.ipynb.
inline MoonsResult moons(const MoonsOptions& mo = {}) {
  MoonsResult r;
  r.data = mo.data ? *mo.data : train::make_moons(100, 0.1, 1);
  if (r.data.features != 2)
    throw UsageError(fmt::format(
        "gradflow: the moons network takes 2 features (x1,x2,label rows), the data has {}",
        r.data.features));
  for (std::size_t i = 0; i < r.data.size(); ++i)
    if (r.data.y[i] != -1.0 && r.data.y[i] != 1.0)
      throw UsageError(
          fmt::format("gradflow: the max-margin loss needs labels -1 or +1; sample {} has label {}",
                      i + 1, r.data.y[i]));
  Graph g;
  const nn::MLP net(g, {2, 16, 16, 1}, {});
  if (mo.init) net.set_parameters(*mo.init);
  r.init = net.parameter_values();
  if (mo.before_training) mo.before_training(r.data);
  train::TrainOptions o;
  o.loss = train::Loss::hinge;
  o.l2 = 1e-4;
  o.iterations = mo.iterations;
  o.lr = {1.0, 0.9};
  o.print_progress = mo.print_progress;
  train::Trainer t(g, net, r.data.size(), o);
  if (mo.record) {
    train::RecordOptions ro;
    ro.detail_samples = {0, r.data.size() / 2};  // one sample of each moon
    train::TrainingRecorder recorder(g, net, t, r.data, ro);
    r.records = recorder.fit();
    r.record = recorder.take();
  } else {
    r.records = t.fit(r.data);
  }
  r.final_accuracy = t.accuracy(r.data);
  r.graph_nodes = g.size();
  if (mo.field_resolution > 1) {
    auto& f = r.field;
    f.x_min = f.y_min = 1e300;
    f.x_max = f.y_max = -1e300;
    for (std::size_t i = 0; i < r.data.size(); ++i) {
      f.x_min = std::min(f.x_min, r.data.row(i)[0] - 0.5);
      f.x_max = std::max(f.x_max, r.data.row(i)[0] + 0.5);
      f.y_min = std::min(f.y_min, r.data.row(i)[1] - 0.5);
      f.y_max = std::max(f.y_max, r.data.row(i)[1] + 0.5);
    }
    f.nx = f.ny = mo.field_resolution;
    for (int j = 0; j < f.ny; ++j)
      for (int i = 0; i < f.nx; ++i) {
        const double p[2] = {f.x_min + (f.x_max - f.x_min) * i / (f.nx - 1),
                             f.y_min + (f.y_max - f.y_min) * j / (f.ny - 1)};
        f.z.push_back(t.predict(p));
      }
  }
  return r;
}

}  // namespace gradflow::tutorial
