// How the views look: the colours of node kinds, one colour per activation, the |gradient| heat
// scale, and the two marks, blocked and saturated. The Graphviz dumps use it; every other view
// that colours activations or gradients should use it too, so that sigmoid is the same green and
// a gradient of 0.05 the same blue everywhere.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include <gradflow/ops/ops.hpp>

namespace gradflow::look {

// ---- text and node kinds ----------------------------------------------------------------------
/// DejaVu Sans first: Graphviz lays text out with the first font it finds, and DejaVu is the widest
/// common sans-serif, so the text fits in whatever font a viewer substitutes.
inline constexpr const char* font = "DejaVu Sans,Noto Sans CJK SC,Helvetica,Arial,sans-serif";
inline constexpr const char* ink = "#1f2937";    ///< text
inline constexpr const char* muted = "#6b7280";  ///< captions
inline constexpr const char* input_fill = "#dbeafe";
inline constexpr const char* parameter_fill = "#fef3c7";
inline constexpr const char* constant_fill = "#f3f4f6";
inline constexpr const char* op_fill = "#ffffff";
inline constexpr const char* group_fill = "#ede9fe";  ///< a collapsed group's box
inline constexpr const char* neutral = "#4b5563";     ///< borders and edges before backward
inline constexpr const char* unreached = "#c4c8cf";   ///< not on a path to the root
inline constexpr const char* zero = "#a3a3a3";        ///< a gradient of exactly 0
inline constexpr const char* nonfinite = "#be185d";   ///< NaN or infinity
inline constexpr const char* highlight = "#d946ef";
/// Nodes recorded by gradients() (the backward pass as a graph): their fill and their cluster.
inline constexpr const char* backward_fill = "#ffedd5";
inline constexpr const char* backward_color = "#c2410c";  ///< the backward cluster's border

// ---- activations ------------------------------------------------------------------------------
/// An activation's colour: `color` for its text and lines, `fill` (pale) behind its nodes.
struct ActivationLook {
  Op op;              ///< the activation op
  const char* color;  ///< its text and lines
  const char* fill;   ///< behind its nodes (pale)
};
/// One colour per activation op (OpInfo::activation).
inline constexpr std::array<ActivationLook, 7> activations{{
    {Op::step, "#44403c", "#d6d3d1"},        // stone: a hard threshold
    {Op::sigmoid, "#15803d", "#bbf7d0"},     // green
    {Op::tanh, "#0e7490", "#a5f3fc"},        // cyan
    {Op::relu, "#a21caf", "#f5d0fe"},        // fuchsia
    {Op::leaky_relu, "#7e22ce", "#e9d5ff"},  // purple, relu's neighbour
    {Op::softplus, "#4d7c0f", "#d9f99d"},    // lime, the smooth relu
    {Op::identity, "#475569", "#e2e8f0"},    // slate
}};

/// The look of activation `op`, or nullptr if `op` is not an activation.
constexpr const ActivationLook* activation_look(Op op) {
  for (const ActivationLook& a : activations)
    if (a.op == op) return &a;
  return nullptr;
}

/// Whether activation `op` has a look (compared by op, not by pointer: GCC's UBSan instrumentation
/// makes pointer comparisons non-constant).
constexpr bool has_activation_look(Op op) {
  for (const ActivationLook& a : activations)
    if (a.op == op) return true;
  return false;
}

// Every activation op has a colour, and only activations have one.
static_assert([] {
  for (std::size_t i = 0; i < op_count; ++i) {
    const Op op = static_cast<Op>(i);
    if (info(op).activation != has_activation_look(op)) return false;
  }
  return true;
}());

/// Colours of chart lines that are not an activation (a bound, a loss, a data set), chosen away
/// from the activations' hues so that a colour always means the same thing.
inline constexpr std::array<const char*, 6> series{"#1f77b4", "#ea580c", "#b91c1c",
                                                   "#8c564b", "#6b7280", "#a16207"};

// ---- the |gradient| heat scale ----------------------------------------------------------------
/// One decade of |gradient|: the colour and pen width of node borders (the gradient reaching the
/// node) and of edges (the gradient passed back along them).
struct Heat {
  double at_least;         ///< lower end of the decade
  const char* color;       ///< stroke colour
  double width;            ///< pen width in points
  std::string_view range;  ///< legend text, e.g. "0.1–1"
};
/// Fixed decades rather than a scale relative to the largest gradient, so that two pictures
/// (sigmoid against tanh, say) can be compared by eye. Exactly 0 is `zero`, not the last decade.
inline constexpr std::array<Heat, 5> heat{{
    {1.0, "#08306b", 3.6, "\u2265 1"},
    {0.1, "#2171b5", 2.7, "0.1\u20131"},
    {0.01, "#4f9bd0", 2.0, "0.01\u20130.1"},
    {1e-3, "#8dbfe0", 1.5, "0.001\u20130.01"},
    {0.0, "#bcd3e8", 1.1, "< 0.001"},
}};

/// The decade of `magnitude` (>= 0).
constexpr const Heat& heat_of(double magnitude) {
  for (const Heat& h : heat)
    if (magnitude >= h.at_least) return h;
  return heat.back();
}

// ---- marks ------------------------------------------------------------------------------------
/// A mark drawn on nodes and edges whose local derivative stops or shrinks the gradient.
struct Mark {
  const char* color;   ///< text, border and edge colour
  const char* fill;    ///< background of the mark's row in a node, or nullptr
  const char* symbol;  ///< drawn before the word
  const char* word;    ///< "blocked", also the SVG class
  const char* means;   ///< what the legend says it means
};
/// The local derivative is exactly 0: nothing passes.
inline constexpr Mark blocked{"#dc2626", nullptr, "\u2715", "blocked",
                              "local derivative exactly 0"};
/// A squashing activation's local derivative is below saturation_threshold (but not 0).
inline constexpr Mark saturated{"#d97706", "#fde68a", "\u26a0", "saturated",
                                "local derivative below 0.01"};
static_assert(saturation_threshold == 1e-2, "look::saturated.means quotes the threshold");
/// An edge whose local derivative is not 0 but below saturation_threshold: it passes back less
/// than 1% of the gradient that arrived, drawn faint so that the eye follows what does pass.
inline constexpr Mark vanishing{"#9ca3af", nullptr, "\u22480", "vanishing",
                                "passes less than 1% of what arrived (not 0)"};
/// An op whose derivative is 0 by definition (detach, OpInfo::stops_gradient): a blocked edge
/// on purpose.
inline constexpr Mark detached{"#64748b", nullptr, "\u2298", "detached",
                               "derivative 0 by definition (detach)"};

}  // namespace gradflow::look
