// powertrain/tune/random_search.h: random search, `n_trials` seeded samples of the space,
// each trained to the same budget. Duplicates are skipped (a finite space smaller than
// n_trials ends when every configuration has been tried).
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <set>
#include <string>

#include "powertrain/tune/space.h"
#include "powertrain/tune/strategy.h"

namespace powertrain {
namespace tune {

struct RandomSearchOptions {
  long n_trials = 20;     // > 0
  double budget = 1.0;    // epochs (or joules) per configuration, > 0
  std::uint64_t seed = 0;
};

class RandomSearch : public Strategy {
 public:
  // Throws std::invalid_argument for an empty space, n_trials <= 0 or budget <= 0.
  RandomSearch(const SearchSpace& space, const RandomSearchOptions& options);
  std::string name() const override { return "random"; }
  std::optional<Trial> ask() override;
  bool finished() const override { return done_ || asked_ >= options_.n_trials; }

 protected:
  void on_result(const Trial&, const TrialResult&) override {}

 private:
  SearchSpace space_;
  RandomSearchOptions options_;
  std::mt19937_64 rng_;
  std::set<std::string> seen_;
  long asked_ = 0;
  bool done_ = false;
};

// Draws a configuration not in `seen` (by config_key) and adds it; std::nullopt when
// `attempts` draws in a row were all seen (the space is, in practice, exhausted).
// Shared by the strategies that sample (random, TPE start-up, successive halving).
std::optional<Config> sample_unseen(const SearchSpace& space, std::mt19937_64& rng, std::set<std::string>& seen,
                                    int attempts = 1000);

}  // namespace tune
}  // namespace powertrain
