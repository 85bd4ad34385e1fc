// Gradient checking as a feature: reverse-mode gradients against central finite differences,
// as PyTorch's gradcheck does, with the worst mismatch reported by node name.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include <gradflow/graph/graph.hpp>

namespace gradflow {

/// Step and tolerances of gradcheck().
struct GradcheckOptions {
  /// Finite-difference step, relative: h = eps * max(1, |x|).
  double eps = 1e-6;
  /// An entry passes when |analytic - numeric| <= atol + rtol * |numeric| (PyTorch's defaults
  /// for double are eps 1e-6, atol 1e-5, rtol 1e-3).
  double atol = 1e-5;
  double rtol = 1e-3;  ///< relative tolerance, see atol
  /// Entries whose difference interval [x-h, x+h] moves a relu, leaky_relu or step operand
  /// across (or onto) 0 are flagged `kink` and do not fail the check: there the one-sided slopes
  /// differ and the analytic value is a convention (see Conventions).
  bool skip_kinks = true;
  /// 1: first derivatives. 2: second derivatives: in a copy of the graph, gradients() records
  /// each first derivative d(root)/d(wrt_i) as nodes, and each is checked like a root: reverse
  /// mode over the recorded derivative against central differences of its values.
  int order = 1;
};

/// One checked gradient.
struct GradcheckEntry {
  NodeId node;  ///< the node differentiated against
  /// Order 2: the entry is d²(root)/d(first) d(node); no_node at order 1.
  NodeId first = no_node;
  double analytic;  ///< d(root)/d(node) from reverse mode
  double numeric;   ///< (root(x+h) - root(x-h)) / 2h
  double error;     ///< |analytic - numeric|
  bool kink;        ///< the difference interval crosses a kink
  bool ok;          ///< within tolerance, or at a skipped kink
};

/// The result of gradcheck().
struct GradcheckReport {
  bool ok = true;                       ///< every entry ok
  std::vector<GradcheckEntry> entries;  ///< in the order of the nodes checked
  /// Index into `entries` of the worst mismatch (largest excess over the tolerance), or npos.
  std::size_t worst = npos;
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);  ///< no mismatch
  /// One line per failing entry and a summary, naming nodes by label.
  std::string summary(const Graph& g) const;
};

/// Checks d(root)/d(n) for each n in `wrt` (inputs, parameters or any node's value treated as
/// free), or at order 2 every d²(root)/d(m) d(n). Works on copies of the graph's numbers (at
/// order 2 on a clone): the graph itself is not changed.
GradcheckReport gradcheck(const Graph& g, Node root, std::span<const Node> wrt,
                          const GradcheckOptions& options = {});
/// Checks every input and parameter the root depends on.
GradcheckReport gradcheck(const Graph& g, Node root, const GradcheckOptions& options = {});

}  // namespace gradflow
