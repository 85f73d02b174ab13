// powertrain/study/record.h: the records every research study's result is made of, and
// their one JSON codec: a training run as a study stores it (RunRow, with its epochs), the
// mean and spread over seeds (RunSummary), epochs and energy to a target accuracy, and the
// fields every result starts with (StudyHeader: kind, name, scale, inputs, device, energy
// of the whole study, findings).
//
// Conventions of every study result (this header and regime.h, precision.h, ...):
// measured and derived numbers are double, NaN when unknown (null in JSON, never 0);
// energies carry their Provenance; counts and labels a study always writes are integers,
// 0 when a stored result lacks them; ids are 0 when there is none (null in JSON). Decoding
// never throws: a missing or mistyped key gives NaN, 0, "" or an empty list. Codecs follow
// nlohmann's ADL style, so `nlohmann::json j = row;` and `j.get<RunRow>()` work. This
// module links no LibTorch (report, advise and serve read results through it).
//
// Example:
//   powertrain::RunRow row = stored_json.get<powertrain::RunRow>();
//   if (std::isnan(row.energy_j)) std::cout << "energy unknown\n";
//   nlohmann::json back = row;                 // NaN is written as null
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "powertrain/energy/source.h"
#include "powertrain/store/store.h"
#include "powertrain/study/options.h"

namespace powertrain {

// The mean and sample standard deviation over seeds (std NaN for fewer than two values).
struct Stat {
  double mean = NAN;
  double std = NAN;
};

// One epoch of a study's training run.
struct EpochRow {
  int64_t epoch = 0;                  // 1-based
  double energy_j = NAN;              // counter difference or Eq. 1
  Provenance energy_provenance = Provenance::missing;
  double duration_s = NAN;
  double avg_power_w = NAN;
  double train_loss = NAN;
  double val_loss = NAN;
  double val_accuracy = NAN;          // the engine's validation metric
  double lr = NAN;                    // learning rate at the end of the epoch
};

// One training run of a study: how it ended, its training energy (the sum of its epochs)
// and accuracies. Each study adds its labels beside it (batch size, variant, seed, ...).
struct RunRow {
  std::optional<RunStatus> status;    // nullopt when the stored row names no known status
  std::string stop_reason;
  int64_t epochs = 0;                 // epochs run
  int64_t best_epoch = 0;
  double best_val_accuracy = NAN;
  double best_aux_val_accuracy = NAN; // multitask: the auxiliary head's accuracy at the best epoch
  double best_val_loss = NAN;
  double test_accuracy = NAN;         // of the best weights
  double energy_j = NAN;              // training energy: the sum of the epochs
  double energy_per_epoch_j = NAN;
  double energy_to_best_j = NAN;      // the epochs up to and including the best one
  Provenance energy_provenance = Provenance::missing;  // the weakest epoch's
  double run_energy_j = NAN;          // the whole run: setup, epochs and the test pass
  double duration_s = NAN;            // the sum of the epochs
  double duration_per_epoch_s = NAN;
  double avg_power_w = NAN;           // energy_j / duration_s
  double samples_per_s = NAN;
  std::string precision;              // fp32, fp16, bf16
  std::string device;                 // cpu, cuda:0
  int64_t parameters = 0;
  int64_t trainable_parameters = 0;
  int64_t run_id = 0;                 // the run in the store; 0 without a store
  int64_t seq = 0;                    // the trial number within the study
  std::vector<EpochRow> epoch_rows;   // empty in the store's trials (the epochs table has them)
};

// Epochs and energy of one run until its validation accuracy first reached a target.
struct ToTarget {
  double epochs_to_target = NAN;      // NaN: never reached
  double energy_to_target_j = NAN;    // the cumulative epoch energy up to that epoch
};

// The runs of one variant (its seeds): mean and spread of the RunRow fields. A mean over
// seeds where one run's value is unknown is unknown.
struct RunSummary {
  Stat energy_j;
  Stat energy_per_epoch_j;
  Stat epochs;
  Stat duration_s;
  Stat duration_per_epoch_s;
  Stat avg_power_w;
  Stat best_val_accuracy;
  Stat best_val_loss;
  Stat test_accuracy;
  int64_t runs = 0;
  Provenance energy_provenance = Provenance::missing;  // the weakest run's
};

// ToTarget over seeds: the mean over the runs that reached the target, and how many did.
struct TargetStats {
  Stat epochs_to_target;
  Stat energy_to_target_j;
  int64_t target_reached_runs = 0;
};

// The machine while the study ran.
struct StudyHost {
  int64_t cpus = 0;
  double load_average_1m_start = NAN;
  double load_average_1m_end = NAN;
};

// What every study result starts with.
struct StudyHeader {
  std::string schema;                 // "powertrain.study.<kind>/1"
  std::string kind;                   // regime, precision, ...
  std::string name;                   // the study's name in the store
  int64_t study_id = 0;               // 0 when not stored
  ScaleSpec scale;                    // as run (scale.seeds is the scale's default; `seeds` what ran)
  int64_t seeds = 0;                  // repetitions of every run
  int64_t threads = 0;                // LibTorch CPU threads of every run
  std::string data_path;
  std::vector<std::string> overrides; // --set applied to every run
  std::string device;                 // where the runs trained; "" unknown
  Provenance energy_provenance = Provenance::missing;  // the weakest of the study's energies
  double study_energy_j = NAN;        // runs plus measured steps (range test, layer bench)
  StudyHost host;
  std::vector<std::string> findings;  // the conclusions, in order
};

void to_json(nlohmann::json& j, const EpochRow& e);
void from_json(const nlohmann::json& j, EpochRow& e);
void to_json(nlohmann::json& j, const RunRow& r);
void from_json(const nlohmann::json& j, RunRow& r);
// ToTarget, RunSummary and TargetStats are flat: a study merges them into its own rows.
void to_json(nlohmann::json& j, const ToTarget& t);
void from_json(const nlohmann::json& j, ToTarget& t);
void to_json(nlohmann::json& j, const RunSummary& s);
void from_json(const nlohmann::json& j, RunSummary& s);
void to_json(nlohmann::json& j, const TargetStats& t);
void from_json(const nlohmann::json& j, TargetStats& t);
void to_json(nlohmann::json& j, const ScaleSpec& s);
void from_json(const nlohmann::json& j, ScaleSpec& s);
// The header's fields, with the common inputs (scale, seeds, threads, data_path,
// overrides) under "inputs"; a study's codec adds its own inputs there.
void to_json(nlohmann::json& j, const StudyHeader& h);
void from_json(const nlohmann::json& j, StudyHeader& h);

// Returns the common inputs as a result records them under "inputs" (scale, seeds, threads,
// data_path, overrides): with a study's own options, what the store keeps as its spec.
nlohmann::json study_inputs_json(const StudyHeader& h);

// Returns the schema name of a study kind: "powertrain.study.<kind>/1".
std::string study_schema(const std::string& kind);

}  // namespace powertrain
