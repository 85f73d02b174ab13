// powertrain/energy/estimate.h: CPU power estimated from utilisation where no counter exists.
//
// power_w = tdp_w * (idle_fraction + (1 - idle_fraction) * utilisation), with utilisation
// from the difference of two /proc/stat "cpu" lines. The TDP comes from the caller, else
// from data/cpu_tdp.csv matched against /proc/cpuinfo's model name, else a documented
// default per core. Every value it yields is labelled "estimated", with these assumptions
// in note().
//
// Example:
//   powertrain::CpuEstimateSource est(powertrain::CpuEstimateOptions{});
//   auto r = est.read();   // first read: utilisation since boot; then since the last read
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "powertrain/energy/source.h"

namespace powertrain {

struct CpuEstimateOptions {
  std::string proc_root = "/proc";   // reads proc_root/stat and proc_root/cpuinfo
  double tdp_w = NAN;                // NaN: look up the model, else default_w_per_core * cores
  double idle_fraction = 0.3;        // share of TDP drawn at 0 % utilisation
  double default_w_per_core = 10.0;  // used when the model is not in the TDP table
};

class CpuEstimateSource : public EnergySource {
 public:
  explicit CpuEstimateSource(const CpuEstimateOptions& opt);

  std::string name() const override { return "estimate"; }
  std::vector<SensorInfo> sensors() const override;
  std::vector<Reading> read() override;   // one Reading "cpu_estimate" with power_w
  std::string note(const std::string& component) const override;

  double tdp_w() const { return tdp_w_; }            // the TDP in use
  const std::string& tdp_origin() const { return tdp_origin_; }  // "given", "table: <model>", "default: N cores x W"
  const std::string& cpu_model() const { return cpu_model_; }

 private:
  CpuEstimateOptions opt_;
  double tdp_w_ = NAN;
  std::string tdp_origin_;
  std::string cpu_model_;
  int cores_ = 0;
  bool have_prev_ = false;
  unsigned long long prev_busy_ = 0, prev_total_ = 0;
  double last_utilisation_ = NAN;  // repeated while /proc/stat has not advanced a tick per CPU
  std::string error_;  // non-empty when /proc/stat cannot be read
};

// Returns the TDP in W of a CPU model name from the built-in table (data/cpu_tdp.csv),
// matching the longest table key contained in `model`; NaN when none matches.
double cpu_tdp_lookup_w(const std::string& model);

}  // namespace powertrain
