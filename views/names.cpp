#include <gradflow/views/names.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include <gradflow/ops/ops.hpp>

namespace gradflow {

std::vector<std::string> node_names(const Graph& g) {
  const std::size_t n = g.size();
  // Innermost group of each node: groups are in creation order, parents before children, so a
  // later group overwrites an earlier one.
  std::vector<int> owner(n, -1);
  const auto groups = g.groups();
  for (std::size_t k = 0; k < groups.size(); ++k)
    for (NodeId id = groups[k].begin; id < groups[k].end && id < n; ++id)
      owner[id] = static_cast<int>(k);

  using Counts = std::array<std::uint32_t, op_count>;
  std::map<std::string_view, Counts> total;  // unnamed nodes per (group name, op)
  const auto unnamed_in_group = [&](NodeId id) {
    return g.name(id).empty() && g.kind(id) != NodeKind::constant && owner[id] >= 0 &&
           !groups[owner[id]].name.empty();
  };
  for (NodeId id = 0; id < n; ++id)
    if (unnamed_in_group(id))
      ++total.try_emplace(groups[owner[id]].name, Counts{})
            .first->second[static_cast<std::size_t>(g.op(id))];

  std::map<std::string_view, Counts> seen;
  std::vector<std::string> names(n);
  for (NodeId id = 0; id < n; ++id) {
    const Op op = g.op(id);
    const std::string_view symbol = info(op).symbol;
    if (!g.name(id).empty()) {
      names[id] = std::string(g.name(id));
    } else if (unnamed_in_group(id)) {
      const std::string_view group = groups[owner[id]].name;
      const auto k = static_cast<std::size_t>(op);
      const std::uint32_t index = ++seen.try_emplace(group, Counts{}).first->second[k];
      const std::string_view what = g.kind(id) == NodeKind::op ? symbol : info(op).name;
      names[id] = total[group][k] > 1 ? fmt::format("{} {}{}", group, what, index)
                                      : fmt::format("{} {}", group, what);
    } else if (g.kind(id) == NodeKind::constant) {
      names[id] = fmt::format("{:.4g}", g.value(id));
    } else {
      names[id] = fmt::format("{} #{}", g.kind(id) == NodeKind::op ? symbol : info(op).name, id);
    }
  }
  return names;
}

}  // namespace gradflow
