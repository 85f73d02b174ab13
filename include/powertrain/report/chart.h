// powertrain/report/chart.h: charts as standalone SVG elements, for HTML reports.
//
// Every chart reads without colour: series differ by marker shape and dash pattern as well
// as by colour, the legend names them in text, bar values are printed on the bars and
// heatmap values in the cells. A NaN or infinite input value is missing: it is not
// plotted, printed as "n/a" where a value is printed, and never reaches the SVG as
// "nan"/"inf". A chart with nothing to plot still renders, with a "no data" note.
// All text (titles, labels, names) is escaped; callers pass plain text.
//
// Example:
//   using namespace powertrain::report;
//   LineChart c;
//   c.title = "GPU power during training";
//   c.x_label = "time (s)";
//   c.y_label = "power (W)";
//   c.series.push_back({"gpu:0", {0, 1, 2, 3}, {80, 240, 250, 245}});
//   c.vlines.push_back({2.0, "epoch 2"});
//   std::string svg_text = svg(c);   // "<svg xmlns=... viewBox=...>...</svg>"
#pragma once

#include <string>
#include <vector>

#include "powertrain/report/format.h"

namespace powertrain {
namespace report {

// One line of a LineChart: points (x[i], y[i]); a NaN/infinite coordinate (or a value
// <= 0 on a log axis) leaves a gap in the line.
struct Series {
  std::string name;                // shown in the legend
  std::vector<double> x, y;        // same length; extra values of the longer one are ignored
  Origin origin = Origin::measured;  // not measured: the legend says so
};

// A vertical reference line across a LineChart (e.g. a break-even point, an epoch edge).
struct ReferenceLine {
  double x = 0.0;
  std::string label;  // written beside the line at the top of the plot
};

struct LineChart {
  std::string title, x_label, y_label;  // axis labels carry the unit: "energy (kJ)"
  std::vector<Series> series;
  bool log_x = false, log_y = false;    // log axes get decade ticks
  bool y_from_zero = false;             // the y axis starts at 0 (linear axis only)
  std::vector<ReferenceLine> vlines;
};

// Bars with their values printed beside them. Used for "percentage of the worst setup"
// and "energy per layer type".
struct BarChart {
  std::string title;
  std::string value_label;               // the value axis, with its unit: "energy (J)"
  std::vector<std::string> labels;       // one per bar
  std::vector<double> values;            // one per bar; NaN = missing ("n/a", no bar)
  std::vector<std::string> value_text;   // printed on each bar (empty entry or vector:
                                         // format_number(value)), plus the origin suffix
  std::vector<Origin> origins;           // per bar; empty = all measured
  bool horizontal = true;                // bars grow to the right, labels on the left
};

// A matrix of values (e.g. batch size x learning rate -> energy per epoch). Cells are
// shaded from light (low) to dark (high) in one hue, so the order reads in black and white;
// each cell prints its value.
struct Heatmap {
  std::string title;
  std::string row_label, col_label;      // "batch size", "learning rate"
  std::vector<std::string> rows, cols;   // row and column names
  std::vector<double> values;            // row-major, rows.size() * cols.size(); NaN = missing
  std::string unit;                      // of the values, e.g. "mWh"; shown under the title
  std::vector<std::string> cell_text;    // optional, row-major; default format_number(v, 4)
  Origin origin = Origin::measured;      // of all values; not measured: shown under the title
  bool outline_min = true;               // draw a thick frame round the lowest value
};

// Points, some highlighted and connected (a Pareto front among all trials).
struct ScatterChart {
  struct Point {
    double x = 0.0, y = 0.0;
    std::string label;       // highlighted points print it; others carry it as a tooltip
    bool highlight = false;
  };
  std::string title, x_label, y_label;
  std::vector<Point> points;
  bool connect_highlighted = true;           // join highlighted points in order of x
  bool log_x = false, log_y = false;
  std::string point_name = "trial";          // legend text for ordinary points
  std::string highlight_name = "Pareto front";  // legend text for highlighted points
  Origin origin = Origin::measured;          // of all points; not measured: shown under the title
};

// Each returns one standalone <svg> element (xmlns, viewBox, width and height set) with
// title, axes, ticks, axis labels and legend, ready to write to a .svg file or to pass to
// Document::chart.
std::string svg(const LineChart& chart);
std::string svg(const BarChart& chart);
std::string svg(const Heatmap& chart);
std::string svg(const ScatterChart& chart);

// Returns "nice" tick positions covering [lo, hi]: multiples of the smallest step 1, 2 or
// 5 x 10^k that needs at most max_ticks ticks, the first <= lo and the last >= hi
// (0..97 gives 0, 20, ..., 100). Charts use max_ticks = 7.
// Non-finite bounds give no ticks; lo == hi gives a small range around the value.
std::vector<double> nice_ticks(double lo, double hi, int max_ticks = 6);

// Returns ticks for a log axis covering [lo, hi] (both > 0): powers of ten from the decade
// at or below lo to the one at or above hi (3..2000 gives 1, 10, 100, 1000, 10000); every
// second or further decade when there are more than eight; 1, 2 and 5 x 10^k when the
// range lies within one decade (2..8 gives 1, 2, 5, 10). Returns no ticks for bounds that are not finite and positive.
std::vector<double> log_ticks(double lo, double hi);

}  // namespace report
}  // namespace powertrain
