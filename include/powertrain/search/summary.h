// powertrain/search/summary.h: what a search found, as `powertrain tune` and `powertrain
// worker` print it and write it as JSON ("powertrain.tune/1", the one place its keys are
// spelled).
//
// Example:
//   powertrain::search::SearchSummary s = runner.summary(powertrain::search::Ending::finished);
//   if (!s.chosen_reached_target) std::cerr << "no configuration reached the target\n";
//   std::cout << powertrain::search::summary_to_json(s, runner.trials()).dump(2);
#pragma once

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "powertrain/energy/source.h"
#include "powertrain/search/spec.h"
#include "powertrain/store/trial.h"
#include "powertrain/tune/space.h"

namespace powertrain::search {

// Why a search stopped (or stands where it is).
enum class Ending {
  finished,       // the strategy ended by itself
  energy_budget,  // the search spent its max_energy_j
  interrupted,    // stopped on request (Ctrl-C, SIGTERM) between trials; resumable
  in_progress,    // a worker's view of a study that others still run
};
// Returns "finished", "energy_budget", "interrupted" or "in_progress".
const char* ending_name(Ending e);

// One configuration on the Pareto front of (metric, energy) of a multi-objective strategy.
struct ParetoPoint {
  tune::Config config;
  double metric = NAN;
  double energy_j = NAN;
  double loss = NAN;
  double budget = NAN;
};

struct SearchSummary {
  std::string strategy;
  double beta = 0;
  uint64_t seed = 0;
  long trials = 0;
  Ending ending = Ending::finished;

  std::optional<tune::Config> chosen;         // nullopt before any result
  double chosen_metric = NAN;
  bool has_target = false;                    // the study has a target to reach
  bool chosen_reached_target = false;         // the chosen configuration reached it
  double chosen_eta_j = NAN;                  // simulation: its true energy to the target (mean over the trace's runs)
  double optimal_eta_j = NAN;                 // simulation: the best configuration's

  double search_energy_j = NAN;
  double search_duration_s = NAN;
  Provenance energy_provenance = Provenance::missing;  // the weakest of the trials'
  double grid_energy_j = NAN;                 // grid search over the same space
  bool grid_energy_estimated = false;         // real training: estimated from the trials (see grid_basis)
  std::string grid_basis;                     // how grid_energy_j was obtained
  std::vector<ParetoPoint> pareto_front;      // pareto-sh only

  Backend backend = Backend::training;
  std::string study_path;                     // training: the study file
  ZeusStudy zeus;                             // simulation
  std::string network;                        // simulation: the workload's network
  int optimal_batch_size = 0;                 // simulation: the optimum's configuration
  double optimal_power_limit_w = NAN;
  double chosen_power_limit_w = NAN;          // simulation with profiled power limits: the chosen one's
};

// Returns the study as JSON, schema "powertrain.tune/1": the summary and every trial
// (store/trial.h's form). Unknown numbers are null.
nlohmann::json summary_to_json(const SearchSummary& summary, const std::vector<StoredTrial>& trials);

}  // namespace powertrain::search
