// powertrain/tune/grid_search.h: grid search, every configuration of SearchSpace::grid()
// trained to the same budget, in grid order (or a seeded shuffle of it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "powertrain/tune/space.h"
#include "powertrain/tune/strategy.h"

namespace powertrain {
namespace tune {

struct GridSearchOptions {
  int points = 5;         // values per float parameter (see SearchSpace::grid)
  double budget = 1.0;    // epochs (or joules) per configuration, > 0
  bool shuffle = false;   // visit the grid in a seeded random order
  std::uint64_t seed = 0;
};

class GridSearch : public Strategy {
 public:
  // Throws std::invalid_argument for an empty space or budget <= 0.
  GridSearch(const SearchSpace& space, const GridSearchOptions& options);
  std::string name() const override { return "grid"; }
  std::optional<Trial> ask() override;
  bool finished() const override { return next_ >= configs_.size(); }
  std::size_t size() const { return configs_.size(); }

 protected:
  void on_result(const Trial&, const TrialResult&) override {}

 private:
  GridSearchOptions options_;
  std::vector<Config> configs_;
  std::size_t next_ = 0;
};

}  // namespace tune
}  // namespace powertrain
