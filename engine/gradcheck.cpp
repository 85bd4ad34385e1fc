#include <gradflow/engine/gradcheck.hpp>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include <gradflow/graph/evaluate.hpp>
#include <gradflow/graph/plan.hpp>

namespace gradflow {
namespace {

int sign(double v) { return (v > 0.0) - (v < 0.0); }

// Whether some kinked node of the plan sees its operand at 0, or on different sides of 0,
// across the three evaluations.
bool crosses_kink(const Graph& g, const Plan& plan, const Workspace& base, const Workspace& plus,
                  const Workspace& minus) {
  for (NodeId i : plan.order) {
    if (!info(g.op(i)).kink_at_zero) continue;
    const NodeId x = g.operands(i)[0];
    const int s = sign(base.value[x]);
    if (s == 0 || sign(plus.value[x]) != s || sign(minus.value[x]) != s) return true;
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

}  // namespace

GradcheckReport gradcheck(const Graph& g, Node root, std::span<const Node> wrt,
                          const GradcheckOptions& options) {
  std::vector<NodeId> ids;
  ids.reserve(wrt.size());
  for (const Node& n : wrt) {
    g.check(n, "gradcheck");
    ids.push_back(n.id());
  }
  return check(g, make_plan(g, root), ids, options);
}

GradcheckReport gradcheck(const Graph& g, Node root, const GradcheckOptions& options) {
  const Plan plan = make_plan(g, root);
  std::vector<NodeId> leaves;
  for (const NodeId id : plan.order)
    if (g.op(id) == Op::input || g.op(id) == Op::parameter) leaves.push_back(id);
  return check(g, plan, leaves, options);
}

std::string GradcheckReport::summary(const Graph& g) const {
  std::size_t failed = 0, kinks = 0;
  std::string out;
  for (const auto& e : entries) {
    kinks += e.kink;
    if (e.ok) continue;
    ++failed;
    out += fmt::format(
        "  mismatch at '{}' (#{}, {}): reverse mode {:.10g}, finite differences "
        "{:.10g}, |error| {:.3g}\n",
        g.label(e.node), e.node, info(g.op(e.node)).name, e.analytic, e.numeric, e.error);
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
