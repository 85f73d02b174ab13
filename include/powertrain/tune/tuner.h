// powertrain/tune/tuner.h: runs a strategy's ask/tell loop against an objective, training
// resumably, counting energy, and applying the target and the beta early-stop rule.
//
// An Objective trains one epoch of a configuration at a time; the Tuner remembers how far
// each configuration (by config_key) has been trained, so a trial asking for budget b of
// a config trained to a pays only for epochs a+1..b. Budgets are epochs (rounded to the
// nearest whole epoch, at least 1) or joules (whole epochs are trained until the config's
// energy reaches the budget). Nothing is trained past max_epochs.
//
// Loss told to the strategy: metric: -metric (maximize) or metric. energy_to_target:
// the energy at which the target was first reached; before that, an estimate
// energy_j / progress, progress = (metric - unreached_metric) / (target - unreached_metric)
// clamped to [0.001, 1]; +inf once max_epochs pass without reaching it.
//
// Beta rule (Zeus, You et al. NSDI'23): with beta > 0, a config whose energy exceeds
// beta x the lowest energy-to-target seen so far is stopped (stopped_early, loss +inf)
// and never trained again.
#pragma once

#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "powertrain/energy/source.h"
#include "powertrain/tune/space.h"
#include "powertrain/tune/strategy.h"

namespace powertrain {
namespace tune {

// What one epoch of training produced.
struct EpochOutcome {
  double metric = 0.0;      // validation metric after the epoch
  double energy_j = 0.0;    // energy of the epoch
  double duration_s = 0.0;  // time of the epoch
};

// What a probe measured: a few training steps of a config, before any epoch.
struct ProbeOutcome {
  double energy_j = 0.0;              // all the probe spent (warm-up steps included)
  double duration_s = 0.0;
  double energy_per_sample_j = NAN;   // of its measured steps
  std::vector<LrStability> lr_instability;  // what its LR sweep showed (empty: no sweep asked or possible)
};

class Objective {
 public:
  virtual ~Objective() = default;
  // Runs a probe of `config` (a few steps that measure its energy per sample; nothing it
  // trains is kept). With `lr_sweep` (ascending learning rates), the measured steps also
  // sweep them (lr_screen.h) when the objective can. std::nullopt when it cannot probe.
  virtual std::optional<ProbeOutcome> probe(const Config& config, const std::vector<double>& lr_sweep) {
    (void)config;
    (void)lr_sweep;
    return std::nullopt;
  }
  // Trains epoch `epoch` (1-based) of `config`; the Tuner calls epochs of a config in order.
  virtual EpochOutcome train_epoch(const Config& config, int epoch) = 0;
  // Called by the Tuner after a trial trained `epochs` epochs of `config` in all (at least
  // one of them in this trial): the state the study records next. Real training saves it
  // there, so that a later process continues the config instead of retraining it.
  virtual void trial_done(const Config& config, int epochs) {
    (void)config;
    (void)epochs;
  }
  // Returns where the energies of the epochs trained so far come from: the weakest seen
  // (missing before the first epoch).
  virtual Provenance energy_provenance() const { return Provenance::missing; }
  // Makes trial_done save each configuration's state in `dir` and continue from the states
  // found there, so that a resumed study or another worker continues a half-trained
  // configuration. Returns false when this objective has no state to keep (then nothing is
  // written). Throws std::runtime_error naming `dir` when it cannot be created.
  virtual bool keep_states_in(const std::string& dir) {
    (void)dir;
    return false;
  }
};

enum class BudgetUnit { epochs, joules };
enum class LossKind { metric, energy_to_target };

struct TunerOptions {
  bool maximize = true;                  // higher metric is better
  BudgetUnit budget_unit = BudgetUnit::epochs;
  int max_epochs = 100;                  // no config is trained past this, >= 1
  double target_metric = NAN;            // NaN: no target
  bool stop_at_target = true;            // stop training a config once it reaches the target
  LossKind loss = LossKind::metric;     // energy_to_target needs a target
  double unreached_metric = 0.0;         // metric before any progress (for the progress estimate)
  double beta = 0.0;                     // 0 = off; Zeus uses 2.0
  // energy_to_target: stop a config once the energy it has spent exceeds the lowest
  // energy-to-target seen (it can no longer win: its own would be higher). Loses nothing
  // the search could choose; beta >= 1 is the looser form of the same rule.
  bool stop_when_cannot_win = true;
  long max_trials = 0;                   // 0 = until the strategy finishes
  double max_energy_j = std::numeric_limits<double>::infinity();  // stop the search past this
};

// One trial as the Tuner ran it.
struct TrialRecord {
  Trial trial;
  TrialResult result;
  int from_epoch = 0;             // the config had this many epochs before the trial
  int to_epoch = 0;               // and this many after
  double trial_energy_j = 0.0;    // energy this trial added
  double search_energy_j = 0.0;   // energy of the whole search so far
  double search_duration_s = 0.0;
  double config_eta_j = NAN;      // energy at which this config first reached the target (NaN: not yet)
};

class Tuner {
 public:
  // Throws std::invalid_argument naming the option that is out of range.
  Tuner(Objective& objective, const TunerOptions& options);
  // Runs ask / train / tell until the strategy finishes, a limit is hit, or `on_trial`
  // (called after every tell) returns false. Returns the records of this call.
  std::vector<TrialRecord> run(Strategy& strategy, const std::function<bool(const TrialRecord&)>& on_trial = {});
  // Trains one trial (resumably) and returns its record; run() uses it.
  TrialRecord evaluate(const Trial& trial);
  // Restores the state a stored trial left (the config's epochs, energy, metric, target,
  // beta stop, and the search totals) without training: resuming a study replays its
  // stored trials through the strategy and through this.
  void replay(const TrialRecord& record);

  double search_energy_j() const { return search_energy_j_; }
  double search_duration_s() const { return search_duration_s_; }
  // The lowest energy-to-target seen (+inf until a config reaches the target).
  double best_energy_to_target_j() const { return best_eta_j_; }

 private:
  struct State {
    int epochs = 0;
    double energy_j = 0.0;
    double metric = 0.0;
    bool reached = false;
    double eta_j = 0.0;      // energy when the target was first reached
    bool stopped = false;    // by the beta rule or because it cannot win
  };
  bool reached(double metric) const;
  double loss(const State& s) const;

  Objective& objective_;
  TunerOptions options_;
  std::map<std::string, State> states_;
  double search_energy_j_ = 0.0;
  double search_duration_s_ = 0.0;
  double best_eta_j_ = std::numeric_limits<double>::infinity();
};

}  // namespace tune
}  // namespace powertrain
