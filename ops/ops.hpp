// Every op of gradflow in one place: its kind, name, symbol, arity, forward rule, local
// derivative and domain. The engine, the printers and the dumps read ops only through this file,
// so adding an op means adding one rule struct and one `case` in with_rule().
//
// A rule's shape depends on its arity:
//   arity 1: forward(x, attr, conv)      derivative(x, y, attr, conv) -> dy/dx
//   arity 2: forward(a, b)               derivative(a, b, y) -> {dy/da, dy/db}
//   variadic (sum): handled by the engine, every local derivative is 1.
// `attr` is the op's constant (pow's exponent, leaky_relu's slope); `y` is the forward result,
// passed so that derivatives that are cheapest from the output (sigmoid, tanh, exp) use it.
// An optional domain(...) returns why an operand is outside the op's domain, or nullptr.
#pragma once

#include <array>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
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
};
/// Number of ops; with_rule() and the static_assert below fail to compile when they drift.
inline constexpr std::size_t op_count = 20;

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

/// What every op declares about itself: see info().
struct OpInfo {
  Op op;                    ///< the op itself
  std::string_view name;    ///< identifier used in tables and errors: "mul"
  std::string_view symbol;  ///< short mark used in pictures: "×"
  int arity;                ///< 0 for leaves, 1, 2, or `variadic`
  NodeKind kind;            ///< what a node with this op is
};

/// The two local derivatives of a binary op.
struct Partials2 {
  double da;  ///< d(out)/d(first operand)
  double db;  ///< d(out)/d(second operand)
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
};
struct Sub {
  static constexpr OpInfo info{Op::sub, "sub", "−", 2, NodeKind::op};
  static double forward(double a, double b) { return a - b; }
  static Partials2 derivative(double, double, double) { return {1.0, -1.0}; }
};
struct Mul {
  static constexpr OpInfo info{Op::mul, "mul", "×", 2, NodeKind::op};
  static double forward(double a, double b) { return a * b; }
  static Partials2 derivative(double a, double b, double) { return {b, a}; }
};
struct Div {
  static constexpr OpInfo info{Op::div, "div", "÷", 2, NodeKind::op};
  static const char* domain(double, double b) { return b == 0.0 ? "division by zero" : nullptr; }
  static double forward(double a, double b) { return a / b; }
  // d(a/b)/db = -a/b² = -y/b: no second division by b², which would underflow first.
  static Partials2 derivative(double, double b, double y) { return {1.0 / b, -y / b}; }
};
struct Neg {
  static constexpr OpInfo info{Op::neg, "neg", "−", 1, NodeKind::op};
  static double forward(double x, double, const Conventions&) { return -x; }
  static double derivative(double, double, double, const Conventions&) { return -1.0; }
};
/// x^c for a constant exponent c (the node's attr).
struct Pow {
  static constexpr OpInfo info{Op::pow, "pow", "^", 1, NodeKind::op};
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
};
struct Exp {
  static constexpr OpInfo info{Op::exp, "exp", "exp", 1, NodeKind::op};
  static double forward(double x, double, const Conventions&) { return std::exp(x); }
  static double derivative(double, double y, double, const Conventions&) { return y; }
};
struct Log {
  static constexpr OpInfo info{Op::log, "log", "ln", 1, NodeKind::op};
  static const char* domain(double x, double) {
    return x <= 0.0 ? "log needs a positive operand" : nullptr;
  }
  static double forward(double x, double, const Conventions&) { return std::log(x); }
  static double derivative(double x, double, double, const Conventions&) { return 1.0 / x; }
};
/// n-ary sum; a neuron's weighted sum w1x1 + w2x2 + w3x3 is one sum node over three mul nodes.
struct Sum {
  static constexpr OpInfo info{Op::sum, "sum", "Σ", variadic, NodeKind::op};
};
/// z + b: the same arithmetic as add, kept apart so that pictures and tables show the bias as
/// what it is, a weight on a constant input 1 (b = -h turns the threshold h into a bias).
struct Bias {
  static constexpr OpInfo info{Op::bias, "bias", "+b", 2, NodeKind::op};
  static double forward(double z, double b) { return z + b; }
  static Partials2 derivative(double, double, double) { return {1.0, 1.0}; }
};

// ---------------------------------------------------------------------------------------------
// Activations
/// Heaviside step. Its derivative is 0 everywhere it exists, so backward passes no gradient:
/// the reason the step cannot be trained by gradient descent. See Conventions and StepGradient.
struct Step {
  static constexpr OpInfo info{Op::step, "step", "H", 1, NodeKind::op};
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
};
/// Logistic sigmoid, evaluated so that no exp overflows: finite and exact at ±1e308.
struct Sigmoid {
  static constexpr OpInfo info{Op::sigmoid, "sigmoid", "σ", 1, NodeKind::op};
  static double forward(double x, double, const Conventions&) {
    if (x >= 0.0) return 1.0 / (1.0 + std::exp(-x));
    const double e = std::exp(x);  // x < 0 or NaN
    return e / (1.0 + e);
  }
  // At most 0.25 (at x = 0): through many sigmoid layers gradients shrink geometrically.
  static double derivative(double, double y, double, const Conventions&) { return y * (1.0 - y); }
};
struct Tanh {
  static constexpr OpInfo info{Op::tanh, "tanh", "tanh", 1, NodeKind::op};
  static double forward(double x, double, const Conventions&) { return std::tanh(x); }
  static double derivative(double, double y, double, const Conventions&) { return 1.0 - y * y; }
};
struct Relu {
  static constexpr OpInfo info{Op::relu, "relu", "ReLU", 1, NodeKind::op};
  static double forward(double x, double, const Conventions&) { return x < 0.0 ? 0.0 : x; }
  // 1 for positive sums, 0 for negative ones; at exactly 0 Conventions::relu_grad_at_zero.
  static double derivative(double x, double, double, const Conventions& c) {
    if (x > 0.0) return 1.0;
    if (x < 0.0) return 0.0;
    return x == 0.0 ? c.relu_grad_at_zero : x;
  }
};
/// max(x, alpha x) for a slope alpha (the node's attr); its derivative at 0 is alpha, as PyTorch.
struct LeakyRelu {
  static constexpr OpInfo info{Op::leaky_relu, "leaky_relu", "LReLU", 1, NodeKind::op};
  static double forward(double x, double alpha, const Conventions&) {
    return x > 0.0 ? x : alpha * x;
  }
  static double derivative(double x, double, double alpha, const Conventions&) {
    return x > 0.0 ? 1.0 : (x <= 0.0 ? alpha : x);
  }
};
struct Identity {
  static constexpr OpInfo info{Op::identity, "identity", "id", 1, NodeKind::op};
  static double forward(double x, double, const Conventions&) { return x; }
  static double derivative(double, double, double, const Conventions&) { return 1.0; }
};
/// softplus(x) = log(1 + e^x), the smooth relu; binary cross-entropy from a logit s with target
/// t is softplus(s) - t s. Evaluated as x + log1p(e^-x) for x > 0 so that e^x never overflows
/// and small e^x keeps its digits (softplus(-40) = 4.2e-18, not 0).
struct Softplus {
  static constexpr OpInfo info{Op::softplus, "softplus", "softplus", 1, NodeKind::op};
  static double forward(double x, double, const Conventions&) {
    return x > 0.0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
  }
  // The derivative is sigmoid(x), smooth everywhere: no kink convention needed.
  static double derivative(double x, double, double, const Conventions& c) {
    return Sigmoid::forward(x, 0.0, c);
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
template <class F>
constexpr decltype(auto) with_rule(Op op, F&& f) {
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
  }
  __builtin_unreachable();
}

/// Name, symbol, arity and kind of an op.
constexpr OpInfo info(Op op) {
  return with_rule(op, [](auto rule) { return decltype(rule)::info; });
}

namespace detail {
constexpr bool ops_consistent() {
  for (std::size_t i = 0; i < op_count; ++i)
    if (info(static_cast<Op>(i)).op != static_cast<Op>(i)) return false;
  return info(static_cast<Op>(op_count - 1)).op == Op::softplus;
}
}  // namespace detail
static_assert(detail::ops_consistent(), "with_rule() and enum Op disagree: update both");

}  // namespace gradflow
