// Private to the study module: what every study shares (configs for its runs, running and
// recording one run, statistics over seeds, the result's common fields).
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "powertrain/store/store.h"
#include "powertrain/study/options.h"
#include "powertrain/study/record.h"
#include "powertrain/train/config.h"
#include "powertrain/train/trainer.h"

namespace powertrain::study {

using nlohmann::json;

// Mean, sample standard deviation (NaN for fewer than 2 values) of the finite values.
double mean_of(const std::vector<double>& v);
double std_of(const std::vector<double>& v);

// One measured energy of the study (a run, the range test, the layer benchmark): the study's
// energy is their sum, its provenance the weakest of theirs.
struct EnergyPart {
  double energy_j = NAN;
  Provenance provenance = Provenance::missing;
};

// Returns the energy parts of a study's runs (each element has a RunRow `run`).
template <class Runs>
std::vector<EnergyPart> run_energy_parts(const Runs& runs) {
  std::vector<EnergyPart> parts;
  for (const auto& r : runs) parts.push_back({r.run.energy_j, r.run.energy_provenance});
  return parts;
}

// One study in progress: its options, scale, store row and the next trial number.
class Context {
 public:
  // Validates the options (throws StudyError), creates the study in the store with `options`
  // (the study's own, encoded) and the common inputs as its spec.
  Context(const std::string& kind, const StudyOptions& opts, Store* store, const json& options);
  // A study that ends without store_result() (an exception) is marked "failed" or
  // "interrupted" in the store, so that no study stays "running" forever.
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
  bool say_epochs = false;  // also say a line per epoch of every run (long runs: the recipe study)

  void say(const std::string& line) const;
  // Returns the base config of this scale (data, model, early stopping, threads) as JSON.
  json base_config() const;
  // Returns the config: `base`, then the user's overrides, then `variable` (the studied
  // factor, last so that it wins). Throws ConfigError naming the key.
  TrainConfig config(const json& base, const std::vector<std::string>& variable) const;

  // Trains `cfg` (progress line "[kind #n] what") and returns its row (see run_row), numbered
  // as the next trial. Record it with record(); run() does both.
  RunRow train(const TrainConfig& cfg, const std::string& what);
  // Records a finished step (a run with its labels, the range test, a layer) as the next trial.
  void record(const json& trial, double energy_j, double metric);
  // Trains `cfg`, fills labelled.run, records it (labels and row, without its epochs: the
  // store's epochs table has them) and returns it. Throws StudyInterrupted when the run was
  // interrupted (it is stored).
  template <class Labelled>
  Labelled run(const TrainConfig& cfg, Labelled labelled, const std::string& what) {
    labelled.run = train(cfg, what);
    Labelled trial = labelled;
    trial.run.epoch_rows.clear();
    record(trial, labelled.run.energy_j, labelled.run.best_val_accuracy);
    if (labelled.run.status == RunStatus::interrupted) throw_interrupted();
    return labelled;
  }

  // Returns the common fields of the result (schema, kind, name, study id, scale, inputs).
  StudyHeader header() const;
  // Fills the header's device, energy provenance and energy of the whole study (the sum of
  // `parts`, unknown when one is), the host's load, and a warning finding on a busy machine.
  void finish(StudyHeader& header, const std::vector<EnergyPart>& parts) const;
  // Stores the (encoded) result and marks the study finished.
  void store_result(const json& result);

 private:
  [[noreturn]] void throw_interrupted() const;

  int64_t seq_ = 0;
  std::string device_;
  bool finished_ = false;
  double load_at_start_ = NAN;  // 1-minute load average when the study began
};

// Returns the study's row for one finished run: status, epochs, energies (sum of the epochs,
// Eq. 1 per epoch), duration, average power, accuracies, provenance, run id and the epochs.
RunRow run_row(const TrainResult& r);
// Returns epochs and cumulative epoch energy until val accuracy first reaches `target`
// (NaN when it never does, or the target is NaN).
ToTarget to_target(const RunRow& row, double target);
// Summary of several runs (seeds) of one variant: mean and std of the row fields (unknown
// when a run's value is unknown).
RunSummary summarize(const std::vector<RunRow>& rows);
// Epochs and energy to the target over seeds: the mean over the runs that reached it.
TargetStats summarize_target(const std::vector<ToTarget>& reached);

}  // namespace powertrain::study
