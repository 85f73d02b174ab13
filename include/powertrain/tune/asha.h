// powertrain/tune/asha.h: asynchronous successive halving (ASHA; Li et al., "A System for
// Massively Parallel Hyperparameter Tuning", MLSys 2020, Algorithm 2).
//
// Rungs k = 0..K train to budget min_budget x eta^k, the last one capped at max_budget (K is
// the first k whose budget reaches max_budget; with eta 3, min 1, max 27: 1, 3, 9, 27; with
// max 30: 1, 3, 9, 27, 30). ask() never waits for a full rung:
//   1. from the top rung down (k = K-1 .. 0), a configuration among the best
//      floor(n_k / eta) results recorded at rung k (n_k = results at rung k; lowest loss,
//      ties to the earlier trial) that has not been promoted from rung k yet is promoted:
//      a trial for it at rung k+1's budget (training resumes, so it pays only the extra);
//   2. otherwise a new configuration starts at rung 0, while fewer than n_configs have
//      started (a finite space: its grid in a seeded order; otherwise seeded samples without
//      repeats);
//   3. otherwise std::nullopt: wait for the trials already asked.
// A result with loss +inf (or NaN: a failed or early-stopped trial) is recorded but never
// promoted. finished() is true when no configuration may start, no trial is pending and no
// configuration can be promoted: promotions only depend on the recorded results, and with
// nothing pending no result can arrive any more, so nothing could ever be promoted again.
// In a sequential loop (ask, train, tell) ask() returns std::nullopt only once finished.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "powertrain/tune/space.h"
#include "powertrain/tune/strategy.h"

namespace powertrain {
namespace tune {

struct AshaOptions {
  double eta = 3.0;          // > 1: promote the best 1/eta of each rung
  double min_budget = 1.0;   // > 0: rung 0's budget
  double max_budget = 81.0;  // >= min_budget: the last rung's budget
  long n_configs = 0;        // > 0 configurations to start; 0 = every grid point of a finite space
  std::uint64_t seed = 0;
};

class Asha : public Strategy {
 public:
  // Throws std::invalid_argument naming the option that is out of range (n_configs 0 needs a
  // finite space), or when the space is empty.
  Asha(const SearchSpace& space, const AshaOptions& options);
  std::string name() const override { return "asha"; }
  std::optional<Trial> ask() override;
  bool finished() const override;

  // The budgets of rungs 0..K.
  const std::vector<double>& rung_budgets() const { return budgets_; }
  // min_budget x eta^k for k = 0.. until it reaches max_budget, the last one = max_budget.
  // Throws std::invalid_argument naming a bad eta, min_budget or max_budget.
  static std::vector<double> budgets(double eta, double min_budget, double max_budget);
  // Configurations started so far, and trials asked but not yet told.
  long started() const { return static_cast<long>(configs_.size()); }
  long pending() const { return static_cast<long>(pending_.size()); }

 protected:
  void on_result(const Trial& trial, const TrialResult& result) override;

 private:
  struct Result {
    long trial_id = 0;
    std::size_t config = 0;  // index into configs_
    double loss = 0.0;
  };
  struct Where {
    std::size_t config = 0;
    std::size_t rung = 0;
  };
  // The rung and config index of the best not-yet-promoted config in the top 1/eta of
  // its rung, searching from the top rung down; std::nullopt when there is none.
  std::optional<Where> promotable() const;
  void fetch_next_config();

  AshaOptions options_;
  std::vector<double> budgets_;
  std::vector<Config> configs_;                    // started configurations
  std::vector<std::vector<Result>> results_;       // per rung
  std::vector<std::set<std::size_t>> promoted_;    // per rung: configs promoted out of it
  std::map<long, Where> pending_;                  // trial id -> (config, rung)
  // Where new configurations come from.
  std::vector<Config> grid_;                       // finite space: shuffled grid
  std::size_t grid_next_ = 0;
  SearchSpace space_;                              // infinite space: sampled without repeats
  std::mt19937_64 rng_;
  std::set<std::string> seen_;
  std::optional<Config> next_config_;              // the next configuration to start, if any
};

}  // namespace tune
}  // namespace powertrain
