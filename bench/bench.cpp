// gradflow's benchmark: every workload next to a hand-written C++ version of it (the limit),
// timed in the same run, interleaved (baseline, gradflow, baseline, ...) so that machine noise
// hits both alike; figures are medians over repetitions, ratios the median of per-repetition
// ratios; times are the thread's CPU time. Big graphs run in a fresh process each (this program,
// re-executed with --child), so that their peak memory is measured alone.
//
//   gradflow_bench            human table
//   gradflow_bench --json     the same figures as JSON
//   gradflow_bench --quick    fewer repetitions and 1M/100k-node graphs (a smoke test)
//   gradflow_bench --profile NAME N   only the candidate NAME, N times, untimed (for a profiler)
//
// Workloads (micrograd's moons demo: MLP 2-16-16-1, 100 points, max-margin loss + 1e-4 L2):
//   1. batched step: Executor over the one-sample graph vs the hand-written step (and the
//      network recorded in the affine form vs the primitive one);
//   2. record-and-reverse, the graph rebuilt every time: the tanh MLP on one sample vs its plain
//      double evaluation, and the whole ReLU moons step vs the hand-written step;
//   3. re-evaluation (forward + backward) of the already built moons-step graph vs the
//      hand-written step;
//   4. 10-million-node chain and wide random DAG: build, forward, backward throughput, peak bytes
//      per node, and the time ratio 10M / 1M.
#include <unistd.h>
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <common/cli.hpp>
#include <gradflow/engine/executor.hpp>
#include <gradflow/graph/evaluate.hpp>
#include <gradflow/graph/graph.hpp>
#include <gradflow/nn/nn.hpp>
#include <gradflow/nn/train.hpp>

namespace gf = gradflow;

namespace {

// =================================================================================================
// Timing

// Time is the CPU time of this thread, not wall-clock time: on a shared machine (other builds
// running on the same two cores) a descheduled benchmark is not charged for the wait. What the
// other processes still cost (caches, frequency) hits baseline and gradflow alike, interleaved.
struct Clock {
  using time_point = double;
  static double now() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
  }
};
volatile double sink = 0.0;  // results land here so that no work is optimised away

double seconds_since(Clock::time_point t0) { return Clock::now() - t0; }

// Wall-clock time, for candidates that run on several threads (the thread's CPU time would
// count only the calling thread's share).
double wall_now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct Options {
  bool json = false;
  bool quick = false;
  int reps = 31;        // interleaved repetitions
  std::string profile;  // --profile NAME N: run only that workload N times, for a profiler
  int profile_iters = 0;
  double sample_s = 0.004;  // each timing runs the workload for about this long
  std::string only;         // --only 2,3: time only these workloads (the others print 0)
  std::string section;      // the workload being timed
  bool skipped() const { return !only.empty() && only.find(section) == std::string::npos; }
};

struct Candidate {
  std::string name;
  std::function<double()> run;  // one iteration; returns something to keep
};

struct Timed {
  std::string name;
  double seconds = 0.0;      // median time of one iteration
  double ratio = 1.0;        // median over repetitions of (this / the first candidate)
  std::vector<double> reps;  // time of one iteration in each repetition
};

// The fastest repetition's time (1 when untimed, as under --profile).
double fastest(const Timed& a) {
  return a.reps.empty() ? 1.0 : *std::min_element(a.reps.begin(), a.reps.end());
}

// Median over repetitions of a's time / b's time in the same repetition.
double ratio_of(const Timed& a, const Timed& b) {
  std::vector<double> r;
  for (std::size_t i = 0; i < a.reps.size() && i < b.reps.size(); ++i)
    r.push_back(a.reps[i] / b.reps[i]);
  return r.empty() ? 1.0 : median(r);
}

// Times every candidate, interleaved: repetition r runs each candidate in turn, starting with
// candidate r mod n (the order rotates, so that no candidate always follows the same one).
// `wall`: wall-clock time instead of the thread's CPU time (for multi-threaded candidates).
std::vector<Timed> compare(const std::vector<Candidate>& cs, const Options& opt,
                           bool wall = false) {
  const auto now_s = [wall] { return wall ? wall_now() : Clock::now(); };
  if (!opt.profile.empty()) {  // no timing: run the named candidate for a profiler
    for (const auto& c : cs)
      if (c.name == opt.profile)
        for (int i = 0; i < opt.profile_iters; ++i) sink = sink + c.run();
    return std::vector<Timed>(cs.size());
  }
  if (opt.skipped()) return std::vector<Timed>(cs.size());
  std::vector<int> iters(cs.size());
  for (std::size_t c = 0; c < cs.size(); ++c) {  // calibrate (and warm up)
    int n = 1;
    for (;;) {
      const auto t0 = now_s();
      for (int i = 0; i < n; ++i) sink = sink + cs[c].run();
      if (now_s() - t0 >= opt.sample_s || n >= (1 << 24)) break;
      n *= 2;
    }
    iters[c] = n;
  }
  std::vector<std::vector<double>> t(cs.size()), ratio(cs.size());
  for (int r = 0; r < opt.reps; ++r) {
    std::vector<double> now(cs.size());
    for (std::size_t k = 0; k < cs.size(); ++k) {
      const std::size_t c = (k + static_cast<std::size_t>(r)) % cs.size();
      const auto t0 = now_s();
      for (int i = 0; i < iters[c]; ++i) sink = sink + cs[c].run();
      now[c] = (now_s() - t0) / iters[c];
      t[c].push_back(now[c]);
    }
    for (std::size_t c = 0; c < cs.size(); ++c) ratio[c].push_back(now[c] / now[0]);
  }
  std::vector<Timed> out;
  for (std::size_t c = 0; c < cs.size(); ++c)
    out.push_back({cs[c].name, median(t[c]), median(ratio[c]), t[c]});
  return out;
}

// =================================================================================================
// The data: the library's make_moons(100, noise 0.1, seed 7), labels ±1, as one array per
// column (the executor takes one array per input node).

struct Moons {
  std::vector<double> x1, x2, y;
};

Moons make_moons(std::size_t n, std::uint32_t seed) {
  const gf::train::Dataset data = gf::train::make_moons(n, 0.1, seed);
  Moons d;
  for (std::size_t i = 0; i < data.size(); ++i) {
    d.x1.push_back(data.row(i)[0]);
    d.x2.push_back(data.row(i)[1]);
  }
  d.y = data.y;
  return d;
}

constexpr int hidden = 16;
constexpr double alpha = 1e-4;  // micrograd's L2 factor

// Parameters in micrograd's order (per layer, per neuron: its weights, then its bias), as the
// library's MLP(2, [16, 16, 1]) starts them: weights uniform on [-1, 1), biases 0.
std::vector<double> init_parameters(std::uint32_t seed) {
  gf::Graph g;
  gf::nn::MLPOptions o;
  o.init.seed = seed;
  return gf::nn::MLP(g, {2, hidden, hidden, 1}, o).parameter_values();
}

// =================================================================================================
// The limit: the MLP written by hand with plain doubles, forward and backward.

enum class Act { relu, tanh };

struct HandMlp {
  static constexpr int H = hidden;
  double w1[H][2], b1[H], w2[H][H], b2[H], w3[H], b3;
  double gw1[H][2], gb1[H], gw2[H][H], gb2[H], gw3[H], gb3;

  explicit HandMlp(const std::vector<double>& p) {
    std::size_t i = 0;
    for (int j = 0; j < H; ++j) {
      for (int k = 0; k < 2; ++k) w1[j][k] = p[i++];
      b1[j] = p[i++];
    }
    for (int j = 0; j < H; ++j) {
      for (int k = 0; k < H; ++k) w2[j][k] = p[i++];
      b2[j] = p[i++];
    }
    for (int k = 0; k < H; ++k) w3[k] = p[i++];
    b3 = p[i++];
  }
  // Gradients in parameter order.
  std::vector<double> grads() const {
    std::vector<double> g;
    for (int j = 0; j < H; ++j) {
      g.push_back(gw1[j][0]);
      g.push_back(gw1[j][1]);
      g.push_back(gb1[j]);
    }
    for (int j = 0; j < H; ++j) {
      for (int k = 0; k < H; ++k) g.push_back(gw2[j][k]);
      g.push_back(gb2[j]);
    }
    for (int k = 0; k < H; ++k) g.push_back(gw3[k]);
    g.push_back(gb3);
    return g;
  }
  static double act(Act a, double z) { return a == Act::relu ? (z > 0.0 ? z : 0.0) : std::tanh(z); }
  static double act_grad(Act a, double z, double h) {
    return a == Act::relu ? (z > 0.0 ? 1.0 : 0.0) : 1.0 - h * h;
  }

  // Plain double evaluation of the score of one sample.
  double score(Act a, double x1, double x2) const {
    double h1[H], h2[H];
    for (int j = 0; j < H; ++j) h1[j] = act(a, w1[j][0] * x1 + w1[j][1] * x2 + b1[j]);
    for (int j = 0; j < H; ++j) {
      double s = 0.0;
      for (int k = 0; k < H; ++k) s += w2[j][k] * h1[k];
      h2[j] = act(a, s + b2[j]);
    }
    double s = 0.0;
    for (int k = 0; k < H; ++k) s += w3[k] * h2[k];
    return s + b3;
  }

  void zero() {
    std::memset(gw1, 0, sizeof gw1);
    std::memset(gb1, 0, sizeof gb1);
    std::memset(gw2, 0, sizeof gw2);
    std::memset(gb2, 0, sizeof gb2);
    std::memset(gw3, 0, sizeof gw3);
    gb3 = 0.0;
  }

  // Forward and backward of one sample; `dscore_of` maps the score to d(loss)/d(score).
  template <class D>
  double sample(Act a, double x1, double x2, D&& dscore_of) {
    double z1[H], h1[H], z2[H], h2[H], dh1[H] = {}, dz2[H];
    for (int j = 0; j < H; ++j) {
      z1[j] = w1[j][0] * x1 + w1[j][1] * x2 + b1[j];
      h1[j] = act(a, z1[j]);
    }
    for (int j = 0; j < H; ++j) {
      double s = 0.0;
      for (int k = 0; k < H; ++k) s += w2[j][k] * h1[k];
      z2[j] = s + b2[j];
      h2[j] = act(a, z2[j]);
    }
    double s = 0.0;
    for (int k = 0; k < H; ++k) s += w3[k] * h2[k];
    const double score = s + b3;
    const double ds = dscore_of(score);
    gb3 += ds;
    for (int k = 0; k < H; ++k) {
      gw3[k] += ds * h2[k];
      dz2[k] = ds * w3[k] * act_grad(a, z2[k], h2[k]);
    }
    for (int j = 0; j < H; ++j) {  // two plain loops per row: both vectorise
      const double d = dz2[j];
      gb2[j] += d;
      double* gw = gw2[j];
      const double* w = w2[j];
      for (int k = 0; k < H; ++k) gw[k] += d * h1[k];
      for (int k = 0; k < H; ++k) dh1[k] += d * w[k];
    }
    for (int j = 0; j < H; ++j) {
      const double dz1 = dh1[j] * act_grad(a, z1[j], h1[j]);
      gb1[j] += dz1;
      gw1[j][0] += dz1 * x1;
      gw1[j][1] += dz1 * x2;
    }
    return score;
  }

  // One training step's forward and backward: micrograd's loss
  // (1/B) Σ relu(1 - y_i score_i) + alpha Σ p², and its gradient.
  double step(const Moons& d) {
    zero();
    const std::size_t n = d.y.size();
    const double inv = 1.0 / static_cast<double>(n);
    double data = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      const double y = d.y[i];
      sample(Act::relu, d.x1[i], d.x2[i], [&](double score) {
        const double margin = 1.0 - y * score;
        data += margin > 0.0 ? margin : 0.0;
        return margin > 0.0 ? -y * inv : 0.0;
      });
    }
    double reg = 0.0;
    const auto l2 = [&](double& p, double& g) {
      reg += p * p;
      g += 2.0 * alpha * p;
    };
    for (int j = 0; j < H; ++j) {
      l2(w1[j][0], gw1[j][0]);
      l2(w1[j][1], gw1[j][1]);
      l2(b1[j], gb1[j]);
      for (int k = 0; k < H; ++k) l2(w2[j][k], gw2[j][k]);
      l2(b2[j], gb2[j]);
      l2(w3[j], gw3[j]);
    }
    l2(b3, gb3);
    return data * inv + alpha * reg;
  }
};

// The same step written by hand batched and layer-major, as a C++ developer would write it for
// speed: samples in chunks of 256, each layer a loop over the chunk's samples (contiguous
// per neuron, so the inner loops vectorise), weights read once per chunk.
struct HandBatched {
  static constexpr int H = hidden;
  static constexpr std::size_t chunk = 256;
  HandMlp& m;  // parameters and their gradients
  std::vector<double> z1, h1, z2, h2, dz2, dh1, score, ds;
  explicit HandBatched(HandMlp& mlp)
      : m(mlp),
        z1(H * chunk),
        h1(H * chunk),
        z2(H * chunk),
        h2(H * chunk),
        dz2(H * chunk),
        dh1(H * chunk),
        score(chunk),
        ds(chunk) {}

  double step(const Moons& d) {
    m.zero();
    const std::size_t total = d.y.size();
    const double inv = 1.0 / static_cast<double>(total);
    double data = 0.0;
    for (std::size_t c0 = 0; c0 < total; c0 += chunk) {
      const std::size_t n = std::min(chunk, total - c0);
      const double *x1 = d.x1.data() + c0, *x2 = d.x2.data() + c0, *y = d.y.data() + c0;
      for (int j = 0; j < H; ++j) {
        double *z = &z1[j * chunk], *h = &h1[j * chunk];
        const double a = m.w1[j][0], b = m.w1[j][1], c = m.b1[j];
        for (std::size_t s = 0; s < n; ++s) {
          z[s] = a * x1[s] + b * x2[s] + c;
          h[s] = z[s] > 0.0 ? z[s] : 0.0;
        }
      }
      for (int j = 0; j < H; ++j) {
        double *z = &z2[j * chunk], *h = &h2[j * chunk];
        std::fill_n(z, n, m.b2[j]);
        for (int k = 0; k < H; ++k) {
          const double w = m.w2[j][k];
          const double* x = &h1[k * chunk];
          for (std::size_t s = 0; s < n; ++s) z[s] += w * x[s];
        }
        for (std::size_t s = 0; s < n; ++s) h[s] = z[s] > 0.0 ? z[s] : 0.0;
      }
      std::fill_n(score.data(), n, m.b3);
      for (int k = 0; k < H; ++k) {
        const double w = m.w3[k];
        const double* x = &h2[k * chunk];
        for (std::size_t s = 0; s < n; ++s) score[s] += w * x[s];
      }
      for (std::size_t s = 0; s < n; ++s) {
        const double margin = 1.0 - y[s] * score[s];
        data += margin > 0.0 ? margin : 0.0;
        ds[s] = margin > 0.0 ? -y[s] * inv : 0.0;
      }
      // backward, layer by layer
      for (std::size_t s = 0; s < n; ++s) m.gb3 += ds[s];
      for (int k = 0; k < H; ++k) {
        const double* h = &h2[k * chunk];
        const double* z = &z2[k * chunk];
        double* dz = &dz2[k * chunk];
        const double w = m.w3[k];
        double gw = 0.0;
        for (std::size_t s = 0; s < n; ++s) {
          gw += ds[s] * h[s];
          dz[s] = z[s] > 0.0 ? ds[s] * w : 0.0;
        }
        m.gw3[k] += gw;
      }
      std::fill(dh1.begin(), dh1.end(), 0.0);
      for (int j = 0; j < H; ++j) {
        const double* dz = &dz2[j * chunk];
        double gb = 0.0;
        for (std::size_t s = 0; s < n; ++s) gb += dz[s];
        m.gb2[j] += gb;
        for (int k = 0; k < H; ++k) {
          const double* h = &h1[k * chunk];
          double* dh = &dh1[k * chunk];
          const double w = m.w2[j][k];
          double gw = 0.0;
          for (std::size_t s = 0; s < n; ++s) {
            gw += dz[s] * h[s];
            dh[s] += dz[s] * w;
          }
          m.gw2[j][k] += gw;
        }
      }
      for (int j = 0; j < H; ++j) {
        const double* z = &z1[j * chunk];
        const double* dh = &dh1[j * chunk];
        double gb = 0.0, g0 = 0.0, g1 = 0.0;
        for (std::size_t s = 0; s < n; ++s) {
          const double dz = z[s] > 0.0 ? dh[s] : 0.0;
          gb += dz;
          g0 += dz * x1[s];
          g1 += dz * x2[s];
        }
        m.gb1[j] += gb;
        m.gw1[j][0] += g0;
        m.gw1[j][1] += g1;
      }
    }
    double reg = 0.0;
    const auto l2 = [&](double& p, double& g) {
      reg += p * p;
      g += 2.0 * alpha * p;
    };
    for (int j = 0; j < H; ++j) {
      l2(m.w1[j][0], m.gw1[j][0]);
      l2(m.w1[j][1], m.gw1[j][1]);
      l2(m.b1[j], m.gb1[j]);
      for (int k = 0; k < H; ++k) l2(m.w2[j][k], m.gw2[j][k]);
      l2(m.b2[j], m.gb2[j]);
      l2(m.w3[j], m.gw3[j]);
    }
    l2(m.b3, m.gb3);
    return data * inv + alpha * reg;
  }
};

// =================================================================================================
// gradflow: the same MLP from primitive nodes (one mul per input, one sum, a bias node, the
// activation), written here rather than taken from nn/nn.hpp so that the benchmark measures
// the engine alone.

gf::Node record_mlp(const std::vector<gf::Node>& p, gf::Node x1, gf::Node x2, Act a) {
  std::size_t i = 0;
  std::array<gf::Node, hidden> terms, in{x1, x2}, out;
  std::size_t width_in = 2;
  const int width[] = {hidden, hidden, 1};
  for (int l = 0; l < 3; ++l) {
    for (int j = 0; j < width[l]; ++j) {
      for (std::size_t k = 0; k < width_in; ++k) terms[k] = p[i++] * in[k];
      const gf::Node z = bias(gf::sum(std::span<const gf::Node>(terms.data(), width_in)), p[i++]);
      out[j] = l == 2 ? z : (a == Act::relu ? relu(z) : tanh(z));
    }
    in = out;
    width_in = static_cast<std::size_t>(width[l]);
  }
  return in[0];  // the score
}

// The same MLP with each neuron's weighted sum and bias as one affine node (the fused form).
gf::Node record_mlp_affine(const std::vector<gf::Node>& p, gf::Node x1, gf::Node x2, Act a) {
  std::size_t i = 0;
  std::array<gf::Node, hidden> in{x1, x2}, out;
  std::size_t width_in = 2;
  const int width[] = {hidden, hidden, 1};
  for (int l = 0; l < 3; ++l) {
    for (int j = 0; j < width[l]; ++j) {
      const gf::Node z =
          gf::affine(std::span<const gf::Node>(p.data() + i, width_in),
                     std::span<const gf::Node>(in.data(), width_in), p[i + width_in]);
      i += width_in + 1;
      out[j] = l == 2 ? z : (a == Act::relu ? relu(z) : tanh(z));
    }
    in = out;
    width_in = static_cast<std::size_t>(width[l]);
  }
  return in[0];  // the score
}

std::vector<gf::Node> add_parameters(gf::Graph& g, const std::vector<double>& values) {
  std::vector<gf::Node> p;
  p.reserve(values.size());
  for (const double v : values) p.push_back(g.parameter({}, v));
  return p;
}

// The L2 penalty alpha Σ p².
gf::Node penalty(const std::vector<gf::Node>& p) {
  std::vector<gf::Node> sq;
  sq.reserve(p.size());
  for (const auto& q : p) sq.push_back(q * q);
  return alpha * gf::sum(sq);
}

// The whole moons step as one graph, micrograd-style: one copy of the network per sample.
gf::Node record_step(gf::Graph& g, const std::vector<gf::Node>& p, const Moons& d) {
  std::vector<gf::Node> losses;
  losses.reserve(d.y.size());
  for (std::size_t i = 0; i < d.y.size(); ++i) {
    const gf::Node x1 = g.input({}, d.x1[i]), x2 = g.input({}, d.x2[i]);
    const gf::Node score = record_mlp(p, x1, x2, Act::relu);
    losses.push_back(relu(1.0 - d.y[i] * score));
  }
  return gf::sum(losses) * (1.0 / static_cast<double>(d.y.size())) + penalty(p);
}

// The largest relative error of a against b, each component judged against its own size or,
// for components under a thousandth of the largest, against that thousandth. A gradient that is
// zero in exact arithmetic comes out as a rounding residue of its terms (2.8e-17 by hand and
// exactly 0 from the executor at batch 10, where the terms are about 0.1): relative to itself
// (or to a fixed 1e-12 floor) that residue read as a 2.8e-05 "error" although both results
// agree to the last bits that the terms carry.
double max_rel_error(const std::vector<double>& a, const std::vector<double>& b) {
  double scale = 0.0;
  for (const double v : b) scale = std::max(scale, std::abs(v));
  const double floor = std::max(1e-3 * scale, 1e-300);
  double worst = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i)
    worst = std::max(worst, std::abs(a[i] - b[i]) / std::max(floor, std::abs(b[i])));
  return worst;
}

// =================================================================================================
// Big graphs, one per process.

long status_kb(const char* key) {
  std::ifstream f("/proc/self/status");
  std::string line;
  const std::size_t n = std::strlen(key);
  while (std::getline(f, line))
    if (line.compare(0, n, key) == 0) return std::strtol(line.c_str() + n + 1, nullptr, 10);
  return -1;
}

struct BigResult {
  double build = 0, forward = 0, backward = 0, bytes_per_node = 0;
  double odd = 0;  // values that are NaN, infinite or subnormal (a sanity check on the timing)
};

// A chain: y <- y * p, tanh(y), bias(y, p), repeated; every node depends on the one before.
// A wide random DAG: 2000 leaves, then ops (add, mul, sub, tanh, sigmoid, relu, 3-term sum,
// bias) whose operands are drawn uniformly from the 65,536 most recent bounded nodes.
BigResult run_big(const std::string& kind, std::size_t n) {
  const long hwm0 = status_kb("VmHWM:");
  BigResult r;
  gf::Graph g;
  auto t0 = Clock::now();
  g.reserve(n, 2 * n);
  gf::Node root;
  if (kind == "chain") {
    const auto p = g.parameter("p", 0.9);
    gf::Node y = g.input("x", 0.5);
    for (std::size_t i = 2; i < n; ++i) {
      switch (i % 3) {
        case 0:
          y = y * p;
          break;
        case 1:
          y = tanh(y);
          break;
        default:
          y = bias(y, p);
          break;
      }
    }
    root = y;
  } else {
    std::uint64_t s = 0x9E3779B97F4A7C15ull;
    const auto next = [&s] {
      s ^= s << 13;
      s ^= s >> 7;
      s ^= s << 17;
      return s;
    };
    const auto real = [&] { return static_cast<double>(next() % 2001) / 1000.0 - 1.0; };
    // Operands come from a ring of the last 65,536 nodes whose values lie in [-1, 1]: sums are
    // squashed by a tanh node before they enter it, so that no value overflows or underflows
    // over ten million nodes (NaN and subnormal arithmetic would distort the timing).
    constexpr std::size_t leaves = 2000, window = 65536;
    std::vector<gf::Node> ring;
    ring.reserve(window);
    std::size_t head = 0;
    const auto keep = [&](gf::Node x) {
      if (ring.size() < window) {
        ring.push_back(x);
      } else {
        ring[head] = x;
        head = (head + 1) % window;
      }
    };
    for (std::size_t i = 0; i < leaves; ++i)
      keep(i % 2 ? g.parameter({}, real()) : g.input({}, real()));
    const auto pick = [&] { return ring[next() % ring.size()]; };
    while (g.size() < n) {
      const gf::Node a = pick(), b = pick();
      bool squash = true;
      switch (next() % 8) {
        case 0:
          root = a + b;
          break;
        case 1:
          root = a * b;
          squash = false;
          break;
        case 2:
          root = a - b;
          break;
        case 3:
          root = tanh(a);
          squash = false;
          break;
        case 4:
          root = sigmoid(a);
          squash = false;
          break;
        case 5:
          root = relu(a);
          squash = false;
          break;
        case 6:
          root = gf::sum({a, b, pick()});
          break;
        default:
          root = bias(a, b);
          break;
      }
      if (squash && g.size() < n) root = tanh(root);
      keep(root);
    }
  }
  r.build = seconds_since(t0);
  t0 = Clock::now();
  g.forward();
  r.forward = seconds_since(t0);
  t0 = Clock::now();
  g.backward(root);
  r.backward = seconds_since(t0);
  sink = sink + root.value() + g.grad(0);
  const long hwm1 = status_kb("VmHWM:");
  for (gf::NodeId i = 0; i < g.size(); ++i) {
    const double v = g.workspace().value[i];
    r.odd += std::isfinite(v) && (v == 0.0 || std::isnormal(v)) ? 0.0 : 1.0;
  }
  r.bytes_per_node = static_cast<double>(hwm1 - hwm0) * 1024.0 / static_cast<double>(n);
  return r;
}

BigResult run_child(const std::string& self, const std::string& kind, std::size_t n) {
  const std::string cmd = fmt::format("'{}' --child {} {}", self, kind, n);
  FILE* p = popen(cmd.c_str(), "r");
  BigResult r;
  if (p == nullptr || std::fscanf(p, "%lf %lf %lf %lf %lf", &r.build, &r.forward, &r.backward,
                                  &r.bytes_per_node, &r.odd) != 5) {
    std::fprintf(stderr, "gradflow_bench: child '%s' failed\n", cmd.c_str());
    std::exit(1);
  }
  pclose(p);
  return r;
}

std::string self_path() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "gradflow_bench";
  return std::string(buf, static_cast<std::size_t>(n));
}

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

// =================================================================================================
// Report

struct Row {
  std::string id, what;
  double gradflow_us, baseline_us, ratio, target;  // target <= 0: informational
  std::string baseline;
};

std::string fmt_us(double us) {
  return us >= 1000.0 ? fmt::format("{:.2f} ms", us / 1000.0) : fmt::format("{:.2f} us", us);
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  gf::cli::App app{
      "gradflow's benchmark: every workload next to a hand-written C++ version of it, timed in\n"
      "the same run; prints a table (or JSON) of times and ratios."};
  app.add_flag("--json", opt.json, "Print the same figures as JSON");
  app.add_flag("--quick", opt.quick, "Fewer repetitions and 1M/100k-node graphs (a smoke test)");
  constexpr int max_int = std::numeric_limits<int>::max();
  constexpr std::size_t max_nodes = std::size_t{1} << 40;  // also rejects "-3", read as 2^64 - 3
  // NAME N pairs are read as strings (CLI11's std::pair conversion trips -Wmaybe-uninitialized)
  // and N is checked as a number by the validator.
  std::vector<std::string> profile;
  app.add_option("--profile", profile,
                 "Run only the candidate NAME (e.g. 'executor, fused') N times,\n"
                 "untimed, for a profiler")
      ->expected(2)
      ->option_text("NAME N")
      ->check(CLI::Range(1, max_int).application_index(1));
  app.add_option("--only", opt.only, "Time only these workloads, e.g. '2,3' (a quick look)");
  std::vector<std::string> child;  // internal: KIND N, one big graph in this process
  app.add_option("--child", child)
      ->expected(2)
      ->group("")
      ->check(CLI::IsMember({"chain", "dag"}).application_index(0))
      ->check(CLI::Range(std::size_t{1}, max_nodes).application_index(1));
  app.parse_or_exit(argc, argv);
  if (!child.empty()) {
    const BigResult r = run_big(child[0], std::stoull(child[1]));
    std::printf("%.9f %.9f %.9f %.3f %.0f\n", r.build, r.forward, r.backward, r.bytes_per_node,
                r.odd);
    return 0;
  }
  if (opt.quick) {
    opt.reps = 7;
    opt.sample_s = 0.002;
  }
  if (!profile.empty()) {
    opt.profile = profile[0];
    opt.profile_iters = std::stoi(profile[1]);
  }
  auto log = [&](const std::string& s) {
    if (!opt.json) std::fprintf(stderr, "%s\n", s.c_str());
  };
#ifndef NDEBUG
  std::fprintf(stderr, "gradflow_bench: warning: not a Release build; figures are meaningless\n");
#endif

  const Moons data = make_moons(100, 7);
  const std::vector<double> init = init_parameters(1);
  HandMlp hand(init);
  const std::size_t batch = data.y.size();
  std::vector<Row> rows;
  std::vector<std::string> checks;

  // ---- 1. the batched moons step ----------------------------------------------------------------
  opt.section = "1";
  log("1. batched moons step ...");
  gf::Graph one;
  const auto p1 = add_parameters(one, init);
  const auto in1 = one.input("x1", 0.0), in2 = one.input("x2", 0.0), lab = one.input("y", 1.0);
  const auto score1 = record_mlp(p1, in1, in2, Act::relu);
  const auto loss1 = relu(1.0 - lab * score1) + penalty(p1);
  // One thread: workload 1 is timed in the thread's CPU time; threads are workload 5's.
  gf::Executor fused(one, loss1, batch, {gf::Reduction::mean, true, 1}),
      plain(one, loss1, batch, {gf::Reduction::mean, false, 1});
  // The same network recorded in the affine form (one affine node per neuron), on the executor.
  gf::Graph one_a;
  const auto pa = add_parameters(one_a, init);
  const auto ina1 = one_a.input("x1", 0.0), ina2 = one_a.input("x2", 0.0),
             laba = one_a.input("y", 1.0);
  const auto lossa = relu(1.0 - laba * record_mlp_affine(pa, ina1, ina2, Act::relu)) + penalty(pa);
  gf::Executor affine(one_a, lossa, batch, {gf::Reduction::mean, true, 1});
  affine.set_input(ina1, data.x1);
  affine.set_input(ina2, data.x2);
  affine.set_input(laba, data.y);
  HandMlp hand_b(init);
  HandBatched batched(hand_b);
  for (auto* ex : {&fused, &plain}) {
    ex->set_input(in1, data.x1);
    ex->set_input(in2, data.x2);
    ex->set_input(lab, data.y);
  }
  {
    const double want = hand.step(data);
    const auto hg = hand.grads();
    for (auto* ex : {&fused, &plain}) {
      ex->run();
      std::vector<double> eg(p1.size());
      ex->gradients(p1, eg);
      checks.push_back(fmt::format(
          "executor ({}): loss {:.12g} vs hand-written {:.12g}, gradients "
          "max relative error {:.1e}",
          ex->fused_sums() ? "fused" : "unfused", ex->loss(), want, max_rel_error(eg, hg)));
    }
    // The affine form promises the fused primitive form's bits: count the gradients that differ.
    affine.run();
    std::vector<double> ag(pa.size()), fg(p1.size());
    affine.gradients(pa, ag);
    fused.gradients(p1, fg);
    std::size_t differ = 0;
    for (std::size_t k = 0; k < ag.size(); ++k) differ += ag[k] == fg[k] ? 0 : 1;
    checks.push_back(fmt::format(
        "executor (affine form): loss {:.12g} vs the fused primitive form's {:.12g} ({}), "
        "{} of {} gradients differ from it",
        affine.loss(), fused.loss(), affine.loss() == fused.loss() ? "equal" : "NOT equal", differ,
        ag.size()));
    const double got = batched.step(data);
    checks.push_back(fmt::format(
        "hand-written batched step: loss {:.12g} vs {:.12g}, gradients max relative error {:.1e}",
        got, want, max_rel_error(hand_b.grads(), hg)));
  }
  {
    const auto t = compare({{"hand-written step", [&] { return hand.step(data); }},
                            {"executor, fused",
                             [&] {
                               fused.run();
                               return fused.loss();
                             }},
                            {"executor, unfused",
                             [&] {
                               plain.run();
                               return plain.loss();
                             }},
                            {"hand-written batched step", [&] { return batched.step(data); }},
                            {"executor, affine form",
                             [&] {
                               affine.run();
                               return affine.loss();
                             }}},
                           opt);
    rows.push_back({"1", "moons step, batched executor (fused)", t[1].seconds * 1e6,
                    t[0].seconds * 1e6, t[1].ratio, 2.0, "hand-written step"});
    rows.push_back({"1u", "moons step, batched executor (unfused)", t[2].seconds * 1e6,
                    t[0].seconds * 1e6, t[2].ratio, 2.0, "hand-written step"});
    rows.push_back({"1h", "hand-written batched, layer-major step", t[3].seconds * 1e6,
                    t[0].seconds * 1e6, t[3].ratio, 0.0, "hand-written step"});
    rows.push_back({"1b", "moons step, batched executor (fused), 1 thread", t[1].seconds * 1e6,
                    t[3].seconds * 1e6, ratio_of(t[1], t[3]), 1.0, "hand-written batched step"});
    rows.push_back({"1a", "moons step, batched executor, affine form (fused=true), 1 thread",
                    t[4].seconds * 1e6, t[1].seconds * 1e6, ratio_of(t[4], t[1]), 0.0,
                    "executor, fused primitive form"});
  }

  // ---- 2. record-and-reverse --------------------------------------------------------------------
  opt.section = "2";
  log("2. record-and-reverse ...");
  std::size_t tanh_nodes = 0, tanh_edges = 0, step_nodes = 0, step_edges = 0;
  {
    gf::Graph g;
    const auto p = add_parameters(g, init);
    const auto s = record_mlp(p, g.input({}, 0.1), g.input({}, 0.2), Act::tanh);
    (void)s;
    tanh_nodes = g.size();
    tanh_edges = g.edge_count();
    gf::Graph h;
    record_step(h, add_parameters(h, init), data);
    step_nodes = h.size();
    step_edges = h.edge_count();
  }
  std::size_t at = 0;  // the sample of the single-sample workloads cycles through the data
  std::vector<double> grads(init.size());
  const auto record_tanh = [&] {
    const std::size_t i = at++ % batch;
    gf::Graph g;
    g.reserve(tanh_nodes, tanh_edges);
    const auto p = add_parameters(g, init);
    const auto s = record_mlp(p, g.input({}, data.x1[i]), g.input({}, data.x2[i]), Act::tanh);
    g.backward(s);
    for (std::size_t k = 0; k < p.size(); ++k) grads[k] = g.grad(p[k].id());
    return s.value() + grads[0];
  };
  // The same without the exact reserve (the arrays grow as a user's graph would).
  const auto record_tanh_plain = [&] {
    const std::size_t i = at++ % batch;
    gf::Graph g;
    const auto p = add_parameters(g, init);
    const auto s = record_mlp(p, g.input({}, data.x1[i]), g.input({}, data.x2[i]), Act::tanh);
    g.backward(s);
    for (std::size_t k = 0; k < p.size(); ++k) grads[k] = g.grad(p[k].id());
    return s.value() + grads[0];
  };
  // micrograd's loop with the parameters kept: one graph, rewound to the mark after them.
  gf::Graph kept;
  const auto kept_p = add_parameters(kept, init);
  const gf::Mark kept_mark = kept.mark();
  const auto record_tanh_rewind = [&] {
    const std::size_t i = at++ % batch;
    kept.rewind(kept_mark);
    const auto s =
        record_mlp(kept_p, kept.input({}, data.x1[i]), kept.input({}, data.x2[i]), Act::tanh);
    kept.backward(s);
    const auto gs = kept.grads(0, static_cast<gf::NodeId>(kept_p.size()));  // one check
    std::copy(gs.begin(), gs.end(), grads.begin());
    return s.value() + grads[0];
  };
  // The same with the fused affine op (one node per neuron before its activation).
  const auto record_tanh_affine = [&] {
    const std::size_t i = at++ % batch;
    kept.rewind(kept_mark);
    const auto s = record_mlp_affine(kept_p, kept.input({}, data.x1[i]), kept.input({}, data.x2[i]),
                                     Act::tanh);
    kept.backward(s);
    const auto gs = kept.grads(0, static_cast<gf::NodeId>(kept_p.size()));
    std::copy(gs.begin(), gs.end(), grads.begin());
    return s.value() + grads[0];
  };
  for (const auto& variant :
       {std::function<double()>(record_tanh_plain), std::function<double()>(record_tanh_rewind),
        std::function<double()>(record_tanh_affine)}) {
    variant();
    HandMlp h(init);
    h.zero();
    const std::size_t i = (at - 1) % batch;
    h.sample(Act::tanh, data.x1[i], data.x2[i], [](double) { return 1.0; });
    checks.push_back(
        fmt::format("record-and-reverse, tanh, variant: gradients max relative error {:.1e}",
                    max_rel_error(grads, h.grads())));
  }
  {
    record_tanh();
    HandMlp h(init);
    h.zero();
    const std::size_t i = (at - 1) % batch;
    h.sample(Act::tanh, data.x1[i], data.x2[i], [](double) { return 1.0; });
    checks.push_back(fmt::format("record-and-reverse, tanh: gradients max relative error {:.1e}",
                                 max_rel_error(grads, h.grads())));
  }
  const auto record_moons = [&] {
    gf::Graph g;
    g.reserve(step_nodes, step_edges);
    const auto p = add_parameters(g, init);
    const auto loss = record_step(g, p, data);
    g.backward(loss);
    for (std::size_t k = 0; k < p.size(); ++k) grads[k] = g.grad(p[k].id());
    return loss.value() + grads[0];
  };
  {
    record_moons();
    HandMlp h(init);
    h.step(data);
    checks.push_back(
        fmt::format("record-and-reverse, moons step: gradients max relative error {:.1e}",
                    max_rel_error(grads, h.grads())));
  }
  {
    const auto t = compare({{"plain double evaluation (tanh)",
                             [&] {
                               const std::size_t i = at++ % batch;
                               return hand.score(Act::tanh, data.x1[i], data.x2[i]);
                             }},
                            {"record-and-reverse (tanh)", record_tanh},
                            {"hand-written fwd+bwd (tanh)",
                             [&] {
                               const std::size_t i = at++ % batch;
                               hand.zero();
                               return hand.sample(Act::tanh, data.x1[i], data.x2[i],
                                                  [](double) { return 1.0; });
                             }},
                            {"record-and-reverse (tanh), no reserve", record_tanh_plain},
                            {"record-and-reverse (tanh), mark/rewind", record_tanh_rewind},
                            {"record-and-reverse (tanh), affine, mark/rewind", record_tanh_affine}},
                           opt);
    rows.push_back(
        {"2a", fmt::format("record-and-reverse, tanh MLP, 1 sample ({} nodes)", tanh_nodes),
         t[1].seconds * 1e6, t[0].seconds * 1e6, t[1].ratio, 5.0, "plain double evaluation"});
    rows.push_back({"2a'", "hand-written forward+backward, tanh MLP, 1 sample", t[2].seconds * 1e6,
                    t[0].seconds * 1e6, t[2].ratio, 0.0, "plain double evaluation"});
    rows.push_back({"2an", "record-and-reverse, tanh MLP, without the exact reserve",
                    t[3].seconds * 1e6, t[0].seconds * 1e6, t[3].ratio, 0.0,
                    "plain double evaluation"});
    rows.push_back({"2ar", "record-and-reverse, tanh MLP, parameters kept (mark/rewind)",
                    t[4].seconds * 1e6, t[0].seconds * 1e6, t[4].ratio, 7.0,
                    "plain double evaluation"});
    rows.push_back({"2af", "record-and-reverse, tanh MLP, affine op, mark/rewind",
                    t[5].seconds * 1e6, t[0].seconds * 1e6, t[5].ratio, 4.0,
                    "plain double evaluation"});
  }
  {
    const auto t = compare({{"hand-written step", [&] { return hand.step(data); }},
                            {"record-and-reverse (moons)", record_moons}},
                           opt);
    rows.push_back({"2b", fmt::format("record-and-reverse, moons step ({} nodes)", step_nodes),
                    t[1].seconds * 1e6, t[0].seconds * 1e6, t[1].ratio, 5.0, "hand-written step"});
  }

  // ---- 3. re-evaluation of a built graph --------------------------------------------------------
  opt.section = "3";
  log("3. re-evaluation ...");
  {
    gf::Graph g;
    const auto p = add_parameters(g, init);
    const auto loss = record_step(g, p, data);
    const auto plan = gf::make_plan(g, loss);
    gf::Workspace ws = g.workspace();
    gf::Executor single(g, loss, 1);  // batch of one: the same graph, compiled and fused
    single.run();
    {
      std::vector<double> eg(p.size());
      single.gradients(p, eg);
      HandMlp h(init);
      h.step(data);
      checks.push_back(
          fmt::format("executor, batch 1 on the built step graph: gradients max "
                      "relative error {:.1e}",
                      max_rel_error(eg, h.grads())));
    }
    const auto t = compare({{"hand-written step", [&] { return hand.step(data); }},
                            {"Graph::forward + backward",
                             [&] {
                               g.forward();
                               g.backward(loss);
                               return g.grad(p[0].id());
                             }},
                            {"plan forward + backward",
                             [&] {
                               gf::forward(g, ws, plan);
                               gf::backward(g, ws, plan);
                               return ws.grad[p[0].id()];
                             }},
                            {"executor, batch 1",
                             [&] {
                               single.run();
                               return single.loss();
                             }}},
                           opt);
    rows.push_back({"3",
                    fmt::format("re-evaluation of the built moons-step graph ({} nodes)", g.size()),
                    t[1].seconds * 1e6, t[0].seconds * 1e6, t[1].ratio, 3.0, "hand-written step"});
    rows.push_back({"3p", "re-evaluation over a Boost.Graph plan", t[2].seconds * 1e6,
                    t[0].seconds * 1e6, t[2].ratio, 3.0, "hand-written step"});
    rows.push_back({"3x", "re-evaluation of the same graph by the executor (batch 1, fused)",
                    t[3].seconds * 1e6, t[0].seconds * 1e6, t[3].ratio, 3.0, "hand-written step"});
  }

  // ---- 5. the executor over batch sizes, on one thread and on every core --------------------
  opt.section = "5";
  log("5. executor over batch sizes and threads ...");
  struct ScaleRow {
    std::size_t batch;
    double hand, batched, one, all;  // seconds per step (wall clock)
    double one_vs_batched, speedup;  // median per-repetition ratios
    std::size_t threads, tiles;
    double best_speedup;  // fastest 1-thread time / fastest all-core time (least disturbed)
    double cpu_speedup;   // 1-thread CPU time / the busiest thread's CPU time with every core
  };
  std::vector<ScaleRow> scale_rows;
  for (const std::size_t nb : {1u, 10u, 100u, 1000u, 10000u}) {
    const Moons d = make_moons(nb, 7);
    gf::Executor ex1(one, loss1, nb, {gf::Reduction::mean, true, 1});
    gf::Executor exn(one, loss1, nb, {gf::Reduction::mean, true, 0});
    for (auto* ex : {&ex1, &exn}) {
      ex->set_input(in1, d.x1);
      ex->set_input(in2, d.x2);
      ex->set_input(lab, d.y);
    }
    HandMlp h(init), hb(init);
    HandBatched bh(hb);
    {
      const double want = h.step(d);
      bh.step(d);
      for (auto* ex : {&ex1, &exn}) ex->run();
      std::vector<double> g1(p1.size()), gn(p1.size());
      ex1.gradients(p1, g1);
      exn.gradients(p1, gn);
      checks.push_back(fmt::format(
          "batch {}: executor loss {:.12g} vs hand-written {:.12g}; gradients max relative error "
          "{:.1e}; {} threads == 1 thread bit for bit: {}; batched hand-written {:.1e}",
          nb, ex1.loss(), want, max_rel_error(g1, h.grads()), exn.threads(),
          g1 == gn && ex1.loss() == exn.loss() ? "yes" : "NO",
          max_rel_error(hb.grads(), h.grads())));
    }
    const auto t = compare({{"hand-written step", [&] { return h.step(d); }},
                            {"hand-written batched step", [&] { return bh.step(d); }},
                            {"executor, 1 thread",
                             [&] {
                               ex1.run();
                               return ex1.loss();
                             }},
                            {"executor, every core",
                             [&] {
                               exn.run();
                               return exn.loss();
                             }}},
                           opt, true);
    // The wall clock needs both cores free at once, which a loaded machine rarely grants. The CPU
    // time each thread spends shows how the work divides: the run on every core would take as
    // long as its busiest thread (the calling thread, or the workers: the process's CPU time
    // minus the calling thread's, which counts their waiting for work as well).
    std::vector<double> cpu_ratio;
    if (opt.profile.empty() && !opt.skipped()) {
      const auto proc = [] {
        timespec ts{};
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
      };
      const int n = std::max(1, static_cast<int>(opt.sample_s / std::max(t[2].seconds, 1e-9)));
      for (int r = 0; r < opt.reps; ++r) {
        double c0 = Clock::now();
        for (int i = 0; i < n; ++i) ex1.run();
        const double one_cpu = Clock::now() - c0;
        c0 = Clock::now();
        const double p0 = proc();
        for (int i = 0; i < n; ++i) exn.run();
        const double mine = Clock::now() - c0, others = proc() - p0 - mine;
        cpu_ratio.push_back(one_cpu / std::max(mine, others));
      }
    }
    scale_rows.push_back({nb, t[0].seconds, t[1].seconds, t[2].seconds, t[3].seconds,
                          ratio_of(t[2], t[1]), ratio_of(t[2], t[3]), exn.threads(), exn.tiles(),
                          fastest(t[2]) / fastest(t[3]),
                          cpu_ratio.empty() ? 0.0 : median(cpu_ratio)});
  }

  // ---- 4. big graphs ----------------------------------------------------------------------------
  if (!opt.profile.empty()) return 0;
  opt.section = "4";
  log("4. big graphs (one process each) ...");
  const std::string self = self_path();
  const std::size_t big = opt.quick ? 1'000'000 : 10'000'000, small = big / 10;
  const int big_reps = opt.quick ? 1 : 3;
  struct BigRow {
    std::string kind;
    BigResult small, big;
    double linearity;
  };
  std::vector<BigRow> big_rows;
  for (const std::string kind : {"chain", "dag"}) {
    if (opt.skipped()) break;
    std::vector<BigResult> rs, rb;
    for (int r = 0; r < big_reps; ++r) {
      rs.push_back(run_child(self, kind, small));
      rb.push_back(run_child(self, kind, big));
    }
    const auto med = [](const std::vector<BigResult>& v) {
      std::vector<double> b, f, w, m;
      for (const auto& r : v) {
        b.push_back(r.build);
        f.push_back(r.forward);
        w.push_back(r.backward);
        m.push_back(r.bytes_per_node);
      }
      return BigResult{median(b), median(f), median(w), median(m)};
    };
    const BigResult s = med(rs), b = med(rb);
    checks.push_back(fmt::format("{} of {} nodes: {} values NaN, infinite or subnormal", kind, big,
                                 rb.front().odd));
    const double total_s = s.build + s.forward + s.backward,
                 total_b = b.build + b.forward + b.backward;
    big_rows.push_back({kind, s, b, total_b / total_s});
  }

  // ---- output -----------------------------------------------------------------------------------
  const std::string machine =
      fmt::format("{}, {} cores", cpu_model(), sysconf(_SC_NPROCESSORS_ONLN));
  if (opt.json) {
    std::string out = fmt::format("{{\n  \"machine\": \"{}\",\n  \"ratios\": [\n", machine);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const Row& r = rows[i];
      out += fmt::format(
          "    {{\"id\": \"{}\", \"workload\": \"{}\", \"gradflow_us\": {:.3f}, \"baseline\": "
          "\"{}\", "
          "\"baseline_us\": {:.3f}, \"ratio\": {:.3f}, \"target\": {}, \"met\": {}}}{}\n",
          r.id, r.what, r.gradflow_us, r.baseline, r.baseline_us, r.ratio,
          r.target > 0 ? fmt::format("{}", r.target) : "null",
          r.target > 0 ? (r.ratio <= r.target ? "true" : "false") : "null",
          i + 1 < rows.size() ? "," : "");
    }
    out += "  ],\n  \"big_graphs\": [\n";
    for (std::size_t i = 0; i < big_rows.size(); ++i) {
      const auto& r = big_rows[i];
      const double n = static_cast<double>(big);
      out += fmt::format(
          "    {{\"graph\": \"{}\", \"nodes\": {}, \"build_nodes_per_s\": {:.4g}, "
          "\"forward_nodes_per_s\": {:.4g}, \"backward_nodes_per_s\": {:.4g}, "
          "\"peak_bytes_per_node\": {:.1f}, \"time_ratio_10x_nodes\": {:.3f}}}{}\n",
          r.kind, big, n / r.big.build, n / r.big.forward, n / r.big.backward, r.big.bytes_per_node,
          r.linearity, i + 1 < big_rows.size() ? "," : "");
    }
    out += "  ],\n  \"executor_scaling\": [\n";
    for (std::size_t i = 0; i < scale_rows.size(); ++i) {
      const auto& r = scale_rows[i];
      out += fmt::format(
          "    {{\"batch\": {}, \"hand_us\": {:.3f}, \"hand_batched_us\": {:.3f}, "
          "\"executor_1_thread_us\": {:.3f}, \"executor_all_us\": {:.3f}, \"threads\": {}, "
          "\"tiles\": {}, \"one_thread_vs_batched\": {:.3f}, \"speedup\": {:.3f}, "
          "\"speedup_of_fastest\": {:.3f}, \"speedup_cpu_time\": {:.3f}}}{}\n",
          r.batch, r.hand * 1e6, r.batched * 1e6, r.one * 1e6, r.all * 1e6, r.threads, r.tiles,
          r.one_vs_batched, r.speedup, r.best_speedup, r.cpu_speedup,
          i + 1 < scale_rows.size() ? "," : "");
    }
    out += "  ],\n  \"checks\": [\n";
    for (std::size_t i = 0; i < checks.size(); ++i)
      out += fmt::format("    \"{}\"{}\n", checks[i], i + 1 < checks.size() ? "," : "");
    out += "  ]\n}\n";
    std::fputs(out.c_str(), stdout);
  } else {
    std::printf("gradflow benchmark on %s (medians of %d interleaved repetitions)\n\n",
                machine.c_str(), opt.reps);
    std::printf("| # | workload | gradflow | baseline | baseline time | ratio | target |\n");
    std::printf("|---|---|---:|---|---:|---:|---|\n");
    for (const Row& r : rows)
      std::printf(
          "| %s | %s | %s | %s | %s | %.2fx | %s |\n", r.id.c_str(), r.what.c_str(),
          fmt_us(r.gradflow_us).c_str(), r.baseline.c_str(), fmt_us(r.baseline_us).c_str(), r.ratio,
          r.target > 0
              ? fmt::format("<= {}x {}", r.target, r.ratio <= r.target ? "met" : "MISSED").c_str()
              : "-");
    std::printf(
        "\n| graph | nodes | build (nodes/s) | forward (nodes/s) | backward (nodes/s) | "
        "peak bytes/node | time 10x nodes |\n");
    std::printf("|---|---:|---:|---:|---:|---:|---:|\n");
    for (const auto& r : big_rows) {
      const double n = static_cast<double>(big);
      std::printf("| %s | %zu | %.3g | %.3g | %.3g | %.1f %s | %.2fx %s |\n", r.kind.c_str(), big,
                  n / r.big.build, n / r.big.forward, n / r.big.backward, r.big.bytes_per_node,
                  r.big.bytes_per_node <= 64 ? "(<= 64 met)" : "(<= 64 MISSED)", r.linearity,
                  r.linearity <= 11 ? "(<= 11x met)" : "(<= 11x MISSED)");
    }
    std::printf(
        "\nexecutor over batch sizes (wall clock): moons step, hand-written per sample and "
        "batched, executor (fused) on 1 thread and on every core\n\n");
    std::printf(
        "| batch | hand-written | hand-written batched | executor, 1 thread | executor, all "
        "cores (threads, tiles) | 1 thread / batched | speed-up (median) | speed-up "
        "(fastest runs) | speed-up (busiest thread's CPU time) |\n");
    std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const auto& r : scale_rows)
      std::printf("| %zu | %s | %s | %s | %s (%zu, %zu) | %.2fx | %.2fx | %.2fx | %.2fx |\n",
                  r.batch, fmt_us(r.hand * 1e6).c_str(), fmt_us(r.batched * 1e6).c_str(),
                  fmt_us(r.one * 1e6).c_str(), fmt_us(r.all * 1e6).c_str(), r.threads, r.tiles,
                  r.one_vs_batched, r.speedup, r.best_speedup, r.cpu_speedup);
    std::printf("\nchecks:\n");
    for (const auto& c : checks) std::printf("  %s\n", c.c_str());
  }
  return 0;
}
