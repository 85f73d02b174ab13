// The training-regime study (research.md section 1, Table 2 / Figure 3): a batch size x
// learning rate grid, every setup trained to early stopping with several seeds.
#include <fmt/format.h>

#include <algorithm>

#include "study/common.h"

namespace powertrain {

namespace {

using study::dbl;
using study::json;
using study::num;

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

// Which factor moves `m` more, and the sentence fragment that says so.
json driver(const std::vector<std::vector<double>>& m, const std::string& what) {
  double by_batch = spread(m, /*along_rows=*/true);   // rows are batch sizes
  double by_lr = spread(m, /*along_rows=*/false);
  std::string factor = !std::isfinite(by_batch) || !std::isfinite(by_lr) ? "unknown"
                       : by_batch >= by_lr                                 ? "batch_size"
                                                                           : "learning_rate";
  return json{{"quantity", what},
              {"factor", factor},
              {"spread_across_batch_sizes", num(by_batch)},
              {"spread_across_learning_rates", num(by_lr)}};
}

std::string factor_words(const std::string& f) {
  return f == "batch_size" ? "batch size" : f == "learning_rate" ? "learning rate" : "neither factor (too few known values)";
}

// "Cheapest setup" means the cheapest whose accuracy is within this of the most accurate.
constexpr double kAccurateWithin = 0.02;

std::string pct(double v) { return std::isfinite(v) ? fmt::format("{:.0f}%", 100 * v) : "unknown"; }

}  // namespace

nlohmann::json run_regime_study(const StudyOptions& opts, Store* store) {
  std::vector<int64_t> batch_sizes = opts.batch_sizes.empty() ? std::vector<int64_t>{64, 256, 1024, 4096} : opts.batch_sizes;
  std::vector<double> lrs = opts.learning_rates.empty() ? std::vector<double>{0.1, 0.01, 0.001, 0.0001} : opts.learning_rates;
  for (int64_t b : batch_sizes) {
    if (b < 1) throw StudyError("--batch-sizes: " + std::to_string(b) + " is not a batch size; give positive integers, e.g. 64,256");
  }
  for (double lr : lrs) {
    if (!(lr > 0) || !std::isfinite(lr)) throw StudyError("--lrs: " + fmt::format("{}", lr) + " is not a learning rate; give positive numbers, e.g. 0.1,0.01");
  }
  if (opts.regime_optimizer != "sgd" && opts.regime_optimizer != "adam" && opts.regime_optimizer != "adamw") {
    throw StudyError("regime optimizer '" + opts.regime_optimizer + "' is unknown; use sgd, adam or adamw");
  }
  json inputs = {{"batch_sizes", batch_sizes}, {"learning_rates", lrs}, {"optimizer", opts.regime_optimizer},
                 {"early_stopping", "validation accuracy"}};
  study::Context ctx("regime", opts, store, inputs);
  json base = ctx.base_config();
  base["optimizer"] = {{"type", opts.regime_optimizer}, {"momentum", 0.9}};

  const size_t nb = batch_sizes.size(), nl = lrs.size();
  std::vector<std::vector<std::vector<json>>> cells(nb, std::vector<std::vector<json>>(nl));
  json runs = json::array();
  for (int seed = 0; seed < ctx.seeds; ++seed) {
    for (size_t i = 0; i < nb; ++i) {
      for (size_t j = 0; j < nl; ++j) {
        TrainConfig cfg = ctx.config(base, {"training.batch_size=" + std::to_string(batch_sizes[i]),
                                            "optimizer.lr=" + fmt::format("{}", lrs[j]),
                                            "training.seed=" + std::to_string(seed),
                                            "name=" + fmt::format("regime-b{}-lr{}-s{}", batch_sizes[i], lrs[j], seed)});
        json row = ctx.run(cfg, {{"batch_size", batch_sizes[i]}, {"learning_rate", lrs[j]}, {"seed", seed}});
        cells[i][j].push_back(row);
        runs.push_back(row);
      }
    }
  }

  // Matrices of the means over seeds; rows = batch sizes, columns = learning rates.
  std::vector<std::vector<double>> per_epoch(nb, std::vector<double>(nl)), total(nb, std::vector<double>(nl)),
      epochs(nb, std::vector<double>(nl)), acc(nb, std::vector<double>(nl));
  double worst = NAN;
  for (size_t i = 0; i < nb; ++i) {
    for (size_t j = 0; j < nl; ++j) {
      json s = study::summarize(cells[i][j]);
      per_epoch[i][j] = dbl(s, "energy_per_epoch_j");
      total[i][j] = dbl(s, "energy_j");
      epochs[i][j] = dbl(s, "epochs");
      acc[i][j] = dbl(s, "best_val_accuracy");
      if (std::isfinite(total[i][j]) && !(total[i][j] <= worst)) worst = total[i][j];
    }
  }
  auto to_json = [](const std::vector<std::vector<double>>& m) {
    json out = json::array();
    for (const auto& row : m) {
      json r = json::array();
      for (double v : row) r.push_back(num(v));
      out.push_back(r);
    }
    return out;
  };
  std::vector<std::vector<double>> percent(nb, std::vector<double>(nl, NAN));
  json setups = json::array();
  int best_i = -1, best_j = -1, worst_i = -1, worst_j = -1;
  double top_acc = NAN;
  for (const auto& row : acc) for (double a : row) if (std::isfinite(a) && !(a <= top_acc)) top_acc = a;
  for (size_t i = 0; i < nb; ++i) {
    for (size_t j = 0; j < nl; ++j) {
      // The ratio first: x / worst is exactly 1 for the worst setup and never above 1 for the
      // others, so no percentage comes out as 100.00000000000001 (100 * x / worst can).
      percent[i][j] = worst > 0 ? 100.0 * (total[i][j] / worst) : NAN;
      json s = study::summarize(cells[i][j]);
      s["batch_size"] = batch_sizes[i];
      s["learning_rate"] = lrs[j];
      s["percent_of_worst"] = num(percent[i][j]);
      json ids = json::array();
      for (const auto& r : cells[i][j]) ids.push_back(r["run_id"]);
      s["run_ids"] = ids;
      setups.push_back(s);
      if (std::isfinite(total[i][j])) {
        // A setup that stopped early because it learned nothing (diverged, or too small a
        // rate) is cheap but useless: the cheapest is chosen among the accurate ones.
        bool accurate = !std::isfinite(top_acc) || (std::isfinite(acc[i][j]) && acc[i][j] >= top_acc - kAccurateWithin);
        if (accurate && (best_i < 0 || total[i][j] < total[best_i][best_j])) { best_i = static_cast<int>(i); best_j = static_cast<int>(j); }
        if (worst_i < 0 || total[i][j] > total[worst_i][worst_j]) { worst_i = static_cast<int>(i); worst_j = static_cast<int>(j); }
      }
    }
  }

  json drivers = {{"energy_per_epoch", driver(per_epoch, "energy_per_epoch_j")}, {"epochs", driver(epochs, "epochs")}};
  json findings = json::array();
  const json& de = drivers["energy_per_epoch"];
  const json& dn = drivers["epochs"];
  findings.push_back(fmt::format(
      "On this machine {} drives the energy per epoch (it varies by {} across batch sizes and {} across learning rates), "
      "and {} drives the number of epochs (by {} across batch sizes and {} across learning rates).",
      factor_words(de["factor"]), pct(dbl(de, "spread_across_batch_sizes")), pct(dbl(de, "spread_across_learning_rates")),
      factor_words(dn["factor"]), pct(dbl(dn, "spread_across_batch_sizes")), pct(dbl(dn, "spread_across_learning_rates"))));
  json best = nullptr, worst_j_ = nullptr;
  if (best_i >= 0) {
    best = {{"batch_size", batch_sizes[best_i]}, {"learning_rate", lrs[best_j]}, {"energy_j", num(total[best_i][best_j])},
            {"percent_of_worst", num(percent[best_i][best_j])}, {"epochs", num(epochs[best_i][best_j])},
            {"best_val_accuracy", num(acc[best_i][best_j])}, {"accurate_within", kAccurateWithin}};
    worst_j_ = {{"batch_size", batch_sizes[worst_i]}, {"learning_rate", lrs[worst_j]}, {"energy_j", num(total[worst_i][worst_j])},
                {"percent_of_worst", 100.0}, {"epochs", num(epochs[worst_i][worst_j])},
                {"best_val_accuracy", num(acc[worst_i][worst_j])}};
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

  json result = ctx.header(inputs);
  result["runs"] = runs;
  result["setups"] = setups;
  result["tables"] = {{"rows", "batch_size"},
                      {"columns", "learning_rate"},
                      {"batch_sizes", batch_sizes},
                      {"learning_rates", lrs},
                      {"energy_per_epoch_j", to_json(per_epoch)},
                      {"energy_j", to_json(total)},
                      {"epochs", to_json(epochs)},
                      {"percent_of_worst", to_json(percent)},
                      {"best_val_accuracy", to_json(acc)}};
  result["best"] = best;
  result["worst"] = worst_j_;
  result["drivers"] = drivers;
  result["findings"] = findings;
  return ctx.finish(result);
}

}  // namespace powertrain
