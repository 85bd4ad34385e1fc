// SVG charts written by gradflow itself: line charts (linear or log y), and scatter plots over a
// decision field for classifiers. Every function returns self-contained SVG text that a browser
// opens as is; no fonts, scripts or external files are referenced.
#pragma once

#include <string>
#include <vector>

#include <gradflow/views/escape.hpp>

namespace gradflow::plot {

/// One curve (line chart) or one class of points (scatter chart): x[i] pairs with y[i].
struct Series {
  std::string label;  ///< legend entry (and SVG tooltip)
  /// \var x
  /// x coordinates.
  /// \var y
  /// y coordinates, as many as x.
  std::vector<double> x, y;
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

}  // namespace gradflow::plot
