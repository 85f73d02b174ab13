// powertrain/energy/power_limit.h: set a GPU's power limit through NVML for a while, and
// put back the limit it had on every way out.
//
// A lower power limit makes many trainings cheaper in energy at a small cost in time (the
// research's power-limit lever). Setting it needs root on most machines; where it is not
// permitted, not supported, or out of the GPU's range, the constructor refuses with a
// message naming the problem and the fix, and changes nothing.
//
// The limit found is restored when the object dies (return, exception), at exit(), and when
// SIGINT, SIGTERM, SIGHUP or SIGQUIT arrives: a signal is handed to a watcher thread (the
// handler only writes one byte to a pipe), which restores every limit still set and then
// does what the signal did before (a handler installed earlier, e.g. Ctrl-C's graceful stop,
// is called; the default action ends the process). Only SIGKILL and a power cut cannot be
// caught: `nvidia-smi -pl` or a reboot puts the limit back then.
//
// Example:
//   powertrain::GpuPowerLimit limit(0, 200.0);  // CUDA-visible GPU 0 at 200 W
//   ...train...                                 // back to the old limit when `limit` dies
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

namespace powertrain {

// Thrown when a limit cannot be set; what() says why and what to do.
class PowerLimitError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class GpuPowerLimit {
 public:
  // Sets the CUDA-visible GPU `cuda_ordinal` (CUDA_VISIBLE_DEVICES respected, as NvmlSource
  // numbers "gpu:N") to `power_limit_w`. Throws PowerLimitError, having changed nothing, when
  // the value is not finite, NVML or the GPU is missing, the GPU cannot set limits, the value
  // is outside its range, or the process may not set it (not root).
  GpuPowerLimit(unsigned cuda_ordinal, double power_limit_w, const std::string& nvml_library = "libnvidia-ml.so.1");
  ~GpuPowerLimit();  // restores the limit found
  GpuPowerLimit(const GpuPowerLimit&) = delete;
  GpuPowerLimit& operator=(const GpuPowerLimit&) = delete;

  // Changes the limit again (e.g. one setting after another while profiling); the limit
  // restored at the end stays the one found at construction. Throws as the constructor.
  void set(double power_limit_w);

  std::string component() const;  // "gpu:N"
  double limit_w() const;          // the limit set now
  double original_w() const;       // the limit found, restored at the end
  double min_w() const;            // the GPU's range (nvmlDeviceGetPowerManagementLimitConstraints)
  double max_w() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace powertrain
