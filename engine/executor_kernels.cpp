// The batched executor's kernels: every kernel is one op's rule from ops/ops.hpp, called through
// its one protocol (compute, derivatives, domain) and inlined into a loop over the batch; the
// switch over steps runs once per node per batch. Reductions over the batch use
// detail::batch_reduce (a fixed order, so results are reproducible).
#include <gradflow/engine/executor.hpp>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include <gradflow/graph/evaluate.hpp>
#include <gradflow/ops/errors.hpp>

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
  const auto vrow = [&](std::uint32_t slot) { return m.vv + slot * nb; };
  const Graph& g = *g_;
  const double attr = st.attr;
  switch (st.kind) {
    case Kind::leaf_uniform:
      m.uv[st.out] = g.value(st.node);
      return;
    case Kind::scalar: {
      double* u = m.uv;
      // Operand k of a unary/binary step is u[a] or u[b]; of a sum, its k-th term.
      const auto x = [&](std::size_t k) {
        return st.op == Op::sum ? u[m.terms[st.a + k] >> 1] : u[k == 0 ? st.a : st.b];
      };
      with_rule(st.op, [&](auto rule) {
        using R = decltype(rule);
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
                throw_domain(g, st.node, 0, s, x[s], d.reason);
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
                  throw_domain(g, st.node, d.slot, s, at(s)(d.slot), d.reason);
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
      constexpr std::size_t block = 8;
      std::size_t s0 = 0;
      for (; s0 + block <= nb; s0 += block) {
        double acc[block] = {};
        for (std::size_t k = 0; k < count; ++k) {
          const double w = m.uv[p[2 * k]];
          const double* x = vrow(p[2 * k + 1]) + s0;
          for (std::size_t j = 0; j < block; ++j) acc[j] += w * x[j];
        }
        for (std::size_t j = 0; j < block; ++j) y[s0 + j] = acc[j];
      }
      for (std::size_t s = s0; s < nb; ++s) {
        double acc = 0.0;
        for (std::size_t k = 0; k < count; ++k) acc += m.uv[p[2 * k]] * vrow(p[2 * k + 1])[s];
        y[s] = acc;
      }
      return;
    }
  }
}

void Executor::check_step(const Step& st, bool gradient) const {
  const Loc& l = loc_[st.node];
  const bool uniform = l.storage == Storage::uniform;
  const double* p = uniform ? (gradient ? &ugrad_[l.index] : &uval_[l.index])
                            : (gradient ? grow(l.index) : row(l.index));
  const std::size_t n = uniform ? 1 : batch_;
  for (std::size_t s = 0; s < n; ++s)
    if (!std::isfinite(p[s]))
      throw NumericError(
          fmt::format(
              "gradflow: check mode: executor: the {} of node {} is {} {}, the first to "
              "become non-finite in {}",
              gradient ? "gradient" : "value", g_->describe(st.node), p[s],
              uniform ? std::string("(shared by all samples)") : fmt::format("in sample {}", s),
              gradient ? "the backward pass" : "evaluation order"),
          st.node, gradient, p[s]);
}

void Executor::forward() {
  const Conventions& conv = g_->conventions();
  const bool check = g_->check_finite();
  evaluated_ = false;
  differentiated_ = false;
  cached_sample_ = no_sample;
  if (check) {
    const Bufs b = bufs();
    for (const Step& st : steps_) {
      forward_step<false>(b, st, conv);
      check_step(st, false);
    }
  } else if (batch_ == 1) {
    forward_sweep<true>();
  } else {
    forward_sweep<false>();
  }
  evaluated_ = true;
}

Executor::Bufs Executor::bufs() {
  return {vval_.data(), vgrad_.data(), uval_.data(), ugrad_.data(), terms_.data(), batch_};
}

template <bool kOne>
[[gnu::flatten]] void Executor::forward_sweep() {
  const Conventions& conv = g_->conventions();
  const Bufs b = bufs();
  for (const Step& st : steps_) forward_step<kOne>(b, st, conv);
}

template <bool kOne>
[[gnu::flatten]] void Executor::backward_sweep(double scale) {
  const Conventions& conv = g_->conventions();
  const Bufs b = bufs();
  for (auto it = steps_.rbegin(); it != steps_.rend(); ++it)
    backward_step<kOne>(b, *it, conv, scale);
}

// ---- backward -----------------------------------------------------------------------------------

template <bool kOne>
[[gnu::always_inline]] inline void Executor::backward_step(const Bufs& m, const Step& st,
                                                           const Conventions& conv,
                                                           double scale) const {
  const std::size_t nb = kOne ? 1 : m.nb;
  const auto vrow = [&](std::uint32_t slot) { return m.vv + slot * nb; };
  const auto vgrad = [&](std::uint32_t slot) { return m.vg + slot * nb; };
  const double attr = st.attr;
  switch (st.kind) {
    case Kind::leaf_uniform:
      return;
    case Kind::scalar: {
      const double* u = m.uv;
      double* gu = m.ug;
      const double gi = gu[st.out];
      const auto slot = [&](std::size_t k) {
        return st.op == Op::sum ? m.terms[st.a + k] >> 1 : (k == 0 ? st.a : st.b);
      };
      with_rule(st.op, [&](auto rule) {
        derivatives<decltype(rule)>(
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
          for (std::size_t s = 0; s < nb; ++s)
            derivatives<R>(
                attr, conv, 1, [&](std::size_t) { return x[s]; }, y[s],
                [&](std::size_t, double d) { gx[s] += gy[s] * d; });
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
            for (std::size_t s = 0; s < nb; ++s) {
              const Partials2 d = R::derivative(a[s], b[s], y[s]);
              ga[s] += gy[s] * d.da;
              gb[s] += gy[s] * d.db;
            }
          } else if (st.kind == Kind::binary_vu) {
            const double* a = vrow(st.a);
            const double b = m.uv[st.b];
            double* ga = vgrad(st.a);
            for (std::size_t s = 0; s < nb; ++s) ga[s] += gy[s] * R::derivative(a[s], b, y[s]).da;
            m.ug[st.b] += scale * detail::batch_reduce(nb, [&](std::size_t s) {
                            return gy[s] * R::derivative(a[s], b, y[s]).db;
                          });
          } else {
            const double a = m.uv[st.a];
            const double* b = vrow(st.b);
            double* gb = vgrad(st.b);
            for (std::size_t s = 0; s < nb; ++s) gb[s] += gy[s] * R::derivative(a, b[s], y[s]).db;
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
          for (std::size_t s = 0; s < nb; ++s) gx[s] += gy[s];
        }
      }
      return;
    }
    case Kind::dot: {
      // Terms in reverse order: the order in which an unfused run reaches the mul nodes.
      const double* gy = vgrad(st.out);
      const std::uint32_t* p = m.terms + st.a;
      if constexpr (kOne) {  // the same arithmetic, with the sum's gradient held in a register
        const double g = gy[0];
        for (std::size_t k = st.b; k-- > 0;) {
          const std::uint32_t wi = p[2 * k], xi = p[2 * k + 1];
          m.vg[xi] += g * m.uv[wi];
          m.ug[wi] += scale * (g * m.vv[xi]);
        }
        return;
      }
      for (std::size_t k = st.b; k-- > 0;) {
        const double w = m.uv[p[2 * k]];
        const double* x = vrow(p[2 * k + 1]);
        double* gx = vgrad(p[2 * k + 1]);
        for (std::size_t s = 0; s < nb; ++s) gx[s] += gy[s] * w;
        m.ug[p[2 * k]] +=
            scale * detail::batch_reduce(nb, [gy, x](std::size_t s) { return gy[s] * x[s]; });
      }
      return;
    }
  }
}

void Executor::backward() {
  if (!evaluated_) forward();
  const Conventions& conv = g_->conventions();
  const bool check = g_->check_finite();
  const bool mean = options_.reduction == Reduction::mean;
  const double scale = mean ? 1.0 / static_cast<double>(batch_) : 1.0;
  differentiated_ = false;
  cached_sample_ = no_sample;
  std::fill(vgrad_.begin(), vgrad_.end(), 0.0);
  std::fill(ugrad_.begin(), ugrad_.end(), 0.0);
  const Loc& r = loc_[plan_.root];
  if (r.storage == Storage::varying)
    std::fill_n(grow(r.index), batch_, 1.0);
  else  // the root is the same in every sample: its reduction is itself (mean) or B times it
    ugrad_[r.index] = mean ? 1.0 : static_cast<double>(batch_);
  if (check) {
    const Bufs b = bufs();
    for (auto it = steps_.rbegin(); it != steps_.rend(); ++it) {
      check_step(*it, true);
      backward_step<false>(b, *it, conv, scale);
    }
  } else if (batch_ == 1) {
    backward_sweep<true>(scale);
  } else {
    backward_sweep<false>(scale);
  }
  differentiated_ = true;
}

}  // namespace gradflow
