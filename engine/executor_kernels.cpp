// The batched executor's kernels: every kernel is one op's rule from ops/ops.hpp, called through
// its one protocol (compute, derivatives, domain) and inlined into a loop over the batch; the
// switch over steps runs once per node per batch. Reductions over the batch use
// detail::batch_reduce (a fixed order, so results are reproducible).
#include <gradflow/engine/executor.hpp>

#include <algorithm>
#include <cmath>

#include <atomic>
#include <exception>
#include <thread>
#include <vector>

#include <fmt/format.h>
#ifndef GRADFLOW_NO_THREADS  // defined for the WebAssembly lab, which runs on one thread
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>
#endif

#include <gradflow/graph/evaluate.hpp>
#include <gradflow/ops/errors.hpp>

#if defined(__SANITIZE_THREAD__)
#define GRADFLOW_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GRADFLOW_TSAN 1
#endif
#endif
#ifndef GRADFLOW_TSAN
#define GRADFLOW_TSAN 0
#endif

namespace gradflow {

// ---- forward ------------------------------------------------------------------------------------

namespace {
[[noreturn]] void throw_domain(const Graph& g, NodeId i, std::size_t slot, std::size_t sample,
                               double v, const char* why) {
  const NodeId operand = g.operands(i)[slot];
  // A node that depends on no input is computed once for the whole batch.
  const std::string where = sample == Executor::no_sample ? std::string("(shared by all samples)")
                                                          : fmt::format("for sample {}", sample);
  throw DomainError(fmt::format("gradflow: executor: evaluating node {} {}: operand {} = {}: {}",
                                g.describe(i), where, g.describe(operand), v, why),
                    i, g.op(i), v);
}
}  // namespace

template <bool kOne>
[[gnu::always_inline]] inline void Executor::forward_step(const Bufs& m, const Step& st,
                                                          const Conventions& conv) const {
  const std::size_t nb = kOne ? 1 : m.nb;
  const std::size_t stride = kOne ? 1 : m.stride;
  const auto vrow = [&](std::uint32_t slot) { return m.vv + slot * stride; };
  const Graph& g = *g_;
  const double attr = st.attr;
  // Σ_k w_k x_k for every sample of the tile over `pairs` (weight, value) slot pairs at p, added
  // in term order from 0 (an unfused sum's bits), register-blocked: eight running sums, each
  // term read once per block; out(s, sum) stores sample s's.
  const auto weighted_sums = [&](const std::uint32_t* p, std::size_t pairs, auto&& out) {
    constexpr std::size_t block = 8;
    std::size_t s0 = 0;
    for (; s0 + block <= nb; s0 += block) {
      double acc[block] = {};
      for (std::size_t k = 0; k < pairs; ++k) {
        const double w = m.uv[p[2 * k]];
        const double* x = vrow(p[2 * k + 1]) + s0;
        for (std::size_t j = 0; j < block; ++j) acc[j] += w * x[j];
      }
      for (std::size_t j = 0; j < block; ++j) out(s0 + j, acc[j]);
    }
    for (std::size_t s = s0; s < nb; ++s) {
      double acc = 0.0;
      for (std::size_t k = 0; k < pairs; ++k) acc += m.uv[p[2 * k]] * vrow(p[2 * k + 1])[s];
      out(s, acc);
    }
  };
  switch (st.kind) {
    case Kind::leaf_uniform:  // a parameter or constant: never stale, never failed
      m.uv[st.out] = m.gv[st.node];
      return;
    case Kind::scalar: {
      double* u = m.uv;
      with_rule(st.op, [&](auto rule) {
        using R = decltype(rule);
        // Operand k of a unary/binary step is u[a] or u[b]; of a sum or an affine node, its k-th
        // term.
        const auto x = [&](std::size_t k) {
          if constexpr (R::info.arity == variadic)
            return u[m.terms[st.a + k] >> 1];
          else
            return u[k == 0 ? st.a : st.b];
        };
        if constexpr (R::info.arity != 0) {
          if (const DomainCheck d = domain<R>(attr, x); d.reason != nullptr)
            throw_domain(g, st.node, d.slot, Executor::no_sample, x(d.slot), d.reason);
          u[st.out] = compute<R>(attr, conv, st.b, x);  // st.b: a sum's term count
        }
      });
      return;
    }
    case Kind::unary: {
      const double* x = vrow(st.a);
      double* y = vrow(st.out);
      with_rule(st.op, [&](auto rule) {
        using R = decltype(rule);
        if constexpr (R::info.arity == 1) {
          if constexpr (requires { R::domain(0.0, 0.0); })
            for (std::size_t s = 0; s < nb; ++s) {
              const auto xs = [&](std::size_t) { return x[s]; };
              if (const DomainCheck d = domain<R>(attr, xs); d.reason != nullptr)
                throw_domain(g, st.node, 0, m.s0 + s, x[s], d.reason);
            }
          for (std::size_t s = 0; s < nb; ++s)
            y[s] = compute<R>(attr, conv, 1, [&](std::size_t) { return x[s]; });
        }
      });
      return;
    }
    case Kind::binary_vv:
    case Kind::binary_vu:
    case Kind::binary_uv: {
      double* y = vrow(st.out);
      with_rule(st.op, [&](auto rule) {
        using R = decltype(rule);
        if constexpr (R::info.arity == 2) {
          const auto run = [&](auto a, auto b) {  // a(s), b(s): operand values in sample s
            const auto at = [&](std::size_t s) {
              return [&, s](std::size_t k) { return k == 0 ? a(s) : b(s); };
            };
            if constexpr (requires { R::domain(0.0, 0.0); })
              for (std::size_t s = 0; s < nb; ++s)
                if (const DomainCheck d = domain<R>(attr, at(s)); d.reason != nullptr)
                  throw_domain(g, st.node, d.slot, m.s0 + s, at(s)(d.slot), d.reason);
            for (std::size_t s = 0; s < nb; ++s) y[s] = compute<R>(attr, conv, 2, at(s));
          };
          if (st.kind == Kind::binary_vv) {
            const double *a = vrow(st.a), *b = vrow(st.b);
            run([a](std::size_t s) { return a[s]; }, [b](std::size_t s) { return b[s]; });
          } else if (st.kind == Kind::binary_vu) {
            const double* a = vrow(st.a);
            const double b = m.uv[st.b];
            run([a](std::size_t s) { return a[s]; }, [b](std::size_t) { return b; });
          } else {
            const double a = m.uv[st.a];
            const double* b = vrow(st.b);
            run([a](std::size_t) { return a; }, [b](std::size_t s) { return b[s]; });
          }
        }
      });
      return;
    }
    case Kind::sum: {
      double* y = vrow(st.out);
      std::fill_n(y, nb, 0.0);
      for (std::uint32_t t = st.a; t < st.a + st.b; ++t) {
        const std::uint32_t e = m.terms[t];
        if (e & 1u) {
          const double c = m.uv[e >> 1];
          for (std::size_t s = 0; s < nb; ++s) y[s] += c;
        } else {
          const double* x = vrow(e >> 1);
          for (std::size_t s = 0; s < nb; ++s) y[s] += x[s];
        }
      }
      return;
    }
    case Kind::dot: {
      // Register-blocked over samples: eight running sums, each term read once per block. Each
      // sample adds w_k x_k in term order, as the unfused sum node does, so the bits agree.
      double* y = vrow(st.out);
      const std::uint32_t* p = m.terms + st.a;
      const std::size_t count = st.b;
      weighted_sums(p, count, [y](std::size_t s, double acc) { y[s] = acc; });
      return;
    }
    case Kind::affine_dot: {
      // The dot kernel, then the bias: rules::Affine's arithmetic (the products added left to
      // right from 0, then the bias), spelled out to be register-blocked over samples.
      double* y = vrow(st.out);
      const std::uint32_t* p = m.terms + st.a;
      const std::size_t pairs = st.b / 2;
      const double bias = m.uv[p[2 * pairs]];
      weighted_sums(p, pairs, [y, bias](std::size_t s, double acc) { y[s] = acc + bias; });
      return;
    }
    case Kind::neuron: {
      // The parts' arithmetic: the weighted sum as the dot kernel adds it (a dot's sum is
      // stored; an affine_dot's row is its z), then in one pass z = sum + bias and the
      // activation.
      const Step* q = m.parts + st.a;
      const Step& d = q[0];
      const Step& act = q[st.b - 1];
      const bool aff = d.kind == Kind::affine_dot;
      const std::uint32_t* p = m.terms + d.a;
      const std::size_t pairs = aff ? d.b / 2 : d.b;
      const double bias = m.uv[aff ? p[2 * pairs] : q[1].b];
      double* sum = vrow(d.out);
      weighted_sums(p, pairs, [sum](std::size_t s, double acc) { sum[s] = acc; });
      double* z = vrow(act.a);
      double* y = vrow(act.out);
      with_rule(act.op, [&](auto rule) {
        using R = decltype(rule);
        if constexpr (R::info.arity == 1)
          for (std::size_t s = 0; s < nb; ++s) {
            const double zs = sum[s] + bias;
            z[s] = zs;
            y[s] = compute<R>(act.attr, conv, 1, [zs](std::size_t) { return zs; });
          }
      });
      return;
    }
    case Kind::affine: {
      // Any mix of uniform and varying operands: the op's rule, sample by sample.
      double* y = vrow(st.out);
      const std::uint32_t* p = m.terms + st.a;
      const std::size_t n = st.b;
      with_rule(st.op, [&](auto rule) {
        using R = decltype(rule);
        if constexpr (R::info.arity == variadic)
          for (std::size_t s = 0; s < nb; ++s)
            y[s] = compute<R>(attr, conv, n, [&](std::size_t k) {
              const std::uint32_t e = p[k];
              return e & 1u ? m.uv[e >> 1] : vrow(e >> 1)[s];
            });
      });
      return;
    }
  }
}

void Executor::check_step(const Step& st, bool gradient, std::size_t s0, std::size_t s1) const {
  const Loc& l = loc_[st.node];
  const bool uniform = l.storage == Storage::uniform;
  if (uniform) s1 = s0 + 1;
  for (std::size_t s = s0; s < s1; ++s) {
    const double v = uniform ? (gradient ? ugrad_[l.index] : uval_[l.index])
                             : (gradient ? vgrad_[at(l.index, s)] : vval_[at(l.index, s)]);
    if (!std::isfinite(v))
      throw NumericError(
          fmt::format(
              "gradflow: check mode: executor: the {} of node {} is {} {}, the first to "
              "become non-finite in {}",
              gradient ? "gradient" : "value", g_->describe(st.node), v,
              uniform ? std::string("(shared by all samples)") : fmt::format("in sample {}", s),
              gradient ? "the backward pass" : "evaluation order"),
          st.node, gradient, v);
  }
}

void Executor::check_rows(const Bufs& b, const Step& st, bool gradient) const {
  const double* row = (gradient ? b.vg : b.vv) + std::size_t{loc_[st.node].index} * b.stride;
  for (std::size_t i = 0; i < b.nb; ++i)
    if (!std::isfinite(row[i]))
      throw NumericError(
          fmt::format("gradflow: check mode: executor: the {} of node {} is {} in sample {}, the "
                      "first to become non-finite in {}",
                      gradient ? "gradient" : "value", g_->describe(st.node), row[i], b.s0 + i,
                      gradient ? "the backward pass" : "evaluation order"),
          st.node, gradient, row[i]);
}

Executor::Bufs Executor::tile_bufs(std::size_t tile, double* vv, double* vg, double* ug) const {
  const std::size_t s0 = tile * tile_;
  return {vv,
          vg,
          const_cast<double*>(uval_.data()),  // written only by the uniform steps (sweep())
          ug,
          terms_.data(),
          first_.data(),
          parts_.data(),
          std::min(tile_, batch_ - s0),
          tile_,
          s0,
          detail::Access::values(*g_)};
}

Executor::Bufs Executor::bufs(std::size_t tile, std::size_t worker) {
  double* ug = tile == 0 ? ugrad_.data() : tile_ug_.data() + (tile - 1) * ugrad_.size();
  const std::size_t block = keep_ ? tile : worker;
  return tile_bufs(tile, vval_.data() + block * block_, vgrad_.data() + block * block_, ug);
}

#ifdef GRADFLOW_NO_THREADS
struct Executor::Pool {  // never made: one core
  explicit Pool(int) {}
};
#else
struct Executor::Pool {
  tbb::task_arena arena;
  explicit Pool(int threads) : arena(threads) {}
};
#endif

std::shared_ptr<Executor::Pool> Executor::make_pool(std::size_t threads) {
  return std::make_shared<Pool>(static_cast<int>(threads));
}

template <class F>
void Executor::for_tiles(F&& f) {
  if (!pool_) {
    for (std::size_t t = 0; t < ntiles_; ++t) f(t, std::size_t{0});
    return;
  }
#if GRADFLOW_TSAN
  // ThreadSanitizer cannot see oneTBB's synchronisation (libtbb is not instrumented) and
  // reports its task objects as races; under it the same tiles run on plain threads, which it
  // sees, so that what it checks is this code's sharing of the tiles' numbers.
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> workers;
  for (std::size_t k = 1; k < workers_; ++k)
    workers.emplace_back([&, k] {
      for (std::size_t t; (t = next++) < ntiles_;) f(t, k);
    });
  for (std::size_t t; (t = next++) < ntiles_;) f(t, std::size_t{0});
  for (auto& w : workers) w.join();
#elif defined(GRADFLOW_NO_THREADS)
  for (std::size_t t = 0; t < ntiles_; ++t) f(t, std::size_t{0});
#else
  // One task per tile: which thread runs a tile changes nothing in its arithmetic.
  pool_->arena.execute([&] {
    tbb::parallel_for(
        tbb::blocked_range<std::size_t>(0, ntiles_, 1),
        [&](const tbb::blocked_range<std::size_t>& r) {
          // The arena holds workers_ threads: indices 0 .. workers_ - 1, one per thread.
          const auto w = static_cast<std::size_t>(tbb::this_task_arena::current_thread_index());
          for (std::size_t t = r.begin(); t != r.end(); ++t) f(t, w);
        },
        tbb::simple_partitioner());
  });
#endif
}

namespace {
// The first failure of a parallel loop over tiles, as a sequential loop would have met it: the
// earliest step, and for the same step the earliest tile.
struct FirstFailure {
  std::vector<std::size_t> step;
  std::vector<std::exception_ptr> error;
  explicit FirstFailure(std::size_t tiles) : step(tiles, 0), error(tiles) {}
  // The tile of the first failure, or error.size().
  std::size_t first() const {
    std::size_t best = error.size();
    for (std::size_t t = 0; t < error.size(); ++t)
      if (error[t] && (best == error.size() || step[t] < step[best])) best = t;
    return best;
  }
  void rethrow() const {
    const std::size_t best = first();
    if (best < error.size()) std::rethrow_exception(error[best]);
  }
};
}  // namespace

template <bool kOne>
[[gnu::flatten]] void Executor::forward_tile(const Bufs& b, const double* rows, double* snap,
                                             std::size_t& step, bool check) const {
  const Conventions& conv = g_->conventions();
  for (const InputRow& r : inputs_) {
    const double* src = rows + std::size_t{r.row} * batch_ + b.s0;
    std::copy_n(src, b.nb, b.vv + std::size_t{r.slot} * b.stride);
    if (snap != nullptr) std::copy_n(src, b.nb, snap + std::size_t{r.row} * batch_ + b.s0);
  }
  for (step = 0; step < vsteps_.size(); ++step) {
    const Step& st = vsteps_[step];
    forward_step<kOne>(b, st, conv);
    if (!check) continue;
    if (st.kind != Kind::neuron)
      check_rows(b, st, false);
    else  // each part's node, in evaluation order
      for (std::uint32_t k = 0; k < st.b; ++k) check_rows(b, parts_[st.a + k], false);
  }
}

// ---- backward -----------------------------------------------------------------------------------

namespace {
// An edge's write to a varying gradient row: the row's first write stores v (the bits of 0 + v,
// but for the sign of a zero), any later one adds.
template <bool kStore>
[[gnu::always_inline]] inline void put(double& dst, double v) {
  if constexpr (kStore)
    dst = v;
  else
    dst += v;
}
// f(std::true_type{}) for a first write, f(std::false_type{}) otherwise: a loop per case.
template <class F>
[[gnu::always_inline]] inline void stores(bool first, F&& f) {
  if (first)
    f(std::true_type{});
  else
    f(std::false_type{});
}

// A weighted-sum term's backward in one pass over its samples: gx += gy w (stored on the row's
// first write), and returns Σ gy x in batch_reduce's order (four interleaved partial sums), so
// that the bits are an unfused mul's.
[[gnu::always_inline]] inline double term_backward(bool first, std::size_t nb, const double* gy,
                                                   double w, const double* x, double* gx) {
  if (nb == 1) {
    gx[0] = first ? gy[0] * w : gx[0] + gy[0] * w;
    return gy[0] * x[0];
  }
  double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
  stores(first, [&](auto store) {
    std::size_t s = 0;
    for (; s + 4 <= nb; s += 4) {
      put<decltype(store)::value>(gx[s], gy[s] * w);
      put<decltype(store)::value>(gx[s + 1], gy[s + 1] * w);
      put<decltype(store)::value>(gx[s + 2], gy[s + 2] * w);
      put<decltype(store)::value>(gx[s + 3], gy[s + 3] * w);
      a0 += gy[s] * x[s];
      a1 += gy[s + 1] * x[s + 1];
      a2 += gy[s + 2] * x[s + 2];
      a3 += gy[s + 3] * x[s + 3];
    }
    for (; s < nb; ++s) {
      put<decltype(store)::value>(gx[s], gy[s] * w);
      a0 += gy[s] * x[s];
    }
  });
  return (a0 + a1) + (a2 + a3);
}
}  // namespace

// A dot's or an affine_dot's backward (also a neuron step's last part).
template <bool kOne>
[[gnu::always_inline]] inline void Executor::dot_backward(const Bufs& m, const Step& st,
                                                          double scale) const {
  const std::size_t nb = kOne ? 1 : m.nb;
  const std::size_t stride = kOne ? 1 : m.stride;
  const auto vrow = [&](std::uint32_t slot) { return m.vv + slot * stride; };
  const auto vgrad = [&](std::uint32_t slot) { return m.vg + slot * stride; };
  const double* gy = vgrad(st.out);
  const std::uint32_t* p = m.terms + st.a;
  const bool aff = st.kind == Kind::affine_dot;
  const std::size_t pairs = aff ? st.b / 2 : st.b;
  // Term k's two edges: to its varying value (stored on the row's first write) and to its
  // uniform weight (reduced over the tile's samples).
  const auto term = [&](std::size_t k) {
    const std::uint32_t wi = p[2 * k], xi = p[2 * k + 1];
    const bool first = m.first[st.a + 2 * k + 1] != 0;
    if constexpr (kOne) {  // the same arithmetic, with the node's gradient held in a register
      const double g = gy[0];
      const double gx = g * m.uv[wi];
      m.vg[xi] = first ? gx : m.vg[xi] + gx;
      m.ug[wi] += scale * (g * m.vv[xi]);
    } else {
      m.ug[wi] += scale * term_backward(first, nb, gy, m.uv[wi], vrow(xi), vgrad(xi));
    }
  };
  if (!aff) {
    // Terms in reverse order: the order in which an unfused run reaches the mul nodes.
    for (std::size_t k = pairs; k-- > 0;) term(k);
    return;
  }
  // Pairs in slot order (the order Graph::backward passes an affine node's edges; a pair's two
  // edges reach a uniform and a varying node, apart), then the bias: d/dw_k = x_k,
  // d/dx_k = w_k, d/db = 1, as rules::Affine gives them.
  for (std::size_t k = 0; k < pairs; ++k) term(k);
  const std::uint32_t bi = p[2 * pairs];
  if constexpr (kOne)
    m.ug[bi] += scale * gy[0];
  else
    m.ug[bi] += scale * detail::batch_reduce(nb, [gy](std::size_t s) { return gy[s]; });
}

template <bool kOne>
[[gnu::always_inline]] inline void Executor::backward_step(const Bufs& m, const Step& st,
                                                           const Conventions& conv,
                                                           double scale) const {
  const std::size_t nb = kOne ? 1 : m.nb;
  const std::size_t stride = kOne ? 1 : m.stride;
  const auto vrow = [&](std::uint32_t slot) { return m.vv + slot * stride; };
  const auto vgrad = [&](std::uint32_t slot) { return m.vg + slot * stride; };
  const double attr = st.attr;
  switch (st.kind) {
    case Kind::leaf_uniform:
      return;
    case Kind::scalar: {
      const double* u = m.uv;
      double* gu = m.ug;
      const double gi = gu[st.out];
      with_rule(st.op, [&](auto rule) {
        using R = decltype(rule);
        const auto slot = [&](std::size_t k) {
          if constexpr (R::info.arity == variadic)
            return m.terms[st.a + k] >> 1;
          else
            return k == 0 ? st.a : st.b;
        };
        derivatives<R>(
            attr, conv, st.b, [&](std::size_t k) { return u[slot(k)]; }, u[st.out],
            [&](std::size_t k, double d) { gu[slot(k)] += gi * d; });
      });
      return;
    }
    case Kind::unary: {
      const double* x = vrow(st.a);
      const double* y = vrow(st.out);
      const double* gy = vgrad(st.out);
      double* gx = vgrad(st.a);
      with_rule(st.op, [&](auto rule) {
        using R = decltype(rule);
        if constexpr (R::info.arity == 1)
          stores((st.first & 1) != 0, [&](auto store) {
            for (std::size_t s = 0; s < nb; ++s)
              derivatives<R>(
                  attr, conv, 1, [&](std::size_t) { return x[s]; }, y[s],
                  [&](std::size_t, double d) { put<decltype(store)::value>(gx[s], gy[s] * d); });
          });
      });
      return;
    }
    case Kind::binary_vv:
    case Kind::binary_vu:
    case Kind::binary_uv: {
      const double* y = vrow(st.out);
      const double* gy = vgrad(st.out);
      with_rule(st.op, [&](auto rule) {
        using R = decltype(rule);
        if constexpr (R::info.arity == 2) {
          if (st.kind == Kind::binary_vv) {
            const double *a = vrow(st.a), *b = vrow(st.b);
            double *ga = vgrad(st.a), *gb = vgrad(st.b);
            stores((st.first & 1) != 0, [&](auto store_a) {
              stores((st.first & 2) != 0, [&](auto store_b) {
                for (std::size_t s = 0; s < nb; ++s) {
                  const Partials2 d = R::derivative(a[s], b[s], y[s]);
                  put<decltype(store_a)::value>(ga[s], gy[s] * d.da);
                  put<decltype(store_b)::value>(gb[s], gy[s] * d.db);
                }
              });
            });
          } else if (st.kind == Kind::binary_vu) {
            const double* a = vrow(st.a);
            const double b = m.uv[st.b];
            double* ga = vgrad(st.a);
            stores((st.first & 1) != 0, [&](auto store) {
              for (std::size_t s = 0; s < nb; ++s)
                put<decltype(store)::value>(ga[s], gy[s] * R::derivative(a[s], b, y[s]).da);
            });
            m.ug[st.b] += scale * detail::batch_reduce(nb, [&](std::size_t s) {
                            return gy[s] * R::derivative(a[s], b, y[s]).db;
                          });
          } else {
            const double a = m.uv[st.a];
            const double* b = vrow(st.b);
            double* gb = vgrad(st.b);
            stores((st.first & 2) != 0, [&](auto store) {
              for (std::size_t s = 0; s < nb; ++s)
                put<decltype(store)::value>(gb[s], gy[s] * R::derivative(a, b[s], y[s]).db);
            });
            m.ug[st.a] += scale * detail::batch_reduce(nb, [&](std::size_t s) {
                            return gy[s] * R::derivative(a, b[s], y[s]).da;
                          });
          }
        }
      });
      return;
    }
    case Kind::sum: {
      const double* gy = vgrad(st.out);
      for (std::uint32_t t = st.a; t < st.a + st.b; ++t) {
        const std::uint32_t e = m.terms[t];
        if (e & 1u) {
          m.ug[e >> 1] += scale * detail::batch_reduce(nb, [gy](std::size_t s) { return gy[s]; });
        } else {
          double* gx = vgrad(e >> 1);
          if (m.first[t] != 0)
            std::copy_n(gy, nb, gx);
          else
            for (std::size_t s = 0; s < nb; ++s) gx[s] += gy[s];
        }
      }
      return;
    }
    case Kind::dot:
    case Kind::affine_dot:
      dot_backward<kOne>(m, st, scale);
      return;
    case Kind::neuron: {
      // The parts in backward order: the activation's edge and the bias's (a dot's) in one
      // pass, then the weighted sum's terms. Each link's row is written only here, first.
      const Step* q = m.parts + st.a;
      const Step& act = q[st.b - 1];
      const double* z = vrow(act.a);
      const double* y = vrow(act.out);
      const double* gy = vgrad(act.out);
      double* gz = vgrad(act.a);
      with_rule(act.op, [&](auto rule) {
        using R = decltype(rule);
        if constexpr (R::info.arity == 1) {
          const auto edge = [&](std::size_t s, auto&& f) {
            derivatives<R>(
                act.attr, conv, 1, [&](std::size_t) { return z[s]; }, y[s],
                [&](std::size_t, double d) { f(gy[s] * d); });
          };
          if (st.b == 3) {  // bias(sum, b) or add(sum, b): both local derivatives 1
            const Step& bs = q[1];
            const Partials2 one = bs.op == Op::bias ? rules::Bias::derivative(0.0, 0.0, 0.0)
                                                    : rules::Add::derivative(0.0, 0.0, 0.0);
            double* gsum = vgrad(bs.a);
            for (std::size_t s = 0; s < nb; ++s)
              edge(s, [&](double g) {
                gz[s] = g;
                gsum[s] = g * one.da;
              });
            m.ug[bs.b] +=
                scale * detail::batch_reduce(nb, [&](std::size_t s) { return gz[s] * one.db; });
          } else {
            for (std::size_t s = 0; s < nb; ++s) edge(s, [&](double g) { gz[s] = g; });
          }
        }
      });
      dot_backward<kOne>(m, q[0], scale);
      return;
    }
    case Kind::affine: {
      // Any mix, through the op's rule: the varying operands' edges sample by sample in slot
      // order (as Graph::backward passes them), each uniform operand's reduced over the tile's
      // samples (uniform and varying gradients lie apart, so the two orders do not interact).
      const double* gy = vgrad(st.out);
      const double* y = vrow(st.out);
      const std::uint32_t* p = m.terms + st.a;
      const std::size_t n = st.b;
      const auto operands = [&](std::size_t s) {
        return [&, s](std::size_t k) {
          const std::uint32_t e = p[k];
          return e & 1u ? m.uv[e >> 1] : vrow(e >> 1)[s];
        };
      };
      with_rule(st.op, [&](auto rule) {
        using R = decltype(rule);
        if constexpr (R::info.arity == variadic)
          for (std::size_t s = 0; s < nb; ++s) {
            const double gs = gy[s];
            derivatives<R>(attr, conv, n, operands(s), y[s], [&](std::size_t k, double d) {
              const std::uint32_t e = p[k];
              if (!(e & 1u)) vgrad(e >> 1)[s] += gs * d;
            });
          }
      });
      for (std::size_t k = 0; k < n; ++k) {
        const std::uint32_t e = p[k];
        if (!(e & 1u)) continue;
        m.ug[e >> 1] += scale * detail::batch_reduce(nb, [&](std::size_t s) {
                          return gy[s] * derivative(st.op, k, attr, conv, n, operands(s), y[s]);
                        });
      }
      return;
    }
  }
}

template <bool kOne>
[[gnu::flatten]] void Executor::backward_tile(const Bufs& b, double scale) const {
  const Conventions& conv = g_->conventions();
  if (zero_all_)  // the tile's rows, contiguous: claimed in cache without being read
    std::fill_n(b.vg, std::size_t{nv_} * b.stride, 0.0);
  else
    for (const std::uint32_t k : zero_rows_)
      std::fill_n(b.vg + std::size_t{k} * b.stride, b.nb, 0.0);
  if (b.ug != ugrad_.data()) std::fill_n(b.ug, ugrad_.size(), 0.0);
  const Loc& r = loc_[plan_.root];
  if (r.storage == Storage::varying) std::fill_n(b.vg + r.index * b.stride, b.nb, 1.0);
  for (auto it = vsteps_.rbegin(); it != vsteps_.rend(); ++it)
    backward_step<kOne>(b, *it, conv, scale);
}

// Flattened, so that each op's rule is inlined into the loop over the (many) uniform steps: an L2
// penalty alone is one of them per parameter.
[[gnu::flatten]] void Executor::uniform_forward(const Bufs& whole, bool check) {
  const Conventions& conv = g_->conventions();
  if (check) {  // every step in evaluation order, checked as it goes
    for (const Step& st : usteps_) {
      forward_step<false>(whole, st, conv);
      check_step(st, false, 0, 1);
    }
    return;
  }
  // The leaves read nothing computed: all of them first, in one loop, then the op steps.
  for (const Leaf& l : uleaves_) whole.uv[l.slot] = whole.gv[l.node];
  for (const Step& st : uops_) forward_step<false>(whole, st, conv);
}

[[gnu::flatten]] void Executor::uniform_backward(const Bufs& whole, double scale) {
  const Conventions& conv = g_->conventions();
  for (auto it = uops_.rbegin(); it != uops_.rend(); ++it)  // a leaf passes nothing on
    backward_step<false>(whole, *it, conv, scale);
}

void Executor::forward() { sweep(true, false); }

void Executor::backward() {
  if (!evaluated_) forward();
  sweep(false, true);
}

void Executor::run() { sweep(true, true); }

// Forward and/or backward. With both, each tile runs backward right after its forward, while its
// numbers are still in cache.
void Executor::sweep(bool fwd, bool bwd) {
  const bool check = g_->check_finite();
  const bool mean = options_.reduction == Reduction::mean;
  const double scale = mean ? 1.0 / static_cast<double>(batch_) : 1.0;
  cached_sample_ = no_sample;
  recomputed_ = no_sample;
  summed_ = false;
  differentiated_ = false;
  const Bufs whole = bufs(0, 0);
  if (fwd) {
    evaluated_ = false;
    // Uniform nodes once (they read only uniform nodes), then the varying ones tile by tile.
    uniform_forward(whole, check);
  }
  if (bwd) {
    std::fill(ugrad_.begin(), ugrad_.end(), 0.0);
    const Loc& r = loc_[plan_.root];
    if (r.storage == Storage::uniform)  // the same in every sample: the reduction is itself or B×
      ugrad_[r.index] = mean ? 1.0 : static_cast<double>(batch_);
  }
  // Not keeping samples, a tile's forward reads the inputs and copies them for read-back, and
  // keeps its roots; a backward without a forward first recomputes the tile's values (from the
  // inputs of the last forward), the same bits.
  const double* rows = keep_ || fwd ? in_rows_.data() : snap_rows_.data();
  double* snap = !keep_ && fwd ? snap_rows_.data() : nullptr;
  const Loc& root = loc_[plan_.root];
  const bool roots = !keep_ && fwd && root.storage == Storage::varying;
  const bool refwd = !keep_ && !fwd;
  // Check mode, not keeping samples: each tile's first non-finite gradient (in the reverse
  // order of steps_), as its rows are gone once the next tile runs.
  const bool gcheck = check && bwd && !keep_;
  FirstFailure gfailed(gcheck ? ntiles_ : 0);
  const auto check_gradients = [&](const Bufs& b, std::size_t t) {
    std::size_t p = 0;
    for (auto it = steps_.rbegin(); it != steps_.rend(); ++it, ++p) {
      if (loc_[it->node].storage != Storage::varying) continue;
      try {
        check_rows(b, *it, true);
      } catch (...) {
        gfailed.error[t] = std::current_exception();
        gfailed.step[t] = p;
        return;
      }
    }
  };
  if (batch_ == 1 && !check) {
    std::size_t step = 0;
    const Bufs b = bufs(0, 0);
    if (fwd || refwd) forward_tile<true>(b, rows, snap, step, false);
    if (roots) roots_[0] = b.vv[root.index];
    if (bwd) backward_tile<true>(b, scale);
  } else {
    // A tile stops at its first failure (a value out of an op's domain, or in check mode a
    // non-finite value); the one reported is the first in evaluation order, then sample order.
    FirstFailure failed(ntiles_);
    for_tiles([&](std::size_t t, std::size_t w) {
      const Bufs b = bufs(t, w);
      if (fwd) {
        std::size_t k = 0;
        try {
          forward_tile<false>(b, rows, snap, k, check);
        } catch (...) {
          failed.error[t] = std::current_exception();
          failed.step[t] = k;
          return;
        }
        if (roots) std::copy_n(b.vv + std::size_t{root.index} * b.stride, b.nb, &roots_[b.s0]);
      } else if (refwd) {
        std::size_t k = 0;
        forward_tile<false>(b, rows, nullptr, k, false);
      }
      if (bwd) {
        backward_tile<false>(b, scale);
        if (gcheck) check_gradients(b, t);
      }
    });
    failed.rethrow();
  }
  if (fwd) evaluated_ = true;
  if (!bwd) return;
  // Each tile reduced its samples into its own uniform gradients: added in tile order, then the
  // uniform nodes once (only uniform nodes pass gradient to uniform nodes).
  const std::size_t nu = ugrad_.size();
  for (std::size_t t = 1; t < ntiles_; ++t) {
    const double* part = tile_ug_.data() + (t - 1) * nu;
    for (std::size_t i = 0; i < nu; ++i) ugrad_[i] += part[i];
  }
  uniform_backward(whole, scale);
  // Check mode: the first node, in reverse order, whose gradient is not finite in some sample.
  if (check && keep_)
    for (auto it = steps_.rbegin(); it != steps_.rend(); ++it) check_step(*it, true, 0, batch_);
  if (gcheck) {  // the uniform nodes' here, the varying ones' as the tiles found them
    const std::size_t first = gfailed.first();
    std::size_t p = 0;
    for (auto it = steps_.rbegin(); it != steps_.rend(); ++it, ++p) {
      if (first < ntiles_ && p == gfailed.step[first]) std::rethrow_exception(gfailed.error[first]);
      if (loc_[it->node].storage == Storage::uniform) check_step(*it, true, 0, batch_);
    }
  }
  differentiated_ = true;
}

void Executor::recompute(std::size_t tile) const {
  if (recomputed_ == tile) return;
  recomputed_ = no_sample;
  const Bufs b = tile_bufs(tile, rv_.data(), rg_.data(), rug_.data());  // vsteps_ write no uv
  const double scale =
      options_.reduction == Reduction::mean ? 1.0 / static_cast<double>(batch_) : 1.0;
  std::size_t step = 0;
  // The run's inputs and uniform values, the run's kernels: the run's bits.
  if (batch_ == 1) {
    forward_tile<true>(b, snap_rows_.data(), nullptr, step, false);
    if (differentiated_) backward_tile<true>(b, scale);
  } else {
    forward_tile<false>(b, snap_rows_.data(), nullptr, step, false);
    if (differentiated_) backward_tile<false>(b, scale);
  }
  recomputed_ = tile;
}

}  // namespace gradflow
