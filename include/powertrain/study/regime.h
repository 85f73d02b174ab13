// powertrain/study/regime.h: the training-regime study (research.md section 1, Table 2 /
// Figure 3): a batch size x learning rate grid, every setup trained to early stopping with
// several seeds; energy per epoch (Eq. 1), epochs, total energy and each setup as a
// percentage of the most expensive one, and which factor drives which.
//
// Example:
//   powertrain::StudyOptions o;
//   o.scale = "tiny";
//   powertrain::RegimeOptions grid;
//   grid.batch_sizes = {64, 1024};
//   powertrain::RegimeResult r = powertrain::run_regime_study(o, grid, nullptr);
//   if (r.best) std::cout << r.best->batch_size << " at " << r.best->percent_of_worst << "%\n";
//   nlohmann::json stored = r;        // schema powertrain.study.regime/1
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "powertrain/study/options.h"
#include "powertrain/study/record.h"

namespace powertrain {

struct RegimeOptions {
  std::vector<int64_t> batch_sizes;    // empty = the research's 64, 256, 1024, 4096
  std::vector<double> learning_rates;  // empty = 0.1, 0.01, 0.001, 0.0001
  std::string optimizer = "sgd";       // sgd (momentum 0.9: the research's LR range fits it), adam, adamw
};

// One run of the grid.
struct RegimeRun {
  int64_t batch_size = 0;
  double learning_rate = NAN;
  int64_t seed = 0;
  RunRow run;
};

// One cell of the grid: the mean over its seeds.
struct RegimeSetup {
  int64_t batch_size = 0;
  double learning_rate = NAN;
  RunSummary stats;
  double percent_of_worst = NAN;       // total energy as % of the most expensive setup's
  std::vector<int64_t> run_ids;        // its runs in the store (0 = not stored)
};

// A setup singled out: the cheapest accurate one, or the most expensive.
struct RegimePick {
  int64_t batch_size = 0;
  double learning_rate = NAN;
  double energy_j = NAN;
  double percent_of_worst = NAN;
  double epochs = NAN;
  double best_val_accuracy = NAN;
};

// Which factor moves a quantity more: the mean relative range ((max - min) / mean) along
// each axis of the grid.
struct RegimeDriver {
  std::string factor;                  // "batch_size", "learning_rate" or "unknown"
  double spread_across_batch_sizes = NAN;
  double spread_across_learning_rates = NAN;
};

struct RegimeResult {
  StudyHeader header;
  RegimeOptions options;               // as run: the axes filled in
  std::string early_stopping;          // what early stopping monitored
  std::vector<RegimeRun> runs;
  std::vector<RegimeSetup> setups;     // batch size major, as the grid was run
  std::optional<RegimePick> best;      // the cheapest accurate setup (nullopt: no energy known)
  std::optional<RegimePick> worst;     // the most expensive setup
  double accurate_within = NAN;        // "accurate": best validation accuracy within this of the top
  RegimeDriver energy_per_epoch_driver;
  RegimeDriver epochs_driver;
};

// Runs the grid and returns its result; with a store, the study, every run and the result
// are stored. Throws StudyError / ConfigError for bad options before any training,
// StudyInterrupted on a stop request.
RegimeResult run_regime_study(const StudyOptions& opts, const RegimeOptions& regime, Store* store);

// Returns the batch sizes, then the learning rates, of the setups in the order they appear
// (the grid's rows and columns).
std::vector<int64_t> regime_batch_sizes(const RegimeResult& r);
std::vector<double> regime_learning_rates(const RegimeResult& r);
// Returns the setup of that cell, or nullptr.
const RegimeSetup* regime_setup(const RegimeResult& r, int64_t batch_size, double learning_rate);

// The one codec of the regime result ("powertrain.study.regime/1"; keys in docs/studies.md).
// It also writes `tables` (the grid as matrices, rows = batch sizes) for readers of the JSON;
// decoding reads the setups.
void to_json(nlohmann::json& j, const RegimeOptions& o);
void from_json(const nlohmann::json& j, RegimeOptions& o);
void to_json(nlohmann::json& j, const RegimeRun& r);
void from_json(const nlohmann::json& j, RegimeRun& r);
void to_json(nlohmann::json& j, const RegimeSetup& s);
void from_json(const nlohmann::json& j, RegimeSetup& s);
void to_json(nlohmann::json& j, const RegimeResult& r);
void from_json(const nlohmann::json& j, RegimeResult& r);

}  // namespace powertrain
