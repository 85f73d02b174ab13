// Bar charts: horizontal (labels on the left) or vertical, each bar's value printed beside it.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "powertrain/report/chart.h"
#include "report/svg_util.h"

namespace powertrain {
namespace report {

using detail::px;

namespace {

constexpr const char* kBarFill = "#7f9cc6";    // mid-light blue: black text stays legible on it
constexpr const char* kBarStroke = "#1f3f6e";

// The bars' data with labels, values and printed texts aligned (the chart's vectors may
// differ in length: a missing value is NaN, a missing label empty).
struct Bars {
  std::vector<std::string> labels, texts;
  std::vector<double> values;
};

Bars collect(const BarChart& c) {
  Bars b;
  size_t n = std::max(c.labels.size(), c.values.size());
  for (size_t i = 0; i < n; ++i) {
    double v = i < c.values.size() ? c.values[i] : NAN;
    Origin origin = i < c.origins.size() ? c.origins[i] : Origin::measured;
    if (!std::isfinite(v)) origin = Origin::missing;
    std::string t = i < c.value_text.size() ? c.value_text[i] : "";
    // A missing value reads "n/a" whatever the caller's text; every other value shows
    // its provenance after the text.
    if (t.empty() || !std::isfinite(v)) t = format_number(v);
    t = with_origin(t, origin);
    b.labels.push_back(i < c.labels.size() ? c.labels[i] : "");
    b.values.push_back(v);
    b.texts.push_back(t);
  }
  return b;
}

// Returns the value axis over the bars (always including 0, the bars' base); 0..1 when
// every value is missing so the rows can still show "n/a".
detail::Axis value_axis(const std::vector<double>& values) {
  bool any = false;
  detail::Axis axis = detail::make_axis(values, false, true, &any);
  if (!any) axis = detail::make_axis({0.0, 1.0}, false, true, &any);
  return axis;
}

std::string horizontal(const BarChart& c, const Bars& b, std::string body, double top) {
  const double kRow = 26, kBar = 16;
  double label_w = 40, text_w = 0;
  for (const auto& l : b.labels) label_w = std::max(label_w, detail::text_width_px(l) + 12);
  for (const auto& t : b.texts) text_w = std::max(text_w, detail::text_width_px(t) + 12);
  label_w = std::min(label_w, 220.0);
  double left = label_w + 8;
  double right = std::max(left + 150, detail::kWidth - 16 - std::min(text_w, 200.0));
  double bottom = top + kRow * b.values.size() + 6;

  detail::Axis axis = value_axis(b.values);
  axis.pix_lo = left;
  axis.pix_hi = right;
  detail::x_axis(body, axis, bottom, top, c.value_label);
  double x0 = axis.map(0);
  body += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#000000\"/>", px(x0), px(top),
                      px(bottom));
  for (size_t i = 0; i < b.values.size(); ++i) {
    double y_mid = top + 3 + kRow * i + kRow / 2;
    detail::text(body, left - 8, y_mid + 4, detail::fit_text(b.labels[i], label_w - 12), "text-anchor=\"end\"");
    double v = b.values[i];
    double x_end = x0;
    if (std::isfinite(v)) {
      double x = axis.map(v);
      body += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" stroke=\"{}\"/>",
                          px(std::min(x, x0)), px(y_mid - kBar / 2), px(std::fabs(x - x0)), px(kBar), kBarFill,
                          kBarStroke);
      x_end = std::max(x, x0);
    }
    detail::text(body, x_end + 5, y_mid + 4, detail::fit_text(b.texts[i], 200), "font-weight=\"bold\"");
  }
  return detail::svg_document(detail::kWidth, bottom + 50, c.title, body);
}

std::string vertical(const BarChart& c, const Bars& b, std::string body, double top) {
  const double kPlot = 220;
  detail::Axis axis = value_axis(b.values);
  double widest_tick = 0;
  for (double t : axis.ticks) widest_tick = std::max(widest_tick, detail::text_width_px(detail::tick_label(t, axis)));
  double left = std::max(64.0, 36 + widest_tick + 10), right = detail::kWidth - 16;
  double bottom = top + 16 + kPlot;  // 16: room for the value text above the tallest bar
  axis.pix_lo = bottom;
  axis.pix_hi = top + 16;
  detail::y_axis(body, axis, left, right, c.value_label);

  size_t n = b.values.size();
  double slot = (right - left) / n;
  double bar_w = std::min(48.0, slot * 0.6);
  double widest_label = 0;
  for (const auto& l : b.labels) widest_label = std::max(widest_label, detail::text_width_px(l));
  // Labels wider than their slot are written at an angle instead of overlapping.
  bool slanted = widest_label > slot - 4;
  double label_room = slanted ? std::min(widest_label, 120.0) * 0.6 + 16 : 20;
  double y0 = axis.map(0);
  body += fmt::format("<line x1=\"{0}\" y1=\"{2}\" x2=\"{1}\" y2=\"{2}\" stroke=\"#000000\"/>", px(left), px(right),
                      px(y0));
  for (size_t i = 0; i < n; ++i) {
    double x_mid = left + slot * (i + 0.5);
    double v = b.values[i];
    double y_text = y0 - 5;
    if (std::isfinite(v)) {
      double y = axis.map(v);
      body += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" stroke=\"{}\"/>",
                          px(x_mid - bar_w / 2), px(std::min(y, y0)), px(bar_w), px(std::fabs(y - y0)), kBarFill,
                          kBarStroke);
      y_text = v >= 0 ? y - 5 : y + 14;
    }
    detail::text(body, x_mid, y_text, detail::fit_text(b.texts[i], std::max(slot, 40.0), 11),
                 "text-anchor=\"middle\" font-size=\"11\" font-weight=\"bold\"");
    if (slanted) {
      double ly = bottom + 14;
      detail::text(body, x_mid, ly, detail::fit_text(b.labels[i], 120),
                   fmt::format("text-anchor=\"end\" transform=\"rotate(-35 {} {})\"", px(x_mid), px(ly)));
    } else {
      detail::text(body, x_mid, bottom + 16, b.labels[i], "text-anchor=\"middle\"");
    }
  }
  return detail::svg_document(detail::kWidth, bottom + label_room + 8, c.title, body);
}

}  // namespace

std::string svg(const BarChart& c) {
  std::string body;
  double top = detail::title_block(body, c.title, "");
  Bars b = collect(c);
  if (b.values.empty()) {
    detail::no_data(body, 40, top, detail::kWidth - 80, 120);
    return detail::svg_document(detail::kWidth, top + 140, c.title, body);
  }
  return c.horizontal ? horizontal(c, b, std::move(body), top) : vertical(c, b, std::move(body), top);
}

}  // namespace report
}  // namespace powertrain
