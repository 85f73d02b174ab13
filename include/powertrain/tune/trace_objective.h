// powertrain/tune/trace_objective.h: one Zeus trace workload as a tuning Objective.
//
// The search space has two categorical numbers: batch_size and power_limit_w (the values
// of the trace's configurations). Each batch size follows one learning curve, the trace
// `run` chosen by the seed (the same seed gives the same runs). An epoch of a config costs
// time_per_epoch_s x average_power_w joules and returns metric_after(epoch). A
// (batch_size, power_limit_w) pair missing from the power trace (rtx6000 movielens-1m
// has one gap) uses the nearest power limit measured for that batch size.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "powertrain/tune/space.h"
#include "powertrain/tune/trace.h"
#include "powertrain/tune/tuner.h"

namespace powertrain {
namespace tune {

class ZeusObjective : public Objective {
 public:
  // Keeps a reference to `trace`, which must outlive the objective.
  ZeusObjective(const ZeusTrace& trace, const std::string& dataset, std::uint64_t seed);
  EpochOutcome train_epoch(const Config& config, int epoch) override;
  // Trace energies are simulated: replayed from another machine's measurements.
  Provenance energy_provenance() const override { return Provenance::simulated; }

  // batch_size and power_limit_w, as categoricals of the trace's values.
  SearchSpace space() const;
  // TunerOptions with this workload's direction, target, max epochs and unreached metric.
  TunerOptions tuner_options() const;
  // The trace configuration a config stands for (nearest power limit when missing).
  const TraceConfig& trace_config(const Config& config) const;
  // The trace run this batch size follows.
  int run_of(int batch_size) const { return runs_.at(batch_size); }
  // True ETA (mean over all runs, see ZeusTrace::eta_j) of the config.
  double true_eta_j(const Config& config) const;

 private:
  const ZeusTrace& trace_;
  std::string dataset_;
  std::map<int, int> runs_;  // batch size -> run
};

}  // namespace tune
}  // namespace powertrain
