// The gradient-flow chart of a diagnostic report: mean and max |gradient| per depth or per group.
#pragma once

#include <cstdint>
#include <string>

#include <gradflow/engine/diagnostics.hpp>
#include <gradflow/views/language.hpp>

namespace gradflow {

/// What the gradient-flow chart's x axis shows.
enum class FlowAxis : std::uint8_t {
  depth,  ///< edges from the root: 0 is the root, the largest depth the inputs
  group,  ///< the graph's groups in creation order (layers, neurons)
};
/// The gradient-flow chart: mean and max |∇| (the nodes' gradients) per depth or per group, log
/// scale, as SVG text; gradients of exactly 0 (blocked) are drawn on a row marked 0 under the
/// lowest decade. Its title, axes and legend are in `lang`.
std::string flow_chart(const DiagnosticReport& report, FlowAxis axis = FlowAxis::depth,
                       Language lang = Language::en);
/// Writes flow_chart() to `path`; throws gradflow::Error on failure.
void write_flow_chart(const std::string& path, const DiagnosticReport& report,
                      FlowAxis axis = FlowAxis::depth, Language lang = Language::en);

}  // namespace gradflow
