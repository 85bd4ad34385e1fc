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
#include <gradflow/views/dot_model.hpp>
#include <gradflow/views/dot_words.hpp>
#include <gradflow/views/escape.hpp>
#include <gradflow/views/findings.hpp>
#include <gradflow/views/look.hpp>
#include <gradflow/views/names.hpp>
#include <gradflow/views/render.hpp>
#include <gradflow/web_assets.hpp>
#include <gradflow/web_vendor.hpp>

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

// ---- the page's words ---------------------------------------------------------------------------

// Every word app.js and page.html show, in English and Chinese; {0}, {1} are filled in by app.js.
// Chinese in the terms of docs/tutorial.zh.md, for learners, not word by word.
struct PageWord {
  const char* key;
  const char* en;
  const char* zh;
};
constexpr PageWord page_words[] = {
    {"back", "back", "后退"},
    {"next", "next", "下一步"},
    {"first", "first step (Home)", "第一步（Home）"},
    {"last", "last step (End)", "最后一步（End）"},
    {"step", "Step {0} of {1}", "第 {0} 步，共 {1} 步"},
    {"toOperand", "to operand", "传给操作数"},
    {"local", "local \u2202", "局部导数 \u2202"},
    {"contribution", "contribution \u2190", "贡献 \u2190"},
    {"itsGradient", "its gradient \u2207", "它的梯度 \u2207"},
    {"paramsHead", "Parameters: gradients so far", "参数：目前的梯度"},
    {"parameter", "parameter", "参数"},
    {"value", "value", "值"},
    {"gradient", "gradient \u2207", "梯度 \u2207"},
    {"diagnostics", "Diagnostics", "诊断"},
    {"receives", " ({0}, value {1}) receives \u2207 = {2} in all.",
     "（{0}，值 {1}）总共收到 \u2207 = {2}。"},
    {"hook", " A hook turns it into {0}.", "钩子把它改成了 {0}。"},
    {"nothing", " Nothing arrived, so nothing can pass on.",
     "什么也没有传到，所以也没有可传下去的。"},
    {"passesOn", " It passes back: {0}.", "它向后传回：{0}。"},
    {"gets", "{0} gets \u2190 {1} \u00d7 {2} = {3}", "{0} 得到 \u2190 {1} \u00d7 {2} = {3}"},
    {"listSep", "; ", "；"},
    {"blockedToward", " Blocked toward {0}: the local derivative is exactly 0.",
     "传向 {0} 的梯度被阻断：局部导数恰好为 0。"},
    {"leafIs", " is {0}: its gradient is complete, \u2207 = {1}.",
     "是{0}：它的梯度已经完整，\u2207 = {1}。"},
    {"input", "an input", "输入"},
    {"param", "a parameter", "参数"},
    {"constant", "a constant", "常量"},
    {"hookChanged", " (A hook changed it from {0}.)", "（钩子把它从 {0} 改了过来。）"},
    {"saturated",
     " Saturated: its local derivative {0} is below {1}, so it passes back less than 1% of what "
     "arrived.",
     "饱和：它的局部导数 {0} 低于 {1}，所以传回的不到收到的 1%。"},
    {"inside", " It is drawn inside the box {0} (one box per {1}; the box is highlighted).",
     "它画在框 {0} 里（每个{1}画成一个框；该框已高亮）。"},
    {"leaf", "a leaf: nothing to pass on", "叶节点：没有可传下去的"},
    {"noParams", "no parameters", "没有参数"},
    {"paramsIn", "{0} params, max |\u2207| {1}", "{0} 个参数，最大 |\u2207| {1}"},
    {"goTo", "go to the step of \u2018{0}\u2019", "转到 \u2018{0}\u2019 那一步"},
    {"error", "error", "错误"},
    {"warning", "warning", "警告"},
    {"note", "note", "提示"},
    {"zoom", "fit", "适应窗口"},
    {"help",
     "\u2192 n next \u00b7 \u2190 p back \u00b7 Home End \u00b7 link a step with #step=N \u00b7 "
     "wheel or pinch to zoom, drag to pan. On edges \u2202 is the local derivative; the lit "
     "edges of the current step show \u2190, the contribution passed back (\u2207 of the node "
     "\u00d7 \u2202); the badge \u2207 under a node is its gradient so far. Edges are coloured "
     "and thickened by |\u2190| on the DOT dumps' scale; red dashed: blocked (\u2202 exactly 0); "
     "grey dotted \u22480: vanishing (less than 1% passes). Point at a finding to mark its nodes; "
     "click it to go to the step of its first node.",
     "\u2192 n 下一步 \u00b7 \u2190 p 后退 \u00b7 Home End \u00b7 用 #step=N 链接到某一步 \u00b7 "
     "滚轮或双指缩放，拖动平移。边上的 \u2202 是局部导数；当前这一步点亮的边显示 \u2190，即传回的"
     "贡献（节点的 \u2207 \u00d7 \u2202）；节点下方的 \u2207 标记是它目前的梯度。边的颜色和粗细按 "
     "|\u2190| 取值，与 DOT 图同一刻度；红色虚线：阻断（\u2202 恰好为 0）；灰色点线 \u22480："
     "消失（通过的不到 1%）。鼠标指向一条诊断会标出它涉及的节点；点击则转到它第一个节点的那一步。"},
    {"scale", "|\u2190| on edges", "边上的 |\u2190|"},
    // the drawing's caption states whether gradients exist; the page removes that line
    {"captionForward", "after forward", "前向计算之后"},
    {"captionBackward", "after backward", "反向传播之后"},
    {"blocked", "blocked", "阻断"},
    {"vanishing", "vanishing", "消失"},
};

json words(Language lang) {
  json w = json::object();
  for (const PageWord& p : page_words) w[p.key] = lang == Language::zh ? p.zh : p.en;
  return w;
}

// The look the DOT dumps use (look.hpp), for the page to colour edges the same way.
json look_data() {
  json heat = json::array();
  for (const look::Heat& h : look::heat)
    heat.push_back({{"atLeast", h.at_least},
                    {"color", h.color},
                    {"width", h.width},
                    {"range", std::string(h.range)}});
  return {{"heat", std::move(heat)},
          {"zero", look::zero},
          {"unreached", look::unreached},
          {"blocked", look::blocked.color},
          {"vanishing", look::vanishing.color},
          {"highlight", look::highlight}};
}

// ---- the drawing --------------------------------------------------------------------------------

DotOptions layout_options(RankDir rankdir, Language lang) {
  DotOptions o;
  o.rankdir = rankdir;
  o.show.gradient = false;  // the page shows running gradients itself
  o.show.contribution = false;
  o.legend = false;
  o.lang = lang;
  return o;
}

// The graph as SVG by `dot` (through a pipe); without the XML prologue, so that it can be inlined
// in HTML.
std::string layout_svg(const Graph& g, const DotOptions& o) {
  const std::string dot = to_dot(g, o);

  const std::string svg = render_svg(dot);  // throws, saying to install graphviz if missing
  const auto start = svg.find("<svg");
  if (start == std::string::npos) throw Error("gradflow: dot produced no SVG for the browser view");
  return svg.substr(start);
}

// ---- the records --------------------------------------------------------------------------------

json page_data(const Stepper& pass, const std::vector<Finding>& findings, const DotOptions& o) {
  const Graph& g = pass.graph();
  const std::vector<std::string> names = node_names(g);
  // Which box of the drawing holds each node (the size guard draws big networks' neurons as one
  // box each), so that the page can light the box of a node it cannot show.
  const dot_model::Model model = dot_model::make_model(g, o);
  json nodes = json::array();
  for (NodeId i = 0; i < g.size(); ++i) {
    const int box = model.absorbed[i];
    const int unit = model.owner[i];
    nodes.push_back(
        {{"label", names[i]},
         {"op", info(g.op(i)).name},
         {"kind", g.kind(i) == NodeKind::op ? "op" : info(g.op(i)).name},
         {"value", number(pass.value(i))},
         {"box", box < 0 ? -1 : static_cast<long>(model.units[static_cast<std::size_t>(box)].last)},
         {"boxName", box < 0 ? "" : std::string(model.units[static_cast<std::size_t>(box)].name)},
         {"boxKind", box < 0 ? ""
                             : std::string(dot_drawing::kind_word(
                                   dot_drawing::words(o.lang),
                                   model.units[static_cast<std::size_t>(box)].kind))},
         {"group", unit < 0 ? "" : std::string(model.units[static_cast<std::size_t>(unit)].name)}});
  }
  // The parameters by the group they were made in (a neuron), in order; ungrouped ones first.
  json param_groups = json::array();
  {
    std::vector<std::string> order;
    std::map<std::string, std::vector<NodeId>> by;
    for (const NodeId p : pass.parameters()) {
      const int unit = model.owner[p];
      const std::string name =
          unit < 0 ? std::string() : std::string(model.units[static_cast<std::size_t>(unit)].name);
      if (!by.contains(name)) order.push_back(name);
      by[name].push_back(p);
    }
    for (const std::string& name : order)
      param_groups.push_back({{"name", name}, {"params", by[name]}});
  }
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
           {"blocked", e.local_derivative == 0.0 && s.passed != 0.0 && std::isfinite(s.passed)},
           // as the DOT dumps draw a vanishing edge: less than 1% of what arrived passes
           {"vanishing",
            e.local_derivative != 0.0 && std::abs(e.local_derivative) < saturation_threshold}});
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
          {"paramGroups", std::move(param_groups)},
          {"steps", std::move(steps)},
          {"findings", std::move(found)},
          {"look", look_data()},
          {"lang", language_tag(o.lang)},
          {"words", words(o.lang)}};
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
  const bool zh = options.lang == Language::zh;
  const std::string root = node_names(g)[pass.root()];
  const std::string title = !options.title.empty() ? options.title
                            : zh ? fmt::format("从 '{}' 开始的反向传播", root)
                                 : fmt::format("Backward pass from '{}'", root);
  // The findings summarised per layer when the graph has groups: a 2-16-16-1 network with zero
  // inputs gave about 300 findings, one per node.
  const std::vector<Finding> findings =
      options.diagnostics
          ? group_findings(g, explain(diagnose(pass), {}, options.lang), 2, options.lang)
          : std::vector<Finding>();
  const DotOptions layout = layout_options(options.rankdir, options.lang);
  const std::string lede =
      zh ? fmt::format("共 {} 步：到达 <code>{}</code> 的每个节点，按反向传播处理它们的顺序排列。",
                       pass.size(), xml_escape(root))
         : fmt::format(
               "{} steps: every node that reaches <code>{}</code>, in the order backward "
               "processes them.",
               pass.size(), xml_escape(root));
  const std::map<std::string, std::string, std::less<>> parts{
      {"title", xml_escape(title)},
      {"lang", language_tag(options.lang)},
      {"lede", fmt::format("{}{}{}", xml_escape(options.subtitle),
                           options.subtitle.empty() ? "" : " \u00b7 ", lede)},
      {"svg", layout_svg(g, layout)},
      {"data", script_json(page_data(pass, findings, layout))},
      {"d3_js", std::string(web::d3_bundle_js)},
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
