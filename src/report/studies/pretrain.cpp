// The pretrain study's section: cumulative energy against downstream trainings with the
// break-even points of Eq. 2, the energies of Eq. 2, the variants.
#include <algorithm>
#include <cmath>

#include "report/studies/sections.h"

namespace powertrain {
namespace report {
namespace studies {

void pretrain_section(Builder& b, const PretrainResult& r) {
  begin(b, r.header, r.runs.size());
  const Origin o = origin_of(r.header.energy_provenance);
  const PretrainCumulative& c = r.cumulative;
  double mx = 0;
  for (const auto* ys : {&c.scratch_j, &c.pretrain_frozen_j, &c.pretrain_finetune_j}) {
    for (double v : *ys) if (std::isfinite(v)) mx = std::max(mx, v);
  }
  const parts::EnergyScale sc = parts::energy_scale(mx);
  LineChart ch;
  ch.title = "Cumulative energy against downstream trainings";
  ch.x_label = "downstream trainings (reuses of the encoder)";
  ch.y_label = std::string("cumulative energy (") + sc.unit + ")";
  ch.y_from_zero = true;
  auto series = [&](const std::vector<double>& ys, const char* name) {
    Series s;
    s.name = name;
    s.origin = o;
    for (size_t i = 0; i < c.reuses.size(); ++i) {
      s.x.push_back(static_cast<double>(c.reuses[i]));
      s.y.push_back(i < ys.size() ? ys[i] / sc.divisor : NAN);
    }
    ch.series.push_back(s);
  };
  series(c.scratch_j, "from scratch");
  series(c.pretrain_frozen_j, "pretrain + frozen");
  series(c.pretrain_finetune_j, "pretrain + fine-tune");
  if (std::isfinite(r.break_even_frozen.reuses)) {
    ch.vlines.push_back({r.break_even_frozen.reuses, "frozen break-even " + parts::short_number(r.break_even_frozen.reuses)});
  }
  if (std::isfinite(r.break_even_finetune.reuses)) {
    ch.vlines.push_back({r.break_even_finetune.reuses, "finetune break-even " + parts::short_number(r.break_even_finetune.reuses)});
  }
  b.doc().heading("Break-even of pretraining (Eq. 2)");
  b.doc().chart(svg(ch), "E_enc + n x E_class (with pretraining) against n x E_enc+class (from scratch); break-even points marked.");
  auto text_or_na = [](const std::string& s) { return s.empty() ? std::string("n/a") : s; };
  b.facts({{"break-even, frozen encoder", text_or_na(r.break_even_frozen.text)},
           {"break-even, fine-tuned encoder", text_or_na(r.break_even_finetune.text)},
           {"freezing saves", format_percent(100.0 * r.freeze_vs_finetune.energy_saving_fraction) + " of the fine-tuned classifier's energy"}});
  Table t;
  t.title = "Energies of Eq. 2 (mean over seeds)";
  t.columns = {"symbol", "what", "energy", "provenance"};
  t.numeric = {false, false, true, false};
  const PretrainEnergies& e = r.energies;
  const std::vector<std::pair<std::pair<const char*, const char*>, double>> rows = {
      {{"E_enc", "autoencoder pretraining"}, e.enc_j},
      {{"E_class_frozen", "classifier on the frozen encoder"}, e.class_frozen_j},
      {{"E_class_finetune", "classifier fine-tuning the encoder"}, e.class_finetune_j},
      {{"E_enc_class", "encoder + classifier from scratch"}, e.enc_class_j}};
  for (const auto& [names, energy_j] : rows) {
    t.rows.push_back({names.first, names.second, energy_text(energy_j, o), origin_name(std::isfinite(energy_j) ? o : Origin::missing)});
  }
  b.table(t, true);
  Table s;
  s.title = "Variants (mean ± std over seeds)";
  s.columns = {"variant", "Eq. 2", "epochs", "energy/epoch", "energy", "best val acc"};
  s.numeric = {false, false, true, true, true, true};
  for (const auto& x : r.summary) {
    const Origin so = origin_of(x.stats.energy_provenance);
    s.rows.push_back({x.variant, x.symbol, plus_minus(x.stats.epochs, epochs_text), plus_minus(x.stats.energy_per_epoch_j, format_energy_j, so),
                      plus_minus(x.stats.energy_j, format_energy_j, so), plus_minus(x.stats.best_val_accuracy, number_text)});
  }
  b.table(s);

  std::vector<RunLine> lines;
  for (const auto& x : r.runs) lines.push_back({{x.variant, std::to_string(x.seed)}, &x.run});
  runs_section(b, {"variant", "seed"}, {false, true}, lines);
}

}  // namespace studies
}  // namespace report
}  // namespace powertrain
