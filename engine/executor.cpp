// The batched executor: see executor.hpp. Every kernel is one op's rule from ops/ops.hpp, inlined
// through with_rule() into a loop over the batch; the switch over steps runs once per node per
// batch. Reductions over the batch use four interleaved partial sums (a fixed order, so results
// are reproducible, and short dependency chains, so the loop pipelines).
#include <gradflow/engine/executor.hpp>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include <gradflow/graph/evaluate.hpp>
#include <gradflow/ops/errors.hpp>

namespace gradflow {
namespace {

constexpr std::size_t npos = static_cast<std::size_t>(-1);

// Σ_s f(s) over s in [0, n), as four interleaved partial sums added pairwise at the end.
template <class F>
inline double reduce(std::size_t n, F&& f) {
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

std::uint32_t encode(std::uint32_t slot, bool uniform) { return slot << 1 | (uniform ? 1u : 0u); }

}  // namespace

// ---- compilation --------------------------------------------------------------------------------

Executor::Executor(const Graph& g, Node root, std::size_t batch, ExecutorOptions options)
    : g_(&g), root_(root), batch_(batch), options_(options) {
  g.check(root, "Executor");
  if (batch == 0) throw UsageError("gradflow: Executor: the batch needs at least one sample");
  plan_ = make_plan(g, root);
  compile();
}

void Executor::compile() {
  const Graph& g = *g_;
  const std::size_t n = g.size();
  loc_.assign(n, Loc{});
  std::vector<std::uint32_t> uses(n, 0);
  std::vector<std::uint8_t> varying(n, 0);
  for (const NodeId i : plan_.order) {
    bool v = g.op(i) == Op::input;
    for (const NodeId k : g.operands(i)) {
      ++uses[k];
      v = v || varying[k] != 0;
    }
    varying[i] = v ? 1 : 0;
  }
  ++uses[plan_.root];  // the caller reads the root

  // A mul is a weighted-sum term if it multiplies a uniform weight by a varying value and only
  // one sum uses it (so nothing else needs its value stored).
  const auto is_term = [&](NodeId m) {
    if (g.op(m) != Op::mul || uses[m] != 1) return false;
    const auto ab = g.operands(m);
    return (varying[ab[0]] != 0) != (varying[ab[1]] != 0);
  };
  std::vector<std::uint8_t> dot(n, 0);
  if (options_.fuse) {
    for (const NodeId i : plan_.order) {
      if (g.op(i) != Op::sum || varying[i] == 0) continue;
      const auto terms = g.operands(i);
      if (!std::all_of(terms.begin(), terms.end(), is_term)) continue;
      dot[i] = 1;
      ++fused_sums_;
      for (const NodeId m : terms) loc_[m] = Loc{i, Storage::elided};
    }
  }

  std::uint32_t nv = 0, nu = 0;
  for (const NodeId i : plan_.order) {
    if (loc_[i].storage == Storage::elided) continue;
    loc_[i] = varying[i] != 0 ? Loc{nv++, Storage::varying} : Loc{nu++, Storage::uniform};
  }
  vval_.assign(std::size_t{nv} * batch_, 0.0);
  vgrad_.assign(std::size_t{nv} * batch_, 0.0);
  uval_.assign(nu, 0.0);
  ugrad_.assign(nu, 0.0);

  const auto slot = [&](NodeId k) { return loc_[k].index; };
  const auto uni = [&](NodeId k) { return loc_[k].storage == Storage::uniform; };
  for (const NodeId i : plan_.order) {
    const Loc& l = loc_[i];
    if (l.storage == Storage::elided) continue;
    Step st{Kind::scalar, g.op(i), i, l.index, 0, 0, g.attr(i)};
    const auto ops = g.operands(i);
    const bool vary = l.storage == Storage::varying;
    if (ops.empty()) {
      if (vary) {  // an input: every sample starts with the graph's value
        std::fill_n(row(l.index), batch_, g.value(i));
        continue;
      }
      st.kind = Kind::leaf_uniform;
    } else if (g.op(i) == Op::sum) {
      st.kind = dot[i] != 0 ? Kind::dot : (vary ? Kind::sum : Kind::scalar);
      st.a = static_cast<std::uint32_t>(terms_.size());
      st.b = static_cast<std::uint32_t>(ops.size());
      for (const NodeId k : ops) {
        if (dot[i] != 0) {
          const auto ab = g.operands(k);
          const bool w_first = uni(ab[0]);
          terms_.push_back(slot(w_first ? ab[0] : ab[1]));
          terms_.push_back(slot(w_first ? ab[1] : ab[0]));
        } else {
          terms_.push_back(encode(slot(k), uni(k)));
        }
      }
    } else {
      st.a = slot(ops[0]);
      if (ops.size() == 2) st.b = slot(ops[1]);
      if (vary) {
        if (ops.size() == 1)
          st.kind = Kind::unary;
        else if (!uni(ops[0]) && !uni(ops[1]))
          st.kind = Kind::binary_vv;
        else
          st.kind = uni(ops[1]) ? Kind::binary_vu : Kind::binary_uv;
      }
    }
    steps_.push_back(st);
  }
}

bool Executor::varies(Node n) const {
  const Loc& l = loc(n, "varies");
  return l.storage != Storage::uniform;
}

const Executor::Loc& Executor::loc(Node n, const char* what) const {
  g_->check(n, what);
  if (n.id() >= loc_.size() || loc_[n.id()].storage == Storage::none)
    throw UsageError(fmt::format(
        "gradflow: Executor: {}: node '{}' (#{}, {}) is not in the cone of the root '{}' (#{})",
        what, g_->label(n.id()), n.id(), info(g_->op(n.id())).name, g_->label(root_.id()),
        root_.id()));
  return loc_[n.id()];
}

// ---- inputs -------------------------------------------------------------------------------------

std::span<double> Executor::input(Node n) {
  const Loc& l = loc(n, "input");
  if (g_->op(n.id()) != Op::input)
    throw UsageError(fmt::format("gradflow: Executor: node '{}' (#{}, {}) is not an input",
                                 g_->label(n.id()), n.id(), info(g_->op(n.id())).name));
  cached_sample_ = npos;
  return {row(l.index), batch_};
}

void Executor::set_input(Node n, std::span<const double> values) {
  const auto dst = input(n);
  if (values.size() != batch_)
    throw UsageError(
        fmt::format("gradflow: Executor: input '{}' needs {} values (the batch), got {}",
                    g_->label(n.id()), batch_, values.size()));
  std::copy(values.begin(), values.end(), dst.begin());
}

// ---- forward ------------------------------------------------------------------------------------

namespace {
[[noreturn]] void throw_domain(const Graph& g, NodeId i, std::size_t slot, std::size_t sample,
                               double v, const char* why) {
  const NodeId operand = g.operands(i)[slot];
  throw DomainError(
      fmt::format("gradflow: executor: evaluating node '{}' (#{}, {}) for sample {}: operand "
                  "'{}' (#{}, {}) = {}: {}",
                  g.label(i), i, info(g.op(i)).name, sample, g.label(operand), operand,
                  info(g.op(operand)).name, v, why),
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
            throw_domain(g, st.node, d.slot, 0, x(d.slot), d.reason);
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
          fmt::format("gradflow: check mode: executor: the {} of node '{}' (#{}, {}) is {} in "
                      "sample {}, the first to become non-finite in {}",
                      gradient ? "gradient" : "value", g_->label(st.node), st.node,
                      info(st.op).name, p[s], uniform ? std::string("(all)") : std::to_string(s),
                      gradient ? "the backward pass" : "evaluation order"),
          st.node, gradient, p[s]);
}

void Executor::forward() {
  const Conventions& conv = g_->conventions();
  const bool check = g_->check_finite();
  evaluated_ = false;
  differentiated_ = false;
  cached_sample_ = npos;
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
            m.ug[st.b] += scale * reduce(nb, [&](std::size_t s) {
                            return gy[s] * R::derivative(a[s], b, y[s]).db;
                          });
          } else {
            const double a = m.uv[st.a];
            const double* b = vrow(st.b);
            double* gb = vgrad(st.b);
            for (std::size_t s = 0; s < nb; ++s) gb[s] += gy[s] * R::derivative(a, b[s], y[s]).db;
            m.ug[st.a] += scale * reduce(nb, [&](std::size_t s) {
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
          m.ug[e >> 1] += scale * reduce(nb, [gy](std::size_t s) { return gy[s]; });
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
        m.ug[p[2 * k]] += scale * reduce(nb, [gy, x](std::size_t s) { return gy[s] * x[s]; });
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
  cached_sample_ = npos;
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

// ---- results ------------------------------------------------------------------------------------

double Executor::loss() const {
  if (!evaluated_) throw UsageError("gradflow: Executor: loss() before forward()");
  const Loc& r = loc_[plan_.root];
  const bool mean = options_.reduction == Reduction::mean;
  if (r.storage == Storage::uniform)
    return mean ? uval_[r.index] : uval_[r.index] * static_cast<double>(batch_);
  const double* y = row(r.index);
  double s = 0.0;
  for (std::size_t i = 0; i < batch_; ++i) s += y[i];
  return mean ? s / static_cast<double>(batch_) : s;
}

double Executor::value(Node n, std::size_t s) const {
  loc(n, "value");
  if (s >= batch_)
    throw UsageError(fmt::format("gradflow: Executor: sample {} of a batch of {}", s, batch_));
  return value_at(n.id(), s);
}

double Executor::value_at(NodeId id, std::size_t s) const {
  const Loc& l = loc_[id];
  switch (l.storage) {
    case Storage::varying:
      return row(l.index)[s];
    case Storage::uniform:
      return uval_[l.index];
    case Storage::elided: {  // w × x, recomputed exactly as an unfused run would store it
      const auto ab = g_->operands(id);
      const auto at = [&](NodeId k) {
        const Loc& m = loc_[k];
        return m.storage == Storage::uniform ? uval_[m.index] : row(m.index)[s];
      };
      return rules::Mul::forward(at(ab[0]), at(ab[1]));
    }
    case Storage::none:
      break;
  }
  return 0.0;
}

double Executor::grad(Node n, std::size_t s) const {
  const Loc& l = loc(n, "grad");
  if (s >= batch_)
    throw UsageError(fmt::format("gradflow: Executor: sample {} of a batch of {}", s, batch_));
  if (!differentiated_) return 0.0;
  switch (l.storage) {
    case Storage::varying:
      return grow(l.index)[s];
    case Storage::elided:  // a term of a sum: d(sum)/d(term) = 1
      return grow(loc_[l.index].index)[s];
    case Storage::uniform:
      return sample_cache(s).grad[n.id()];
    case Storage::none:
      break;
  }
  return 0.0;
}

double Executor::grad(Node n) const {
  const Loc& l = loc(n, "grad");
  if (!differentiated_) return 0.0;
  if (l.storage == Storage::uniform) return ugrad_[l.index];
  const double* gr = grow(l.storage == Storage::elided ? loc_[l.index].index : l.index);
  const double s = reduce(batch_, [gr](std::size_t i) { return gr[i]; });
  return options_.reduction == Reduction::mean ? s / static_cast<double>(batch_) : s;
}

void Executor::gradients(std::span<const Node> params, std::span<double> out) const {
  if (out.size() != params.size())
    throw UsageError(fmt::format("gradflow: Executor: {} gradients requested into {} slots",
                                 params.size(), out.size()));
  for (std::size_t i = 0; i < params.size(); ++i) out[i] = grad(params[i]);
}

void Executor::sample_workspace(std::size_t s, Workspace& ws) const {
  if (s >= batch_)
    throw UsageError(fmt::format("gradflow: Executor: sample {} of a batch of {}", s, batch_));
  if (!evaluated_) throw UsageError("gradflow: Executor: sample_workspace() before forward()");
  const Graph& g = *g_;
  ws = Workspace{};
  ws.value = g.workspace().value;
  ws.value.resize(g.size(), 0.0);
  for (const NodeId i : plan_.order) ws.value[i] = value_at(i, s);
  gradflow::backward(g, ws, plan_);
}

const Workspace& Executor::sample_cache(std::size_t s) const {
  if (cached_sample_ != s) {
    sample_workspace(s, cache_);
    cached_sample_ = s;
  }
  return cache_;
}

}  // namespace gradflow
