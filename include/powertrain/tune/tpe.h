// powertrain/tune/tpe.h: the Tree-structured Parzen Estimator (Bergstra, Bardenet, Bengio,
// Kegl, "Algorithms for Hyper-Parameter Optimization", NeurIPS 2011).
//
// After n_startup random trials, the observations are split by loss: the best
// max(1, ceil(gamma x n)) are "good", the rest "bad". Each parameter gets two Parzen
// densities, l(x) from the good and g(x) from the bad observations (plus a prior): for
// numbers a mixture of Gaussians truncated to the bounds (in log space for log_float;
// ints as continuous on [low - 0.5, high + 0.5], rounded), each centred on an observation
// with its bandwidth the larger gap to its sorted neighbours, clipped to
// [range / min(100, n + 1), range], plus one prior component at the centre with
// bandwidth = range; for categoricals, counts plus prior_weight / K per choice.
// n_candidates configurations are drawn from l, and the one maximising
// sum over parameters of log l(x) - log g(x) (the l/g ratio) is tried; configurations
// already tried are skipped. Every trial gets the same budget.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "powertrain/tune/space.h"
#include "powertrain/tune/strategy.h"

namespace powertrain {
namespace tune {

struct TpeOptions {
  long n_trials = 50;          // > 0
  long n_startup = 10;         // random trials before the model is used, >= 1
  double gamma = 0.25;         // quantile of the good group, in (0, 1)
  int n_candidates = 24;       // draws from l(x) per trial, >= 1
  double prior_weight = 1.0;   // weight of the prior component, > 0
  double budget = 1.0;         // epochs (or joules) per configuration, > 0
  std::uint64_t seed = 0;
};

class Tpe : public Strategy {
 public:
  // Throws std::invalid_argument naming the option that is out of range.
  Tpe(const SearchSpace& space, const TpeOptions& options);
  std::string name() const override { return "tpe"; }
  std::optional<Trial> ask() override;
  bool finished() const override { return done_ || asked_ >= options_.n_trials; }

  // The log l(x) - log g(x) score of `config` under the current model (for tests);
  // 0 while fewer than 2 observations exist.
  double score(const Config& config) const;

 protected:
  void on_result(const Trial& trial, const TrialResult& result) override;

 private:
  struct Observation {
    Config config;
    double loss;
  };
  // Splits the observations into good and bad (by loss, ties in trial order).
  void split(std::vector<const Config*>& good, std::vector<const Config*>& bad) const;
  std::optional<Config> propose();

  SearchSpace space_;
  TpeOptions options_;
  std::mt19937_64 rng_;
  std::set<std::string> seen_;
  std::vector<Observation> observations_;
  long asked_ = 0;
  bool done_ = false;
};

}  // namespace tune
}  // namespace powertrain
