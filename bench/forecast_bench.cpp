// forecast_bench: how well the per-epoch energy forecast (train/forecast.h) predicts what
// a training run really spent, against Carbontracker's rule (the mean of the first k epochs
// x the planned epochs), on the training runs of a store.
//
// For every finished `train` run with at least 4 epochs: after epochs 1, 2 and 3, the
// relative error |forecast - actual| / actual of the training energy (the sum of its epochs),
// for both; the median over the runs, and the share of runs whose actual energy fell inside
// the forecast's interval. bench/forecast_bench.sh fills a store with varied runs and calls it.
//
//   build/bench/forecast_bench STORE.db
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "powertrain/store/store.h"
#include "powertrain/train/config.h"
#include "powertrain/train/forecast.h"

using namespace powertrain;

namespace {
double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: forecast_bench STORE.db\n");
    return 2;
  }
  Store store = Store::open_for_reading(argv[1]);
  std::vector<double> err_forecast[3], err_ct[3], inside[3];
  int runs = 0;
  std::printf("%-5s %-28s %6s %7s %9s | %-33s | %s\n", "run", "name", "epochs", "planned", "actual", "forecast after epoch 1 / 2 / 3",
              "Carbontracker after 1 / 2 / 3");
  for (const RunRecord& r : store.runs(10000)) {
    if (r.kind != "train" || r.details.config_json.empty()) continue;
    std::vector<EpochRecord> epochs = store.epochs(r.id);
    if (epochs.size() < 4) continue;
    TrainConfig cfg;
    try {
      cfg = parse_train_config(r.details.config_json, "run " + std::to_string(r.id));
    } catch (const std::exception&) {
      continue;
    }
    double actual = 0;
    for (const auto& e : epochs) actual += e.energy_j;
    if (!(actual > 0)) continue;
    ForecastRules rules;
    rules.max_epochs = cfg.training.epochs;
    rules.target = cfg.early_stopping.target;
    rules.patience = cfg.early_stopping.patience;
    rules.min_delta = cfg.early_stopping.min_delta;
    ++runs;
    std::string f_text, c_text;
    for (int k = 1; k <= 3; ++k) {
      std::vector<EpochRecord> so_far(epochs.begin(), epochs.begin() + k);
      EnergyForecast f = forecast_energy(so_far, rules);
      double ct = carbontracker_forecast_j(epochs, k, cfg.training.epochs);
      err_forecast[k - 1].push_back(std::fabs(f.energy_j - actual) / actual);
      err_ct[k - 1].push_back(std::fabs(ct - actual) / actual);
      inside[k - 1].push_back(actual >= f.energy_low_j * (1 - 1e-9) && actual <= f.energy_high_j * (1 + 1e-9) ? 1.0 : 0.0);
      char buf[64];
      std::snprintf(buf, sizeof buf, "%s%7.0f J", k > 1 ? " " : "", f.energy_j);
      f_text += buf;
      std::snprintf(buf, sizeof buf, "%s%7.0f J", k > 1 ? " " : "", ct);
      c_text += buf;
    }
    std::printf("%-5lld %-28.28s %6zu %7d %7.0f J | %s | %s\n", static_cast<long long>(r.id), r.name.c_str(), epochs.size(),
                cfg.training.epochs, actual, f_text.c_str(), c_text.c_str());
  }
  if (runs == 0) {
    std::fprintf(stderr, "forecast_bench: no finished train run with 4 or more epochs in %s\n", argv[1]);
    return 1;
  }
  std::printf("\nforecast_bench: %d runs; median relative error of the training-energy forecast\n", runs);
  std::printf("  %-14s %12s %16s %10s %18s\n", "after epoch", "powertrain", "Carbontracker", "ratio", "actual in interval");
  for (int k = 0; k < 3; ++k) {
    double f = median(err_forecast[k]), c = median(err_ct[k]);
    double in = 0;
    for (double x : inside[k]) in += x;
    std::printf("  %-14d %11.1f%% %15.1f%% %9.2fx %17.0f%%\n", k + 1, 100 * f, 100 * c, c > 0 ? f / c : NAN,
                100 * in / static_cast<double>(inside[k].size()));
  }
  return 0;
}
