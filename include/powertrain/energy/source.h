// powertrain/energy/source.h: the one small interface every energy sensor implements.
//
// A source (NVML, RAPL, the CPU estimate, a replayed trace) exposes one or more
// components ("gpu:0", "cpu_package:0", "dram:0", "cpu_estimate"). Each read gives,
// per component, either a cumulative energy counter in joules (already unwrapped) or
// an instantaneous power in watts. The Meter turns those readings into window energies.
//
// Example:
//   auto sources = powertrain::discover_sources(powertrain::DiscoverOptions{});
//   for (auto& s : sources) for (auto& r : s->read()) std::cout << r.component << "\n";
#pragma once

#include <cmath>
#include <memory>
#include <string>
#include <vector>

namespace powertrain {

// Where a value came from. Reports print it next to every number.
enum class Provenance {
  measured_counter,  // difference of a hardware energy counter (NVML energy, RAPL)
  integrated_power,  // power samples integrated over time (Eq. 1 of research.md)
  estimated,         // a model (CPU utilisation x TDP), with its assumptions in the note
  simulated,         // replayed from recorded traces (searches on the Zeus traces), not this machine
  missing,           // nothing could be measured; the value is NaN, never 0
};

// Returns "measured_counter", "integrated_power", "estimated", "simulated" or "missing":
// the name stored and printed.
const char* provenance_name(Provenance p);
// Returns the provenance named `name` (as provenance_name writes it); an unknown or empty
// name is missing.
Provenance provenance_from_name(const std::string& name);

// Returns the weaker of two provenances (missing < simulated < estimated < integrated <
// counter): a total is only as good as its weakest part.
Provenance provenance_weakest(Provenance a, Provenance b);
// Returns the weakest of `all`; missing for an empty list.
Provenance provenance_weakest(const std::vector<Provenance>& all);
// The same over stored names (provenance_from_name): the name of the weakest.
std::string provenance_weakest_name(const std::vector<std::string>& names);

// What a component measures, for grouping in reports.
enum class ComponentKind { gpu, cpu_package, dram, cpu_estimate, other };

// Returns "gpu", "cpu_package", "dram", "cpu_estimate" or "other".
const char* component_kind_name(ComponentKind k);

// One component's reading at one instant.
struct Reading {
  std::string component;            // unique id, e.g. "gpu:0", "cpu_package:1", "dram:0"
  ComponentKind kind = ComponentKind::other;
  double energy_j = NAN;            // cumulative counter in J since an arbitrary origin; NaN if no counter
  double power_w = NAN;             // instantaneous (or short-average) power in W; NaN if not read
  bool ok = true;                   // false when this read failed (the value is then ignored)
};

// What `powertrain devices` prints for one sensor.
struct SensorInfo {
  std::string component;            // e.g. "gpu:0"; empty for a source-level problem
  std::string source;               // "nvml", "rapl", "estimate", "replay"
  std::string description;          // e.g. "NVIDIA H100 80GB HBM3 (counter)", "package-0"
  bool working = false;             // readable now
  std::string detail;               // why not, or how (e.g. "energy counter, 1 mJ resolution")
  bool used = false;                // survey_sensors(): what `measure` would measure with
};

// An energy sensor. Implementations own their handles (dlopen, files) and are not
// thread-safe: the Meter serialises all calls.
class EnergySource {
 public:
  virtual ~EnergySource() = default;
  // Returns the source's short name: "nvml", "rapl", "estimate", "replay".
  virtual std::string name() const = 0;
  // Returns every sensor this source found, working or not, with the reason.
  virtual std::vector<SensorInfo> sensors() const = 0;
  // Returns one reading per working component. Called by the Meter's sampler thread
  // at its interval and at every window edge; counters must be unwrapped here.
  virtual std::vector<Reading> read() = 0;
  // Returns the resolution of a component's counter in J (for uncertainty), or 0 if unknown.
  virtual double counter_resolution_j(const std::string& component) const { (void)component; return 0.0; }
  // Returns a note on how values are obtained (the estimate's assumptions), or "".
  virtual std::string note(const std::string& component) const { (void)component; return ""; }
  // Returns true if the source has at least one working component.
  bool available() const {
    for (const auto& s : sensors()) if (s.working) return true;
    return false;
  }
};

// How to find sources. Every path is overridable for tests and unusual machines.
struct DiscoverOptions {
  std::string nvml_library = "libnvidia-ml.so.1";  // env POWERTRAIN_NVML_LIBRARY overrides
  std::string powercap_root = "/sys/class/powercap"; // env POWERTRAIN_POWERCAP_ROOT overrides
  std::string proc_root = "/proc";                  // for /proc/stat and /proc/cpuinfo
  double cpu_tdp_w = NAN;            // CPU TDP for the estimate; NaN = look up, then default
  std::string replay_file;           // if set, only this recorded trace is used
  bool use_nvml = true;
  bool use_rapl = true;
};

// Returns every sensor of every source discovery would try, working or not, with why
// (`powertrain devices`, the dashboard's devices page). Throws when a replay file cannot
// be read.
std::vector<SensorInfo> all_sensors(const DiscoverOptions& options);
// Returns all_sensors() with `used` set on those discover_sources() would measure with;
// `warnings` receives discovery's fallbacks.
std::vector<SensorInfo> survey_sensors(const DiscoverOptions& options, std::vector<std::string>* warnings);

// Returns the sources to measure with: NVML GPUs if any, RAPL packages(+dram) if
// readable, otherwise the CPU estimate (never nothing for the CPU). With replay_file
// set, returns just the replay source. `warnings` receives one line per fallback taken
// (e.g. RAPL permission denied, with how to grant access).
std::vector<std::unique_ptr<EnergySource>> discover_sources(const DiscoverOptions& opt,
                                                            std::vector<std::string>* warnings = nullptr);

// Returns opt with environment overrides (POWERTRAIN_NVML_LIBRARY, POWERTRAIN_POWERCAP_ROOT,
// POWERTRAIN_PROC_ROOT, POWERTRAIN_CPU_TDP_W) applied.
DiscoverOptions discover_options_from_env(DiscoverOptions opt);

}  // namespace powertrain
