// The browser view: its content, and the page running in headless Chromium (Debian's `chromium`,
// listed in .ci/packages-test). Without chromium these tests fail, they do not skip.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>
// The library builds the page's JSON with nlohmann::json (a private, header-only dependency the
// top-level CMakeLists requires); the tests read it back with the same library.
#include <nlohmann/json.hpp>

#include <gradflow/engine/stepper.hpp>
#include <gradflow/graph/graph.hpp>
#include <gradflow/nn/nn.hpp>
#include <gradflow/ops/errors.hpp>
#include <gradflow/views/html_view.hpp>
#include <gradflow/views/look.hpp>
#include <tutorial/neuron.hpp>

#include "chromium.hpp"
#include "run_command.hpp"

namespace gf = gradflow;
namespace fs = std::filesystem;

namespace {

using gradflow::testing::attribute;
using gradflow::testing::Chromium;
using gradflow::testing::data_text;
using gradflow::testing::element_text;
using gradflow::testing::read_file;
using gradflow::testing::TempDir;

using gf::testing::Run;
using gf::testing::run_command;
using gf::tutorial::neuron;

// How many times `what` occurs in `text`.
std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// A JSON number of the page's data: a number, or the strings the page turns into NaN and +-inf.
double number(const nlohmann::json& v) {
  if (v.is_number()) return v.get<double>();
  const auto s = v.get<std::string>();
  if (s == "NaN") return std::nan("");
  if (s == "Infinity") return INFINITY;
  if (s == "-Infinity") return -INFINITY;
  FAIL("not a number: " << s);
  return 0.0;
}

bool same(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

// Console output, script errors, and the page's own error list must all be empty.
void check_clean(const Chromium::Page& p) {
  INFO("chromium log:\n" << p.log);
  CHECK(p.log.find("CONSOLE") == std::string::npos);
  CHECK(attribute(p.dom, "body", "data-status") == "ready");
  CHECK_FALSE(std::regex_search(p.dom, std::regex("<html[^>]*data-errors")));
  CHECK(p.dom.find("<ol id=\"errors\"></ol>") != std::string::npos);
}

}  // namespace

TEST_CASE("html: the page is self-contained and carries every step's record") {
  gf::Graph g;
  const auto y = neuron(g, gf::Op::sigmoid);
  const gf::Stepper s(g, y);
  const std::string page = gf::html_view(s);
  CHECK(page.rfind("<!DOCTYPE html>", 0) == 0);
  // Nothing loaded from anywhere: the only URLs are the SVG namespace names, and the d3 modules'
  // copyright lines (comments) in their inlined bundle.
  const std::regex url("https?://[^\"' )]*");
  for (auto it = std::sregex_iterator(page.begin(), page.end(), url); it != std::sregex_iterator();
       ++it)
    CHECK((it->str().rfind("http://www.w3.org/", 0) == 0 ||
           it->str().rfind("https://d3js.org/", 0) == 0 ||
           it->str() == "https://github.com/mbostock/internmap/"));
  CHECK(page.find("https://d3js.org/d3-zoom/ v3.0.0") != std::string::npos);
  CHECK(page.find("<link") == std::string::npos);
  CHECK(page.find("src=") == std::string::npos);
  CHECK(page.find("url(") == std::string::npos);
  CHECK(page.find("@import") == std::string::npos);
  // Every node and every edge a step lights has its element in the drawing.
  for (gf::NodeId i = 0; i < g.size(); ++i)
    CHECK(page.find(fmt::format("id=\"n{}\"", i)) != std::string::npos);
  for (std::uint32_t e = 0; e < g.edge_count(); ++e)
    CHECK(page.find(fmt::format("id=\"e{}\"", e)) != std::string::npos);
  CHECK(page.find("13 steps") != std::string::npos);
  // Every placeholder of web/stepper/page.html was filled, and the page's scripts and style are
  // the files of web/stepper/ as they are now (the build embeds them).
  CHECK(page.find("{{") == std::string::npos);
  for (const char* name : {"app.js", "style.css", "error-trap.js"}) {
    const std::string file = read_file(fs::path(GRADFLOW_SOURCE_DIR) / "web" / "stepper" / name);
    REQUIRE(file.size() > 100);
    CHECK_MESSAGE(page.find(file) != std::string::npos, name);
  }
  // Four scripts: the error trap, the data, d3 (zoom and pan), the app; nothing else ends a
  // <script>.
  CHECK(count(page, "<script") == 4);
  CHECK(count(page, "</script>") == 4);

  // The data: one JSON document holding the Stepper's records exactly.
  const auto data = nlohmann::json::parse(data_text(page));
  CHECK(data["root"] == y.id());
  REQUIRE(data["nodes"].size() == g.size());
  REQUIRE(data["steps"].size() == s.size());
  for (std::size_t k = 0; k < s.size(); ++k) {
    const gf::BackwardStep st = s.at(k);
    const auto& js = data["steps"][k];
    CHECK(js["node"] == st.node);
    CHECK(number(js["upstream"]) == st.upstream);
    CHECK(number(js["passed"]) == st.passed);
    REQUIRE(js["edges"].size() == st.edges.size());
    for (std::size_t i = 0; i < st.edges.size(); ++i) {
      const auto& je = js["edges"][i];
      CHECK(je["edge"] == st.edges[i].edge);
      CHECK(je["operand"] == st.edges[i].operand);
      CHECK(number(je["local"]) == st.edges[i].local_derivative);
      CHECK(number(je["contribution"]) == st.edges[i].contribution);
      CHECK(number(je["before"]) == st.edges[i].grad_before);
      CHECK(number(je["after"]) == st.edges[i].grad_after);
      CHECK(je["blocked"] == false);
    }
  }
  CHECK(number(data["saturationThreshold"]) == gf::saturation_threshold);
  // The findings arrive as objects, not as prose to split.
  REQUIRE(data["findings"].size() == 1);
  CHECK(data["findings"][0]["severity"] == "note");
  CHECK(data["findings"][0]["kind"] == "shrinks");
  CHECK(data["findings"][0]["nodes"] == std::vector<gf::NodeId>{y.id()});

  gf::HtmlOptions quiet;
  quiet.diagnostics = false;
  CHECK(nlohmann::json::parse(data_text(gf::html_view(s, quiet)))["findings"].empty());
}

TEST_CASE("html: NaN and infinite numbers travel as strings and the page shows them") {
  gf::Graph g;
  const auto x = g.input("x", std::nan(""));
  const auto big = g.input("big", 1000.0);
  const auto t = tanh(x).named("t");
  const auto e = exp(big).named("e");
  const auto y = (t + e - e * 2.0).named("y");  // NaN; e = inf, e * 2 = inf
  const auto neg = (-e).named("neg");
  const auto root = (y + neg).named("root");
  const gf::Stepper s(g, root);
  const std::string page = gf::html_view(s);
  const std::string text = data_text(page);
  INFO(text.substr(0, 2000));
  const auto data = nlohmann::json::parse(text);  // strict JSON: no bare NaN or Infinity
  CHECK(data["nodes"][x.id()]["value"] == "NaN");
  CHECK(data["nodes"][e.id()]["value"] == "Infinity");
  CHECK(data["nodes"][neg.id()]["value"] == "-Infinity");
  for (std::size_t k = 0; k < s.size(); ++k) {
    const gf::BackwardStep st = s.at(k);
    for (std::size_t i = 0; i < st.edges.size(); ++i) {
      const auto& je = data["steps"][k]["edges"][i];
      CHECK(same(number(je["local"]), st.edges[i].local_derivative));
      CHECK(same(number(je["after"]), st.edges[i].grad_after));
    }
  }
  bool nan_finding = false;
  for (const auto& f : data["findings"])
    nan_finding |= f["kind"] == "non_finite_derivative" && f["severity"] == "error";
  CHECK(nan_finding);

  // In the browser: the strings are numbers again (the sentence prints NaN and the infinity
  // sign, not the strings' text), and the findings are listed with their severity.
  Chromium chrome;
  TempDir dir;
  const fs::path file = dir.path / "nan.html";
  gf::write_html_view(file.string(), s);
  const auto at_x =
      chrome.dump_dom(fmt::format("file://{}#step={}", file.string(), s.index_of(e.id()) + 1));
  check_clean(at_x);
  CHECK(at_x.dom.find("(exp, value \xe2\x88\x9e)") != std::string::npos);
  const auto at_root = chrome.dump_dom("file://" + file.string() + "#step=1");
  check_clean(at_root);
  CHECK(at_root.dom.find("(add, value NaN)") != std::string::npos);
  CHECK(at_root.dom.find("<li class=\"finding error\" data-kind=\"non_finite_derivative\"") !=
        std::string::npos);
  CHECK(at_root.dom.find("the tanh node 't' has a local derivative that is NaN") !=
        std::string::npos);
}

TEST_CASE("html: without dot on the PATH the error says to install Graphviz") {
  gf::Graph g;
  const auto y = neuron(g, gf::Op::relu);
  const gf::Stepper s(g, y);
  const std::string saved = std::getenv("PATH") ? std::getenv("PATH") : "";
  ::setenv("PATH", "/nonexistent", 1);
  std::string message;
  try {
    (void)gf::html_view(s);
  } catch (const gf::Error& e) {
    message = e.what();
  }
  ::setenv("PATH", saved.c_str(), 1);
  CHECK(message.find("install graphviz") != std::string::npos);
}

TEST_CASE("html: in headless Chromium the page loads cleanly and opens at #step=N and steps") {
  Chromium chrome;
  TempDir dir;
  gf::Graph g;
  const auto y = neuron(g, gf::Op::sigmoid);
  const fs::path file = dir.path / "neuron.html";
  gf::write_html_view(file.string(), gf::Stepper(g, y));
  const std::string url = "file://" + file.string();

  SUBCASE("#step=5 opens at w3*x3; keys, buttons and the slider move the highlight") {
    const auto p = chrome.dump_dom(url + "#step=5&selftest");
    check_clean(p);
    CHECK(attribute(p.dom, "body", "data-step") == "1");  // the self-test ends on 'first'
    // BackwardStep 5 is node 8 (w3*x3); ArrowRight: 6 (w3), next: 7 (x3), ArrowLeft: 6 again,
    // slider to the end: 13 (x1, node 0), a click on the finding: the step of its node y (node
    // 12), last: 13, first: 1 (y). Pointing at the finding marks y, leaving it unmarks it.
    CHECK(element_text(p.dom, "selftest") == "n8 n7 n6 n7 n0 n12 n0 n12 mentioned=1 mentioned=0");
    // The highlighted element in the DOM is the current node's.
    CHECK(p.dom.find("id=\"n12\" class=\"node op activation current\"") != std::string::npos);
  }
  SUBCASE("#step=4 highlights z; its edges are lit, the root's have flowed") {
    // Steps: y, z+b, b, z (ids 12, 11, 10, 9).
    const auto p = chrome.dump_dom(url + "#step=4");
    check_clean(p);
    CHECK(attribute(p.dom, "body", "data-step") == "4");
    CHECK(attribute(p.dom, "body", "data-current") == "n9");
    CHECK(element_text(p.dom, "stepno") == "4");
    // z = sum(w1*x1, w2*x2, w3*x3): its three edges are 6, 7, 8 in the flat operand array.
    for (int e : {6, 7, 8})
      CHECK(std::regex_search(p.dom, std::regex(fmt::format("id=\"e{}\" class=\"[^\"]*lit", e))));
    CHECK(std::regex_search(p.dom, std::regex("id=\"e11\" class=\"[^\"]*flowed")));  // y -> z+b
    // ∇ marks a node's gradient; each lit edge shows its contribution ←, 0.2475 × 1.
    CHECK(p.dom.find("receives \xe2\x88\x87 = 0.2475 in all") != std::string::npos);
    CHECK(count(p.dom, "<text class=\"contribution\" text-anchor=\"middle\"") == 3);
    CHECK(count(p.dom, "\xe2\x86\x90 0.2475</text>") == 3);
    // The findings list shows explain()'s one finding, marked as a note.
    CHECK(p.dom.find("<li class=\"finding note\" data-kind=\"shrinks\"") != std::string::npos);
    CHECK(p.dom.find("4.04 times smaller than without the sigmoid") != std::string::npos);
  }
  SUBCASE("#step beyond the last step is clamped to it; #step=0 to the first") {
    const auto p = chrome.dump_dom(url + "#step=99");
    check_clean(p);
    CHECK(attribute(p.dom, "body", "data-step") == "13");
    CHECK(attribute(p.dom, "body", "data-current") == "n0");
    const auto q = chrome.dump_dom(url + "#step=0");
    CHECK(attribute(q.dom, "body", "data-step") == "1");
    CHECK(attribute(q.dom, "body", "data-current") == "n12");
  }
}

TEST_CASE("html: a hostile node name cannot break the page and a screenshot is taken") {
  Chromium chrome;
  TempDir dir;
  gf::Graph g;
  g.conventions().step_gradient = gf::StepGradient::exact;
  const auto y = neuron(g, gf::Op::step);
  g.find("z").named("</script><b>\"z'&amp;\\");
  const gf::NodeId b = g.find("b").named("</script><script>alert(1)</script>").id();
  gf::HtmlOptions o;
  o.title = "A step neuron </title> & friends";
  const fs::path file = dir.path / "hostile.html";
  gf::write_html_view(file.string(), gf::Stepper(g, y), o);
  const std::string page = read_file(file);
  // In the data the names are JSON strings with '<' as \u003c: they cannot end the element.
  CHECK(count(page, "</script>") == 4);
  CHECK(page.find("\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e") !=
        std::string::npos);
  CHECK(nlohmann::json::parse(data_text(page))["nodes"][b]["label"] ==
        "</script><script>alert(1)</script>");
  const std::string url = "file://" + file.string();
  const auto p = chrome.dump_dom(url + "#step=4");
  check_clean(p);
  CHECK(attribute(p.dom, "body", "data-current") == "n9");
  CHECK(p.dom.find("&lt;/script&gt;&lt;b&gt;\"z'&amp;amp;\\") != std::string::npos);
  // After the scripts ran, still exactly the page's four scripts; the name is shown as text.
  CHECK(count(p.dom, "<script") == 4);
  CHECK(p.dom.find("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);

  const fs::path png = dir.path / "shot.png";
  const fs::path log = chrome.profile.path / "shot.log";
  const Run r =
      run_command(chrome.command("--screenshot='" + png.string() + "'", url + "#step=2", log));
  INFO("chromium log:\n" << read_file(log));
  REQUIRE(r.status == 0);
  REQUIRE(fs::exists(png));
  CHECK(fs::file_size(png) > 20000);  // a blank 1440x900 PNG is a few kilobytes
  CHECK(read_file(png).substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
}

namespace {
// y = MLP 2-16-16-1 (nn::MLP, seed 1, sigmoid hidden layers), over x = (1, 2): 742 nodes, so the
// drawing shows each neuron as one box.
gf::Node mlp_2_16_16_1(gf::Graph& g) {
  gf::nn::MLPOptions mo;
  mo.hidden = gf::nn::Activation::sigmoid;
  const gf::nn::MLP net(g, {2, 16, 16, 1}, mo);
  const std::vector<gf::Node> x = {g.input("x1", 1.0), g.input("x2", 2.0)};
  return net(x).front().named("y");
}
}  // namespace

TEST_CASE("html: a 2-16-16-1 page is readable: the current node's box, grouped parameters") {
  Chromium chrome;
  TempDir dir;
  gf::Graph g;
  const auto y = mlp_2_16_16_1(g);
  const gf::Stepper s(g, y);
  const fs::path file = dir.path / "mlp.html";
  gf::write_html_view(file.string(), s);
  const std::string page = read_file(file);
  const auto data = nlohmann::json::parse(data_text(page));
  // A weight of the last neuron of layer 1: drawn inside that neuron's box.
  const gf::NodeId w = g.find("L1.n15.w1").id();
  const auto& node = data["nodes"][w];
  CHECK(node["label"] == "L1.n15.w1");
  CHECK(node["boxName"] == "L1.n15");
  const gf::NodeId box = node["box"].get<gf::NodeId>();
  CHECK(box != w);
  CHECK(page.find(fmt::format("id=\"n{}\"", w)) == std::string::npos);  // not drawn itself
  // The parameters arrive by neuron: 33 groups of 3 (layer 1) or 17 (layers 2 and 3).
  REQUIRE(data["paramGroups"].size() == 33);
  std::size_t params = 0;
  for (const auto& grp : data["paramGroups"]) params += grp["params"].size();
  CHECK(params == 16 * 3 + 16 * 17 + 17);

  for (const char* size : {"1024,700", "1400,1000"}) {
    CAPTURE(size);
    const auto p =
        chrome.dump_dom(fmt::format("file://{}#step={}", file.string(), s.index_of(w) + 1), size);
    check_clean(p);
    CHECK(attribute(p.dom, "body", "data-current") == fmt::format("n{}", w));
    // The box holding the current node is lit and named in the sentence.
    CHECK(std::regex_search(
        p.dom, std::regex(fmt::format("id=\"n{}\" class=\"[^\"]*current inside", box))));
    CHECK(p.dom.find("It is drawn inside the box L1.n15") != std::string::npos);
    // Node text at least 10 px: the drawing's smallest text is 9 points, at zoom >= 10/9.
    CHECK(std::stod(attribute(p.dom, "body", "data-zoom")) * 9.0 >= 10.0 - 1e-3);
    // One group per neuron, folded but for the current node's, which comes first.
    CHECK(count(p.dom, "<details data-group=") == 33);
    CHECK(count(p.dom, " open=\"\"") == 1);
    const auto first = p.dom.find("<details data-group=");
    const std::string tag = p.dom.substr(first, p.dom.find('>', first) - first);
    CHECK(tag.find("data-group=\"L1.n15\"") != std::string::npos);
    CHECK(tag.find("open=\"\"") != std::string::npos);
    CHECK(tag.find("class=\"here\"") != std::string::npos);
  }
  SUBCASE("edges that carried gradient are coloured on the DOT dumps' scale") {
    const auto p = chrome.dump_dom(fmt::format("file://{}#step=3", file.string()));
    check_clean(p);
    for (std::size_t k = 0; k < 3; ++k) {
      for (const auto& e : data["steps"][k]["edges"]) {
        const std::string id = fmt::format("id=\"e{}\"", e["edge"].get<std::uint32_t>());
        const auto at = p.dom.find(id);
        if (at == std::string::npos) continue;  // inside a box
        const std::string tag = p.dom.substr(at, p.dom.find('>', at) - at);
        const gf::look::Heat& h = gf::look::heat_of(std::abs(number(e["contribution"])));
        CAPTURE(tag);
        CHECK(tag.find(fmt::format("--heat: {}", h.color)) != std::string::npos);
      }
    }
  }
}

TEST_CASE("html: --lang zh: the page's own words in Chinese, the English ones gone") {
  Chromium chrome;
  TempDir dir;
  gf::Graph g;
  const auto y = neuron(g, gf::Op::sigmoid);
  gf::HtmlOptions o;
  o.lang = gf::Language::zh;
  const fs::path file = dir.path / "zh.html";
  gf::write_html_view(file.string(), gf::Stepper(g, y), o);
  const std::string page = read_file(file);
  CHECK(page.find("<html lang=\"zh-CN\">") != std::string::npos);
  CHECK(page.find("<h1>从 &#39;y&#39; 开始的反向传播</h1>") != std::string::npos);
  const auto p = chrome.dump_dom("file://" + file.string() + "#step=4");
  check_clean(p);
  CHECK(p.dom.find("后退") != std::string::npos);
  CHECK(p.dom.find("参数：目前的梯度") != std::string::npos);
  CHECK(p.dom.find("总共收到 \xe2\x88\x87 = 0.2475") != std::string::npos);
  CHECK(element_text(p.dom, "where").find("第 ") != std::string::npos);
  // The drawing's caption line "前向计算之后：尚无梯度" is removed: gradients arrive step by step.
  const auto svg = p.dom.find("<svg");
  const std::string drawing = p.dom.substr(svg, p.dom.find("</svg>") - svg);
  CHECK(drawing.find("前向计算之后") == std::string::npos);
  CHECK(drawing.find("&#21069;&#21521;") == std::string::npos);
  // The side panel as shown (its data, in the JSON element after it, has English keys).
  const auto aside = p.dom.find("<aside>");
  REQUIRE(aside != std::string::npos);
  const std::string panel = p.dom.substr(aside, p.dom.find("</aside>") - aside);
  for (const char* english : {">back<", "Parameters: gradients so far", "receives", "Step ",
                              "to operand", "gradient", "multiplies", "smaller"})
    CHECK_MESSAGE(panel.find(english) == std::string::npos, english);
  // explain()'s finding in Chinese: sigmoid'(0.2) = 0.2475, 1 / 0.2475 = 4.04.
  CHECK(panel.find("sigmoid 节点“y”把梯度乘以 0.2475") != std::string::npos);
  CHECK(panel.find("只有去掉这个 sigmoid 时的 1/4.04") != std::string::npos);
}
