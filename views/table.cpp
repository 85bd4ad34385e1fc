#include <gradflow/views/table.hpp>

#include <algorithm>

#include <fmt/format.h>

#include <gradflow/ops/errors.hpp>

namespace gradflow {

std::vector<NodeRecord> backward_records(const Graph& g) {
  if (!g.has_gradients())
    throw UsageError("gradflow: no backward pass has run on this graph yet: call backward(root)");
  std::vector<NodeRecord> out;
  for (NodeId i = g.gradient_root() + 1; i-- > 0;) {
    if (!g.reached(i)) continue;
    NodeRecord r{i, g.grad(i), {}};
    const auto ops = g.operands(i);
    r.edges.reserve(ops.size());
    for (std::size_t k = 0; k < ops.size(); ++k)
      r.edges.push_back({ops[k], g.local_derivative(i, k), g.contribution(i, k)});
    out.push_back(std::move(r));
  }
  return out;
}

std::string backward_table(const Graph& g, int digits) {
  const auto records = backward_records(g);
  const auto num = [digits](double v) {
    return fmt::format("{:.{}g}", v == 0.0 ? 0.0 : v, digits);
  };
  std::size_t w = 4;  // width of the name columns
  for (const auto& r : records) {
    w = std::max(w, g.label(r.node).size());
    for (const auto& e : r.edges) w = std::max(w, g.label(e.operand).size());
  }
  w = std::min<std::size_t>(w, 24);
  const std::size_t nw = static_cast<std::size_t>(digits) + 7;
  std::string out =
      fmt::format("{:<{}}  {:<10} {:>{}} {:>{}}  | {:<{}}  {:>{}} {:>{}}\n", "node", w, "op",
                  "value", nw, "grad in", nw, "operand", w, "local d", nw, "contribution", nw);
  out += std::string(out.size() - 1, '-') + "\n";
  for (const auto& r : records) {
    const std::string head =
        fmt::format("{:<{}}  {:<10} {:>{}} {:>{}}  |", g.label(r.node), w, info(g.op(r.node)).name,
                    num(g.value(r.node)), nw, num(r.upstream), nw);
    if (r.edges.empty()) {
      out += head + " (" + std::string(info(g.op(r.node)).name) + ": gradient " + num(r.upstream) +
             ")\n";
      continue;
    }
    for (std::size_t k = 0; k < r.edges.size(); ++k) {
      const auto& e = r.edges[k];
      out += k == 0 ? head : fmt::format("{:<{}}|", "", head.size() - 1);
      out +=
          fmt::format(" {:<{}}  {:>{}} {:>{}}{}\n", g.label(e.operand), w, num(e.local_derivative),
                      nw, num(e.contribution), nw, e.local_derivative == 0.0 ? "  blocked" : "");
    }
  }
  return out;
}

}  // namespace gradflow
