#include <gradflow/views/chart.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string_view>

#include <fmt/format.h>

#include <gradflow/ops/errors.hpp>
#include <gradflow/views/look.hpp>

namespace gradflow::plot {
namespace {

std::string_view colour(std::size_t i) { return look::series[i % look::series.size()]; }

// The colour of series k: its own, or the next of look::series among those without one.
std::string series_colour(const std::vector<Series>& all, std::size_t k) {
  if (!all[k].colour.empty()) return all[k].colour;
  std::size_t n = 0;
  for (std::size_t i = 0; i < k; ++i) n += all[i].colour.empty();
  return std::string(colour(n));
}

std::string_view dash_of(Stroke s) {
  switch (s) {
    case Stroke::dashed:
      return " stroke-dasharray=\"7 5\"";
    case Stroke::dotted:
      return " stroke-dasharray=\"2 3\"";
    default:
      return "";
  }
}

// The largest font size <= size at which text fits in max_width (but not below 8).
double fit(std::string_view text, double size, double max_width, bool bold = false) {
  const double w = text_width(text, size, bold);
  return w <= max_width ? size : std::max(8.0, std::floor(size * max_width / w * 10) / 10);
}

constexpr const char* kFonts = "DejaVu Sans, Noto Sans CJK SC, Noto Sans CJK, sans-serif";

double nice_step(double span, int target) {
  const double raw = span / std::max(1, target);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double r = raw / mag;
  return (r < 1.5 ? 1.0 : r < 3.0 ? 2.0 : r < 7.0 ? 5.0 : 10.0) * mag;
}

// Data range of one axis over finite values (positive ones on a log axis).
struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void add(double v, bool log_axis) {
    if (!std::isfinite(v) || (log_axis && v <= 0.0)) return;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  bool empty() const { return lo > hi; }
};

// One axis: data range (padded by 4% so no line lies on the frame), its ticks, and the pixel
// interval. On a log axis with a zero row, 0 is drawn `zero_gap` pixels beyond the lowest decade.
struct Axis {
  bool log = false;
  double lo = 0, hi = 1;
  std::vector<double> ticks;
  double p0 = 0, p1 = 1;  // pixel positions of lo and hi
  double zero_pixel = std::numeric_limits<double>::quiet_NaN();

  Axis(Range r, bool log_axis, double pixel_lo, double pixel_hi, bool integer = false,
       bool zero_row = false)
      : log(log_axis) {
    p0 = pixel_lo;
    p1 = pixel_hi;
    if (r.empty()) r = log ? Range{1.0, 10.0} : Range{0.0, 1.0};
    if (log) {
      lo = std::pow(10.0, std::floor(std::log10(r.lo)));
      hi = std::pow(10.0, std::ceil(std::log10(r.hi)));
      if (hi <= lo) lo = hi / 10.0;  // one value: the decade below it
      ticks = log_ticks(lo, hi);
      // Pad by 4% of the decades so that no line lies on the frame; the ticks stay.
      const double pad = std::pow(10.0, 0.04 * std::log10(hi / lo));
      lo /= pad;
      hi *= pad;
      if (zero_row) {
        zero_pixel = p0 + (p0 < p1 ? 8.0 : -8.0);
        p0 += p0 < p1 ? 34.0 : -34.0;
      }
    } else {
      if (r.hi == r.lo) {
        const double pad = r.lo == 0.0 ? 1.0 : std::abs(r.lo) * 0.5;
        r.lo -= pad;
        r.hi += pad;
      }
      const double pad = 0.04 * (r.hi - r.lo);
      lo = r.lo - pad;
      hi = r.hi + pad;
      const double step = nice_step(hi - lo, 6);
      if (integer && step < 1.0) {
        for (auto k = static_cast<long long>(std::ceil(lo)); k <= static_cast<long long>(hi); ++k)
          ticks.push_back(static_cast<double>(k));
      } else {
        for (double t : linear_ticks(lo, hi))
          if (t >= lo - 1e-9 * (hi - lo) && t <= hi + 1e-9 * (hi - lo)) ticks.push_back(t);
      }
    }
  }
  double operator()(double v) const {
    if (log && v <= 0.0 && std::isfinite(zero_pixel)) return zero_pixel;
    const double t = log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo))
                         : (v - lo) / (hi - lo);
    return p0 + t * (p1 - p0);
  }
  bool shows(double v) const {
    return std::isfinite(v) && (!log || v > 0.0 || (v == 0.0 && std::isfinite(zero_pixel)));
  }
};

std::string pale(std::string_view hex) {
  // Mixes the colour with 80% white; hex is "#rrggbb".
  const auto channel = [&](std::size_t at) {
    const int v = std::stoi(std::string(hex.substr(at, 2)), nullptr, 16);
    return static_cast<int>(std::lround(v * 0.2 + 255 * 0.8));
  };
  return fmt::format("#{:02x}{:02x}{:02x}", channel(1), channel(3), channel(5));
}

struct Frame {
  double left, top, right, bottom;  // plot area in pixels
};

// Background, title, bands, grid, guides, ticks, tick labels and axis labels.
void draw_axes(std::string& svg, std::string& labels, const ChartOptions& o, const Frame& f,
               const Axis& x, const Axis& y) {
  svg += fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" font-family=\"{2}\" font-size=\"12\">\n"
      "<rect width=\"{0}\" height=\"{1}\" fill=\"white\"/>\n",
      o.width, o.height, kFonts);
  if (!o.title.empty())
    svg += fmt::format(
        "<text class=\"title\" x=\"{:.1f}\" y=\"22\" text-anchor=\"middle\" font-size=\"{:g}\" "
        "font-weight=\"bold\">{}</text>\n",
        o.width / 2.0, fit(o.title, 15, o.width - 20.0, true), xml_escape(o.title));
  const auto clamp_y = [&](double v) {
    return std::clamp(v, std::min(f.top, f.bottom), std::max(f.top, f.bottom));
  };
  for (const Band& b : o.bands) {
    const double y0 = clamp_y(y(std::max(b.y0, b.y1))), y1 = clamp_y(y(std::min(b.y0, b.y1)));
    if (y1 - y0 < 1) continue;
    svg += fmt::format(
        "<rect class=\"band\" x=\"{:.2f}\" y=\"{:.2f}\" width=\"{:.2f}\" height=\"{:.2f}\" "
        "fill=\"{}\"/>\n",
        f.left, y0, f.right - f.left, y1 - y0, pale(b.colour));
    if (b.label.empty()) continue;
    // The caption in the middle of the strip's left end, on white, under the data.
    const double size = fit(b.label, 12, f.right - f.left - 16, true);
    const double w = text_width(b.label, size, true), ty = (y0 + y1) / 2 + size / 2 - 1;
    labels += fmt::format(
        "<rect x=\"{:.2f}\" y=\"{:.2f}\" width=\"{:.2f}\" height=\"{:.2f}\" fill=\"white\" "
        "fill-opacity=\"0.85\"/><text class=\"band\" x=\"{:.2f}\" y=\"{:.2f}\" fill=\"{}\" "
        "font-size=\"{:g}\" font-weight=\"bold\">{}</text>\n",
        f.left + 6, ty - size - 1, w + 8, size + 6, f.left + 10, ty, b.colour, size,
        xml_escape(b.label));
  }
  svg += "<g stroke=\"#e4e4e4\" stroke-width=\"1\">\n";
  for (double t : x.ticks)
    svg += fmt::format("<line x1=\"{0:.2f}\" y1=\"{1:.2f}\" x2=\"{0:.2f}\" y2=\"{2:.2f}\"/>\n",
                       x(t), f.top, f.bottom);
  for (double t : y.ticks)
    svg += fmt::format("<line x1=\"{1:.2f}\" y1=\"{0:.2f}\" x2=\"{2:.2f}\" y2=\"{0:.2f}\"/>\n",
                       y(t), f.left, f.right);
  svg += "</g>\n";
  // Guide labels carry a white halo so that they stay readable over lines; the labels of
  // vertical guides are stacked one line apart so that neighbours do not overlap.
  int vertical_labels = 0;
  for (const Guide& g : o.guides) {
    const bool v = g.vertical;
    const double at = v ? x(g.at) : y(g.at);
    if (!std::isfinite(at) || at < std::min(v ? f.left : f.top, v ? f.right : f.bottom) - 0.5 ||
        at > std::max(v ? f.left : f.top, v ? f.right : f.bottom) + 0.5)
      continue;
    svg += v ? fmt::format(
                   "<line class=\"guide\" x1=\"{0:.2f}\" y1=\"{1:.2f}\" x2=\"{0:.2f}\" "
                   "y2=\"{2:.2f}\" stroke=\"#555\" stroke-width=\"1.2\" "
                   "stroke-dasharray=\"4 3\"/>\n",
                   at, f.top, f.bottom)
             : fmt::format(
                   "<line class=\"guide\" x1=\"{1:.2f}\" y1=\"{0:.2f}\" x2=\"{2:.2f}\" "
                   "y2=\"{0:.2f}\" stroke=\"#555\" stroke-width=\"1.2\" "
                   "stroke-dasharray=\"4 3\"/>\n",
                   at, f.left, f.right);
    if (g.label.empty()) continue;
    const double size = fit(g.label, 11, (f.right - f.left) * 0.45);
    const double w = text_width(g.label, size);
    double tx = 0, ty = 0;  // the label's left end and baseline
    if (v) {
      const bool right_half = at > (f.left + f.right) / 2;
      tx = right_half ? at - 4 - w : at + 4;
      ty = f.top + 14 + 14 * vertical_labels++;
    } else {
      tx = g.label_left ? f.left + 4 : f.right - 4 - w;
      ty = at > (f.top + f.bottom) / 2 ? at - 5 : at + 14;
    }
    labels += fmt::format(
        "<rect x=\"{:.2f}\" y=\"{:.2f}\" width=\"{:.2f}\" height=\"{:.2f}\" fill=\"white\" "
        "fill-opacity=\"0.85\"/><text class=\"guide\" x=\"{:.2f}\" y=\"{:.2f}\" fill=\"#333\" "
        "font-size=\"{:g}\">{}</text>\n",
        tx - 2, ty - size, w + 4, size + 4, tx, ty, size, xml_escape(g.label));
  }
  svg += fmt::format(
      "<rect x=\"{:.2f}\" y=\"{:.2f}\" width=\"{:.2f}\" height=\"{:.2f}\" fill=\"none\" "
      "stroke=\"#333\"/>\n",
      f.left, f.top, f.right - f.left, f.bottom - f.top);
  for (double t : x.ticks)
    svg += fmt::format(
        "<line x1=\"{0:.2f}\" y1=\"{1:.2f}\" x2=\"{0:.2f}\" y2=\"{2:.2f}\" stroke=\"#333\"/>"
        "<text class=\"xtick\" x=\"{0:.2f}\" y=\"{3:.2f}\" text-anchor=\"middle\">{4}</text>\n",
        x(t), f.bottom, f.bottom + 5, f.bottom + 18, xml_escape(tick_label(t, x.log)));
  for (double t : y.ticks)
    svg += fmt::format(
        "<line x1=\"{1:.2f}\" y1=\"{0:.2f}\" x2=\"{2:.2f}\" y2=\"{0:.2f}\" stroke=\"#333\"/>"
        "<text class=\"ytick\" x=\"{3:.2f}\" y=\"{4:.2f}\" text-anchor=\"end\">{5}</text>\n",
        y(t), f.left - 5, f.left, f.left - 8, y(t) + 4, xml_escape(tick_label(t, y.log)));
  if (std::isfinite(y.zero_pixel)) {
    // The zero row: its own tick "0", cut off from the decades by a broken-axis mark.
    svg += fmt::format(
        "<line x1=\"{1:.2f}\" y1=\"{0:.2f}\" x2=\"{2:.2f}\" y2=\"{0:.2f}\" stroke=\"#333\"/>"
        "<text class=\"ytick\" x=\"{3:.2f}\" y=\"{4:.2f}\" text-anchor=\"end\">0</text>\n"
        "<line class=\"axis-break\" x1=\"{1:.2f}\" y1=\"{5:.2f}\" x2=\"{6:.2f}\" y2=\"{5:.2f}\" "
        "stroke=\"#999\" stroke-dasharray=\"3 3\"/>\n",
        y.zero_pixel, f.left - 5, f.left, f.left - 8, y.zero_pixel + 4, y.zero_pixel - 13, f.right);
  }
  if (!o.x_label.empty())
    svg += fmt::format(
        "<text class=\"xlabel\" x=\"{:.2f}\" y=\"{:.2f}\" text-anchor=\"middle\" "
        "font-size=\"{:g}\">{}</text>\n",
        (f.left + f.right) / 2, f.bottom + 38, fit(o.x_label, 12, o.width - 20.0),
        xml_escape(o.x_label));
  if (!o.y_label.empty())
    svg += fmt::format(
        "<text class=\"ylabel\" transform=\"translate(16,{:.2f}) rotate(-90)\" "
        "text-anchor=\"middle\" font-size=\"{:g}\">{}</text>\n",
        (f.top + f.bottom) / 2, fit(o.y_label, 12, f.bottom - f.top), xml_escape(o.y_label));
}

constexpr double kLegendFont = 12;
constexpr double kLegendSwatch = 24;  // swatch and gap before the label

// Legend to the right of the plot area: a swatch (line or dot) and the label per series with
// one; labels wider than the legend's column are set smaller.
void draw_legend(std::string& svg, const std::vector<Series>& series, const Frame& f, bool dots,
                 double width) {
  double y = f.top + 10;
  const double x = f.right + 14;
  for (std::size_t i = 0; i < series.size(); ++i) {
    if (series[i].label.empty()) continue;
    const std::string c = series_colour(series, i);
    if (dots || (series[i].markers && series[i].width <= 0))
      svg += fmt::format("<circle cx=\"{:.2f}\" cy=\"{:.2f}\" r=\"4\" fill=\"{}\"/>", x + 9, y, c);
    else
      svg += fmt::format(
          "<line x1=\"{:.2f}\" y1=\"{:.2f}\" x2=\"{:.2f}\" y2=\"{:.2f}\" stroke=\"{}\" "
          "stroke-width=\"{:g}\"{}/>",
          x, y, x + 18, y, c, std::max(2.5, series[i].width), dash_of(series[i].stroke));
    svg += fmt::format(
        "<text class=\"legend\" x=\"{:.2f}\" y=\"{:.2f}\" font-size=\"{:g}\">{}</text>\n",
        x + kLegendSwatch, y + 4, fit(series[i].label, kLegendFont, width - kLegendSwatch - 20),
        xml_escape(series[i].label));
    y += 18;
  }
}

// Width of the legend column: the widest label, but at most 40% of the chart.
double legend_width(const std::vector<Series>& series, const ChartOptions& o) {
  double w = 0;
  for (const auto& s : series) w = std::max(w, text_width(s.label, kLegendFont));
  return w > 0 ? std::min(w + kLegendSwatch + 20, 0.4 * o.width) : 0;
}

Frame frame_for(const ChartOptions& o, const std::vector<Series>& series) {
  const double right = std::max(120.0, o.width - 14 - legend_width(series, o));
  return Frame{70.0, o.title.empty() ? 16.0 : 36.0, right, o.height - 52.0};
}

void check_series(const std::vector<Series>& series) {
  for (const auto& s : series)
    if (s.x.size() != s.y.size())
      throw Error(fmt::format("gradflow::plot: series '{}' has {} x values but {} y values",
                              s.label, s.x.size(), s.y.size()));
}

}  // namespace

double text_width(std::string_view text, double size, bool bold) {
  // DejaVu Sans advance widths in em, grouped: narrow punctuation and letters, digits and most
  // lower case, wide capitals; CJK and other characters beyond U+2E80 a full em.
  double em = 0;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t len = 1;
    char32_t cp = c;
    if (c >= 0xF0) {
      len = 4;
      cp = c & 0x07u;
    } else if (c >= 0xE0) {
      len = 3;
      cp = c & 0x0Fu;
    } else if (c >= 0xC0) {
      len = 2;
      cp = c & 0x1Fu;
    }
    for (std::size_t k = 1; k < len && i + k < text.size(); ++k)
      cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3Fu);
    i += len;
    if (cp >= 0x2E80)
      em += 1.0;
    else if (cp >= 0x80)
      em += 0.7;
    else if (std::string_view(" .,:;'|!()[]{}ijlfrtI/\\-").find(static_cast<char>(cp)) !=
             std::string_view::npos)
      em += 0.38;
    else if (std::string_view("mwMW@%").find(static_cast<char>(cp)) != std::string_view::npos)
      em += 0.95;
    else if (cp >= 'A' && cp <= 'Z')
      em += 0.74;
    else
      em += 0.64;
  }
  return em * size * (bold ? 1.1 : 1.0);
}

std::vector<double> linear_ticks(double lo, double hi, int target) {
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return {lo};
  const double step = nice_step(hi - lo, target);
  std::vector<double> out;
  const auto first = static_cast<long long>(std::floor(lo / step + 1e-9));
  const auto last = static_cast<long long>(std::ceil(hi / step - 1e-9));
  for (long long k = first; k <= last; ++k) {
    const double v = static_cast<double>(k) * step;
    out.push_back(v == 0.0 ? 0.0 : v);  // no "-0"
  }
  return out;
}

std::vector<double> log_ticks(double lo, double hi, int max_ticks) {
  const int a = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
  const int b = static_cast<int>(std::ceil(std::log10(hi) - 1e-9));
  const int decades = b - a + 1;
  const int stride = std::max(1, (decades + max_ticks - 1) / std::max(1, max_ticks));
  std::vector<double> out;
  for (int e = a; e <= b; ++e)
    if (((e % stride) + stride) % stride == 0) out.push_back(std::pow(10.0, e));
  return out;
}

std::string tick_label(double value, bool log_axis) {
  if (log_axis) {
    const int e = static_cast<int>(std::lround(std::log10(value)));
    if (e >= -3 && e <= 4) return fmt::format("{:g}", std::pow(10.0, e));
    return fmt::format("1e{}", e);
  }
  // Round away floating noise from k * step (0.30000000000000004 -> 0.3).
  return fmt::format("{:.10g}", std::abs(value) < 1e-12 ? 0.0 : value);
}

std::string line_chart(const std::vector<Series>& series, const ChartOptions& o) {
  check_series(series);
  const Frame f = frame_for(o, series);
  Range rx, ry;
  for (const auto& s : series)
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      if (o.log_y && s.y[i] <= 0) {
        if (o.zero_row && s.y[i] == 0) rx.add(s.x[i], false);  // drawn on the zero row
        continue;
      }
      rx.add(s.x[i], false);
      ry.add(s.y[i], o.log_y);
    }
  if (std::isfinite(o.y_min)) ry.lo = o.y_min;
  if (std::isfinite(o.y_max)) ry.hi = o.y_max;
  const Axis x(rx, false, f.left, f.right, o.integer_x);
  const Axis y(ry, o.log_y, f.bottom, f.top, false, o.log_y && o.zero_row);
  std::string svg, labels;
  draw_axes(svg, labels, o, f, x, y);
  svg += labels;  // under the data: a label never hides a line
  // Solid lines first, then dashed and dotted ones over them: a line that coincides with
  // another stays visible.
  std::vector<std::size_t> order(series.size());
  for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return (series[a].stroke != Stroke::solid) < (series[b].stroke != Stroke::solid);
  });
  for (const std::size_t k : order) {
    const auto& s = series[k];
    const std::string c = series_colour(series, k);
    svg += fmt::format(
        "<g class=\"series\" fill=\"none\" stroke=\"{}\" stroke-width=\"{:g}\"{} "
        "stroke-linejoin=\"round\">\n",
        c, s.width, dash_of(s.stroke));
    svg += fmt::format("<title>{}</title>\n", xml_escape(s.label));
    // One polyline per unbroken run of drawable points.
    std::string points, dots;
    std::size_t run = 0;
    const auto flush = [&] {
      if (run == 1) {  // a lone point: draw it as a dot
        svg += fmt::format("<circle r=\"2.5\" fill=\"{}\" stroke=\"none\" {}/>\n", c, points);
      } else if (run > 1) {
        svg += fmt::format("<polyline points=\"{}\"/>\n", points);
      }
      points.clear();
      run = 0;
    };
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (!x.shows(s.x[i]) || !y.shows(s.y[i])) {
        flush();
        continue;
      }
      const double px = x(s.x[i]), py = std::clamp(y(s.y[i]), f.top - 2, f.bottom + 2);
      if (s.markers) dots += fmt::format("<circle cx=\"{:.2f}\" cy=\"{:.2f}\" r=\"3\"/>", px, py);
      if (run == 0 && i + 1 < s.x.size() && x.shows(s.x[i + 1]) && y.shows(s.y[i + 1]))
        points += fmt::format("{:.2f},{:.2f}", px, py);
      else if (run == 0)
        points += fmt::format("cx=\"{:.2f}\" cy=\"{:.2f}\"", px, py);
      else
        points += fmt::format(" {:.2f},{:.2f}", px, py);
      ++run;
    }
    flush();
    if (!dots.empty())
      svg += fmt::format("<g class=\"markers\" fill=\"{}\" stroke=\"none\">{}</g>\n", c, dots);
    svg += "</g>\n";
  }
  draw_legend(svg, series, f, false, o.width - f.right);
  svg += "</svg>\n";
  return svg;
}

std::string scatter_chart(const std::vector<Series>& series, const ChartOptions& o,
                          const Field* field) {
  check_series(series);
  if (field != nullptr && (field->nx < 2 || field->ny < 2 ||
                           field->z.size() != static_cast<std::size_t>(field->nx) *
                                                  static_cast<std::size_t>(field->ny)))
    throw Error(fmt::format(
        "gradflow::plot: a field of {} x {} samples needs nx, ny >= 2 and nx * ny values, got {}",
        field->nx, field->ny, field->z.size()));
  const Frame f = frame_for(o, series);
  Range rx, ry;
  for (const auto& s : series)
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      rx.add(s.x[i], false);
      ry.add(s.y[i], o.log_y);
    }
  if (field != nullptr) {
    rx.add(field->x_min, false);
    rx.add(field->x_max, false);
    ry.add(field->y_min, o.log_y);
    ry.add(field->y_max, o.log_y);
  }
  const Axis x(rx, false, f.left, f.right);
  const Axis y(ry, o.log_y, f.bottom, f.top);
  std::string svg, labels;
  draw_axes(svg, labels, o, f, x, y);
  svg += labels;  // under the data: a label never hides a line

  if (field != nullptr) {
    const auto& fd = *field;
    const double dx = (fd.x_max - fd.x_min) / (fd.nx - 1), dy = (fd.y_max - fd.y_min) / (fd.ny - 1);
    const auto at = [&](int i, int j) {
      return fd.z[static_cast<std::size_t>(j) * static_cast<std::size_t>(fd.nx) +
                  static_cast<std::size_t>(i)];
    };
    const std::string neg = pale(series.empty() ? colour(0) : series_colour(series, 0)),
                      pos = pale(series.empty() ? colour(1)
                                                : series_colour(series, series.size() - 1));
    // Shading: each sample owns the cell around it; runs of equal sign in a row are one rect.
    svg += "<g class=\"field\" stroke=\"none\" shape-rendering=\"crispEdges\">\n";
    for (int j = 0; j < fd.ny; ++j) {
      const double y0 = y(fd.y_min + (j - 0.5) * dy), y1 = y(fd.y_min + (j + 0.5) * dy);
      int start = 0;
      for (int i = 1; i <= fd.nx; ++i) {
        if (i < fd.nx && (at(i, j) > 0) == (at(start, j) > 0)) continue;
        const double x0 = x(fd.x_min + (start - 0.5) * dx), x1 = x(fd.x_min + (i - 0.5) * dx);
        svg += fmt::format(
            "<rect x=\"{:.2f}\" y=\"{:.2f}\" width=\"{:.2f}\" height=\"{:.2f}\" fill=\"{}\"/>\n",
            x0, std::min(y0, y1), x1 - x0, std::abs(y1 - y0), at(start, j) > 0 ? pos : neg);
        start = i;
      }
    }
    svg += "</g>\n";
    // Zero level set by marching squares: on each grid square, the crossings of f = 0 on its
    // edges (linearly interpolated) are joined pairwise.
    std::string path;
    for (int j = 0; j + 1 < fd.ny; ++j)
      for (int i = 0; i + 1 < fd.nx; ++i) {
        const std::array<std::array<int, 2>, 4> corner{
            {{i, j}, {i + 1, j}, {i + 1, j + 1}, {i, j + 1}}};
        struct Crossing {
          double x, y;
        };
        std::array<Crossing, 4> cross{};
        std::size_t n = 0;
        for (std::size_t e = 0; e < 4; ++e) {
          const auto [ia, ja] = corner[e];
          const auto [ib, jb] = corner[(e + 1) % 4];
          const double za = at(ia, ja), zb = at(ib, jb);
          if ((za > 0) == (zb > 0)) continue;
          const double t = za / (za - zb);
          cross[n++] = {fd.x_min + (ia + t * (ib - ia)) * dx, fd.y_min + (ja + t * (jb - ja)) * dy};
        }
        for (std::size_t k = 0; k + 1 < n; k += 2)
          path += fmt::format("M{:.2f} {:.2f}L{:.2f} {:.2f}", x(cross[k].x), y(cross[k].y),
                              x(cross[k + 1].x), y(cross[k + 1].y));
      }
    if (!path.empty())
      svg += fmt::format(
          "<path class=\"boundary\" d=\"{}\" fill=\"none\" stroke=\"#222\" "
          "stroke-width=\"1.5\"/>\n",
          path);
  }

  for (std::size_t k = 0; k < series.size(); ++k) {
    const auto& s = series[k];
    svg += fmt::format("<g class=\"series\" fill=\"{}\" stroke=\"#222\" stroke-width=\"0.6\">\n",
                       series_colour(series, k));
    svg += fmt::format("<title>{}</title>\n", xml_escape(s.label));
    for (std::size_t i = 0; i < s.x.size(); ++i)
      if (x.shows(s.x[i]) && y.shows(s.y[i]))
        svg +=
            fmt::format("<circle cx=\"{:.2f}\" cy=\"{:.2f}\" r=\"3.5\"/>\n", x(s.x[i]), y(s.y[i]));
    svg += "</g>\n";
  }
  draw_legend(svg, series, f, true, o.width - f.right);
  svg += "</svg>\n";
  return svg;
}

void write_text_file(const std::string& path, const std::string& text) {
  namespace fs = std::filesystem;
  const fs::path p(path);
  if (p.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(p.parent_path(), ec);
    if (ec)
      throw Error(fmt::format("gradflow: cannot create directory '{}' for '{}': {}",
                              p.parent_path().string(), path, ec.message()));
  }
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  if (!out) throw Error(fmt::format("gradflow: cannot open '{}' for writing", path));
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) throw Error(fmt::format("gradflow: writing '{}' failed", path));
}

}  // namespace gradflow::plot
