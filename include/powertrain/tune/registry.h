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

// Returns the names make_strategy accepts.
std::vector<std::string> strategy_names();

// Returns a new strategy over `space` whose full budget is `max_epochs` epochs:
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
std::unique_ptr<Strategy> make_strategy(const std::string& name, const SearchSpace& space, int max_epochs,
                                        std::uint64_t seed);

}  // namespace tune
}  // namespace powertrain
