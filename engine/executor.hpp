// The batched executor: one static graph, evaluated for a whole batch of samples at once.
//
// The graph describes ONE sample (its inputs, the network, that sample's loss). The executor
// compiles the cone of a root (make_plan) into a list of steps and holds every node's values for
// the batch in flat arrays, node-major: the values of node n for samples 0..B-1 are contiguous.
// Each step runs one op's rule over the whole batch in a tight loop, so the per-node dispatch is
// paid once per batch, not once per sample.
//
// Which nodes vary from sample to sample: inputs, and every node with a varying operand.
// Parameters, constants and nodes computed only from them (an L2 penalty, say) are *uniform*:
// evaluated once per batch, stored once, and their gradient is reduced over the batch:
//     grad(p) = Σ_s d(root_s)/dp          (Reduction::sum)
//     grad(p) = (1/B) Σ_s d(root_s)/dp    (Reduction::mean, the default)
// With the mean, a graph whose root is one sample's loss  relu(1 - y s) + α Σ p²  yields exactly
// micrograd's batch loss (mean data loss + the penalty, counted once) and its gradient.
//
// Fusion: a `sum` node whose terms are all `mul` nodes of a uniform weight and a varying value,
// each used by nothing else (what a neuron records: w1 x1 + ... + wn xn), runs as one weighted-sum
// kernel. The graph, its dumps and the stepper still show the primitive mul nodes; value(m, s)
// and grad(m, s) of such a mul are recomputed on demand, bit for bit what an unfused run stores.
// A neuron's chain, that weighted sum (or an affine node, below), its bias (a bias or add node
// of a uniform) and an activation without a domain, each read by nothing else, runs as one step
// (fused_neurons()): the same arithmetic in fewer passes, every node of the chain still stored.
// Backward, each varying gradient row's first write stores rather than adds (planned at compile
// time), so that only rows nothing writes are zeroed before the sweep.
//
// Affine nodes (gradflow::affine, nn's MLPOptions::fused: w_1 x_1 + ... + w_n x_n + b as one
// node) run as a step of their own: when every pair is a uniform weight and a varying value and
// the bias is uniform (a neuron), the weighted-sum kernel plus the bias; any other mix of
// operands through rules::Affine sample by sample. Either gives, sample by sample, the bits of
// Graph::backward on the affine graph, and for a network the bits of its primitive form
// bias(sum(w_k x_k), b) run by the executor (the same products, added in the same order, and the
// same tiling: an affine node counts as the nodes its primitive form stores).
//
// Threads: the batch is split into tiles of consecutive samples, small enough that a tile's values
// and gradients stay in cache; the tiles run on a oneTBB task arena (ExecutorOptions::threads, by
// default every core). The tiling depends on the graph and the batch, never on the thread count,
// and each tile reduces its samples into its own partial gradients, added tile by tile in tile
// order: the results are bit-identical for any number of threads.
//
// Per-sample readback: value(n, s) and grad(n, s) are what Graph::backward(root) gives for node n
// when the graph's inputs hold sample s (exactly the same numbers for varying nodes; uniform
// nodes' per-sample gradients come from a single-sample sweep, done on demand and cached).
//
// Large batches (issue 16): past 1 MiB of per-sample numbers, storing them all would stream them
// through memory at every run. Then each tile runs in its thread's scratch block (it stays in
// cache), the run keeps only the per-sample roots, the uniform nodes' numbers and a copy of its
// inputs, and read-back recomputes the tile of the sample asked for (the same kernels on the same
// numbers: the same bits), caching the last one (keeps_samples(), ExecutorOptions::samples).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include <gradflow/graph/graph.hpp>
#include <gradflow/graph/plan.hpp>

namespace gradflow {

/// How the executor reduces uniform nodes' gradients (parameters) and the root over the batch.
enum class Reduction : std::uint8_t {
  mean,  ///< average over samples: the batch loss is the mean of the per-sample roots
  sum,   ///< sum over samples
};

/// Whether an Executor keeps every sample's numbers after a run (see Executor::keeps_samples()).
enum class SampleStorage : std::uint8_t {
  automatic,  ///< keep them up to 1 MiB, recompute them on demand past that
  keep,       ///< always keep every sample's values and gradients
  recompute,  ///< never: each tile runs in a per-thread scratch block; read-back recomputes
};

/// How an Executor compiles and reduces.
struct ExecutorOptions {
  /// How the root and the uniform nodes' gradients are reduced over the batch.
  Reduction reduction = Reduction::mean;
  /// Run a neuron's weighted sum (sum of weight × value muls) as one kernel.
  bool fuse = true;
  /// Threads that run the batch's tiles: 0 = every core the process may use. Results do not
  /// depend on it (bit for bit).
  std::size_t threads = 0;
  /// Samples per tile: 0 = chosen from the graph so that a tile's numbers stay in cache (a
  /// multiple of 8). Results depend on the tiling (the order of the batch reductions), never on
  /// the thread count.
  std::size_t tile = 0;
  /// Whether every sample's values and gradients are kept after a run (the same numbers either
  /// way, bit for bit; only the speed of a run and of per-sample read-back differ).
  SampleStorage samples = SampleStorage::automatic;
};

/// Evaluates the cone of `root` for `batch` samples at once. Holds a reference to the graph:
/// parameters and constants are read from it at each forward(); the graph must outlive the
/// executor. The graph may grow after compilation (the cone of a node never changes).
class Executor {
 public:
  /// Stands for "no particular sample": nodes that depend on no input are shared by all.
  static constexpr std::size_t no_sample = static_cast<std::size_t>(-1);
  /// Compiles the cone of `root`. Inputs start with the graph's current value in every sample.
  /// Throws UsageError for an empty batch or a root of another graph.
  Executor(const Graph& g, Node root, std::size_t batch, ExecutorOptions options = {});

  /// Number of samples evaluated at once.
  std::size_t batch() const { return batch_; }
  /// The node whose cone is compiled (one sample's loss).
  Node root() const { return root_; }
  /// The cone of the root in evaluation order (Boost.Graph depth-first search).
  const Plan& plan() const { return plan_; }
  /// The options the executor was compiled with.
  ExecutorOptions options() const { return options_; }
  /// Number of sum nodes that run as one weighted-sum kernel.
  std::size_t fused_sums() const { return fused_sums_; }
  /// Number of neurons (weighted sum, bias, activation) that run as one step.
  std::size_t fused_neurons() const { return fused_neurons_; }
  /// Number of threads that run the tiles (options().threads, at most one per core).
  std::size_t threads() const { return threads_; }
  /// Samples per tile (the last tile may hold fewer).
  std::size_t tile_size() const { return tile_; }
  /// Number of tiles the batch is split into.
  std::size_t tiles() const { return ntiles_; }
  /// Whether node `n` differs from sample to sample (an input, or computed from one).
  bool varies(Node n) const;
  /// Whether a run keeps every sample's values and gradients (ExecutorOptions::samples; by
  /// default while they take at most 1 MiB). When it does not, each tile runs in a per-thread
  /// scratch block that stays in cache, only the per-sample roots and the uniform nodes'
  /// numbers are kept, and value(n, s), grad(n, s) of varying nodes and sample_workspace(s)
  /// recompute sample s's tile (forward and backward, from that run's inputs and uniform values)
  /// into a cached block: the same bits, at the cost of one tile's run per tile read.
  bool keeps_samples() const { return keep_; }

  // ---- inputs ---------------------------------------------------------------------------------
  /// The batch's values of input `n` (one per sample), to be written before forward().
  /// Throws UsageError unless `n` is an input in the root's cone.
  /// In a run that does not keep samples, read-back still sees the inputs as they were at the
  /// last forward (they are copied then).
  std::span<double> input(Node n);
  /// Copies `values` (one per sample) into input `n`.
  void set_input(Node n, std::span<const double> values);

  // ---- evaluation -----------------------------------------------------------------------------
  /// Evaluates every node of the cone for every sample. Parameters and constants are read from
  /// the graph. Throws DomainError / NumericError (check mode) naming the node and the sample.
  void forward();
  /// Reverse sweep for every sample at once; parameters' gradients are reduced over the batch.
  void backward();
  /// forward() then backward(), tile by tile (each tile's backward runs while its numbers are
  /// still in cache); the same numbers as forward() then backward().
  void run();

  // ---- results --------------------------------------------------------------------------------
  /// The root reduced over the batch (mean or sum, see Reduction).
  double loss() const;
  /// Value of `n` in sample `s`. When samples are not kept, a varying node's value is
  /// recomputed from the last forward pass, and asking before one completed throws UsageError.
  double value(Node n, std::size_t s) const;
  /// d(root_s)/d(n) in sample s: what Graph::backward(root) gives when the inputs hold sample s.
  double grad(Node n, std::size_t s) const;
  /// Gradient of the reduced batch loss with respect to `n`: for uniform nodes (parameters) the
  /// reduction over samples of their per-sample gradients; for varying nodes, the same
  /// reduction of grad(n, s) (each sample has its own copy of the node).
  double grad(Node n) const;
  /// Gradients of `params` (parameter nodes), reduced over the batch, in the order given.
  void gradients(std::span<const Node> params, std::span<double> out) const;
  /// Writes sample `s`'s values and gradients for the whole cone into `ws` (sized for the graph,
  /// nodes outside the cone keep the graph's values and gradient 0): a workspace the stepper or
  /// the table printers read exactly as they read a single-sample evaluation of the graph.
  void sample_workspace(std::size_t s, Workspace& ws) const;

 private:
  enum class Storage : std::uint8_t { none, varying, uniform, elided };
  struct Loc {
    std::uint32_t index = 0;  // slot (varying/uniform) or, for elided muls, the fused sum's id
    Storage storage = Storage::none;
  };
  enum class Kind : std::uint8_t {
    leaf_uniform,  // a parameter or constant: read from the graph
    scalar,        // an op node with only uniform operands: evaluated once
    unary,         // varying operand
    binary_vv,     // both operands varying
    binary_vu,     // first varying, second uniform
    binary_uv,     // first uniform, second varying
    sum,           // n-ary sum, terms in terms_ [first, first + count)
    dot,           // fused weighted sum, (weight, value) pairs in terms_
    affine_dot,    // affine of (uniform, varying) pairs and a uniform bias: terms_ holds the
                   // (uniform, varying) slots of each pair, then the bias's; b = operand count
    affine,        // affine of any other mix: operands encoded as a sum's; b = operand count
    neuron,        // a dot, its bias (bias or add of a uniform) and an activation, or an
                   // affine_dot and an activation, each read only by the next: the original
                   // steps in parts_ [a, a + b), run in one pass (every node still stored)
  };
  struct Step {
    Kind kind;
    Op op;
    // Backward: bit 0 (1) / bit 1 (2) set when the edge to operand a / b is the first write to
    // that operand's gradient row in the sweep (it stores instead of adding to a zeroed row).
    std::uint8_t first = 0;
    NodeId node;
    std::uint32_t out;   // slot of the result
    std::uint32_t a, b;  // operand slots; for sum/dot/affine: first term and term count
    double attr;
  };

  void compile();
  void sweep(bool fwd, bool bwd);
  void choose_tiles(std::size_t varying_nodes);
  const Loc& loc(Node n, const char* what) const;
  // Varying numbers are stored tile-major: tile t holds, node by node, the rows of its samples,
  // so that a tile's numbers are contiguous.
  std::size_t at(std::uint32_t slot, std::size_t s) const {
    return s / tile_ * block_ + slot * tile_ + s % tile_;
  }
  // The arrays a tile works on, as locals (kept in registers across steps).
  struct Bufs {
    double* vv;  // varying values of the tile's first sample (row stride `stride`)
    double* vg;  // varying gradients, likewise
    double* uv;  // uniform values
    double* ug;  // uniform gradients (the tile's own partial sums in backward)
    const std::uint32_t* terms;
    const std::uint8_t* first;  // first_, beside terms
    const Step* parts;          // parts_
    std::size_t nb;             // samples in the tile
    std::size_t stride;         // distance between two nodes' rows (the tile size)
    std::size_t s0;             // the tile's first sample
    const double* gv;           // the graph's values (parameters and constants are read from it)
  };
  // Tile `tile`'s arrays: its stored block, or (not keeping samples) scratch block `worker`.
  Bufs bufs(std::size_t tile, std::size_t worker);
  // Tile `tile`'s view of the given varying values, varying gradients and uniform gradients.
  Bufs tile_bufs(std::size_t tile, double* vv, double* vg, double* ug) const;
  // kOne: the batch holds one sample, and every loop over it is known to run once. The inputs
  // are read from `rows` (input by input, sample by sample) and, unless null, copied to `snap`.
  template <bool kOne>
  void forward_tile(const Bufs& b, const double* rows, double* snap, std::size_t& step,
                    bool check) const;
  template <bool kOne>
  void backward_tile(const Bufs& b, double scale) const;
  // Not keeping samples: recomputes tile `tile` of the last run into rv_/rg_ (cached).
  void recompute(std::size_t tile) const;
  // A varying slot's number in sample s, stored or recomputed.
  double vnum(std::uint32_t slot, std::size_t s, bool gradient) const;
  // The uniform steps (parameters, constants, what only they compute), once per batch.
  void uniform_forward(const Bufs& whole, bool check);
  void uniform_backward(const Bufs& whole, double scale);
  // Runs f(tile, worker) for every tile, on the arena when there are several threads and tiles;
  // worker (below workers_) is the running thread's own: two tiles at once never share one.
  template <class F>
  void for_tiles(F&& f);
  template <bool kOne>
  void forward_step(const Bufs& m, const Step& st, const Conventions& conv) const;
  template <bool kOne>
  void dot_backward(const Bufs& m, const Step& st, double scale) const;
  template <bool kOne>
  void backward_step(const Bufs& m, const Step& st, const Conventions& conv, double scale) const;
  void check_step(const Step& st, bool gradient, std::size_t s0, std::size_t s1) const;
  // check_step over a tile's rows in its arrays (a varying step).
  void check_rows(const Bufs& b, const Step& st, bool gradient) const;
  const Workspace& sample_cache(std::size_t s) const;
  double value_at(NodeId id, std::size_t s) const;

  const Graph* g_;
  Node root_;
  std::size_t batch_;
  ExecutorOptions options_;
  Plan plan_;
  std::size_t fused_sums_ = 0;
  std::size_t fused_neurons_ = 0;
  std::vector<Loc> loc_;      // by node id
  std::vector<Step> steps_;   // evaluation order
  std::vector<Step> usteps_;  // the uniform ones (run once per batch), in order
  std::vector<Step> uops_;    // usteps_ without the leaves
  struct Leaf {
    std::uint32_t slot;  // the leaf's uniform slot
    NodeId node;
  };
  std::vector<Leaf> uleaves_;  // the uniform leaves (parameters, constants), read in one loop
  std::vector<Step> vsteps_;   // the varying ones (run per tile), in order
  std::uint32_t nv_ = 0;       // varying slots
  std::size_t tile_ = 0, ntiles_ = 0, threads_ = 1;
  std::size_t block_ = 0;        // numbers per tile: nv_ * tile_
  std::vector<double> in_rows_;  // the inputs' values, input by input, sample by sample
  struct InputRow {
    std::uint32_t slot;  // the input's varying slot
    std::uint32_t row;   // its row in in_rows_
  };
  std::vector<InputRow> inputs_;
  std::vector<double> tile_ug_;  // tiles 1..: their partial uniform gradients
  struct Pool;                   // the task arena (oneTBB, kept out of this header)
  std::shared_ptr<Pool> pool_;   // null: the tiles run on the calling thread
  static std::shared_ptr<Pool> make_pool(std::size_t threads);
  // sum, affine and uniform variadic steps: encoded slots (slot << 1 | uniform); dot and
  // affine_dot: raw slots, see Kind
  std::vector<std::uint32_t> terms_;
  // Beside terms_: 1 where the term's edge to a varying operand is the first write to that
  // operand's gradient row in the backward sweep (for dot and affine_dot pairs, at the value).
  std::vector<std::uint8_t> first_;
  // Varying gradient rows zeroed before each backward sweep: the rows no edge writes (but the
  // root's), and those whose first write is an edge that adds (an affine step of any mix).
  std::vector<std::uint32_t> zero_rows_;
  void plan_first_writes();
  // Zero every varying gradient row before the sweep all the same: when the batch's varying
  // numbers outgrow a core's cache, a row's first store would read its lines from memory, which
  // zeroing the tile's contiguous block (a string store) avoids. Speed only: the same bits.
  bool zero_all_ = false;
  void fuse_neurons(const std::vector<std::uint32_t>& uses);
  std::vector<Step> parts_;           // the steps neuron steps run, in evaluation order
  std::vector<double> vval_, vgrad_;  // varying nodes: at(slot, sample), or the scratch blocks
  // Not keeping samples (keep_ false): vval_ and vgrad_ hold one block per worker, roots_ the
  // root's value per sample, snap_rows_ the inputs as at the last forward; rv_/rg_ one tile
  // recomputed on demand, vsum_ the varying gradients reduced over the batch (on demand).
  bool keep_ = true;
  std::size_t workers_ = 1;
  std::vector<double> roots_, snap_rows_;
  mutable std::vector<double> rv_, rg_, rug_, vsum_;
  mutable std::size_t recomputed_ = no_sample;  // the tile rv_/rg_ hold, or no_sample
  mutable bool summed_ = false;                 // whether vsum_ holds the last run's
  std::vector<double> uval_, ugrad_;            // uniform nodes: slot
  bool evaluated_ = false;
  bool differentiated_ = false;
  mutable Workspace cache_;  // one sample's workspace, for uniform per-sample grads
  mutable std::size_t cached_sample_ = no_sample;  // the sample cache_ holds, or no_sample
};

namespace detail {
/// Σ_s f(s) over s in [0, n), as four interleaved partial sums added pairwise at the end: a
/// fixed order (reproducible results) with short dependency chains (the loop pipelines).
template <class F>
inline double batch_reduce(std::size_t n, F&& f) {
  if (n == 1) return f(0);
  double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
  std::size_t s = 0;
  for (; s + 4 <= n; s += 4) {
    a0 += f(s);
    a1 += f(s + 1);
    a2 += f(s + 2);
    a3 += f(s + 3);
  }
  for (; s < n; ++s) a0 += f(s);
  return (a0 + a1) + (a2 + a3);
}
}  // namespace detail

}  // namespace gradflow
