// The live lab (lab/lab.cpp and web/lab/): its calls checked natively against closed forms,
// finite differences and tutorial_9_moons, then the WebAssembly page in headless Chromium
// against the same calls compiled natively: the same numbers, the same messages.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <gradflow/nn/train.hpp>
#include <lab.hpp>
#include <tutorial/experiments.hpp>

#include "chromium.hpp"

namespace lab = gradflow::lab;
using json = nlohmann::json;

namespace {

double sigmoid(double s) { return 1.0 / (1.0 + std::exp(-s)); }

std::string request(const std::string& act, const std::string& form = "bias", double b = -0.4,
                    const std::string& surrogate = "none") {
  return json{{"x", {1.0, 2.0, 3.0}}, {"w", {0.5, -0.25, 0.2}}, {"b", b}, {"form", form},
              {"act", act},           {"surrogate", surrogate}}
      .dump();
}

json call_neuron(const std::string& q) {
  const json r = json::parse(lab::neuron(q));
  REQUIRE_MESSAGE(!r.contains("error"), r.dump());
  return r;
}

// Final gradient of the node labelled `label`.
double grad_of(const json& r, const std::string& label) {
  for (const auto& n : r["nodes"])
    if (n["label"] == label) return n["grad"].get<double>();
  FAIL("no node " << label);
  return 0;
}

std::string error_of(const std::string& reply) {
  const json r = json::parse(reply);
  return r.contains("error") ? r["error"].get<std::string>() : std::string("<no error>");
}

// The native tutorial_9_moons run: its records (same code as the example, natively).
const gradflow::tutorial::MoonsResult& native_moons() {
  static const auto r = gradflow::tutorial::moons();
  return r;
}

}  // namespace

TEST_CASE("lab: the neuron's values and gradients, in every form, against closed forms") {
  const double s = 0.2, y = sigmoid(s), d = y * (1 - y);  // z = 0.6, b = -0.4
  for (const char* form : {"bias", "threshold", "weight"}) {
    CAPTURE(form);
    const json r = call_neuron(request("sigmoid", form));
    CHECK(r["y"].get<double>() == doctest::Approx(y).epsilon(1e-15));
    CHECK(grad_of(r, "w1") == doctest::Approx(d * 1).epsilon(1e-15));
    CHECK(grad_of(r, "w2") == doctest::Approx(d * 2).epsilon(1e-15));
    CHECK(grad_of(r, "w3") == doctest::Approx(d * 3).epsilon(1e-15));
    CHECK(grad_of(r, "x3") == doctest::Approx(d * 0.2).epsilon(1e-15));
    if (std::string(form) == "threshold")
      CHECK(grad_of(r, "h") == doctest::Approx(-d).epsilon(1e-15));  // y = f(z - h)
    else
      CHECK(grad_of(r, "b") == doctest::Approx(d).epsilon(1e-15));
    // The three forms print the same y: the tutorial's "same neuron, same outputs".
    CHECK(r["forms"]["threshold"].get<double>() == doctest::Approx(y).epsilon(1e-15));
    CHECK(r["forms"]["weight"].get<double>() == doctest::Approx(y).epsilon(1e-15));
    // Steps: every node reaching y, root first; the last step's edges hold the final gradients.
    CHECK(r["steps"].size() == r["nodes"].size());  // every node of the neuron reaches y
    CHECK(r["steps"][0]["node"] == r["root"]);
    CHECK(r["steps"][0]["upstream"].get<double>() == 1.0);
  }
  const double t = std::tanh(0.2);
  CHECK(grad_of(call_neuron(request("tanh")), "b") == doctest::Approx(1 - t * t).epsilon(1e-15));
  CHECK(grad_of(call_neuron(request("relu")), "w3") == 3.0);
  CHECK(grad_of(call_neuron(request("step")), "w3") == 0.0);  // blocked
  CHECK(grad_of(call_neuron(request("step", "bias", -0.4, "straight-through")), "w3") == 3.0);
  CHECK(grad_of(call_neuron(request("step", "bias", -0.4, "sigmoid")), "b") ==
        doctest::Approx(d).epsilon(1e-15));
}

TEST_CASE("lab: dy/db against a central difference of the lab's own y") {
  for (const char* act : {"sigmoid", "tanh", "relu"}) {
    for (const double b : {-2.0, -0.4, 0.7}) {
      CAPTURE(act);
      CAPTURE(b);
      const double h = 1e-6;
      const double up = call_neuron(request(act, "bias", b + h))["y"].get<double>();
      const double down = call_neuron(request(act, "bias", b - h))["y"].get<double>();
      CHECK(grad_of(call_neuron(request(act, "bias", b)), "b") ==
            doctest::Approx((up - down) / (2 * h)).epsilon(1e-6));
    }
  }
}

TEST_CASE("lab: bad neuron fields are refused with a message naming the field") {
  CHECK(error_of(lab::neuron(R"({"x":[1,2],"w":[1,2,3],"b":0})")) == "x: expected 3 numbers");
  CHECK(error_of(lab::neuron(R"({"x":[1,2,3],"w":[1,"a",3],"b":0})")) ==
        R"(w2: '"a"' is not a number)");
  CHECK(error_of(lab::neuron(R"({"x":[1,2,3],"w":[1,2,3],"b":1e7})")) ==
        "b: 10000000 is outside [-1000000, 1000000]");
  CHECK(error_of(lab::neuron(R"({"x":[1,2,3],"w":[1,2,3],"b":0,"act":"softmax"})")) ==
        "act: 'softmax' is not one of step, sigmoid, tanh, relu");
  CHECK(error_of(lab::neuron("not json")).find("parse error") != std::string::npos);
}

TEST_CASE("lab: the moons preset is tutorial_9_moons's run, step for step") {
  REQUIRE(error_of(lab::network_reset(R"({"preset":"moons"})")) == "<no error>");
  const json r = json::parse(lab::network_train(100));
  REQUIRE(r["records"].size() == 100);
  const auto& native = native_moons().records;
  for (std::size_t k = 0; k < 100; ++k) {
    CHECK(r["records"][k]["loss"].get<double>() == native[k].loss);
    CHECK(r["records"][k]["line"].get<std::string>() == gradflow::train::progress_line(native[k]));
  }
  const json v = json::parse(lab::network_view(20));
  CHECK(v["steps"] == 100);
  REQUIRE(v["layers"].size() == 3);
  CHECK(v["layers"][0].size() == 16);
  CHECK(v["layers"][2][0]["w"].size() == 16);
  CHECK(v["map"].size() == 400);
  for (const auto& unit : v["layers"][0]) CHECK(unit["batch"] == 100);
}

TEST_CASE("lab: a learning rate that explodes names where the numbers stopped being finite") {
  REQUIRE(error_of(lab::network_reset(
              R"({"data":"curve","points":40,"lr":50,"lr_drop":0,"layers":[8],"act":"tanh"})")) ==
          "<no error>");
  const json r = json::parse(lab::network_train(200));
  REQUIRE(r.contains("diverged"));
  const std::string why = r["diverged"];
  // Every value stays finite here (tanh bounds the hidden layer) until the batch mean overflows.
  CHECK(std::regex_search(why,
                          std::regex("^the batch loss overflowed; the largest value is "
                                     "'?[^ ]+'? = [0-9.e+]+ \\(op [a-z_]+\\) in sample [0-9]+$")));
  const json& last = r["records"].back();
  CHECK(last["loss"].is_string());  // "NaN" or "Infinity": JSON has no such numbers
}

TEST_CASE("lab: one sample's backward pass per unit, against the chain rule at each unit") {
  REQUIRE(error_of(lab::network_reset(R"({"preset":"moons"})")) == "<no error>");
  REQUIRE(error_of(lab::network_train(20)) == "<no error>");
  const json r = json::parse(lab::network_sample(7));
  REQUIRE_MESSAGE(!r.contains("error"), r.dump());
  REQUIRE(r["units"].size() == 33);
  const double score = r["score"].get<double>(), target = r["target"].get<double>();
  for (const auto& u : r["units"]) {
    CAPTURE(u.dump());
    const double pre = u["pre"].get<double>(), out = u["out"].get<double>();
    CHECK(out == std::max(0.0, pre) * (u["act"] == "relu") + pre * (u["act"] == "identity"));
    // d loss / d(z+b) = d loss / d y * f'(z+b), f' = 1 or 0 for relu and 1 for the output.
    const double slope = u["act"] == "relu" ? (pre > 0 ? 1.0 : 0.0) : 1.0;
    CHECK(u["slope"].get<double>() == slope);
    CHECK(u["grad_pre"].get<double>() == u["grad_out"].get<double>() * slope);
    if (u["name"] == "L3.n1") {
      // hinge: loss = relu(1 - t s) + L2; d loss / d s = -t where 1 - t s > 0, else 0.
      CHECK(u["grad_out"].get<double>() == (1 - target * score > 0 ? -target : 0.0));
    }
  }
  // The backward pass reaches the output unit before every hidden one.
  long first_hidden = 1L << 40, output = -1;
  for (const auto& u : r["units"]) {
    if (u["name"] == "L3.n1")
      output = u["step"];
    else if (u["step"].get<long>() >= 0)
      first_hidden = std::min(first_hidden, u["step"].get<long>());
  }
  CHECK(output >= 0);
  CHECK(output < first_hidden);
  CHECK(error_of(lab::network_sample(100)) == "sample: 100 is outside [0, 99]");
}

TEST_CASE("lab: bad network settings are refused with a message naming the setting") {
  CHECK(error_of(lab::network_reset(R"({"layers":[16,0]})")) == "layers: 0 is outside [1, 64]");
  CHECK(error_of(lab::network_reset(R"({"data":"spiral"})")) ==
        "data: 'spiral' is not one of moons, xor, circles, curve");
  CHECK(error_of(lab::network_reset(R"({"lr":1,"lr_drop":2})")) ==
        "lr_drop: 2 would make the rate negative (lr is 1)");
  CHECK(error_of(lab::network_reset(R"({"batch":500})")) ==
        "batch: 500 is more than the 100 points");
  REQUIRE(error_of(lab::network_reset(R"({"data":"xor"})")) == "<no error>");
  CHECK(error_of(lab::network_train(0)) == "steps: 0 is outside [1, 100000]");
  CHECK(error_of(lab::network_view(1)) == "grid: 1 is outside [2, 200]");
}

TEST_CASE("lab: a long run keeps at most 500 snapshots, the whole run thinned, the newest exact") {
  // 3000 steps at one snapshot a step would be 3000; the cap is 500: the newest 250 every step,
  // the older 0 .. 2749 at the smallest power-of-2 stride s with 2750 / s + 1 + 250 <= 500, 16.
  REQUIRE(error_of(lab::network_reset(R"({"preset":"moons"})")) == "<no error>");
  const json t = json::parse(lab::network_train(3000));
  REQUIRE(t["records"].size() == 3000);
  const json r = json::parse(lab::network_record(0));
  REQUIRE_MESSAGE(!r.contains("error"), r.dump().substr(0, 300));
  const auto& steps = r["steps"];
  CHECK(steps.size() <= 500);
  CHECK(steps.size() > 250);
  REQUIRE(r.contains("kept"));  // thinned since the last call: the iterations kept
  REQUIRE(r["kept"].size() == steps.size());
  CHECK(steps[0]["it"] == 0);
  int before = -1, widest = 0;
  for (std::size_t k = 0; k < steps.size(); ++k) {
    const int it = steps[k]["it"];
    CHECK(r["kept"][k] == it);
    CHECK(it > before);
    widest = std::max(widest, it - before);
    before = it;
  }
  CHECK(widest <= 16);
  for (std::size_t k = steps.size() - 250; k < steps.size(); ++k)
    CHECK(steps[k]["it"] == 2750 + static_cast<int>(k - (steps.size() - 250)));
  // The newest snapshot is the last step, its loss exactly.
  const json& last = t["records"][2999];
  CHECK(steps.back()["it"] == 2999);
  CHECK(steps.back()["loss"].get<double>() == last["loss"].get<double>());
  CHECK(steps.back()["progress"] == last["line"]);
  // A step is asked for by iteration: a kept one answers, a thinned one is refused by name.
  CHECK(error_of(lab::network_detail(5, 16)) == "<no error>");
  CHECK(error_of(lab::network_detail(5, 2999)) == "<no error>");
  CHECK(error_of(lab::network_detail(5, 17)).find("step: iteration 17 is not one of the") == 0);
  CHECK(error_of(lab::network_record(3001)).find("first: 3001 is outside [0, 3000]") == 0);
}

TEST_CASE("lab: a page that mirrors network_record's thinning holds exactly the engine's steps") {
  // As web/lab/app.js: train in chunks, ask for the steps after the last one held, drop those
  // not in "kept" when it comes. In the end the page holds the engine's steps, by iteration.
  REQUIRE(error_of(lab::network_reset(R"({"preset":"moons"})")) == "<no error>");
  std::vector<int> page;
  std::vector<double> losses;
  int thinned = 0;
  for (int chunk = 0; chunk < 40; ++chunk) {
    REQUIRE(json::parse(lab::network_train(37))["records"].size() == 37);
    const json r = json::parse(lab::network_record(page.empty() ? 0 : page.back() + 1));
    REQUIRE(!r.contains("error"));
    if (r.contains("kept")) {
      ++thinned;
      std::vector<int> kept = r["kept"].get<std::vector<int>>();
      std::erase_if(page,
                    [&](int it) { return !std::binary_search(kept.begin(), kept.end(), it); });
    }
    for (const auto& s : r["steps"]) page.push_back(s["it"]);
    CHECK(page.size() <= 500);
  }
  CHECK(thinned > 0);
  const json all = json::parse(lab::network_record(0));
  std::vector<int> engine;
  for (const auto& s : all["steps"]) engine.push_back(s["it"]);
  CHECK(page == engine);
  CHECK(page.back() == 40 * 37 - 1);
}

#ifdef GRADFLOW_LAB_HTML

namespace {

using gradflow::testing::attribute;
using gradflow::testing::Browser;
using gradflow::testing::element_text;
using gradflow::testing::table_rows;

const std::string lab_url = std::string("file://") + GRADFLOW_LAB_HTML;

void check_clean(const Browser::Page& p) {
  INFO("browser log:\n" << p.log);
  CHECK(p.log.find("CONSOLE") == std::string::npos);
  CHECK(p.ready);
  CHECK(attribute(p.dom, "body", "data-status") == "ready");
  CHECK_FALSE(std::regex_search(p.dom, std::regex("<html[^>]*data-errors")));
}

// Every drawn node's data-value and data-grad, by id.
std::map<int, std::pair<double, double>> drawn_nodes(const std::string& dom) {
  std::map<int, std::pair<double, double>> out;
  const std::regex re(
      R"re(id="n(\d+)" transform="[^"]*" data-value="([^"]*)" data-grad="([^"]*)")re");
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), re); it != std::sregex_iterator();
       ++it)
    out[std::stoi((*it)[1])] = {std::stod((*it)[2]), std::stod((*it)[3])};
  return out;
}

}  // namespace

TEST_CASE("lab page: the file is self-contained and at most 3 MB") {
  const std::string page = gradflow::testing::read_file(GRADFLOW_LAB_HTML);
  CHECK(page.size() < 3'000'000);
  CHECK(page.find("<script src") == std::string::npos);
  CHECK(page.find("<link") == std::string::npos);
  for (const char* mark : {"{{error_trap_js}}", "{{style_css}}", "{{lab_js}}", "{{app_js}}"})
    CHECK(page.find(mark) == std::string::npos);
  CHECK(page.find("data:application/octet-stream;base64,") != std::string::npos);  // the wasm
}

TEST_CASE("lab page: neuron mode shows the values and gradients the native engine computes") {
  Browser chrome;
  for (const char* act : {"step", "sigmoid", "tanh", "relu"}) {
    for (const char* form : {"bias", "threshold"}) {
      CAPTURE(act);
      CAPTURE(form);
      const double b = 0.3;
      const auto p = chrome.load(fmt::format(
          "{}#mode=neuron&x1=1.5&x2=-2&x3=0.25&w1=0.8&w2=0.1&w3=-1.2&b={}&act={}&form={}", lab_url,
          b, act, form));
      check_clean(p);
      const json native = call_neuron(json{
          {"x", {1.5, -2.0, 0.25}}, {"w", {0.8, 0.1, -1.2}}, {"b", b}, {"act", act}, {"form", form}}
                                          .dump());
      const auto drawn = drawn_nodes(p.dom);
      REQUIRE(drawn.size() == native["nodes"].size());
      for (const auto& n : native["nodes"]) {
        const int id = n["id"];
        CAPTURE(id);
        CHECK(drawn.at(id).first == doctest::Approx(n["value"].get<double>()).epsilon(1e-14));
        CHECK(drawn.at(id).second == doctest::Approx(n["grad"].get<double>()).epsilon(1e-14));
      }
      CHECK(std::stod(attribute(p.dom, "body", "data-y")) ==
            doctest::Approx(native["y"].get<double>()).epsilon(1e-14));
    }
  }
}

TEST_CASE("lab page: #step=N opens at that backward step, and keys, buttons and clicks move it") {
  Browser chrome;
  // The bias form has 13 steps: y, z+b, b, z, w3*x3, x3, w3, ... x1 is node 0, step 13.
  const auto p = chrome.load(lab_url + "#mode=neuron&act=sigmoid&step=4&selftest");
  check_clean(p);
  // ArrowLeft twice from step 4, first, ArrowRight, last, a click on x1 (node 0: step 13); the
  // activation switched to relu gives y = relu(0.2); a bad w1 shows the message box.
  const double relu_y = ((0.5 * 1 + -0.25 * 2) + 0.2 * 3) + -0.4;  // the engine's order of sums
  CHECK(element_text(p.dom, "selftest") ==
        fmt::format("s3 s2 s1 s2 s13 s13 y={} message", relu_y));  // shortest round trip, as JS
  CHECK(p.dom.find("w1: \xe2\x80\x98"
                   "abc\xe2\x80\x99 is not a number") != std::string::npos);
}

TEST_CASE("lab page: a bad field in the URL is refused with a message, the rest still works") {
  Browser chrome;
  const auto p = chrome.load(lab_url + "#mode=neuron&w1=abc&b=0.5");
  check_clean(p);
  CHECK(std::regex_search(
      p.dom, std::regex("id=\"message\" role=\"alert\">w1: .{1,3}abc.{1,3} is not a number")));
  // b = 0.5 was taken: z + b = 0.6 + 0.5.
  CHECK(std::stod(attribute(p.dom, "body", "data-y")) ==
        doctest::Approx(sigmoid(1.1)).epsilon(1e-14));
}

TEST_CASE("lab page: #preset=moons&steps=100 shows tutorial_9_moons's step 99") {
  Browser chrome;
  const auto p = chrome.load(lab_url + "#preset=moons&steps=100");
  check_clean(p);
  const auto& last = native_moons().records.back();
  CHECK(element_text(p.dom, "status-line") == gradflow::train::progress_line(last));
  CHECK(std::stod(attribute(p.dom, "body", "data-loss")) ==
        doctest::Approx(last.loss).epsilon(1e-9));
  CHECK(attribute(p.dom, "body", "data-mode") == "network");
  CHECK(p.dom.find("data-unit=\"L1.n1\"") != std::string::npos);  // the network is drawn
  CHECK(attribute(p.dom, "body", "data-train") == "99");          // the timeline at the last step
}

TEST_CASE("lab page: network mode's buttons, a unit click and the edge toggle work") {
  Browser chrome;
  const auto p = chrome.load(lab_url + "#preset=moons&steps=3&selftest");
  INFO("browser log:\n" << p.log);
  CHECK(p.log.find("CONSOLE") == std::string::npos);
  CHECK(p.ready);
  // One step after the link's 3 (the timeline at step 3); a click on unit L1.n1 lists its 5
  // primitive nodes (y, z+b, z, two muls) at its place in the pass (step 399 of 403, as on the
  // training page); edges by gradient; a click on data point 5 walks that sample's pass (from
  // the engine) at step 3; n moves to the next node; reset to 2-4-1 (17 parameters, no step
  // yet); a learning rate 'fast' refused with the message box.
  const std::string t = element_text(p.dom, "selftest");
  CHECK(t ==
        "k4 it=3 | L1.n1 rows=5 step=399 | by-grad | sample5 L1.n1 rows=5 step=399 note | L1.n1 "
        "rows=5 step=400 | p17 k0 | message");
  CHECK(std::regex_search(p.dom, std::regex("lr: .{1,3}fast.{1,3} is not a number")));
}

TEST_CASE("lab page: an exploding learning rate shows where the numbers stopped being finite") {
  Browser chrome;
  const auto p = chrome.load(
      lab_url + "#mode=network&data=curve&points=40&lr=50&lr_drop=0&layers=8&act=tanh&steps=200");
  check_clean(p);
  CHECK(p.dom.find("The loss is no longer a number at step") != std::string::npos);
  CHECK(std::regex_search(p.dom, std::regex("first non-finite value|the batch loss overflowed")));
}

TEST_CASE("lab page: the timeline shows step K's loss as native, and any sample's pass at K") {
  // The native lab after K = 7 steps holds step 7's parameters (the ones its loss is computed
  // with); network_sample() is that sample's backward pass there, through the engine's Stepper.
  // Pick a sample from row 37 on and a unit of layer 2 active for it whose gradient is not 0.
  const int K = 7;
  REQUIRE(lab::network_reset(R"({"preset":"moons"})").find("error") == std::string::npos);
  REQUIRE(json::parse(lab::network_train(K))["records"].size() == K);
  json native;
  const json* unit = nullptr;
  int sample = 37;
  for (; sample < 100 && !unit; ++sample) {
    native = json::parse(lab::network_sample(sample));
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
  Browser chrome;
  const auto p = chrome.load(fmt::format(
      "{}#preset=moons&steps=12&train={}&sample={}&unit={}&node=0", lab_url, K, sample, name));
  check_clean(p);
  CHECK(attribute(p.dom, "body", "data-train") == std::to_string(K));
  CHECK(element_text(p.dom, "loss-text") == fmt::format("{:.12f}", native_moons().records[K].loss));
  CHECK(attribute(p.dom, "body", "data-sample") == std::to_string(sample));
  CHECK(attribute(p.dom, "body", "data-unit") == name);
  CHECK(element_text(p.dom, "detail-note")
            .find(fmt::format("Sample #{}'s backward pass at iteration {}", sample, K)) == 0);
  // The unit's primitive nodes: y, z+b, z and 16 products; y's value and gradient, z+b's, as
  // the page writes them (4 significant digits).
  const auto rows = table_rows(p.dom, "nodes-body");
  REQUIRE(rows.size() == 19);
  REQUIRE(rows[0].size() == 4);
  CHECK(rows[0][0] == name + ".y");
  CHECK(rows[1][0] == name + ".z+b");
  CHECK(std::stod(rows[0][2]) == doctest::Approx((*unit)["out"].get<double>()).epsilon(1e-3));
  CHECK(std::stod(rows[0][3]) == doctest::Approx((*unit)["grad_out"].get<double>()).epsilon(1e-3));
  CHECK(std::stod(rows[1][2]) == doctest::Approx((*unit)["pre"].get<double>()).epsilon(1e-3));
  CHECK(std::stod(rows[1][3]) == doctest::Approx((*unit)["grad_pre"].get<double>()).epsilon(1e-3));
}

TEST_CASE(
    "lab page: a long play keeps at most 500 steps, ends at the last, and thinned steps work") {
  // The native lab after 1500 steps: the steps it keeps (RecordOptions::cap), iteration 901
  // among the thinned (stride 8 below the newest 250 by then).
  REQUIRE(error_of(lab::network_reset(R"({"preset":"moons"})")) == "<no error>");
  const json t = json::parse(lab::network_train(1500));
  REQUIRE(t["records"].size() == 1500);
  const json all = json::parse(lab::network_record(0));
  std::vector<int> kept;
  for (const auto& s : all["steps"]) kept.push_back(s["it"]);
  REQUIRE(kept.size() <= 500);
  REQUIRE(!std::binary_search(kept.begin(), kept.end(), 901));
  // The link opens at train=901 before it is thinned (the first 1000 steps run in one chunk);
  // the timeline then stays on the latest kept iteration before it.
  const int shown = *std::prev(std::upper_bound(kept.begin(), kept.end(), 901));
  Browser chrome;
  const auto p =
      chrome.load(lab_url + "#preset=moons&steps=1500&train=901&sample=5&unit=L1.n1&node=0");
  check_clean(p);
  CHECK(attribute(p.dom, "body", "data-kept") == std::to_string(kept.size()));
  CHECK(element_text(p.dom, "status-line") == t["records"][1499]["line"].get<std::string>());
  CHECK(std::stod(attribute(p.dom, "body", "data-loss")) ==
        doctest::Approx(t["records"][1499]["loss"].get<double>()).epsilon(1e-9));
  CHECK(attribute(p.dom, "body", "data-train") == std::to_string(shown));
  CHECK(element_text(p.dom, "loss-text") ==
        fmt::format("{:.12f}", t["records"][shown]["loss"].get<double>()));
  // Sample 5's pass at that step, asked from the engine by iteration: L1.n1's 5 nodes.
  CHECK(attribute(p.dom, "body", "data-sample") == "5");
  CHECK(element_text(p.dom, "detail-note")
            .find(fmt::format("Sample #5's backward pass at iteration {}", shown)) == 0);
  const auto rows = table_rows(p.dom, "nodes-body");
  REQUIRE(rows.size() == 5);
  CHECK(rows[0][0] == "L1.n1.y");
}

TEST_CASE("lab page: lang=zh shows the lab and network mode's view in Chinese") {
  Browser chrome;
  const auto p = chrome.load(lab_url + "#preset=moons&steps=3&lang=zh", "1024,700");
  check_clean(p);
  CHECK(p.dom.find("<html lang=\"zh-CN\"") != std::string::npos);
  CHECK(element_text(p.dom, "mode-network") == "\xe7\xbd\x91\xe7\xbb\x9c");  // 网络
  CHECK(element_text(p.dom, "one") == "\xe5\x8d\x95\xe6\xad\xa5");           // 单步
  CHECK(p.dom.find("\xe6\x8d\x9f\xe5\xa4\xb1\xe4\xb8\x8e\xe5\x87\x86\xe7\xa1\xae\xe7\x8e\x87") !=
        std::string::npos);  // 损失与准确率: the training view's heading
  CHECK(element_text(p.dom, "lang-switch") == "English");
  CHECK(element_text(p.dom, "loss-text") ==
        fmt::format("{:.12f}", native_moons().records[2].loss));  // the numbers as in English
}

#endif
