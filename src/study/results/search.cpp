// The one codec of the search study's result (powertrain.study.search/1).
#include "powertrain/study/search.h"

#include <variant>

#include "study/results/codec.h"

namespace powertrain {

using namespace study_codec;

namespace {

json config_json(const tune::Config& c) {
  if (c.empty()) return nullptr;
  json j = json::object();
  for (const auto& [key, value] : c) {
    j[key] = std::holds_alternative<double>(value) ? num(std::get<double>(value)) : json(std::get<std::string>(value));
  }
  return j;
}

tune::Config config_at(const json& j, const char* key) {
  tune::Config c;
  const json& o = value_at(j, key);
  if (!o.is_object()) return c;
  for (auto it = o.begin(); it != o.end(); ++it) {
    if (it->is_number()) c[it.key()] = it->get<double>();
    else if (it->is_string()) c[it.key()] = it->get<std::string>();
  }
  return c;
}

}  // namespace

void to_json(json& j, const SearchOptions& o) {
  j = json{{"batch_sizes", o.batch_sizes}, {"learning_rates", numbers(o.learning_rates)}, {"target_val_accuracy", num(o.target)},
           {"trace_dir", o.trace_dir}};
}

void from_json(const json& j, SearchOptions& o) {
  o.batch_sizes = integers_at(j, "batch_sizes");
  o.learning_rates = numbers_at(j, "learning_rates");
  o.target = number_at(j, "target_val_accuracy");
  o.trace_dir = text_at(j, "trace_dir");
}

void to_json(json& j, const SearchStrategyRow& r) {
  j = json{{"strategy", r.strategy},
           {"trials", r.trials},
           {"search_energy_j", num(r.search_energy_j)},
           {"energy_to_first_target_j", num(r.energy_to_first_target_j)},
           {"duration_s", num(r.duration_s)},
           {"best_config", config_json(r.best_config)},
           {"best_val_accuracy", num(r.best_val_accuracy)},
           {"best_reached_target", r.best_reached_target},
           {"best_energy_to_target_j", num(r.best_energy_to_target_j)},
           {"energy_provenance", provenance_name(r.energy_provenance)},
           {"energy_j", num(r.energy_j)}};
}

void from_json(const json& j, SearchStrategyRow& r) {
  r.strategy = text_at(j, "strategy");
  r.trials = integer_at(j, "trials");
  r.search_energy_j = number_at(j, "search_energy_j");
  r.energy_to_first_target_j = number_at(j, "energy_to_first_target_j");
  r.duration_s = number_at(j, "duration_s");
  r.best_config = config_at(j, "best_config");
  r.best_val_accuracy = number_at(j, "best_val_accuracy");
  r.best_reached_target = flag_at(j, "best_reached_target");
  r.best_energy_to_target_j = number_at(j, "best_energy_to_target_j");
  r.energy_provenance = provenance_at(j, "energy_provenance");
  r.energy_j = number_at(j, "energy_j");
}

void to_json(json& j, const SimulatedSearchRow& r) {
  j = json{{"strategy", r.strategy},
           {"gpu", r.gpu},
           {"workload", r.workload},
           {"trials", r.trials},
           {"search_energy_j", num(r.search_energy_j)},
           {"search_energy_optimal_runs", num(r.search_energy_optimal_runs)},
           {"chosen_energy_to_target_j", num(r.chosen_energy_to_target_j)},
           {"chosen_vs_optimal", num(r.chosen_vs_optimal)},
           {"energy_provenance", provenance_name(r.energy_provenance)}};
}

void from_json(const json& j, SimulatedSearchRow& r) {
  r.strategy = text_at(j, "strategy");
  r.gpu = text_at(j, "gpu");
  r.workload = text_at(j, "workload");
  r.trials = integer_at(j, "trials");
  r.search_energy_j = number_at(j, "search_energy_j");
  r.search_energy_optimal_runs = number_at(j, "search_energy_optimal_runs");
  r.chosen_energy_to_target_j = number_at(j, "chosen_energy_to_target_j");
  r.chosen_vs_optimal = number_at(j, "chosen_vs_optimal");
  // Every simulated row is simulated; older results wrote the provenance, the rest implied it.
  r.energy_provenance = value_at(j, "energy_provenance").is_string() ? provenance_at(j, "energy_provenance") : Provenance::simulated;
}

void to_json(json& j, const SearchResult& r) {
  to_json(j, r.header);
  json& in = j["inputs"];
  in.update(json(r.options));
  in["strategies"] = r.strategies;
  in["optimizer"] = r.optimizer;
  j["target_val_accuracy"] = num(r.target_val_accuracy);
  j["runs"] = list(r.runs);
  j["simulated"] = list(r.simulated);
}

void from_json(const json& j, SearchResult& r) {
  from_json(j, r.header);
  const json& in = object_at(j, "inputs");
  from_json(in, r.options);
  r.strategies = texts_at(in, "strategies");
  r.optimizer = text_at(in, "optimizer");
  r.target_val_accuracy = number_at(j, "target_val_accuracy");
  r.runs = list_at<SearchStrategyRow>(j, "runs");
  r.simulated = list_at<SimulatedSearchRow>(j, "simulated");
}

}  // namespace powertrain
