// Neurons, layers and MLPs from primitive nodes: their structure, the two bias forms, the
// parameter order, groups, the portable random numbers and gradients against finite differences.
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <gradflow/engine/gradcheck.hpp>
#include <gradflow/graph/graph.hpp>
#include <gradflow/nn/nn.hpp>
#include <gradflow/ops/errors.hpp>

namespace gf = gradflow;
namespace nn = gradflow::nn;

TEST_CASE("nn: a neuron is one mul per input and one sum then a bias node and an activation") {
  gf::Graph g;
  nn::Rng rng(1);
  const nn::Neuron n(g, 3, nn::Activation::sigmoid, rng);
  const std::array<gf::Node, 3> x{g.input("x1", 1), g.input("x2", 2), g.input("x3", 3)};
  const gf::Node y = n(x);
  CHECK(y.op() == gf::Op::sigmoid);
  const gf::Node pre = y.operand(0);
  REQUIRE(pre.op() == gf::Op::bias);
  CHECK(pre.operand(1) == n.bias());
  const gf::Node z = pre.operand(0);
  REQUIRE(z.op() == gf::Op::sum);
  REQUIRE(z.operand_count() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(z.operand(i).op() == gf::Op::mul);
    CHECK(z.operand(i).operand(0) == n.weights()[i]);
    CHECK(z.operand(i).operand(1) == x[i]);
  }
  CHECK(n.last_sum() == z);
  CHECK(n.last_pre_activation() == pre);
  CHECK(n.bias().name() == "n.b");
  CHECK(n.weights()[2].name() == "n.w3");
  CHECK_THROWS_AS(n(std::span<const gf::Node>(x).first(2)), gf::UsageError);
}

TEST_CASE("nn: the demo neuron's value and gradients worked out by hand") {
  // x = (1, 2, 3), w = (0.5, -0.25, 0.2), b = -0.4: z + b = 0.2 (0.2000000000000001 in
  // doubles); y = sigmoid(0.2) = 0.549833997312478 and y(1 - y) = 0.24751657271185995
  // (Python's math module); dy/dw_i = y(1 - y) x_i, dy/db = y(1 - y).
  gf::Graph g;
  nn::Rng rng(1);
  const nn::Neuron n(g, 3, nn::Activation::sigmoid, rng);
  const std::array<double, 3> w{0.5, -0.25, 0.2};
  for (std::size_t i = 0; i < 3; ++i) n.weights()[i].set(w[i]);
  n.bias().set(-0.4);
  const std::array<gf::Node, 3> x{g.input("x1", 1), g.input("x2", 2), g.input("x3", 3)};
  const gf::Node y = n(x);
  g.backward(y);
  const double d = 0.24751657271185995;
  CHECK(y.value() == doctest::Approx(0.549833997312478).epsilon(1e-15));
  CHECK(n.bias().grad() == doctest::Approx(d).epsilon(1e-15));
  for (std::size_t i = 0; i < 3; ++i)
    CHECK(n.weights()[i].grad() == doctest::Approx(d * static_cast<double>(i + 1)).epsilon(1e-15));
}

TEST_CASE("nn: a bias node and a weight on a constant input 1 give identical numbers") {
  // Same seed, same weights; values and every gradient must agree exactly (==), because the
  // constant-input form adds b * 1 = b last in the sum, as the bias node does.
  for (auto f : {nn::Activation::sigmoid, nn::Activation::tanh, nn::Activation::relu}) {
    CAPTURE(nn::name(f));
    gf::Graph g;
    nn::MLPOptions a, c;
    a.hidden = c.hidden = f;
    a.init.bias = c.init.bias = 0.3;  // non-zero, so that b * 1 really matters
    c.bias_form = nn::BiasForm::constant_input;
    const nn::MLP na(g, {3, 5, 4, 1}, a), nc(g, {3, 5, 4, 1}, c);
    const std::array<gf::Node, 3> x{g.input("x1", 0), g.input("x2", 0), g.input("x3", 0)};
    const gf::Node ya = na(x).front(), yc = nc(x).front();
    // The constant-input form has no bias node: the bias is one more mul inside the sum.
    const auto& neuron = nc.layers()[0].neurons()[0];
    CHECK(neuron.last_pre_activation() == neuron.last_sum());
    CHECK(neuron.last_sum().operand_count() == 4);
    const auto pa = na.parameters(), pc = nc.parameters();
    REQUIRE(pa.size() == pc.size());
    for (const std::array<double, 3>& v :
         {std::array<double, 3>{0.5, -1.2, 2.0}, std::array<double, 3>{-0.3, 0.8, 0.1},
          std::array<double, 3>{1.5, 1.5, -2.5}}) {
      for (std::size_t i = 0; i < 3; ++i) x[i].set(v[i]);
      CHECK(ya.value() == yc.value());
      g.backward(ya);
      std::vector<double> ga;
      for (const auto& p : pa) ga.push_back(p.grad());
      g.backward(yc);
      for (std::size_t i = 0; i < pc.size(); ++i) CHECK(ga[i] == pc[i].grad());
    }
  }
}

TEST_CASE("nn: parameters come per layer then per neuron with weights before the bias") {
  gf::Graph g;
  const nn::MLP net(g, {2, 3, 1});
  const auto ps = net.parameters();
  REQUIRE(ps.size() == 13);  // (2 + 1) * 3 + (3 + 1) * 1
  CHECK(net.parameter_count() == 13);
  const std::vector<std::string> expected{
      "L1.n1.w1", "L1.n1.w2", "L1.n1.b",  "L1.n2.w1", "L1.n2.w2", "L1.n2.b", "L1.n3.w1",
      "L1.n3.w2", "L1.n3.b",  "L2.n1.w1", "L2.n1.w2", "L2.n1.w3", "L2.n1.b"};
  for (std::size_t i = 0; i < ps.size(); ++i) CHECK(ps[i].name() == expected[i]);
  // The graph's own creation order is the same order.
  const auto created = g.parameters();
  for (std::size_t i = 0; i < ps.size(); ++i) CHECK(created[i] == ps[i]);

  std::vector<double> values;
  for (int i = 0; i < 13; ++i) values.push_back(0.1 * i);
  net.set_parameters(values);
  CHECK(net.parameter_values() == values);
  CHECK(ps[2].value() == doctest::Approx(0.2));  // L1.n1.b
  const std::vector<double> short_list(12, 0.0);
  CHECK_THROWS_WITH_AS(net.set_parameters(short_list),
                       doctest::Contains("has 13 parameters (per layer, per neuron: weights then "
                                         "bias), got 12"),
                       gf::UsageError);
}

TEST_CASE("nn: layers and neurons are recorded as nested groups") {
  gf::Graph g;
  const nn::MLP net(g, {2, 2, 1});
  const auto y = net("x").front();
  // Construction: L1 { L1.n1, L1.n2 }, L2 { L2.n1 }; the call records the same again.
  const auto groups = g.groups();
  REQUIRE(groups.size() == 10);
  int layers = 0, neurons = 0;
  for (const auto& grp : groups) {
    if (grp.kind == "layer") {
      ++layers;
      CHECK(grp.parent == -1);
    } else {
      REQUIRE(grp.kind == "neuron");
      ++neurons;
      REQUIRE(grp.parent >= 0);
      const auto& parent = groups[static_cast<std::size_t>(grp.parent)];
      CHECK(parent.kind == "layer");
      CHECK(grp.name.rfind(parent.name + ".", 0) == 0);  // "L1.n2" inside "L1"
      CHECK(parent.begin <= grp.begin);
      CHECK(grp.end <= parent.end);
    }
  }
  CHECK(layers == 4);
  CHECK(neurons == 6);
  // The output node lies in the last recorded neuron group, L2.n1.
  CHECK(groups.back().name == "L2.n1");
  CHECK(groups.back().begin <= y.id());
  CHECK(y.id() < groups.back().end);
  // A neuron group from construction holds exactly its parameters.
  CHECK(groups[1].name == "L1.n1");
  CHECK(groups[1].end - groups[1].begin == 3);
}

TEST_CASE("nn: random numbers are portable: mt19937 and the 53-bit conversion written out") {
  // Reference: the reference algorithm of mt19937ar.c (init_genrand(1), genrand_res53)
  // re-implemented in Python; its first outputs are 1791095845, 4282876139, ... and its first
  // uniforms 0.417022004702574, 0.7203244934421581, 0.00011437481734488664 (numpy's
  // RandomState(1).random_sample() gives the same numbers).
  std::mt19937 engine(1);
  CHECK(engine() == 1791095845u);
  CHECK(engine() == 4282876139u);
  nn::Rng rng(1);
  CHECK(rng.uniform() == 0.417022004702574);
  CHECK(rng.uniform() == 0.7203244934421581);
  CHECK(rng.uniform() == 0.00011437481734488664);
  // MLP weights are uniform(-1, 1) = -1 + 2u in that order, biases 0.
  gf::Graph g;
  const nn::MLP net(g, {2, 1});
  const auto v = net.parameter_values();
  CHECK(v[0] == -0.165955990594852);
  CHECK(v[1] == 0.4406489868843162);
  CHECK(v[2] == 0.0);
  // Same seed, same network; another seed, other weights.
  gf::Graph h;
  nn::MLPOptions o;
  const nn::MLP same(h, {2, 1}, o);
  o.init.seed = 2;
  const nn::MLP other(h, {2, 1}, o);
  CHECK(same.parameter_values() == v);
  CHECK(other.parameter_values() != v);
}

TEST_CASE("nn: Rng::normal has mean 0 and standard deviation 1") {
  // 20000 draws: the sample mean of N(0, 1) has standard error 0.007, the sample variance
  // about 0.01; the bounds are 5 standard errors wide. Deterministic for the fixed seed.
  nn::Rng rng(11);
  double s = 0, s2 = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const double v = rng.normal();
    s += v;
    s2 += v * v;
  }
  const double mean = s / n, var = s2 / n - mean * mean;
  CHECK(std::abs(mean) < 0.035);
  CHECK(std::abs(var - 1.0) < 0.05);
}

TEST_CASE("nn: MLP gradients agree with central finite differences") {
  for (auto f : {nn::Activation::sigmoid, nn::Activation::tanh, nn::Activation::relu,
                 nn::Activation::identity}) {
    CAPTURE(nn::name(f));
    gf::Graph g;
    nn::MLPOptions o;
    o.hidden = f;
    o.output = nn::Activation::tanh;
    o.init.bias = 0.1;
    const nn::MLP net(g, {3, 5, 4, 1}, o);
    const std::array<gf::Node, 3> x{g.input("x1", 0.3), g.input("x2", -0.7), g.input("x3", 1.1)};
    const gf::Node y = net(x).front();
    const gf::Node loss = (y - 0.25) * (y - 0.25);
    const auto report = gf::gradcheck(g, loss);
    CHECK_MESSAGE(report.ok, report.summary(g));
    CHECK(report.entries.size() == 3 + net.parameter_count());
  }
}

TEST_CASE("nn: softplus is stable and its derivative is sigmoid") {
  // softplus(0) = ln 2 = 0.6931471805599453; softplus(-40) = log1p(e^-40) =
  // 4.248354255291589e-18 (Python); softplus(800) = 800 where log(1 + e^800) would overflow.
  gf::Graph g;
  const auto x = g.input("x", 0);
  const auto y = gf::softplus(x);
  CHECK(y.value() == 0.6931471805599453);
  g.backward(y);
  CHECK(x.grad() == 0.5);
  x.set(-40);
  CHECK(y.value() == doctest::Approx(4.248354255291589e-18).epsilon(1e-14));
  x.set(800);
  CHECK(y.value() == 800.0);
  g.backward(y);
  CHECK(x.grad() == 1.0);
  x.set(-800);
  CHECK(y.value() == 0.0);
  for (double v : {-3.0, -0.5, 0.7, 4.0}) {
    x.set(v);
    const auto report = gf::gradcheck(g, y);
    CHECK_MESSAGE(report.ok, report.summary(g));
  }
}

TEST_CASE("nn: activations by name and bad sizes are errors") {
  CHECK(nn::parse_activation("relu") == nn::Activation::relu);
  CHECK(nn::parse_activation("linear") == nn::Activation::identity);
  CHECK(nn::name(nn::Activation::tanh) == "tanh");
  CHECK_THROWS_WITH_AS(nn::parse_activation("gelu"), doctest::Contains("unknown activation 'gelu'"),
                       gf::UsageError);
  gf::Graph g;
  CHECK_THROWS_AS(nn::MLP(g, {2}), gf::UsageError);
  CHECK_THROWS_AS(nn::MLP(g, {2, 0, 1}), gf::UsageError);
  const nn::MLP net(g, {2, 1});
  const std::array<gf::Node, 3> three{g.input("a", 0), g.input("b", 0), g.input("c", 0)};
  CHECK_THROWS_WITH_AS(net(three), doctest::Contains("takes 2 inputs, was given 3"),
                       gf::UsageError);
}
