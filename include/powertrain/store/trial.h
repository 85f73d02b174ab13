// powertrain/store/trial.h: one trial of a search (`powertrain tune`, `powertrain worker`) as
// the store keeps it, and its JSON form: the one place where a stored trial's keys are
// spelled. Unknown numbers (NaN) are written as null and read back as NaN; an infinite
// loss (a failed or stopped configuration) is written as null and read back as +inf.
//
// Example:
//   powertrain::StoredTrial t;
//   t.record = tuner_record;                          // tune::TrialRecord
//   t.energy_provenance = powertrain::Provenance::estimated;
//   nlohmann::json j = powertrain::trial_to_json(t);  // {"trial": 0, "config": {...}, ...}
//   powertrain::StoredTrial back = powertrain::trial_from_json(j);
#pragma once

#include <nlohmann/json.hpp>

#include "powertrain/energy/source.h"
#include "powertrain/tune/strategy.h"
#include "powertrain/tune/tuner.h"

namespace powertrain {

struct StoredTrial {
  tune::TrialRecord record;                            // the trial, its result and the search totals after it
  Provenance energy_provenance = Provenance::missing;  // where the trial's energies came from
};

// Returns the configuration as a JSON object {"key": number or string}.
nlohmann::json config_to_json(const tune::Config& config);
// Returns the configuration in `j`. Throws StoreError when `j` is not an object of numbers
// and strings.
tune::Config config_from_json(const nlohmann::json& j);

// Returns the trial as stored (and printed by `powertrain tune --json`).
nlohmann::json trial_to_json(const StoredTrial& trial);
// Returns the trial in `j`. Throws StoreError naming the key when one is missing or of the
// wrong type. An absent energy_provenance (trials stored before it was recorded) is missing.
StoredTrial trial_from_json(const nlohmann::json& j);

// Returns a trial as asked, before it is trained: {"trial", "config", "budget"}.
nlohmann::json asked_to_json(const tune::Trial& trial);
// Returns the asked trial in `j`. Throws StoreError when it is malformed.
tune::Trial asked_from_json(const nlohmann::json& j);

}  // namespace powertrain
