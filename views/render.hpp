// Rendering DOT text with Graphviz: in memory (render_svg, the DOT text on dot's stdin and the SVG
// read from its stdout; no temporary file, no shell) or file to file (render).
#pragma once

#include <string>
#include <string_view>

namespace gradflow {

/// Whether Graphviz's `dot` program is on the PATH.
bool dot_available();

/// Lays out `dot_text` with a Graphviz engine ("dot", or one of neato, fdp, sfdp, circo, twopi,
/// osage, patchwork) and returns the SVG it writes. The text goes to the program's stdin and the
/// SVG comes back from its stdout, both through pipes. Throws gradflow::Error carrying Graphviz's
/// own error output if it fails, or saying to install the graphviz package if the program is not
/// on the PATH; UsageError for an engine that is not one of Graphviz's.
std::string render_svg(std::string_view dot_text, std::string_view engine = "dot");

/// Renders a DOT file with `dot` into `out_path`, whose extension (.svg, .png or .pdf) selects
/// the format. Returns false if `dot` is not installed; throws gradflow::Error with dot's error
/// output if it fails or a file cannot be read or written, UsageError for an unknown extension.
bool render(const std::string& dot_path, const std::string& out_path);

}  // namespace gradflow
