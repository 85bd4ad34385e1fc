#include <gradflow/views/flow_chart.hpp>

#include <fmt/format.h>

#include <gradflow/views/chart.hpp>
#include <gradflow/views/look.hpp>

namespace gradflow {

std::string flow_chart(const DiagnosticReport& r, FlowAxis axis) {
  const bool by_group = axis == FlowAxis::group;
  const std::vector<FlowRow>& rows = by_group ? r.by_group : r.by_depth;
  plot::Series mean{"mean |grad|", {}, {}, look::series[0], plot::Stroke::solid, true},
      max{"max |grad|", {}, {}, look::series[1], plot::Stroke::dashed, true};
  std::string names;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    mean.x.push_back(static_cast<double>(i));
    mean.y.push_back(rows[i].mean_abs);
    max.x.push_back(static_cast<double>(i));
    max.y.push_back(rows[i].max_abs);
    if (by_group) names += fmt::format("{}{} {}", i ? ", " : "", i, rows[i].label);
  }
  plot::ChartOptions o;
  const std::string root = r.graph ? r.graph->label(r.root) : std::string("?");
  o.title = fmt::format("Gradient flow from '{}' {}", root, by_group ? "per group" : "per depth");
  o.x_label = by_group ? "group: " + names : std::string("depth (edges from the root)");
  o.y_label = "|gradient| (log scale; 0 = blocked)";
  o.log_y = true;
  o.zero_row = true;  // total blocking, the step's headline case, must not show as nothing
  o.integer_x = true;
  return plot::line_chart({mean, max}, o);
}

void write_flow_chart(const std::string& path, const DiagnosticReport& r, FlowAxis axis) {
  plot::write_text_file(path, flow_chart(r, axis));
}

}  // namespace gradflow
