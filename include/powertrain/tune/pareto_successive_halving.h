// powertrain/tune/pareto_successive_halving.h: successive halving over two objectives,
// the loss (metric) and the energy a configuration has used, promoting by Pareto rank.
//
// Rungs as SuccessiveHalving::plan (n_i = floor(n0 / eta^i) at budget R x eta^(i - s)).
// After a rung, the configs are sorted into non-dominated fronts on (loss, energy_j), both
// minimised (NSGA-II's fast non-dominated sort); whole fronts are promoted while they fit,
// and inside the first front that does not fit the configs with the largest crowding
// distance (or, with `tie_break` hypervolume, the largest exclusive hypervolume
// contribution) go on. A config with loss +inf (failed, stopped) comes after every front.
// pareto_front() gives the non-dominated (loss, energy) points over every config's latest
// result, each with the budget it was trained to.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "powertrain/tune/space.h"
#include "powertrain/tune/strategy.h"
#include "powertrain/tune/successive_halving.h"

namespace powertrain {
namespace tune {

// A point of the two objectives, both minimised.
struct ObjectivePoint {
  double loss = 0.0;
  double energy_j = 0.0;
};

// True when a is no worse than b in both objectives and better in one.
bool dominates(const ObjectivePoint& a, const ObjectivePoint& b);
// Non-dominated sorting: fronts of indices into `points`, best front first; each front in
// ascending index order.
std::vector<std::vector<std::size_t>> non_dominated_fronts(const std::vector<ObjectivePoint>& points);
// NSGA-II crowding distance of each member of `front` (same order): the extremes of each
// objective get +inf, the others the sum over objectives of the neighbours' gap divided
// by the objective's range on the front.
std::vector<double> crowding_distances(const std::vector<ObjectivePoint>& points, const std::vector<std::size_t>& front);
// Exclusive 2-D hypervolume contribution of each member of a non-dominated `front` with
// respect to the reference point `ref` (which every member must dominate).
std::vector<double> hypervolume_contributions(const std::vector<ObjectivePoint>& points,
                                              const std::vector<std::size_t>& front, const ObjectivePoint& ref);
// Picks `k` indices of `points`: whole fronts first, then the last one by crowding distance
// (or hypervolume contribution) descending; ties to the lower index. Infinite losses last.
enum class ParetoTieBreak { crowding, hypervolume };
std::vector<std::size_t> pareto_select(const std::vector<ObjectivePoint>& points, std::size_t k, ParetoTieBreak tie_break);

struct ParetoSuccessiveHalvingOptions {
  double eta = 3.0;          // > 1
  double min_budget = 1.0;   // > 0
  double max_budget = 81.0;  // >= min_budget
  long n_configs = 0;        // 0 = eta^s (a smaller finite space: all of it)
  ParetoTieBreak tie_break = ParetoTieBreak::crowding;
  std::uint64_t seed = 0;
};

// One point of the final Pareto front.
struct ParetoEntry {
  Config config;
  double loss = 0.0;
  double metric = 0.0;
  double energy_j = 0.0;
  double budget = 0.0;  // of the result
};

class ParetoSuccessiveHalving : public Strategy {
 public:
  // Throws std::invalid_argument naming the option that is out of range.
  ParetoSuccessiveHalving(const SearchSpace& space, const ParetoSuccessiveHalvingOptions& options);
  ParetoSuccessiveHalving(const std::vector<Config>& configs, const ParetoSuccessiveHalvingOptions& options);
  std::string name() const override { return "pareto_successive_halving"; }
  std::optional<Trial> ask() override;
  bool finished() const override { return finished_; }
  const std::vector<Rung>& rungs() const { return rungs_; }
  // Non-dominated (loss, energy_j) over every config's latest result, by ascending loss.
  std::vector<ParetoEntry> pareto_front() const;

 protected:
  void on_result(const Trial& trial, const TrialResult& result) override;

 private:
  void start(std::vector<Config> configs);
  void promote();

  ParetoSuccessiveHalvingOptions options_;
  std::vector<Rung> rungs_;
  std::size_t rung_ = 0;
  std::vector<Config> current_;
  std::vector<ObjectivePoint> points_;
  std::vector<long> trial_ids_;
  std::size_t next_ = 0;
  std::size_t told_in_rung_ = 0;
  std::vector<ParetoEntry> latest_;  // per config (by first appearance), latest result
  bool finished_ = false;
};

}  // namespace tune
}  // namespace powertrain
