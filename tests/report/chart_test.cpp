// Tests for report/chart.h: every chart is well-formed SVG, free of NaN/inf, prints its
// values as text, escapes its labels and survives empty input.
#include "powertrain/report/chart.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

#include "xml_check.h"

namespace powertrain {
namespace report {
namespace {

using testing::has_nan_or_inf;
using testing::xml_error;

const double kInf = std::numeric_limits<double>::infinity();

// Every SVG must pass these: one well-formed <svg> element with a viewBox and no NaN/inf.
void expect_clean_svg(const std::string& s) {
  EXPECT_EQ(xml_error(s), "") << s;
  EXPECT_EQ(s.rfind("<svg ", 0), 0u);
  EXPECT_NE(s.find("viewBox=\"0 0 "), std::string::npos);
  EXPECT_FALSE(has_nan_or_inf(s)) << s;
  // Stricter still: the charts' own words never contain the letters either.
  std::string lower;
  for (char ch : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  EXPECT_EQ(lower.find("nan"), std::string::npos);
  EXPECT_EQ(lower.find("inf"), std::string::npos);
}

// Returns true when `text` is the whole content of some <text> element.
bool has_text(const std::string& svg_text, const std::string& text) {
  return svg_text.find(">" + text + "</text>") != std::string::npos;
}

void expect_near_all(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-9 * std::max(1.0, std::fabs(want[i])));
}

TEST(NiceTicks, OneTwoFiveSteps) {
  expect_near_all(nice_ticks(0, 97), {0, 20, 40, 60, 80, 100});
  expect_near_all(nice_ticks(0.1, 0.97), {0, 0.2, 0.4, 0.6, 0.8, 1.0});
  expect_near_all(nice_ticks(-3, 7), {-5, 0, 5, 10});  // steps of 2 would need 7 ticks
  expect_near_all(nice_ticks(-3, 7, 7), {-4, -2, 0, 2, 4, 6, 8});
  expect_near_all(nice_ticks(0, 120, 7), {0, 20, 40, 60, 80, 100, 120});
  expect_near_all(nice_ticks(0.0, 0.3, 4), {0, 0.1, 0.2, 0.3});
  expect_near_all(nice_ticks(0, 60), {0, 20, 40, 60});  // no extra tick past an exact end
  expect_near_all(nice_ticks(1200, 4900), {1000, 2000, 3000, 4000, 5000});
}

TEST(NiceTicks, DegenerateRanges) {
  std::vector<double> one = nice_ticks(5, 5);
  ASSERT_GE(one.size(), 2u);
  EXPECT_LT(one.front(), 5);
  EXPECT_GT(one.back(), 5);
  EXPECT_TRUE(nice_ticks(NAN, 1).empty());
  EXPECT_TRUE(nice_ticks(0, kInf).empty());
  expect_near_all(nice_ticks(97, 0), {0, 20, 40, 60, 80, 100});  // reversed bounds
}

TEST(LogTicks, Decades) {
  expect_near_all(log_ticks(3, 2000), {1, 10, 100, 1000, 10000});
  expect_near_all(log_ticks(10, 1000), {10, 100, 1000});
  expect_near_all(log_ticks(2, 8), {1, 2, 5, 10});  // within one decade: 1-2-5
  std::vector<double> wide = log_ticks(1e-3, 1e20);
  EXPECT_LE(wide.size(), 10u);  // every third decade, not 24 labels
  EXPECT_LE(wide.front(), 1e-3);
  EXPECT_GE(wide.back(), 1e20);
  EXPECT_TRUE(log_ticks(0, 10).empty());
  EXPECT_TRUE(log_ticks(-1, 10).empty());
  EXPECT_TRUE(log_ticks(1, NAN).empty());
}

LineChart sample_line_chart() {
  LineChart c;
  c.title = "GPU power";
  c.x_label = "time (s)";
  c.y_label = "power (W)";
  c.series.push_back({"gpu:0", {0, 1, 2, 3, 4}, {10, 40, 97, 60, 20}});
  c.series.push_back({"cpu_package:0", {0, 1, 2, 3, 4}, {5, 6, 7, 8, 9}});
  c.series.push_back({"cpu_estimate", {0, 1, 2, 3, 4}, {3, 3, 4, 4, 4}, Origin::estimated});
  return c;
}

TEST(LineChart, RendersAxesTicksLegend) {
  LineChart c = sample_line_chart();
  std::string s = svg(c);
  expect_clean_svg(s);
  EXPECT_TRUE(has_text(s, "GPU power"));
  EXPECT_TRUE(has_text(s, "time (s)"));
  EXPECT_TRUE(has_text(s, "power (W)"));
  // y spans 3..97: ticks 0, 20, ..., 100.
  EXPECT_TRUE(has_text(s, "0"));
  EXPECT_TRUE(has_text(s, "100"));
  EXPECT_TRUE(has_text(s, "gpu:0"));
  EXPECT_TRUE(has_text(s, "cpu_estimate (estimated)"));  // provenance in the legend
  // Series differ without colour: solid, dashed and dotted lines.
  EXPECT_NE(s.find("stroke-dasharray=\"7 4\""), std::string::npos);
  EXPECT_NE(s.find("stroke-dasharray=\"2 3\""), std::string::npos);
}

TEST(LineChart, NanAndInfAreGapsNotText) {
  LineChart c = sample_line_chart();
  c.series[0].y[2] = NAN;
  c.series[1].y[1] = kInf;
  c.series[1].x[3] = -kInf;
  c.vlines.push_back({NAN, "nowhere"});
  std::string s = svg(c);
  expect_clean_svg(s);
  // Series 0 breaks at the NaN: its path has two subpaths.
  size_t p = s.find("<path d=\"M");
  ASSERT_NE(p, std::string::npos);
  std::string d = s.substr(p, s.find('"', p + 9) - p);
  EXPECT_EQ(std::count(d.begin(), d.end(), 'M'), 2) << d;
}

TEST(LineChart, ReferenceLinesAndLogAxes) {
  LineChart c;
  c.title = "Break-even";
  c.x_label = "downstream trainings";
  c.y_label = "energy (J)";
  c.log_y = true;
  c.series.push_back({"pretrained", {1, 2, 5, 10, 20}, {0, 300, 1500, 3000, 6000}});  // 0 is not drawable on log
  c.vlines.push_back({13, "pays back after 13"});
  std::string s = svg(c);
  expect_clean_svg(s);
  EXPECT_TRUE(has_text(s, "pays back after 13"));
  EXPECT_TRUE(has_text(s, "100"));
  EXPECT_TRUE(has_text(s, "10000"));
}

TEST(LineChart, LargeValuesGetShortTickLabels) {
  LineChart c;
  c.series.push_back({"e", {0, 1}, {0, 48000}});
  std::string s = svg(c);
  expect_clean_svg(s);
  EXPECT_TRUE(has_text(s, "50k"));
}

TEST(LineChart, EmptyInputsSayNoData) {
  LineChart none;
  none.title = "empty";
  std::string s = svg(none);
  expect_clean_svg(s);
  EXPECT_TRUE(has_text(s, "no data"));

  LineChart missing;
  missing.series.push_back({"all missing", {NAN, 1}, {2, kInf}});
  missing.vlines.push_back({1, "line"});
  s = svg(missing);
  expect_clean_svg(s);
  EXPECT_TRUE(has_text(s, "no data"));

  LineChart log_nonpositive;
  log_nonpositive.log_x = true;
  log_nonpositive.series.push_back({"s", {0, -1}, {1, 2}});
  s = svg(log_nonpositive);
  expect_clean_svg(s);
  EXPECT_TRUE(has_text(s, "no data"));
}

TEST(LineChart, SinglePointAndManySeries) {
  LineChart c;
  for (int i = 0; i < 16; ++i) c.series.push_back({"s" + std::to_string(i), {1.0}, {2.0}});
  std::string s = svg(c);
  expect_clean_svg(s);
  EXPECT_TRUE(has_text(s, "s15"));
}

TEST(Charts, EscapeTitlesAndLabels) {
  const std::string evil = "<script>alert('x')</script> & \"q\"";
  const std::string escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;";
  LineChart l = sample_line_chart();
  l.title = evil;
  l.x_label = evil;
  l.series[0].name = evil;
  l.vlines.push_back({2, evil});
  BarChart b;
  b.title = evil;
  b.labels = {evil};
  b.values = {1};
  b.value_text = {evil};
  Heatmap h;
  h.title = evil;
  h.rows = {evil};
  h.cols = {evil};
  h.values = {1};
  h.unit = evil;
  ScatterChart sc;
  sc.title = evil;
  sc.points = {{1, 2, evil, true}, {2, 1, evil, false}};
  for (const std::string& s : {svg(l), svg(b), svg(h), svg(sc)}) {
    EXPECT_EQ(xml_error(s), "") << s;
    EXPECT_EQ(s.find("<script"), std::string::npos);
    EXPECT_NE(s.find("&lt;script&gt;"), std::string::npos);
    EXPECT_NE(s.find("&amp;"), std::string::npos);
  }
  EXPECT_TRUE(has_text(svg(b), escaped));
}

TEST(BarChart, ValuesArePrintedOnBars) {
  BarChart c;
  c.title = "Energy per layer type";
  c.value_label = "energy (J)";
  c.labels = {"conv", "linear", "batch norm", "other"};
  c.values = {100, 45.5, NAN, -3};
  c.origins = {Origin::measured, Origin::estimated};
  std::string s = svg(c);
  expect_clean_svg(s);
  EXPECT_TRUE(has_text(s, "100"));
  EXPECT_TRUE(has_text(s, "45.5 (est.)"));
  EXPECT_TRUE(has_text(s, "n/a"));
  EXPECT_TRUE(has_text(s, "-3.00"));
  EXPECT_TRUE(has_text(s, "batch norm"));
  EXPECT_TRUE(has_text(s, "energy (J)"));
  // Three bars drawn: the missing value has none.
  size_t bars = 0;
  for (size_t p = s.find("fill=\"#7f9cc6\""); p != std::string::npos; p = s.find("fill=\"#7f9cc6\"", p + 1)) ++bars;
  EXPECT_EQ(bars, 3u);
}

TEST(BarChart, CustomTextAndVertical) {
  BarChart c;
  c.title = "Total energy, % of the worst setup";
  c.value_label = "% of worst";
  c.labels = {"64 / 0.1", "256 / 0.01", "1024 / 0.001", "4096 / 0.0001"};
  c.values = {100, 41.2, 20.1, NAN};
  c.value_text = {"100%", "41.2%", "", "ignored"};
  c.origins = {Origin::measured, Origin::simulated};
  for (bool horizontal : {true, false}) {
    c.horizontal = horizontal;
    std::string s = svg(c);
    expect_clean_svg(s);
    EXPECT_TRUE(has_text(s, "100%"));
    EXPECT_TRUE(has_text(s, "41.2% (sim.)"));  // provenance follows the caller's text too
    EXPECT_TRUE(has_text(s, "20.1"));  // empty text: the formatted value
    EXPECT_TRUE(has_text(s, "n/a"));   // a missing value is n/a whatever the text says
    EXPECT_FALSE(has_text(s, "ignored"));
  }
}

TEST(BarChart, EmptyAndAllMissing) {
  BarChart none;
  std::string s = svg(none);
  expect_clean_svg(s);
  EXPECT_TRUE(has_text(s, "no data"));
  BarChart missing;
  missing.labels = {"a", "b"};
  missing.values = {NAN, kInf};
  for (bool horizontal : {true, false}) {
    missing.horizontal = horizontal;
    s = svg(missing);
    expect_clean_svg(s);
    EXPECT_TRUE(has_text(s, "n/a"));
  }
}

// Average energy per epoch (mWh), PAMAP2 on CUDA (research.md section 1); one cell missing.
Heatmap pamap2() {
  Heatmap h;
  h.title = "Energy per epoch, PAMAP2";
  h.row_label = "batch size";
  h.col_label = "learning rate";
  h.rows = {"64", "256", "1024", "4096"};
  h.cols = {"0.1", "0.01", "0.001", "0.0001"};
  h.values = {109.63, 110.42, 107.50, 108.37, 42.34, 40.20, 40.19, 38.41,
              30.84,  30.97,  30.87,  30.81,  38.57, 37.13, NAN,   38.22};
  h.unit = "mWh";
  return h;
}

TEST(Heatmap, CellsShowValuesAndShade) {
  Heatmap h = pamap2();
  std::string s = svg(h);
  expect_clean_svg(s);
  EXPECT_TRUE(has_text(s, "109.6"));
  EXPECT_TRUE(has_text(s, "30.81"));
  EXPECT_TRUE(has_text(s, "n/a"));
  EXPECT_TRUE(has_text(s, "batch size"));
  EXPECT_TRUE(has_text(s, "learning rate"));
  EXPECT_TRUE(has_text(s, "values in mWh"));
  // Darkest fill for the highest value, lightest for the lowest; the lowest is framed.
  EXPECT_NE(s.find("fill=\"#1f3f6e\""), std::string::npos);
  EXPECT_NE(s.find("fill=\"#eef3fa\""), std::string::npos);
  EXPECT_NE(s.find("stroke-width=\"3\""), std::string::npos);
  EXPECT_NE(s.find("thick frame = lowest"), std::string::npos);
}

TEST(Heatmap, CellTextAndOrigin) {
  Heatmap h = pamap2();
  h.cell_text.assign(16, "");
  h.cell_text[0] = "110 mWh*";
  h.origin = Origin::simulated;
  std::string s = svg(h);
  expect_clean_svg(s);
  EXPECT_TRUE(has_text(s, "110 mWh*"));
  EXPECT_TRUE(has_text(s, "values in mWh; simulated values"));
}

TEST(Heatmap, EmptyShortAndAllMissing) {
  Heatmap none;
  std::string s = svg(none);
  expect_clean_svg(s);
  EXPECT_TRUE(has_text(s, "no data"));
  Heatmap short_values = pamap2();
  short_values.values.resize(3);  // the rest is missing
  s = svg(short_values);
  expect_clean_svg(s);
  EXPECT_TRUE(has_text(s, "n/a"));
  Heatmap missing = pamap2();
  missing.values.assign(16, NAN);
  s = svg(missing);
  expect_clean_svg(s);
  EXPECT_TRUE(has_text(s, "no values"));
}

TEST(ScatterChart, FrontHighlightedAndConnected) {
  ScatterChart c;
  c.title = "Energy vs time to accuracy";
  c.x_label = "time (s)";
  c.y_label = "energy (kJ)";
  c.points = {{100, 50, "bs 64", false}, {80, 30, "bs 1024", true}, {120, 20, "bs 4096", true},
              {90, 60, "bs 256", false}, {NAN, 10, "broken", true},  {60, 45, "bs 512", true}};
  std::string s = svg(c);
  expect_clean_svg(s);
  EXPECT_TRUE(has_text(s, "bs 1024"));
  EXPECT_TRUE(has_text(s, "bs 512"));
  EXPECT_FALSE(has_text(s, "broken"));
  EXPECT_NE(s.find("<title>bs 64 (100, 50.0)</title>"), std::string::npos);  // tooltip
  EXPECT_TRUE(has_text(s, "trial"));
  EXPECT_TRUE(has_text(s, "Pareto front"));
  // The front is joined in order of x: 60, 80, 120.
  size_t p = s.find("<path d=\"M");
  ASSERT_NE(p, std::string::npos);
  std::string d = s.substr(p, s.find('"', p + 9) - p);
  EXPECT_EQ(std::count(d.begin(), d.end(), 'L'), 2) << d;
}

TEST(ScatterChart, EmptySaysNoData) {
  ScatterChart c;
  std::string s = svg(c);
  expect_clean_svg(s);
  EXPECT_TRUE(has_text(s, "no data"));
  c.points = {{NAN, NAN, "", false}};
  s = svg(c);
  expect_clean_svg(s);
  EXPECT_TRUE(has_text(s, "no data"));
}

}  // namespace
}  // namespace report
}  // namespace powertrain
