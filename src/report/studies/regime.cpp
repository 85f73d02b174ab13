// The regime study's section: heatmaps of the batch size x learning rate grid, every setup
// as a percentage of the most expensive one, the setups table (docs/reports.md).
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "report/studies/sections.h"

namespace powertrain {
namespace report {
namespace studies {

void regime_section(Builder& b, const RegimeResult& r) {
  begin(b, r.header, r.runs.size());
  const Origin o = origin_of(r.header.energy_provenance);
  const std::vector<int64_t> batch_sizes = regime_batch_sizes(r);
  const std::vector<double> lrs = regime_learning_rates(r);
  std::vector<std::string> rows, cols;
  for (int64_t bs : batch_sizes) rows.push_back(std::to_string(bs));
  for (double lr : lrs) cols.push_back(parts::short_number(lr));
  // One value per cell, row-major (rows = batch sizes); NaN where the grid has no setup.
  auto matrix = [&](double (*field)(const RegimeSetup&)) {
    std::vector<double> out;
    for (int64_t bs : batch_sizes) {
      for (double lr : lrs) {
        const RegimeSetup* s = regime_setup(r, bs, lr);
        out.push_back(s ? field(*s) : NAN);
      }
    }
    return out;
  };
  auto heat = [&](std::vector<double> values, const std::string& title, bool energy, const std::string& caption) {
    Heatmap h;
    h.title = title;
    h.row_label = "batch size";
    h.col_label = "learning rate";
    h.rows = rows;
    h.cols = cols;
    h.values = std::move(values);
    double mx = 0;
    for (double v : h.values) if (std::isfinite(v)) mx = std::max(mx, v);
    if (energy) {
      parts::EnergyScale s = parts::energy_scale(mx);
      for (double& v : h.values) v /= s.divisor;
      h.unit = s.unit;
      h.origin = o;
    } else {
      h.unit = "epochs";
    }
    for (double v : h.values) h.cell_text.push_back(format_number(v, 3));
    b.doc().chart(svg(h), caption);
  };
  b.doc().heading("Batch size x learning rate");
  heat(matrix([](const RegimeSetup& s) { return s.stats.energy_per_epoch_j.mean; }), "Average energy per epoch", true,
       "Average energy per epoch (Eq. 1: mean power x epoch time); lowest framed.");
  heat(matrix([](const RegimeSetup& s) { return s.stats.epochs.mean; }), "Epochs to early stopping", false,
       "Epochs until early stopping; fewest framed.");
  heat(matrix([](const RegimeSetup& s) { return s.stats.energy_j.mean; }), "Total training energy", true,
       "Total training energy (sum over the epochs); lowest framed.");

  // Percentage of the most expensive setup, cheapest first.
  struct Bar {
    std::string label;
    double value;
  };
  std::vector<Bar> bars;
  for (size_t i = 0; i < batch_sizes.size(); ++i) {
    for (size_t j = 0; j < lrs.size(); ++j) {
      const RegimeSetup* s = regime_setup(r, batch_sizes[i], lrs[j]);
      bars.push_back({"bs " + rows[i] + ", lr " + cols[j], s ? s->percent_of_worst : NAN});
    }
  }
  std::stable_sort(bars.begin(), bars.end(), [](const Bar& a, const Bar& c) {
    if (!std::isfinite(a.value)) return false;
    if (!std::isfinite(c.value)) return true;
    return a.value < c.value;
  });
  BarChart pc;
  pc.title = "Total energy as a percentage of the most expensive setup";
  pc.value_label = "% of the worst setup";
  for (const auto& bar : bars) {
    pc.labels.push_back(bar.label);
    pc.values.push_back(bar.value);
    pc.value_text.push_back(format_percent(bar.value));
    pc.origins.push_back(std::isfinite(bar.value) ? o : Origin::missing);
  }
  b.doc().chart(svg(pc), "Total training energy of each setup as a percentage of the most expensive one, cheapest first.");

  if (r.best && r.worst) {
    const RegimePick& best = *r.best;
    const RegimePick& worst = *r.worst;
    b.facts({{"cheapest accurate setup", fmt::format("batch size {}, learning rate {}: {} ({} of the worst), val acc {}", best.batch_size,
                                                     parts::short_number(best.learning_rate), energy_text(best.energy_j, o),
                                                     format_percent(best.percent_of_worst), number_text(best.best_val_accuracy))},
             {"most expensive setup", fmt::format("batch size {}, learning rate {}: {}, val acc {}", worst.batch_size,
                                                  parts::short_number(worst.learning_rate), energy_text(worst.energy_j, o),
                                                  number_text(worst.best_val_accuracy))}});
  }

  Table s;
  s.title = "Setups (mean over seeds)";
  s.columns = {"batch size", "learning rate", "energy/epoch", "epochs", "energy", "% of worst", "best val acc", "provenance"};
  s.numeric = {true, true, true, true, true, true, true, false};
  for (const auto& x : r.setups) {
    const Origin so = origin_of(x.stats.energy_provenance);
    s.rows.push_back({std::to_string(x.batch_size), parts::short_number(x.learning_rate), plus_minus(x.stats.energy_per_epoch_j, format_energy_j, so),
                      plus_minus(x.stats.epochs, epochs_text), plus_minus(x.stats.energy_j, format_energy_j, so),
                      format_percent(x.percent_of_worst), plus_minus(x.stats.best_val_accuracy, number_text),
                      parts::provenance_text(x.stats.energy_provenance)});
  }
  b.table(s, true);

  std::vector<RunLine> lines;
  for (const auto& x : r.runs) {
    lines.push_back({{std::to_string(x.batch_size), parts::short_number(x.learning_rate), std::to_string(x.seed)}, &x.run});
  }
  runs_section(b, {"batch size", "learning rate", "seed"}, {true, true, true}, lines);
}

}  // namespace studies
}  // namespace report
}  // namespace powertrain
