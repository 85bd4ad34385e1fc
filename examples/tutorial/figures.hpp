// Figures of the tutorial that are more than one chart: Graphviz drawings placed side by side
// under captions, as one SVG file a slide can take.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include <gradflow/ops/errors.hpp>
#include <gradflow/views/escape.hpp>

namespace gradflow::tutorial {

namespace detail {
// The number in attribute `name` of the root <svg ...> tag ("123pt" -> 123).
inline double svg_attribute(std::string_view svg, std::string_view name) {
  const auto tag = svg.find("<svg");
  const auto at = svg.find(fmt::format(" {}=\"", name), tag);
  if (tag == std::string_view::npos || at == std::string_view::npos)
    throw Error(fmt::format("gradflow: an SVG drawing without a {} attribute", name));
  return std::stod(std::string(svg.substr(at + name.size() + 3, 16)));
}
}  // namespace detail

/// Graphviz SVG drawings side by side, each under its caption, with a title above: one SVG.
/// Sizes are Graphviz's points; the drawings are nested <svg> elements, not re-rendered.
inline std::string side_by_side(const std::vector<std::string>& drawings,
                                const std::vector<std::string>& captions, std::string_view title) {
  constexpr double gap = 24, top = 64, caption_y = 54;
  double width = gap, height = 0;
  for (const auto& d : drawings) {
    width += detail::svg_attribute(d, "width") + gap;
    height = std::max(height, detail::svg_attribute(d, "height"));
  }
  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0:.0f}pt\" height=\"{1:.0f}pt\" "
      "viewBox=\"0 0 {0:.0f} {1:.0f}\" font-family=\"DejaVu Sans, Noto Sans CJK SC, sans-serif\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{2:.0f}\" y=\"26\" text-anchor=\"middle\" font-size=\"20\" "
      "font-weight=\"bold\">{3}</text>\n",
      width, height + top + 8, width / 2, xml_escape(title));
  double x = gap;
  for (std::size_t i = 0; i < drawings.size(); ++i) {
    const std::string& d = drawings[i];
    const double w = detail::svg_attribute(d, "width"), h = detail::svg_attribute(d, "height");
    out += fmt::format(
        "<text x=\"{:.0f}\" y=\"{:.0f}\" text-anchor=\"middle\" font-size=\"16\" "
        "font-weight=\"bold\" fill=\"#1f2937\">{}</text>\n",
        x + w / 2, caption_y, i < captions.size() ? xml_escape(captions[i]) : std::string());
    // The drawing's own root element, placed at (x, top) with its size in user units.
    std::string inner(d.substr(d.find("<svg")));
    const auto close = inner.find('>');
    std::string tag = inner.substr(0, close);
    for (const char* attr : {" width=\"", " height=\""}) {
      const auto a = tag.find(attr);
      const auto e = tag.find('"', a + std::string_view(attr).size());
      tag.erase(a, e + 1 - a);
    }
    out += fmt::format("{} x=\"{:.0f}\" y=\"{:.0f}\" width=\"{:.0f}\" height=\"{:.0f}\"{}\n", tag,
                       x, top, w, h, inner.substr(close));
    x += w + gap;
  }
  out += "</svg>\n";
  return out;
}

}  // namespace gradflow::tutorial
