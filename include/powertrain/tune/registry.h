// powertrain/tune/registry.h: strategies by name, with the defaults the CLI and the trace
// benchmark use, so both run exactly the same searches.
//
// Example:
//   auto s = powertrain::tune::make_strategy("hyperband", space, /*max_epochs=*/100, /*seed=*/0);
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "powertrain/tune/space.h"
#include "powertrain/tune/strategy.h"

namespace powertrain {
namespace tune {

// The budgets a strategy works with: rungs from min_budget growing by eta up to max_budget,
// in the Tuner's unit (epochs or joules). Strategies without rungs train every
// configuration to max_budget; SM2 explores at min_budget.
struct StrategyBudget {
  double min_budget = 1;
  double max_budget = 100;
  double eta = 3;
  bool probe = false;  // the objective can probe energy per sample (Objective::probe): sm2 screens on probes
  // With probe: sm2's probes also sweep the space's learning rates ("optimizer.lr" or "lr")
  // and screen them by instability (Sm2Options::lr_param).
  bool lr_screen = false;
};

// Returns the names make_strategy accepts.
std::vector<std::string> strategy_names();

// Returns a new strategy over `space` with the given budgets (throws std::invalid_argument
// for min_budget <= 0, max_budget < min_budget or eta <= 1). Defaults below are for the
// epoch form, make_strategy(name, space, max_epochs, seed) = budgets {1, max_epochs, 3}:
//   grid       every configuration at the full budget, in a seeded order;
//   random     as many random configurations as the grid has, at the full budget;
//   tpe        TPE (10 random start-up trials), as many trials as the grid has;
//   sh         successive halving, eta 3, from 1 epoch, every configuration in rung 0;
//   hyperband  Hyperband, eta 3, from 1 epoch, brackets repeated 5 times;
//   sm2        SM2: a 1-epoch exploration screening power limits and batch sizes by
//              energy, then successive halving over the survivors (Sm2Options defaults);
//   pareto-sh  successive halving promoting by non-dominated sorting of (loss, energy);
//   asha       asynchronous successive halving, eta 3, from 1 epoch, as many configurations
//              as the grid has (seeded).
// Throws std::invalid_argument listing strategy_names() for an unknown name.
std::unique_ptr<Strategy> make_strategy(const std::string& name, const SearchSpace& space, const StrategyBudget& budget,
                                        std::uint64_t seed);
std::unique_ptr<Strategy> make_strategy(const std::string& name, const SearchSpace& space, int max_epochs,
                                        std::uint64_t seed);

}  // namespace tune
}  // namespace powertrain
