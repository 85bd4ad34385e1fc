#include <gradflow/views/findings.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace gradflow {
namespace {

// A kind of finding as a Chinese reader names it ("blocked" is a word a program tests).
std::string_view kind_zh(std::string_view kind) {
  static constexpr std::pair<std::string_view, std::string_view> words[] = {
      {"non_finite_value", "非有限值"},
      {"non_finite_gradient", "非有限梯度"},
      {"non_finite_derivative", "非有限导数"},
      {"blocked", "梯度被阻断"},
      {"saturated", "饱和"},
      {"vanishing", "梯度消失"},
      {"depth_decay", "随深度衰减"},
      {"shrinks", "梯度缩小"},
      {"surrogate", "替代梯度"},
      {"exploding", "梯度爆炸"},
      {"dead_relu", "死亡的 ReLU"},
      {"unreached", "到不了根节点"},
      {"ok", "没有问题"}};
  for (const auto& [k, word] : words)
    if (k == kind) return word;
  return kind;
}

}  // namespace

std::vector<Finding> group_findings(const Graph& g, std::span<const Finding> findings,
                                    std::size_t keep, Language lang) {
  const bool zh = lang == Language::zh;
  // The outermost group of every node, by name (a module's groups recorded again share it).
  const auto groups = g.groups();
  std::vector<int> outer(g.size(), -1);
  for (std::size_t k = 0; k < groups.size(); ++k) {
    if (groups[k].parent >= 0) continue;
    for (NodeId id = groups[k].begin; id < groups[k].end && id < g.size(); ++id)
      outer[id] = static_cast<int>(k);
  }
  const auto group_of = [&](const Finding& f) -> std::string_view {
    if (f.nodes.empty() || f.nodes.front() >= g.size() || outer[f.nodes.front()] < 0) return {};
    return groups[static_cast<std::size_t>(outer[f.nodes.front()])].name;
  };
  std::map<std::pair<std::string_view, std::string_view>, std::vector<std::size_t>> buckets;
  for (std::size_t i = 0; i < findings.size(); ++i) {
    const std::string_view group = group_of(findings[i]);
    if (!group.empty()) buckets[{findings[i].kind, group}].push_back(i);
  }
  std::vector<Finding> out;
  std::vector<char> done(findings.size(), 0);
  for (std::size_t i = 0; i < findings.size(); ++i) {
    if (done[i]) continue;
    const std::string_view group = group_of(findings[i]);
    const auto it = group.empty() ? buckets.end() : buckets.find({findings[i].kind, group});
    if (it == buckets.end() || it->second.size() <= keep) {
      out.push_back(findings[i]);
      continue;
    }
    const std::vector<std::size_t>& members = it->second;
    Finding merged{findings[i].severity, findings[i].kind, {}, {}};
    for (const std::size_t m : members) {
      done[m] = 1;
      merged.severity = std::min(merged.severity, findings[m].severity);  // error < warning
      for (const NodeId id : findings[m].nodes)
        if (std::find(merged.nodes.begin(), merged.nodes.end(), id) == merged.nodes.end())
          merged.nodes.push_back(id);
    }
    merged.text =
        zh ? fmt::format("{}：{} 条“{}”，涉及 {} 个节点；最严重的几条：", group, members.size(),
                         kind_zh(findings[i].kind), merged.nodes.size())
           : fmt::format("{}: {} findings of the kind \"{}\", about {} nodes; the worst:", group,
                         members.size(), findings[i].kind, merged.nodes.size());
    for (std::size_t k = 0; k < keep; ++k)
      merged.text += zh ? fmt::format("（{}）{}", k + 1, findings[members[k]].text)
                        : fmt::format(" ({}) {}", k + 1, findings[members[k]].text);
    if (members.size() > keep)
      merged.text += zh ? fmt::format("（另有 {} 条）", members.size() - keep)
                        : fmt::format(" (and {} more)", members.size() - keep);
    out.push_back(std::move(merged));
  }
  return out;
}

}  // namespace gradflow
