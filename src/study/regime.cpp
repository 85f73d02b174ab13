// The training-regime study (research.md section 1, Table 2 / Figure 3): a batch size x
// learning rate grid, every setup trained to early stopping with several seeds.
#include "powertrain/study/regime.h"

#include <fmt/format.h>

#include <algorithm>

#include "study/common.h"

namespace powertrain {

namespace {

using study::json;

// Mean relative range of `m` along one axis: for each line (a row, or a column), (max -
// min) / mean, averaged over the lines. Unknown cells are left out; lines with fewer than
// two known cells count for nothing. Returns NaN when no line has two known cells.
double spread(const std::vector<std::vector<double>>& m, bool along_rows) {
  size_t rows = m.size(), cols = rows ? m[0].size() : 0;
  size_t lines = along_rows ? cols : rows, len = along_rows ? rows : cols;
  std::vector<double> per_line;
  for (size_t l = 0; l < lines; ++l) {
    std::vector<double> v;
    for (size_t i = 0; i < len; ++i) {
      double x = along_rows ? m[i][l] : m[l][i];
      if (std::isfinite(x)) v.push_back(x);
    }
    if (v.size() < 2) continue;
    double mean = study::mean_of(v);
    if (!(mean > 0)) continue;
    per_line.push_back((*std::max_element(v.begin(), v.end()) - *std::min_element(v.begin(), v.end())) / mean);
  }
  return study::mean_of(per_line);
}

// Which factor moves `m` more.
RegimeDriver driver(const std::vector<std::vector<double>>& m) {
  RegimeDriver d;
  d.spread_across_batch_sizes = spread(m, /*along_rows=*/true);   // rows are batch sizes
  d.spread_across_learning_rates = spread(m, /*along_rows=*/false);
  d.factor = !std::isfinite(d.spread_across_batch_sizes) || !std::isfinite(d.spread_across_learning_rates) ? "unknown"
             : d.spread_across_batch_sizes >= d.spread_across_learning_rates                             ? "batch_size"
                                                                                                          : "learning_rate";
  return d;
}

std::string factor_words(const std::string& f) {
  return f == "batch_size" ? "batch size" : f == "learning_rate" ? "learning rate" : "neither factor (too few known values)";
}

// "Cheapest setup" means the cheapest whose accuracy is within this of the most accurate.
constexpr double kAccurateWithin = 0.02;

std::string pct(double v) { return std::isfinite(v) ? fmt::format("{:.0f}%", 100 * v) : "unknown"; }

}  // namespace

RegimeResult run_regime_study(const StudyOptions& opts, const RegimeOptions& regime, Store* store) {
  RegimeOptions o = regime;
  if (o.batch_sizes.empty()) o.batch_sizes = {64, 256, 1024, 4096};
  if (o.learning_rates.empty()) o.learning_rates = {0.1, 0.01, 0.001, 0.0001};
  for (int64_t b : o.batch_sizes) {
    if (b < 1) throw StudyError("--batch-sizes: " + std::to_string(b) + " is not a batch size; give positive integers, e.g. 64,256");
  }
  for (double lr : o.learning_rates) {
    if (!(lr > 0) || !std::isfinite(lr)) throw StudyError("--lrs: " + fmt::format("{}", lr) + " is not a learning rate; give positive numbers, e.g. 0.1,0.01");
  }
  if (o.optimizer != "sgd" && o.optimizer != "adam" && o.optimizer != "adamw") {
    throw StudyError("regime optimizer '" + o.optimizer + "' is unknown; use sgd, adam or adamw");
  }
  study::Context ctx("regime", opts, store, o);
  json base = ctx.base_config();
  base["optimizer"] = {{"type", o.optimizer}, {"momentum", 0.9}};

  RegimeResult result;
  result.header = ctx.header();
  result.options = o;
  result.early_stopping = "validation accuracy";
  result.accurate_within = kAccurateWithin;
  const std::vector<int64_t>& batch_sizes = o.batch_sizes;
  const std::vector<double>& lrs = o.learning_rates;
  const size_t nb = batch_sizes.size(), nl = lrs.size();
  std::vector<std::vector<std::vector<RunRow>>> cells(nb, std::vector<std::vector<RunRow>>(nl));
  for (int seed = 0; seed < ctx.seeds; ++seed) {
    for (size_t i = 0; i < nb; ++i) {
      for (size_t j = 0; j < nl; ++j) {
        TrainConfig cfg = ctx.config(base, {"training.batch_size=" + std::to_string(batch_sizes[i]),
                                            "optimizer.lr=" + fmt::format("{}", lrs[j]),
                                            "training.seed=" + std::to_string(seed),
                                            "name=" + fmt::format("regime-b{}-lr{}-s{}", batch_sizes[i], lrs[j], seed)});
        RegimeRun run{batch_sizes[i], lrs[j], seed, {}};
        run = ctx.run(cfg, run, fmt::format("batch size {}, learning rate {}, seed {}", batch_sizes[i], lrs[j], seed));
        cells[i][j].push_back(run.run);
        result.runs.push_back(run);
      }
    }
  }

  // Matrices of the means over seeds; rows = batch sizes, columns = learning rates.
  std::vector<std::vector<RunSummary>> summary(nb, std::vector<RunSummary>(nl));
  std::vector<std::vector<double>> per_epoch(nb, std::vector<double>(nl)), total(nb, std::vector<double>(nl)),
      epochs(nb, std::vector<double>(nl)), acc(nb, std::vector<double>(nl));
  double worst = NAN;
  for (size_t i = 0; i < nb; ++i) {
    for (size_t j = 0; j < nl; ++j) {
      summary[i][j] = study::summarize(cells[i][j]);
      per_epoch[i][j] = summary[i][j].energy_per_epoch_j.mean;
      total[i][j] = summary[i][j].energy_j.mean;
      epochs[i][j] = summary[i][j].epochs.mean;
      acc[i][j] = summary[i][j].best_val_accuracy.mean;
      if (std::isfinite(total[i][j]) && !(total[i][j] <= worst)) worst = total[i][j];
    }
  }
  std::vector<std::vector<double>> percent(nb, std::vector<double>(nl, NAN));
  int best_i = -1, best_j = -1, worst_i = -1, worst_j = -1;
  double top_acc = NAN;
  for (const auto& row : acc) for (double a : row) if (std::isfinite(a) && !(a <= top_acc)) top_acc = a;
  for (size_t i = 0; i < nb; ++i) {
    for (size_t j = 0; j < nl; ++j) {
      // The ratio first: x / worst is exactly 1 for the worst setup and never above 1 for the
      // others, so no percentage comes out as 100.00000000000001 (100 * x / worst can).
      percent[i][j] = worst > 0 ? 100.0 * (total[i][j] / worst) : NAN;
      RegimeSetup s;
      s.batch_size = batch_sizes[i];
      s.learning_rate = lrs[j];
      s.stats = summary[i][j];
      s.percent_of_worst = percent[i][j];
      for (const auto& r : cells[i][j]) s.run_ids.push_back(r.run_id);
      result.setups.push_back(s);
      if (std::isfinite(total[i][j])) {
        // A setup that stopped early because it learned nothing (diverged, or too small a
        // rate) is cheap but useless: the cheapest is chosen among the accurate ones.
        bool accurate = !std::isfinite(top_acc) || (std::isfinite(acc[i][j]) && acc[i][j] >= top_acc - kAccurateWithin);
        if (accurate && (best_i < 0 || total[i][j] < total[best_i][best_j])) { best_i = static_cast<int>(i); best_j = static_cast<int>(j); }
        if (worst_i < 0 || total[i][j] > total[worst_i][worst_j]) { worst_i = static_cast<int>(i); worst_j = static_cast<int>(j); }
      }
    }
  }

  result.energy_per_epoch_driver = driver(per_epoch);
  result.epochs_driver = driver(epochs);
  std::vector<std::string>& findings = result.header.findings;
  const RegimeDriver& de = result.energy_per_epoch_driver;
  const RegimeDriver& dn = result.epochs_driver;
  findings.push_back(fmt::format(
      "On this machine {} drives the energy per epoch (it varies by {} across batch sizes and {} across learning rates), "
      "and {} drives the number of epochs (by {} across batch sizes and {} across learning rates).",
      factor_words(de.factor), pct(de.spread_across_batch_sizes), pct(de.spread_across_learning_rates),
      factor_words(dn.factor), pct(dn.spread_across_batch_sizes), pct(dn.spread_across_learning_rates)));
  if (best_i >= 0) {
    result.best = RegimePick{batch_sizes[best_i], lrs[best_j], total[best_i][best_j], percent[best_i][best_j],
                             epochs[best_i][best_j], acc[best_i][best_j]};
    result.worst = RegimePick{batch_sizes[worst_i], lrs[worst_j], total[worst_i][worst_j], 100.0, epochs[worst_i][worst_j],
                              acc[worst_i][worst_j]};
    if (best_i == worst_i && best_j == worst_j) {
      // Only the most expensive setup is accurate: nothing cheaper to recommend.
      findings.push_back(fmt::format(
          "Only the most expensive setup (batch size {}, learning rate {}: {:.1f} J, best validation accuracy {}) came within "
          "2 points of the best accuracy: no cheaper setup matched it here.",
          batch_sizes[best_i], lrs[best_j], total[best_i][best_j], pct(acc[best_i][best_j])));
    } else {
      findings.push_back(fmt::format(
          "The cheapest accurate setup (batch size {}, learning rate {}; within 2 points of the best accuracy) used {:.0f}% of the total energy of the most expensive one "
          "(batch size {}, learning rate {}): {:.1f} J against {:.1f} J; best validation accuracy {} against {}.",
          batch_sizes[best_i], lrs[best_j], percent[best_i][best_j], batch_sizes[worst_i], lrs[worst_j], total[best_i][best_j],
          total[worst_i][worst_j], pct(acc[best_i][best_j]), pct(acc[worst_i][worst_j])));
    }
  }

  ctx.finish(result.header, study::run_energy_parts(result.runs));
  ctx.store_result(result);
  return result;
}

}  // namespace powertrain
