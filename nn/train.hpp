// Training on a static graph: losses built from nodes, L2 regularisation, SGD with a learning-rate
// schedule and momentum, data sets as plain arrays, a CSV loader and the two-moons generator.
//
// How a batch is trained. The Trainer records the network once, for ONE sample: input nodes, a
// target node, the score and that sample's loss, plus the L2 penalty on the parameters:
//
//     root = sample_loss(score, target) + alpha * sum_p p^2
//
// and compiles an Executor (engine/executor.hpp) over that root for the batch size. Each
// iteration writes the next batch's rows and targets into the executor's inputs, runs forward
// and backward over the whole batch at once, and updates the parameters with SGD. The executor
// averages the root over the batch and evaluates the penalty once (it depends only on the
// parameters), so the loss minimised is
//
//     loss = mean_i sample_loss(score_i, target_i) + alpha * sum_p p^2
//
// and a parameter's gradient is the batch mean of its per-sample gradients plus 2 alpha p.
// Nothing is rebuilt and nothing is allocated per node while training. Full batch (micrograd's
// moons demo): batch_size = number of samples; per-sample SGD: batch_size = 1.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <gradflow/engine/executor.hpp>
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

/// `classes` interleaved spiral arms of `per_class` points each (CS231n's spiral data): arm j has
/// radius r = k/(per_class - 1) and angle t = 4j + 4r (k = 0 .. per_class-1) plus Gaussian noise
/// of standard deviation `noise` on t (nn::Rng, seeded); the point is (r sin t, r cos t) and its
/// label j = 0, 1, ... Not separable by a line: a multi-class Trainer's test.
Dataset make_spiral(std::size_t per_class, std::size_t classes, double noise, std::uint32_t seed);

// ---- losses, built from nodes -------------------------------------------------------------------

/// Per-sample loss of a score s against a target t.
enum class Loss : std::uint8_t {
  mse,         ///< (s - t)^2
  bce_logits,  ///< binary cross-entropy of sigmoid(s) against t in [0, 1], from the logit s
  hinge,       ///< max-margin, labels -1/+1: relu(1 - t s)
  /// softmax cross-entropy over several logits against a class 0, 1, ... (multi-class
  /// Trainer; softmax_cross_entropy())
  softmax_ce,
};
/// "mse", "bce_logits", "hinge" or "softmax_ce".
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
/// log sum_k e^(z_k), as m + log sum_k e^(z_k - m) with m = detach(max_k z_k): no overflow for
/// any logits, and since m is detached the max's kinks appear in no derivative (d/dm of the sum
/// is 0 anyway): its gradient is softmax(z), its Hessian diag(p) - p p^T, at any order.
Node logsumexp(std::span<const Node> logits);
/// log softmax(z)_i = z_i - logsumexp(z), one node per logit.
std::vector<Node> log_softmax(std::span<const Node> logits);
/// -log softmax(z)_t = logsumexp(z) - z_t for the class t (UsageError unless t < logits).
Node softmax_cross_entropy(std::span<const Node> logits, std::size_t target);
/// logsumexp(z) - sum_k t_k z_k for one-hot target nodes t_k (a static graph whose class is
/// an input); UsageError unless there are as many targets as logits.
Node softmax_cross_entropy(std::span<const Node> logits, std::span<const Node> one_hot);
/// sum(terms) * (1/n): one sum node, one mul node.
Node mean(std::span<const Node> terms);
/// alpha * sum_p p*p over the parameters: one mul node per parameter, one sum, one scaling.
Node l2_penalty(std::span<const Node> parameters, double alpha);

// ---- optimisation -------------------------------------------------------------------------------

/// lr(k) = start - drop * k / n for iteration k = 0 .. n-1 of a schedule n iterations long;
/// micrograd: start 1, drop 0.9. drop = 0 is a constant rate. Past its end the schedule stays
/// at its last value: for k >= n the rate is start - drop (and for k < 0 it is start), so a
/// Trainer that keeps iterating after `iterations` (fit() called twice, say) never drives a
/// decaying rate below start - drop or negative (issue 12).
struct LearningRate {
  double start = 0.1;  ///< rate at iteration 0
  double drop = 0.0;   ///< total decrease over the schedule (the rate ends at start - drop)
  /// The rate at `iteration` of a schedule `iterations` long, clamped to its ends.
  double at(int iteration, int iterations) const {
    if (iteration >= iterations) return start - drop;
    if (iteration <= 0) return start;
    return start - drop * static_cast<double>(iteration) / static_cast<double>(iterations);
  }
};

/// SGD with momentum in PyTorch's form: v = momentum * v + g, p -= lr * v. With momentum 0 this
/// is exactly p -= lr * g (micrograd's update).
class SGD {
 public:
  /// Updates `parameters`, each starting with velocity 0.
  SGD(std::vector<Node> parameters, double momentum = 0.0);
  /// Applies one update from the parameters' gradients in the graph (after Graph::backward).
  void update(double lr);
  /// Applies one update from `gradients`, one per parameter in the order given (e.g. an
  /// Executor's batch gradients); UsageError if the sizes differ.
  void update(double lr, std::span<const double> gradients);
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
  int iterations = 100;   ///< iterations fit() runs (at least 1); also the schedule's length
  LearningRate lr{};      ///< learning-rate schedule
  double momentum = 0.0;  ///< SGD momentum; 0 is plain SGD
  /// Samples per iteration; 0 means the whole data set (full batch). Smaller batches take the
  /// rows of a seeded shuffle in turn, reshuffling when fewer than batch_size remain.
  std::size_t batch_size = 0;
  std::uint32_t shuffle_seed = 1;  ///< seed of the minibatch shuffle (unused for full batch)
  /// Accuracy counts a sample as right when (score > score_threshold) == (target >
  /// target_threshold); with Loss::softmax_ce, when the largest score's index is the class.
  /// Defaults suit -1/+1 labels and logits; 0/1 targets with sigmoid outputs want 0.5 and 0.5.
  double score_threshold = 0.0;
  double target_threshold = 0.0;  ///< see score_threshold
  /// Print "step K loss L accuracy A%" (loss to 12 decimals, micrograd's wording) every
  /// print_every iterations.
  bool print_progress = false;
  /// With print_progress: iterations 0, k, 2k, ... are printed; k <= 0 prints none.
  int print_every = 1;
};

/// What one iteration saw: the loss and accuracy of the batch before the update, and the rate
/// used.
struct IterationRecord {
  int iteration = 0;       ///< 0-based index of the iteration
  double loss = 0.0;       ///< the batch loss, with the L2 penalty if any
  double data_loss = 0.0;  ///< the mean sample loss, without the penalty
  double accuracy = 0.0;   ///< fraction in [0, 1]
  double lr = 0.0;         ///< learning rate of the update
};

/// "step K loss L accuracy A%" with the loss to 12 decimals (micrograd's progress line).
std::string progress_line(const IterationRecord& r);

/// The static training graph of one network, the batched executor that evaluates it, and SGD.
/// The network has one output, or with Loss::softmax_ce one logit per class (at least 2): the
/// data set's targets are then the classes 0, 1, ..., fed to one-hot target inputs.
class Trainer {
 public:
  /// Records `net` once into `g` over new input nodes, a target node, the sample loss and the
  /// L2 penalty, and compiles an Executor over it for batches of options.batch_size samples
  /// (all `n_samples` for full batch). UsageError for a network with more than one output
  /// (except with softmax_ce, which needs 2 or more), an empty data set, a batch larger than it,
  /// or fewer than one iteration.
  Trainer(Graph& g, const nn::MLP& net, std::size_t n_samples, const TrainOptions& options);

  /// One iteration on the next batch of `data`: write its rows and targets into the executor,
  /// run forward and backward over the batch, update the parameters.
  IterationRecord iterate(const Dataset& data);
  /// options.iterations iterations; calls on_iteration (if given) after each.
  std::vector<IterationRecord> fit(
      const Dataset& data, const std::function<void(const IterationRecord&)>& on_iteration = {});

  /// The network's output for one sample's features with the parameters' current values: the
  /// recorded network's cone, evaluated in the trainer's own workspace (the graph's values and
  /// the executor are untouched).
  /// With Loss::softmax_ce: the class whose logit is largest (0, 1, ...).
  double predict(std::span<const double> features);
  /// Fraction of `data` classified right (thresholds as in TrainOptions), through predict().
  double accuracy(const Dataset& data);

  /// The root the executor minimises, for one sample: data_loss() plus the L2 penalty
  /// (data_loss() itself if l2 is 0). Its batch mean is executor().loss().
  Node loss() const { return loss_; }
  /// One sample's loss, without the penalty.
  Node data_loss() const { return data_loss_; }
  /// The network's output node for the recorded sample.
  Node score() const { return score_; }
  /// The recorded sample's input nodes, one per feature.
  std::span<const Node> inputs() const { return inputs_; }
  /// The recorded sample's target node (with softmax_ce: class 0's one-hot input).
  Node target() const { return target_; }
  /// The network's output nodes (one, or one logit per class).
  std::span<const Node> scores() const { return scores_; }
  /// The one-hot target inputs with softmax_ce (one per class); empty otherwise.
  std::span<const Node> one_hot() const { return one_hot_; }
  /// The executor over loss(): after an iteration it holds that iteration's batch, evaluated
  /// with the parameters before the update (value(n, s), grad(n, s), loss()).
  const Executor& executor() const { return exec_; }
  /// The parameters' batch gradients of the last iteration (before its update), in the order of
  /// the network's parameters(); zeros before the first iteration.
  std::span<const double> gradients() const { return grads_; }
  /// Samples per iteration (the data set's size for full batch).
  std::size_t batch_size() const { return batch_; }
  /// The options the trainer was built with.
  const TrainOptions& options() const { return options_; }
  /// Number of iterations run so far (over every fit()).
  int iterations_done() const { return iterations_done_; }

 private:
  Node record(const nn::MLP& net);
  void next_batch(std::size_t n);

  Graph* g_;
  TrainOptions options_;
  std::size_t features_;
  std::size_t batch_;
  std::vector<Node> inputs_;  // one per feature
  Node target_, score_, data_loss_;
  std::vector<Node> scores_, one_hot_;
  Node loss_;  // recorded by record(), after the members above
  Executor exec_;
  SGD sgd_;
  std::vector<double> grads_;   // one per parameter
  std::vector<double> column_;  // one feature (or the targets) of the batch
  int iterations_done_ = 0;
  // minibatches
  std::vector<std::size_t> order_;
  std::size_t cursor_ = 0;
  nn::Rng shuffle_;
  // predict()
  Plan probe_plan_;
  Workspace probe_ws_;
};

}  // namespace gradflow::train
