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
  if (web::d3_bundle_js.empty())
    throw UsageError(
        "gradflow: training_html(): the training page is not built into this gradflow: it was "
        "configured without npm (or with GRADFLOW_BUILD_PAGES=OFF), so the page's d3 modules "
        "were not vendored; install npm and reconfigure");
  if (record.snapshots.empty())
    throw UsageError("gradflow: training_html(): the record has no snapshots");
  const bool zh = options.lang == Language::zh;
  const std::string title =
      !options.title.empty() ? options.title
      : zh ? fmt::format("\u8bad\u7ec3\u4e00\u4e2a {} \u7f51\u7edc", sizes_text(record.sizes))
           : fmt::format("Training a {} network", sizes_text(record.sizes));
  // "N recorded iterations, hinge loss, P parameters." in the page's language.
  const std::string facts =
      zh ? fmt::format(
               "\u8bb0\u5f55\u4e86 {} \u6b21\u8fed\u4ee3\uff0c{} \u635f\u5931\uff0c{} "
               "\u4e2a\u53c2\u6570\u3002",
               record.snapshots.size(), xml_escape(record.loss_name), record.param_names.size())
         : fmt::format("{} recorded iterations, {} loss, {} parameters.", record.snapshots.size(),
                       xml_escape(record.loss_name), record.param_names.size());
  const std::map<std::string, std::string, std::less<>> parts{
      {"title", xml_escape(title)},
      {"lede", fmt::format("{}{}{}", xml_escape(options.subtitle),
                           options.subtitle.empty() ? "" : " \u00b7 ", facts)},
      {"lang", language_tag(options.lang)},
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
