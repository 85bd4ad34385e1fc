// The exceptions gradflow throws. Every message names the node (its name or #id), the op and the
// offending value; the graph stays valid and usable after any of them.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include <gradflow/ops/ops.hpp>

namespace gradflow {

/// Base of every gradflow exception.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The API was used wrongly: a default-constructed handle, handles from two graphs, an id that
/// does not exist, setting the value of an op node.
class UsageError : public Error {
 public:
  using Error::Error;
};

/// An operand lies outside an op's domain: log of a non-positive value, division by zero,
/// a negative base with a non-integer exponent.
class DomainError : public Error {
 public:
  /// `what` is the full message; `at`, `op_`, `bad`: node, op and offending value.
  DomainError(const std::string& what, std::uint32_t at, Op op_, double bad)
      : Error(what), node(at), op(op_), value(bad) {}
  std::uint32_t node;  ///< the node being evaluated (the new node's future id while building)
  Op op;               ///< the op that rejected the operand
  double value;        ///< the offending operand value
};

/// With Graph::set_check_finite(true): a value or gradient became NaN or infinite.
class NumericError : public Error {
 public:
  /// `what` is the full message; `at`, `gradient`, `bad`: node, value or gradient, the value.
  NumericError(const std::string& what, std::uint32_t at, bool gradient, double bad)
      : Error(what), node(at), in_gradient(gradient), value(bad) {}
  std::uint32_t node;  ///< the first node, in evaluation (or backward) order, that went non-finite
  bool in_gradient;    ///< false: its value; true: its gradient
  double value;        ///< the non-finite number
};

}  // namespace gradflow
