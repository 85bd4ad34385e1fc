// What went wrong with a backward pass, in numbers and in words: gradient blocked by a local
// derivative of exactly 0 (step, ReLU below 0) and the parameters that therefore receive nothing,
// saturated sigmoid/tanh nodes and vanishing parameter gradients, exploding gradients, the first
// node whose value or gradient is NaN or infinite, dead ReLUs over a set of inputs, and the
// "gradient flow" summary: gradient magnitude per depth (distance from the root) and per group.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <gradflow/engine/language.hpp>
#include <gradflow/engine/stepper.hpp>
#include <gradflow/graph/graph.hpp>
#include <gradflow/ops/ops.hpp>

namespace gradflow {

/// Thresholds that decide what diagnose() reports as saturated, vanishing or exploding.
struct DiagnosticOptions {
  /// A saturating activation (OpInfo::saturating: sigmoid, tanh) whose local derivative is
  /// nonzero but below this in magnitude is saturated (sigmoid' < 0.01 for |x| > 4.6; tanh' <
  /// 0.01 for |x| > 3). Exactly 0 is blocked, not saturated. Defaults to the one threshold the
  /// dumps and the browser view use too.
  double saturation = saturation_threshold;
  /// A parameter gradient this small is vanishing: a parameter whose gradient is nonzero but
  /// below this in magnitude, or below `tiny_parameter_gradient_ratio` times the largest
  /// parameter gradient, is reported in DiagnosticReport::vanishing.
  double tiny_parameter_gradient = 1e-6;
  /// The relative form of `tiny_parameter_gradient`: a fraction of the largest |param grad|.
  double tiny_parameter_gradient_ratio = 1e-4;
  /// A node whose gradient exceeds this in magnitude is exploding.
  double exploding = 1e6;
};

/// An edge whose local derivative is exactly 0 while the node above it received gradient.
struct BlockedEdge {
  NodeId node;           ///< the consumer whose local derivative is 0
  std::size_t slot;      ///< which operand of `node` (0-based)
  NodeId operand;        ///< the operand the gradient does not reach through this edge
  double operand_value;  ///< the operand's forward value (e.g. a ReLU's input)
  double upstream;       ///< the gradient the node received and could not pass on
  /// Parameters below the operand that end with gradient exactly 0 (none reaches them otherwise).
  std::vector<NodeId> starved;
};

/// A sigmoid or tanh node: its input and its local derivative there.
struct Squashing {
  NodeId node;              ///< the sigmoid or tanh (or surrogate step) node
  double input;             ///< its operand's forward value
  double local_derivative;  ///< d node / d input at that value
};

/// A node and one number about it (see `value`).
struct NodeValue {
  NodeId node;   ///< the node the finding is about
  double value;  ///< what the finding is about: a local derivative, a gradient, a value
};

/// The first non-finite number in the pass.
struct NonFinite {
  NodeId node;       ///< value: the node; gradient: the node being processed when it appeared
  double value;      ///< the non-finite number (for an edge: the operand's accumulated gradient)
  bool in_gradient;  ///< false: the node's forward value
  NodeId operand = no_node;       ///< in_gradient: the operand whose contribution it was
  double local_derivative = 0.0;  ///< ... and the local derivative that produced it
};

/// One row of the gradient-flow table: nodes at one depth, or the nodes of one group.
struct FlowRow {
  std::string label;       ///< "3" for depth 3, or the group's name
  std::size_t nodes = 0;   ///< reached nodes in the row
  std::size_t params = 0;  ///< parameters among them
  double mean_abs = 0.0;   ///< mean |gradient| over all the row's nodes
  double max_abs = 0.0;    ///< largest |gradient| over all the row's nodes
  std::size_t zeros = 0;   ///< of those, how many have gradient exactly 0
};

/// Everything diagnose() found in one backward pass; explain() turns it into words.
struct DiagnosticReport {
  const Graph* graph = nullptr;  ///< the diagnosed graph (not owned); null in an empty report
  NodeId root = no_node;         ///< the node the backward pass started from
  DiagnosticOptions options;     ///< the thresholds used
  /// Edges with local derivative exactly 0 whose consumer passed on nonzero, finite gradient.
  std::vector<BlockedEdge> blocked;
  std::vector<Squashing> squashing;  ///< every sigmoid/tanh node in the pass, backward order
  /// Those whose local derivative is nonzero and below `options.saturation` in magnitude.
  std::vector<Squashing> saturated;
  /// Step-op nodes differentiated by a surrogate (Conventions::step_gradient is not exact).
  std::vector<Squashing> surrogates;
  std::vector<NodeValue> vanishing;  ///< parameters; value = gradient
  std::vector<NodeValue> exploding;  ///< nodes in backward order; value = gradient
  std::vector<NodeId> unreached;     ///< parameters that do not reach the root
  /// The first node (in evaluation order) whose forward value is NaN or infinite, if any.
  std::optional<NonFinite> non_finite_value;
  /// The first place in the backward pass where a gradient turns non-finite from finite, if any.
  std::optional<NonFinite> non_finite_grad;
  std::vector<FlowRow> by_depth;  ///< depth 0 (the root) first
  std::vector<FlowRow> by_group;  ///< one row per group of the graph that holds reached nodes
  std::vector<int> depth;         ///< per node: longest path to the root in edges, -1 if unreached
  double largest_param_grad = 0.0;  ///< largest finite |gradient| over all parameters
};

/// Diagnoses the pass a stepper recorded (its last step: the complete gradients).
DiagnosticReport diagnose(const Stepper& pass, const DiagnosticOptions& options = {});
/// Runs backward from `root` (without touching the graph's gradients) and diagnoses it.
DiagnosticReport diagnose(const Graph& g, Node root, const DiagnosticOptions& options = {});

/// Longest path (in edges) from `root` to every node over node -> operand edges, -1 for nodes
/// that do not reach it. Walks make_plan()'s order backwards.
std::vector<int> depths_from(const Graph& g, NodeId root);

/// How often each ReLU in the root's cone passes gradient over a set of inputs.
struct ReluActivity {
  NodeId node;             ///< the ReLU node
  std::size_t active = 0;  ///< rows where relu' != 0 at the node's operand
  std::size_t rows = 0;    ///< rows evaluated
  /// Evaluated on at least one row and active on none.
  bool dead() const { return rows > 0 && active == 0; }
};

/// Evaluates `g` once per row, where row i gives the values of g.inputs() in creation order, and
/// counts where each ReLU in the cone of `root` is active. The inputs' values are restored after.
/// Throws UsageError if a row's size differs from the number of inputs.
std::vector<ReluActivity> relu_activity(Graph& g, Node root,
                                        std::span<const std::vector<double>> rows);

/// How much a finding matters.
enum class Severity : std::uint8_t {
  error,    ///< numbers are wrong: a NaN or infinite value or gradient
  warning,  ///< some parameter does not learn, or barely, or too fast
  note,     ///< worth knowing: a surrogate gradient, how much an activation shrinks the gradient
};
/// "error", "warning" or "note".
std::string_view severity_name(Severity s);

/// One thing explain() found, in words, with the nodes it is about.
struct Finding {
  Severity severity;  ///< how much it matters
  /// What kind of finding it is, one word a program can test: "non_finite_value",
  /// "non_finite_gradient", "non_finite_derivative", "blocked", "saturated", "vanishing",
  /// "depth_decay", "shrinks", "surrogate", "exploding", "dead_relu", "unreached", "ok".
  std::string kind;
  std::string text;           ///< one sentence or two, naming the nodes by their labels
  std::vector<NodeId> nodes;  ///< the nodes it is about, most important first (may be empty)
};

/// The report as findings, most important first; `dead` (from relu_activity) is optional.
/// Never empty: a pass without problems gives one "ok" finding. Throws UsageError for an empty
/// report. `lang` is the language of the texts (Language::zh: Chinese sentences written for
/// learners; node labels, op names and numbers stay as they are); `kind` is the same in both.
std::vector<Finding> explain(const DiagnosticReport& report,
                             std::span<const ReluActivity> dead = {}, Language lang = Language::en);
/// The findings as lines of text for the terminal, each "- <text>\n" (the texts are already in
/// the language explain() was given).
std::string to_text(std::span<const Finding> findings);
/// The gradient-flow tables (per depth, then per group) as fixed-width text.
std::string flow_table(const DiagnosticReport& report);
}  // namespace gradflow
