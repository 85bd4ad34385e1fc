// SVG charts: well-formed markup, every series drawn and named, ticks where they belong (worked
// out by hand below), log axes that skip what they cannot show, files written with their folders.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <gradflow/ops/errors.hpp>
#include <gradflow/views/chart.hpp>

namespace plot = gradflow::plot;

namespace {

// Tags balance (every <t ...> closed by </t> or self-closed), attribute quotes pair up, and no
// bare '&' or '<' appears in text: enough of XML well-formedness for a browser to open the file.
bool well_formed(const std::string& s, std::string& why) {
  std::vector<std::string> open;
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '&') {
      const auto semi = s.find(';', i);
      const std::string ent = s.substr(i, semi == std::string::npos ? 1 : semi - i + 1);
      if (ent != "&amp;" && ent != "&lt;" && ent != "&gt;" && ent != "&quot;") {
        why = "bare & at " + std::to_string(i);
        return false;
      }
      i = semi + 1;
      continue;
    }
    if (s[i] != '<') {
      ++i;
      continue;
    }
    std::size_t j = i + 1;
    bool quoted = false;
    while (j < s.size() && (quoted || s[j] != '>')) {
      if (s[j] == '"') quoted = !quoted;
      if (!quoted && s[j] == '<') {
        why = "'<' inside a tag at " + std::to_string(j);
        return false;
      }
      ++j;
    }
    if (j == s.size()) {
      why = "unterminated tag";
      return false;
    }
    const std::string tag = s.substr(i + 1, j - i - 1);
    const auto name_end = tag.find_first_of(" \t\n/");
    if (tag.front() == '/') {
      const std::string name = tag.substr(1);
      if (open.empty() || open.back() != name) {
        why = "</" + name + "> closes " + (open.empty() ? std::string("nothing") : open.back());
        return false;
      }
      open.pop_back();
    } else if (tag.back() != '/') {
      open.push_back(tag.substr(0, name_end));
    }
    i = j + 1;
  }
  if (!open.empty()) why = "<" + open.back() + "> never closed";
  return open.empty();
}

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("plot: linear ticks are 1 or 2 or 5 times a power of ten and cover the range") {
  // [0, 1] in about 6 steps: 1/6 = 0.167 rounds to the nice step 0.2.
  const auto t = plot::linear_ticks(0.0, 1.0);
  REQUIRE(t.size() == 6);
  for (std::size_t i = 0; i < t.size(); ++i)
    CHECK(t[i] == doctest::Approx(0.2 * static_cast<double>(i)));
  // [-3, 7.5]: 10.5/6 = 1.75 -> step 2, covering from -4 to 8.
  const auto u = plot::linear_ticks(-3.0, 7.5);
  CHECK(u.front() == -4.0);
  CHECK(u.back() == 8.0);
  CHECK(u.size() == 7);
  CHECK(plot::tick_label(0.2 * 3, false) == "0.6");  // 0.6000000000000001 printed as 0.6
  CHECK(plot::tick_label(-0.0, false) == "0");
}

TEST_CASE("plot: log ticks are powers of ten thinned over many decades") {
  const auto t = plot::log_ticks(1e-6, 1.0);
  REQUIRE(t.size() == 7);  // 1e-6 ... 1e0
  for (std::size_t i = 0; i < t.size(); ++i)
    CHECK(t[i] == doctest::Approx(std::pow(10.0, -6.0 + static_cast<double>(i))));
  // 31 decades 1e-30 .. 1 with at most 9 ticks: every 4th decade (31/9 rounded up), aligned on
  // multiples of 4: 1e-28, 1e-24, ..., 1e0, i.e. 8 ticks.
  const auto u = plot::log_ticks(1e-30, 1.0);
  REQUIRE(u.size() == 8);
  CHECK(u.front() == doctest::Approx(1e-28));
  CHECK(u.back() == 1.0);
  CHECK(plot::tick_label(1e-6, true) == "1e-6");
  CHECK(plot::tick_label(1e-3, true) == "0.001");
  CHECK(plot::tick_label(100.0, true) == "100");
  CHECK(plot::tick_label(1e7, true) == "1e7");
}

TEST_CASE("plot: a line chart is well-formed SVG with every series and legend and labels") {
  const std::vector<plot::Series> series{
      {"sigmoid", {-2, -1, 0, 1, 2}, {0.12, 0.27, 0.5, 0.73, 0.88}},
      {"a < b & c", {-2, 2}, {0, 1}},
  };
  const auto svg = plot::line_chart(series, {"Title <1>", "sum z", "f(z)"});
  std::string why;
  CHECK_MESSAGE(well_formed(svg, why), why);
  CHECK(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0) == 0);
  CHECK(count(svg, "<polyline") == 2);
  CHECK(count(svg, "class=\"legend\"") == 2);
  CHECK(svg.find(">sigmoid</text>") != std::string::npos);
  CHECK(svg.find("a &lt; b &amp; c") != std::string::npos);
  CHECK(svg.find("Title &lt;1&gt;") != std::string::npos);
  CHECK(svg.find(">sum z</text>") != std::string::npos);
  // Two series, two different colours (the first two of the shared palette, look::series).
  CHECK(svg.find("stroke=\"#1f77b4\"") != std::string::npos);
  CHECK(svg.find("stroke=\"#ea580c\"") != std::string::npos);
  // x ticks for [-2, 2], padded by 4% to [-2.16, 2.16]: 4.32/6 = 0.72 -> step 1, the 5 ticks
  // -2 .. 2 inside the padded range.
  CHECK(count(svg, "class=\"xtick\"") == 5);
}

TEST_CASE("plot: a log chart skips non-positive values and labels decades") {
  // y = 1, 0, -1, 10, 100: 0 and -1 cannot be drawn; the first point is left alone (a dot) and
  // the last two form one line. The y range 1..100 gives the ticks 1, 10, 100.
  plot::ChartOptions o;
  o.log_y = true;
  const auto svg = plot::line_chart({{"g", {0, 1, 2, 3, 4}, {1, 0, -1, 10, 100}}}, o);
  std::string why;
  CHECK_MESSAGE(well_formed(svg, why), why);
  CHECK(count(svg, "<polyline") == 1);
  CHECK(count(svg, "<circle") == 1);
  CHECK(count(svg, "class=\"ytick\"") == 3);
  CHECK(svg.find(">100</text>") != std::string::npos);
  CHECK(svg.find("nan") == std::string::npos);
  CHECK(svg.find("inf") == std::string::npos);
}

TEST_CASE("plot: a series with unequal x and y lengths is an error") {
  CHECK_THROWS_AS(plot::line_chart({{"bad", {1, 2}, {1}}}, {}), gradflow::Error);
}

TEST_CASE("plot: a scatter chart over a field draws the zero level set") {
  // f(x, y) = x on a 3 x 3 grid over [-1, 1]^2: the boundary is the line x = 0, crossing the
  // two grid rows' squares once each: 2 squares high, so 2 segments.
  plot::Field f{-1, 1, -1, 1, 3, 3, {}};
  for (int j = 0; j < 3; ++j)
    for (int i = 0; i < 3; ++i) f.z.push_back(-1.0 + i);
  const auto svg = plot::scatter_chart({{"-1", {-0.5}, {0}}, {"+1", {0.5, 0.7}, {0, 0.1}}}, {}, &f);
  std::string why;
  CHECK_MESSAGE(well_formed(svg, why), why);
  CHECK(count(svg, "<circle") == 3 + 2);  // three points, two legend dots
  CHECK(count(svg, "class=\"boundary\"") == 1);
  // f = 0 exactly at x = 0 counts as the negative side, so each square's crossing lies between
  // x = 0 and x = 1 at t = 0 / (0 - 1) = 0: on x = 0.
  const auto d = svg.find(" d=\"M");
  REQUIRE(d != std::string::npos);
  CHECK(count(svg.substr(d, svg.find('"', d + 4) - d), "M") == 2);
  f.nx = 1;  // one column cannot be a grid, and 9 values no longer match 1 x 3
  CHECK_THROWS_AS(plot::scatter_chart({}, {}, &f), gradflow::Error);
}

TEST_CASE("plot: write_text_file creates folders and reports failures") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "gradflow_test_plot" / "a" / "b";
  fs::remove_all(dir.parent_path().parent_path());
  plot::write_text_file((dir / "c.svg").string(), "<svg/>");
  std::ifstream in(dir / "c.svg");
  std::stringstream ss;
  ss << in.rdbuf();
  CHECK(ss.str() == "<svg/>");
  // A path below a regular file cannot be created.
  CHECK_THROWS_AS(plot::write_text_file((dir / "c.svg" / "d.svg").string(), "x"), gradflow::Error);
  fs::remove_all(dir.parent_path().parent_path());
}

TEST_CASE("plot: text widths are DejaVu-sized and CJK characters a full em") {
  // Digits are 0.64 em in this estimate (DejaVu Sans: 0.636); CJK characters 1 em each.
  CHECK(plot::text_width("0123", 10) == doctest::Approx(4 * 6.4));
  CHECK(plot::text_width("中文", 12) == doctest::Approx(24));
  CHECK(plot::text_width("a中", 10, true) == doctest::Approx((6.4 + 10) * 1.1));
  // A title wider than the chart is set smaller so that it fits.
  plot::ChartOptions o;
  o.title = std::string(70, 'W');
  const auto svg = plot::line_chart({{"s", {0, 1}, {0, 1}}}, o);
  const auto at = svg.find("class=\"title\"");
  REQUIRE(at != std::string::npos);
  const auto size_at = svg.find("font-size=\"", at) + 11;
  const double size = std::stod(svg.substr(size_at, 8));
  CHECK(size < 15);
  CHECK(plot::text_width(o.title, size, true) <= o.width - 20 + 1e-9);
}

TEST_CASE("plot: own colours, dashes, markers, guides, bands and integer ticks") {
  std::vector<plot::Series> series{
      {"a", {1, 2, 3}, {0, 0, 0}, "#123456", plot::Stroke::solid, false, 4.0},
      {"b", {1, 2, 3}, {0, 0, 0}, "", plot::Stroke::dashed, true},
  };
  plot::ChartOptions o;
  o.integer_x = true;
  o.guides = {{0.5, "half"}, {2, "two", true}};
  o.bands = {{0, 1, "#2563eb", "up"}};
  const auto svg = plot::line_chart(series, o);
  std::string why;
  CHECK_MESSAGE(well_formed(svg, why), why);
  CHECK(svg.find("stroke=\"#123456\" stroke-width=\"4\"") != std::string::npos);
  // The series without a colour takes the first of the shared palette.
  CHECK(svg.find("stroke=\"#1f77b4\" stroke-width=\"2\" stroke-dasharray") != std::string::npos);
  // The dashed line is drawn after (over) the solid one it coincides with.
  CHECK(svg.find("#123456") < svg.find("stroke-dasharray=\"7 5\""));
  CHECK(count(svg, "class=\"markers\"") == 1);
  CHECK(count(svg, "<line class=\"guide\"") == 2);
  CHECK(svg.find(">half</text>") != std::string::npos);
  CHECK(count(svg, "<rect class=\"band\"") == 1);
  // x from 1 to 3 (padded to 0.92..3.08): integer ticks 1, 2, 3 rather than 1, 1.5, ....
  CHECK(count(svg, "class=\"xtick\"") == 3);
  CHECK(svg.find(">1.5</text>") == std::string::npos);
}

TEST_CASE("plot: a log chart with a zero row draws zeros on a row marked 0") {
  plot::ChartOptions o;
  o.log_y = true;
  o.zero_row = true;
  const auto svg = plot::line_chart({{"g", {0, 1, 2, 3}, {1, 0.1, 0, 0}}}, o);
  std::string why;
  CHECK_MESSAGE(well_formed(svg, why), why);
  // One unbroken line through all four points, and the extra tick "0" with a break mark.
  CHECK(count(svg, "<polyline") == 1);
  const auto p = svg.find("points=\"");
  const std::string points = svg.substr(p, svg.find('"', p + 8) - p);
  CHECK(count(points, ",") == 4);
  CHECK(svg.find("class=\"ytick\" x=\"62.00\"") != std::string::npos);
  CHECK(svg.find(">0</text>") != std::string::npos);
  CHECK(count(svg, "class=\"axis-break\"") == 1);
  // The x axis covers the zeros too (x = 0 .. 3), not only the positive values.
  CHECK(svg.find(">3</text>") != std::string::npos);
  // A single positive value sits at the top of its decade: 1 on an axis from 0.1 to 1.
  const auto one = plot::line_chart({{"g", {0, 1}, {1, 0}}}, o);
  CHECK(one.find(">0.1</text>") != std::string::npos);
  CHECK(one.find(">10</text>") == std::string::npos);
}
