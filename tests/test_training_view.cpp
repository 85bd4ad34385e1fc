// The training page (views/training_view.hpp): its data against the record, its size for the
// moons run, and the page in headless Chromium (Debian's `chromium`, .ci/packages-test): no
// console errors, #train=0 and #train=last show the losses tutorial_9_moons printed, a click on a
// unit lists its primitive nodes, keys step through them, and no text is smaller than 10 px.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <gradflow/graph/graph.hpp>
#include <gradflow/nn/nn.hpp>
#include <gradflow/nn/record.hpp>
#include <gradflow/nn/train.hpp>
#include <gradflow/ops/errors.hpp>
#include <gradflow/views/training_view.hpp>

#include "chromium.hpp"
#include "lab.hpp"
#include "run_command.hpp"

namespace gf = gradflow;
namespace fs = std::filesystem;
namespace nn = gradflow::nn;
namespace train = gradflow::train;

namespace {

using gf::testing::attribute;
using gf::testing::data_text;
using gf::testing::element_text;
using gf::testing::read_file;
using gf::testing::Run;
using gf::testing::run_command;
using gf::testing::TempDir;

// Headless Chromium: the DOM after the scripts ran, and the browser's log (tests/chromium.hpp),
// by default at 1024x700.
using Page = gf::testing::Chromium::Page;
Page dump_dom(gf::testing::Chromium& chrome, const std::string& url, int width = 1024,
              int height = 700) {
  return chrome.dump_dom(url, fmt::format("{},{}", width, height));
}

void check_clean(const Page& p) {
  INFO("chromium log:\n" << p.log);
  CHECK(p.log.find("CONSOLE") == std::string::npos);
  CHECK(attribute(p.dom, "body", "data-status") == "ready");
  CHECK_FALSE(std::regex_search(p.dom, std::regex("<html[^>]*data-errors")));
  CHECK(p.dom.find("<ol id=\"errors\"></ol>") != std::string::npos);
}

// The moons run of tutorial_9_moons, printing "step K loss L accuracy A%" for every iteration.
struct MoonsRun {
  std::string page;
  std::vector<std::string> printed_losses;  // as the program printed them
};

MoonsRun run_moons(const fs::path& html) {
  const Run r =
      run_command(fmt::format("{}/examples/tutorial_9_moons --out '{}' --html '{}'",
                              GRADFLOW_BINARY_DIR, html.parent_path().string(), html.string()));
  INFO(r.out);
  REQUIRE(r.status == 0);
  MoonsRun m;
  const std::regex line("step (\\d+) loss ([0-9.]+) accuracy");
  for (auto it = std::sregex_iterator(r.out.begin(), r.out.end(), line);
       it != std::sregex_iterator(); ++it) {
    CHECK(std::stoul((*it)[1].str()) == m.printed_losses.size());
    m.printed_losses.push_back((*it)[2].str());
  }
  m.page = read_file(html);
  return m;
}

}  // namespace

TEST_CASE("training page: the data is the record's, the page self-contained and safe") {
  const train::Dataset data = train::make_moons(20, 0.1, 2);
  gf::Graph g;
  const nn::MLP net(g, {2, 4, 1});
  train::TrainOptions o;
  o.loss = train::Loss::hinge;
  o.iterations = 12;
  o.lr = {0.5, 0.0};
  train::Trainer trainer(g, net, data.size(), o);
  train::RecordOptions ro;
  ro.every = 5;
  ro.grid = 8;
  train::TrainingRecorder rec(g, net, trainer, data, ro);
  const auto records = rec.fit();
  const gf::TrainingRecord& r = rec.record();
  const std::string page = gf::training_html(r);
  CHECK(page.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(page.find("{{") == std::string::npos);
  CHECK(page.find("<link") == std::string::npos);
  CHECK(page.find(" src=") == std::string::npos);
  CHECK(page.find("@import") == std::string::npos);
  // The page's own script and style are the files of web/training/; d3 is inlined.
  for (const char* name : {"app.js", "style.css"}) {
    const std::string file = read_file(fs::path(GRADFLOW_SOURCE_DIR) / "web" / "training" / name);
    REQUIRE(file.size() > 100);
    CHECK_MESSAGE(page.find(file) != std::string::npos, name);
  }
  CHECK(page.find("https://d3js.org/d3-zoom/ v3.0.0") != std::string::npos);

  const auto d = nlohmann::json::parse(data_text(page));
  REQUIRE(d["steps"].size() == 4);  // iterations 0, 5, 10 and the last, 11
  CHECK(d["steps"][3]["it"] == 11);
  for (std::size_t i = 0; i < 4; ++i) {
    const auto& s = d["steps"][i];
    const auto& k = records[static_cast<std::size_t>(s["it"].get<int>())];
    CHECK(s["lossText"] == fmt::format("{:.12f}", k.loss));
    CHECK(s["loss"].get<double>() == k.loss);
    CHECK(s["progress"] == train::progress_line(k));
    // Parameters and gradients rounded to 6 significant digits.
    REQUIRE(s["p"].size() == 17);
    for (std::size_t j = 0; j < 17; ++j) {
      const double p = r.snapshots[i].params[j], gj = r.snapshots[i].grads[j];
      CHECK(s["p"][j].get<double>() == doctest::Approx(p).epsilon(6e-6));
      CHECK(s["g"][j].get<double>() == doctest::Approx(gj).epsilon(6e-6));
    }
    // The score map: 8-bit levels over [-m, m], m the largest |score| on the grid.
    double m = 0.0;
    for (const double v : r.snapshots[i].score_map) m = std::max(m, std::abs(v));
    CHECK(s["map"]["hi"].get<double>() == doctest::Approx(m).epsilon(1e-5));
    CHECK(s["map"]["b64"].get<std::string>().size() == 88);  // 64 bytes in base64
    CHECK(s["umaps"].size() == 5);
  }
  CHECK(d["units"][4][0] == "L2.n1");
  CHECK(d["units"][4][5] == "identity");
  CHECK(d["grid"]["n"] == 8);
  CHECK_THROWS_AS((void)gf::training_html(gf::TrainingRecord{}), gf::UsageError);

  // A hostile title cannot break the page: four scripts (error trap, data, d3, the app), the
  // title shown as text, and the page still runs.
  gf::TrainingHtmlOptions hostile;
  hostile.title = "</title></h1><script>alert(1)</script> & <b>";
  hostile.subtitle = "<!-- x";
  const std::string bad = gf::training_html(r, hostile);
  std::size_t scripts = 0;
  for (auto at = bad.find("<script"); at != std::string::npos; at = bad.find("<script", at + 1))
    ++scripts;
  CHECK(scripts == 4);
  TempDir dir;
  const fs::path file = dir.path / "hostile.html";
  gf::write_training_html(file.string(), r, hostile);
  gf::testing::Chromium chrome;
  const Page p = dump_dom(chrome, "file://" + file.string() + "#train=5");
  check_clean(p);
  CHECK(attribute(p.dom, "body", "data-train") == "5");
  CHECK(p.dom.find(
            "&lt;/title&gt;&lt;/h1&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;") !=
        std::string::npos);
}

TEST_CASE("training page: tutorial_9_moons --html in headless Chromium") {
  TempDir dir;
  const fs::path html = dir.path / "moons.html";
  const MoonsRun run = run_moons(html);
  REQUIRE(run.printed_losses.size() == 100);
  // A 100-step 2-16-16-1 run on 100 points stays under 5 MB.
  CHECK(run.page.size() < 5'000'000);
  const std::string url = "file://" + html.string();
  gf::testing::Chromium chrome;

  SUBCASE("#train=0 and #train=last show the losses the program printed") {
    const Page first = dump_dom(chrome, url + "#train=0");
    check_clean(first);
    CHECK(attribute(first.dom, "body", "data-train") == "0");
    CHECK(element_text(first.dom, "loss-text") == run.printed_losses.front());
    const Page last = dump_dom(chrome, url + "#train=last");
    check_clean(last);
    CHECK(attribute(last.dom, "body", "data-train") == "99");
    CHECK(element_text(last.dom, "loss-text") == run.printed_losses.back());
    CHECK(run.printed_losses.front() != run.printed_losses.back());
    // Diagnostics by layer: the count of units of L1 blocked for the whole batch, from the data.
    const auto d = nlohmann::json::parse(data_text(run.page));
    int dead = 0;
    for (int u = 0; u < 16; ++u) dead += d["steps"][99]["u"][u][2].get<double>() >= 1.0;
    REQUIRE(dead > 0);  // the moons run has dead ReLUs in its first layer (shown in the README)
    CHECK(last.dom.find(fmt::format("<li class=\"dead\">L1 (relu): {} of 16 dead (", dead)) !=
          std::string::npos);
    const Page mid = dump_dom(chrome, url + "#train=37");
    CHECK(element_text(mid.dom, "loss-text") == run.printed_losses[37]);
    CHECK(element_text(mid.dom, "progress").find("step 37 loss " + run.printed_losses[37]) == 0);
  }
  SUBCASE("a click on a unit lists its nodes; keys step by node, unit, layer and iteration") {
    const Page p = dump_dom(chrome, url + "#train=last&selftest");
    check_clean(p);
    const std::string l99 = run.printed_losses[99], l98 = run.printed_losses[98];
    // The backward pass of sample 0 through the units' nodes: the output unit's 19 (y, z+b, z,
    // 16 muls), each L2 unit's 19 from L2.n16 down to L2.n1, each L1 unit's 5 (y, z+b, z, two
    // muls) from L1.n16 down: 19 + 16 * 19 + 16 * 5 = 403 steps; L1.n1.y is step 399, L1.n2.y
    // step 394, L2.n16.y step 20, L1.n16.y step 324, L2.n15.y step 39. A click on L1.n1 opens its
    // 5 nodes; n/p step by node; U goes back one unit (L1.n2); the left arrow to iteration 98;
    // by layer, p goes to L2's first step and n to L1's; by unit, n goes on to L2.n15; a click
    // on the ringed point of row 50 walks its pass. Then: the smallest font on screen; the wheel
    // zooms in, a drag pans by the mouse's 40 x 25 px, and '0' resets the zoom.
    const std::string expected = fmt::format(
        "it=99 loss={0} unit=- rows=0 node=- lit=0 step=-\n"
        "it=99 loss={0} unit=L1.n1 rows=5 node=L1.n1.y lit=0 step=399\n"
        "it=99 loss={0} unit=L1.n1 rows=5 node=L1.n1.z+b lit=0 step=400\n"
        "it=99 loss={0} unit=L1.n1 rows=5 node=L1.n1.z lit=0 step=401\n"
        "it=99 loss={0} unit=L1.n1 rows=5 node=L1.n1.z+b lit=0 step=400\n"
        "it=99 loss={0} unit=L1.n2 rows=5 node=L1.n2.y lit=0 step=394\n"
        "it=98 loss={1} unit=L1.n2 rows=5 node=L1.n2.y lit=0 step=394\n"
        "mode=gradient\n"
        "it=98 loss={1} unit=L1.n2 rows=5 node=w1 \xc3\x97 x1 lit=1 step=398\n"
        "it=98 loss={1} unit=L2.n16 rows=19 node=L2.n16.y lit=0 step=20\n"
        "it=98 loss={1} unit=L1.n16 rows=5 node=L1.n16.y lit=0 step=324\n"
        "it=98 loss={1} unit=L2.n15 rows=19 node=L2.n15.y lit=0 step=39 by=unit\n"
        "it=98 loss={1} unit=L2.n15 rows=19 node=L2.n15.y lit=0 step=39 sample=50\n"
        "minfont=10\n"
        "zoom=in pan=40,25 drawn=true\n"
        "reset k=1",
        l99, l98);
    CHECK(element_text(p.dom, "selftest") == expected);
  }
  SUBCASE("a deep link opens a unit at a node; at 1400x1000 nothing is smaller either") {
    const Page p = dump_dom(chrome, url + "#train=10&unit=L2.n3&node=2&mode=gradient", 1400, 1000);
    check_clean(p);
    CHECK(attribute(p.dom, "body", "data-unit") == "L2.n3");
    CHECK(attribute(p.dom, "body", "data-node") == "L2.n3.z");
    CHECK(attribute(p.dom, "body", "data-mode") == "gradient");
    CHECK(element_text(p.dom, "loss-text") == run.printed_losses[10]);
    const Page q = dump_dom(chrome, url + "#train=last&step=20&by=layer");
    check_clean(q);
    CHECK(attribute(q.dom, "body", "data-unit") == "L2.n16");
    CHECK(attribute(q.dom, "body", "data-node") == "L2.n16.y");
    CHECK(attribute(q.dom, "body", "data-by") == "layer");
    CHECK(attribute(q.dom, "body", "data-step") == "20");
    // The other recorded sample (row 50, the second moon's first point), at the first step: the
    // output unit's activation, the trainer's node "score".
    const Page r = dump_dom(chrome, url + "#train=last&sample=50&step=1");
    check_clean(r);
    CHECK(attribute(r.dom, "body", "data-sample") == "50");
    CHECK(attribute(r.dom, "body", "data-unit") == "L3.n1");
    CHECK(attribute(r.dom, "body", "data-node") == "score");
    CHECK(element_text(r.dom, "detail-note").find("Sample #50's backward pass at iteration 99") ==
          0);
  }
}

TEST_CASE("training page: any data point walks its pass at a detail step, as the engine computes") {
  // The page records sample 0's and 50's passes in full, and every sample's in brief (z + b and
  // d loss / d output per unit) at the detail iterations 0, 10, ..., 90 and 99. A sample at
  // iteration 90, independently: the lab's native engine (lab.cpp) runs tutorial_9_moons's
  // training for 90 steps and walks the sample's backward pass with the Stepper. The sample is
  // one still inside the hinge's margin and the unit one of layer 2 active for it, so that the
  // numbers are not 0.
  TempDir dir;
  const fs::path html = dir.path / "moons.html";
  const MoonsRun run = run_moons(html);
  CHECK(run.page.size() < 5'000'000);
  const int K = 90;
  REQUIRE(gf::lab::network_reset(R"({"preset":"moons"})").find("error") == std::string::npos);
  REQUIRE(nlohmann::json::parse(gf::lab::network_train(K))["records"].size() == K);
  nlohmann::json native;
  const nlohmann::json* unit = nullptr;
  int sample = 1;  // the first sample past row 0 still inside the margin (a gradient to show)
  for (; sample < 100 && !unit; ++sample) {
    if (sample == 50) continue;
    native = nlohmann::json::parse(gf::lab::network_sample(sample));
    for (const auto& u : native["units"])
      if (u["layer"] == 1 && u["out"].get<double>() > 0 && u["grad_out"].get<double>() != 0) {
        unit = &u;
        break;
      }
  }
  --sample;
  REQUIRE(unit != nullptr);
  CAPTURE(sample);
  const std::string name = (*unit)["name"];
  CAPTURE(name);
  gf::testing::Chromium chrome;
  const Page p = dump_dom(chrome, fmt::format("file://{}#train={}&sample={}&unit={}&node=0",
                                              html.string(), K, sample, name));
  check_clean(p);
  CHECK(attribute(p.dom, "body", "data-sample") == std::to_string(sample));
  CHECK(attribute(p.dom, "body", "data-unit") == name);
  CHECK(element_text(p.dom, "detail-note")
            .find(fmt::format("Sample #{}'s backward pass at iteration {}", sample, K)) == 0);
  CHECK(element_text(p.dom, "detail-gap").empty());
  // Its nodes y, z+b, z and 16 products; y's value and gradient, z+b's; y's edge to z+b: the
  // activation's local derivative and the contribution passed back (4 significant digits).
  const auto rows = gf::testing::table_rows(p.dom, "nodes-body");
  REQUIRE(rows.size() == 19);
  REQUIRE(rows[0].size() == 4);
  CHECK(rows[0][0] == name + ".y");
  CHECK(std::stod(rows[0][2]) == doctest::Approx((*unit)["out"].get<double>()).epsilon(1e-3));
  CHECK(std::stod(rows[0][3]) == doctest::Approx((*unit)["grad_out"].get<double>()).epsilon(1e-3));
  CHECK(std::stod(rows[1][2]) == doctest::Approx((*unit)["pre"].get<double>()).epsilon(1e-3));
  CHECK(std::stod(rows[1][3]) == doctest::Approx((*unit)["grad_pre"].get<double>()).epsilon(1e-3));
  const auto edges = gf::testing::table_rows(p.dom, "edges-body");
  REQUIRE(edges.size() == 1);
  REQUIRE(edges[0].size() == 4);
  CHECK(edges[0][0] == name + ".z+b");
  CHECK(std::stod(edges[0][1]) == doctest::Approx((*unit)["slope"].get<double>()).epsilon(1e-3));
  CHECK(std::stod(edges[0][2]) == doctest::Approx((*unit)["grad_pre"].get<double>()).epsilon(1e-3));
  // Iteration 95 has no recorded pass: the page says so and shows iteration 90's.
  const Page q = dump_dom(chrome, fmt::format("file://{}#train=95&sample={}&unit={}&node=0",
                                              html.string(), sample, name));
  check_clean(q);
  CHECK(element_text(q.dom, "detail-gap") ==
        "Iteration 95 has no recorded backward pass: shown is iteration 90's, the nearest "
        "recorded.");
  CHECK(gf::testing::table_rows(q.dom, "nodes-body")[0][2] == rows[0][2]);
}

TEST_CASE("training page: tutorial_9_moons --lang zh writes it in Chinese, no English label left") {
  TempDir dir;
  const fs::path html = dir.path / "moons_zh.html";
  const Run r =
      run_command(fmt::format("{}/examples/tutorial_9_moons --lang zh --out '{}' --html '{}'",
                              GRADFLOW_BINARY_DIR, dir.path.string(), html.string()));
  REQUIRE(r.status == 0);
  const std::string page = read_file(html);
  CHECK(page.find("<html lang=\"zh-CN\">") != std::string::npos);
  gf::testing::Chromium chrome;
  const Page p = dump_dom(chrome, "file://" + html.string() + "#train=last&unit=L2.n3&node=0");
  check_clean(p);
  CHECK(attribute(p.dom, "body", "data-unit") == "L2.n3");
  // Chinese labels where the English page has its words (from the view's table of words).
  CHECK(p.dom.find("\xe6\x8d\x9f\xe5\xa4\xb1\xe4\xb8\x8e\xe5\x87\x86\xe7\xa1\xae\xe7\x8e\x87") !=
        std::string::npos);  // 损失与准确率 (loss and accuracy)
  CHECK(element_text(p.dom, "detail-note")
            .find("\xe6\xa0\xb7\xe6\x9c\xac #0 \xe5\x9c\xa8\xe7\xac\xac 99 "
                  "\xe6\xac\xa1\xe8\xbf\xad\xe4\xbb\xa3") == 0);  // 样本 #0 在第 99 次迭代
  CHECK(p.dom.find("<p id=\"unit-facts\"><span>\xe5\x81\x8f\xe7\xbd\xae") !=
        std::string::npos);  // 偏置 (bias)
  // No English word of the page's own: the visible text of the header and the view, less code
  // (links, the trainer's printed line), node names, op names and numbers.
  const auto from = p.dom.find("<header>"), to = p.dom.find("<ol id=\"errors\"");
  REQUIRE(from != std::string::npos);
  REQUIRE(to != std::string::npos);
  std::string text = p.dom.substr(from, to - from);
  text = std::regex_replace(text, std::regex("<code[^>]*>[^<]*</code>"), " ");
  text = std::regex_replace(text, std::regex("<[^>]*>"), " ");
  const std::regex english(
      "\\b(iteration|loss|accuracy|weights?|gradients?|play|pause|fit|Backward|backward|Sample|"
      "sample|dead|saturated|blocked|click|Loss|Gradient|Trainer|printed|back|next|layer|node|"
      "recorded|value|contribution|local|operand|output|input|mean|passes|Training|parameters)\\b");
  std::smatch m;
  CHECK_MESSAGE(!std::regex_search(text, m, english), "English left: " << m.str());
}

TEST_CASE("training page: play advances the timeline in real time, pause and space stop it") {
  // tests/cdp.py waits in real time (the page plays at one recorded step per 120 ms): play for
  // 0.8 s moves on from step 0; pause holds it for 0.6 s; space plays and pauses again; End and
  // Home jump to the last and first recorded steps.
  TempDir dir;
  const fs::path html = dir.path / "moons.html";
  const MoonsRun run = run_moons(html);
  gf::testing::Browser browser;
  const auto p = browser.load("file://" + html.string() + "#train=0&playtest", "1024,700");
  INFO("browser log:\n" << p.log);
  CHECK(p.ready);
  CHECK(p.log.find("CONSOLE") == std::string::npos);
  CHECK(element_text(p.dom, "selftest") ==
        "start=0 button=\xe2\x9d\x9a\xe2\x9d\x9a pause played=true button=\xe2\x96\xb6 play "
        "paused=true space=true stopped=true end=99 home=0");
}

TEST_CASE("training page: the step, XOR and bias-moves experiments write theirs (1-D, 2-D)") {
  TempDir dir;
  gf::testing::Chromium chrome;
  struct Case {
    const char* program;
    const char* last;     // the last recorded iteration
    const char* caption;  // the decision figure's caption: a map (2-D) or a curve (1-D)
    const char* output;   // the output unit, the first the backward pass visits
  };
  for (const Case& c :
       {Case{"tutorial_3_step_failures", "59", "score over the input plane", "L1.n1"},
        Case{"tutorial_8_xor", "399", "score over the input plane", "L2.n1"},
        Case{"tutorial_6_bias_moves", "1499", "score along the input", "L2.n1"}}) {
    CAPTURE(c.program);
    const fs::path html = dir.path / (std::string(c.program) + ".html");
    const Run r =
        run_command(fmt::format("{}/examples/{} --out '{}' --html '{}'", GRADFLOW_BINARY_DIR,
                                c.program, dir.path.string(), html.string()));
    REQUIRE(r.status == 0);
    const Page p = dump_dom(chrome, "file://" + html.string() + "#train=last&step=1");
    check_clean(p);
    CHECK(attribute(p.dom, "body", "data-train") == c.last);
    CHECK(attribute(p.dom, "body", "data-step") == "1");
    CHECK(attribute(p.dom, "body", "data-unit") == c.output);
    CHECK(p.dom.find(c.caption) != std::string::npos);
  }
  // The step neuron's page (tutorial 3 writes it beside the sigmoid's): the unit is dead for the
  // whole batch at every iteration, and its loss never moves from 0.75 (3 of 4 wrong, MSE).
  const fs::path step_page = dir.path / "tutorial_3_step_failures_step.html";
  REQUIRE(fs::exists(step_page));
  const Page p = dump_dom(chrome, "file://" + step_page.string() + "#train=30");
  check_clean(p);
  CHECK(element_text(p.dom, "loss-text") == "0.750000000000");
  CHECK(p.dom.find("<li class=\"dead\">L1 (step): 1 of 1 dead (n1).</li>") != std::string::npos);
}

TEST_CASE("training page: a weight below 1% is drawn vanishing, apart from blocked") {
  // One snapshot of a 2-3-1 tanh network whose first weight is 0.004: the product w1 x1 passes
  // x1 only 0.4% of what arrives (its local derivative is w1), so that edge is "vanishing" (≈0),
  // while w1's own edge (local derivative x1) and the second product's edges are not.
  const train::Dataset data = train::make_moons(10, 0.1, 3);
  gf::Graph g;
  nn::MLPOptions no;
  no.hidden = nn::Activation::tanh;
  no.init.seed = 7;
  const nn::MLP net(g, {2, 3, 1}, no);
  std::vector<double> p = net.parameter_values();
  p[0] = 0.004;  // L1.n1.w1
  p[1] = 0.5;    // L1.n1.w2
  p[9] = 0.7;    // L2.n1.w1: L1.n1's output counts
  net.set_parameters(p);
  train::TrainOptions o;
  o.loss = train::Loss::mse;
  o.iterations = 1;
  train::Trainer trainer(g, net, data.size(), o);
  train::RecordOptions ro;
  ro.detail_every = 1;
  train::TrainingRecorder rec(g, net, trainer, data, ro);
  rec.fit();
  REQUIRE(rec.record().snapshots.at(0).params.at(0) == 0.004);
  TempDir dir;
  const fs::path html = dir.path / "vanishing.html";
  gf::write_training_html(html.string(), rec.record());
  REQUIRE(std::abs(data.row(0)[0]) > 0.01);  // x1 of sample 0: w1's edge is not vanishing

  gf::testing::Chromium chrome;
  int products = 0;
  for (const int node : {3, 4}) {  // y, z+b, z, then the two products
    CAPTURE(node);
    const Page page = dump_dom(
        chrome, fmt::format("file://{}#train=0&sample=0&unit=L1.n1&node={}", html.string(), node));
    check_clean(page);
    const auto at = page.dom.find("<tbody id=\"edges-body\">");
    REQUIRE(at != std::string::npos);
    const std::string body = page.dom.substr(at, page.dom.find("</tbody>", at) - at);
    const auto rows = gf::testing::table_rows(page.dom, "edges-body");
    REQUIRE(rows.size() == 2);
    const bool first_product = rows[0][0] == "L1.n1.w1" || rows[1][0] == "L1.n1.w1";
    products += first_product ? 1 : 0;
    // The lit connection: faint and dotted for the first product only.
    const std::regex faint_line("<line[^>]*class=\"[^\"]*lit[^\"]*vanishing");
    CHECK(std::regex_search(page.dom, faint_line) == first_product);
    for (const auto& row : rows) {
      CAPTURE(row[0]);
      const bool is_x1 = first_product && row[0] != "L1.n1.w1";
      CHECK((body.find("<tr class=\"vanishing\"><td>" + row[0] + "</td>") != std::string::npos) ==
            is_x1);
      if (is_x1)
        CHECK(row[1] ==
              "0.004 \xe2\x89\x88"
              "0");
      CHECK(body.find("class=\"blocked\"") == std::string::npos);
    }
  }
  CHECK(products == 1);
}
