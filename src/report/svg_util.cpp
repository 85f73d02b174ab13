// Axes, ticks, titles, markers: the shared pieces of the SVG charts.
#include "report/svg_util.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "powertrain/report/chart.h"
#include "powertrain/report/format.h"

namespace powertrain {
namespace report {

std::vector<double> nice_ticks(double lo, double hi, int max_ticks) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return {};
  if (lo > hi) std::swap(lo, hi);
  if (lo == hi) {
    // One value: show a small range around it rather than a zero-width axis.
    double pad = lo == 0 ? 1.0 : std::fabs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  max_ticks = std::max(2, max_ticks);
  double raw_step = (hi - lo) / (max_ticks - 1);
  if (!std::isfinite(raw_step) || raw_step <= 0) return {};
  // Try 1, 2, 5 x 10^k upwards from the smallest step that could fit and keep the first
  // that needs at most max_ticks ticks: the tightest nice range that is not crowded.
  double magnitude = std::pow(10.0, std::floor(std::log10(raw_step)));
  const double kMultiples[] = {1, 2, 5, 10, 20, 50};
  double step = 0, first = 0, last = 0;
  for (double m : kMultiples) {
    step = m * magnitude;
    // The small tolerances keep 60.000000001 / 20 from adding a tick beyond 60.
    first = std::floor(lo / step + 1e-9);
    last = std::ceil(hi / step - 1e-9);
    if (last - first + 1 <= max_ticks) break;
  }
  std::vector<double> ticks;
  // Snap to the step's precision so 0.30000000000000004 is stored as 0.3.
  double scale = step >= 1 ? 1.0 : std::pow(10.0, std::ceil(-std::log10(step) - 1e-9));
  for (double i = first; i <= last && ticks.size() < 100; i += 1) {
    ticks.push_back(std::round(i * step * scale) / scale + 0.0);  // + 0.0 turns -0 into 0
  }
  return ticks;
}

std::vector<double> log_ticks(double lo, double hi) {
  if (!std::isfinite(lo) || !std::isfinite(hi) || lo <= 0 || hi <= 0) return {};
  if (lo > hi) std::swap(lo, hi);
  int k0 = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
  int k1 = static_cast<int>(std::ceil(std::log10(hi) - 1e-9));
  if (k1 <= k0) k1 = k0 + 1;
  int decades = k1 - k0;
  std::vector<double> ticks;
  if (decades == 1) {
    double base = std::pow(10.0, k0);
    return {base, 2 * base, 5 * base, 10 * base};
  }
  int every = decades > 8 ? (decades + 7) / 8 : 1;  // at most about 9 labelled decades
  k1 = k0 + (decades + every - 1) / every * every;
  for (int k = k0; k <= k1; k += every) ticks.push_back(std::pow(10.0, k));
  return ticks;
}

namespace detail {

std::string px(double v) {
  if (!std::isfinite(v)) return "0";
  // Round to one decimal; + 0.0 avoids "-0.0".
  return fmt::format("{:.1f}", std::round(v * 10) / 10 + 0.0);
}

double text_width_px(std::string_view s, double font_px) {
  return static_cast<double>(display_width(s)) * 0.6 * font_px;
}

std::string fit_text(std::string_view s, double max_px, double font_px) {
  if (text_width_px(s, font_px) <= max_px) return std::string(s);
  size_t keep = static_cast<size_t>(std::max(1.0, max_px / (0.6 * font_px) - 1));
  std::string out;
  size_t chars = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    bool starts_char = (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
    if (starts_char && chars++ == keep) break;
    out += s[i];
  }
  return out + "\xE2\x80\xA6";  // "…"
}

bool Axis::plottable(double v) const { return std::isfinite(v) && (!log || v > 0); }

double Axis::map(double v) const {
  double t;
  if (log) {
    double a = std::log10(lo), b = std::log10(hi);
    t = b > a ? (std::log10(v) - a) / (b - a) : 0.5;
  } else {
    t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
  }
  return pix_lo + t * (pix_hi - pix_lo);
}

Axis make_axis(const std::vector<double>& values, bool log, bool include_zero, bool* any) {
  Axis axis;
  axis.log = log;
  double lo = INFINITY, hi = -INFINITY;
  for (double v : values) {
    if (!axis.plottable(v)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  *any = lo <= hi;
  if (!*any) return axis;
  if (include_zero && !log) {
    lo = std::min(lo, 0.0);
    hi = std::max(hi, 0.0);
  }
  axis.ticks = log ? log_ticks(lo, hi) : nice_ticks(lo, hi, 7);
  if (axis.ticks.size() < 2) axis.ticks = {lo, hi};  // only for absurd ranges (~1e308)
  axis.lo = axis.ticks.front();
  axis.hi = axis.ticks.back();
  return axis;
}

std::string tick_label(double v, const Axis& axis) {
  if (!std::isfinite(v)) return "";
  if (axis.log) {
    double a = std::fabs(v);
    if (a >= 1e-3 && a < 1e5) return fmt::format("{:g}", v);
    int k = static_cast<int>(std::floor(std::log10(a) + 1e-9));
    double mantissa = std::round(v / std::pow(10.0, k) * 10) / 10;
    return mantissa == 1 ? fmt::format("1e{}", k) : fmt::format("{:g}e{}", mantissa, k);
  }
  double step = axis.ticks.size() >= 2 ? std::fabs(axis.ticks[1] - axis.ticks[0]) : std::fabs(v);
  double max_abs = std::max(std::fabs(axis.lo), std::fabs(axis.hi));
  // Large numbers: "20k", "1.5M" keep labels narrow.
  static const char* const kSuffixes[] = {"", "k", "M", "G", "T"};
  int group = 0;
  if (max_abs >= 1e4) group = std::min(4, static_cast<int>(std::floor(std::log10(max_abs) / 3)));
  double scale = std::pow(10.0, 3 * group);
  double scaled_step = step / scale;
  if (scaled_step > 0 && scaled_step < 1e-6) return fmt::format("{:.2e}", v);
  int decimals = scaled_step > 0 ? std::max(0, static_cast<int>(std::ceil(-std::log10(scaled_step) - 1e-9))) : 0;
  return fmt::format("{:.{}f}{}", v / scale + 0.0, decimals, kSuffixes[group]);
}

std::string svg_document(double width, double height, const std::string& title, const std::string& body) {
  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "role=\"img\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"{2}\">",
      px(width), px(height), px(kFontPx));
  out += "<title>" + escape_html(title.empty() ? "chart" : title) + "</title>";
  out += fmt::format("<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>", px(width), px(height));
  out += body;
  out += "</svg>";
  return out;
}

void text(std::string& out, double x, double y, std::string_view content, std::string_view attrs) {
  out += fmt::format("<text x=\"{}\" y=\"{}\"", px(x), px(y));
  if (!attrs.empty()) {
    out += ' ';
    out += attrs;
  }
  out += '>';
  out += escape_html(content);
  out += "</text>";
}

double title_block(std::string& out, const std::string& title, const std::string& subtitle) {
  double y = 24;
  text(out, kWidth / 2, y, fit_text(title, kWidth - 20, kTitleFontPx),
       fmt::format("text-anchor=\"middle\" font-size=\"{}\" font-weight=\"bold\"", px(kTitleFontPx)));
  if (!subtitle.empty()) {
    y += 17;
    text(out, kWidth / 2, y, fit_text(subtitle, kWidth - 20, 11),
         "text-anchor=\"middle\" font-size=\"11\" font-style=\"italic\" fill=\"#333333\"");
  }
  return y + 18;
}

void no_data(std::string& out, double x, double y, double w, double h) {
  out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#f6f6f6\" stroke=\"#999999\" "
                     "stroke-dasharray=\"4 3\"/>",
                     px(x), px(y), px(w), px(h));
  text(out, x + w / 2, y + h / 2 + 5, "no data",
       "text-anchor=\"middle\" font-size=\"14\" font-style=\"italic\" fill=\"#555555\"");
}

void x_axis(std::string& out, const Axis& axis, double y_axis, double y_top, const std::string& label) {
  for (double t : axis.ticks) {
    double x = axis.map(t);
    out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#e3e3e3\"/>", px(x), px(y_top),
                       px(y_axis));
    out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#000000\"/>", px(x), px(y_axis),
                       px(y_axis + 5));
    text(out, x, y_axis + 18, tick_label(t, axis), "text-anchor=\"middle\"");
  }
  out += fmt::format("<line x1=\"{0}\" y1=\"{2}\" x2=\"{1}\" y2=\"{2}\" stroke=\"#000000\"/>", px(axis.pix_lo),
                     px(axis.pix_hi), px(y_axis));
  if (!label.empty()) {
    double mid = (axis.pix_lo + axis.pix_hi) / 2;
    text(out, mid, y_axis + 38, fit_text(label, std::fabs(axis.pix_hi - axis.pix_lo)), "text-anchor=\"middle\"");
  }
}

void y_axis(std::string& out, const Axis& axis, double x_axis, double x_right, const std::string& label) {
  for (double t : axis.ticks) {
    double y = axis.map(t);
    out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#e3e3e3\"/>", px(x_axis), px(y),
                       px(x_right));
    out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#000000\"/>", px(x_axis - 5), px(y),
                       px(x_axis));
    text(out, x_axis - 8, y + 4, tick_label(t, axis), "text-anchor=\"end\"");
  }
  out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#000000\"/>", px(x_axis),
                     px(axis.pix_lo), px(axis.pix_hi));
  if (!label.empty()) {
    double mid = (axis.pix_lo + axis.pix_hi) / 2;
    text(out, 16, mid, fit_text(label, std::fabs(axis.pix_lo - axis.pix_hi)),
         fmt::format("text-anchor=\"middle\" transform=\"rotate(-90 16 {})\"", px(mid)));
  }
}

SeriesStyle series_style(size_t i) {
  static const char* const kColours[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"};
  static const char* const kDashes[] = {"", "7 4", "2 3", "9 3 2 3", "14 4", "4 2 1 2 1 2", "1 5"};
  const size_t n = 7;
  // Marker and dash advance together; after seven series, markers switch filled/hollow so
  // that series 0 and 7 still differ.
  return {kColours[i % n], kDashes[i % n], static_cast<int>(i % n), (i / n) % 2 == 0};
}

void marker(std::string& out, int shape, double x, double y, double r, const char* colour, bool filled) {
  std::string paint = filled ? fmt::format("fill=\"{0}\" stroke=\"{0}\"", colour)
                             : fmt::format("fill=\"#ffffff\" stroke=\"{}\" stroke-width=\"1.5\"", colour);
  switch (shape % 7) {
    case 0:
      out += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"{}\" {}/>", px(x), px(y), px(r), paint);
      break;
    case 1:
      out += fmt::format("<rect x=\"{0}\" y=\"{1}\" width=\"{2}\" height=\"{2}\" {3}/>", px(x - r * 0.9),
                         px(y - r * 0.9), px(r * 1.8), paint);
      break;
    case 2:
      out += fmt::format("<path d=\"M{} {}L{} {}L{} {}Z\" {}/>", px(x), px(y - r * 1.1), px(x + r), px(y + r * 0.8),
                         px(x - r), px(y + r * 0.8), paint);
      break;
    case 3:
      out += fmt::format("<path d=\"M{} {}L{} {}L{} {}L{} {}Z\" {}/>", px(x), px(y - r * 1.2), px(x + r), px(y),
                         px(x), px(y + r * 1.2), px(x - r), px(y), paint);
      break;
    case 4:
      out += fmt::format("<path d=\"M{} {}L{} {}L{} {}Z\" {}/>", px(x), px(y + r * 1.1), px(x + r), px(y - r * 0.8),
                         px(x - r), px(y - r * 0.8), paint);
      break;
    case 5:  // x-shaped cross: only a stroke, so "filled" draws it thicker
      out += fmt::format("<path d=\"M{0} {1}L{2} {3}M{0} {3}L{2} {1}\" fill=\"none\" stroke=\"{4}\" stroke-width=\"{5}\"/>",
                         px(x - r), px(y - r), px(x + r), px(y + r), colour, filled ? "2.5" : "1.5");
      break;
    default:  // plus
      out += fmt::format("<path d=\"M{0} {1}L{2} {1}M{3} {4}L{3} {5}\" fill=\"none\" stroke=\"{6}\" stroke-width=\"{7}\"/>",
                         px(x - r * 1.2), px(y), px(x + r * 1.2), px(x), px(y - r * 1.2), px(y + r * 1.2), colour,
                         filled ? "2.5" : "1.5");
      break;
  }
}

}  // namespace detail
}  // namespace report
}  // namespace powertrain
