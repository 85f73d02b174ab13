// What a search found, as JSON ("powertrain.tune/1"): the one place its keys are spelled.
#include "powertrain/search/summary.h"

#include "util/json.h"

namespace powertrain::search {

using nlohmann::json;
using util::num;

const char* ending_name(Ending e) {
  switch (e) {
    case Ending::finished: return "finished";
    case Ending::energy_budget: return "energy_budget";
    case Ending::interrupted: return "interrupted";
    case Ending::in_progress: return "in_progress";
  }
  return "finished";
}

json summary_to_json(const SearchSummary& s, const std::vector<StoredTrial>& trials) {
  json trial_list = json::array();
  for (const auto& t : trials) trial_list.push_back(trial_to_json(t));
  json front = nullptr;
  if (!s.pareto_front.empty()) {
    front = json::array();
    for (const auto& p : s.pareto_front) {
      front.push_back({{"config", config_to_json(p.config)}, {"metric", num(p.metric)}, {"energy_j", num(p.energy_j)},
                       {"loss", num(p.loss)}, {"budget", num(p.budget)}});
    }
  }
  json j = {{"schema", "powertrain.tune/1"},
            {"strategy", s.strategy},
            {"beta", s.beta},
            {"seed", s.seed},
            {"ending", ending_name(s.ending)},
            {"trials", trial_list},
            {"best_config", s.chosen ? config_to_json(*s.chosen) : json(nullptr)},
            {"best_metric", num(s.chosen_metric)},
            {"best_reached_target", s.has_target ? json(s.chosen_reached_target) : json(nullptr)},
            {"best_eta_j", num(s.chosen_eta_j)},
            {"optimal_eta_j", num(s.optimal_eta_j)},
            {"search_energy_j", num(s.search_energy_j)},
            {"search_duration_s", num(s.search_duration_s)},
            {"grid_energy_j", num(s.grid_energy_j)},
            {"grid_energy_basis", s.grid_basis},
            {"energy_provenance", provenance_name(s.energy_provenance)},
            {"pareto_front", front}};
  if (s.backend == Backend::zeus_trace) {
    j["backend"] = "zeus-trace";
    j["gpu"] = s.zeus.gpu;
    j["workload"] = s.zeus.workload;
    j["network"] = s.network;
    j["optimal_config"] = {{"batch_size", s.optimal_batch_size}, {"power_limit_w", num(s.optimal_power_limit_w)}};
    j["power_limits"] = s.zeus.search_power_limits ? "searched" : "profiled";
    j["batch_size_probe"] = s.zeus.probe_batch_sizes;  // sm2 screened batch sizes on probes before exploring
    j["best_power_limit_w"] = num(s.chosen_power_limit_w);  // profiled: the limit the chosen configuration trains at
  } else {
    j["backend"] = "train";
    j["study_config"] = s.study_path;
  }
  return j;
}

}  // namespace powertrain::search
