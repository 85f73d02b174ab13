// The multitask study's section: energy per epoch and epochs per variant, separate
// training against one multitask model.
#include <cmath>

#include "report/studies/sections.h"

namespace powertrain {
namespace report {
namespace studies {

void multitask_section(Builder& b, const MultitaskResult& r) {
  begin(b, r.header, r.runs.size());
  const Origin o = origin_of(r.header.energy_provenance);
  std::vector<std::string> labels;
  std::vector<Stat> per_epoch, epochs;
  std::vector<Origin> origins;
  for (const auto& s : r.summary) {
    labels.push_back(s.variant);
    per_epoch.push_back(s.stats.energy_per_epoch_j);
    epochs.push_back(s.stats.epochs);
    origins.push_back(origin_of(s.stats.energy_provenance));
  }
  b.doc().heading("Variants");
  b.doc().chart(svg(stat_bars("Energy per epoch", "energy per epoch (J)", labels, per_epoch, origins, true)),
                "Mean energy per epoch: main task alone, auxiliary task alone, both with a shared encoder.");
  b.doc().chart(svg(stat_bars("Epochs to convergence", "epochs", labels, epochs, origins, false)),
                "Epochs until early stopping on the validation loss.");
  const MultitaskComparison& cmp = r.comparison;
  Table c;
  c.title = "Separate training against one multitask model";
  c.columns = {"quantity", "value"};
  c.numeric = {false, true};
  c.rows = {{"main + auxiliary trained separately", energy_text(cmp.separate_total_energy_j, o)},
            {"multitask model", energy_text(cmp.multitask_energy_j, o)},
            {"saving vs separate", format_percent(100.0 * cmp.saving_fraction_vs_separate)},
            {"cheaper than separate", cmp.cheaper_than_separate ? "yes" : "no"},
            {"cheaper than each alone", cmp.cheaper_than_each_alone ? "yes" : "no"}};
  Table s;
  s.title = "Variants (mean ± std over seeds)";
  s.columns = {"variant", "energy/epoch", "epochs", "energy", "main val acc", "aux val acc"};
  s.numeric = {false, true, true, true, true, true};
  for (const auto& x : r.summary) {
    const Origin so = origin_of(x.stats.energy_provenance);
    s.rows.push_back({x.variant, plus_minus(x.stats.energy_per_epoch_j, format_energy_j, so), plus_minus(x.stats.epochs, epochs_text),
                      plus_minus(x.stats.energy_j, format_energy_j, so), number_text(x.main_task_val_accuracy),
                      number_text(x.aux_task_val_accuracy)});
  }
  b.table(s, true);
  b.table(c);

  std::vector<RunLine> lines;
  for (const auto& x : r.runs) lines.push_back({{x.variant, std::to_string(x.seed)}, &x.run});
  runs_section(b, {"variant", "seed"}, {false, true}, lines);
}

}  // namespace studies
}  // namespace report
}  // namespace powertrain
