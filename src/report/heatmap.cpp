// Heatmaps: a value per cell, printed in the cell and shaded light (low) to dark (high) in
// one hue, so the order survives black-and-white printing.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "powertrain/report/chart.h"
#include "report/svg_util.h"

namespace powertrain {
namespace report {

using detail::px;

namespace {

// Returns the fill for shade t in [0, 1]: from near-white blue to dark blue. The two ends
// differ by about 70% in lightness, which a greyscale printer keeps.
std::string shade(double t) {
  const int light[3] = {0xEE, 0xF3, 0xFA};
  const int dark[3] = {0x1F, 0x3F, 0x6E};
  t = std::clamp(t, 0.0, 1.0);
  int rgb[3];
  for (int k = 0; k < 3; ++k) rgb[k] = static_cast<int>(std::lround(light[k] + (dark[k] - light[k]) * t));
  return fmt::format("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2]);
}

}  // namespace

std::string svg(const Heatmap& c) {
  std::string subtitle = c.unit.empty() ? "" : "values in " + c.unit;
  if (c.origin != Origin::measured) {
    subtitle += fmt::format("{}{} values", subtitle.empty() ? "" : "; ", origin_name(c.origin));
  }
  std::string body;
  double top = detail::title_block(body, c.title, subtitle);
  const size_t nr = c.rows.size(), nc = c.cols.size();
  if (nr == 0 || nc == 0) {
    detail::no_data(body, 40, top, detail::kWidth - 80, 120);
    return detail::svg_document(detail::kWidth, top + 140, c.title, body);
  }

  auto value_at = [&](size_t i) { return i < c.values.size() ? c.values[i] : NAN; };
  double lo = INFINITY, hi = -INFINITY;
  size_t min_index = nr * nc;
  for (size_t i = 0; i < nr * nc; ++i) {
    double v = value_at(i);
    if (!std::isfinite(v)) continue;
    if (v < lo) min_index = i;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }

  double row_name_w = 30;
  for (const auto& r : c.rows) row_name_w = std::max(row_name_w, detail::text_width_px(r) + 12);
  row_name_w = std::min(row_name_w, 160.0);
  double left = (c.row_label.empty() ? 12 : 30) + row_name_w;
  const double cell_h = 32;
  double cell_w = std::clamp((detail::kWidth - left - 16) / nc, 44.0, 110.0);
  double grid_w = cell_w * nc;
  double width = std::max(detail::kWidth, left + grid_w + 16);
  // A narrow grid sits in the middle, under the centred title, not against the left edge.
  left += std::max(0.0, (width - (left + grid_w + 16)) / 2);
  const double row_label_x = left - row_name_w - 14;
  double grid_top = top + (c.col_label.empty() ? 14 : 30);
  double grid_bottom = grid_top + cell_h * nr;

  if (!c.col_label.empty()) {
    detail::text(body, left + grid_w / 2, top + 4, detail::fit_text(c.col_label, grid_w), "text-anchor=\"middle\"");
  }
  for (size_t j = 0; j < nc; ++j) {
    detail::text(body, left + cell_w * (j + 0.5), grid_top - 6, detail::fit_text(c.cols[j], cell_w - 4),
                 "text-anchor=\"middle\" font-weight=\"bold\"");
  }
  if (!c.row_label.empty()) {
    double mid = (grid_top + grid_bottom) / 2;
    detail::text(body, row_label_x, mid, detail::fit_text(c.row_label, grid_bottom - grid_top + 40),
                 fmt::format("text-anchor=\"middle\" transform=\"rotate(-90 {} {})\"", px(row_label_x), px(mid)));
  }
  for (size_t r = 0; r < nr; ++r) {
    double y = grid_top + cell_h * r;
    detail::text(body, left - 8, y + cell_h / 2 + 4, detail::fit_text(c.rows[r], row_name_w - 12),
                 "text-anchor=\"end\" font-weight=\"bold\"");
    for (size_t j = 0; j < nc; ++j) {
      size_t i = r * nc + j;
      double x = left + cell_w * j;
      double v = value_at(i);
      std::string label = i < c.cell_text.size() ? c.cell_text[i] : "";
      if (label.empty() || !std::isfinite(v)) label = format_number(v, 4);
      if (std::isfinite(v)) {
        double t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
        body += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" stroke=\"#ffffff\"/>",
                            px(x), px(y), px(cell_w), px(cell_h), shade(t));
        detail::text(body, x + cell_w / 2, y + cell_h / 2 + 4, detail::fit_text(label, cell_w - 6),
                     fmt::format("text-anchor=\"middle\" fill=\"{}\"", t > 0.5 ? "#ffffff" : "#000000"));
      } else {
        body += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#f4f4f4\" stroke=\"#cccccc\"/>",
                            px(x), px(y), px(cell_w), px(cell_h));
        detail::text(body, x + cell_w / 2, y + cell_h / 2 + 4, label,
                     "text-anchor=\"middle\" font-style=\"italic\" fill=\"#555555\"");
      }
    }
  }
  bool framed = c.outline_min && min_index < nr * nc;
  if (framed) {
    double x = left + cell_w * (min_index % nc), y = grid_top + cell_h * (min_index / nc);
    body += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#000000\" "
                        "stroke-width=\"3\"/>",
                        px(x + 1.5), px(y + 1.5), px(cell_w - 3), px(cell_h - 3));
  }

  // Scale: five swatches from light to dark, then what they mean in words and numbers.
  double scale_y = grid_bottom + 16;
  for (int k = 0; k < 5; ++k) {
    body += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"22\" height=\"12\" fill=\"{}\" stroke=\"#999999\"/>",
                        px(left + 22 * k), px(scale_y), shade(k / 4.0));
  }
  std::string unit = c.unit.empty() ? "" : " " + c.unit;
  std::string legend = lo <= hi ? fmt::format("light = low ({}{}), dark = high ({}{})", format_number(lo, 4), unit,
                                              format_number(hi, 4), unit)
                                : std::string("no values");
  detail::text(body, left + 22 * 5 + 8, scale_y + 10, detail::fit_text(legend, width - left - 130, 11),
               "font-size=\"11\"");
  double bottom = scale_y + 24;
  if (framed) {
    // The frame explained on its own line, with a framed swatch as its key.
    body += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"22\" height=\"12\" fill=\"#ffffff\" stroke=\"#000000\" "
                        "stroke-width=\"3\"/>",
                        px(left + 1.5), px(bottom - 4.5));
    detail::text(body, left + 22 * 5 + 8, bottom + 6, "thick frame = lowest value", "font-size=\"11\"");
    bottom += 20;
  }
  return detail::svg_document(width, bottom, c.title, body);
}

}  // namespace report
}  // namespace powertrain
