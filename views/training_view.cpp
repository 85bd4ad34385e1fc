#include <gradflow/views/training_view.hpp>

#include <functional>
#include <map>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include <gradflow/ops/errors.hpp>
#include <gradflow/views/chart.hpp>
#include <gradflow/views/escape.hpp>
#include <gradflow/views/training_data.hpp>
#include <gradflow/web_assets.hpp>
#include <gradflow/web_vendor.hpp>

namespace gradflow {
namespace {

std::string sizes_text(const std::vector<std::size_t>& sizes) {
  std::string out;
  for (const std::size_t s : sizes) out += fmt::format("{}{}", out.empty() ? "" : "-", s);
  return out;
}

}  // namespace

std::string training_html(const TrainingRecord& record, const TrainingHtmlOptions& options) {
  if (record.snapshots.empty())
    throw UsageError("gradflow: training_html(): the record has no snapshots");
  const std::string title = options.title.empty()
                                ? fmt::format("Training a {} network", sizes_text(record.sizes))
                                : options.title;
  const std::map<std::string, std::string, std::less<>> parts{
      {"title", xml_escape(title)},
      {"lede", fmt::format("{}{}{} recorded iterations, {} loss, {} parameters.",
                           xml_escape(options.subtitle), options.subtitle.empty() ? "" : " \u00b7 ",
                           record.snapshots.size(), xml_escape(record.loss_name),
                           record.param_names.size())},
      {"data", script_safe_json(training_json(record))},
      {"error_trap_js", std::string(web::stepper_error_trap_js)},
      {"style_css", std::string(web::training_style_css)},
      {"d3_js", std::string(web::d3_bundle_js)},
      {"app_js", std::string(web::training_app_js)},
      {"view_html", std::string(web::training_view_html)},
  };
  return fill_template(web::training_page_html, parts, "web/training/page.html");
}

void write_training_html(const std::string& path, const TrainingRecord& record,
                         const TrainingHtmlOptions& options) {
  plot::write_text_file(path, training_html(record, options));
}

}  // namespace gradflow
