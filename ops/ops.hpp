// Every op of gradflow in one place: its kind, name, symbol, arity, traits, forward rule, local
// derivative and domain. Everything else (the graph's recording, the sweeps, the executor, the
// dumps, the diagnostics, the stepper) reads ops only through this file, so adding an op means
// adding one rule struct, its enumerator and one `case` in with_rule(); the compiler rejects a
// forgotten case (-Wswitch, and the static_assert at the end).
//
// A rule's shape depends on its arity:
//   arity 1: forward(x, attr, conv)      derivative(x, y, attr, conv) -> dy/dx
//   arity 2: forward(a, b)               derivative(a, b, y) -> {dy/da, dy/db}
//   variadic: forward(n, x)              derivative(slot) or derivative(slot, n, x) -> dy/d slot
//             optionally arity_ok(n) (which operand counts the op takes) and arity_text
// `attr` is the op's constant (pow's exponent, leaky_relu's slope); `y` is the forward result,
// passed so that derivatives that are cheapest from the output (exp) use it. x(k) reads operand
// k. An optional domain(...) returns why an operand is outside the op's domain, or nullptr.
//
// Callers never spell these shapes: compute(), derivative(), derivatives() and domain() below call
// any rule through one protocol, operand values read through an accessor.
//
// Every op's derivative has two forms, side by side in its struct: derivative() gives the number
// (Graph::backward's fast path) and derivative_expr(b) records the same derivative as nodes through
// a builder `b` (gradflow::gradients, graph/gradients.hpp, provides it), so that derivatives can be
// differentiated again. The two are tested against each other on many points
// (tests/test_gradients.cpp): derivative_expr repeats derivative()'s operations one for one, so at
// the values it was recorded at its node holds the same bits. A builder B offers, over its
// expression type B::E: x(k) (operand k), y() (the node), value(k), y_value(), attr(),
// conventions(), zero(), one(), c(double), add, sub, mul, div, neg, apply(op, e, attr) and
// apply(op, e1, e2), and first_order_only(why) (throws). Where derivative() picks between two
// formulas of the same function for precision (sigmoid, tanh), derivative_expr picks the same one
// by the values at recording time: either stays the right function when inputs change later.
#pragma once

#include <array>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

namespace gradflow {

/// The operation a node performs. Leaves (input, parameter, constant) have no operands.
enum class Op : std::uint8_t {
  input,
  parameter,
  constant,
  add,
  sub,
  mul,
  div,
  neg,
  pow,
  exp,
  log,
  sum,
  bias,
  step,
  sigmoid,
  tanh,
  relu,
  leaky_relu,
  identity,
  softplus,
  heaviside,
  abs,
  min,
  max,
  sqrt,
  sin,
  cos,
  power,
  detach,
  affine,
  count,  ///< not an op: the number of ops (keep last)
};
/// Number of ops.
inline constexpr std::size_t op_count = static_cast<std::size_t>(Op::count);

/// What a node is: a value set before each evaluation, a trainable value, a fixed value, or the
/// result of an op.
enum class NodeKind : std::uint8_t { input, parameter, constant, op };

/// How backward differentiates step nodes.
enum class StepGradient : std::uint8_t {
  exact,              ///< 0 everywhere; at exactly 0 Conventions::step_grad_at_zero (default 0)
  straight_through,   ///< as if step were the identity: 1
  sigmoid_surrogate,  ///< sigmoid'(x) = s(x)(1 - s(x)), the smooth step's slope
};

/// The values gradflow uses where the maths leaves a choice. Each graph has its own.
struct Conventions {
  /// H(0). Default 1: the McCulloch-Pitts neuron fires when the sum *reaches* the threshold.
  double step_at_zero = 1.0;
  /// step'(0): the derivative is undefined at the jump; 0 keeps "step never passes gradient".
  double step_grad_at_zero = 0.0;
  /// relu'(0): undefined at the kink; 0 as in PyTorch.
  double relu_grad_at_zero = 0.0;
  /// What backward uses for step's derivative; see StepGradient.
  StepGradient step_gradient = StepGradient::exact;
};

/// Operand count of variadic ops (sum).
inline constexpr int variadic = -1;

/// What a node's constant (its attr) means.
enum class AttrKind : std::uint8_t {
  none,      ///< the op has no constant (attr is 0)
  exponent,  ///< pow's exponent c in x^c
  slope,     ///< leaky_relu's slope alpha for negative inputs
  at_zero,   ///< heaviside's value at exactly 0
};

/// What every op declares about itself: see info().
struct OpInfo {
  Op op;                    ///< the op itself
  std::string_view name;    ///< identifier used in tables, errors and command lines: "mul"
  std::string_view symbol;  ///< short mark used in pictures: "×"
  int arity;                ///< 0 for leaves, 1, 2, or `variadic`
  NodeKind kind;            ///< what a node with this op is
  /// A neuron's activation (drawn as one, offered by nn and the examples by its name).
  bool activation = false;
  /// Squashing: the local derivative tends to 0 for large |x| (sigmoid, tanh); see saturated().
  bool saturating = false;
  /// The derivative is undefined at operand 0 and a stated convention picks it (relu, step,
  /// leaky_relu); finite differences across 0 are meaningless.
  bool kink_at_zero = false;
  /// The derivative is 0 by definition, whatever the maths says (detach): drawn as "detached".
  bool stops_gradient = false;
  AttrKind attr = AttrKind::none;  ///< what the node's constant means
  double attr_default = 0.0;       ///< the constant apply() uses when none is given
  /// How the constant prints before its value in pictures and tables: "^" (pow), "α=".
  std::string_view attr_prefix = {};
};

/// The two local derivatives of a binary op.
struct Partials2 {
  double da;  ///< d(out)/d(first operand)
  double db;  ///< d(out)/d(second operand)
};

/// The two local derivatives of a binary op as expressions of a builder (derivative_expr).
template <class E>
struct PartialsOf {
  E da;  ///< d(out)/d(first operand)
  E db;  ///< d(out)/d(second operand)
};

namespace rules {

// ---------------------------------------------------------------------------------------------
// Leaves
struct Input {
  static constexpr OpInfo info{Op::input, "input", "in", 0, NodeKind::input};
};
struct Parameter {
  static constexpr OpInfo info{Op::parameter, "parameter", "param", 0, NodeKind::parameter};
};
struct Constant {
  static constexpr OpInfo info{Op::constant, "constant", "const", 0, NodeKind::constant};
};

// ---------------------------------------------------------------------------------------------
// Arithmetic
struct Add {
  static constexpr OpInfo info{Op::add, "add", "+", 2, NodeKind::op};
  static double forward(double a, double b) { return a + b; }
  static Partials2 derivative(double, double, double) { return {1.0, 1.0}; }
  template <class B>
  static PartialsOf<typename B::E> derivative_expr(B& b) {
    return {b.one(), b.one()};
  }
};
struct Sub {
  static constexpr OpInfo info{Op::sub, "sub", "−", 2, NodeKind::op};
  static double forward(double a, double b) { return a - b; }
  static Partials2 derivative(double, double, double) { return {1.0, -1.0}; }
  template <class B>
  static PartialsOf<typename B::E> derivative_expr(B& b) {
    return {b.one(), b.c(-1.0)};
  }
};
struct Mul {
  static constexpr OpInfo info{Op::mul, "mul", "×", 2, NodeKind::op};
  static double forward(double a, double b) { return a * b; }
  static Partials2 derivative(double a, double b, double) { return {b, a}; }
  template <class B>
  static PartialsOf<typename B::E> derivative_expr(B& b) {
    return {b.x(1), b.x(0)};
  }
};
struct Div {
  static constexpr OpInfo info{Op::div, "div", "÷", 2, NodeKind::op};
  static constexpr std::size_t domain_slot = 1;  // the operand domain() judges: the divisor
  static const char* domain(double, double b) { return b == 0.0 ? "division by zero" : nullptr; }
  static double forward(double a, double b) { return a / b; }
  // d(a/b)/db = -a/b² = -y/b: no second division by b², which would underflow first.
  static Partials2 derivative(double, double b, double y) { return {1.0 / b, -y / b}; }
  template <class B>
  static PartialsOf<typename B::E> derivative_expr(B& b) {
    return {b.div(b.one(), b.x(1)), b.div(b.neg(b.y()), b.x(1))};
  }
};
struct Neg {
  static constexpr OpInfo info{Op::neg, "neg", "−", 1, NodeKind::op};
  static double forward(double x, double, const Conventions&) { return -x; }
  static double derivative(double, double, double, const Conventions&) { return -1.0; }
  template <class B>
  static typename B::E derivative_expr(B& b) {
    return b.c(-1.0);
  }
};
/// x^c for a constant exponent c (the node's attr).
struct Pow {
  static constexpr OpInfo info{.op = Op::pow,
                               .name = "pow",
                               .symbol = "^",
                               .arity = 1,
                               .kind = NodeKind::op,
                               .attr = AttrKind::exponent,
                               .attr_default = 1.0,
                               .attr_prefix = "^"};
  static const char* domain(double x, double c) {
    if (x < 0.0 && std::trunc(c) != c) return "negative base with a non-integer exponent";
    if (x == 0.0 && c < 0.0) return "zero raised to a negative exponent";
    return nullptr;
  }
  static double forward(double x, double c, const Conventions&) { return std::pow(x, c); }
  // NOTE: c == 0 is special-cased so that x = 0 gives 0, not 0 * inf = NaN.
  static double derivative(double x, double, double c, const Conventions&) {
    return c == 0.0 ? 0.0 : c * std::pow(x, c - 1.0);
  }
  // c = 1: 1 * x^0 = 1 exactly, even at x = 0.
  template <class B>
  static typename B::E derivative_expr(B& b) {
    const double c = b.attr();
    if (c == 0.0) return b.zero();
    if (c == 1.0) return b.one();
    return b.mul(b.c(c), b.apply(Op::pow, b.x(0), c - 1.0));
  }
};
struct Exp {
  static constexpr OpInfo info{Op::exp, "exp", "exp", 1, NodeKind::op};
  static double forward(double x, double, const Conventions&) { return std::exp(x); }
  static double derivative(double, double y, double, const Conventions&) { return y; }
  template <class B>
  static typename B::E derivative_expr(B& b) {
    return b.y();
  }
};
struct Log {
  static constexpr OpInfo info{Op::log, "log", "ln", 1, NodeKind::op};
  static const char* domain(double x, double) {
    return x <= 0.0 ? "log needs a positive operand" : nullptr;
  }
  static double forward(double x, double, const Conventions&) { return std::log(x); }
  static double derivative(double x, double, double, const Conventions&) { return 1.0 / x; }
  template <class B>
  static typename B::E derivative_expr(B& b) {
    return b.div(b.one(), b.x(0));
  }
};
/// n-ary sum; a neuron's weighted sum w1x1 + w2x2 + w3x3 is one sum node over three mul nodes.
struct Sum {
  static constexpr OpInfo info{Op::sum, "sum", "Σ", variadic, NodeKind::op};
  // Added left to right, operand 0 first: every path that sums gets the same bits.
  template <class X>
  static double forward(std::size_t n, X&& x) {
    double s = 0.0;
    for (std::size_t k = 0; k < n; ++k) s += x(k);
    return s;
  }
  static double derivative(std::size_t) { return 1.0; }
  template <class B>
  static typename B::E derivative_expr(B& b, std::size_t) {
    return b.one();
  }
};
/// z + b: the same arithmetic as add, kept apart so that pictures and tables show the bias as
/// what it is, a weight on a constant input 1 (b = -h turns the threshold h into a bias).
struct Bias {
  static constexpr OpInfo info{Op::bias, "bias", "+b", 2, NodeKind::op};
  static double forward(double z, double b) { return z + b; }
  static Partials2 derivative(double, double, double) { return {1.0, 1.0}; }
  template <class B>
  static PartialsOf<typename B::E> derivative_expr(B& b) {
    return {b.one(), b.one()};
  }
};

/// A neuron's weighted sum and bias as one node: w_1 x_1 + ... + w_n x_n + b, with operands
/// w_1, x_1, w_2, x_2, ..., w_n, x_n, b (pairs, then the bias). Every edge keeps its own local
/// derivative: d/dw_k = x_k, d/dx_k = w_k, d/db = 1. The products are added left to right from 0,
/// then the bias, in the order of the primitive form bias(sum(w_k * x_k), b); with no fused
/// multiply-add (the portable build) the value is bit for bit the primitive form's.
struct Affine {
  static constexpr OpInfo info{Op::affine, "affine", "Σwx+b", variadic, NodeKind::op};
  static constexpr bool arity_ok(std::size_t n) { return n % 2 == 1; }
  static constexpr std::string_view arity_text = "an odd number (w1, x1, ..., wn, xn, b)";
  template <class X>
  static double forward(std::size_t n, X&& x) {
    double s = 0.0;
    for (std::size_t k = 0; k + 1 < n; k += 2) {
      const double p = x(k) * x(k + 1);
      s += p;
    }
    return s + x(n - 1);
  }
  // The partner of a weight is its input and vice versa (slot ^ 1); the bias's is 1.
  template <class X>
  static double derivative(std::size_t slot, std::size_t n, X&& x) {
    return slot + 1 == n ? 1.0 : x(slot ^ 1);
  }
  template <class B>
  static typename B::E derivative_expr(B& b, std::size_t slot, std::size_t n) {
    return slot + 1 == n ? b.one() : b.x(slot ^ 1);
  }
  // Every slot's derivative in slot order, pair by pair (what derivatives() calls: the same
  // numbers as derivative(), without a test per slot).
  template <class X, class F>
  static void all_derivatives(std::size_t n, X&& x, F&& f) {
    for (std::size_t k = 0; k + 1 < n; k += 2) {
      const double w = x(k), in = x(k + 1);
      f(k, in);
      f(k + 1, w);
    }
    f(n - 1, 1.0);
  }
};

// ---------------------------------------------------------------------------------------------
// Activations
/// Heaviside step. Its derivative is 0 everywhere it exists, so backward passes no gradient:
/// the reason the step cannot be trained by gradient descent. See Conventions and StepGradient.
struct Step {
  static constexpr OpInfo info{.op = Op::step,
                               .name = "step",
                               .symbol = "H",
                               .arity = 1,
                               .kind = NodeKind::op,
                               .activation = true,
                               .kink_at_zero = true};
  static double forward(double x, double, const Conventions& c) {
    if (x > 0.0) return 1.0;
    if (x < 0.0) return 0.0;
    return x == 0.0 ? c.step_at_zero : x;  // NaN stays NaN
  }
  static double derivative(double x, double, double, const Conventions& c) {
    switch (c.step_gradient) {
      case StepGradient::straight_through:
        return 1.0;
      case StepGradient::sigmoid_surrogate: {
        const double s = x >= 0.0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x));
        return s * (1.0 - s);
      }
      case StepGradient::exact:
        break;
    }
    return x == 0.0 ? c.step_grad_at_zero : 0.0;
  }
  // 0, or at exactly 0 step_grad_at_zero: H(x; s) H(-x; 1) is s at 0 and 0 elsewhere. The
  // surrogates are first-order tricks with no second derivative of their own.
  template <class B>
  static typename B::E derivative_expr(B& b) {
    const Conventions& c = b.conventions();
    if (c.step_gradient == StepGradient::straight_through)
      b.first_order_only("the straight-through step gradient is a first-order surrogate");
    if (c.step_gradient == StepGradient::sigmoid_surrogate)
      b.first_order_only("the sigmoid-surrogate step gradient is a first-order surrogate");
    if (c.step_grad_at_zero == 0.0) return b.zero();
    return b.mul(b.apply(Op::heaviside, b.x(0), c.step_grad_at_zero),
                 b.apply(Op::heaviside, b.neg(b.x(0)), 1.0));
  }
};
/// Logistic sigmoid, evaluated so that no exp overflows: finite and exact at ±1e308.
struct Sigmoid {
  static constexpr OpInfo info{.op = Op::sigmoid,
                               .name = "sigmoid",
                               .symbol = "σ",
                               .arity = 1,
                               .kind = NodeKind::op,
                               .activation = true,
                               .saturating = true};
  static double forward(double x, double, const Conventions&) {
    if (x >= 0.0) return 1.0 / (1.0 + std::exp(-x));
    const double e = std::exp(x);  // x < 0 or NaN
    return e / (1.0 + e);
  }
  // At most 0.25 (at x = 0): through many sigmoid layers gradients shrink geometrically.
  // NOTE: y(1 - y) only while 1 - y keeps its digits (x <= 2: y <= 0.89). Beyond, y rounds
  // towards 1 and y(1 - y) reaches exactly 0 at x = 37 where the true slope is 8.5e-17;
  // e/(1 + e)² with e = e^-x keeps full relative precision there.
  static double derivative(double x, double y, double, const Conventions&) {
    if (!(x > 2.0)) return y * (1.0 - y);  // NaN too
    const double e = std::exp(-x);
    return e / ((1.0 + e) * (1.0 + e));
  }
  template <class B>
  static typename B::E derivative_expr(B& b) {
    if (!(b.value(0) > 2.0)) return b.mul(b.y(), b.sub(b.one(), b.y()));
    const auto e = b.apply(Op::exp, b.neg(b.x(0)));
    const auto d = b.add(b.one(), e);
    return b.div(e, b.mul(d, d));
  }
};
struct Tanh {
  static constexpr OpInfo info{.op = Op::tanh,
                               .name = "tanh",
                               .symbol = "tanh",
                               .arity = 1,
                               .kind = NodeKind::op,
                               .activation = true,
                               .saturating = true};
  static double forward(double x, double, const Conventions&) { return std::tanh(x); }
  // sech²(x). NOTE: 1 - y² only while y² is well below 1 (|x| < 1: y² < 0.58); beyond, use
  // 4e/(1 + e)² with e = e^-2|x|, which keeps its digits down to the smallest doubles (1 - y²
  // is 30% off at x = 18.5 and exactly 0 beyond 19).
  static double derivative(double x, double y, double, const Conventions&) {
    if (!(std::abs(x) >= 1.0)) return 1.0 - y * y;  // NaN too
    const double e = std::exp(-2.0 * std::abs(x));
    return 4.0 * e / ((1.0 + e) * (1.0 + e));
  }
  template <class B>
  static typename B::E derivative_expr(B& b) {
    if (!(std::abs(b.value(0)) >= 1.0)) return b.sub(b.one(), b.mul(b.y(), b.y()));
    const auto e = b.apply(Op::exp, b.mul(b.c(-2.0), b.apply(Op::abs, b.x(0))));
    const auto d = b.add(b.one(), e);
    return b.div(b.mul(b.c(4.0), e), b.mul(d, d));
  }
};
struct Relu {
  static constexpr OpInfo info{.op = Op::relu,
                               .name = "relu",
                               .symbol = "ReLU",
                               .arity = 1,
                               .kind = NodeKind::op,
                               .activation = true,
                               .kink_at_zero = true};
  static double forward(double x, double, const Conventions&) { return x < 0.0 ? 0.0 : x; }
  // 1 for positive sums, 0 for negative ones; at exactly 0 Conventions::relu_grad_at_zero.
  static double derivative(double x, double, double, const Conventions& c) {
    if (x > 0.0) return 1.0;
    if (x < 0.0) return 0.0;
    return x == 0.0 ? c.relu_grad_at_zero : x;
  }
  // H(x; relu_grad_at_zero), whose own derivative is 0: relu'' = 0, at 0 too.
  template <class B>
  static typename B::E derivative_expr(B& b) {
    return b.apply(Op::heaviside, b.x(0), b.conventions().relu_grad_at_zero);
  }
};
/// max(x, alpha x) for a slope alpha (the node's attr); its derivative at 0 is alpha, as PyTorch.
struct LeakyRelu {
  static constexpr OpInfo info{.op = Op::leaky_relu,
                               .name = "leaky_relu",
                               .symbol = "LReLU",
                               .arity = 1,
                               .kind = NodeKind::op,
                               .activation = true,
                               .kink_at_zero = true,
                               .attr = AttrKind::slope,
                               .attr_default = 0.01,
                               .attr_prefix = "α="};
  static double forward(double x, double alpha, const Conventions&) {
    return x > 0.0 ? x : alpha * x;
  }
  static double derivative(double x, double, double alpha, const Conventions&) {
    return x > 0.0 ? 1.0 : (x <= 0.0 ? alpha : x);
  }
  // H(x; 0) + alpha H(-x; 1): 1 for x > 0, alpha for x <= 0, with the same bits.
  template <class B>
  static typename B::E derivative_expr(B& b) {
    return b.add(b.apply(Op::heaviside, b.x(0), 0.0),
                 b.mul(b.c(b.attr()), b.apply(Op::heaviside, b.neg(b.x(0)), 1.0)));
  }
};
struct Identity {
  static constexpr OpInfo info{.op = Op::identity,
                               .name = "identity",
                               .symbol = "id",
                               .arity = 1,
                               .kind = NodeKind::op,
                               .activation = true};
  static double forward(double x, double, const Conventions&) { return x; }
  static double derivative(double, double, double, const Conventions&) { return 1.0; }
  template <class B>
  static typename B::E derivative_expr(B& b) {
    return b.one();
  }
};
/// softplus(x) = log(1 + e^x), the smooth relu; binary cross-entropy from a logit s with target
/// t is softplus(s) - t s. Evaluated as x + log1p(e^-x) for x > 0 so that e^x never overflows
/// and small e^x keeps its digits (softplus(-40) = 4.2e-18, not 0).
struct Softplus {
  static constexpr OpInfo info{.op = Op::softplus,
                               .name = "softplus",
                               .symbol = "softplus",
                               .arity = 1,
                               .kind = NodeKind::op,
                               .activation = true};
  static double forward(double x, double, const Conventions&) {
    return x > 0.0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
  }
  // The derivative is sigmoid(x), smooth everywhere: no kink convention needed.
  static double derivative(double x, double, double, const Conventions& c) {
    return Sigmoid::forward(x, 0.0, c);
  }
  template <class B>
  static typename B::E derivative_expr(B& b) {
    return b.apply(Op::sigmoid, b.x(0));
  }
};

// ---------------------------------------------------------------------------------------------
// Kinks, roots, waves, stops
/// H(x; c): 1 for x > 0, 0 for x < 0 and its constant c (the attr) at exactly 0. gradients()
/// records the derivatives of the kinked ops with it (relu' = H(x; relu_grad_at_zero)). Its own
/// derivative is 0 everywhere, at 0 too, by convention: so relu'' = 0 and step'' = 0.
struct Heaviside {
  static constexpr OpInfo info{.op = Op::heaviside,
                               .name = "heaviside",
                               .symbol = "H",
                               .arity = 1,
                               .kind = NodeKind::op,
                               .kink_at_zero = true,
                               .attr = AttrKind::at_zero,
                               .attr_default = 0.5,
                               .attr_prefix = "H(0)="};
  static double forward(double x, double at_zero, const Conventions&) {
    if (x > 0.0) return 1.0;
    if (x < 0.0) return 0.0;
    return x == 0.0 ? at_zero : x;  // NaN stays NaN
  }
  static double derivative(double, double, double, const Conventions&) { return 0.0; }
  template <class B>
  static typename B::E derivative_expr(B& b) {
    return b.zero();
  }
};
/// |x|. NOTE: abs'(0) = 0 (the middle of the subgradient [-1, 1], as PyTorch).
struct Abs {
  static constexpr OpInfo info{.op = Op::abs,
                               .name = "abs",
                               .symbol = "|x|",
                               .arity = 1,
                               .kind = NodeKind::op,
                               .kink_at_zero = true};
  static double forward(double x, double, const Conventions&) { return std::abs(x); }
  static double derivative(double x, double, double, const Conventions&) {
    if (x > 0.0) return 1.0;
    if (x < 0.0) return -1.0;
    return x == 0.0 ? 0.0 : x;  // NaN stays NaN
  }
  // H(x; 0) - H(-x; 0): 1, -1, and 0 at 0, with the same bits; abs'' = 0.
  template <class B>
  static typename B::E derivative_expr(B& b) {
    return b.sub(b.apply(Op::heaviside, b.x(0), 0.0), b.apply(Op::heaviside, b.neg(b.x(0)), 0.0));
  }
};
/// min(a, b). NOTE: at a tie a == b each operand gets 1/2 (the partials still add up to 1, so
/// min(x, x) has derivative 1 in x). The kink is where a - b crosses 0 (kink()).
struct Min {
  static constexpr OpInfo info{.op = Op::min,
                               .name = "min",
                               .symbol = "min",
                               .arity = 2,
                               .kind = NodeKind::op,
                               .kink_at_zero = true};
  static double kink(double a, double b) { return a - b; }
  static double forward(double a, double b) { return b < a || b != b ? b : a; }  // a at a tie
  static Partials2 derivative(double a, double b, double) {
    if (a < b) return {1.0, 0.0};
    if (a > b) return {0.0, 1.0};
    if (a == b) return {0.5, 0.5};
    return {a - b, a - b};  // NaN
  }
  // d = a - b has the sign of the comparison for every pair of finite doubles (gradual
  // underflow): H(-d; 1/2) and H(d; 1/2) are the partials above, bit for bit.
  template <class B>
  static PartialsOf<typename B::E> derivative_expr(B& b) {
    const auto d = b.sub(b.x(0), b.x(1));
    return {b.apply(Op::heaviside, b.neg(d), 0.5), b.apply(Op::heaviside, d, 0.5)};
  }
};
/// max(a, b). NOTE: at a tie each operand gets 1/2, as min.
struct Max {
  static constexpr OpInfo info{.op = Op::max,
                               .name = "max",
                               .symbol = "max",
                               .arity = 2,
                               .kind = NodeKind::op,
                               .kink_at_zero = true};
  static double kink(double a, double b) { return a - b; }
  static double forward(double a, double b) { return b > a || b != b ? b : a; }  // a at a tie
  static Partials2 derivative(double a, double b, double) {
    if (a > b) return {1.0, 0.0};
    if (a < b) return {0.0, 1.0};
    if (a == b) return {0.5, 0.5};
    return {a - b, a - b};  // NaN
  }
  template <class B>
  static PartialsOf<typename B::E> derivative_expr(B& b) {
    const auto d = b.sub(b.x(0), b.x(1));
    return {b.apply(Op::heaviside, d, 0.5), b.apply(Op::heaviside, b.neg(d), 0.5)};
  }
};
/// The square root. NOTE: its derivative 1/(2 sqrt x) is infinite at 0: backward passes inf
/// there, and gradients() refuses it (a division by zero, DomainError).
struct Sqrt {
  static constexpr OpInfo info{Op::sqrt, "sqrt", "\u221a", 1, NodeKind::op};
  static const char* domain(double x, double) {
    return x < 0.0 ? "sqrt needs a non-negative operand" : nullptr;
  }
  static double forward(double x, double, const Conventions&) { return std::sqrt(x); }
  static double derivative(double, double y, double, const Conventions&) { return 0.5 / y; }
  template <class B>
  static typename B::E derivative_expr(B& b) {
    return b.div(b.c(0.5), b.y());
  }
};
struct Sin {
  static constexpr OpInfo info{Op::sin, "sin", "sin", 1, NodeKind::op};
  static double forward(double x, double, const Conventions&) { return std::sin(x); }
  static double derivative(double x, double, double, const Conventions&) { return std::cos(x); }
  template <class B>
  static typename B::E derivative_expr(B& b) {
    return b.apply(Op::cos, b.x(0));
  }
};
struct Cos {
  static constexpr OpInfo info{Op::cos, "cos", "cos", 1, NodeKind::op};
  static double forward(double x, double, const Conventions&) { return std::cos(x); }
  static double derivative(double x, double, double, const Conventions&) { return -std::sin(x); }
  template <class B>
  static typename B::E derivative_expr(B& b) {
    return b.neg(b.apply(Op::sin, b.x(0)));
  }
};
/// x^y with a node exponent y. The base must be >= 0 (the derivative in y is x^y log x); for a
/// negative base with an integer exponent use pow(x, c). NOTE: at x = 0, d/dy is 0 (x^y is 0 for
/// every y > 0) and y = 0 gives d/dx = 0, as pow; gradients() needs x > 0 (it records log x).
struct Power {
  static constexpr OpInfo info{Op::power, "power", "^", 2, NodeKind::op};
  static constexpr std::size_t domain_slot = 0;  // the base
  static const char* domain(double a, double b) {
    if (a < 0.0) return "x^y with a node exponent needs a base >= 0";
    if (a == 0.0 && b < 0.0) return "zero raised to a negative exponent";
    return nullptr;
  }
  static double forward(double a, double b) { return std::pow(a, b); }
  static Partials2 derivative(double a, double b, double y) {
    return {b == 0.0 ? 0.0 : b * std::pow(a, b - 1.0), a > 0.0 ? y * std::log(a) : 0.0};
  }
  template <class B>
  static PartialsOf<typename B::E> derivative_expr(B& b) {
    return {b.mul(b.x(1), b.apply(Op::power, b.x(0), b.sub(b.x(1), b.one()))),
            b.mul(b.y(), b.apply(Op::log, b.x(0)))};
  }
};
/// Stops the gradient: the value of x, with derivative 0 by definition (PyTorch's detach, JAX's
/// stop_gradient), so that a term counts in the value but is a constant to every derivative.
struct Detach {
  static constexpr OpInfo info{.op = Op::detach,
                               .name = "detach",
                               .symbol = "stop",
                               .arity = 1,
                               .kind = NodeKind::op,
                               .stops_gradient = true};
  static double forward(double x, double, const Conventions&) { return x; }
  static double derivative(double, double, double, const Conventions&) { return 0.0; }
  template <class B>
  static typename B::E derivative_expr(B& b) {
    return b.zero();
  }
};

}  // namespace rules

template <class R>
concept UnaryRule = R::info.arity == 1;
template <class R>
concept BinaryRule = R::info.arity == 2;
template <class R>
concept UnaryDomain = requires(double x) {
  { R::domain(x, x) } -> std::same_as<const char*>;
};

/// Calls f with the rule type of `op` (an empty struct). The compiler turns it into one jump
/// table, and with f inlined each case is the op's own straight-line code.
// NOTE: always inlined: in a sweep the switch must sit inside the loop, one jump per node, not
// behind a call (GCC otherwise outlines it from large loop bodies: 2x slower backward).
template <class F>
[[gnu::always_inline]] constexpr decltype(auto) with_rule(Op op, F&& f) {
  switch (op) {
    case Op::input:
      return f(rules::Input{});
    case Op::parameter:
      return f(rules::Parameter{});
    case Op::constant:
      return f(rules::Constant{});
    case Op::add:
      return f(rules::Add{});
    case Op::sub:
      return f(rules::Sub{});
    case Op::mul:
      return f(rules::Mul{});
    case Op::div:
      return f(rules::Div{});
    case Op::neg:
      return f(rules::Neg{});
    case Op::pow:
      return f(rules::Pow{});
    case Op::exp:
      return f(rules::Exp{});
    case Op::log:
      return f(rules::Log{});
    case Op::sum:
      return f(rules::Sum{});
    case Op::bias:
      return f(rules::Bias{});
    case Op::step:
      return f(rules::Step{});
    case Op::sigmoid:
      return f(rules::Sigmoid{});
    case Op::tanh:
      return f(rules::Tanh{});
    case Op::relu:
      return f(rules::Relu{});
    case Op::leaky_relu:
      return f(rules::LeakyRelu{});
    case Op::identity:
      return f(rules::Identity{});
    case Op::softplus:
      return f(rules::Softplus{});
    case Op::heaviside:
      return f(rules::Heaviside{});
    case Op::abs:
      return f(rules::Abs{});
    case Op::min:
      return f(rules::Min{});
    case Op::max:
      return f(rules::Max{});
    case Op::sqrt:
      return f(rules::Sqrt{});
    case Op::sin:
      return f(rules::Sin{});
    case Op::cos:
      return f(rules::Cos{});
    case Op::power:
      return f(rules::Power{});
    case Op::detach:
      return f(rules::Detach{});
    case Op::affine:
      return f(rules::Affine{});
    case Op::count:
      break;
  }
  __builtin_unreachable();
}

/// Whether a node of `op` may have `n` operands (variadic ops: at least one, and what the op's
/// arity_ok() allows).
constexpr bool arity_allows(Op op, std::size_t n) {
  return with_rule(op, [n](auto rule) {
    using R = decltype(rule);
    if constexpr (R::info.arity != variadic)
      return n == static_cast<std::size_t>(R::info.arity);
    else if constexpr (requires { R::arity_ok(n); })
      return n >= 1 && R::arity_ok(n);
    else
      return n >= 1;
  });
}
/// The operand count an op takes, in words: "2", "one or more", "an odd number (...)".
inline std::string_view arity_text(Op op) {
  return with_rule(op, [](auto rule) -> std::string_view {
    using R = decltype(rule);
    if constexpr (requires { R::arity_text; })
      return R::arity_text;
    else if constexpr (R::info.arity == variadic)
      return "one or more";
    else
      return std::array<std::string_view, 3>{"0", "1", "2"}[R::info.arity];
  });
}

/// Name, symbol, arity, kind and traits of an op.
constexpr OpInfo info(Op op) {
  return with_rule(op, [](auto rule) { return decltype(rule)::info; });
}

/// The op whose name() is `name`, if any: "sigmoid" -> Op::sigmoid.
constexpr std::optional<Op> op_named(std::string_view name) {
  for (std::size_t i = 0; i < op_count; ++i)
    if (info(static_cast<Op>(i)).name == name) return static_cast<Op>(i);
  return std::nullopt;
}

/// Below this, the local derivative of a saturating activation (sigmoid, tanh) is "saturated":
/// the node passes less than 1% of the gradient that reaches it. One threshold for the dumps,
/// the diagnostics and the browser view.
inline constexpr double saturation_threshold = 1e-2;

/// Whether a node of `op` with local derivative `d` is saturated (see saturation_threshold).
/// Never true of exactly 0, which is "blocked", not "vanishing".
inline bool saturated(Op op, double d) {
  return info(op).saturating && d != 0.0 && std::abs(d) < saturation_threshold;
}

// ---- one protocol for every rule ----------------------------------------------------------------
// The engine, the recorder and the executor call rules only through these. `x(k)` returns
// operand k's value and `n` is the operand count; `y` is the node's own value.

/// Why the operands lie outside the op's domain (and which operand), or `reason == nullptr`.
struct DomainCheck {
  const char* reason = nullptr;  ///< e.g. "division by zero"
  std::size_t slot = 0;          ///< the operand judged
};

/// Rule R's domain check.
template <class R, class X>
constexpr DomainCheck domain(double attr, X&& x) {
  if constexpr (R::info.arity == 1) {
    if constexpr (requires { R::domain(0.0, 0.0); }) return {R::domain(x(0), attr), 0};
  } else if constexpr (R::info.arity == 2) {
    if constexpr (requires { R::domain(0.0, 0.0); }) return {R::domain(x(0), x(1)), R::domain_slot};
  }
  return {};
}

/// Rule R's forward value (leaves: NaN; they hold their values).
template <class R, class X>
inline double compute(double attr, const Conventions& c, std::size_t n, X&& x) {
  if constexpr (R::info.arity == 1) {
    return R::forward(x(0), attr, c);
  } else if constexpr (R::info.arity == 2) {
    return R::forward(x(0), x(1));
  } else if constexpr (R::info.arity == variadic) {
    return R::forward(n, x);
  } else {
    return std::numeric_limits<double>::quiet_NaN();
  }
}

/// Calls f(slot, d) for every operand slot with d = d(node)/d(operand slot), in slot order.
template <class R, class X, class F>
inline void derivatives(double attr, const Conventions& c, std::size_t n, X&& x, double y, F&& f) {
  if constexpr (R::info.arity == 1) {
    f(std::size_t{0}, R::derivative(x(0), y, attr, c));
  } else if constexpr (R::info.arity == 2) {
    const Partials2 d = R::derivative(x(0), x(1), y);
    f(std::size_t{0}, d.da);
    f(std::size_t{1}, d.db);
  } else if constexpr (R::info.arity == variadic) {
    if constexpr (requires { R::all_derivatives(n, x, f); })
      R::all_derivatives(n, x, f);
    else if constexpr (requires { R::derivative(n, n, x); })
      for (std::size_t k = 0; k < n; ++k) f(k, R::derivative(k, n, x));
    else
      for (std::size_t k = 0; k < n; ++k) f(k, R::derivative(k));
  }
}

/// d(node)/d(operand slot) for a node of `op` (slot < n is the caller's to check).
template <class X>
inline double derivative(Op op, std::size_t slot, double attr, const Conventions& c, std::size_t n,
                         X&& x, double y) {
  return with_rule(op, [&](auto rule) {
    double out = 0.0;
    using R = decltype(rule);
    if constexpr (requires { R::derivative(slot, n, x); }) {
      out = R::derivative(slot, n, x);
    } else if constexpr (R::info.arity == variadic) {
      out = R::derivative(slot);
    } else {
      derivatives<decltype(rule)>(attr, c, n, x, y, [&](std::size_t k, double d) {
        if (k == slot) out = d;
      });
    }
    return out;
  });
}

/// Where a kinked op's kink lies: its operand 0, or for min and max a - b. A kink is crossed where
/// this changes sign or is 0 (gradcheck skips such entries).
template <class X>
inline double kink_coordinate(Op op, X&& x) {
  return with_rule(op, [&](auto rule) {
    using R = decltype(rule);
    if constexpr (requires { R::kink(0.0, 0.0); })
      return R::kink(x(0), x(1));
    else if constexpr (R::info.arity != 0)
      return x(0);
    else
      return 0.0;
  });
}

/// Calls f(slot, e) for every operand slot with e = d(node)/d(operand slot) recorded through the
/// builder `b` (see the file's head), in slot order: the graph form of derivatives().
template <class R, class B, class F>
inline void derivative_exprs(B& b, std::size_t n, F&& f) {
  if constexpr (R::info.arity == 1) {
    f(std::size_t{0}, R::derivative_expr(b));
  } else if constexpr (R::info.arity == 2) {
    const auto d = R::derivative_expr(b);
    f(std::size_t{0}, d.da);
    f(std::size_t{1}, d.db);
  } else if constexpr (R::info.arity == variadic) {
    if constexpr (requires { R::derivative_expr(b, n, n); })
      for (std::size_t k = 0; k < n; ++k) f(k, R::derivative_expr(b, k, n));
    else
      for (std::size_t k = 0; k < n; ++k) f(k, R::derivative_expr(b, k));
  }
}

namespace detail {
constexpr bool ops_consistent() {
  for (std::size_t i = 0; i < op_count; ++i)
    if (info(static_cast<Op>(i)).op != static_cast<Op>(i)) return false;
  return true;
}
}  // namespace detail
static_assert(detail::ops_consistent(), "with_rule() and enum Op disagree: update both");

}  // namespace gradflow
