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
  CHECK(r.grad_b > 0.0);
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
  CHECK(r.sigmoid_small == doctest::Approx(0.5024999791668749).epsilon(1e-15));  // Python
  CHECK(r.sigmoid_large > 0.99);
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
  // tanh's chain shrinks slowly (x_d ~ sqrt(3 / 2d), so its slope product ~ d^-3/2), not
  // geometrically: at depth 30 it is still above 0.25^5.
  CHECK(r.chain_tanh[29] > std::pow(0.25, 5));
  // Deep MLPs: the sigmoid network's first layer receives almost nothing at depth 30; tanh and
  // relu networks (same initialisation) keep a gradient within two orders of magnitude of
  // their depth-1 value.
  CHECK(r.mlp_sigmoid[29] < 1e-12 * r.mlp_sigmoid[0]);
  CHECK(r.mlp_tanh[29] > 1e-2 * r.mlp_tanh[0]);
  CHECK(r.mlp_relu[29] > 1e-2 * r.mlp_relu[0]);
}

TEST_CASE("tutorial: 6. biases start at 0 and end far from it moving the switching points") {
  const auto r = gt::bias_trajectory();
  CHECK(r.b_start[0] == 0.0);
  CHECK(r.b_start[1] == 0.0);
  CHECK(std::abs(r.b_end[0]) > 5.0);
  CHECK(std::abs(r.b_end[1]) > 5.0);
  CHECK(r.biases.front() == std::array<double, 3>{0, 0, 0});
  CHECK(r.biases.size() == 1501);
  // The hidden neurons switch at the bump's edges x = 2 and x = 6 (in some order).
  std::array<double, 2> at{-r.b_end[0] / r.w_end[0], -r.b_end[1] / r.w_end[1]};
  std::sort(at.begin(), at.end());
  CHECK(at[0] == doctest::Approx(2.0).epsilon(0.1));
  CHECK(at[1] == doctest::Approx(6.0).epsilon(0.05));
  CHECK(r.final_accuracy == 1.0);
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
