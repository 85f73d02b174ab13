// random_search.cpp: random search without repeats.
#include "powertrain/tune/random_search.h"

#include <stdexcept>
#include <string>

namespace powertrain {
namespace tune {

std::optional<Config> sample_unseen(const SearchSpace& space, std::mt19937_64& rng, std::set<std::string>& seen,
                                    int attempts) {
  if (space.finite() && seen.size() >= space.grid_size()) return std::nullopt;
  for (int i = 0; i < attempts; ++i) {
    Config c = space.sample(rng);
    if (seen.insert(config_key(c)).second) return c;
  }
  if (space.finite()) {  // draws keep hitting seen ones: take the first unseen grid point
    for (const auto& c : space.grid())
      if (seen.insert(config_key(c)).second) return c;
  }
  return std::nullopt;
}

RandomSearch::RandomSearch(const SearchSpace& space, const RandomSearchOptions& options)
    : space_(space), options_(options), rng_(options.seed) {
  if (space.empty()) throw std::invalid_argument("random search: the search space is empty (add parameters first)");
  if (options.n_trials <= 0)
    throw std::invalid_argument("random search: n_trials must be > 0 (got " + std::to_string(options.n_trials) + ")");
  if (!(options.budget > 0))
    throw std::invalid_argument("random search: budget must be > 0 (got " + std::to_string(options.budget) + ")");
}

std::optional<Trial> RandomSearch::ask() {
  if (done_ || asked_ >= options_.n_trials) {
    done_ = true;
    return std::nullopt;
  }
  auto c = sample_unseen(space_, rng_, seen_);
  if (!c) {
    done_ = true;
    return std::nullopt;
  }
  ++asked_;
  return make_trial(*c, options_.budget);
}

}  // namespace tune
}  // namespace powertrain
