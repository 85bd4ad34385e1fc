#include <gradflow/engine/gradcheck.hpp>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include <gradflow/graph/evaluate.hpp>
#include <gradflow/graph/gradients.hpp>
#include <gradflow/graph/plan.hpp>
#include <gradflow/ops/errors.hpp>

namespace gradflow {
namespace {

int sign(double v) { return (v > 0.0) - (v < 0.0); }

// Whether some kinked node of the plan sees its operand at 0, or on different sides of 0,
// across the three evaluations.
bool crosses_kink(const Graph& g, const Plan& plan, const Workspace& base, const Workspace& plus,
                  const Workspace& minus) {
  for (NodeId i : plan.order) {
    if (!info(g.op(i)).kink_at_zero) continue;
    const auto ops = g.operands(i);
    const auto at = [&](const Workspace& w) {
      return sign(kink_coordinate(g.op(i), [&](std::size_t k) { return w.value[ops[k]]; }));
    };
    const int s = at(base);
    if (s == 0 || at(plus) != s || at(minus) != s) return true;
  }
  return false;
}

// The check itself, on node ids (both overloads call it; a const graph hands out no handles).
GradcheckReport check(const Graph& g, const Plan& plan, std::span<const NodeId> wrt,
                      const GradcheckOptions& options) {
  const NodeId root = plan.root;
  Workspace base = g.workspace();
  forward(g, base, plan);
  backward(g, base, plan);
  Workspace plus = base, minus = base;

  GradcheckReport report;
  double worst_excess = 0.0;
  for (const NodeId id : wrt) {
    const double x = base.value[id];
    const double h = options.eps * std::max(1.0, std::abs(x));
    plus.value = base.value;
    minus.value = base.value;
    plus.value[id] = x + h;
    minus.value[id] = x - h;
    forward(g, plus, plan);
    forward(g, minus, plan);
    GradcheckEntry e{};
    e.node = id;
    e.analytic = base.reached[id] ? base.grad[id] : 0.0;
    e.numeric = (plus.value[root] - minus.value[root]) / (2.0 * h);
    e.error = std::abs(e.analytic - e.numeric);
    e.kink = crosses_kink(g, plan, base, plus, minus);
    const double tolerance = options.atol + options.rtol * std::abs(e.numeric);
    e.ok = e.error <= tolerance || (e.kink && options.skip_kinks);
    // NaN in either value is a mismatch, never silently ok.
    if (std::isnan(e.error)) e.ok = e.kink && options.skip_kinks;
    if (!e.ok) {
      report.ok = false;
      const double excess = std::isnan(e.error) ? INFINITY : e.error - tolerance;
      if (report.worst == GradcheckReport::npos || excess > worst_excess) {
        worst_excess = excess;
        report.worst = report.entries.size();
      }
    }
    report.entries.push_back(e);
  }
  return report;
}

// Order 2: each first derivative, recorded by gradients() in a clone, checked as a root.
GradcheckReport check_second(const Graph& g, NodeId root, std::span<const NodeId> wrt,
                             const GradcheckOptions& options) {
  Graph c = g.clone();
  std::vector<Node> nodes;
  nodes.reserve(wrt.size());
  for (const NodeId id : wrt) nodes.push_back(c.node(id));
  const std::vector<Node> first = gradients(c.node(root), nodes);
  GradcheckReport report;
  for (std::size_t i = 0; i < first.size(); ++i) {
    GradcheckReport r = check(c, make_plan(c, first[i].id()), wrt, options);
    if (!r.ok) {
      const auto excess = [&](const GradcheckEntry& e) {
        return std::isnan(e.error) ? INFINITY
                                   : e.error - (options.atol + options.rtol * std::abs(e.numeric));
      };
      if (report.worst == GradcheckReport::npos ||
          excess(r.entries[r.worst]) > excess(report.entries[report.worst]))
        report.worst = report.entries.size() + r.worst;
      report.ok = false;
    }
    for (GradcheckEntry& e : r.entries) {
      e.first = wrt[i];
      report.entries.push_back(e);
    }
  }
  return report;
}

GradcheckReport run(const Graph& g, const Plan& plan, std::span<const NodeId> wrt,
                    const GradcheckOptions& options) {
  if (options.order == 1) return check(g, plan, wrt, options);
  if (options.order == 2) return check_second(g, plan.root, wrt, options);
  throw UsageError(fmt::format(
      "gradflow: gradcheck: GradcheckOptions::order = {}; it checks order 1 or 2", options.order));
}

}  // namespace

GradcheckReport gradcheck(const Graph& g, Node root, std::span<const Node> wrt,
                          const GradcheckOptions& options) {
  std::vector<NodeId> ids;
  ids.reserve(wrt.size());
  for (const Node& n : wrt) {
    g.check(n, "gradcheck");
    ids.push_back(n.id());
  }
  g.check(root, "gradcheck");
  return run(g, make_plan(g, root), ids, options);
}

GradcheckReport gradcheck(const Graph& g, Node root, const GradcheckOptions& options) {
  g.check(root, "gradcheck");
  const Plan plan = make_plan(g, root);
  std::vector<NodeId> leaves;
  for (const NodeId id : plan.order)
    if (g.op(id) == Op::input || g.op(id) == Op::parameter) leaves.push_back(id);
  return run(g, plan, leaves, options);
}

std::string GradcheckReport::summary(const Graph& g) const {
  std::size_t failed = 0, kinks = 0;
  std::string out;
  for (const auto& e : entries) {
    kinks += e.kink;
    if (e.ok) continue;
    ++failed;
    const std::string second = e.first == no_node || e.first >= g.size()
                                   ? std::string()
                                   : fmt::format(" and '{}'", g.label(e.first));
    out += fmt::format(
        "  mismatch at '{}' (#{}, {}){}: reverse mode {:.10g}, finite differences "
        "{:.10g}, |error| {:.3g}\n",
        g.label(e.node), e.node, info(g.op(e.node)).name, second, e.analytic, e.numeric, e.error);
  }
  std::string head = fmt::format("gradcheck: {} gradient(s) checked, {} mismatch(es), {} at a kink",
                                 entries.size(), failed, kinks);
  if (worst != npos) {
    const auto& w = entries[worst];
    head += fmt::format("; worst: '{}' (#{})", g.label(w.node), w.node);
  }
  return head + "\n" + out;
}

}  // namespace gradflow
