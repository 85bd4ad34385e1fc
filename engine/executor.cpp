// The batched executor: compilation of a plan into steps, inputs and results; the kernels are in
// executor_kernels.cpp. See executor.hpp.
#include <gradflow/engine/executor.hpp>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#ifndef GRADFLOW_NO_THREADS  // defined for the WebAssembly lab, which runs on one thread
#include <tbb/info.h>
#endif

#include <gradflow/graph/evaluate.hpp>
#include <gradflow/ops/errors.hpp>

namespace gradflow {
namespace {

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

// The tiling depends on the graph and the batch only (never on the thread count), so that the
// order of every reduction, and with it every bit of the results, is the same for any thread
// count.
void Executor::choose_tiles(std::size_t varying_nodes) {
  std::size_t tile = options_.tile;
  if (tile == 0) {
    // Values and gradients of the varying nodes (counted unfused, so that fused and unfused runs
    // tile alike): about 256 KiB per tile stays in any L2 cache.
    constexpr std::size_t budget = std::size_t{256} * 1024;
    const std::size_t per_sample = 16 * std::max<std::size_t>(varying_nodes, 1);
    const std::size_t most = std::max<std::size_t>(8, budget / per_sample / 8 * 8);
    std::size_t n = (batch_ + most - 1) / most;
    if (n > 1) n = (n + 3) / 4 * 4;  // a multiple of 4 tiles: 1, 2 and 4 threads share evenly
    tile = (batch_ + n - 1) / n;
    tile = tile > 8 ? (tile + 7) / 8 * 8 : tile;
  }
  tile_ = std::min(tile, batch_);
  ntiles_ = (batch_ + tile_ - 1) / tile_;
#ifdef GRADFLOW_NO_THREADS
  const std::size_t cores = 1;
#else
  const std::size_t cores = static_cast<std::size_t>(std::max(1, tbb::info::default_concurrency()));
#endif
  // oneTBB starts at most one thread per core (more would only wait for each other).
  threads_ = options_.threads == 0 ? cores : std::min(options_.threads, cores);
  if (threads_ > 1 && ntiles_ > 1) pool_ = make_pool(std::min(threads_, ntiles_));
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
  std::size_t terms = 0;  // muls a fused run does not store
  for (const NodeId i : plan_.order) {
    if (g.op(i) != Op::sum || varying[i] == 0) continue;
    const auto ts = g.operands(i);
    if (!std::all_of(ts.begin(), ts.end(), is_term)) continue;
    terms += ts.size();
    if (!options_.fuse) continue;
    dot[i] = 1;
    ++fused_sums_;
    for (const NodeId m : ts) loc_[m] = Loc{i, Storage::elided};
  }
  // A varying affine node is one stored node where its primitive form bias(sum(w_k x_k), b)
  // stores the bias, the sum if it varies, and the varying muls unless the sum runs fused.
  std::size_t primitive = 0;  // nodes the primitive forms of the affine nodes store, beyond one
  for (const NodeId i : plan_.order) {
    if (g.op(i) != Op::affine || varying[i] == 0) continue;
    const auto ops = g.operands(i);
    std::size_t muls = 0;  // varying products
    bool fusable = true;   // every product a uniform and a varying operand
    for (std::size_t k = 0; k + 1 < ops.size(); k += 2) {
      const bool vw = varying[ops[k]] != 0, vx = varying[ops[k + 1]] != 0;
      muls += vw || vx ? 1 : 0;
      fusable = fusable && vw != vx;
    }
    if (muls > 0) primitive += fusable ? 1 : 1 + muls;  // the sum (and its muls)
  }
  // Tiles sized by what a fused run of the primitive form stores, for fused and unfused runs and
  // affine nodes alike (the same tiling, so the same bits).
  choose_tiles(static_cast<std::size_t>(std::count(varying.begin(), varying.end(), 1)) - terms +
               primitive);

  std::uint32_t nv = 0, nu = 0;
  for (const NodeId i : plan_.order) {
    if (loc_[i].storage == Storage::elided) continue;
    loc_[i] = varying[i] != 0 ? Loc{nv++, Storage::varying} : Loc{nu++, Storage::uniform};
  }
  nv_ = nv;
  block_ = std::size_t{nv} * tile_;
  // Every sample's values and gradients: kept up to 1 MiB. Past that, streaming them through
  // memory at each run costs more than the recomputation of a tile read back (measured on the
  // moons step, one thread: batch 1,000, 1.7 MiB, 233 -> 206 us; batch 10,000, 17 MiB, 4.2 ->
  // 2.2 ms; see keeps_samples()).
  const std::size_t bytes = 2 * block_ * ntiles_ * sizeof(double);
  keep_ = options_.samples == SampleStorage::keep ||
          (options_.samples == SampleStorage::automatic && bytes <= (std::size_t{1} << 20));
  workers_ = pool_ ? std::min(threads_, ntiles_) : 1;
  const std::size_t blocks = keep_ ? ntiles_ : workers_;
  vval_.assign(block_ * blocks, 0.0);
  vgrad_.assign(block_ * blocks, 0.0);
  uval_.assign(nu, 0.0);
  ugrad_.assign(nu, 0.0);
  tile_ug_.assign((ntiles_ - 1) * nu, 0.0);

  const auto slot = [&](NodeId k) { return loc_[k].index; };
  const auto uni = [&](NodeId k) { return loc_[k].storage == Storage::uniform; };
  for (const NodeId i : plan_.order) {
    const Loc& l = loc_[i];
    if (l.storage == Storage::elided) continue;
    Step st{Kind::scalar, g.op(i), 0, i, l.index, 0, 0, g.attr(i)};
    const auto ops = g.operands(i);
    const bool vary = l.storage == Storage::varying;
    if (ops.empty()) {
      if (vary) {  // an input: every sample starts with the graph's value
        inputs_.push_back({l.index, static_cast<std::uint32_t>(inputs_.size())});
        in_rows_.resize(in_rows_.size() + batch_, g.value(i));
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
    } else if (g.op(i) == Op::affine) {
      // The fast kernel when every pair is a uniform and a varying operand (either way round:
      // the product and the edges are symmetric) and the bias is uniform.
      bool pairs = uni(ops.back());
      for (std::size_t k = 0; k + 1 < ops.size(); k += 2)
        pairs = pairs && uni(ops[k]) != uni(ops[k + 1]);
      st.kind = !vary ? Kind::scalar : (pairs ? Kind::affine_dot : Kind::affine);
      st.a = static_cast<std::uint32_t>(terms_.size());
      st.b = static_cast<std::uint32_t>(ops.size());
      if (st.kind == Kind::affine_dot) {
        for (std::size_t k = 0; k + 1 < ops.size(); k += 2) {
          const bool w_first = uni(ops[k]);
          terms_.push_back(slot(ops[w_first ? k : k + 1]));
          terms_.push_back(slot(ops[w_first ? k + 1 : k]));
        }
        terms_.push_back(slot(ops.back()));
      } else {
        for (const NodeId k : ops) terms_.push_back(encode(slot(k), uni(k)));
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
    (st.kind == Kind::leaf_uniform || st.kind == Kind::scalar ? usteps_ : vsteps_).push_back(st);
    if (st.kind == Kind::leaf_uniform)
      uleaves_.push_back({st.out, i});
    else if (st.kind == Kind::scalar)
      uops_.push_back(st);
  }
  plan_first_writes();
  // Values and gradients of every tile past 2 MiB (measured on the moons step: batch 1000, 1.7
  // MiB, is faster without the zeroing; batch 10000, 17 MiB, 15% faster with it). A scratch
  // block stays in cache: only the rows no edge stores are zeroed.
  zero_all_ = keep_ && bytes > (std::size_t{2} << 20);
  if (!keep_) {
    snap_rows_.assign(in_rows_.size(), 0.0);
    if (loc_[plan_.root].storage == Storage::varying) roots_.assign(batch_, 0.0);
    rv_.assign(block_, 0.0);
    rg_.assign(block_, 0.0);
    rug_.assign(nu, 0.0);
  }
  if (options_.fuse) fuse_neurons(uses);
}

// A neuron's chain, dot -> bias -> activation (or affine_dot -> activation), becomes one step
// when each link is read only by the next, so that no other step runs between them and each
// link's gradient row is written only by the next (the first write, which stores), and when the
// activation has no domain to check. The parts keep their slots: every node is still stored.
void Executor::fuse_neurons(const std::vector<std::uint32_t>& uses) {
  const auto activation = [&](const Step& st, const Step& from) {
    if (st.kind != Kind::unary || st.a != from.out || uses[from.node] != 1 || (st.first & 1) == 0)
      return false;
    bool plain = false;  // arity 1, no domain
    with_rule(st.op, [&](auto rule) {
      using R = decltype(rule);
      if constexpr (R::info.arity == 1) plain = !requires {
          R::domain(0.0, 0.0);
        };
    });
    return plain;
  };
  std::vector<Step> out;
  out.reserve(vsteps_.size());
  for (std::size_t i = 0; i < vsteps_.size(); ++i) {
    const Step& a = vsteps_[i];
    std::size_t n = 0;  // steps fused
    if (a.kind == Kind::affine_dot && i + 1 < vsteps_.size() && activation(vsteps_[i + 1], a)) {
      n = 2;
    } else if (a.kind == Kind::dot && i + 2 < vsteps_.size()) {
      const Step& b = vsteps_[i + 1];
      if (b.kind == Kind::binary_vu && (b.op == Op::bias || b.op == Op::add) && b.a == a.out &&
          uses[a.node] == 1 && (b.first & 1) != 0 && activation(vsteps_[i + 2], b))
        n = 3;
    }
    if (n == 0) {
      out.push_back(a);
      continue;
    }
    const Step& act = vsteps_[i + n - 1];
    out.push_back({Kind::neuron, act.op, 0, act.node, act.out,
                   static_cast<std::uint32_t>(parts_.size()), static_cast<std::uint32_t>(n),
                   act.attr});
    parts_.insert(parts_.end(), vsteps_.begin() + static_cast<std::ptrdiff_t>(i),
                  vsteps_.begin() + static_cast<std::ptrdiff_t>(i + n));
    i += n - 1;
    ++fused_neurons_;
  }
  vsteps_ = std::move(out);
}

// Which backward edge writes a varying gradient row first. Walks the varying steps in backward
// order, and each step's edges in the order its kernel writes them: the first write to a row
// stores (gy·d, the bits of 0 + gy·d but for the sign of a zero), so that only the rows no edge
// writes, or that an adding edge writes first, are zeroed before the sweep.
void Executor::plan_first_writes() {
  std::vector<std::uint8_t> written(nv_, 0);
  const Loc& r = loc_[plan_.root];
  if (r.storage == Storage::varying) written[r.index] = 1;  // set to 1 before the sweep
  first_.assign(terms_.size(), 0);
  zero_rows_.clear();
  // The edge to varying row `slot`: whether it is the first write (and it stores).
  const auto write = [&](std::uint32_t slot, bool stores) {
    if (written[slot] != 0) return false;
    written[slot] = 1;
    if (!stores) zero_rows_.push_back(slot);
    return stores;
  };
  for (auto it = vsteps_.rbegin(); it != vsteps_.rend(); ++it) {
    Step& st = *it;
    switch (st.kind) {
      case Kind::unary:
      case Kind::binary_vu:
        st.first = write(st.a, true) ? 1 : 0;
        break;
      case Kind::binary_uv:
        st.first = write(st.b, true) ? 2 : 0;
        break;
      case Kind::binary_vv:
        st.first =
            static_cast<std::uint8_t>((write(st.a, true) ? 1 : 0) | (write(st.b, true) ? 2 : 0));
        break;
      case Kind::sum:
        for (std::uint32_t t = st.a; t < st.a + st.b; ++t)
          if ((terms_[t] & 1u) == 0) first_[t] = write(terms_[t] >> 1, true) ? 1 : 0;
        break;
      case Kind::dot:  // terms in reverse order
        for (std::uint32_t k = st.b; k-- > 0;) {
          const std::uint32_t t = st.a + 2 * k + 1;
          first_[t] = write(terms_[t], true) ? 1 : 0;
        }
        break;
      case Kind::affine_dot:  // pairs in slot order
        for (std::uint32_t k = 0; k < st.b / 2; ++k) {
          const std::uint32_t t = st.a + 2 * k + 1;
          first_[t] = write(terms_[t], true) ? 1 : 0;
        }
        break;
      case Kind::affine:
        for (std::uint32_t t = st.a; t < st.a + st.b; ++t)
          if ((terms_[t] & 1u) == 0) write(terms_[t] >> 1, false);
        break;
      case Kind::leaf_uniform:
      case Kind::scalar:
      case Kind::neuron:  // made afterwards
        break;
    }
  }
  for (std::uint32_t k = 0; k < nv_; ++k)
    if (written[k] == 0) zero_rows_.push_back(k);
}

bool Executor::varies(Node n) const {
  const Loc& l = loc(n, "varies");
  return l.storage != Storage::uniform;
}

const Executor::Loc& Executor::loc(Node n, const char* what) const {
  g_->check(n, what);
  if (n.id() >= loc_.size() || loc_[n.id()].storage == Storage::none)
    throw UsageError(
        fmt::format("gradflow: Executor: {}: node {} is not in the cone of the root {}", what,
                    g_->describe(n.id()), g_->describe(root_.id())));
  return loc_[n.id()];
}

// ---- inputs -------------------------------------------------------------------------------------

std::span<double> Executor::input(Node n) {
  const Loc& l = loc(n, "input");
  if (g_->op(n.id()) != Op::input)
    throw UsageError(
        fmt::format("gradflow: Executor: node {} is not an input", g_->describe(n.id())));
  cached_sample_ = no_sample;
  for (const InputRow& r : inputs_)
    if (r.slot == l.index) return {in_rows_.data() + std::size_t{r.row} * batch_, batch_};
  return {};
}

void Executor::set_input(Node n, std::span<const double> values) {
  const auto dst = input(n);
  if (values.size() != batch_)
    throw UsageError(
        fmt::format("gradflow: Executor: input '{}' needs {} values (the batch), got {}",
                    g_->label(n.id()), batch_, values.size()));
  std::copy(values.begin(), values.end(), dst.begin());
}

// ---- results ------------------------------------------------------------------------------------

double Executor::loss() const {
  if (!evaluated_) throw UsageError("gradflow: Executor: loss() before forward()");
  const Loc& r = loc_[plan_.root];
  const bool mean = options_.reduction == Reduction::mean;
  if (r.storage == Storage::uniform)
    return mean ? uval_[r.index] : uval_[r.index] * static_cast<double>(batch_);
  double s = 0.0;  // sample by sample, tile by tile: sample order
  if (!keep_) {
    for (const double v : roots_) s += v;
    return mean ? s / static_cast<double>(batch_) : s;
  }
  for (std::size_t t = 0; t < ntiles_; ++t) {
    const double* row = vval_.data() + t * block_ + std::size_t{r.index} * tile_;
    const std::size_t n = std::min(tile_, batch_ - t * tile_);
    for (std::size_t i = 0; i < n; ++i) s += row[i];
  }
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
  if (!keep_ && !evaluated_ && l.storage != Storage::uniform)
    throw UsageError(fmt::format(
        "gradflow: Executor: value of node {} before a forward pass (this executor does not keep "
        "samples: it recomputes them from the last one)",
        g_->describe(id)));
  switch (l.storage) {
    case Storage::varying:
      return vnum(l.index, s, false);
    case Storage::uniform:
      return uval_[l.index];
    case Storage::elided: {  // w × x, recomputed exactly as an unfused run would store it
      const auto ab = g_->operands(id);
      const auto x = [&](NodeId k) {
        const Loc& m = loc_[k];
        return m.storage == Storage::uniform ? uval_[m.index] : vnum(m.index, s, false);
      };
      return rules::Mul::forward(x(ab[0]), x(ab[1]));
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
      return vnum(l.index, s, true);
    case Storage::elided:  // a term of a sum: d(sum)/d(term) = 1
      return vnum(loc_[l.index].index, s, true);
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
  const std::uint32_t slot = l.storage == Storage::elided ? loc_[l.index].index : l.index;
  double s = 0.0;
  if (keep_) {
    s = detail::batch_reduce(batch_, [&](std::size_t i) { return vgrad_[at(slot, i)]; });
  } else {
    if (!summed_) {
      // Every tile recomputed once, in order, every varying row reduced as batch_reduce adds it
      // (sample s into partial sum s % 4, the samples past the last group of four into the
      // first, added pairwise at the end).
      std::vector<double> acc(4 * std::size_t{nv_}, 0.0);
      const std::size_t n4 = batch_ / 4 * 4;
      for (std::size_t t = 0; t < ntiles_; ++t) {
        recompute(t);
        const std::size_t s0 = t * tile_, nb = std::min(tile_, batch_ - s0);
        for (std::size_t k = 0; k < nv_; ++k) {
          const double* row = rg_.data() + k * tile_;
          double* a = acc.data() + 4 * k;
          for (std::size_t i = 0; i < nb; ++i) a[s0 + i < n4 ? (s0 + i) % 4 : 0] += row[i];
        }
      }
      vsum_.assign(nv_, 0.0);
      for (std::size_t k = 0; k < nv_; ++k) {
        const double* a = acc.data() + 4 * k;
        vsum_[k] = (a[0] + a[1]) + (a[2] + a[3]);
      }
      if (batch_ == 1)  // batch_reduce returns the one term itself
        for (std::size_t k = 0; k < nv_; ++k) vsum_[k] = rg_[k * tile_];
      summed_ = true;
    }
    s = vsum_[slot];
  }
  return options_.reduction == Reduction::mean ? s / static_cast<double>(batch_) : s;
}

double Executor::vnum(std::uint32_t slot, std::size_t s, bool gradient) const {
  if (keep_) return (gradient ? vgrad_ : vval_)[at(slot, s)];
  recompute(s / tile_);
  return (gradient ? rg_ : rv_)[std::size_t{slot} * tile_ + s % tile_];
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
