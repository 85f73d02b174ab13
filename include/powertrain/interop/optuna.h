// powertrain/interop/optuna.h: a stored study as an Optuna RDB storage file.
//
// optuna_export_study() writes one study (its trials from Store::trials) into a new
// SQLite file with the tables of Optuna's RDB storage (schema of Optuna 3.1: alembic
// revision v3.0.0.d), so that
//   optuna.load_study(study_name=NAME, storage="sqlite:///FILE")
// and optuna-dashboard open it. Every stored trial becomes one COMPLETE Optuna trial:
// its configuration as params, and as values either (metric, energy_j) with directions
// (maximize or minimize the metric, minimize the energy) or the loss the strategy
// minimised. A trial whose value is unknown or infinite (a failed or stopped trial) is
// FAIL, or PRUNED when the beta rule stopped it, without values. The file is written to a temporary name and renamed: never half a file.
// See docs/interop.md for the mapping.
//
// Example:
//   auto store = powertrain::Store::open("powertrain.db");
//   powertrain::optuna_export_study(store, "sh-1700000000", "optuna.db", powertrain::OptunaExportOptions());
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "powertrain/store/store.h"

namespace powertrain {

// Thrown when an export cannot be written; what() names the file or study and the fix.
class InteropError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What the Optuna trials' values are.
enum class OptunaObjective {
  metric_energy,  // two objectives: the validation metric, and the config's energy in J
  loss,           // one objective, minimised: the loss the powertrain strategy minimised
};

struct OptunaExportOptions {
  OptunaObjective objective_ = OptunaObjective::metric_energy;
  std::optional<bool> maximize_metric_;   // nullopt: inferred from the trials (see docs)
  bool replace_ = false;                  // replace an existing file at the path
  OptunaExportOptions& objective(OptunaObjective v) { objective_ = v; return *this; }
  OptunaExportOptions& maximize_metric(bool v) { maximize_metric_ = v; return *this; }
  OptunaExportOptions& replace(bool v) { replace_ = v; return *this; }
};

struct OptunaExportResult {
  int trials = 0;                          // trials written
  int failed_trials = 0;                   // of them FAIL: a value unknown or infinite (no values)
  int pruned_trials = 0;                   // of them PRUNED: as FAIL, but stopped by the beta rule
  std::vector<std::string> directions;     // "MAXIMIZE"/"MINIMIZE" per objective
  std::vector<std::string> objective_names;  // "metric", "energy_j" or "loss"
  std::string metric_direction_basis;      // how the metric's direction was decided
};

// Writes study `study_name` of `store` to a new Optuna storage file at `path`. Returns what
// was written. Throws InteropError when the study does not exist, the file exists (and
// replace is off), or the file cannot be written; nothing is left at `path` then.
OptunaExportResult optuna_export_study(const Store& store, const std::string& study_name, const std::string& path,
                                       const OptunaExportOptions& opt);

// Returns the Optuna storage URL of a file path: "sqlite:///" + the absolute path.
std::string optuna_storage_url(const std::string& path);
// Returns what an export wrote, for the terminal: trials, objectives and directions, FAIL
// and PRUNED counts, and the Python line that opens it.
std::string optuna_export_text(const OptunaExportResult& result, const std::string& study_name, const std::string& path);

}  // namespace powertrain
