#include <gradflow/views/training_data.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <gradflow/engine/diagnostics.hpp>
#include <gradflow/views/look.hpp>

namespace gradflow {
namespace {

using nlohmann::json;

// A number rounded to `digits` significant digits: nlohmann::json prints the shortest text that
// reads back as the rounded double, so 0.123456 costs 8 characters, not 19. JSON has no NaN or
// infinities: those become the strings the page turns back into numbers.
json rounded(double v, int digits = 6) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (v == 0.0) return 0;
  // snprintf and strtod, not to_chars/from_chars: the lab's emscripten (3.1.6) has no floating
  // from_chars. Both round correctly (glibc, musl).
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return std::strtod(buf, nullptr);
}

json rounded_all(const std::vector<double>& v, int digits = 6) {
  json out = json::array();
  for (const double x : v) out.push_back(rounded(x, digits));
  return out;
}

std::string base64(const std::vector<std::uint8_t>& bytes) {
  static constexpr char table[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::uint32_t b0 = bytes[i];
    const std::uint32_t b1 = i + 1 < bytes.size() ? bytes[i + 1] : 0;
    const std::uint32_t b2 = i + 2 < bytes.size() ? bytes[i + 2] : 0;
    const std::uint32_t n = b0 << 16 | b1 << 8 | b2;
    out += table[n >> 18 & 63];
    out += table[n >> 12 & 63];
    out += i + 1 < bytes.size() ? table[n >> 6 & 63] : '=';
    out += i + 2 < bytes.size() ? table[n & 63] : '=';
  }
  return out;
}

// Numbers as little-endian IEEE single precision, in base64: 7 significant digits in 5.3
// characters (the page shows 4).
std::string float32_base64(const std::vector<double>& v) {
  std::vector<std::uint8_t> bytes;
  bytes.reserve(4 * v.size());
  for (const double x : v) {
    const float f = static_cast<float>(x);
    std::uint32_t u = 0;
    std::memcpy(&u, &f, sizeof u);
    for (int k = 0; k < 4; ++k) bytes.push_back(static_cast<std::uint8_t>(u >> (8 * k) & 0xff));
  }
  return base64(bytes);
}

// A map as 8-bit levels between its finite extremes: {"lo", "hi", "b64"}; level k stands for
// lo + (hi - lo) k / 255. A symmetric map (the score) is scaled over [-m, m], so that level
// 127.5 is 0 and the decision boundary keeps its side.
json quantised(const std::vector<double>& v, bool symmetric) {
  double lo = INFINITY, hi = -INFINITY;
  for (const double x : v)
    if (std::isfinite(x)) {
      lo = std::min(lo, x);
      hi = std::max(hi, x);
    }
  if (!(lo <= hi)) lo = hi = 0.0;
  if (symmetric) {
    const double m = std::max(std::abs(lo), std::abs(hi));
    lo = -m;
    hi = m;
  }
  std::vector<std::uint8_t> levels(v.size(), 0);
  if (hi > lo)
    for (std::size_t i = 0; i < v.size(); ++i) {
      const double x = std::isfinite(v[i]) ? v[i] : lo;
      levels[i] = static_cast<std::uint8_t>(std::lround((x - lo) / (hi - lo) * 255.0));
    }
  return {{"lo", rounded(lo)}, {"hi", rounded(hi)}, {"b64", base64(levels)}};
}

json detail_json(const SampleDetail& d, std::map<NodeId, std::string>& labels) {
  json units = json::array();
  for (const auto& nodes : d.units) {
    json list = json::array();
    for (const RecordedNode& n : nodes) {
      labels[n.node] = n.label;
      json edges = json::array();
      for (std::size_t i = 0; i < n.step.edges.size(); ++i) {
        const BackwardEdge& e = n.step.edges[i];
        if (i < n.operand_labels.size()) labels[e.operand] = n.operand_labels[i];
        edges.push_back({e.operand, rounded(e.local_derivative), rounded(e.contribution),
                         rounded(e.grad_after)});
      }
      const bool sat =
          !n.step.edges.empty() && saturated(n.step.op, n.step.edges[0].local_derivative);
      list.push_back({n.node, info(n.step.op).name, rounded(n.step.value), rounded(n.step.upstream),
                      rounded(n.step.passed), std::move(edges), sat, n.step.index});
    }
    units.push_back(std::move(list));
  }
  return {{"sample", d.sample}, {"units", std::move(units)}};
}

// The |gradient| heat scale of views/look.hpp: [at least, colour, pen width] per decade, so that
// the page colours the contribution passed back along a connection as the DOT dumps do.
json heat_table() {
  json out = json::array();
  for (const look::Heat& h : look::heat) out.push_back({h.at_least, h.color, h.width});
  return out;
}

json page_data(const TrainingRecord& r, std::size_t first) {
  json units = json::array();
  for (const RecordedUnit& u : r.units)
    units.push_back({u.name, u.layer, u.index, u.n_inputs, u.first_param, info(u.activation).name});
  json colors = json::object();
  for (const look::ActivationLook& a : look::activations)
    colors[std::string(info(a.op).name)] = {a.color, a.fill};
  std::map<NodeId, std::string> labels;
  json steps = json::array();
  for (std::size_t k = first; k < r.snapshots.size(); ++k) {
    const TrainingSnapshot& s = r.snapshots[k];
    json activity = json::array();
    for (const UnitActivity& a : s.units)
      activity.push_back({rounded(a.mean_pre, 4), rounded(a.mean_out, 4), rounded(a.blocked, 4),
                          rounded(a.saturated, 4), rounded(a.mean_abs_grad, 4)});
    json step{{"it", s.iteration},
              {"loss", rounded(s.loss, 17)},
              {"lossText", fmt::format("{:.12f}", s.loss)},
              {"progress", s.progress},
              {"acc", s.accuracy},
              {"lr", rounded(s.lr, 12)},
              {"p", rounded_all(s.params)},
              {"g", rounded_all(s.grads)},
              {"u", std::move(activity)}};
    if (!s.score_map.empty()) step["map"] = quantised(s.score_map, true);
    if (!s.unit_maps.empty()) {
      json maps = json::array();
      for (const auto& m : s.unit_maps) maps.push_back(quantised(m, false));
      step["umaps"] = std::move(maps);
    }
    if (!s.detail.empty()) {
      json details = json::array();
      for (const SampleDetail& d : s.detail) details.push_back(detail_json(d, labels));
      step["detail"] = std::move(details);
    }
    if (!s.pass_pre.empty())
      step["pass"] = {{"pre", float32_base64(s.pass_pre)}, {"grad", float32_base64(s.pass_grad)}};
    steps.push_back(std::move(step));
  }
  json label_table = json::object();
  for (const auto& [id, label] : labels) label_table[std::to_string(id)] = label;
  json data{{"sizes", r.sizes},
            {"loss", r.loss_name},
            {"units", std::move(units)},
            {"paramNames", r.param_names},
            {"colors", std::move(colors)},
            {"marks",
             {{"blocked", look::blocked.color},
              {"saturated", look::saturated.color},
              {"vanishing", look::vanishing.color}}},
            {"heat", heat_table()},
            {"saturationThreshold", saturation_threshold},
            {"scoreThreshold", r.score_threshold},
            {"targetThreshold", r.target_threshold},
            {"features", r.features},
            {"x", rounded_all(r.x, 5)},
            {"y", rounded_all(r.y, 5)},
            {"labels", std::move(label_table)},
            {"steps", std::move(steps)}};
  if (r.grid >= 2)
    data["grid"] = {{"n", r.grid}, {"x", {r.x_min, r.x_max}}, {"y", {r.y_min, r.y_max}}};
  return data;
}

}  // namespace

std::string training_json(const TrainingRecord& record, std::size_t first) {
  return page_data(record, first).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string sample_detail_json(const SampleDetail& detail) {
  std::map<NodeId, std::string> labels;
  json d = detail_json(detail, labels);
  json label_table = json::object();
  for (const auto& [id, label] : labels) label_table[std::to_string(id)] = label;
  d["labels"] = std::move(label_table);
  return d.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace gradflow
