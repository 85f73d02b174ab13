// powertrain/study/search.h: the search study (research.md sections 2 and 3): grid, random,
// TPE, successive halving and SM2 on the same batch size x learning rate space with real
// training, by the energy each spends until a trial first reaches the target accuracy and
// by the configuration it chooses; with a Zeus trace directory, the same strategies also
// on the GPU traces (simulated), where the optimum is known.
//
// Example:
//   powertrain::StudyOptions o;
//   o.scale = "tiny";
//   powertrain::SearchResult r = powertrain::run_search_study(o, powertrain::SearchOptions{}, nullptr);
//   for (const auto& s : r.runs) std::cout << s.strategy << " " << s.search_energy_j << " J\n";
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "powertrain/study/options.h"
#include "powertrain/study/record.h"
#include "powertrain/tune/space.h"

namespace powertrain {

struct SearchOptions {
  std::vector<int64_t> batch_sizes;    // empty = 64, 256 (tiny) or 64, 256, 1024
  std::vector<double> learning_rates;  // empty = 0.1, 0.01 (tiny) or 0.1, 0.01, 0.001
  double target = NAN;                 // target validation accuracy; NaN = the scale's (0.6, 0.8, 0.88)
  std::string trace_dir;               // also run on the Zeus GPU traces in this directory ("" = not)
};

// One strategy's whole search with real training.
struct SearchStrategyRow {
  std::string strategy;
  int64_t trials = 0;
  double search_energy_j = NAN;        // every trial of the search
  double energy_to_first_target_j = NAN;  // the search energy when a trial first reached the target (NaN: never)
  double duration_s = NAN;
  tune::Config best_config;            // the configuration it chose (empty: none)
  double best_val_accuracy = NAN;
  bool best_reached_target = false;
  double best_energy_to_target_j = NAN;   // the chosen configuration's own energy to the target
  Provenance energy_provenance = Provenance::missing;
  double energy_j = NAN;               // what the study spent on this strategy (= search_energy_j)
};

// One strategy on the Zeus traces (simulated energies).
struct SimulatedSearchRow {
  std::string strategy;
  std::string gpu;
  std::string workload;
  int64_t trials = 0;
  double search_energy_j = NAN;
  double search_energy_optimal_runs = NAN;  // in units of one training run of the optimal configuration
  double chosen_energy_to_target_j = NAN;
  double chosen_vs_optimal = NAN;           // the chosen configuration's energy to the target / the optimum's
  Provenance energy_provenance = Provenance::simulated;
};

struct SearchResult {
  StudyHeader header;
  SearchOptions options;               // as run: the space and the target filled in
  std::vector<std::string> strategies;
  std::string optimizer;               // of every trial
  double target_val_accuracy = NAN;    // the target used
  std::vector<SearchStrategyRow> runs; // one per strategy
  std::vector<SimulatedSearchRow> simulated;  // empty without trace_dir
};

// Runs the study; see run_regime_study for what is stored and thrown.
SearchResult run_search_study(const StudyOptions& opts, const SearchOptions& search, Store* store);

// The one codec of the search result ("powertrain.study.search/1").
void to_json(nlohmann::json& j, const SearchOptions& o);
void from_json(const nlohmann::json& j, SearchOptions& o);
void to_json(nlohmann::json& j, const SearchStrategyRow& r);
void from_json(const nlohmann::json& j, SearchStrategyRow& r);
void to_json(nlohmann::json& j, const SimulatedSearchRow& r);
void from_json(const nlohmann::json& j, SimulatedSearchRow& r);
void to_json(nlohmann::json& j, const SearchResult& r);
void from_json(const nlohmann::json& j, SearchResult& r);

}  // namespace powertrain
