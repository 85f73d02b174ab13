// powertrain/interop/prometheus.h: a live snapshot in Prometheus' text exposition format.
//
// prometheus_text() renders what a /metrics endpoint serves (text format 0.0.4): per
// component the power in W (gauge) and the energy in J since the run started (counter),
// the current run and epoch, each family with its # HELP and # TYPE lines, and label
// values escaped (backslash, double quote, line feed). An unknown value is left out, never
// written as 0: in Prometheus an absent sample means "unknown".
//
// Example:
//   powertrain::PrometheusSnapshot s;
//   s.run_id = 7; s.epoch = 3;
//   s.components.push_back({"gpu:0", "gpu", 251.5, 1.2e6, "measured_counter"});
//   std::string body = powertrain::prometheus_text(s);  // Content-Type: text/plain; version=0.0.4
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "powertrain/energy/meter.h"

namespace powertrain {

// One component at the moment of the snapshot.
struct PrometheusComponent {
  std::string component;       // "gpu:0", "cpu_package:0", ...
  std::string kind;            // "gpu", "cpu_package", "dram", "cpu_estimate", "other"
  double power_w = NAN;        // latest power; NaN = unknown (sample left out)
  double energy_j = NAN;       // energy since the run started; NaN = unknown (left out)
  std::string provenance;      // "measured_counter", "integrated_power", "estimated", "missing"
};

struct PrometheusSnapshot {
  int64_t run_id = 0;          // 0: no run (the run metrics are left out)
  std::string run_name;
  std::string run_kind;        // "measure", "train", "trial"
  int epoch = 0;               // current epoch (1-based); 0 before the first or for measure runs
  std::vector<PrometheusComponent> components;
};

// Returns a snapshot of a window so far: each component's energy and mean power.
PrometheusSnapshot prometheus_snapshot_from(const Measurement& m, int64_t run_id, const std::string& run_name);

// Returns the snapshot as Prometheus text exposition format (ends with a line feed).
std::string prometheus_text(const PrometheusSnapshot& s);

// Returns `v` escaped for a label value: \ -> \\, " -> \", line feed -> \n.
std::string prometheus_escape_label(const std::string& v);

// Returns `v` as a Prometheus sample value: shortest round-trip decimal, NaN, +Inf, -Inf.
std::string prometheus_value(double v);

}  // namespace powertrain
