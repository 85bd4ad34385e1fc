#include <gradflow/views/html_view.hpp>

#include <cmath>
#include <functional>
#include <map>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <gradflow/engine/diagnostics.hpp>
#include <gradflow/ops/errors.hpp>
#include <gradflow/views/chart.hpp>
#include <gradflow/views/escape.hpp>
#include <gradflow/views/render.hpp>
#include <gradflow/web_assets.hpp>

namespace gradflow {
namespace {

// ---- the data ----------------------------------------------------------------------------------

using nlohmann::json;

// A number for the page's JSON. JSON has no NaN or infinities: those become the strings "NaN",
// "Infinity" and "-Infinity", which app.js turns back into numbers.
json number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return v;
}

// ---- the drawing --------------------------------------------------------------------------------

// The graph as SVG by `dot` (through a pipe); without the XML prologue, so that it can be inlined
// in HTML.
std::string layout_svg(const Graph& g, RankDir rankdir) {
  DotOptions o;
  o.rankdir = rankdir;
  o.show.gradient = false;  // the page shows running gradients itself
  o.show.contribution = false;
  o.legend = false;
  const std::string dot = to_dot(g, o);

  const std::string svg = render_svg(dot);  // throws, saying to install graphviz if missing
  const auto start = svg.find("<svg");
  if (start == std::string::npos) throw Error("gradflow: dot produced no SVG for the browser view");
  return svg.substr(start);
}

// ---- the records --------------------------------------------------------------------------------

json page_data(const Stepper& pass, const std::vector<Finding>& findings) {
  const Graph& g = pass.graph();
  json nodes = json::array();
  for (NodeId i = 0; i < g.size(); ++i)
    nodes.push_back({{"label", g.label(i)},
                     {"op", info(g.op(i)).name},
                     {"kind", g.kind(i) == NodeKind::op ? "op" : info(g.op(i)).name},
                     {"value", number(pass.value(i))}});
  json steps = json::array();
  for (std::size_t k = 0; k < pass.size(); ++k) {
    const BackwardStep s = pass.at(k);
    json edges = json::array();
    for (const BackwardEdge& e : s.edges)
      edges.push_back(
          {{"edge", e.edge},
           {"operand", e.operand},
           {"slot", e.slot},
           {"local", number(e.local_derivative)},
           {"contribution", number(e.contribution)},
           {"before", number(e.grad_before)},
           {"after", number(e.grad_after)},
           // as diagnose() counts a blocked edge
           {"blocked", e.local_derivative == 0.0 && s.passed != 0.0 && std::isfinite(s.passed)}});
    steps.push_back(
        {{"node", s.node},
         {"upstream", number(s.upstream)},
         {"passed", number(s.passed)},
         {"saturated", !s.edges.empty() && saturated(s.op, s.edges[0].local_derivative)},
         {"edges", std::move(edges)}});
  }
  json found = json::array();
  for (const Finding& f : findings)
    found.push_back({{"severity", severity_name(f.severity)},
                     {"kind", f.kind},
                     {"text", f.text},
                     {"nodes", f.nodes}});
  return {{"root", pass.root()},
          {"saturationThreshold", number(saturation_threshold)},
          {"nodes", std::move(nodes)},
          {"params", std::vector<NodeId>(pass.parameters().begin(), pass.parameters().end())},
          {"steps", std::move(steps)},
          {"findings", std::move(found)}};
}

// The data as the text of a <script type="application/json"> element. Invalid UTF-8 in a label
// becomes U+FFFD; script_safe_json() keeps "</script>" and "<!--" out of it.
std::string script_json(const json& data) {
  return script_safe_json(data.dump(-1, ' ', false, json::error_handler_t::replace));
}

// ---- the page -----------------------------------------------------------------------------------

}  // namespace

std::string html_view(const Stepper& pass, const HtmlOptions& options) {
  const Graph& g = pass.graph();
  const std::string title = options.title.empty()
                                ? fmt::format("Backward pass from '{}'", g.label(pass.root()))
                                : options.title;
  const std::vector<Finding> findings =
      options.diagnostics ? explain(diagnose(pass)) : std::vector<Finding>();
  const std::map<std::string, std::string, std::less<>> parts{
      {"title", xml_escape(title)},
      {"lede", fmt::format("{}{}{} steps: every node that reaches <code>{}</code>, in the order "
                           "backward processes them.",
                           xml_escape(options.subtitle), options.subtitle.empty() ? "" : " \u00b7 ",
                           pass.size(), xml_escape(g.label(pass.root())))},
      {"svg", layout_svg(g, options.rankdir)},
      {"data", script_json(page_data(pass, findings))},
      {"error_trap_js", std::string(web::stepper_error_trap_js)},
      {"style_css", std::string(web::stepper_style_css)},
      {"app_js", std::string(web::stepper_app_js)},
  };
  return fill_template(web::stepper_page_html, parts, "web/stepper/page.html");
}

void write_html_view(const std::string& path, const Stepper& pass, const HtmlOptions& options) {
  plot::write_text_file(path, html_view(pass, options));
}

}  // namespace gradflow
