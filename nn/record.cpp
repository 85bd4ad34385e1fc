#include <gradflow/nn/record.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <utility>

#include <fmt/format.h>

#include <gradflow/engine/stepper.hpp>
#include <gradflow/ops/errors.hpp>

namespace gradflow::train {

namespace {

// [lo, hi] of column `j` of `data`, widened by 10% of its span on each side (by 0.5 if the
// column is constant).
std::pair<double, double> extent(const Dataset& data, std::size_t j) {
  double lo = data.x[j], hi = data.x[j];
  for (std::size_t i = 1; i < data.size(); ++i) {
    lo = std::min(lo, data.x[i * data.features + j]);
    hi = std::max(hi, data.x[i * data.features + j]);
  }
  const double margin = hi > lo ? 0.1 * (hi - lo) : 0.5;
  return {lo - margin, hi + margin};
}

}  // namespace

TrainingRecorder::TrainingRecorder(Graph& g, const nn::MLP& net, Trainer& trainer,
                                   const Dataset& data, RecordOptions options)
    : g_(&g), trainer_(&trainer), data_(&data), options_(std::move(options)) {
  const Node last_out = net.layers().back().neurons().back().last_output();
  if (last_out != trainer.score())
    throw UsageError(
        "gradflow: TrainingRecorder: the network was called again after the Trainer recorded it; "
        "construct the recorder right after the Trainer");
  if (data.features != trainer.inputs().size() || data.size() < trainer.batch_size())
    throw UsageError(fmt::format(
        "gradflow: TrainingRecorder: the trainer takes {} features, the data set has {}",
        trainer.inputs().size(), data.features));
  for (const std::size_t s : options_.detail_samples)
    if (s >= data.size())
      throw UsageError(fmt::format(
          "gradflow: TrainingRecorder: detail sample {} is not a row of a data set of {}", s,
          data.size()));

  params_ = net.parameters();
  record_.sizes.assign(net.sizes().begin(), net.sizes().end());
  for (const Node& p : params_) record_.param_names.push_back(g.label(p.id()));
  record_.loss_name = std::string(name(trainer.options().loss));
  record_.score_threshold = trainer.options().score_threshold;
  record_.target_threshold = trainer.options().target_threshold;
  record_.features = data.features;
  record_.x = data.x;
  record_.y = data.y;
  std::size_t first_param = 0;
  for (std::size_t l = 0; l < net.layers().size(); ++l) {
    const auto neurons = net.layers()[l].neurons();
    for (std::size_t j = 0; j < neurons.size(); ++j) {
      const nn::Neuron& n = neurons[j];
      record_.units.push_back(
          {n.name(), l, j, n.n_inputs(), first_param, g.op(n.last_output().id())});
      unit_nodes_.push_back({n.last_output(), n.last_pre_activation(), n.last_sum()});
      first_param += n.n_inputs() + 1;
    }
  }

  if (data.features == 2 && options_.grid >= 2) {
    const std::size_t m = options_.grid;
    record_.grid = m;
    std::tie(record_.x_min, record_.x_max) = extent(data, 0);
    std::tie(record_.y_min, record_.y_max) = extent(data, 1);
    grid_exec_.emplace(g, trainer.score(), m * m);
    std::vector<double> xs(m * m), ys(m * m);
    const double dx = (record_.x_max - record_.x_min) / static_cast<double>(m - 1);
    const double dy = (record_.y_max - record_.y_min) / static_cast<double>(m - 1);
    for (std::size_t r = 0; r < m; ++r)
      for (std::size_t c = 0; c < m; ++c) {
        xs[r * m + c] = record_.x_min + dx * static_cast<double>(c);
        ys[r * m + c] = record_.y_min + dy * static_cast<double>(r);
      }
    grid_exec_->set_input(trainer.inputs()[0], xs);
    grid_exec_->set_input(trainer.inputs()[1], ys);
  } else if (data.features == 1 && options_.grid >= 2) {  // the fitted curve
    const std::size_t m = options_.grid;
    record_.grid = m;
    std::tie(record_.x_min, record_.x_max) = extent(data, 0);
    grid_exec_.emplace(g, trainer.score(), m);
    std::vector<double> xs(m);
    const double dx = (record_.x_max - record_.x_min) / static_cast<double>(m - 1);
    for (std::size_t c = 0; c < m; ++c) xs[c] = record_.x_min + dx * static_cast<double>(c);
    grid_exec_->set_input(trainer.inputs()[0], xs);
  }
}

void TrainingRecorder::fill_maps(TrainingSnapshot& s) {
  if (!grid_exec_) return;
  Executor& e = *grid_exec_;
  e.forward();  // reads the parameters' current values from the graph
  const std::size_t cells = e.batch();
  s.score_map.resize(cells);
  for (std::size_t c = 0; c < cells; ++c) s.score_map[c] = e.value(trainer_->score(), c);
  s.unit_maps.assign(unit_nodes_.size(), std::vector<double>(cells));
  for (std::size_t u = 0; u < unit_nodes_.size(); ++u)
    for (std::size_t c = 0; c < cells; ++c) s.unit_maps[u][c] = e.value(unit_nodes_[u].out, c);
}

// One sample's pass with the parameters the graph holds now.
SampleDetail TrainingRecorder::detail_of(std::size_t row) {
  Graph& g = *g_;
  for (std::size_t j = 0; j < data_->features; ++j)
    trainer_->inputs()[j].set(data_->x[row * data_->features + j]);
  trainer_->target().set(data_->y[row]);
  const Stepper pass(g, trainer_->loss());
  SampleDetail d;
  d.sample = row;
  for (const UnitNodes& u : unit_nodes_) {
    std::vector<NodeId> ids{u.out.id(), u.pre.id(), u.sum.id()};
    for (std::size_t k = 0; k < u.sum.operand_count(); ++k) ids.push_back(u.sum.operand(k).id());
    std::sort(ids.begin(), ids.end(), std::greater<>());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    std::vector<RecordedNode> nodes;
    for (const NodeId id : ids) {
      const std::size_t k = pass.index_of(id);
      if (k == Stepper::npos) continue;  // does not reach the loss
      RecordedNode n{id, g.label(id), pass.at(k), {}};
      for (const BackwardEdge& e : n.step.edges) n.operand_labels.push_back(g.label(e.operand));
      nodes.push_back(std::move(n));
    }
    d.units.push_back(std::move(nodes));
  }
  return d;
}

void TrainingRecorder::fill_detail(TrainingSnapshot& s) {
  // The graph holds the parameters the iteration is about to use: nothing to set but the sample.
  for (const std::size_t row : options_.detail_samples) s.detail.push_back(detail_of(row));
  if (!options_.every_sample) return;
  const std::size_t n_units = unit_nodes_.size();
  s.pass_pre.assign(data_->size() * n_units, 0.0);
  s.pass_grad.assign(data_->size() * n_units, 0.0);
  for (std::size_t row = 0; row < data_->size(); ++row) {
    for (std::size_t j = 0; j < data_->features; ++j)
      trainer_->inputs()[j].set(data_->x[row * data_->features + j]);
    trainer_->target().set(data_->y[row]);
    const Stepper pass(*g_, trainer_->loss());
    for (std::size_t u = 0; u < n_units; ++u) {
      const std::size_t out = pass.index_of(unit_nodes_[u].out.id());
      const std::size_t pre = pass.index_of(unit_nodes_[u].pre.id());
      if (out == Stepper::npos || pre == Stepper::npos) continue;  // does not reach the loss
      s.pass_pre[row * n_units + u] = pass.at(pre).value;
      s.pass_grad[row * n_units + u] = pass.at(out).upstream;
    }
  }
}

SampleDetail TrainingRecorder::sample_detail(std::size_t row, std::size_t snapshot) {
  if (row >= data_->size())
    throw UsageError(fmt::format(
        "gradflow: TrainingRecorder::sample_detail: sample {} is not a row of a data set of {}",
        row, data_->size()));
  if (snapshot >= record_.snapshots.size())
    throw UsageError(fmt::format(
        "gradflow: TrainingRecorder::sample_detail: snapshot {} is not one of the {} recorded",
        snapshot, record_.snapshots.size()));
  std::vector<double> now;
  now.reserve(params_.size());
  for (const Node& p : params_) now.push_back(p.value());
  const std::vector<double>& then = record_.snapshots[snapshot].params;
  for (std::size_t i = 0; i < params_.size(); ++i) params_[i].set(then[i]);
  SampleDetail d = detail_of(row);
  for (std::size_t i = 0; i < params_.size(); ++i) params_[i].set(now[i]);
  return d;
}

void TrainingRecorder::drop_maps(std::size_t before) {
  for (std::size_t k = 0; k < std::min(before, record_.snapshots.size()); ++k) {
    TrainingSnapshot& s = record_.snapshots[k];
    std::vector<double>().swap(s.score_map);
    std::vector<std::vector<double>>().swap(s.unit_maps);
  }
}

IterationRecord TrainingRecorder::iterate(bool last) {
  const int k = trainer_->iterations_done();
  const bool keep = last || (options_.every > 0 && k % options_.every == 0);
  if (!keep) return trainer_->iterate(*data_);
  const bool detail = options_.detail_every > 0 && (last || k % options_.detail_every == 0);

  TrainingSnapshot s;
  s.params.reserve(params_.size());
  for (const Node& p : params_) s.params.push_back(p.value());
  fill_maps(s);
  if (detail) fill_detail(s);

  const IterationRecord r = trainer_->iterate(*data_);
  s.iteration = r.iteration;
  s.loss = r.loss;
  s.data_loss = r.data_loss;
  s.accuracy = r.accuracy;
  s.lr = r.lr;
  s.progress = progress_line(r);
  s.grads.assign(trainer_->gradients().begin(), trainer_->gradients().end());

  const Executor& e = trainer_->executor();
  const std::size_t batch = e.batch();
  const Conventions& conv = g_->conventions();
  s.units.resize(unit_nodes_.size());
  // Sample by sample, every unit in each: an executor that does not keep samples recomputes each
  // tile once (each unit's sums still add its samples in order).
  for (std::size_t c = 0; c < batch; ++c)
    for (std::size_t u = 0; u < unit_nodes_.size(); ++u) {
      const Op op = record_.units[u].activation;
      const double attr = g_->attr(unit_nodes_[u].out.id());
      UnitActivity& a = s.units[u];
      const double pre = e.value(unit_nodes_[u].pre, c);
      const double out = e.value(unit_nodes_[u].out, c);
      const double d = derivative(
          op, 0, attr, conv, 1, [&](std::size_t) { return pre; }, out);
      a.mean_pre += pre;
      a.mean_out += out;
      a.blocked += d == 0.0 ? 1.0 : 0.0;
      a.saturated += saturated(op, d) ? 1.0 : 0.0;
      a.mean_abs_grad += std::abs(e.grad(unit_nodes_[u].out, c));
    }
  for (UnitActivity& a : s.units) {
    const double n = static_cast<double>(batch);
    a.mean_pre /= n;
    a.mean_out /= n;
    a.blocked /= n;
    a.saturated /= n;
    a.mean_abs_grad /= n;
  }
  record_.snapshots.push_back(std::move(s));
  if (options_.cap > 0 && record_.snapshots.size() > options_.cap) thin();
  return r;
}

void TrainingRecorder::thin() {
  auto& v = record_.snapshots;
  const std::size_t recent = options_.cap / 2;
  while (v.size() > options_.cap) {
    // Keeps the first, the older ones at multiples of stride_ and the newest `recent`; when that
    // is still too many, doubles the stride. Snapshots are moved, not copied.
    const std::size_t older = v.size() - recent;
    std::size_t out = 1;
    for (std::size_t k = 1; k < v.size(); ++k)
      if (k >= older || v[k].iteration % stride_ == 0) {
        if (out != k) v[out] = std::move(v[k]);
        ++out;
      }
    if (out == v.size()) {
      stride_ *= 2;
      continue;
    }
    v.erase(v.begin() + static_cast<std::ptrdiff_t>(out), v.end());
    ++thinnings_;
  }
}

std::vector<IterationRecord> TrainingRecorder::fit() {
  std::vector<IterationRecord> out;
  const int left = trainer_->options().iterations - trainer_->iterations_done();
  out.reserve(static_cast<std::size_t>(std::max(left, 0)));
  for (int i = 0; i < left; ++i) out.push_back(iterate(i + 1 == left));
  return out;
}

}  // namespace gradflow::train
