// What `tune` and `worker` share: the study-defining options, the training objective, and
// how trials and summaries print.
#include "cli/search_cli.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "powertrain/report/format.h"


namespace powertrain::cli {

namespace {

std::string energy(double j) { return report::format_energy_j(j); }

std::string config_text(const tune::Config& c) {
  std::string out;
  for (const auto& [k, v] : c) out += (out.empty() ? "" : " ") + k + "=" + tune::value_text(v);
  return out;
}

}  // namespace

void add_study_definition_options(CLI::App* cmd, StudyDefinition& d) {
  cmd->add_option("config", d.config, "study config (JSON: base training config, search space, strategy; see docs/tune.md)");
  cmd->add_option("--simulate", d.simulate, "simulate training from traces: zeus:DIR (the Zeus NSDI'23 trace directory)");
  cmd->add_option("--gpu", d.gpu, "trace GPU: v100, a40 or rtx6000 (default v100)");
  cmd->add_option("--workload", d.workload,
                  "trace workload: cifar100, imagenet, squad, librispeech, movielens-1m, sentiment140 (default cifar100)");
  cmd->add_option("--strategy", d.strategy, "grid, random, tpe, sh, hyperband, sm2, pareto-sh, asha (default hyperband)");
  cmd->add_option("--beta", d.beta, "stop a configuration once its energy exceeds beta x the best energy-to-target seen (Zeus: 2; default off)");
  cmd->add_option("--seed", d.seed, "seed of the strategy and of the trace runs (default 0)");
  cmd->add_option("--max-energy-j", d.max_energy_j, "stop the search once it has spent this many joules");
  cmd->add_option("--budget-unit", d.budget_unit, "simulation: rungs in epochs or joules (default epochs)")
      ->check(CLI::IsMember({"epochs", "joules"}));
  cmd->add_option("--min-budget", d.min_budget, "simulation: first rung (default 1 epoch; required with joules)");
  cmd->add_option("--max-budget", d.max_budget, "simulation: full budget (default the workload's max epochs; required with joules)");
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
  return search::zeus_study({d.simulate, d.gpu, d.workload}, options);
}

std::string trial_line(const StoredTrial& t) {
  const tune::TrialRecord& r = t.record;
  return fmt::format("trial {:>4}  {:<32} epochs {:>3} -> {:<3} metric {:>8.4f}{}  +{:>10}  search {:>10}", r.trial.id,
                     config_text(r.trial.config), r.from_epoch, r.to_epoch, r.result.metric,
                     r.result.reached_target ? " (target)" : (r.result.stopped_early ? " (beta stop)" : "         "),
                     report::with_origin(energy(r.trial_energy_j), report::origin_of(t.energy_provenance)),
                     energy(r.search_energy_j));
}

std::string summary_text(const search::SearchSummary& s) {
  std::string out;
  switch (s.ending) {
    case search::Ending::finished: out = fmt::format("\npowertrain: {} finished after {} trials\n", s.strategy, s.trials); break;
    case search::Ending::energy_budget:
      out = fmt::format("\npowertrain: {} stopped after {} trials: the energy budget (--max-energy-j) is spent\n", s.strategy, s.trials);
      break;
    case search::Ending::interrupted:
      out = fmt::format("\npowertrain: {} interrupted after {} trials (continue it with --resume)\n", s.strategy, s.trials);
      break;
    case search::Ending::in_progress: out = fmt::format("\npowertrain: {} in progress: {} trials so far\n", s.strategy, s.trials); break;
  }
  if (s.chosen) {
    out += fmt::format("  chosen           {} (metric {:.4f}{})\n", config_text(*s.chosen), s.chosen_metric,
                       s.chosen_reached_target ? ", reached the target" : "");
    if (s.has_target && !s.chosen_reached_target) {
      out += "  note             no configuration reached the target: the chosen one is the best of those trained longest; "
             "widen the space, raise the budget or lower the target\n";
    }
  } else {
    out += "  chosen           nothing (no trial finished)\n";
  }
  if (std::isfinite(s.chosen_eta_j)) {
    out += fmt::format("  its energy       {} to reach the target (mean over the trace's runs); the best configuration needs {}: "
                       "{:.2f}x\n", energy(s.chosen_eta_j), energy(s.optimal_eta_j), s.chosen_eta_j / s.optimal_eta_j);
  }
  out += fmt::format("  search energy    {} ({})", energy(s.search_energy_j), provenance_name(s.energy_provenance));
  if (std::isfinite(s.optimal_eta_j)) out += fmt::format(" = {:.1f} optimal training runs", s.search_energy_j / s.optimal_eta_j);
  out += "\n";
  if (std::isfinite(s.grid_energy_j) && s.grid_energy_estimated) {
    out += fmt::format("  against grid     grid search over the same space would spend about {} ({}): this search spent {:.1f} % of it\n",
                       energy(s.grid_energy_j), s.grid_basis, 100.0 * s.search_energy_j / s.grid_energy_j);
  } else if (std::isfinite(s.grid_energy_j)) {
    out += fmt::format("  against grid     grid search over the same space spends {}: this search spent {:.1f} % of it\n",
                       energy(s.grid_energy_j), 100.0 * s.search_energy_j / s.grid_energy_j);
  }
  if (!s.pareto_front.empty()) {
    out += "  Pareto front     (no configuration is better in both metric and energy than these)\n";
    for (const auto& p : s.pareto_front) {
      out += fmt::format("                   {:<36} metric {:>8.4f}  energy {:>10}  at budget {:.3g}\n", config_text(p.config),
                         p.metric, energy(p.energy_j), p.budget);
    }
  }
  return out;
}

}  // namespace powertrain::cli
