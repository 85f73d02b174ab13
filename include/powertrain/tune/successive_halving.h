// powertrain/tune/successive_halving.h: successive halving (Jamieson & Talwalkar 2016),
// with the rung budgets of Hyperband (Li et al., JMLR 2018).
//
// With eta, min budget r and max budget R: s = floor(log_eta(R / r)) (so s + 1 rungs),
// n0 configurations (default eta^s) sampled without repeats. Rung i (0..s) trains
// n_i = floor(n0 / eta^i) configurations to budget R x eta^(i - s): the last rung gets
// exactly R, the first R / eta^s >= r. After each rung, the n_{i+1} with the lowest loss
// (ties: the earlier trial) go on. Training resumes, so a survivor only pays for the extra
// budget. A finite space with fewer than n0 configurations uses all of them.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "powertrain/tune/space.h"
#include "powertrain/tune/strategy.h"

namespace powertrain {
namespace tune {

struct SuccessiveHalvingOptions {
  double eta = 3.0;          // > 1: keep 1/eta of the configurations per rung
  double min_budget = 1.0;   // r, > 0
  double max_budget = 81.0;  // R, >= r
  long n_configs = 0;        // n0; 0 = eta^s
  std::uint64_t seed = 0;
};

// One rung: how many configurations, trained to which budget.
struct Rung {
  long n_configs = 0;
  double budget = 0.0;
};

class SuccessiveHalving : public Strategy {
 public:
  // Throws std::invalid_argument naming the option that is out of range.
  SuccessiveHalving(const SearchSpace& space, const SuccessiveHalvingOptions& options);
  // Runs over the given configurations (n0 = configs.size()) instead of sampling.
  SuccessiveHalving(const std::vector<Config>& configs, const SuccessiveHalvingOptions& options);
  std::string name() const override { return "successive_halving"; }
  std::optional<Trial> ask() override;
  bool finished() const override { return finished_; }
  const std::vector<Rung>& rungs() const { return rungs_; }

  // s = floor(log_eta(max_budget / min_budget)), computed without rounding trouble.
  static int max_rung(double eta, double min_budget, double max_budget);
  // The rungs for n0 configurations: n_i = floor(n0 / eta^i), budget R x eta^(i - s),
  // i = 0..s, stopping early when n_i would be 0.
  static std::vector<Rung> plan(long n0, double eta, double min_budget, double max_budget);

 protected:
  void on_result(const Trial& trial, const TrialResult& result) override;

 private:
  void start(std::vector<Config> configs);
  void promote();

  SuccessiveHalvingOptions options_;
  std::vector<Rung> rungs_;
  std::size_t rung_ = 0;
  std::vector<Config> current_;          // configurations of the current rung
  std::vector<double> losses_;           // their losses (NaN until told)
  std::vector<long> trial_ids_;          // the trial id each got in this rung
  std::size_t next_ = 0;                 // next configuration of the rung to ask
  std::size_t told_in_rung_ = 0;
  bool finished_ = false;
};

}  // namespace tune
}  // namespace powertrain
