// powertrain/energy/nvml.h: NVIDIA GPU energy through NVML, loaded with dlopen at run time.
//
// No NVML header is needed at build time and the binary runs where no GPU (or driver)
// exists: the few NVML types and functions used are declared in nvml.cpp. On Volta and
// newer the total-energy counter (mJ) is read; where it is unsupported, power (mW) is
// read and the Meter integrates it. CUDA_VISIBLE_DEVICES is respected: "gpu:N" is the
// N-th visible device, as CUDA numbers it.
//
// Example:
//   powertrain::NvmlSource gpus("libnvidia-ml.so.1");
//   for (const auto& s : gpus.sensors()) std::cout << s.component << " " << s.detail << "\n";
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "powertrain/energy/source.h"

namespace powertrain {

// Returns the NVML indices selected by a CUDA_VISIBLE_DEVICES value, in CUDA order.
// `value` is the variable's value (nullopt when unset: all devices); entries are
// indices or UUID prefixes ("GPU-5c1f..."); as CUDA does, the list ends at the first
// entry that matches no device. `uuids` holds the UUID of each NVML index.
std::vector<unsigned> cuda_visible_nvml_indices(const std::optional<std::string>& value,
                                                const std::vector<std::string>& uuids);

class NvmlSource : public EnergySource {
 public:
  // Opens `library_path` with dlopen and initialises NVML. Never throws: a missing
  // library or failed init leaves the source with no working sensor and the reason
  // in sensors().
  explicit NvmlSource(const std::string& library_path = "libnvidia-ml.so.1");
  ~NvmlSource() override;  // nvmlShutdown, then dlclose
  NvmlSource(const NvmlSource&) = delete;
  NvmlSource& operator=(const NvmlSource&) = delete;

  std::string name() const override { return "nvml"; }
  std::vector<SensorInfo> sensors() const override;
  std::vector<Reading> read() override;
  double counter_resolution_j(const std::string& component) const override;
  std::string note(const std::string& component) const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace powertrain
