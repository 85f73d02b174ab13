// The search study's section: each strategy's whole search with real training (energy
// spent, energy until a trial first reached the target, the configuration chosen), and the
// same strategies on the GPU traces where the optimum is known.
#include <cmath>
#include <variant>

#include "report/studies/sections.h"

namespace powertrain {
namespace report {
namespace studies {

namespace {

std::string config_text(const tune::Config& c) {
  if (c.empty()) return "n/a";
  std::string out;
  for (const auto& [key, value] : c) {
    out += (out.empty() ? "" : ", ") + key + "=" +
           (std::holds_alternative<double>(value) ? parts::short_number(std::get<double>(value)) : std::get<std::string>(value));
  }
  return out;
}

}  // namespace

void search_section(Builder& b, const SearchResult& r) {
  begin(b, r.header, r.runs.size());
  std::vector<std::string> labels;
  std::vector<Stat> search_energy, to_target;
  std::vector<Origin> origins;
  for (const auto& x : r.runs) {
    labels.push_back(x.strategy);
    search_energy.push_back(Stat{x.search_energy_j, NAN});
    to_target.push_back(Stat{x.energy_to_first_target_j, NAN});
    origins.push_back(origin_of(x.energy_provenance));
  }
  b.doc().heading("Strategies on the same space");
  b.doc().chart(svg(stat_bars("Energy each search spent", "search energy (J)", labels, search_energy, origins, true)),
                "Energy of every trial of each strategy's search, real training on this machine.");
  b.doc().chart(svg(stat_bars("Energy until a trial first reached the target", "energy to the target (J)", labels, to_target, origins, true)),
                "Search energy spent when a trial first reached the target accuracy (n/a: never reached).");
  Table t;
  t.title = "Strategies";
  t.columns = {"strategy", "trials", "search energy", "energy to target", "chosen configuration", "its val acc"};
  t.numeric = {false, true, true, true, false, true};
  for (const auto& x : r.runs) {
    const Origin so = origin_of(x.energy_provenance);
    t.rows.push_back({x.strategy, std::to_string(x.trials), energy_text(x.search_energy_j, so), energy_text(x.energy_to_first_target_j, so),
                      config_text(x.best_config), number_text(x.best_val_accuracy)});
  }
  b.table(t, true);
  if (r.simulated.empty()) return;
  std::vector<std::string> sim_labels;
  std::vector<Stat> optimal_runs;
  for (const auto& x : r.simulated) {
    sim_labels.push_back(x.strategy);
    optimal_runs.push_back(Stat{x.search_energy_optimal_runs, NAN});
  }
  b.doc().heading("The same strategies on the V100 cifar100 trace (simulated)");
  b.doc().chart(svg(stat_bars("Search energy in optimal training runs", "optimal training runs", sim_labels, optimal_runs, {}, false)),
                "Energy each search spent, in units of one training run of the optimal configuration.");
  Table s;
  s.title = "Simulated searches";
  s.columns = {"strategy", "gpu", "workload", "trials", "search energy", "search energy (optimal runs)", "chosen: energy to target",
               "chosen / optimal", "provenance"};
  s.numeric = {false, false, false, true, true, true, true, true, false};
  for (const auto& x : r.simulated) {
    const Origin so = origin_of(x.energy_provenance);
    s.rows.push_back({x.strategy, x.gpu, x.workload, std::to_string(x.trials), energy_text(x.search_energy_j, so),
                      number_text(x.search_energy_optimal_runs), energy_text(x.chosen_energy_to_target_j, so),
                      number_text(x.chosen_vs_optimal), provenance_name(x.energy_provenance)});
  }
  b.table(s);
}

}  // namespace studies
}  // namespace report
}  // namespace powertrain
