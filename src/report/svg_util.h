// Private to the report module: the pieces every SVG chart is built from (axes, ticks,
// titles, legends, markers). Coordinates are SVG user units (pixels at 100% zoom).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace powertrain {
namespace report {
namespace detail {

constexpr double kWidth = 640;        // every chart is this wide; height depends on content
constexpr double kFontPx = 12;        // body text
constexpr double kTitleFontPx = 15;

// Returns a coordinate for an SVG attribute with one decimal, "0" for NaN/inf (a guard:
// callers only pass finite values, but a bad one must never print "nan").
std::string px(double v);

// Returns an estimate of the width of `text` in pixels at `font_px` (sans-serif averages
// about 0.6 em per character).
double text_width_px(std::string_view text, double font_px = kFontPx);

// Returns `text`, cut and ended with "…" when it is wider than max_px.
std::string fit_text(std::string_view text, double max_px, double font_px = kFontPx);

// A value axis mapped onto a pixel interval.
struct Axis {
  double lo = 0, hi = 1;          // the data range shown: the outermost ticks
  bool log = false;
  std::vector<double> ticks;
  double pix_lo = 0, pix_hi = 1;  // pixel coordinates of lo and hi (pix_hi < pix_lo for y)

  // Returns true when v can be drawn (finite, and > 0 on a log axis).
  bool plottable(double v) const;
  // Returns the pixel coordinate of a plottable value.
  double map(double v) const;
};

// Returns an axis over the plottable values among `values` (plus 0 when include_zero on
// a linear axis), its range rounded out to nice ticks. Sets *any to whether there was one.
Axis make_axis(const std::vector<double>& values, bool log, bool include_zero, bool* any);

// Returns the label of tick v: as few digits as tell the ticks apart, k/M/G for large values.
std::string tick_label(double v, const Axis& axis);

// Returns `<svg ...><title>..</title><rect background/>` + body + `</svg>`.
std::string svg_document(double width, double height, const std::string& title, const std::string& body);

// Appends <text> at (x, y) with escaped content and extra attributes (`attrs`, already
// well-formed, e.g. `text-anchor="end"`).
void text(std::string& out, double x, double y, std::string_view content, std::string_view attrs = "");

// Appends the title (and an italic subtitle when not empty) at the top; returns the y
// below them where the plot may start.
double title_block(std::string& out, const std::string& title, const std::string& subtitle);

// Appends a framed "no data" note filling the box.
void no_data(std::string& out, double x, double y, double w, double h);

// Appends the x axis along y = y_axis with ticks, tick labels, vertical grid lines up to
// y_top, and the axis label centred below.
void x_axis(std::string& out, const Axis& axis, double y_axis, double y_top, const std::string& label);
// Appends the y axis along x = x_axis with ticks, labels, horizontal grid lines to x_right,
// and the axis label rotated at the left edge.
void y_axis(std::string& out, const Axis& axis, double x_axis, double x_right, const std::string& label);

// How series i is drawn: colour (Okabe-Ito, colour-blind safe), dash pattern and marker,
// so that series differ even in black and white.
struct SeriesStyle {
  const char* colour;
  const char* dash;  // stroke-dasharray, "" = solid
  int marker;        // shape index for marker()
  bool filled;
};
SeriesStyle series_style(size_t i);

// Appends marker `shape` (0 circle, 1 square, 2 triangle, 3 diamond, 4 down-triangle,
// 5 cross, 6 plus) of radius r centred at (x, y).
void marker(std::string& out, int shape, double x, double y, double r, const char* colour, bool filled);

}  // namespace detail
}  // namespace report
}  // namespace powertrain
