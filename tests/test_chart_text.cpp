// The tutorial's charts laid out in a real browser (headless Chromium, Debian's `chromium`, with
// the fonts of .ci/packages and .ci/packages-test: DejaVu Sans and Noto Sans CJK): in English and
// in Chinese, no text runs outside its SVG and no two texts overlap. Text that is clipped or
// collides is what made the README's picture unreadable with only DejaVu installed.
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "run_command.hpp"

namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Measures every <text> of every inline SVG and writes the problems into body[data-report]:
// "clipped" when a text's box leaves its SVG, "overlap" when two texts' boxes intersect by
// more than a pixel each way.
constexpr const char* kScript = R"(
<script>
window.addEventListener('load', () => {
  const bad = [];
  document.querySelectorAll('body > svg').forEach(svg => {
    const w = svg.viewBox.baseVal.width, h = svg.viewBox.baseVal.height;
    const name = svg.getAttribute('data-name');
    const boxes = [];
    svg.querySelectorAll('text').forEach(t => {
      const b = t.getBBox();
      if (b.width === 0) return;
      const r = svg.getScreenCTM().inverse().multiply(t.getScreenCTM());
      const p = new DOMPoint(b.x, b.y).matrixTransform(r),
            q = new DOMPoint(b.x + b.width, b.y + b.height).matrixTransform(r);
      const box = {x0: Math.min(p.x, q.x), y0: Math.min(p.y, q.y),
                   x1: Math.max(p.x, q.x), y1: Math.max(p.y, q.y), text: t.textContent};
      if (box.x0 < -0.5 || box.y0 < -0.5 || box.x1 > w + 0.5 || box.y1 > h + 0.5)
        bad.push(`clipped in ${name}: '${box.text}'`);
      boxes.push(box);
    });
    for (let i = 0; i < boxes.length; ++i)
      for (let j = i + 1; j < boxes.length; ++j) {
        const a = boxes[i], b = boxes[j];
        if (Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0) > 1 &&
            Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0) > 1)
          bad.push(`overlap in ${name}: '${a.text}' / '${b.text}'`);
      }
  });
  document.body.setAttribute('data-report', bad.length ? bad.join(' | ') : 'clean');
});
</script>)";

}  // namespace

TEST_CASE("charts: in Chromium no text of a tutorial chart is clipped or overlaps another") {
  using gradflow::testing::run_command;
  REQUIRE_MESSAGE(run_command("command -v chromium >/dev/null 2>&1").status == 0,
                  "this test needs Debian's chromium package (apt-get install chromium)");
  std::random_device rd;
  const fs::path dir = fs::temp_directory_path() / fmt::format("gradflow-chart-text-{:08x}", rd());
  fs::create_directories(dir);
  // Every tutorial program's charts (and tutorial 1's Graphviz drawings side by side).
  for (const char* program :
       {"tutorial_1_threshold_to_bias", "tutorial_2_activation_threshold",
        "tutorial_3_step_failures", "tutorial_4_activations", "tutorial_5_vanishing_gradients",
        "tutorial_6_bias_moves", "tutorial_7_voting", "tutorial_8_xor", "tutorial_9_moons"})
    for (const char* lang : {"en", "zh"}) {
      const auto r =
          run_command(fmt::format("{}/examples/{} --out '{}/{}' --lang {} 2>&1",
                                  GRADFLOW_BINARY_DIR, program, dir.string(), lang, lang));
      INFO(r.out);
      REQUIRE(r.status == 0);
    }
  std::string page = "<!doctype html><html><head><meta charset=\"utf-8\"></head><body>\n";
  int charts = 0;
  for (const char* lang : {"en", "zh"})
    for (const auto& e : fs::directory_iterator(dir / lang)) {
      std::string svg = read_file(e.path());
      svg.insert(4, fmt::format(" data-name=\"{}/{}\"", lang, e.path().filename().string()));
      page += svg;
      ++charts;
    }
  CHECK(charts >= 40);
  page += kScript;
  page += "</body></html>\n";
  const fs::path html = dir / "charts.html";
  std::ofstream(html) << page;
  const fs::path profile = dir / "profile";
  const auto r = run_command(fmt::format(
      "timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run "
      "--disable-background-networking --disable-component-update --disable-sync "
      "--user-data-dir='{}' --virtual-time-budget=3000 --dump-dom 'file://{}' 2>/dev/null",
      profile.string(), html.string()));
  REQUIRE(r.status == 0);
  std::smatch m;
  REQUIRE(std::regex_search(r.out, m, std::regex("data-report=\"([^\"]*)\"")));
  CHECK(m[1].str() == "clean");
  std::error_code ec;
  fs::remove_all(dir, ec);
}
