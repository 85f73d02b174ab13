// powertrain/tune/trace_objective.h: one Zeus trace workload as a tuning Objective.
//
// The search space has two categorical numbers: batch_size and power_limit_w (the values
// of the trace's configurations). Each batch size follows one learning curve, the trace
// `run` chosen by the seed (the same seed gives the same runs). An epoch of a config costs
// time_per_epoch_s x average_power_w joules and returns metric_after(epoch). A
// (batch_size, power_limit_w) pair missing from the power trace (rtx6000 movielens-1m
// has one gap) uses the nearest power limit measured for that batch size.
//
// With power-limit profiling (Zeus's just-in-time profiler), the power limit is not searched:
// the space is batch_size alone, and a configuration's first epoch runs `iterations_per_limit`
// of its iterations at each power limit of its batch size, then trains at the limit with the
// lowest energy per iteration (the power limit changes the cost of an iteration, not the
// learning curve: every limit of a batch size shares its curve in the traces). Profiled
// iterations are training iterations, so what profiling adds is their energy (and time)
// above the same iterations at the chosen limit: sum over limits of n x (E_iter(limit) -
// E_iter(chosen)), charged to the first epoch, once per configuration. Iterations per epoch
// are ceil(train_examples / batch_size) (WorkloadSpec::train_examples).
//
// A probe (Objective::probe, asked by SM2 before any epoch) is kProbeIterations iterations
// of the config at the limit it trains at: n x E_iter joules for n x batch_size samples,
// counted as extra search energy (not as training the config keeps). The traces have no
// learning-rate axis, so a probe sweeps no learning rates (`lr_sweep` is ignored).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "powertrain/tune/space.h"
#include "powertrain/tune/trace.h"
#include "powertrain/tune/tuner.h"

namespace powertrain {
namespace tune {

struct PowerProfile {
  bool enabled = false;             // profile power limits in the first epoch instead of searching them
  int iterations_per_limit = 50;    // Zeus's profiler: 10 warm-up + 40 measured iterations per limit
};

class ZeusObjective : public Objective {
 public:
  // Keeps a reference to `trace`, which must outlive the objective.
  ZeusObjective(const ZeusTrace& trace, const std::string& dataset, std::uint64_t seed, PowerProfile profile = PowerProfile());
  static constexpr int kProbeIterations = 50;  // as many as the profiler measures per power limit
  EpochOutcome train_epoch(const Config& config, int epoch) override;
  std::optional<ProbeOutcome> probe(const Config& config, const std::vector<double>& lr_sweep) override;
  // Trace energies are simulated: replayed from another machine's measurements.
  Provenance energy_provenance() const override { return Provenance::simulated; }

  // batch_size and power_limit_w, as categoricals of the trace's values (batch_size alone
  // when power limits are profiled).
  SearchSpace space() const;
  // TunerOptions with this workload's direction, target, max epochs and unreached metric.
  TunerOptions tuner_options() const;
  // The trace configuration a config stands for (nearest power limit when missing from the
  // power trace; the profiled one, lowest energy per epoch, when the config has no power limit).
  const TraceConfig& trace_config(const Config& config) const;
  // What profiling the power limits of `batch_size` adds to its first epoch (0 without profiling).
  double profile_extra_energy_j(int batch_size) const;
  double profile_extra_time_s(int batch_size) const;
  // The trace run this batch size follows.
  int run_of(int batch_size) const { return runs_.at(batch_size); }
  // True ETA (mean over all runs, see ZeusTrace::eta_j) of the config.
  double true_eta_j(const Config& config) const;

 private:
  const ZeusTrace& trace_;
  std::string dataset_;
  std::map<int, int> runs_;  // batch size -> run
  PowerProfile profile_;
};

}  // namespace tune
}  // namespace powertrain
