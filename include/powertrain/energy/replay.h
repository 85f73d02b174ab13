// powertrain/energy/replay.h: a recorded power trace played back as a source.
//
// The trace is CSV with a header line `t_s,component,power_w` (lines starting with '#'
// are comments). Time is relative to the first read(); power is held constant between
// the recorded points (step), and the last value holds after the end. For tests and
// offline demos: the same Meter code runs on it as on real sensors.
//
// Example:
//   powertrain::ReplaySource trace("tests/data/gpu_trace.csv");
#pragma once

#include <functional>
#include <istream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "powertrain/energy/source.h"

namespace powertrain {

// Samples of a power trace: component -> (t_s, power_w) in time order.
using PowerTrace = std::map<std::string, std::vector<std::pair<double, double>>>;

// Returns the samples of the power trace CSV read from `in`; `origin` names it in errors.
// Throws std::runtime_error naming the origin, the line and the problem; what a bad line
// held is shown escaped and cut short (a binary file is never echoed to the terminal), and
// a line over 64 KiB is an error rather than a read without end.
PowerTrace parse_power_trace(std::istream& in, const std::string& origin);

class ReplaySource : public EnergySource {
 public:
  // Loads `path`; throws std::runtime_error naming the file, line and problem when it
  // is unreadable or malformed. `now_s` gives the current time (default: steady clock).
  explicit ReplaySource(const std::string& path, std::function<double()> now_s = {});

  std::string name() const override { return "replay"; }
  std::vector<SensorInfo> sensors() const override;
  std::vector<Reading> read() override;
  std::string note(const std::string& component) const override;

  // Returns the recorded power of `component` at trace time `t_s` (step interpolation).
  double power_at_w(const std::string& component, double t_s) const;

 private:
  std::string path_;
  std::function<double()> now_s_;
  double t0_s_ = -1.0;
  PowerTrace points_;
};

}  // namespace powertrain
