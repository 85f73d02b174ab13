// powertrain/energy/rapl.h: CPU package and DRAM energy from Linux RAPL (powercap sysfs).
//
// Reads /sys/class/powercap/intel-rapl:N[:M]/{name,energy_uj,max_energy_range_uj}. Only
// "package-N" zones and their "dram" subzones are summed: core, uncore and psys overlap
// the package and are listed as skipped. Counters wrap at max_energy_range_uj; read()
// unwraps them, so it must be called more often than the shortest wrap period (the
// Meter's sampler does; wrap_period_s() says how often is enough). On EACCES (energy_uj
// is root-only since Linux 5.10) the sensors say why and how to grant read access.
//
// Example:
//   powertrain::RaplSource rapl("/sys/class/powercap");
//   if (!rapl.available()) std::cerr << rapl.sensors().front().detail << "\n";
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "powertrain/energy/source.h"

namespace powertrain {

class RaplSource : public EnergySource {
 public:
  // Scans `powercap_root` once. Never throws: problems show in sensors().
  explicit RaplSource(const std::string& powercap_root = "/sys/class/powercap");
  ~RaplSource() override;

  std::string name() const override { return "rapl"; }
  std::vector<SensorInfo> sensors() const override;
  std::vector<Reading> read() override;
  double counter_resolution_j(const std::string& component) const override;  // 1e-6 J
  // Returns the shortest time in s in which a working counter can wrap at `max_power_w`
  // (range / power), or +inf when there is no working counter.
  double wrap_period_s(double max_power_w = 400.0) const;
  // Returns true if at least one zone exists but its energy_uj could not be read for
  // lack of permission (EACCES/EPERM).
  bool permission_denied() const;
  // Returns the message that explains the permission problem and how to fix it.
  std::string permission_help() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace powertrain
