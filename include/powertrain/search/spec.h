// powertrain/search/spec.h: what a search study is, read and checked whole before any trial.
//
// A study is either real training (a study file: a base training config, a search space
// over its keys, a strategy; docs/tune.md) or a simulation on the Zeus GPU traces
// (`--simulate zeus:DIR --gpu G --workload W`). The spec is stored with the study (a
// study file by its content), so a resumed study or another worker on another machine
// rebuilds exactly the same search from it. Everything that can be wrong is found here,
// before the first trial: unknown keys, non-finite or out-of-range numbers, an unknown
// strategy, impossible budgets, and every value of the space applied to the base config
// (an unknown key or an impossible value of a configuration is an error now, not in the
// first trial). The JSON form is this module's: the one place its keys are spelled.
//
// Example:
//   powertrain::search::StudySpec spec = powertrain::search::read_study_file("study.json");
//   nlohmann::json stored = powertrain::search::spec_to_json(spec);
//   powertrain::search::StudySpec again = powertrain::search::spec_from_json(stored);
#pragma once

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "powertrain/store/store.h"
#include "powertrain/train/config.h"
#include "powertrain/tune/registry.h"
#include "powertrain/tune/space.h"
#include "powertrain/tune/trace.h"
#include "powertrain/tune/trace_objective.h"
#include "powertrain/tune/tuner.h"

namespace powertrain::search {

enum class Backend {
  training,    // real training through the training engine (a study file)
  zeus_trace,  // simulated on the Zeus NSDI'23 GPU traces
};

// The rungs of the rung-based strategies.
struct BudgetSpec {
  tune::BudgetUnit unit = tune::BudgetUnit::epochs;
  double min = NAN;  // NaN: 1 epoch (epochs); required for joules
  double max = NAN;  // NaN: the study's max epochs (epochs); required for joules
  double eta = 3;
};

// A simulation on the Zeus traces (the command-line options of `powertrain tune --simulate`).
struct ZeusStudy {
  std::string simulate;            // "zeus:DIR"
  std::string gpu = "v100";        // v100, a40, rtx6000
  std::string workload = "cifar100";
  // false (default): the power limit is profiled in each configuration's first epoch (Zeus's
  // just-in-time profiler) and the search space is the batch size alone; true: the power
  // limit is searched as a parameter, each (batch size, limit) a configuration.
  bool search_power_limits = false;
  // true (default): SM2 probes every configuration's energy per sample (a few iterations)
  // and screens batch sizes on that before any exploratory epoch; false: after them.
  bool probe_batch_sizes = true;
};

struct StudySpec {
  Backend backend = Backend::training;
  std::string strategy = "sh";
  uint64_t seed = 0;
  double beta = 0;                                      // Zeus's early-stop rule; 0 = off
  double max_energy_j = std::numeric_limits<double>::infinity();
  BudgetSpec budget;

  // zeus_trace
  ZeusStudy zeus;
  std::shared_ptr<const tune::ZeusTrace> trace;  // loaded when the spec was read

  // training: the study file as written (stored by content) and what it says
  std::string study_path;   // where it was read (for messages)
  std::string study_text;   // its content
  std::string name;         // its "name" ("" when none)
  TrainConfig base;         // "train", with max_epochs applied
  tune::SearchSpace space;  // "space"
  int max_epochs = 0;       // "max_epochs" (default: the base config's epochs)
  double target = NAN;      // "target": validation accuracy to reach; NaN = none
  // "batch_size_probe" (default true): sm2 probes each configuration's energy per sample
  // before exploring (TrainingObjective::probe). Stored studies without it replay without.
  bool probe_batch_sizes = true;
  // "lr_screening" (default true): with the probes, sm2's probe of each batch size also
  // sweeps the space's learning rates ("optimizer.lr") and drops those that diverge
  // (tune/lr_screen.h). Stored studies without it replay without.
  bool screen_learning_rates = true;
};

// Returns the spec of the study file at `path`, checked whole (validate). Throws ConfigError
// naming the file, the key and the fix.
StudySpec read_study_file(const std::string& path);
// Returns the spec of a study file's `text`; `origin` names it in errors. Checked whole.
StudySpec parse_study_text(const std::string& text, const std::string& origin);
// Returns the spec of a simulation with the given strategy options, checked whole (loads
// the traces to check the GPU and workload). Throws ConfigError naming the option.
StudySpec zeus_study(const ZeusStudy& zeus, const StudySpec& options);

// Throws ConfigError naming the first problem: a non-finite or out-of-range number, an
// unknown strategy, impossible budgets, or (training) a value of the space that the base
// config does not accept. A simulation's traces are loaded to check the GPU and workload.
void validate(const StudySpec& spec);

// Returns the spec as stored with the study.
nlohmann::json spec_to_json(const StudySpec& spec);
// Returns the stored spec, checked whole. Throws ConfigError when it is malformed or no
// longer valid (e.g. the traces moved).
StudySpec spec_from_json(const nlohmann::json& stored);

// Returns the search space a stored training study declares, read without checking it
// against the base config (exports of studies whose definition no longer reads as a whole);
// nullopt when it declares none that can be read.
std::optional<tune::SearchSpace> declared_space(const nlohmann::json& stored);

// Returns the TunerOptions the study runs with (direction, max epochs, target, loss, beta,
// energy limit, budget unit). A simulation takes direction, target and max epochs from
// its workload.
tune::TunerOptions tuner_options(const StudySpec& spec);
// Returns the strategy budgets (defaults filled in: 1 .. max epochs for epochs).
tune::StrategyBudget strategy_budget(const StudySpec& spec);
// Returns the search space: the study file's, or the workload's batch sizes (x power limits
// when they are searched, not profiled).
tune::SearchSpace search_space(const StudySpec& spec);
// Returns how a simulation treats power limits (profiled unless search_power_limits).
tune::PowerProfile power_profile(const StudySpec& spec);

// Returns "sm2 on the v100 trace of cifar100"-style words naming the study, for messages.
std::string spec_label(const StudySpec& spec);
// Returns a name for a new stored study: its file's "name" (else its strategy), then the
// time in seconds since 1970.
std::string default_study_name(const StudySpec& spec);

// What a stored study definition (spec_to_json's form) says, as (name, value) facts for a
// report, read without loading its traces or parsing its study file: backend, strategy,
// gpu, workload, simulate, config_path, as present.
std::vector<std::pair<std::string, std::string>> stored_spec_facts(const nlohmann::json& stored);
// True when the stored definition is a simulated (Zeus trace) study.
bool stored_spec_simulated(const nlohmann::json& stored);

// Returns the definition of the stored search study `name` (`study` as found in `where`, or
// nullopt). Throws ConfigError when there is none (followed by `hint`) or it is a research
// study, not a search.
StudySpec stored_search_spec(const std::optional<StudyRecord>& study, const std::string& name, const std::string& where,
                             const std::string& hint);

}  // namespace powertrain::search
