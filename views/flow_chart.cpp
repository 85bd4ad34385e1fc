#include <gradflow/views/flow_chart.hpp>

#include <fmt/format.h>

#include <gradflow/views/chart.hpp>
#include <gradflow/views/look.hpp>

namespace gradflow {

std::string flow_chart(const DiagnosticReport& r, FlowAxis axis, Language lang) {
  const bool by_group = axis == FlowAxis::group;
  const bool zh = lang == Language::zh;
  const std::vector<FlowRow>& rows = by_group ? r.by_group : r.by_depth;
  // ∇ marks a node's gradient, as in the DOT dumps and the stepper page.
  plot::Series mean{
      zh ? "平均 |\u2207|" : "mean |\u2207|", {}, {}, look::series[0], plot::Stroke::solid, true},
      max{zh ? "最大 |\u2207|" : "max |\u2207|",
          {},
          {},
          look::series[1],
          plot::Stroke::dashed,
          true};
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
  if (zh) {
    o.title = fmt::format("从 '{}' 出发的梯度流（{}）", root, by_group ? "按组" : "按深度");
    o.x_label = by_group ? "组：" + names : std::string("深度（离根节点的边数）");
    o.y_label = "|\u2207|（对数刻度；0 = 阻断）";
  } else {
    o.title = fmt::format("Gradient flow from '{}' {}", root, by_group ? "per group" : "per depth");
    o.x_label = by_group ? "group: " + names : std::string("depth (edges from the root)");
    o.y_label = "|\u2207| gradient (log scale; 0 = blocked)";
  }
  o.log_y = true;
  o.zero_row = true;  // total blocking, the step's headline case, must not show as nothing
  o.integer_x = true;
  return plot::line_chart({mean, max}, o);
}

void write_flow_chart(const std::string& path, const DiagnosticReport& r, FlowAxis axis,
                      Language lang) {
  plot::write_text_file(path, flow_chart(r, axis, lang));
}

}  // namespace gradflow
