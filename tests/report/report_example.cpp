// Writes an example report with every chart type (default /tmp/report_example.html) and
// prints its table to the terminal: a page to look at when changing the report module.
// Data: PAMAP2 energy per epoch from research.md section 1; the rest is made up.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "powertrain/report/chart.h"
#include "powertrain/report/document.h"
#include "powertrain/report/format.h"

using namespace powertrain::report;

int main(int argc, char** argv) {
  std::string path = argc > 1 ? argv[1] : "/tmp/report_example.html";
  Document doc("Batch size x learning rate: PAMAP2 on CUDA");
  doc.facts({{"machine", "RTX 6000 Ada (example)"}, {"date", "2024-05-01"}, {"energy source", "NVML counter"}});
  doc.paragraph("Batch size sets the energy per epoch; the learning rate sets how many epochs training needs.");

  Heatmap h;
  h.title = "Average energy per epoch";
  h.row_label = "batch size";
  h.col_label = "learning rate";
  h.rows = {"64", "256", "1024", "4096"};
  h.cols = {"0.1", "0.01", "0.001", "0.0001"};
  h.values = {109.63, 110.42, 107.50, 108.37, 42.34, 40.20, 40.19, 38.41,
              30.84,  30.97,  30.87,  30.81,  38.57, 37.13, NAN,   38.22};
  h.unit = "mWh";
  doc.heading("Energy per epoch");
  doc.chart(svg(h), "Energy per epoch for each setup; one run failed (n/a).");

  // Made-up epochs to early stopping, to turn energy per epoch into total energy.
  const int epochs[16] = {40, 22, 25, 60, 50, 18, 20, 70, 55, 24, 21, 80, 60, 30, 0, 90};
  BarChart bars;
  bars.title = "Total energy as a percentage of the worst setup";
  bars.value_label = "% of the worst setup's energy";
  Table t;
  t.title = "Total training energy per setup";
  t.columns = {"batch size", "learning rate", "epochs", "energy", "% of worst", "provenance"};
  t.numeric = {true, true, true, true, true, false};
  double worst_j = 0;
  std::vector<double> totals_j;
  for (int i = 0; i < 16; ++i) {
    double total_j = std::isfinite(h.values[i]) ? h.values[i] * 3.6 * epochs[i] : NAN;  // mWh -> J
    totals_j.push_back(total_j);
    if (std::isfinite(total_j)) worst_j = std::max(worst_j, total_j);
  }
  for (int i = 0; i < 16; ++i) {
    double percent = totals_j[i] / worst_j * 100;
    bars.labels.push_back(h.rows[i / 4] + " / " + h.cols[i % 4]);
    bars.values.push_back(percent);
    bars.value_text.push_back(format_percent(percent));
    Origin origin = std::isfinite(totals_j[i]) ? (i % 4 == 3 ? Origin::estimated : Origin::measured) : Origin::missing;
    bars.origins.push_back(origin);
    t.rows.push_back({h.rows[i / 4], h.cols[i % 4], std::to_string(epochs[i]),
                      with_origin(format_energy_j(totals_j[i]), origin), format_percent(percent), origin_name(origin)});
  }
  t.note = "(est.) = estimated from the energy per epoch of a partial run.";
  doc.heading("Total energy");
  doc.chart(svg(bars), "Each setup's total energy relative to the worst one.");
  doc.table(t);

  LineChart power;
  power.title = "GPU and CPU power during training";
  power.x_label = "time (s)";
  power.y_label = "power (W)";
  Series gpu{"gpu:0", {}, {}}, cpu{"cpu_package:0", {}, {}}, est{"cpu_estimate", {}, {}, Origin::estimated};
  for (int i = 0; i <= 120; ++i) {
    double s = i;
    gpu.x.push_back(s);
    gpu.y.push_back(i < 5 ? 60 : 230 + 25 * std::sin(s / 3) + (i % 30 < 3 ? -120 : 0));
    cpu.x.push_back(s);
    cpu.y.push_back(i == 60 ? NAN : 45 + 8 * std::cos(s / 5));
    est.x.push_back(s);
    est.y.push_back(52);
  }
  power.series = {gpu, cpu, est};
  power.vlines = {{30, "epoch 1 ends"}, {60, "epoch 2 ends"}, {90, "epoch 3 ends"}};
  doc.heading("Power");
  doc.chart(svg(power), "Power of each component; dips are validation passes.");

  LineChart breakeven;
  breakeven.title = "Pretraining pays back after 8 downstream trainings";
  breakeven.x_label = "downstream trainings";
  breakeven.y_label = "cumulative energy (Wh)";
  Series with{"pretrain once, then freeze", {}, {}}, without{"train from scratch each time", {}, {}};
  for (int x = 1; x <= 20; ++x) {
    with.x.push_back(x);
    with.y.push_back(10 + 1.64 * x);
    without.x.push_back(x);
    without.y.push_back(2.9 * x);
  }
  breakeven.series = {with, without};
  breakeven.y_from_zero = true;
  breakeven.vlines = {{7.94, "break-even: 7.9 trainings"}};
  doc.chart(svg(breakeven), "Cumulative energy with and without a pretrained encoder.");

  ScatterChart pareto;
  pareto.title = "Energy vs time to target accuracy";
  pareto.x_label = "time to target (s)";
  pareto.y_label = "energy to target (kJ)";
  pareto.origin = Origin::simulated;
  pareto.points = {{300, 95, "bs 64, lr 0.01", false}, {210, 70, "bs 256, lr 0.01", true},
                   {260, 60, "bs 1024, lr 0.01", true}, {420, 52, "bs 4096, lr 0.001", true},
                   {500, 80, "", false},            {350, 75, "", false},
                   {180, 110, "bs 128, lr 0.1", true},  {450, 66, "", false}};
  doc.heading("Tuning", 2);
  doc.chart(svg(pareto), "All trials; the Pareto front (no trial is both faster and cheaper) is joined.");

  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << doc.html();
  if (!f) {
    std::cerr << "cannot write " << path << "\n";
    return 1;
  }
  std::cout << text_table(t) << "\nwrote " << path << "\n";
  return 0;
}
