// powertrain/tune/strategy.h: the ask/tell interface every search strategy implements.
//
// A strategy proposes trials: (config, budget). The budget is the total training a config
// should have received once the trial ends, in epochs or in joules (the Tuner's
// budget_unit decides; strategies only compare and multiply budgets). Training is
// resumable: asking for a config again with a larger budget continues from where it
// stopped. After training, the strategy is told a TrialResult; `loss` is what it
// minimises (the Tuner computes it: -metric, metric, or an energy-to-target estimate).
//
// Example (the loop Tuner::run performs):
//   while (auto trial = strategy.ask()) {
//     TrialResult r = train_until(trial->config, trial->budget);
//     strategy.tell(*trial, r);
//   }
//   auto best = strategy.best();
#pragma once

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "powertrain/tune/lr_screen.h"
#include "powertrain/tune/space.h"

namespace powertrain {
namespace tune {

struct Trial {
  long id = 0;          // 0, 1, 2, ... in the order the strategy asked
  Config config;
  double budget = 0.0;  // total epochs (or joules) the config should have been trained for
  // A probe: a few training steps that measure the config's energy per sample, before any
  // epoch; it trains nothing the config keeps (budget 0). Never the best trial.
  bool probe = false;
  // A probe's learning-rate sweep (lr_screen.h): the learning rates, ascending, it trains at
  // after its warm-up (empty = none). Set by the strategy; not stored (asking again gives it).
  std::vector<double> lr_sweep;
};

struct TrialResult {
  double loss = 0.0;            // lower is better; +inf for a failed or stopped trial
  double metric = 0.0;          // the validation metric after training
  double energy_j = 0.0;        // all energy spent on this config so far (every trial of it)
  double epochs = 0.0;          // epochs this config has been trained for in all
  bool reached_target = false;  // the metric reached the Tuner's target
  bool stopped_early = false;   // stopped by the beta rule (or another early-stop rule)
  double energy_per_sample_j = NAN;  // a probe's measurement (NaN: not a probe, or the objective cannot probe)
  std::vector<LrStability> lr_instability;  // a probe's LR sweep: each learning rate's instability (empty = none)
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual std::string name() const = 0;
  // Returns the next trial, or std::nullopt when the strategy is finished (or, for
  // strategies that wait on a rung, until the trials already asked have been told).
  virtual std::optional<Trial> ask() = 0;
  // True once ask() will never return a trial again.
  virtual bool finished() const = 0;
  // Records the result of a trial returned by ask(). Throws std::invalid_argument for a
  // trial id this strategy never asked or already told.
  void tell(const Trial& trial, const TrialResult& result);

  // The best configuration so far by what the strategy has been told. Results that
  // reached the target come first: lowest loss, ties to the larger budget then the earlier
  // trial. Else, among results with a finite loss, the largest budget (a score at a small
  // budget is an extrapolation), then the lowest loss, then the earlier trial.
  // std::nullopt before the first tell.
  std::optional<Config> best() const;
  // The result behind best() (nullptr before the first tell).
  const TrialResult* best_result() const;
  long told() const { return static_cast<long>(history_.size()); }

 protected:
  // Returns a new trial with the next id, and remembers it as pending.
  Trial make_trial(const Config& config, double budget, bool probe = false);
  // Called by tell() after the result is recorded.
  virtual void on_result(const Trial& trial, const TrialResult& result) = 0;

 private:
  struct Told {
    Trial trial;
    TrialResult result;
  };
  long next_id_ = 0;
  std::vector<long> pending_;
  std::vector<Told> history_;
  long best_index_ = -1;
};

}  // namespace tune
}  // namespace powertrain
