// A search study on the terminal: trial lines and the closing summary.
#include "powertrain/report/search_text.h"

#include <fmt/format.h>

#include <cmath>

#include "powertrain/report/format.h"

namespace powertrain {
namespace report {

namespace {

std::string energy(double j) { return format_energy_j(j); }

}  // namespace

std::string lr_sweep_text(const std::vector<tune::LrStability>& points) {
  std::string out;
  for (const auto& p : points) {
    out += out.empty() ? "LR " : ", ";
    out += fmt::format("{:g} ", p.lr) +
           (p.instability <= 0 ? std::string("ok") : p.instability >= 1 ? std::string("diverged") : format_number(p.instability, 2));
  }
  return out;
}

std::string trial_line(const StoredTrial& t) {
  const tune::TrialRecord& r = t.record;
  if (r.trial.probe) {  // a few iterations that measured the cost of a sample, before any epoch
    const std::string per_sample = std::isfinite(r.result.energy_per_sample_j)
                                       ? fmt::format("{:.3g} mJ/sample", r.result.energy_per_sample_j * 1000.0)
                                       : std::string("not measured");
    const std::string sweep = lr_sweep_text(r.result.lr_instability);
    return fmt::format("trial {:>4}  {:<32} probe         {:<28}  +{:>10}  search {:>10}{}", r.trial.id,
                       tune::config_text(r.trial.config), per_sample,
                       with_origin(energy(r.trial_energy_j), origin_of(t.energy_provenance)), energy(r.search_energy_j),
                       sweep.empty() ? "" : "  " + sweep);
  }
  return fmt::format("trial {:>4}  {:<32} epochs {:>3} -> {:<3} metric {:>8.4f}{}  +{:>10}  search {:>10}", r.trial.id,
                     tune::config_text(r.trial.config), r.from_epoch, r.to_epoch, r.result.metric,
                     r.result.reached_target ? " (target)" : (r.result.stopped_early ? " (stopped)" : "         "),
                     with_origin(energy(r.trial_energy_j), origin_of(t.energy_provenance)),
                     energy(r.search_energy_j));
}

std::string search_summary_text(const search::SearchSummary& s) {
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
    out += fmt::format("  chosen           {}{} (metric {:.4f}{})\n", tune::config_text(*s.chosen),
                       std::isfinite(s.chosen_power_limit_w) ? fmt::format(" at {:g} W (profiled in its first epoch)", s.chosen_power_limit_w) : "",
                       s.chosen_metric, s.chosen_reached_target ? ", reached the target" : "");
    if (s.has_target && !s.chosen_reached_target) {
      out += "  note             no configuration reached the target: the chosen one is the closest to it; "
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
      out += fmt::format("                   {:<36} metric {:>8.4f}  energy {:>10}  at budget {:.3g}\n", tune::config_text(p.config),
                         p.metric, energy(p.energy_j), p.budget);
    }
  }
  return out;
}

}  // namespace report
}  // namespace powertrain
