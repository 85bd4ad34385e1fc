// Training on a static graph: losses built from nodes, L2 regularisation, SGD with a learning-rate
// schedule and momentum, data sets as plain arrays, a CSV loader and the two-moons generator.
//
// How a batch is trained. The Trainer records the network once per sample of a batch, every
// copy sharing the same parameter nodes, then one loss node over all copies:
//
//     loss = mean_i sample_loss(score_i, target_i) + alpha * sum_p p^2
//
// Each step sets the copies' input and target nodes to the next batch's rows, runs forward and
// backward once over that same graph, and updates the parameters. Nothing is rebuilt and
// nothing is allocated per node while training; a parameter's gradient is the sum of its
// contributions from every copy, the batch-mean gradient. Full batch (micrograd's moons demo):
// batch_size = number of samples; per-sample SGD: batch_size = 1.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <gradflow/graph/graph.hpp>
#include <gradflow/graph/plan.hpp>
#include <gradflow/nn/nn.hpp>

namespace gradflow::train {

// ---- data ---------------------------------------------------------------------------------------

/// Samples as plain arrays: sample i has features x[i * features ... + features - 1] and the
/// target y[i].
struct Dataset {
  std::size_t features = 0;  ///< features per sample (0 until the first sample is added)
  std::vector<double> x;     ///< features, row-major: size() * features values
  std::vector<double> y;     ///< one target per sample

  /// Number of samples.
  std::size_t size() const { return y.size(); }
  /// Sample i's features (a view into x; i is not checked).
  std::span<const double> row(std::size_t i) const { return {x.data() + i * features, features}; }
  /// Appends one sample; the first one fixes `features`, later ones must match (UsageError).
  void add(std::span<const double> features_of_sample, double target);
};

/// Parses CSV text: one sample per line, numbers separated by commas, the last column the
/// target. The first line may be a header (it is one if any of its fields is not a number).
/// Blank lines are skipped. A malformed line throws Error naming `source`, the line number and
/// what is wrong ("moons.csv:7: field 2 'x' is not a number").
Dataset parse_csv(std::string_view text, std::string_view source = "<csv>");
/// Reads and parses a CSV file; Error if it cannot be read.
Dataset load_csv(const std::string& path);
/// Reads one number per line (blank lines skipped), e.g. an --init file of parameters.
std::vector<double> load_numbers(const std::string& path);

/// Two interleaving half circles, as scikit-learn's make_moons(n, noise=noise) without shuffling:
/// the first n/2 samples on the upper moon cos t, sin t (t = 0..pi, evenly spaced), label -1
/// (or 0), the rest on the lower moon 1 - cos t, 1/2 - sin t, label +1; then Gaussian noise of
/// standard deviation `noise` added to x1 and x2 in turn (nn::Rng, seeded).
Dataset make_moons(std::size_t n, double noise, std::uint32_t seed, bool plus_minus_labels = true);

// ---- losses, built from nodes -------------------------------------------------------------------

/// Per-sample loss of a score s against a target t.
enum class Loss : std::uint8_t {
  mse,         ///< (s - t)^2
  bce_logits,  ///< binary cross-entropy of sigmoid(s) against t in [0, 1], from the logit s
  hinge,       ///< max-margin, labels -1/+1: relu(1 - t s)
};
/// "mse", "bce_logits" or "hinge".
std::string_view name(Loss loss);

/// (score - target)^2.
Node squared_error(Node score, Node target);
/// -[t log sigmoid(s) + (1 - t) log(1 - sigmoid(s))] = softplus(s) - t s: no log of 0 and no
/// overflow for any logit (softplus evaluates log1p(e^-|s|)).
Node bce_with_logits(Node logit, Node target);
/// relu(1 - label * score), labels -1/+1 (micrograd's max-margin loss).
Node hinge(Node score, Node label);
/// Records the chosen loss: squared_error(), bce_with_logits() or hinge().
Node sample_loss(Loss loss, Node score, Node target);
/// sum(terms) * (1/n): one sum node, one mul node.
Node mean(std::span<const Node> terms);
/// alpha * sum_p p*p over the parameters: one mul node per parameter, one sum, one scaling.
Node l2_penalty(std::span<const Node> parameters, double alpha);

// ---- optimisation -------------------------------------------------------------------------------

/// lr(k) = start - drop * k / steps for step k = 0 .. steps-1; micrograd: start 1, drop 0.9.
/// drop = 0 is a constant rate.
struct LearningRate {
  double start = 0.1;  ///< rate at step 0
  double drop = 0.0;   ///< total decrease over the run (the rate approaches start - drop)
  /// The rate at `step` of a run of `steps` steps.
  double at(int step, int steps) const {
    return start - drop * static_cast<double>(step) / static_cast<double>(steps);
  }
};

/// SGD with momentum in PyTorch's form: v = momentum * v + g, p -= lr * v. With momentum 0 this
/// is exactly p -= lr * g (micrograd's update).
class SGD {
 public:
  /// Updates `parameters`, each starting with velocity 0.
  SGD(std::vector<Node> parameters, double momentum = 0.0);
  /// Applies one update from the parameters' current gradients.
  void step(double lr);
  /// The parameters updated, in the order given.
  std::span<const Node> parameters() const { return params_; }

 private:
  std::vector<Node> params_;
  std::vector<double> velocity_;
  double momentum_;
};

/// How a Trainer builds its loss and runs SGD.
struct TrainOptions {
  Loss loss = Loss::mse;  ///< per-sample loss, averaged over the batch
  double l2 = 0.0;        ///< alpha of the L2 penalty; 0 records none
  int steps = 100;        ///< steps fit() runs (at least 1); also the schedule's length
  LearningRate lr{};      ///< learning-rate schedule
  double momentum = 0.0;  ///< SGD momentum; 0 is plain SGD
  /// Samples per step; 0 means the whole data set (full batch). Smaller batches take the rows of
  /// a seeded shuffle in turn, reshuffling when fewer than batch_size remain.
  std::size_t batch_size = 0;
  std::uint32_t shuffle_seed = 1;  ///< seed of the minibatch shuffle (unused for full batch)
  /// Accuracy counts a sample as right when (score > score_threshold) == (target >
  /// target_threshold). Defaults suit -1/+1 labels and logits; 0/1 targets with sigmoid outputs
  /// want 0.5 and 0.5.
  double score_threshold = 0.0;
  double target_threshold = 0.0;  ///< see score_threshold
  /// Print "step K loss L accuracy A%" (loss to 12 decimals) every print_every steps.
  bool print_progress = false;
  int print_every =
      1;  ///< with print_progress: steps 0, k, 2k, ... are printed; k <= 0 prints none
};

/// What one step saw: the loss and accuracy of the batch before the update, and the rate used.
struct StepRecord {
  int step = 0;            ///< 0-based index of the step
  double loss = 0.0;       ///< the loss, with the L2 penalty if any
  double data_loss = 0.0;  ///< the mean sample loss, without the penalty
  double accuracy = 0.0;   ///< fraction in [0, 1]
  double lr = 0.0;         ///< learning rate of the update
};

/// "step K loss L accuracy A%" with the loss to 12 decimals.
std::string progress_line(const StepRecord& r);

/// The static training graph of one network (its last layer must have one output) and SGD.
class Trainer {
 public:
  /// Records batch copies of `net` for a data set of `n_samples` samples into `g`, the loss,
  /// and a separate probe copy used by predict().
  Trainer(Graph& g, const nn::MLP& net, std::size_t n_samples, const TrainOptions& options);

  /// One step on the next batch of `data`: set inputs, forward, backward, update.
  StepRecord step(const Dataset& data);
  /// options.steps steps; calls on_step (if given) after each.
  std::vector<StepRecord> fit(const Dataset& data,
                              const std::function<void(const StepRecord&)>& on_step = {});

  /// The network's output for one sample's features, through the probe copy: only the probe's
  /// nodes are evaluated, in its own workspace, with the parameters' current values.
  double predict(std::span<const double> features);
  /// Fraction of `data` classified right (thresholds as in TrainOptions), through predict().
  double accuracy(const Dataset& data);

  /// The node minimised: data_loss() plus the L2 penalty (data_loss() itself if l2 is 0).
  Node loss() const { return loss_; }
  /// The mean sample loss over the batch copies.
  Node data_loss() const { return data_loss_; }
  /// The network's output node in each batch copy.
  std::span<const Node> scores() const { return scores_; }
  /// Samples per step (the data set's size for full batch).
  std::size_t batch_size() const { return batch_; }
  /// The options the trainer was built with.
  const TrainOptions& options() const { return options_; }
  /// Number of steps taken so far.
  int steps_done() const { return steps_done_; }

 private:
  void next_batch(std::size_t n);
  void sync_probe();

  Graph* g_;
  TrainOptions options_;
  std::size_t features_;
  std::size_t batch_;
  std::vector<Node> inputs_;   // batch_ x features_, row-major
  std::vector<Node> targets_;  // one per copy
  std::vector<Node> scores_;   // one per copy
  Node data_loss_, loss_;
  SGD sgd_;
  int steps_done_ = 0;
  // minibatches
  std::vector<std::size_t> order_;
  std::size_t cursor_ = 0;
  nn::Rng shuffle_;
  // probe copy for predict()
  std::vector<Node> probe_inputs_;
  Node probe_output_;
  Plan probe_plan_;
  Workspace probe_ws_;
  std::vector<NodeId> param_ids_;
};

}  // namespace gradflow::train
