// Line charts and scatter charts (shared x/y axes); bars and heatmaps are in their own files.
#include "powertrain/report/chart.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "report/svg_util.h"

namespace powertrain {
namespace report {

using detail::Axis;
using detail::px;

namespace {

constexpr double kPlotHeight = 250;
constexpr double kLegendRow = 18;

// Returns "simulated values"-style subtitle text for a chart-wide origin, "" if measured.
std::string origin_note(Origin origin) {
  if (origin == Origin::measured) return "";
  return fmt::format("{} values", origin_name(origin));
}

// The plot box of an x/y chart and its two axes.
struct Frame {
  Axis x, y;
  double left = 0, right = 0, top = 0, bottom = 0;
};

// Builds the axes over the given values and places the plot box below `top`, leaving room
// on the left for the widest y tick label. Returns false when there is nothing to plot.
bool make_frame(const std::vector<double>& xs, const std::vector<double>& ys, bool log_x, bool log_y,
                bool y_from_zero, double top, Frame* f) {
  bool any_x = false, any_y = false;
  f->x = detail::make_axis(xs, log_x, false, &any_x);
  f->y = detail::make_axis(ys, log_y, y_from_zero, &any_y);
  double widest = 0;
  for (double t : f->y.ticks) widest = std::max(widest, detail::text_width_px(detail::tick_label(t, f->y)));
  f->left = std::max(64.0, 36 + widest + 10);
  f->right = detail::kWidth - 24;
  f->top = top;
  f->bottom = top + kPlotHeight;
  f->x.pix_lo = f->left;
  f->x.pix_hi = f->right;
  f->y.pix_lo = f->bottom;
  f->y.pix_hi = f->top;
  return any_x && any_y;
}

// Appends one legend row: a line sample (when dash is not null) with its marker, then the name.
void legend_row(std::string& out, double x, double y, const detail::SeriesStyle& style, bool with_line,
                const std::string& name) {
  if (with_line) {
    out += fmt::format("<line x1=\"{0}\" y1=\"{2}\" x2=\"{1}\" y2=\"{2}\" stroke=\"{3}\" stroke-width=\"2\"",
                       px(x), px(x + 36), px(y), style.colour);
    if (*style.dash) out += fmt::format(" stroke-dasharray=\"{}\"", style.dash);
    out += "/>";
  }
  detail::marker(out, style.marker, x + 18, y, 4, style.colour, style.filled);
  detail::text(out, x + 46, y + 4, detail::fit_text(name, detail::kWidth - x - 60));
}

// Text drawn over lines: a white outline keeps it legible.
const char* const kHalo = "paint-order=\"stroke\" stroke=\"#ffffff\" stroke-width=\"3\" stroke-linejoin=\"round\"";

}  // namespace

std::string svg(const LineChart& c) {
  std::string body;
  double top = detail::title_block(body, c.title, "");

  std::vector<double> xs, ys;
  for (const Series& s : c.series) {
    size_t n = std::min(s.x.size(), s.y.size());
    for (size_t i = 0; i < n; ++i) {
      // Only points drawable on both axes set the ranges.
      bool ok_x = std::isfinite(s.x[i]) && (!c.log_x || s.x[i] > 0);
      bool ok_y = std::isfinite(s.y[i]) && (!c.log_y || s.y[i] > 0);
      if (ok_x && ok_y) {
        xs.push_back(s.x[i]);
        ys.push_back(s.y[i]);
      }
    }
  }
  bool has_data = !xs.empty();
  for (const ReferenceLine& v : c.vlines) xs.push_back(v.x);  // keep reference lines in view

  Frame f;
  if (!has_data || !make_frame(xs, ys, c.log_x, c.log_y, c.y_from_zero, top, &f)) {
    detail::no_data(body, 40, top, detail::kWidth - 80, kPlotHeight);
    return detail::svg_document(detail::kWidth, top + kPlotHeight + 20, c.title, body);
  }
  detail::y_axis(body, f.y, f.left, f.right, c.y_label);
  detail::x_axis(body, f.x, f.bottom, f.top, c.x_label);

  for (size_t si = 0; si < c.series.size(); ++si) {
    const Series& s = c.series[si];
    detail::SeriesStyle style = detail::series_style(si);
    size_t n = std::min(s.x.size(), s.y.size());
    std::vector<bool> ok(n);
    for (size_t i = 0; i < n; ++i) ok[i] = f.x.plottable(s.x[i]) && f.y.plottable(s.y[i]);
    // The line breaks at a missing point: each run of plottable points is its own subpath.
    std::string d;
    for (size_t i = 0; i < n; ++i) {
      if (!ok[i]) continue;
      d += fmt::format("{}{} {}", (i > 0 && ok[i - 1]) ? "L" : "M", px(f.x.map(s.x[i])), px(f.y.map(s.y[i])));
    }
    if (!d.empty()) {
      body += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" stroke-linejoin=\"round\"",
                          d, style.colour);
      if (*style.dash) body += fmt::format(" stroke-dasharray=\"{}\"", style.dash);
      body += "/>";
    }
    // About 20 markers per series are enough to tell the series apart; an isolated point
    // (no line through it) always gets its marker or it would be invisible.
    size_t stride = std::max<size_t>(1, (n + 19) / 20);
    for (size_t i = 0; i < n; ++i) {
      if (!ok[i]) continue;
      bool isolated = (i == 0 || !ok[i - 1]) && (i + 1 >= n || !ok[i + 1]);
      if (i % stride != 0 && !isolated) continue;
      detail::marker(body, style.marker, f.x.map(s.x[i]), f.y.map(s.y[i]), 4, style.colour, style.filled);
    }
  }

  int vline_index = 0;
  for (const ReferenceLine& v : c.vlines) {
    if (!f.x.plottable(v.x)) continue;
    double x = f.x.map(v.x);
    body += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#333333\" stroke-width=\"1.5\" "
                        "stroke-dasharray=\"5 4\"/>",
                        px(x), px(f.top), px(f.bottom));
    // Labels of lines in the right third go left of the line so they stay inside the chart.
    bool flip = x > f.left + (f.right - f.left) * 0.66;
    double y = f.top + 12 + 14 * (vline_index++ % 6);
    detail::text(body, flip ? x - 4 : x + 4, y, detail::fit_text(v.label, 200, 11),
                 fmt::format("font-size=\"11\" text-anchor=\"{}\" {}", flip ? "end" : "start", kHalo));
  }

  double legend_y = f.bottom + 58;
  for (size_t si = 0; si < c.series.size(); ++si) {
    const Series& s = c.series[si];
    std::string name = s.name.empty() ? fmt::format("series {}", si + 1) : s.name;
    if (s.origin != Origin::measured) name += fmt::format(" ({})", origin_name(s.origin));
    legend_row(body, f.left, legend_y + kLegendRow * si, detail::series_style(si), true, name);
  }
  double height = legend_y + kLegendRow * c.series.size() + 4;
  return detail::svg_document(detail::kWidth, height, c.title, body);
}

std::string svg(const ScatterChart& c) {
  std::string body;
  double top = detail::title_block(body, c.title, origin_note(c.origin));

  std::vector<double> xs, ys;
  for (const auto& p : c.points) {
    bool ok_x = std::isfinite(p.x) && (!c.log_x || p.x > 0);
    bool ok_y = std::isfinite(p.y) && (!c.log_y || p.y > 0);
    if (ok_x && ok_y) {
      xs.push_back(p.x);
      ys.push_back(p.y);
    }
  }
  Frame f;
  if (xs.empty() || !make_frame(xs, ys, c.log_x, c.log_y, false, top, &f)) {
    detail::no_data(body, 40, top, detail::kWidth - 80, kPlotHeight);
    return detail::svg_document(detail::kWidth, top + kPlotHeight + 20, c.title, body);
  }
  detail::y_axis(body, f.y, f.left, f.right, c.y_label);
  detail::x_axis(body, f.x, f.bottom, f.top, c.x_label);

  // Ordinary points: hollow grey circles, drawn first so the highlighted ones stay on top.
  // Their label and coordinates are a tooltip (<title>), which needs no script.
  const detail::SeriesStyle plain{"#666666", "", 0, false};
  const detail::SeriesStyle front{"#000000", "", 3, true};
  std::vector<const ScatterChart::Point*> highlighted;
  bool any_plain = false;
  for (const auto& p : c.points) {
    if (!f.x.plottable(p.x) || !f.y.plottable(p.y)) continue;
    if (p.highlight) {
      highlighted.push_back(&p);
      continue;
    }
    any_plain = true;
    body += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"3.5\" fill=\"#ffffff\" stroke=\"#666666\" stroke-width=\"1.2\">",
                        px(f.x.map(p.x)), px(f.y.map(p.y)));
    std::string tip = fmt::format("{}{}({}, {})", p.label, p.label.empty() ? "" : " ", format_number(p.x),
                                  format_number(p.y));
    body += "<title>" + escape_html(tip) + "</title></circle>";
  }
  std::stable_sort(highlighted.begin(), highlighted.end(),
                   [](const ScatterChart::Point* a, const ScatterChart::Point* b) { return a->x < b->x; });
  if (c.connect_highlighted && highlighted.size() >= 2) {
    std::string d;
    for (size_t i = 0; i < highlighted.size(); ++i) {
      d += fmt::format("{}{} {}", i == 0 ? "M" : "L", px(f.x.map(highlighted[i]->x)), px(f.y.map(highlighted[i]->y)));
    }
    body += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"#000000\" stroke-width=\"1.8\"/>", d);
  }
  for (const auto* p : highlighted) {
    double x = f.x.map(p->x), y = f.y.map(p->y);
    detail::marker(body, front.marker, x, y, 5, front.colour, true);
    if (!p->label.empty()) {
      bool flip = x > f.left + (f.right - f.left) * 0.75;
      detail::text(body, flip ? x - 8 : x + 8, y - 7, detail::fit_text(p->label, 160, 10),
                   fmt::format("font-size=\"10\" text-anchor=\"{}\" {}", flip ? "end" : "start", kHalo));
    }
  }

  double legend_y = f.bottom + 58;
  int rows = 0;
  if (any_plain) legend_row(body, f.left, legend_y + kLegendRow * rows++, plain, false, c.point_name);
  if (!highlighted.empty()) {
    legend_row(body, f.left, legend_y + kLegendRow * rows++, front, c.connect_highlighted && highlighted.size() >= 2,
               c.highlight_name);
  }
  return detail::svg_document(detail::kWidth, legend_y + kLegendRow * rows + 4, c.title, body);
}

}  // namespace report
}  // namespace powertrain
