// A training run as plain numbers: what nn::TrainingRecorder writes (nn/record.hpp) and the
// training page draws (views/training_view.hpp). Nothing here computes: it is the record that a
// network library (nn/) and the views (views/) share, so that neither includes the other.
//
// Layout. Units are numbered layer by layer, input side first, top unit first: unit u of the
// whole network is units[u]. Parameters are in the network's documented order (per layer, per
// unit: its weights in input order, then its bias), so unit u's weights are
// params[first_param[u] ... + n_inputs[u] - 1] and its bias params[first_param[u] + n_inputs[u]].
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <gradflow/engine/stepper.hpp>
#include <gradflow/ops/ops.hpp>

namespace gradflow {

/// One unit (neuron) of the recorded network.
struct RecordedUnit {
  std::string name;              ///< e.g. "L1.n3"
  std::size_t layer = 0;         ///< 0 for the first hidden layer
  std::size_t index = 0;         ///< position in its layer, top first
  std::size_t n_inputs = 0;      ///< its number of weights
  std::size_t first_param = 0;   ///< index of its first weight in a snapshot's params
  Op activation = Op::identity;  ///< the op of its activation node
};

/// How one unit behaved over a snapshot's batch.
struct UnitActivity {
  double mean_pre = 0.0;       ///< mean pre-activation z + b over the batch
  double mean_out = 0.0;       ///< mean output f(z + b)
  double blocked = 0.0;        ///< fraction of samples where f'(z + b) is exactly 0 (dead ReLU)
  double saturated = 0.0;      ///< fraction where saturated(op, f'(z + b)) holds
  double mean_abs_grad = 0.0;  ///< mean over the batch of |d loss_s / d output|
};

/// One primitive node of a unit, seen by one sample's backward pass (a Stepper record).
struct RecordedNode {
  NodeId node = 0;    ///< the node's id in the training graph
  std::string label;  ///< its label ("L1.n1.y", ...)
  BackwardStep step;  ///< its record in the sample's backward pass; step.index is its position
  std::vector<std::string> operand_labels;  ///< the labels of its operands, in slot order
};

/// One sample's backward pass, restricted to the units' primitive nodes.
struct SampleDetail {
  std::size_t sample = 0;                        ///< row of the data set
  std::vector<std::vector<RecordedNode>> units;  ///< per unit, its nodes in backward order
};

/// The state of training at one recorded iteration: the parameters the iteration's loss was
/// computed with (before its update), the gradients of that loss, and what the units did.
struct TrainingSnapshot {
  int iteration = 0;           ///< 0-based iteration index, as IterationRecord::iteration
  double loss = 0.0;           ///< the batch loss (with the L2 penalty), as the trainer reports it
  double data_loss = 0.0;      ///< the mean sample loss without the penalty
  double accuracy = 0.0;       ///< fraction of the batch classified right
  double lr = 0.0;             ///< the learning rate of the update that followed
  std::string progress;        ///< train::progress_line() of the iteration, as printed
  std::vector<double> params;  ///< parameter values before the update
  std::vector<double> grads;   ///< the batch gradient of every parameter
  std::vector<UnitActivity> units;  ///< one per unit
  /// For 2-D inputs: the network's score at every grid point, row-major (row 0 at y_min), and
  /// per unit its output at every grid point; for 1-D inputs the same along the x1 axis (the
  /// fitted curve); empty otherwise.
  std::vector<double> score_map;
  std::vector<std::vector<double>> unit_maps;  ///< per unit, grid values as score_map
  /// One sample's backward pass through every unit's nodes (only at detail iterations).
  std::vector<SampleDetail> detail;
  /// Every sample's backward pass in brief (only at detail iterations, if recorded): per sample
  /// (row) and unit, row-major, the unit's pre-activation z + b. With pass_grad and the
  /// parameters these give every node's numbers of the pass.
  std::vector<double> pass_pre;
  /// Per sample and unit as pass_pre: d loss_s / d output for the sample's own loss.
  std::vector<double> pass_grad;
};

/// A recorded training run.
struct TrainingRecord {
  std::vector<std::size_t> sizes;        ///< {n_inputs, hidden..., n_outputs}
  std::vector<RecordedUnit> units;       ///< every unit, layer by layer
  std::vector<std::string> param_names;  ///< the parameters' node labels, in order
  std::string loss_name;                 ///< "hinge", "mse", ...
  /// The trainer's accuracy rule: a sample is right when (score > score_threshold) ==
  /// (target > target_threshold); the decision boundary is score = score_threshold.
  double score_threshold = 0.0;
  double target_threshold = 0.0;  ///< see score_threshold
  /// The data the network was trained on (features row-major, one target per sample).
  std::size_t features = 0;
  std::vector<double> x;  ///< features, size() * features values
  std::vector<double> y;  ///< targets
  /// The grid of the maps: for 2-D inputs grid × grid points over [x_min, x_max] ×
  /// [y_min, y_max]; for 1-D inputs grid points over [x_min, x_max].
  std::size_t grid = 0;
  double x_min = 0.0;                       ///< the grid's first x1
  double x_max = 0.0;                       ///< the grid's last x1
  double y_min = 0.0;                       ///< the grid's first x2 (row 0)
  double y_max = 0.0;                       ///< the grid's last x2
  std::vector<TrainingSnapshot> snapshots;  ///< in iteration order
};

}  // namespace gradflow
