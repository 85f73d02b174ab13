// grid_search.cpp: grid search over SearchSpace::grid(), optionally in shuffled order.
#include "powertrain/tune/grid_search.h"

#include <algorithm>
#include <random>
#include <stdexcept>
#include <string>

namespace powertrain {
namespace tune {

GridSearch::GridSearch(const SearchSpace& space, const GridSearchOptions& options) : options_(options) {
  if (space.empty()) throw std::invalid_argument("grid search: the search space is empty (add parameters first)");
  if (!(options.budget > 0))
    throw std::invalid_argument("grid search: budget must be > 0 (got " + std::to_string(options.budget) + ")");
  configs_ = space.grid(options.points);
  if (options.shuffle) {
    std::mt19937_64 rng(options.seed);
    std::shuffle(configs_.begin(), configs_.end(), rng);
  }
}

std::optional<Trial> GridSearch::ask() {
  if (finished()) return std::nullopt;
  return make_trial(configs_[next_++], options_.budget);
}

}  // namespace tune
}  // namespace powertrain
