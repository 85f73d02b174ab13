// The superconvergence study's section: the LR range test with the chosen max_lr, energy
// to the target of one-cycle (with and without the range test) and of a constant rate.
#include <cmath>

#include "report/studies/sections.h"

namespace powertrain {
namespace report {
namespace studies {

void superconvergence_section(Builder& b, const SuperconvergenceResult& r) {
  begin(b, r.header, r.runs.size());
  const LrFindRow& lf = r.lr_find;
  LineChart c;
  c.title = "LR range test";
  c.x_label = "learning rate";
  c.y_label = "smoothed training loss";
  c.log_x = true;
  Series s;
  s.name = "smoothed loss";
  s.x = lf.lr;
  s.y = lf.smoothed_loss;
  c.series.push_back(s);
  if (std::isfinite(r.max_lr) && r.max_lr > 0) c.vlines.push_back({r.max_lr, "max_lr " + parts::short_number(r.max_lr)});
  b.doc().heading("Learning-rate range test");
  b.doc().chart(svg(c), "Smoothed loss while the learning rate grows exponentially; the chosen max_lr (" + parts::short_number(r.max_lr) +
                            ", steepest descent) is marked. The test used " + energy_text(lf.energy_j, origin_of(lf.energy_provenance)) +
                            ".");
  BarChart bars;
  bars.title = "Energy to the target accuracy";
  bars.value_label = "energy to target (J)";
  for (const auto& x : r.summary) {
    const Origin so = origin_of(x.stats.energy_provenance);
    const double v = x.target.energy_to_target_j.mean;
    bars.labels.push_back(x.variant == "one_cycle" ? "one-cycle" : x.variant);
    bars.values.push_back(v);
    bars.value_text.push_back(format_energy_j(v));
    bars.origins.push_back(std::isfinite(v) ? so : Origin::missing);
    // Only one-cycle adds the range test; the constant rate's value would repeat its bar.
    const double w = x.energy_to_target_with_lr_find_j;
    if (x.variant == "one_cycle" && std::isfinite(w)) {
      bars.labels.push_back(x.variant + " + range test");
      bars.values.push_back(w);
      bars.value_text.push_back(format_energy_j(w));
      bars.origins.push_back(so);
    }
  }
  b.doc().heading("One-cycle against a constant learning rate");
  b.doc().chart(svg(bars), "Energy to reach validation accuracy " + format_number(r.target_val_accuracy, 4) + " (" +
                               (r.target_source.empty() ? "n/a" : r.target_source) + "), AdamW one-cycle vs constant.");
  Table t;
  t.title = "Variants (mean ± std over seeds)";
  t.columns = {"variant", "epochs to target", "energy to target", "with range test", "energy/epoch", "total energy", "best val acc"};
  t.numeric = {false, true, true, true, true, true, true};
  for (const auto& x : r.summary) {
    const Origin so = origin_of(x.stats.energy_provenance);
    t.rows.push_back({x.variant, to_target_text(x.target.epochs_to_target, x.target, x.stats.runs, epochs_text, Origin::measured),
                      to_target_text(x.target.energy_to_target_j, x.target, x.stats.runs, format_energy_j, so),
                      energy_text(x.energy_to_target_with_lr_find_j, so), plus_minus(x.stats.energy_per_epoch_j, format_energy_j, so),
                      plus_minus(x.stats.energy_j, format_energy_j, so), plus_minus(x.stats.best_val_accuracy, number_text)});
  }
  b.table(t, true);

  std::vector<RunLine> lines;
  for (const auto& x : r.runs) lines.push_back({{x.variant, parts::short_number(x.lr), std::to_string(x.seed)}, &x.run});
  runs_section(b, {"variant", "peak lr", "seed"}, {false, true, true}, lines);
}

}  // namespace studies
}  // namespace report
}  // namespace powertrain
