// The browser view: its content, and the page running in headless Chromium (Debian's `chromium`,
// listed in .ci/packages-test). Without chromium these tests fail, they do not skip.
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

#include <gradflow/engine/stepper.hpp>
#include <gradflow/graph/graph.hpp>
#include <gradflow/ops/errors.hpp>
#include <gradflow/views/html_view.hpp>
#include <tutorial/neuron.hpp>

#include "run_command.hpp"

namespace gf = gradflow;
namespace fs = std::filesystem;

namespace {

using gf::testing::Run;
using gf::testing::run_command;
using gf::tutorial::neuron;

// A fresh directory, removed with the object.
struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / fmt::format("gradflow-html-test-{:08x}", rd());
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Headless Chromium as root in a container: the flags the project's CI needs, a fresh profile.
struct Chromium {
  TempDir profile;
  Chromium() {
    REQUIRE_MESSAGE(run_command("command -v chromium >/dev/null 2>&1").status == 0,
                    "these tests need Debian's chromium package (apt-get install chromium)");
  }
  // stdout: the DOM after scripts ran; the log file: the browser's log with console messages.
  std::string command(const std::string& mode, const std::string& url, const fs::path& log) {
    return fmt::format(
        "timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic "
        "--no-first-run --disable-background-networking --disable-component-update "
        "--disable-sync --user-data-dir='{}' --enable-logging=stderr --v=0 "
        "--virtual-time-budget=3000 --window-size=1440,900 --hide-scrollbars {} '{}' 2>'{}'",
        profile.path.string(), mode, url, log.string());
  }
  struct Page {
    std::string dom, log;
  };
  Page dump_dom(const std::string& url) {
    const fs::path log = profile.path / "dump.log";
    const Run r = run_command(command("--dump-dom", url, log));
    Page p{r.out, read_file(log)};
    INFO("chromium log:\n" << p.log);
    REQUIRE(r.status == 0);
    return p;
  }
};

std::string attribute(const std::string& dom, const std::string& tag, const std::string& name) {
  const std::regex re("<" + tag + "[^>]*\\s" + name + "=\"([^\"]*)\"");
  std::smatch m;
  return std::regex_search(dom, m, re) ? m[1].str() : std::string("<missing>");
}

std::string element_text(const std::string& dom, const std::string& id) {
  const std::regex re("id=\"" + id + "\"[^>]*>([^<]*)<");
  std::smatch m;
  return std::regex_search(dom, m, re) ? m[1].str() : std::string("<missing>");
}

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
  // Nothing loaded from anywhere: the only URLs are the SVG namespace names.
  const std::regex url("https?://[^\"' )]*");
  for (auto it = std::sregex_iterator(page.begin(), page.end(), url); it != std::sregex_iterator();
       ++it)
    CHECK(it->str().rfind("http://www.w3.org/", 0) == 0);
  CHECK(page.find("<link") == std::string::npos);
  CHECK(page.find("src=") == std::string::npos);
  CHECK(page.find("url(") == std::string::npos);
  CHECK(page.find("@import") == std::string::npos);
  // Every node and every edge a step lights has its element in the drawing.
  for (gf::NodeId i = 0; i < g.size(); ++i)
    CHECK(page.find(fmt::format("id=\"n{}\"", i)) != std::string::npos);
  for (std::uint32_t e = 0; e < g.edge_count(); ++e)
    CHECK(page.find(fmt::format("id=\"e{}\"", e)) != std::string::npos);
  CHECK(page.find("steps: [") != std::string::npos);
  CHECK(page.find("13 steps") != std::string::npos);
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
    // Step 5 is node 8 (w3*x3); ArrowRight: 6 (w3), next: 7 (x3), ArrowLeft: 6 again,
    // slider to the end: 13 (x1, node 0), first: 1 (y, node 12).
    CHECK(element_text(p.dom, "selftest") == "n8 n7 n6 n7 n0 n12");
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
    CHECK(p.dom.find("receives \xe2\x88\x82y/\xe2\x81\xa0\xe2\x88\x82z = 0.2475") !=
          std::string::npos);
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
  gf::HtmlOptions o;
  o.title = "A step neuron </title> & friends";
  const fs::path file = dir.path / "hostile.html";
  gf::write_html_view(file.string(), gf::Stepper(g, y), o);
  const std::string url = "file://" + file.string();
  const auto p = chrome.dump_dom(url + "#step=4");
  check_clean(p);
  CHECK(attribute(p.dom, "body", "data-current") == "n9");
  CHECK(p.dom.find("&lt;/script&gt;&lt;b&gt;\"z'&amp;amp;\\") != std::string::npos);

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
