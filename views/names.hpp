// The name every view shows for a node: its own name, or one made from the group it was recorded
// in and its op ("L1.u3 ×2", "L1.u3 Σ"), so that no picture labels a node by a bare "#id".
#pragma once

#include <string>
#include <vector>

#include <gradflow/graph/graph.hpp>

namespace gradflow {

/// The shown name of every node, by id. A named node keeps its name. An unnamed node inside a
/// group is "<innermost group's name> <op symbol>", numbered when the group holds several nodes of
/// that op ("h1.1 ×1", "h1.1 ×2"; groups of the same name count together); an unnamed constant is
/// its value ("2"); any other unnamed node is "<op symbol> #id".
std::vector<std::string> node_names(const Graph& g);

}  // namespace gradflow
