// powertrain/tune/sm2.h: SM2, energy-aware successive halving after "Spend More to Save
// More" (Geissler, Zhou, Suh, Lukowicz, arXiv 2412.08526), as far as its description goes.
//
// Phase 1, exploration: every configuration gets one short exploratory run (budget
// `explore_budget`, e.g. one epoch). From those runs SM2
//   (a) groups configurations that differ only in hardware parameters (`hardware_params`,
//       e.g. the GPU power limit: they change speed and power, not what is learned; and
//       the training precision, which changes what is learned only within rounding, while
//       its speed depends on the hardware) and keeps the `keep_per_hardware_group` with the
//       lowest energy per epoch in each group;
//   (b) ranks the values of the batch-size parameter (`batch_param`) by energy per sample on
//       this hardware (the best surviving config's J/epoch divided by `samples_per_epoch`;
//       J/epoch when every batch size sees the same data) and keeps the best
//       `keep_batch_fraction` of them, plus any within `batch_tolerance` of the best;
//   (c) drops configurations whose learning-rate instability (measured by the probes' LR
//       sweeps, or the `instability` side channel) is at or above `max_instability`.
// With `probe`, every combination of batch size and hardware parameters is first probed once
// (a few training steps of one of its configurations that measure the energy per sample,
// which the learning parameters do not change; Trial::probe, no epoch): (a) runs on the probes, and each batch size
// whose samples cost more than `probe_max_cost_ratio` x the cheapest batch size's is dropped
// before it pays an exploratory run (to win it would have to reach the target on that many
// times fewer samples). (a) and (b) then run on the exploratory runs as without probes.
// When the objective cannot probe, nothing is dropped before exploring.
// With `probe` and a learning-rate parameter (`lr_param`), each probe also sweeps the
// learning rates of its batch size's configurations, rising (Trial::lr_sweep; lr_screen.h):
// that is (c)'s cyclical-LR screening. Each configuration's instability is then what the
// sweep showed at its learning rate (the larger of that and the `instability` side channel),
// and configurations at or above `max_instability` (1: their learning rate diverged) are
// dropped before they pay an exploratory run, unless that would drop all of them.
// The exploratory trials and their energy are reported separately (is_exploratory(),
// exploration_energy_j()). Training resumes, so survivors keep their exploratory epochs.
//
// Phase 2, successive halving over the survivors: rung k = 1, 2, ... trains them to
// explore_budget x eta^k (once no more than `min_keep` configs are left, straight to
// max_budget: the finalists) and keeps the best max(min_keep, ceil(n / eta)) by
//   score = w_perf x norm(loss) + w_energy x norm(energy_j) + w_stability x instability,
// norm() = min-max over the rung's finite values (on log scale when `log_scale` and all
// values are > 0); a trial with loss +inf (failed, or stopped by the beta rule) scores +inf.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "powertrain/tune/space.h"
#include "powertrain/tune/strategy.h"

namespace powertrain {
namespace tune {

struct Sm2Options {
  // Exploration.
  std::string batch_param = "batch_size";                    // "" = no batch-size screening
  std::vector<std::string> hardware_params = {"power_limit_w", "training.power_limit_w", "training.precision"};  // speed/power-only parameters
  double explore_budget = 1.0;        // > 0: length of an exploratory run (epochs or joules)
  long keep_per_hardware_group = 1;   // >= 0; 0 = no hardware-group screening
  double keep_batch_fraction = 0.5;   // in (0, 1]; at least one batch size is kept
  // >= 0: also keep every batch size within (1 + batch_tolerance) x the best energy per
  // sample (differences that small say nothing against the batch size; see docs/tune.md).
  double batch_tolerance = 0.1;
  double samples_per_epoch = 0.0;     // >= 0; 0 = rank by J/epoch (same data for every batch size)
  bool probe = false;                 // probe every config before exploring (see above)
  double probe_max_cost_ratio = 3.0;  // >= 1: drop batch sizes costing more per sample than this x the cheapest
  // The learning-rate parameter the probes sweep ("" = no sweep; needs `probe`).
  std::string lr_param;
  // Instability in [0, 1] of a config's learning rate (0 = stable) known beforehand; empty =
  // none (counts as 0). A probe's sweep measures it (the larger of the two counts).
  std::function<double(const Config&)> instability;
  double max_instability = 1.0;       // >= 0: configs at or above it are dropped (1 = diverged; > 1 = none)
  // Successive halving.
  double eta = 3.0;                   // > 1
  double max_budget = 81.0;           // >= explore_budget
  long min_keep = 4;                  // >= 1: a rung keeps at least this many (the finalists)
  double w_perf = 1.0;                // >= 0 each, not all 0
  double w_energy = 0.0;
  double w_stability = 0.5;
  bool log_scale = true;
  // Configurations: 0 = every grid point of a finite space; otherwise this many samples.
  long n_configs = 0;
  std::uint64_t seed = 0;
};

class Sm2 : public Strategy {
 public:
  // Throws std::invalid_argument naming the option that is out of range.
  Sm2(const SearchSpace& space, const Sm2Options& options);
  Sm2(const std::vector<Config>& configs, const Sm2Options& options);
  std::string name() const override { return "sm2"; }
  std::optional<Trial> ask() override;
  bool finished() const override { return finished_; }

  // Energy of the exploratory trials (what they added), and which trials they were.
  double exploration_energy_j() const { return exploration_energy_j_; }
  bool is_exploratory(long trial_id) const { return exploratory_ids_.count(trial_id) > 0; }
  const std::set<long>& exploratory_trials() const { return exploratory_ids_; }
  bool exploring() const { return phase_ == 0; }
  bool probing() const { return probing_; }
  // The configurations that survived the exploration (empty before it ends).
  const std::vector<Config>& survivors() const { return survivors_; }

  // Helpers (public for tests). Min-max normalisation of `values` to [0, 1] over the finite
  // ones (log scale when log_scale and all finite values > 0); non-finite stay +inf; all
  // equal gives 0.
  static std::vector<double> normalise(const std::vector<double>& values, bool log_scale);

 protected:
  void on_result(const Trial& trial, const TrialResult& result) override;

 private:
  void start_rung();
  void end_probing();
  void end_exploration();
  // Apply (a) hardware groups and (b) batch sizes to keep[], by each config's cost (J per
  // sample or per epoch: one number per config, lower is cheaper).
  void screen_by_cost(const std::vector<double>& cost, std::vector<bool>& keep) const;
  void screen_hardware_groups(const std::vector<double>& cost, std::vector<bool>& keep) const;
  std::map<std::string, double> batch_costs(const std::vector<double>& cost, const std::vector<bool>& keep) const;
  void keep_batches(const std::set<std::string>& kept_batches, std::vector<bool>& keep) const;
  void end_rung();
  double instability_of(const Config& c) const;
  // Drops the configs at or above max_instability from keep[], unless none would be left.
  void screen_unstable(std::vector<bool>& keep) const;
  // The learning rates the probe of group `g` sweeps (empty without lr_param).
  std::vector<double> sweep_of(std::size_t g) const;
  // Orders members (indices into current_ / results_) by score, best first; fills score
  // (per member, +inf for an infinite loss).
  std::vector<std::size_t> ranking(const std::vector<std::size_t>& members, std::vector<double>& score) const;

  Sm2Options options_;
  std::vector<Config> current_;          // configurations of the current phase / rung
  std::vector<TrialResult> results_;     // their results
  std::vector<long> trial_ids_;
  std::size_t next_ = 0;
  std::size_t told_ = 0;
  int phase_ = 0;                        // 0 = exploration, k >= 1 = SH rung k
  double budget_ = 0.0;                  // of the current phase / rung
  std::vector<Config> survivors_;
  std::set<long> exploratory_ids_;
  std::map<std::string, double> energy_seen_j_;  // config key -> energy told so far
  double exploration_energy_j_ = 0.0;
  bool finished_ = false;
  bool probing_ = false;                 // the probes are asked (before phase 0)
  std::vector<std::vector<std::size_t>> probe_groups_;  // probing: configs sharing batch size and hardware values
  std::map<std::string, double> measured_instability_;  // config key -> what its probe's LR sweep showed
  std::size_t trials_in_phase() const;   // probe groups while probing, else configs
};

}  // namespace tune
}  // namespace powertrain
