// What `tune` and `worker` share: the options that define a study.
#include "cli/search_cli.h"

#include <CLI/CLI.hpp>

#include "cli/output.h"

namespace powertrain::cli {

void add_study_definition_options(CLI::App* cmd, StudyDefinition& d) {
  cmd->add_option("config", d.config, "study config (JSON: base training config, search space, strategy; see docs/tune.md)");
  cmd->add_option("--simulate", d.simulate, "simulate training from traces: zeus:DIR (the Zeus NSDI'23 trace directory)");
  cmd->add_option("--gpu", d.gpu, "trace GPU: v100, a40 or rtx6000 (default v100)");
  cmd->add_option("--workload", d.workload,
                  "trace workload: cifar100, imagenet, squad, librispeech, movielens-1m, sentiment140 (default cifar100)");
  cmd->add_flag("--search-power-limits", d.search_power_limits, "simulation: search power limits as configurations (default: profile them in each one's first epoch)");
  cmd->add_flag("--no-batch-size-probe", d.no_batch_size_probe, "simulation, sm2: screen batch sizes after an exploratory epoch each (default: on a 50-iteration probe of each, before any epoch)");
  cmd->add_option("--strategy", d.strategy, "grid, random, tpe, sh, hyperband, sm2, pareto-sh, asha (default sm2)");
  cmd->add_option("--beta", d.beta, "stop a configuration once its energy exceeds beta x the best energy-to-target seen (Zeus: 2; default off)");
  cmd->add_option("--seed", d.seed, "seed of the strategy and of the trace runs (default 0)");
  cmd->add_option("--max-energy-j", d.max_energy_j, "stop the search once it has spent this many joules");
  cmd->add_option("--budget-unit", d.budget_unit, "simulation: rungs in epochs or joules (default epochs)")
      ->check(CLI::IsMember({"epochs", "joules"}));
  cmd->add_option("--min-budget", d.min_budget, "simulation: first rung (default 1 epoch; required with joules)")
      ->check(finite_range(1e-9, 1e15));
  cmd->add_option("--max-budget", d.max_budget, "simulation: full budget (default the workload's max epochs; required with joules)")
      ->check(finite_range(1e-9, 1e15));
  cmd->add_option("--eta", d.eta, "simulation: rung growth factor of sh, hyperband, asha, sm2, pareto-sh (default 3)");
}

search::StudySpec study_spec(const StudyDefinition& d) {
  if (d.simulate.empty()) return search::read_study_file(d.config);
  search::StudySpec options;
  options.strategy = d.strategy;
  options.beta = d.beta;
  options.seed = d.seed;
  options.max_energy_j = d.max_energy_j;
  options.budget.unit = d.budget_unit == "joules" ? tune::BudgetUnit::joules : tune::BudgetUnit::epochs;
  options.budget.min = d.min_budget;
  options.budget.max = d.max_budget;
  options.budget.eta = d.eta;
  return search::zeus_study({d.simulate, d.gpu, d.workload, d.search_power_limits, !d.no_batch_size_probe}, options);
}

}  // namespace powertrain::cli
