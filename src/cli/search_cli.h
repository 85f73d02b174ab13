// Private to the CLI: what `tune` and `worker` share: the options that define a search
// study.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

#include "powertrain/search/runner.h"
#include "powertrain/search/spec.h"
#include "powertrain/search/summary.h"

namespace CLI { class App; }

namespace powertrain::cli {

// The command-line options that define a study (the rest only say how to run it).
struct StudyDefinition {
  std::string config;          // study file: real training
  std::string simulate;        // zeus:DIR
  std::string gpu = "v100";
  std::string workload = "cifar100";
  bool search_power_limits = false;  // else profiled in each configuration's first epoch
  bool no_batch_size_probe = false;  // else sm2 probes J/sample before any exploratory epoch
  std::string strategy = "sm2";  // --simulate: the cheapest run to its end (bench/tune_trace_bench.cpp)
  double beta = 0;             // Zeus's early-stop rule; 0 = off
  uint64_t seed = 0;
  double max_energy_j = INFINITY;
  std::string budget_unit = "epochs";  // rungs in epochs or joules
  double min_budget = NAN;
  double max_budget = NAN;
  double eta = 3;
  bool given() const { return !config.empty() || !simulate.empty(); }
};
// Adds CONFIG, --simulate, --gpu, --workload, --strategy, --beta, --seed, --max-energy-j,
// --budget-unit, --min-budget, --max-budget, --eta.
void add_study_definition_options(CLI::App* cmd, StudyDefinition& d);
// Returns the spec the options define (a study file, or a simulation), checked whole.
// Throws ConfigError naming the option or key.
search::StudySpec study_spec(const StudyDefinition& d);

}  // namespace powertrain::cli
