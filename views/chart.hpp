// SVG charts written by gradflow itself: line charts (linear or log y), and scatter plots over a
// decision field for classifiers. Every function returns self-contained SVG text that a browser
// opens as is; no scripts or external files are referenced. Text is laid out for DejaVu Sans (the
// widest common sans-serif; Noto Sans CJK for Chinese), so it fits in any viewer's fonts.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <gradflow/views/escape.hpp>

namespace gradflow::plot {

/// How a series' line is drawn.
enum class Stroke : std::uint8_t {
  solid,   ///< a plain line
  dashed,  ///< long dashes: a line drawn over another stays visible
  dotted,  ///< short dots
};

/// One curve (line chart) or one class of points (scatter chart): x[i] pairs with y[i].
struct Series {
  std::string label;  ///< legend entry (and SVG tooltip); empty: not in the legend
  /// \var x
  /// x coordinates.
  /// \var y
  /// y coordinates, as many as x.
  std::vector<double> x, y;
  /// "#rrggbb"; empty: the next colour of look::series (activations use look::activations).
  std::string colour = {};
  Stroke stroke = Stroke::solid;  ///< line style (line charts)
  bool markers = false;           ///< also draw a dot at every point (line charts)
  double width = 2.0;             ///< line width in pixels
};

/// A horizontal (or vertical) reference line across the plot, e.g. the level 0.5.
struct Guide {
  double at = 0;          ///< y (or x) of the line
  std::string label;      ///< written at the line's end; empty: none
  bool vertical = false;  ///< a vertical line at x = at
  /// A horizontal guide's label at the left end of the line instead of the right.
  bool label_left = false;
};

/// A shaded horizontal strip of the plot between two y values, with a caption inside it.
struct Band {
  /// \var y0
  /// One edge of the strip (clipped to the plot).
  /// \var y1
  /// The other edge.
  double y0 = 0, y1 = 0;
  std::string colour;  ///< "#rrggbb", drawn pale
  std::string label;   ///< written inside the strip, at its left
};

/// Titles, axis scale and size of a chart.
struct ChartOptions {
  /// \var title
  /// Heading above the plot; empty: none.
  /// \var x_label
  /// Caption under the x axis; empty: none.
  /// \var y_label
  /// Caption along the y axis; empty: none.
  std::string title, x_label, y_label;
  /// Logarithmic y axis: ticks at powers of ten; non-positive values are skipped (a line breaks
  /// there).
  bool log_y = false;
  /// \var width
  /// SVG width in pixels.
  /// \var height
  /// SVG height in pixels.
  int width = 720, height = 420;
  bool integer_x = false;          ///< x ticks at integers only (depths, steps, counts)
  std::vector<Guide> guides = {};  ///< reference lines, drawn under the series
  std::vector<Band> bands = {};    ///< shaded strips, drawn under everything
  /// On a log axis: draw values of exactly 0 on a row marked "0" under the lowest decade
  /// instead of leaving them out (a gradient blocked to 0 stays visible).
  bool zero_row = false;
  /// \var y_min
  /// Lowest y shown (NaN: from the data).
  /// \var y_max
  /// Highest y shown (NaN: from the data).
  double y_min = std::numeric_limits<double>::quiet_NaN(),
         y_max = std::numeric_limits<double>::quiet_NaN();
};

/// A line chart: one polyline per series, axes with ticks, a grid, a legend and distinct colours.
/// Non-finite points (and non-positive ones on a log axis) are skipped and break the line.
std::string line_chart(const std::vector<Series>& series, const ChartOptions& options);

/// Values of a function f(x, y) sampled on a regular grid: z[j * nx + i] = f(x_i, y_j) with
/// x_i = x_min + i (x_max - x_min) / (nx - 1), and likewise y_j.
struct Field {
  /// \var x_min
  /// x of the first column of samples (x_0).
  /// \var x_max
  /// x of the last column (x_{nx-1}).
  /// \var y_min
  /// y of the first row (y_0).
  /// \var y_max
  /// y of the last row (y_{ny-1}).
  double x_min = 0, x_max = 1, y_min = 0, y_max = 1;
  /// \var nx
  /// Samples along x; scatter_chart() requires at least 2.
  /// \var ny
  /// Samples along y; scatter_chart() requires at least 2.
  int nx = 0, ny = 0;
  std::vector<double> z;  ///< nx * ny samples, row by row: z[j * nx + i] = f(x_i, y_j)
};

/// A scatter chart: one colour per series (a class of points). With a field, the plane is
/// shaded by the sign of f (pale colour of the last series where f > 0, of the first where
/// f < 0) and the zero level set f = 0, the decision boundary, is drawn as a line.
std::string scatter_chart(const std::vector<Series>& series, const ChartOptions& options,
                          const Field* field = nullptr);

/// The one XML escaper of the views (escape.hpp), also reachable as plot::xml_escape.
using gradflow::xml_escape;

/// Writes `text` to `path`, creating missing parent directories; throws gradflow::Error naming
/// the path on failure.
void write_text_file(const std::string& path, const std::string& text);

/// Tick positions of an axis, exposed for tests. Linear: "nice" values (1, 2 or 5 times a power
/// of ten) covering [lo, hi]. Log: powers of ten covering [lo, hi] (lo > 0), thinned to every
/// k-th decade when there are many.
std::vector<double> linear_ticks(double lo, double hi, int target = 6);
/// The log-axis ticks described above: at most about max_ticks powers of ten.
std::vector<double> log_ticks(double lo, double hi, int max_ticks = 9);
/// Label of a tick: "0.5", "100", "1e-06"-style for powers of ten far from 1 ("1e-6").
std::string tick_label(double value, bool log_axis);
/// Width in pixels of `text` at font size `size` in DejaVu Sans (CJK characters a full em): an
/// upper estimate the charts lay out with, so text fits whatever font the viewer substitutes.
double text_width(std::string_view text, double size, bool bold = false);

}  // namespace gradflow::plot
