#include <gradflow/nn/train.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <numbers>
#include <numeric>
#include <sstream>

#include <fmt/format.h>

#include <gradflow/graph/evaluate.hpp>
#include <gradflow/ops/errors.hpp>

namespace gradflow::train {

// ---- data ---------------------------------------------------------------------------------------

void Dataset::add(std::span<const double> features_of_sample, double target) {
  if (y.empty() && x.empty()) features = features_of_sample.size();
  if (features_of_sample.size() != features)
    throw UsageError(fmt::format("gradflow: a data set of {} features cannot take a sample of {}",
                                 features, features_of_sample.size()));
  x.insert(x.end(), features_of_sample.begin(), features_of_sample.end());
  y.push_back(target);
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool parse_number(std::string_view s, double& out) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
#if defined(__cpp_lib_to_chars) || !defined(_LIBCPP_VERSION)
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size() && !s.empty();
#else
  // libc++ before 17 (emscripten's, for the browser lab) has no floating-point from_chars;
  // strtod in the "C" locale, which a WebAssembly module never leaves, reads the same numbers.
  if (s.empty() || s.front() == ' ' || s.front() == '\t') return false;
  const std::string text(s);
  char* end = nullptr;
  errno = 0;
  out = std::strtod(text.c_str(), &end);
  return errno == 0 && end == text.c_str() + text.size();
#endif
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("gradflow: cannot open '{}' for reading", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

Dataset parse_csv(std::string_view text, std::string_view source) {
  Dataset data;
  std::vector<double> row;
  std::vector<std::string_view> fields;
  std::size_t columns = 0;
  bool first = true;
  std::size_t line_no = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const std::string_view line = trim(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.empty()) continue;
    fields.clear();
    for (std::string_view rest = line;;) {
      const auto comma = rest.find(',');
      fields.push_back(trim(rest.substr(0, comma)));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    row.assign(fields.size(), 0.0);
    std::size_t bad = fields.size();
    for (std::size_t i = 0; i < fields.size() && bad == fields.size(); ++i)
      if (!parse_number(fields[i], row[i])) bad = i;
    const bool was_first = first;
    first = false;
    if (bad < fields.size()) {
      if (was_first) {  // a header names the columns; it fixes how many there are
        columns = fields.size();
        continue;
      }
      throw Error(fmt::format("gradflow: {}:{}: field {} '{}' is not a number", source, line_no,
                              bad + 1, fields[bad]));
    }
    if (columns == 0) columns = fields.size();
    if (fields.size() != columns)
      throw Error(fmt::format("gradflow: {}:{}: expected {} fields, found {}", source, line_no,
                              columns, fields.size()));
    if (columns < 2)
      throw Error(fmt::format(
          "gradflow: {}:{}: a sample needs at least one feature and a target (2 fields), "
          "found 1",
          source, line_no));
    data.add(std::span<const double>(row).first(columns - 1), row.back());
  }
  if (data.size() == 0) throw Error(fmt::format("gradflow: {}: no samples", source));
  return data;
}

Dataset load_csv(const std::string& path) { return parse_csv(read_file(path), path); }

std::vector<double> load_numbers(const std::string& path) {
  const std::string text = read_file(path);
  std::vector<double> out;
  std::string_view rest = text;
  std::size_t line_no = 0;
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    const std::string_view line = trim(rest.substr(0, nl));
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    ++line_no;
    if (line.empty()) continue;
    double v = 0;
    if (!parse_number(line, v))
      throw Error(fmt::format("gradflow: {}:{}: '{}' is not a number", path, line_no, line));
    out.push_back(v);
  }
  return out;
}

Dataset make_moons(std::size_t n, double noise, std::uint32_t seed, bool plus_minus_labels) {
  Dataset data;
  const std::size_t n_out = n / 2, n_in = n - n_out;
  const auto t = [](std::size_t i, std::size_t m) {  // numpy.linspace(0, pi, m)[i]
    return m < 2 ? 0.0 : std::numbers::pi * static_cast<double>(i) / static_cast<double>(m - 1);
  };
  for (std::size_t i = 0; i < n_out; ++i) {
    const double p[2] = {std::cos(t(i, n_out)), std::sin(t(i, n_out))};
    data.add(p, plus_minus_labels ? -1.0 : 0.0);
  }
  for (std::size_t i = 0; i < n_in; ++i) {
    const double p[2] = {1.0 - std::cos(t(i, n_in)), 1.0 - std::sin(t(i, n_in)) - 0.5};
    data.add(p, 1.0);
  }
  nn::Rng rng(seed);
  for (double& v : data.x) v += noise * rng.normal();
  return data;
}

Dataset make_spiral(std::size_t per_class, std::size_t classes, double noise, std::uint32_t seed) {
  if (per_class == 0 || classes == 0)
    throw UsageError(
        fmt::format("gradflow: make_spiral({}, {}): needs points and classes", per_class, classes));
  Dataset data;
  nn::Rng rng(seed);
  for (std::size_t j = 0; j < classes; ++j)
    for (std::size_t k = 0; k < per_class; ++k) {
      const double r =
          per_class < 2 ? 0.0 : static_cast<double>(k) / static_cast<double>(per_class - 1);
      const double t = 4.0 * static_cast<double>(j) + 4.0 * r + noise * rng.normal();
      const double p[2] = {r * std::sin(t), r * std::cos(t)};
      data.add(p, static_cast<double>(j));
    }
  return data;
}

// ---- losses -------------------------------------------------------------------------------------

std::string_view name(Loss loss) {
  switch (loss) {
    case Loss::mse:
      return "mse";
    case Loss::bce_logits:
      return "bce_logits";
    case Loss::hinge:
      return "hinge";
    case Loss::softmax_ce:
      return "softmax_ce";
  }
  return "?";
}

Node squared_error(Node score, Node target) {
  const Node d = score - target;
  return d * d;
}

Node bce_with_logits(Node logit, Node target) { return softplus(logit) - target * logit; }

Node hinge(Node score, Node label) { return relu(1.0 - label * score); }

Node sample_loss(Loss loss, Node score, Node target) {
  switch (loss) {
    case Loss::mse:
      return squared_error(score, target);
    case Loss::bce_logits:
      return bce_with_logits(score, target);
    case Loss::hinge:
      return hinge(score, target);
    case Loss::softmax_ce:
      throw UsageError(
          "gradflow: sample_loss(softmax_ce) of one score: softmax cross-entropy needs a logit "
          "per class (softmax_cross_entropy)");
  }
  throw UsageError("gradflow: sample_loss(): not a Loss value");
}

Node logsumexp(std::span<const Node> logits) {
  if (logits.empty()) throw UsageError("gradflow: logsumexp of no logits");
  Node m = logits[0];
  for (std::size_t k = 1; k < logits.size(); ++k) m = max(m, logits[k]);
  m = detach(m);
  std::vector<Node> terms;
  terms.reserve(logits.size());
  for (const Node& z : logits) terms.push_back(exp(z - m));
  return m + log(sum(terms));
}

std::vector<Node> log_softmax(std::span<const Node> logits) {
  const Node lse = logsumexp(logits);
  std::vector<Node> out;
  out.reserve(logits.size());
  for (const Node& z : logits) out.push_back(z - lse);
  return out;
}

Node softmax_cross_entropy(std::span<const Node> logits, std::size_t target) {
  if (target >= logits.size())
    throw UsageError(fmt::format("gradflow: softmax_cross_entropy: class {} of {} logits", target,
                                 logits.size()));
  return logsumexp(logits) - logits[target];
}

Node softmax_cross_entropy(std::span<const Node> logits, std::span<const Node> one_hot) {
  if (one_hot.size() != logits.size() || logits.empty())
    throw UsageError(fmt::format("gradflow: softmax_cross_entropy: {} logits, {} one-hot targets",
                                 logits.size(), one_hot.size()));
  std::vector<Node> picked;
  picked.reserve(logits.size());
  for (std::size_t k = 0; k < logits.size(); ++k) picked.push_back(one_hot[k] * logits[k]);
  return logsumexp(logits) - sum(picked);
}

Node mean(std::span<const Node> terms) {
  if (terms.empty()) throw UsageError("gradflow: mean of no terms");
  return sum(terms) * (1.0 / static_cast<double>(terms.size()));
}

Node l2_penalty(std::span<const Node> parameters, double alpha) {
  if (parameters.empty()) throw UsageError("gradflow: L2 penalty over no parameters");
  std::vector<Node> squares;
  squares.reserve(parameters.size());
  for (const Node& p : parameters) squares.push_back(p * p);
  return alpha * sum(squares);
}

// ---- SGD ----------------------------------------------------------------------------------------

SGD::SGD(std::vector<Node> parameters, double momentum)
    : params_(std::move(parameters)), velocity_(params_.size(), 0.0), momentum_(momentum) {}

void SGD::update(double lr) {
  for (std::size_t i = 0; i < params_.size(); ++i) {
    velocity_[i] = momentum_ * velocity_[i] + params_[i].grad();
    params_[i].set(params_[i].value() - lr * velocity_[i]);
  }
}

void SGD::update(double lr, std::span<const double> gradients) {
  if (gradients.size() != params_.size())
    throw UsageError(fmt::format("gradflow: SGD over {} parameters given {} gradients",
                                 params_.size(), gradients.size()));
  for (std::size_t i = 0; i < params_.size(); ++i) {
    velocity_[i] = momentum_ * velocity_[i] + gradients[i];
    params_[i].set(params_[i].value() - lr * velocity_[i]);
  }
}

// ---- Trainer ------------------------------------------------------------------------------------

std::string progress_line(const IterationRecord& r) {
  return fmt::format("step {} loss {:.12f} accuracy {:g}%", r.iteration, r.loss,
                     r.accuracy * 100.0);
}

namespace {

std::size_t batch_of(const nn::MLP& net, std::size_t n_samples, const TrainOptions& options) {
  if (options.loss == Loss::softmax_ce && net.sizes().back() < 2)
    throw UsageError(fmt::format(
        "gradflow: softmax_ce needs a network with one output per class (2 or more), not {}",
        net.sizes().back()));
  if (options.loss != Loss::softmax_ce && net.sizes().back() != 1)
    throw UsageError(fmt::format(
        "gradflow: the Trainer needs a network with one output, not {} (several classes: "
        "Loss::softmax_ce)",
        net.sizes().back()));
  const std::size_t batch = options.batch_size == 0 ? n_samples : options.batch_size;
  if (n_samples == 0 || batch > n_samples)
    throw UsageError(
        fmt::format("gradflow: a batch of {} from a data set of {} samples", batch, n_samples));
  if (options.iterations < 1) throw UsageError("gradflow: training needs at least one iteration");
  return batch;
}

}  // namespace

Trainer::Trainer(Graph& g, const nn::MLP& net, std::size_t n_samples, const TrainOptions& options)
    : g_(&g),
      options_(options),
      features_(net.sizes().front()),
      batch_(batch_of(net, n_samples, options)),
      loss_(record(net)),
      exec_(g, loss_, batch_),
      sgd_(net.parameters(), options.momentum),
      grads_(sgd_.parameters().size(), 0.0),
      column_(batch_, 0.0),
      order_(n_samples),
      shuffle_(options.shuffle_seed) {
  std::iota(order_.begin(), order_.end(), std::size_t{0});
  cursor_ = n_samples;  // the first minibatch shuffles
  // predict() evaluates the scores' cone; with several it is the loss's (targets left at 0).
  probe_plan_ = make_plan(g, scores_.size() == 1 ? score_ : data_loss_);
}

Node Trainer::record(const nn::MLP& net) {
  Graph& g = *g_;
  {
    GroupScope sample(g, "sample", "sample");
    for (std::size_t j = 0; j < features_; ++j)
      inputs_.push_back(g.input(fmt::format("x{}", j + 1), 0.0));
    scores_ = net(inputs_);
    if (options_.loss == Loss::softmax_ce) {
      for (std::size_t k = 0; k < scores_.size(); ++k) {
        scores_[k].named(fmt::format("score{}", k));
        one_hot_.push_back(g.input(fmt::format("target{}", k), 0.0));
      }
      target_ = one_hot_.front();
      score_ = scores_.front();
      data_loss_ = softmax_cross_entropy(scores_, one_hot_).named("data_loss");
    } else {
      target_ = g.input("target", 0.0);
      score_ = scores_.front().named("score");
      data_loss_ = sample_loss(options_.loss, score_, target_).named("data_loss");
    }
  }
  if (options_.l2 <= 0.0) return data_loss_;
  const auto params = net.parameters();
  return (data_loss_ + l2_penalty(params, options_.l2).named("reg_loss")).named("loss");
}

void Trainer::next_batch(std::size_t n) {
  if (batch_ == n) {  // full batch: the data in its own order
    cursor_ = 0;
    return;
  }
  if (cursor_ + batch_ > n) {
    for (std::size_t i = n; i-- > 1;) {  // Fisher-Yates with the portable Rng
      const auto j = static_cast<std::size_t>(shuffle_.uniform() * static_cast<double>(i + 1));
      std::swap(order_[i], order_[j]);
    }
    cursor_ = 0;
  }
}

IterationRecord Trainer::iterate(const Dataset& data) {
  if (data.features != features_ || data.size() != order_.size())
    throw UsageError(
        fmt::format("gradflow: the Trainer was built for {} samples of {} features, given {} of {}",
                    order_.size(), features_, data.size(), data.features));
  next_batch(data.size());
  const std::span<const std::size_t> rows(order_.data() + cursor_, batch_);
  cursor_ += batch_;
  for (std::size_t j = 0; j < features_; ++j) {
    for (std::size_t c = 0; c < batch_; ++c) column_[c] = data.x[rows[c] * features_ + j];
    exec_.set_input(inputs_[j], column_);
  }
  for (std::size_t k = 0; k < one_hot_.size(); ++k) {  // softmax_ce: the classes one-hot
    for (std::size_t c = 0; c < batch_; ++c)
      column_[c] = data.y[rows[c]] == static_cast<double>(k) ? 1.0 : 0.0;
    exec_.set_input(one_hot_[k], column_);
  }
  for (std::size_t c = 0; c < batch_; ++c) column_[c] = data.y[rows[c]];
  if (one_hot_.empty()) exec_.set_input(target_, column_);
  exec_.run();  // forward and backward over the whole batch at once
  exec_.gradients(sgd_.parameters(), grads_);

  IterationRecord r;
  r.iteration = iterations_done_;
  r.loss = exec_.loss();
  double data_loss = 0.0;
  std::size_t right = 0;
  for (std::size_t c = 0; c < batch_; ++c) {
    data_loss += exec_.value(data_loss_, c);
    if (one_hot_.empty()) {
      right += (exec_.value(score_, c) > options_.score_threshold) ==
               (column_[c] > options_.target_threshold);
      continue;
    }
    std::size_t best = 0;
    for (std::size_t k = 1; k < scores_.size(); ++k)
      if (exec_.value(scores_[k], c) > exec_.value(scores_[best], c)) best = k;
    right += static_cast<double>(best) == column_[c];
  }
  r.data_loss = data_loss * (1.0 / static_cast<double>(batch_));
  r.accuracy = static_cast<double>(right) / static_cast<double>(batch_);
  r.lr = options_.lr.at(iterations_done_, options_.iterations);
  sgd_.update(r.lr, grads_);
  ++iterations_done_;
  if (options_.print_progress && options_.print_every > 0 &&
      r.iteration % options_.print_every == 0)
    fmt::print("{}\n", progress_line(r));
  return r;
}

std::vector<IterationRecord> Trainer::fit(
    const Dataset& data, const std::function<void(const IterationRecord&)>& on_iteration) {
  std::vector<IterationRecord> out;
  out.reserve(static_cast<std::size_t>(options_.iterations));
  for (int k = 0; k < options_.iterations; ++k) {
    out.push_back(iterate(data));
    if (on_iteration) on_iteration(out.back());
  }
  return out;
}

double Trainer::predict(std::span<const double> features) {
  if (features.size() != features_)
    throw UsageError(fmt::format("gradflow: predict() of a network with {} inputs given {}",
                                 features_, features.size()));
  prepare(*g_, probe_ws_);
  for (const Node& p : sgd_.parameters()) probe_ws_.value[p.id()] = g_->value(p.id());
  for (std::size_t j = 0; j < features_; ++j) probe_ws_.value[inputs_[j].id()] = features[j];
  forward(*g_, probe_ws_, probe_plan_);
  if (one_hot_.empty()) return probe_ws_.value[score_.id()];
  std::size_t best = 0;
  for (std::size_t k = 1; k < scores_.size(); ++k)
    if (probe_ws_.value[scores_[k].id()] > probe_ws_.value[scores_[best].id()]) best = k;
  return static_cast<double>(best);
}

double Trainer::accuracy(const Dataset& data) {
  std::size_t right = 0;
  for (std::size_t i = 0; i < data.size(); ++i)
    right += one_hot_.empty() ? (predict(data.row(i)) > options_.score_threshold) ==
                                    (data.y[i] > options_.target_threshold)
                              : predict(data.row(i)) == data.y[i];
  return data.size() == 0 ? 0.0 : static_cast<double>(right) / static_cast<double>(data.size());
}

}  // namespace gradflow::train
