// powertrain/energy/meter.h: the energy meter: a sampler thread plus named, nestable windows.
//
// The Meter owns the sources. A background thread reads every source at a fixed interval
// (default 100 ms): counters are unwrapped and power is recorded for charts. Every window
// edge (begin/end) reads all sources once more, so a counter-based window energy is the
// exact counter difference. Where a component gives only power, the window energy follows
// Eq. 1 of research.md: the mean of the power samples inside the window times its duration.
//
// Example:
//   powertrain::Meter meter(powertrain::discover_sources({}), powertrain::MeterOptions().interval_s(0.1));
//   meter.start();
//   for (int epoch = 0; epoch < 3; ++epoch) {
//     auto w = meter.begin("epoch " + std::to_string(epoch));
//     train_one_epoch();
//     powertrain::Measurement m = meter.end(w);
//     std::cout << m.total_energy_j() << " J\n";
//   }
#pragma once

#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "powertrain/energy/source.h"

namespace powertrain {

// One component's share of a window.
struct ComponentMeasurement {
  std::string component;             // "gpu:0", "cpu_package:0", "dram:0", "cpu_estimate"
  ComponentKind kind = ComponentKind::other;
  std::string source;                // "nvml", "rapl", "estimate", "replay"
  double energy_j = NAN;             // NaN when missing, never 0 for unknown
  double uncertainty_j = NAN;        // +- bound where one can be given, else NaN
  double avg_power_w = NAN;          // energy_j / duration_s
  double peak_power_w = NAN;         // highest power seen between two samples in the window
  double idle_power_w = NAN;         // from the idle baseline, when one was measured
  double static_energy_j = NAN;      // idle_power_w * duration_s (only with a baseline)
  double dynamic_energy_j = NAN;     // energy_j - static_energy_j (only with a baseline)
  int samples = 0;                   // readings inside the window, edges included
  Provenance provenance = Provenance::missing;
  std::string note;                  // assumptions of an estimate, or why it is missing
};

// The result of one window.
struct Measurement {
  int id = -1;                       // window id, unique within one Meter
  int parent_id = -1;                // enclosing window, -1 for a top-level window
  std::string name;
  double start_unix_s = NAN;         // wall-clock start
  double start_s = NAN;              // start on the meter's clock, s since the meter's start
  double duration_s = NAN;
  std::vector<ComponentMeasurement> components;

  // Returns the sum of the known component energies in J, or NaN if none is known.
  double total_energy_j() const;
  // Returns the root of the summed squared uncertainties in J, or NaN if none is known.
  double total_uncertainty_j() const;
  // Returns the weakest provenance among the components (missing if there are none).
  Provenance total_provenance() const;
  // Returns total_energy_j() / duration_s.
  double avg_power_w() const;
};

// One point of the power timeline of a component (for charts and the store).
struct PowerSample {
  double t_s = 0;                    // s since the meter's start
  std::string component;
  double power_w = NAN;              // measured power, or counter difference / interval
};

// Mean power per component at rest, from Meter::measure_idle.
struct IdleBaseline {
  double duration_s = 0;
  std::map<std::string, double> power_w;  // component -> idle power
};

// Meter settings, set with chained setters like LibTorch's options.
struct MeterOptions {
  double interval_s_ = 0.1;                     // sampler period; 0 disables the thread
  std::function<double()> clock_s_;             // monotonic clock in s; default steady_clock
  std::function<void()> on_edge_;               // called before every edge read (device sync)
  MeterOptions& interval_s(double v) { interval_s_ = v; return *this; }
  MeterOptions& clock_s(std::function<double()> f) { clock_s_ = std::move(f); return *this; }
  MeterOptions& on_edge(std::function<void()> f) { on_edge_ = std::move(f); return *this; }
};

// Energy of power samples by Eq. 1: mean power times duration. Returns J (NaN if empty).
double energy_eq1_j(const std::vector<double>& power_w, double duration_s);
// Energy of time-stamped power samples by the trapezoid rule. Returns J (NaN if < 2 points).
double energy_trapezoid_j(const std::vector<std::pair<double, double>>& t_s_power_w);
// Returns samples averaged into buckets of `bucket_s` per component (for storage).
std::vector<PowerSample> downsample(const std::vector<PowerSample>& samples, double bucket_s);

class Meter {
 public:
  using WindowId = int;

  // Takes ownership of the sources. Does not start sampling until start().
  explicit Meter(std::vector<std::unique_ptr<EnergySource>> sources, MeterOptions opt = MeterOptions());
  ~Meter();  // stops the sampler
  Meter(const Meter&) = delete;
  Meter& operator=(const Meter&) = delete;

  // Starts the sampler thread (no-op when interval is 0 or it already runs).
  void start();
  // Stops the sampler thread. Windows still work (edge reads only).
  void stop();

  // Opens a window nested in the innermost open window. Returns its id.
  WindowId begin(const std::string& name);
  // Closes window `id` (and any window opened inside it that is still open). Returns its
  // measurement; throws std::logic_error if `id` is not open.
  Measurement end(WindowId id);

  // Reads every source now, as the sampler thread does. For tests with a manual clock.
  void sample_now();
  // Measures for `seconds` with nothing else running and keeps the mean power per
  // component as the baseline; later windows split static from dynamic energy.
  IdleBaseline measure_idle(double seconds);
  // Sets the baseline directly (e.g. from a stored run).
  void set_idle_baseline(const IdleBaseline& b);

  // Returns the power timeline recorded so far (sampler and edges), oldest first.
  std::vector<PowerSample> samples() const;
  // Returns the readings at or after `t_s` (meter clock), oldest first: what is new since
  // an earlier call, without copying the whole timeline (live writers).
  std::vector<PowerSample> samples_since(double t_s) const;
  // Returns every sensor of every source (working or not).
  std::vector<SensorInfo> sensors() const;
  // Returns the measurements of all ended windows, in the order they ended.
  std::vector<Measurement> finished() const;
  // Returns the components seen so far, in the order first seen.
  std::vector<std::string> components() const;
  // Returns s on the meter's clock since construction.
  double now_s() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Closes its window when it goes out of scope.
class ScopedWindow {
 public:
  ScopedWindow(Meter& m, const std::string& name) : meter_(m), id_(m.begin(name)) {}
  ~ScopedWindow() { if (id_ >= 0) { try { meter_.end(id_); } catch (...) {} } }
  // Ends the window now and returns its measurement.
  Measurement end() { int id = id_; id_ = -1; return meter_.end(id); }
  ScopedWindow(const ScopedWindow&) = delete;
  ScopedWindow& operator=(const ScopedWindow&) = delete;
 private:
  Meter& meter_;
  int id_;
};

}  // namespace powertrain
