// Private to the CLI: what `tune` and `worker` share: the options that define a study, the
// spec stored with it, its backend (objective, space, tuner options), trials as JSON, and
// the closing summary.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "powertrain/energy/source.h"
#include "powertrain/tune/registry.h"
#include "powertrain/tune/strategy.h"
#include "powertrain/tune/tuner.h"

namespace CLI { class App; }

namespace powertrain::cli {

// The command-line options that define a study (the rest only say how to run it).
struct StudyDefinition {
  std::string config;          // study file: real training
  std::string simulate;        // zeus:DIR
  std::string gpu = "v100";
  std::string workload = "cifar100";
  std::string strategy = "hyperband";
  double beta = 0;             // Zeus's early-stop rule; 0 = off
  uint64_t seed = 0;
  double max_energy_j = INFINITY;
  std::string budget_unit = "epochs";  // rungs in epochs or joules
  double min_budget = NAN;             // NaN: 1 epoch (epochs); required for joules
  double max_budget = NAN;             // NaN: the workload's max epochs (epochs); required for joules
  double eta = 3;
  bool given() const { return !config.empty() || !simulate.empty(); }
};
// Adds CONFIG, --simulate, --gpu, --workload, --strategy, --beta, --seed, --max-energy-j,
// --budget-unit, --min-budget, --max-budget, --eta.
void add_study_definition_options(CLI::App* cmd, StudyDefinition& d);
// The spec stored with a study, from which make_backend rebuilds it anywhere (a study file
// is stored by content). Throws ConfigError when the study file cannot be read.
nlohmann::json study_spec(const StudyDefinition& d);

std::string config_text(const tune::Config& c);
nlohmann::json config_json(const tune::Config& c);
tune::Config config_from_json(const nlohmann::json& j);
// A trial as stored and printed (JSON numbers; NaN and inf become null), and back.
nlohmann::json trial_json(const tune::TrialRecord& r);
tune::TrialRecord trial_from_json(const nlohmann::json& j);
// The trial as asked (before it is trained), as stored in a shared study log.
nlohmann::json asked_json(const tune::Trial& t);
// True when `t` is the trial stored as `j` (by id, config and budget).
bool same_trial(const tune::Trial& t, const nlohmann::json& j);

// One study's backend: the objective and what can be said about its results.
struct Backend {
  std::unique_ptr<tune::Objective> objective;
  tune::SearchSpace space;
  tune::TunerOptions options;
  tune::StrategyBudget budget;                        // rungs (unit in options.budget_unit)
  std::string strategy;
  uint64_t seed = 0;
  std::string description;                            // printed first
  std::string provenance;                             // of the energies
  std::function<std::string()> live_provenance;       // real training: from the meter
  nlohmann::json spec;                                // stored, so --resume rebuilds the same study
  nlohmann::json extra;                               // backend facts for the JSON output
  std::string name;                                   // the study config's name, if any
  // Simulation only: the true energy-to-target of a config, the optimum, grid's energy.
  std::function<double(const tune::Config&)> true_eta_j;
  double optimal_eta_j = NAN;
  std::function<double()> grid_energy_j;
  // Real training: the training config of a chosen configuration (base + its keys), as JSON.
  std::function<std::string(const tune::Config&)> train_config_for;
  // Real training: keep each configuration's state in this directory (see TrainingObjective).
  std::function<void(const std::string&)> keep_states_in;
  // Keeps what the objective refers to alive.
  std::shared_ptr<void> keep;
};

// Builds the backend a spec describes. Throws ConfigError (or std::exception) naming the problem.
Backend make_backend(const nlohmann::json& spec, const DiscoverOptions& sensors, bool quiet);
// A fresh strategy of the backend (same name, space and seed every time).
std::unique_ptr<tune::Strategy> make_backend_strategy(const Backend& b);

// The closing summary of a study: text for the terminal and the JSON document.
struct StudySummary {
  std::string text;
  nlohmann::json json;
};
StudySummary summarize_study(const Backend& b, const tune::Strategy& strategy, double search_energy_j,
                             const nlohmann::json& trials);

// The provenance of the energies the backend's objective has produced so far.
std::string backend_provenance(const Backend& b);

// Where a real-training study keeps its configurations' states unless --states-dir says:
// beside the SQLite file (`FILE.states/STUDY`), or `powertrain-states/STUDY` in the current
// directory for a PostgreSQL study (workers on other machines pass a shared --states-dir).
std::string default_states_dir(const std::string& storage, const std::string& study);
// Points the backend at `dir` for its states (real training only; "" = none). Returns a
// line for the user, "" when nothing is kept. Throws when the directory cannot be made.
std::string use_states_dir(const Backend& b, const std::string& dir);
// Removes a finished study's states directory (and its parent when that is left empty).
void remove_states_dir(const std::string& dir);

// A trial's progress line.
std::string trial_line(const tune::TrialRecord& r);

}  // namespace powertrain::cli
