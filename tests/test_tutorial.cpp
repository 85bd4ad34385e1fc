// The tutorial's claims, each asserted on the very computation its example program prints
// (examples/tutorial/experiments.hpp), against values worked out independently.
#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include <doctest/doctest.h>

#include <tutorial/experiments.hpp>

namespace gt = gradflow::tutorial;
using gradflow::nn::Activation;

TEST_CASE("tutorial: 1. a threshold h is a bias b = -h which is a weight on a constant input 1") {
  const auto r = gt::threshold_to_bias();
  // Independently: count the firing inputs of the grid with plain doubles.
  int fired = 0;
  for (int i = 0; i <= 8; ++i)
    for (int j = 0; j <= 8; ++j)
      for (int k = 0; k <= 8; ++k) {
        const double z = 0.5 * (-2 + 0.5 * i) + -0.25 * (-2 + 0.5 * j) + 0.2 * (-2 + 0.5 * k);
        fired += z + -0.4 >= 0.0;
      }
  CHECK(r.points == 729);
  CHECK(r.agree == 729);
  CHECK(r.sigmoid_agree == 729);
  CHECK(r.fired == fired);
  CHECK(r.fired > 0);
  CHECK(r.fired < 729);
  CHECK(r.max_value_diff == 0.0);
  CHECK(r.max_grad_diff == 0.0);
  // d y / d b is what reaches z + b, times the bias node's local derivative 1.
  CHECK(r.grad_b == r.grad_pre_activation);
  // With the named weights w = (0.5, -0.25, 0.2), b = -0.4 at x = (1, 2, 3): z + b = 0.2, and
  // dy/db = sigmoid'(0.2) = s (1 - s) = 0.24751657271185995 (Python), neuron_demo's 0.247517.
  CHECK(r.y == doctest::Approx(0.549833997312478).epsilon(1e-15));
  CHECK(r.grad_b == doctest::Approx(0.24751657271185995).epsilon(1e-15));
  CHECK(r.grad_b_constant_input == r.grad_b);
  const auto sig = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
  const double h = 1e-6;
  CHECK(r.grad_b == doctest::Approx((sig(0.2 + h) - sig(0.2 - h)) / (2 * h)).epsilon(1e-8));
}

TEST_CASE("tutorial: 1. the three drawn forms of the neuron agree in value and every gradient") {
  gt::ThreeForms f;
  gt::three_forms(f);
  const auto node = [](const gradflow::Graph& g, const char* name) {
    for (gradflow::NodeId i = 0; i < g.size(); ++i)
      if (g.label(i) == name) return i;
    FAIL("no node " << name);
    return gradflow::NodeId{};
  };
  for (const auto* g : {&f.threshold, &f.bias_node, &f.constant_input}) {
    CHECK(g->value(node(*g, "y")) == doctest::Approx(0.549833997312478).epsilon(1e-15));
    for (const char* w : {"w1", "w2", "w3"})
      CHECK(g->grad(node(*g, w)) == f.bias_node.grad(node(f.bias_node, w)));
  }
  // dy/dw_i = sigmoid'(0.2) x_i, x = (1, 2, 3).
  CHECK(f.bias_node.grad(node(f.bias_node, "w3")) ==
        doctest::Approx(3 * 0.24751657271185995).epsilon(1e-14));
  CHECK(f.bias_node.grad(node(f.bias_node, "b")) ==
        f.constant_input.grad(node(f.constant_input, "b")));
  // The threshold form subtracts h: its gradient is the bias's, negated.
  CHECK(f.threshold.grad(node(f.threshold, "h")) == -f.bias_node.grad(node(f.bias_node, "b")));
}

TEST_CASE("tutorial: 2. the output flips at b = -z and a lower bias needs a larger sum") {
  const auto r = gt::activation_threshold();
  // z = 0.5 * 1 - 0.25 * 2 + 0.2 * 3 = 0.6.
  CHECK(r.z == doctest::Approx(0.6));
  // The sweep's step is 0.01: the first firing bias is -0.6 (to rounding), the sigmoid's
  // interpolated crossing lies within a step of -z.
  CHECK(r.step_flip_bias == doctest::Approx(-0.6).epsilon(1e-9));
  CHECK(std::abs(r.sigmoid_half_bias - -0.6) < 1e-3);
  REQUIRE(r.needed_sum_step.size() == r.biases.size());
  for (std::size_t i = 0; i < r.biases.size(); ++i) {
    CHECK(r.needed_sum_step[i] == doctest::Approx(-r.biases[i]).epsilon(1e-9).scale(1));
    CHECK(r.needed_sum_sigmoid[i] == doctest::Approx(-r.biases[i]).epsilon(1e-9).scale(1));
    if (i > 0) CHECK(r.needed_sum_step[i] < r.needed_sum_step[i - 1]);
  }
  // Outputs only grow with the bias.
  CHECK(std::is_sorted(r.step_out.begin(), r.step_out.end()));
  CHECK(std::is_sorted(r.sigmoid_out.begin(), r.sigmoid_out.end()));
}

TEST_CASE("tutorial: 3. the step loses the strength and passes no gradient") {
  const auto r = gt::step_failures();
  CHECK(r.step_small == 1.0);
  CHECK(r.step_large == 1.0);
  CHECK(r.sigmoid_small == doctest::Approx(0.549833997312478).epsilon(1e-15));   // Python
  CHECK(r.sigmoid_large == doctest::Approx(0.9525741268224334).epsilon(1e-15));  // Python
  // Step: every gradient exactly 0, the parameters bit for bit unchanged, the loss stuck at
  // 0.75 (outputs step(0.1), step(-0.5), step(0.5), step(-0.1) = 1, 0, 1, 0 against targets
  // 0, 0, 0, 1: three squared errors of 1 out of four).
  CHECK(r.step.nonzero_gradients == 0);
  CHECK(r.step.params_after == r.step.params_before);
  for (double l : r.step.loss) CHECK(l == 0.75);
  CHECK(r.step.final_accuracy == 0.25);
  // Sigmoid: the initial loss by hand (Python): mean of sigmoid(0.1)^2, sigmoid(-0.5)^2,
  // sigmoid(0.5)^2, (1 - sigmoid(-0.1))^2 = 0.2702997175422268; then it falls every step.
  CHECK(r.sigmoid.loss.front() == doctest::Approx(0.2702997175422268).epsilon(1e-14));
  for (std::size_t k = 1; k < r.sigmoid.loss.size(); ++k)
    CHECK(r.sigmoid.loss[k] < r.sigmoid.loss[k - 1]);
  CHECK(r.sigmoid.loss.back() < 0.5 * r.sigmoid.loss.front());
  CHECK(r.sigmoid.params_after != r.sigmoid.params_before);
  // The landscape against w1: the step's loss, recomputed with plain doubles away from the
  // jumps, takes only the values k/4, and backward's gradient is exactly 0 everywhere; the
  // sigmoid's gradient matches a central difference of its own loss curve.
  const auto& l = r.landscape;
  REQUIRE(l.w1.size() == 601);
  double step_at_start = -1;
  for (std::size_t i = 0; i < l.w1.size(); ++i) {
    CHECK(l.step_grad[i] == 0.0);
    CHECK(l.step_loss[i] * 4 == std::round(l.step_loss[i] * 4));
    double loss = 0;
    bool near_jump = false;
    for (int a = 0; a <= 1; ++a)
      for (int b = 0; b <= 1; ++b) {
        const double pre = l.w1[i] * a - 0.6 * b + 0.1;
        near_jump |= std::abs(pre) < 1e-9;
        const double e = (pre > 0 ? 1.0 : 0.0) - (a == 1 && b == 1 ? 1.0 : 0.0);
        loss += e * e / 4;
      }
    if (!near_jump) CHECK(l.step_loss[i] == loss);
    if (std::abs(l.w1[i] - 0.4) < 1e-12) {
      step_at_start = l.step_loss[i];
      CHECK(l.sigmoid_loss[i] == doctest::Approx(0.2702997175422268).epsilon(1e-14));
    }
    if (i > 0 && i + 1 < l.w1.size())
      CHECK(l.sigmoid_grad[i] == doctest::Approx((l.sigmoid_loss[i + 1] - l.sigmoid_loss[i - 1]) /
                                                 (l.w1[i + 1] - l.w1[i - 1]))
                                     .epsilon(1e-3)
                                     .scale(1e-3));
  }
  CHECK(step_at_start == 0.75);
  // Straight-through: the step neuron learns AND exactly.
  CHECK(r.straight_through.nonzero_gradients > 0);
  CHECK(r.straight_through.loss.back() == 0.0);
  CHECK(r.straight_through.final_accuracy == 1.0);
}

TEST_CASE("tutorial: 4. max sigmoid' is 0.25 at 0 and tanh' is 1 at 0") {
  const auto r = gt::activation_curves();
  CHECK(r.sigmoid_max_grad == 0.25);  // sigmoid(0) = 0.5 exactly, 0.5 * 0.5
  CHECK(r.sigmoid_argmax == 0.0);
  CHECK(r.tanh_max_grad == 1.0);
  CHECK(r.tanh_argmax == 0.0);
  const auto& s = r.curve(Activation::sigmoid);
  const auto& relu = r.curve(Activation::relu);
  const auto& step = r.curve(Activation::step);
  for (std::size_t i = 0; i < r.x.size(); ++i) {
    CHECK(s.dy[i] <= 0.25);
    CHECK(relu.dy[i] == (r.x[i] > 0 ? 1.0 : 0.0));
    CHECK(step.dy[i] == 0.0);
  }
  // Second derivatives from gradients() against closed forms: s(1-s)(1-2s), -2 tanh sech^2;
  // relu'' and step'' are 0 (the kink conventions).
  const auto& t = r.curve(Activation::tanh);
  for (std::size_t i = 0; i < r.x.size(); ++i) {
    const double sg = 1 / (1 + std::exp(-r.x[i])), th = std::tanh(r.x[i]);
    CHECK(s.d2y[i] == doctest::Approx(sg * (1 - sg) * (1 - 2 * sg)).epsilon(1e-12).scale(1e-3));
    CHECK(t.d2y[i] == doctest::Approx(-2 * th * (1 - th * th)).epsilon(1e-12).scale(1e-3));
    CHECK(relu.d2y[i] == 0.0);
    CHECK(step.d2y[i] == 0.0);
  }
  // sigmoid(k x) approaches the step: the gap for |x| >= 0.5 is 1 - sigmoid(k / 2) (the
  // curve is symmetric and monotone), falling with k.
  REQUIRE(r.steep_gap.size() == r.steepness.size());
  for (std::size_t i = 0; i < r.steepness.size(); ++i) {
    CHECK(r.steep_gap[i] ==
          doctest::Approx(1.0 - 1.0 / (1.0 + std::exp(-r.steepness[i] / 2))).epsilon(1e-12));
    if (i > 0) CHECK(r.steep_gap[i] < r.steep_gap[i - 1]);
  }
  CHECK(r.steep_gap.back() < 1e-4);
  // The derivative from backward against a central difference of the curve itself.
  for (std::size_t i = 50; i + 50 < r.x.size(); i += 97) {
    const double h = r.x[i + 1] - r.x[i - 1];
    for (auto f : {Activation::sigmoid, Activation::tanh}) {
      const auto& c = r.curve(f);
      CHECK(c.dy[i] == doctest::Approx((c.y[i + 1] - c.y[i - 1]) / h).epsilon(1e-3));
    }
  }
}

TEST_CASE("tutorial: 5. sigmoid gradients vanish at most like 0.25^depth while relu's stay 1") {
  const auto r = gt::vanishing_gradients(30);
  REQUIRE(r.depth.size() == 30);
  // Depth 1 by hand (Python): sigmoid'(1) = 0.19661193324148185, tanh'(1) = 0.41997434161402614.
  CHECK(r.chain_sigmoid[0] == doctest::Approx(0.19661193324148185).epsilon(1e-14));
  CHECK(r.chain_tanh[0] == doctest::Approx(0.41997434161402614).epsilon(1e-14));
  for (std::size_t i = 0; i < r.depth.size(); ++i) {
    CAPTURE(r.depth[i]);
    CHECK(r.chain_sigmoid[i] > 0.0);
    CHECK(r.chain_sigmoid[i] <= std::pow(0.25, r.depth[i]));
    CHECK(r.chain_relu[i] == 1.0);
    if (i > 0) CHECK(r.chain_tanh[i] < r.chain_tanh[i - 1]);
  }
  // With weight 3 every tanh saturates: a_d = tanh(3 a_{d-1}), gradient prod 3 (1 - a_d^2),
  // recomputed with plain doubles; 3 (1 - tanh(3)^2) = 0.029598111496320634 at depth 1 and
  // 3.31782203660828e-46 at depth 30 (Python).
  double a = 1, grad = 1;
  for (std::size_t i = 0; i < r.depth.size(); ++i) {
    a = std::tanh(3 * a);
    grad *= 3 * (1 - a * a);
    CHECK(r.chain_tanh_w3[i] == doctest::Approx(grad).epsilon(1e-12));
  }
  CHECK(r.chain_tanh_w3[0] == doctest::Approx(0.029598111496320634).epsilon(1e-14));
  CHECK(r.chain_tanh_w3[29] == doctest::Approx(3.31782203660828e-46).epsilon(1e-10));
  // tanh's chain shrinks slowly (x_d ~ sqrt(3 / 2d), so its slope product ~ d^-3/2), not
  // geometrically: at depth 30 it is still above 0.25^5.
  CHECK(r.chain_tanh[29] > std::pow(0.25, 5));
  // Deep MLPs (sigmoid and tanh with Glorot's initialisation, relu with He's): the sigmoid
  // network's first layer receives almost nothing at depth 30; tanh and relu networks keep a
  // gradient within two orders of magnitude of their depth-1 value.
  CHECK(r.mlp_sigmoid[29] < 1e-12 * r.mlp_sigmoid[0]);
  CHECK(r.mlp_tanh[29] > 1e-2 * r.mlp_tanh[0]);
  CHECK(r.mlp_relu[29] > 1e-2 * r.mlp_relu[0]);
}

TEST_CASE("tutorial: 6. the switching points -b/w move from 0 to both edges of the bump") {
  const auto r = gt::bias_trajectory();
  CHECK(r.b_start[0] == 0.0);
  CHECK(r.b_start[1] == 0.0);
  CHECK(r.biases.front() == std::array<double, 3>{0, 0, 0});
  REQUIRE(r.biases.size() == 1501);
  REQUIRE(r.switching.size() == 1501);
  // With bias 0 both switch at x = 0.
  CHECK(r.switching.front()[0] == 0.0);
  CHECK(r.switching.front()[1] == 0.0);
  // The bump's edges lie between the data points -3 | -2.75 and 1.75 | 2: any switching point
  // in those gaps classifies every point. One unit moved left, the other right.
  for (std::size_t i = 0; i < 2; ++i)
    CHECK(r.switching.back()[i] == doctest::Approx(-r.b_end[i] / r.w_end[i]).epsilon(1e-15));
  std::array<double, 2> at = r.switching.back();
  std::sort(at.begin(), at.end());
  CHECK(at[0] > -3.0);
  CHECK(at[0] < -2.75);
  CHECK(at[1] > 1.75);
  CHECK(at[1] < 2.0);
  CHECK(std::abs(r.b_end[0]) > 5.0);
  CHECK(std::abs(r.b_end[1]) > 5.0);
  CHECK(r.final_accuracy == 1.0);
  // The network's output after training is on the target's side of 0.5 at every data point
  // of the sampled curve (x = -6, -5.95, ...: every fifth sample is a data point).
  const auto data = gt::bump_data();
  for (std::size_t i = 0; i < data.size(); ++i) {
    const double y = r.output_end[i * 5];
    CHECK(r.x[i * 5] == doctest::Approx(data.row(i)[0]));
    CHECK((y > 0.5) == (data.y[i] > 0.5));
  }
}

TEST_CASE(
    "tutorial: 7. sigmoid supports and tanh votes for or against and relu supports or abstains") {
  const auto rows = gt::voting_table();
  REQUIRE(rows.size() == 9);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    CHECK(r.sigmoid > 0.0);
    if (i > 0) CHECK(r.sigmoid > rows[i - 1].sigmoid);
    CHECK((r.tanh > 0) == (r.z > 0));
    CHECK((r.tanh < 0) == (r.z < 0));
    CHECK(r.relu == (r.z > 0 ? r.z : 0.0));
    CHECK(gt::vote(Activation::relu, r.relu) == (r.z > 0 ? "supports" : "abstains"));
    CHECK(gt::vote(Activation::tanh, r.tanh) ==
          (r.z > 0 ? "for" : (r.z < 0 ? "against" : "neutral")));
  }
  CHECK(rows[4].z == 0.0);
  CHECK(rows[4].sigmoid == 0.5);
  // The caveat: behind a negative weight a relu's support opposes, a sigmoid always opposes;
  // relu's abstention stays exactly 0.
  const auto c = gt::vote_curves();
  REQUIRE(c.z.size() == 301);
  for (std::size_t i = 0; i < c.z.size(); ++i) {
    CHECK(c.relu_times_minus[i] == -c.relu[i]);
    CHECK(c.sigmoid_times_minus[i] < 0.0);
    if (c.z[i] <= 0) CHECK(c.relu_times_minus[i] == 0.0);
    if (c.z[i] > 0) CHECK(c.relu_times_minus[i] < 0.0);
  }
}

TEST_CASE("tutorial: 8. linear layers collapse to one affine map and tanh and relu learn XOR") {
  const auto lin = gt::xor_run(Activation::identity);
  // The least-squares affine fit to XOR is y = 0.5 (the normal equations give zero slopes),
  // with loss 0.25: no linear network can do better.
  CHECK(lin.min_loss >= 0.25 - 1e-12);
  CHECK(lin.final_accuracy <= 0.75);  // XOR is not linearly separable: at most 3 of 4
  CHECK(lin.collapsed[0] == doctest::Approx(0.5).epsilon(1e-6));
  for (std::size_t i = 0; i < 3; ++i)
    CHECK(lin.from_gradient[i] == doctest::Approx(lin.collapsed[i]).epsilon(1e-12).scale(1e-3));
  CHECK(lin.max_affine_error < 1e-12);

  const auto th = gt::xor_run(Activation::tanh);
  CHECK(th.final_accuracy == 1.0);
  CHECK(th.final_loss < 1e-6);
  const auto re = gt::xor_run(Activation::relu);
  CHECK(re.final_accuracy == 1.0);
  CHECK(re.final_loss < 1e-6);
  CHECK(gt::xor_successes(Activation::tanh) == 8);
}

TEST_CASE("tutorial: 8. more tanh units fit sin x better and linear layers stop at the best line") {
  const auto f = gt::function_fit();
  REQUIRE(f.mse.size() == f.units.size());
  // The least-squares line, independently: the x grid is symmetric, so the intercept is 0 and
  // the slope sum x sin x / sum x^2 = 0.3310320215826158 (Python).
  double sxy = 0, sxx = 0, syy = 0;
  for (int k = 0; k <= 60; ++k) {
    const double x = -3.0 + 0.1 * k;
    sxy += x * std::sin(x);
    sxx += x * x;
    syy += std::sin(x) * std::sin(x);
  }
  CHECK(f.best_slope == doctest::Approx(0.3310320215826158).epsilon(1e-12));
  CHECK(std::abs(f.best_intercept) < 1e-12);
  // Its error: mean (y - slope x)^2 = (syy - sxy^2 / sxx) / 61.
  CHECK(f.best_line_mse == doctest::Approx((syy - sxy * sxy / sxx) / 61).epsilon(1e-12));
  // Three stacked linear layers end on that line, and no lower.
  CHECK(f.linear_mse == doctest::Approx(f.best_line_mse).epsilon(1e-9));
  CHECK(f.linear_mse >= f.best_line_mse * (1 - 1e-12));
  for (std::size_t i = 0; i < f.units.size(); ++i) {
    CAPTURE(f.units[i]);
    CHECK(f.mse[i] < f.best_line_mse);
    if (i > 0) CHECK(f.mse[i] < f.mse[i - 1]);
  }
  CHECK(f.mse.back() < 1e-2 * f.mse.front());
  CHECK(f.mse.back() < 1e-3);
}

TEST_CASE("tutorial: 9. micrograd's moons demo reaches 100% with micrograd's losses") {
  // Reference: the same run in a plain-Python transcription of micrograd's engine.py / nn.py
  // and demo loop, on this data and these initial parameters written out with 17 digits: it
  // prints step 0 loss 2.213885789318 accuracy 38% ... step 99 loss 0.016890377971
  // accuracy 100%, and all 100 lines agree with the program's to 12 decimals.
  const auto r = gt::moons();
  REQUIRE(r.records.size() == 100);
  CHECK(std::abs(r.records[0].loss - 2.213885789318) < 6e-13);
  CHECK(r.records[0].accuracy == doctest::Approx(0.38));
  CHECK(std::abs(r.records[10].loss - 0.267177196262) < 6e-13);
  CHECK(std::abs(r.records[40].loss - 0.048482092969) < 6e-13);
  CHECK(std::abs(r.records[99].loss - 0.016890377971) < 6e-13);
  CHECK(r.records[99].accuracy == 1.0);
  CHECK(r.final_accuracy == 1.0);
  CHECK(r.init.size() == 337);
}
