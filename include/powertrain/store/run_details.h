// powertrain/store/run_details.h: what a stored run records beyond its row (how it was set
// up, what it ended with), and its JSON form: the one place the keys of a run's details and
// of an epoch's extra metrics are spelled. Decoding never throws: what is absent or of the
// wrong type stays unknown (NaN, empty, nullopt).
//
// Example:
//   powertrain::RunDetails d;
//   d.config_json = powertrain::train_config_json(cfg);
//   d.outcome = powertrain::TrainOutcome{};
//   d.outcome->best_epoch = 7;
//   nlohmann::json j = powertrain::run_details_to_json(d);
//   powertrain::RunDetails back = powertrain::run_details_from_json(j);
#pragma once

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "powertrain/energy/meter.h"

namespace powertrain {

// What a training run ended with.
struct TrainOutcome {
  int best_epoch = 0;              // 0: no epoch improved
  double best_val_metric = NAN;
  double test_metric = NAN;
  std::string stop_reason;
  int64_t parameters = 0;
  std::string device;
  int threads = 0;
  std::string precision;
  double samples_per_s = NAN;
};

// A learning-rate range test's sweep (lr-find runs).
struct LrSweep {
  std::vector<double> lr;
  std::vector<double> loss;
  std::vector<double> smoothed_loss;
  double suggested_lr = NAN;
  double min_loss_lr = NAN;
};

// What a measured program reported about itself through the event channel
// (docs/events.md): counts, the problems found in its stream, and its run-level metrics.
struct ChildEvents {
  int64_t lines = 0;                          // event lines read
  int64_t windows = 0;                        // windows opened
  int64_t epochs = 0;                         // of which epochs ("epoch N")
  int64_t metrics = 0;                        // metric events applied
  std::map<std::string, int64_t> problems;    // kind of problem -> how many ("unknown event", ...)
  std::vector<std::string> examples;          // the first few problems, with their line numbers
  std::map<std::string, double> run_metrics;  // metrics sent with no epoch open
  // Returns the number of problems of every kind.
  int64_t problem_count() const;
};

struct RunDetails {
  std::string config_json;                 // the training config (train/config.h's JSON); "" for a measured command
  std::optional<TrainOutcome> outcome;     // a training run that ended
  std::optional<LrSweep> lr_sweep;         // an lr-find run
  std::vector<std::string> warnings;       // from sensor discovery
  std::string error;                       // why a failed run failed
  double interval_s = NAN;                 // a measured command: the sampling interval
  std::optional<IdleBaseline> idle_baseline;  // a measured command: the machine at rest
  std::optional<ChildEvents> events;       // a measured command that used the event channel
};

// Returns the event channel's summary as stored (meta_json's "events"; `measure --json` too).
nlohmann::json child_events_to_json(const ChildEvents& events);
// Returns the details as stored (the runs table's meta_json).
nlohmann::json run_details_to_json(const RunDetails& d);
// Returns the details in `j` (any JSON; what does not fit is left unknown).
RunDetails run_details_from_json(const nlohmann::json& j);

// An epoch's extra facts as stored (the epochs table's metrics_json): the divergence flag
// and named metrics (e.g. the accuracy of a multitask model's second head).
nlohmann::json epoch_metrics_to_json(bool diverged, const std::map<std::string, double>& metrics);
// Reads them back into `diverged` and `metrics` (never throws).
void epoch_metrics_from_json(const nlohmann::json& j, bool& diverged, std::map<std::string, double>& metrics);

}  // namespace powertrain
