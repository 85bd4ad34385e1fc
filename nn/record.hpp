// Recording a training run for the training page: a TrainingRecorder wraps a Trainer, runs its
// iterations, and keeps, at the iterations it is asked to, a TrainingSnapshot
// (engine/training_record.hpp): the trainer's loss and accuracy exactly as it reports them, the
// parameters before the update, their batch gradients, every unit's activity over the batch
// (blocked / saturated fractions), for 2-D inputs the score and every unit's output over a grid
// of the input plane (for 1-D inputs along the axis: the fitted curve), and at detail iterations
// one sample's backward pass through every unit's primitive nodes (Stepper records).
//
// The recorder reads the trainer's executor after each iteration and evaluates the grid in an
// executor of its own; it changes no parameter, so a recorded run trains exactly as an
// unrecorded one (bit for bit: tested). At detail iterations it sets the trainer's input and
// target nodes in the graph to the detail sample's values (the executor does not read them).
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include <gradflow/engine/executor.hpp>
#include <gradflow/engine/training_record.hpp>
#include <gradflow/graph/graph.hpp>
#include <gradflow/nn/nn.hpp>
#include <gradflow/nn/train.hpp>

namespace gradflow::train {

/// What a TrainingRecorder keeps.
struct RecordOptions {
  /// Keep a snapshot at iterations 0, every, 2 every, ... and at the last one of fit().
  int every = 1;
  /// Points per side of the maps' grid (2-D inputs), or along the curve (1-D); 0: no maps.
  std::size_t grid = 20;
  /// Keep one sample's backward pass through the units at iterations 0, detail_every, ... and
  /// at the last one of fit(); 0: never.
  int detail_every = 10;
  /// The samples whose backward pass is kept at detail iterations (rows of the data set).
  std::vector<std::size_t> detail_samples{0};
  /// At detail iterations, also every sample's pass in brief (TrainingSnapshot::pass_pre and
  /// pass_grad: two numbers per sample and unit), so that the page can walk any sample's pass.
  bool every_sample = true;
  /// At most this many snapshots (0: no limit), for a run of any length: past it, the snapshots
  /// but the newest cap / 2 are thinned to the iterations that are multiples of 2, then 4, 8,
  /// ... (as few doublings as bring the count to the cap), the first always kept; so the record
  /// covers the whole run, coarser the older it is, and every one of the newest cap / 2.
  std::size_t cap = 0;
};

/// Runs a Trainer's iterations and records them. Construct it right after the Trainer, before
/// the network is called again: it finds each unit's nodes through the network's last call
/// (Neuron::last_output() ...), which must be the trainer's (UsageError otherwise).
class TrainingRecorder {
 public:
  /// Records `trainer` training `net` (the network the trainer was built with) on `data`.
  /// UsageError if the trainer's nodes are not the network's last call, if `data` does not fit
  /// the trainer, or a detail sample is not a row of `data`.
  TrainingRecorder(Graph& g, const nn::MLP& net, Trainer& trainer, const Dataset& data,
                   RecordOptions options = {});

  /// One trainer iteration; keeps a snapshot if the iteration is one to keep (`last` forces it).
  IterationRecord iterate(bool last = false);
  /// The trainer's remaining iterations (options().iterations in all), snapshot per
  /// RecordOptions, the last one always; returns every iteration's record.
  std::vector<IterationRecord> fit();

  /// Any sample's backward pass through the units (as kept at detail iterations) with the
  /// parameters of snapshot `snapshot` of the record (those its iteration's loss was computed
  /// with); the graph's parameters are put back afterwards, bit for bit. UsageError if `row` is
  /// not a row of the data or `snapshot` not one of the record's.
  SampleDetail sample_detail(std::size_t row, std::size_t snapshot);

  /// Frees the maps (score_map, unit_maps) of the snapshots before `before`: a live page that
  /// has handed them on keeps a long run's record small.
  void drop_maps(std::size_t before);

  /// How many times the record was thinned (RecordOptions::cap) so far: a reader holding
  /// snapshots by iteration knows by a change of this number to drop those no longer kept.
  std::size_t thinnings() const { return thinnings_; }

  /// The record so far.
  const TrainingRecord& record() const { return record_; }
  /// Moves the record out.
  TrainingRecord take() { return std::move(record_); }

 private:
  struct UnitNodes {
    Node out, pre, sum;
  };
  void snapshot(const IterationRecord& r, std::vector<double> params, bool detail);
  void fill_maps(TrainingSnapshot& s);
  void fill_detail(TrainingSnapshot& s);
  SampleDetail detail_of(std::size_t row);
  void thin();

  Graph* g_;
  Trainer* trainer_;
  const Dataset* data_;
  RecordOptions options_;
  std::vector<Node> params_;
  std::vector<UnitNodes> unit_nodes_;
  std::optional<Executor> grid_exec_;  // over the score, one sample per grid point (2-D inputs)
  TrainingRecord record_;
  int stride_ = 1;  // the older snapshots' iterations are multiples of this (RecordOptions::cap)
  std::size_t thinnings_ = 0;
};

}  // namespace gradflow::train
