// Private to the study module: what every study shares (configs for its runs, running and
// recording one run, statistics over seeds, JSON numbers that are null when unknown).
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "powertrain/store/store.h"
#include "powertrain/study/study.h"
#include "powertrain/train/config.h"
#include "powertrain/train/trainer.h"

namespace powertrain::study {

using nlohmann::json;

// Returns `v` as JSON, or null when it is NaN or infinite (unknown is never 0).
json num(double v);
// Returns j as a double, NaN when it is null or missing.
double dbl(const json& j);
double dbl(const json& j, const char* key);

// Mean, sample standard deviation (NaN for fewer than 2 values) of the finite values.
double mean_of(const std::vector<double>& v);
double std_of(const std::vector<double>& v);
// The weakest provenance among names ("missing" < "estimated" < "integrated_power" < "measured_counter").
std::string weakest_provenance(const std::vector<std::string>& names);

// One study in progress: its options, scale, store row and the next trial number.
class Context {
 public:
  // Validates the options (throws StudyError), creates the study in the store.
  Context(const std::string& kind, const StudyOptions& opts, Store* store, const json& spec);
  // A study that ends without finish() (an exception) is marked "failed" or "interrupted"
  // in the store, so that no study stays "running" forever.
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  const std::string kind;
  const StudyOptions& opts;
  const ScaleSpec scale;
  const int seeds;
  const int threads;
  Store* store;
  int64_t study_id = 0;
  std::string name;

  void say(const std::string& line) const;
  // Returns the base config of this scale (data, model, early stopping, threads) as JSON.
  json base_config() const;
  // Returns the config: `base`, then the user's overrides, then `variable` (the studied
  // factor, last so that it wins). Throws ConfigError naming the key.
  TrainConfig config(const json& base, const std::vector<std::string>& variable) const;
  // Trains `cfg`, records it as the next trial with `labels` (the variant) merged into its
  // row, and returns the row (see run_row). Throws StudyInterrupted when interrupted.
  json run(const TrainConfig& cfg, const json& labels);
  // Records a finished non-training step (lr-find) as a trial.
  void record(const json& row, double energy_j, double metric);
  // Stores the result and marks the study finished; returns `result` with study fields.
  json finish(json result);
  // The study's common result fields (schema, kind, name, scale, inputs).
  json header(const json& inputs) const;

 private:
  int64_t seq_ = 0;
  std::string device_;
  bool finished_ = false;
  double load_at_start_ = NAN;  // 1-minute load average when the study began
};

// Returns the study's row for one finished run: status, epochs, energies (sum of the epochs,
// Eq. 1 per epoch), duration, average power, accuracies, provenance, run id and the epochs.
json run_row(const TrainResult& r);
// Returns epochs and cumulative epoch energy until val accuracy first reaches `target`
// ({"epochs_to_target": null, "energy_to_target_j": null} when it never does).
json to_target(const json& row, double target);

// Summary of several runs (seeds) of one variant: mean and std of the row fields (null when
// a run's value is unknown), except epochs/energy to target: the mean over the runs that
// reached it, with target_reached_runs.
json summarize(const std::vector<json>& rows);

}  // namespace powertrain::study
