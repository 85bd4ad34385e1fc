// The diagnostics' findings summarised per group: a 2-16-16-1 network with zero inputs gave about
// 300 findings, one per node; grouped, it gives a few lines per layer, each naming the worst cases.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include <gradflow/engine/diagnostics.hpp>
#include <gradflow/engine/language.hpp>
#include <gradflow/graph/graph.hpp>

namespace gradflow {

/// `findings` (from explain(), most important first) with those of one kind about nodes of one
/// outermost group (a layer) merged into one finding, when there are more than `keep` of them:
/// its text names the group, how many nodes, and the first `keep` findings' texts (explain()
/// puts the worst first); its nodes are all of theirs, its severity the most severe. Findings
/// about nodes outside groups, and graphs without groups, are kept as they are, in their order.
/// `lang` is the language of the merged findings' summary; pass the one explain() was given.
std::vector<Finding> group_findings(const Graph& g, std::span<const Finding> findings,
                                    std::size_t keep = 2, Language lang = Language::en);

}  // namespace gradflow
