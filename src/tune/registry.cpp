// Strategies by name with the defaults shared by `powertrain tune` and the trace benchmark.
#include "powertrain/tune/registry.h"

#include <functional>
#include <map>
#include <stdexcept>

#include "powertrain/tune/asha.h"
#include "powertrain/tune/grid_search.h"
#include "powertrain/tune/hyperband.h"
#include "powertrain/tune/pareto_successive_halving.h"
#include "powertrain/tune/random_search.h"
#include "powertrain/tune/sm2.h"
#include "powertrain/tune/successive_halving.h"
#include "powertrain/tune/tpe.h"

namespace powertrain {
namespace tune {

namespace {

using Factory = std::function<std::unique_ptr<Strategy>(const SearchSpace&, const StrategyBudget&, std::uint64_t)>;

bool has_param(const SearchSpace& s, const std::string& name) {
  for (const auto& p : s.params()) if (p.name == name) return true;
  return false;
}

const std::vector<std::pair<std::string, Factory>>& factories() {
  static const std::vector<std::pair<std::string, Factory>> all = {
      {"grid",
       [](const SearchSpace& s, const StrategyBudget& b, std::uint64_t seed) -> std::unique_ptr<Strategy> {
         GridSearchOptions o;
         o.budget = b.max_budget;
         o.shuffle = true;
         o.seed = seed;
         return std::make_unique<GridSearch>(s, o);
       }},
      {"random",
       [](const SearchSpace& s, const StrategyBudget& b, std::uint64_t seed) -> std::unique_ptr<Strategy> {
         RandomSearchOptions o;
         o.n_trials = static_cast<long>(s.grid_size());
         o.budget = b.max_budget;
         o.seed = seed;
         return std::make_unique<RandomSearch>(s, o);
       }},
      {"tpe",
       [](const SearchSpace& s, const StrategyBudget& b, std::uint64_t seed) -> std::unique_ptr<Strategy> {
         TpeOptions o;
         o.n_trials = static_cast<long>(s.grid_size());
         o.n_startup = 10;
         o.budget = b.max_budget;
         o.seed = seed;
         return std::make_unique<Tpe>(s, o);
       }},
      {"sh",
       [](const SearchSpace& s, const StrategyBudget& b, std::uint64_t seed) -> std::unique_ptr<Strategy> {
         SuccessiveHalvingOptions o;
         o.eta = b.eta;
         o.min_budget = b.min_budget;
         o.max_budget = b.max_budget;
         o.n_configs = static_cast<long>(s.grid_size());  // every configuration starts in rung 0
         o.seed = seed;
         return std::make_unique<SuccessiveHalving>(s, o);
       }},
      {"hyperband",
       [](const SearchSpace& s, const StrategyBudget& b, std::uint64_t seed) -> std::unique_ptr<Strategy> {
         HyperbandOptions o;
         o.eta = b.eta;
         o.min_budget = b.min_budget;
         o.max_budget = b.max_budget;
         o.iterations = 5;  // repeat the brackets (resumed configs cost only their extra epochs)
         o.seed = seed;
         return std::make_unique<Hyperband>(s, o);
       }},
      {"sm2",
       [](const SearchSpace& s, const StrategyBudget& b, std::uint64_t seed) -> std::unique_ptr<Strategy> {
         // Defaults (docs/tune.md): explore 1 epoch, keep the best power limit per batch size
         // and the best half of the batch sizes by J/epoch (+ those within 10 %), then SH.
         Sm2Options o;
         o.batch_param = has_param(s, "batch_size") ? "batch_size"
                         : has_param(s, "training.batch_size") ? "training.batch_size" : "";
         std::vector<std::string> hardware;
         for (const auto& h : o.hardware_params) if (has_param(s, h)) hardware.push_back(h);
         o.hardware_params = hardware;
         if (hardware.empty()) o.keep_per_hardware_group = 0;
         o.explore_budget = b.min_budget;
         o.probe = b.probe;
         if (b.probe && b.lr_screen)
           o.lr_param = has_param(s, "optimizer.lr") ? "optimizer.lr" : has_param(s, "lr") ? "lr" : "";
         o.eta = b.eta;
         o.max_budget = b.max_budget;
         o.seed = seed;
         return std::make_unique<Sm2>(s, o);
       }},
      {"pareto-sh",
       [](const SearchSpace& s, const StrategyBudget& b, std::uint64_t seed) -> std::unique_ptr<Strategy> {
         ParetoSuccessiveHalvingOptions o;  // (loss, energy spent), crowding distance in the last front
         o.eta = b.eta;
         o.min_budget = b.min_budget;
         o.max_budget = b.max_budget;
         o.n_configs = static_cast<long>(s.grid_size());
         o.seed = seed;
         return std::make_unique<ParetoSuccessiveHalving>(s, o);
       }},
      {"asha",
       [](const SearchSpace& s, const StrategyBudget& b, std::uint64_t seed) -> std::unique_ptr<Strategy> {
         AshaOptions o;  // promotes without waiting for a full rung
         o.eta = b.eta;
         o.min_budget = b.min_budget;
         o.max_budget = b.max_budget;
         o.n_configs = static_cast<long>(s.grid_size());
         o.seed = seed;
         return std::make_unique<Asha>(s, o);
       }},
  };
  return all;
}

}  // namespace

std::vector<std::string> strategy_names() {
  std::vector<std::string> names;
  for (const auto& f : factories()) names.push_back(f.first);
  return names;
}

std::unique_ptr<Strategy> make_strategy(const std::string& name, const SearchSpace& space, int max_epochs,
                                        std::uint64_t seed) {
  StrategyBudget b;
  b.max_budget = max_epochs;
  return make_strategy(name, space, b, seed);
}

std::unique_ptr<Strategy> make_strategy(const std::string& name, const SearchSpace& space, const StrategyBudget& budget,
                                        std::uint64_t seed) {
  if (!(budget.min_budget > 0) || !(budget.max_budget >= budget.min_budget) || !(budget.eta > 1)) {
    throw std::invalid_argument("budgets must satisfy 0 < min_budget <= max_budget and eta > 1 (got min " +
                                std::to_string(budget.min_budget) + ", max " + std::to_string(budget.max_budget) +
                                ", eta " + std::to_string(budget.eta) + ")");
  }
  for (const auto& f : factories()) {
    if (f.first == name) return f.second(space, budget, seed);
  }
  std::string known;
  for (const auto& n : strategy_names()) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown strategy '" + name + "'; use one of: " + known);
}

}  // namespace tune
}  // namespace powertrain
