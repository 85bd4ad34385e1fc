// The live lab's engine: gradflow compiled to WebAssembly (emscripten), called by the page in
// web/lab/. Every call takes and returns JSON text, so that a C++ exception reaches the page as
// its message ({"error": "..."}) instead of as a number, and the page never sees a half state.
//
//   neuron(request)        the tutorial's neuron in one of three equivalent forms, forward and
//                          backward: every node's value and gradient, every edge's local
//                          derivative and contribution, and the backward pass step by step
//   network_reset(config)  a data set and an MLP trained by a train::Trainer (the Executor)
//   network_train(steps)   runs that many SGD steps; returns each step's record
//   network_view(grid)     weights, biases, gradients, unit activity and the decision map
//   network_sample(s)      one sample's backward pass at the current parameters, per unit
//   network_record(first)  the kept steps from iteration `first` on, as the training page's JSON
//                          (views/training_data.hpp): the lab draws them with web/training's view;
//                          after a thinning (below) also "kept": the iterations still kept
//   network_detail(s, k)   sample s's backward pass through every unit's primitive nodes with
//                          the parameters of iteration k, as one entry of that JSON's "detail"
//
// Snapshots are kept for at most kSnapshots steps (params, grads, maps: a page left playing for
// minutes must not grow without bound): past that the older ones are thinned (RecordOptions::cap)
// and the page drops those no longer kept; both sides address steps by iteration number.
//
// The page's own checks refuse bad fields first; these functions check again and throw
// UsageError naming the field, so a caller that skips the page gets the same messages.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <gradflow/engine/diagnostics.hpp>
#include <gradflow/engine/stepper.hpp>
#include <gradflow/graph/graph.hpp>
#include <gradflow/nn/datasets.hpp>
#include <gradflow/nn/nn.hpp>
#include <gradflow/nn/record.hpp>
#include <gradflow/nn/train.hpp>
#include <gradflow/ops/errors.hpp>
#include <gradflow/views/training_data.hpp>

#ifdef __EMSCRIPTEN__
#include <emscripten/bind.h>
#endif

#include "lab.hpp"

namespace gradflow::lab {

namespace {

using json = nlohmann::json;

// A JSON number: finite, non-finite values written as the strings the page turns back.
json number(double v) {
  if (std::isfinite(v)) return v;
  if (std::isnan(v)) return "NaN";
  return v > 0 ? "Infinity" : "-Infinity";
}

// ---- reading requests ---------------------------------------------------------------------------

double read_number(const json& q, std::string_view key, double lo, double hi) {
  const auto it = q.find(key);
  if (it == q.end()) throw UsageError(fmt::format("{}: missing", key));
  if (!it->is_number()) throw UsageError(fmt::format("{}: '{}' is not a number", key, it->dump()));
  const double v = it->get<double>();
  if (!std::isfinite(v) || v < lo || v > hi)
    throw UsageError(fmt::format("{}: {} is outside [{}, {}]", key, v, lo, hi));
  return v;
}

double read_number(const json& q, std::string_view key, double lo, double hi, double fallback) {
  return q.contains(key) ? read_number(q, key, lo, hi) : fallback;
}

std::string read_choice(const json& q, std::string_view key,
                        std::initializer_list<std::string_view> choices,
                        std::string_view fallback) {
  const auto it = q.find(key);
  if (it == q.end()) return std::string(fallback);
  if (it->is_string())
    for (const auto c : choices)
      if (it->get<std::string>() == c) return std::string(c);
  std::string known;
  for (const auto c : choices) known += fmt::format("{}{}", known.empty() ? "" : ", ", c);
  throw UsageError(fmt::format("{}: '{}' is not one of {}", key,
                               it->is_string() ? it->get<std::string>() : it->dump(), known));
}

std::vector<double> read_array(const json& q, std::string_view key, std::size_t n, double lo,
                               double hi) {
  const auto it = q.find(key);
  if (it == q.end() || !it->is_array() || it->size() != n)
    throw UsageError(fmt::format("{}: expected {} numbers", key, n));
  std::vector<double> out;
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(read_number(json{{fmt::format("{}{}", key, i + 1), (*it)[i]}},
                              fmt::format("{}{}", key, i + 1), lo, hi));
  return out;
}

// ---- the neuron ---------------------------------------------------------------------------------

json node_json(const Graph& g, const Stepper& s, NodeId id) {
  const Node n = g.node(id);
  json operands = json::array();
  for (std::size_t k = 0; k < n.operand_count(); ++k) operands.push_back(n.operand(k).id());
  const OpInfo& op = info(n.op());
  return {{"id", id},
          {"label", n.label()},
          {"op", op.name},
          {"symbol", op.symbol},
          {"activation", op.activation},
          {"kind", n.kind() == NodeKind::input       ? "input"
                   : n.kind() == NodeKind::parameter ? "parameter"
                   : n.kind() == NodeKind::constant  ? "constant"
                                                     : "op"},
          {"value", number(n.value())},
          {"grad", number(s.index_of(id) == Stepper::npos ? 0.0 : s.gradients()[id])},
          {"reached", s.index_of(id) != Stepper::npos},
          {"operands", operands}};
}

json step_json(const BackwardStep& st) {
  json edges = json::array();
  for (const auto& e : st.edges)
    edges.push_back({{"slot", e.slot},
                     {"operand", e.operand},
                     {"local", number(e.local_derivative)},
                     {"contribution", number(e.contribution)},
                     {"before", number(e.grad_before)},
                     {"after", number(e.grad_after)}});
  return {{"node", st.node}, {"upstream", number(st.upstream)}, {"edges", edges}};
}

}  // namespace

NeuronRequest NeuronRequest::from_json(const std::string& text) {
  const json q = json::parse(text);
  NeuronRequest r;
  const auto x = read_array(q, "x", 3, -1e6, 1e6), w = read_array(q, "w", 3, -1e6, 1e6);
  for (std::size_t i = 0; i < 3; ++i) {
    r.x[i] = x[i];
    r.w[i] = w[i];
  }
  r.b = read_number(q, "b", -1e6, 1e6);
  r.form = read_choice(q, "form", {"bias", "threshold", "weight"}, "bias");
  r.activation = read_choice(q, "act", {"step", "sigmoid", "tanh", "relu"}, "sigmoid");
  r.surrogate = read_choice(q, "surrogate", {"none", "sigmoid", "straight-through"}, "none");
  return r;
}

Node build_neuron(Graph& g, const NeuronRequest& r, std::string_view form) {
  if (r.surrogate == "sigmoid") g.conventions().step_gradient = StepGradient::sigmoid_surrogate;
  if (r.surrogate == "straight-through")
    g.conventions().step_gradient = StepGradient::straight_through;
  std::vector<Node> terms;
  for (std::size_t i = 0; i < 3; ++i) {
    const Node x = g.input(fmt::format("x{}", i + 1), r.x[i]);
    const Node w = g.parameter(fmt::format("w{}", i + 1), r.w[i]);
    terms.push_back((w * x).named(fmt::format("w{0}*x{0}", i + 1)));
  }
  Node s;
  if (form == "threshold") {  // f(z - h): the McCulloch-Pitts threshold h = -b
    const Node z = sum(terms).named("z");
    s = (z - g.parameter("h", -r.b)).named("z-h");
  } else if (form == "weight") {  // b as the weight on a constant input 1
    const Node one = g.input("1", 1.0);
    terms.push_back((g.parameter("b", r.b) * one).named("b*1"));
    s = sum(terms).named("z+b");
  } else {  // f(z + b)
    const Node z = sum(terms).named("z");
    s = bias(z, g.parameter("b", r.b)).named("z+b");
  }
  return g.apply(nn::op_of(nn::parse_activation(r.activation)), {s}).named("y");
}

std::string neuron(const std::string& request) {
  try {
    const NeuronRequest r = NeuronRequest::from_json(request);
    Graph g;
    g.set_check_finite(true);
    const Node y = build_neuron(g, r, r.form);
    Stepper all(g, y);
    all.jump(all.size() - 1);  // at the last step: the complete gradients
    const Stepper s(g, y);
    json nodes = json::array();
    for (NodeId id = 0; id < g.size(); ++id) nodes.push_back(node_json(g, all, id));
    json steps = json::array();
    for (std::size_t k = 0; k < s.size(); ++k) steps.push_back(step_json(s.at(k)));
    json forms = json::object();
    for (const char* f : {"threshold", "bias", "weight"}) {
      Graph other;
      forms[f] = number(build_neuron(other, r, f).value());
    }
    std::vector<std::string> findings;
    for (const auto& f : explain(diagnose(all))) findings.push_back(f.text);
    return json{{"y", number(y.value())}, {"root", y.id()}, {"nodes", nodes},
                {"steps", steps},         {"forms", forms}, {"findings", findings}}
        .dump();
  } catch (const std::exception& e) {
    return json{{"error", e.what()}}.dump();
  }
}

// ---- the network --------------------------------------------------------------------------------

namespace {

struct Network {
  NetworkConfig config;
  train::Dataset data;
  Graph g;
  std::unique_ptr<nn::MLP> net;
  std::unique_ptr<train::Trainer> trainer;
  // Records every step for the training view (web/training/app.js): the page asks for the steps
  // it has not seen (network_record) and for any sample's backward pass (network_detail).
  std::unique_ptr<train::TrainingRecorder> recorder;
  std::size_t thinnings_sent = 0;  // the recorder's thinnings() the page was last told of
  int steps = 0;
};

// The recorder's cap: the newest 250 steps every one, the older ones thinned.
constexpr std::size_t kSnapshots = 500;

// The index of the first snapshot at iteration `it` or later (the record's size if none).
std::size_t first_at(const TrainingRecord& r, int it) {
  const auto& v = r.snapshots;
  return static_cast<std::size_t>(
      std::lower_bound(v.begin(), v.end(), it,
                       [](const TrainingSnapshot& s, int i) { return s.iteration < i; }) -
      v.begin());
}

std::unique_ptr<Network>& network() {
  static std::unique_ptr<Network> n;
  return n;
}

Network& current() {
  if (!network()) throw UsageError("no network: call network_reset first");
  return *network();
}

// Where a diverged run went wrong: the first node of the last batch's graph (in id order, so
// operands before the ops that read them) holding inf or NaN; if there is none, the batch mean
// overflowed, and the node with the largest magnitude is named.
std::string divergence(const Network& n) {
  const Executor& ex = n.trainer->executor();
  const Graph& g = n.g;
  double largest = 0.0;
  NodeId largest_id = 0;
  std::size_t largest_sample = 0;
  for (std::size_t s = 0; s < n.trainer->batch_size(); ++s)
    for (NodeId id = 0; id < g.size(); ++id) {
      const Node node = g.node(id);
      const double v = ex.value(node, s);
      if (!std::isfinite(v))
        return fmt::format("the first non-finite value is {} = {} (op {}) in sample {}",
                           node.label(), v, info(node.op()).name, s + 1);
      if (std::abs(v) > largest) {
        largest = std::abs(v);
        largest_id = id;
        largest_sample = s;
      }
    }
  // Every value finite, yet the batch loss is not: the mean over the batch overflowed.
  const Node node = g.node(largest_id);
  return fmt::format(
      "the batch loss overflowed; the largest value is {} = {:.3g} (op {}) in sample {}",
      node.label(), ex.value(node, largest_sample), info(node.op()).name, largest_sample + 1);
}

}  // namespace

NetworkConfig NetworkConfig::from_json(const std::string& text) {
  const json q = json::parse(text);
  NetworkConfig c;
  c.preset = read_choice(q, "preset", {"none", "moons"}, "none");
  if (c.preset == "moons") return c;  // tutorial_9_moons exactly: the defaults below
  c.data = read_choice(q, "data", {"moons", "xor", "circles", "curve"}, "moons");
  c.points = static_cast<std::size_t>(read_number(q, "points", 4, 2000, 100));
  c.noise = read_number(q, "noise", 0, 1, c.data == "moons" ? 0.1 : 0.05);
  c.seed = static_cast<std::uint32_t>(read_number(q, "seed", 0, 4294967295.0, 1));
  if (q.contains("layers")) {
    const auto& l = q["layers"];
    if (!l.is_array() || l.empty() || l.size() > 6)
      throw UsageError(fmt::format("layers: '{}' is not 1 to 6 hidden layer sizes", l.dump()));
    c.hidden.clear();
    for (std::size_t i = 0; i < l.size(); ++i)
      c.hidden.push_back(
          static_cast<std::size_t>(read_number(json{{"layers", l[i]}}, "layers", 1, 64)));
  }
  c.activation = read_choice(q, "act", {"relu", "tanh", "sigmoid", "identity"}, "relu");
  c.lr = read_number(q, "lr", 1e-6, 100, 1.0);
  c.lr_drop = read_number(q, "lr_drop", 0, 100, 0.9 * c.lr);
  if (c.lr_drop > c.lr)
    throw UsageError(
        fmt::format("lr_drop: {} would make the rate negative (lr is {})", c.lr_drop, c.lr));
  c.schedule = static_cast<int>(read_number(q, "schedule", 1, 1e6, 100));
  c.batch = static_cast<std::size_t>(read_number(q, "batch", 0, 2000, 0));
  c.l2 = read_number(q, "l2", 0, 10, 1e-4);
  c.init_seed = static_cast<std::uint32_t>(read_number(q, "init_seed", 0, 4294967295.0, 1));
  return c;
}

std::string network_reset(const std::string& config) {
  try {
    auto n = std::make_unique<Network>();
    n->config = NetworkConfig::from_json(config);
    const NetworkConfig& c = n->config;
    if (c.data == "moons")
      n->data = train::make_moons(c.points, c.noise, c.seed);
    else if (c.data == "xor")
      n->data = train::make_xor(c.points, c.noise, c.seed);
    else if (c.data == "circles")
      n->data = train::make_circles(c.points, c.noise, c.seed);
    else
      n->data = train::make_curve(c.points, c.noise, c.seed);
    if (c.batch > n->data.size())
      throw UsageError(
          fmt::format("batch: {} is more than the {} points", c.batch, n->data.size()));
    std::vector<std::size_t> sizes{n->data.features};
    sizes.insert(sizes.end(), c.hidden.begin(), c.hidden.end());
    sizes.push_back(1);
    nn::MLPOptions o;
    o.hidden = nn::parse_activation(c.activation);
    o.init.seed = c.init_seed;
    n->net = std::make_unique<nn::MLP>(n->g, sizes, o);
    train::TrainOptions t;
    t.loss = c.regression() ? train::Loss::mse : train::Loss::hinge;
    t.l2 = c.l2;
    t.iterations = c.schedule;
    t.lr = {c.lr, c.lr_drop};
    t.batch_size = c.batch;
    n->trainer = std::make_unique<train::Trainer>(n->g, *n->net, n->data.size(), t);
    train::RecordOptions ro;
    ro.every = 1;
    ro.grid = c.regression() ? 60 : 20;  // as the training page: a smaller grid trains faster
    ro.detail_every = 0;                 // the page asks network_detail() for the pass it shows
    ro.cap = kSnapshots;
    n->recorder =
        std::make_unique<train::TrainingRecorder>(n->g, *n->net, *n->trainer, n->data, ro);
    json points = json::array();
    for (std::size_t i = 0; i < n->data.size(); ++i) {
      json row = json::array();
      for (double v : n->data.row(i)) row.push_back(v);
      points.push_back({{"x", row}, {"y", n->data.y[i]}});
    }
    json result{{"sizes", sizes},
                {"parameters", n->net->parameter_count()},
                {"nodes", n->g.size()},
                {"regression", c.regression()},
                {"points", points}};
    network() = std::move(n);
    return result.dump();
  } catch (const std::exception& e) {
    return json{{"error", e.what()}}.dump();
  }
}

std::string network_train(int steps) {
  try {
    Network& n = current();
    if (steps < 1 || steps > 100000)
      throw UsageError(fmt::format("steps: {} is outside [1, 100000]", steps));
    json records = json::array();
    for (int k = 0; k < steps; ++k) {
      const train::IterationRecord r = n.recorder->iterate();
      ++n.steps;
      records.push_back({{"step", r.iteration},
                         {"loss", number(r.loss)},
                         {"accuracy", number(r.accuracy)},
                         {"lr", number(r.lr)},
                         {"line", train::progress_line(r)}});
      if (!std::isfinite(r.loss)) {
        // The loss exploded: find where the first non-finite value appeared in the sample graph.
        return json{{"records", records}, {"diverged", divergence(n)}}.dump();
      }
    }
    return json{{"records", records}}.dump();
  } catch (const std::exception& e) {
    return json{{"error", e.what()}}.dump();
  }
}

std::string network_view(int grid) {
  try {
    Network& n = current();
    if (grid < 2 || grid > 200) throw UsageError(fmt::format("grid: {} is outside [2, 200]", grid));
    const Executor& ex = n.trainer->executor();
    const auto grads = n.trainer->gradients();
    json layers = json::array();
    std::size_t p = 0;
    for (const auto& layer : n.net->layers()) {
      json units = json::array();
      for (const auto& neuron : layer.neurons()) {
        json w = json::array(), gw = json::array();
        for (const Node& wk : neuron.weights()) {
          w.push_back(number(wk.value()));
          gw.push_back(number(grads[p++]));
        }
        const double b = neuron.bias().value(), gb = grads[p++];
        // Activity over the last batch: how often the unit's activation input is positive,
        // and how saturated a sigmoid/tanh unit is.
        std::size_t active = 0, saturated = 0;
        const std::size_t batch = n.steps > 0 ? n.trainer->batch_size() : 0;
        const Node pre = neuron.last_pre_activation(), out = neuron.last_output();
        const Op op = nn::op_of(neuron.activation());
        for (std::size_t s = 0; s < batch; ++s) {
          const double z = ex.value(pre, s);
          active += z > 0.0;
          const double slope = derivative(
              op, 0, 0.0, n.g.conventions(), 1, [&](std::size_t) { return z; }, ex.value(out, s));
          saturated += gradflow::saturated(op, slope);
        }
        units.push_back({{"w", w},
                         {"b", number(b)},
                         {"gw", gw},
                         {"gb", number(gb)},
                         {"active", active},
                         {"saturated", saturated},
                         {"batch", batch},
                         {"act", nn::name(neuron.activation())}});
      }
      layers.push_back(units);
    }
    // The decision map (2-D data) or the fitted curve (1-D), through the trainer's predict().
    json map = json::array();
    double lo[2] = {1e300, 1e300}, hi[2] = {-1e300, -1e300};
    const std::size_t f = n.data.features;
    for (std::size_t i = 0; i < n.data.size(); ++i)
      for (std::size_t j = 0; j < f; ++j) {
        lo[j] = std::min(lo[j], n.data.row(i)[j] - 0.25);
        hi[j] = std::max(hi[j], n.data.row(i)[j] + 0.25);
      }
    if (f == 1) {
      for (int i = 0; i < grid; ++i) {
        const double x[1] = {lo[0] + (hi[0] - lo[0]) * i / (grid - 1)};
        map.push_back(number(n.trainer->predict(x)));
      }
    } else {
      for (int j = 0; j < grid; ++j)
        for (int i = 0; i < grid; ++i) {
          const double x[2] = {lo[0] + (hi[0] - lo[0]) * i / (grid - 1),
                               hi[1] - (hi[1] - lo[1]) * j / (grid - 1)};
          map.push_back(number(n.trainer->predict(x)));
        }
    }
    return json{{"steps", n.steps},
                {"layers", layers},
                {"map", map},
                {"grid", grid},
                {"lo", json::array({lo[0], f > 1 ? lo[1] : 0.0})},
                {"hi", json::array({hi[0], f > 1 ? hi[1] : 0.0})}}
        .dump();
  } catch (const std::exception& e) {
    return json{{"error", e.what()}}.dump();
  }
}

std::string network_record(int first) {
  try {
    Network& n = current();
    const TrainingRecord& r = n.recorder->record();
    const std::size_t kept = r.snapshots.size();
    const int next = n.steps;  // the iteration the next step will be
    if (first < 0 || first > next)
      throw UsageError(fmt::format("first: {} is outside [0, {}]", first, next));
    json thinned;
    if (n.recorder->thinnings() != n.thinnings_sent) {
      thinned = json::array();
      for (const auto& s : r.snapshots) thinned.push_back(s.iteration);
      n.thinnings_sent = n.recorder->thinnings();
    }
    if (kept == 0) return json{{"steps", json::array()}}.dump();
    std::string out = training_json(r, first_at(r, first));
    // The page has the maps of these steps now: the record keeps only their numbers.
    n.recorder->drop_maps(kept);
    // The page's JSON is an object: "kept" goes in front (no parse and dump of the whole text).
    if (!thinned.is_null() && out.size() > 1 && out[0] == '{')
      out.insert(1, "\"kept\":" + thinned.dump() + (out[1] == '}' ? "" : ","));
    return out;
  } catch (const std::exception& e) {
    return json{{"error", e.what()}}.dump();
  }
}

std::string network_detail(int sample, int step) {
  try {
    Network& n = current();
    const TrainingRecord& r = n.recorder->record();
    if (sample < 0 || static_cast<std::size_t>(sample) >= n.data.size())
      throw UsageError(fmt::format("sample: {} is outside [0, {}]", sample, n.data.size() - 1));
    if (r.snapshots.empty()) throw UsageError("step: no step trained yet");
    const std::size_t k = first_at(r, step);
    if (step < 0 || k == r.snapshots.size() || r.snapshots[k].iteration != step)
      throw UsageError(fmt::format(
          "step: iteration {} is not one of the {} kept (the first {}, the last {}; older ones are "
          "thinned)",
          step, r.snapshots.size(), r.snapshots.front().iteration, r.snapshots.back().iteration));
    return sample_detail_json(n.recorder->sample_detail(static_cast<std::size_t>(sample), k));
  } catch (const std::exception& e) {
    return json{{"error", e.what()}}.dump();
  }
}

std::string network_sample(int sample) {
  try {
    Network& n = current();
    if (sample < 0 || static_cast<std::size_t>(sample) >= n.data.size())
      throw UsageError(fmt::format("sample: {} is outside [0, {}]", sample, n.data.size() - 1));
    const auto s = static_cast<std::size_t>(sample);
    const train::Trainer& t = *n.trainer;
    for (std::size_t j = 0; j < n.data.features; ++j) t.inputs()[j].set(n.data.row(s)[j]);
    t.target().set(n.data.y[s]);
    // The sample's backward pass at the parameters' current values, over the primitive nodes.
    Stepper st(n.g, t.loss());
    st.jump(st.size() - 1);
    json units = json::array();
    for (std::size_t l = 0; l < n.net->layers().size(); ++l) {
      const auto neurons = n.net->layers()[l].neurons();
      for (std::size_t i = 0; i < neurons.size(); ++i) {
        const auto& neuron = neurons[i];
        const Node out = neuron.last_output(), pre = neuron.last_pre_activation();
        const Op op = nn::op_of(neuron.activation());
        const double slope = derivative(
            op, 0, 0.0, n.g.conventions(), 1, [&](std::size_t) { return pre.value(); },
            out.value());
        const std::size_t step = st.index_of(out.id());
        units.push_back({{"layer", l},
                         {"unit", i},
                         {"name", fmt::format("L{}.n{}", l + 1, i + 1)},
                         {"act", nn::name(neuron.activation())},
                         {"pre", number(pre.value())},
                         {"out", number(out.value())},
                         {"slope", number(slope)},
                         {"grad_out", number(step == Stepper::npos ? 0.0 : st.grad(out.id()))},
                         {"grad_pre", number(step == Stepper::npos ? 0.0 : st.grad(pre.id()))},
                         {"grad_b", number(st.grad(neuron.bias().id()))},
                         {"step", step == Stepper::npos ? -1 : static_cast<long>(step)}});
      }
    }
    json x = json::array();
    for (double v : n.data.row(s)) x.push_back(v);
    return json{{"sample", sample},
                {"x", x},
                {"target", n.data.y[s]},
                {"score", number(t.score().value())},
                {"loss", number(t.loss().value())},
                {"steps", st.size()},
                {"units", units}}
        .dump();
  } catch (const std::exception& e) {
    return json{{"error", e.what()}}.dump();
  }
}

}  // namespace gradflow::lab

#ifdef __EMSCRIPTEN__
EMSCRIPTEN_BINDINGS(gradflow_lab) {
  emscripten::function("neuron", &gradflow::lab::neuron);
  emscripten::function("networkReset", &gradflow::lab::network_reset);
  emscripten::function("networkTrain", &gradflow::lab::network_train);
  emscripten::function("networkView", &gradflow::lab::network_view);
  emscripten::function("networkSample", &gradflow::lab::network_sample);
  emscripten::function("networkRecord", &gradflow::lab::network_record);
  emscripten::function("networkDetail", &gradflow::lab::network_detail);
}
#endif
