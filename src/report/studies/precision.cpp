// The precision study's section: energy per epoch and to the target per precision, the
// precisions against fp32 with the accuracy-loss flag, and what was skipped.
#include <cmath>

#include <fmt/format.h>

#include "report/studies/sections.h"

namespace powertrain {
namespace report {
namespace studies {

void precision_section(Builder& b, const PrecisionResult& r) {
  begin(b, r.header, r.runs.size());
  std::vector<std::string> labels;
  std::vector<Stat> per_epoch, to_target;
  std::vector<Origin> origins;
  for (const auto& s : r.summary) {
    labels.push_back(s.precision);
    per_epoch.push_back(s.stats.energy_per_epoch_j);
    to_target.push_back(s.target.energy_to_target_j);
    origins.push_back(origin_of(s.stats.energy_provenance));
  }
  b.doc().heading("Energy per precision");
  b.doc().chart(svg(stat_bars("Energy per epoch", "energy per epoch (J)", labels, per_epoch, origins, true)),
                "Mean energy per epoch of each precision (± sample standard deviation over seeds).");
  b.doc().chart(svg(stat_bars("Energy to the target accuracy", "energy to target (J)", labels, to_target, origins, true)),
                "Cumulative epoch energy up to the first epoch that reaches the target validation accuracy " +
                    format_number(r.target_val_accuracy, 4) + " (" + (r.target_source.empty() ? "n/a" : r.target_source) + ").");
  Table t;
  t.title = "Precisions (mean ± std over seeds)";
  t.columns = {"precision", "runs", "best val acc", "change vs fp32", "accuracy", "time/epoch", "power", "energy/epoch",
               "epochs to target", "energy to target", "speedup vs fp32", "energy/epoch vs fp32", "energy to target vs fp32"};
  t.numeric = {false, true, true, true, false, true, true, true, true, true, true, true, true};
  auto ratio = [](double v) { return std::isfinite(v) ? format_number(v, 3) + "x" : std::string("n/a"); };
  for (const auto& s : r.summary) {
    const Origin o = origin_of(s.stats.energy_provenance);
    const double change = s.accuracy_change_vs_fp32;
    t.rows.push_back({s.precision, std::to_string(s.stats.runs), plus_minus(s.stats.best_val_accuracy, number_text),
                      std::isfinite(change) ? fmt::format("{:+.2f} points", 100.0 * change) : "n/a",
                      !s.accuracy_loss_flag ? "n/a" : *s.accuracy_loss_flag ? "LOSS" : "ok",
                      plus_minus(s.stats.duration_per_epoch_s, format_duration_s), format_power_w(s.stats.avg_power_w.mean),
                      plus_minus(s.stats.energy_per_epoch_j, format_energy_j, o),
                      to_target_text(s.target.epochs_to_target, s.target, s.stats.runs, epochs_text, Origin::measured),
                      to_target_text(s.target.energy_to_target_j, s.target, s.stats.runs, format_energy_j, o),
                      ratio(s.speedup_vs_fp32), ratio(s.energy_per_epoch_ratio_vs_fp32), ratio(s.energy_to_target_ratio_vs_fp32)});
  }
  t.note = "LOSS: the mean best validation accuracy is more than the tolerance below fp32's; confirm with fp32 before release.";
  b.table(t, true);
  for (const auto& s : r.skipped) b.doc().paragraph("Skipped " + s.precision + ": " + (s.reason.empty() ? "no reason given" : s.reason));

  std::vector<RunLine> lines;
  for (const auto& x : r.runs) lines.push_back({{x.precision, std::to_string(x.seed)}, &x.run});
  runs_section(b, {"precision", "seed"}, {false, true}, lines);
}

}  // namespace studies
}  // namespace report
}  // namespace powertrain
