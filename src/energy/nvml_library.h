// Private to energy/: the slice of the NVML C API powertrain uses, declared here (as nvtop
// and btop do) so no NVML header or library is needed at build time, and one opened,
// initialised NVML with its CUDA-visible devices. Shared by NvmlSource (reading energy) and
// GpuPowerLimit (setting power limits).
#pragma once

#include <string>
#include <vector>

namespace powertrain::nvml {

using Return = int;  // nvmlReturn_t: an int-sized enum in nvml.h
struct DeviceSt;
using Device = DeviceSt*;  // nvmlDevice_t

constexpr Return kSuccess = 0;
constexpr Return kNotSupported = 3;
constexpr Return kNoPermission = 4;
constexpr unsigned kBufferSize = 96;  // NVML_DEVICE_NAME_V2_BUFFER_SIZE / UUID_V2 (both 96)

using GetStringFn = Return (*)(Device, char*, unsigned int);         // name, UUID
using GetEnergyFn = Return (*)(Device, unsigned long long*);         // mJ
using GetUintFn = Return (*)(Device, unsigned int*);                 // power (mW), power limit (mW)
using GetRangeFn = Return (*)(Device, unsigned int*, unsigned int*); // power-limit constraints (mW)
using SetUintFn = Return (*)(Device, unsigned int);                  // set the power limit (mW)

// One CUDA-visible device: its NVML index and handle (null, with `error`, when the lookup failed).
struct VisibleDevice {
  unsigned nvml_index = 0;
  Device handle = nullptr;
  std::string error;
};

// NVML opened with dlopen and initialised; shut down and closed when it dies. Never throws:
// when something fails, problem() says what and visible() is empty.
class Library {
 public:
  explicit Library(const std::string& path);
  ~Library();
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;

  const std::string& problem() const { return problem_; }
  // The devices CUDA_VISIBLE_DEVICES selects, in CUDA order ("gpu:N" is the N-th).
  const std::vector<VisibleDevice>& visible() const { return visible_; }
  // A function of the library, or null when it lacks it.
  template <typename Fn>
  Fn function(const char* name) const { return reinterpret_cast<Fn>(symbol(name)); }
  // Returns e.g. "Not Supported (NVML error 3)".
  std::string error_text(Return rc) const;

 private:
  void* symbol(const char* name) const;
  void open(const std::string& path);

  void* handle_ = nullptr;
  bool initialised_ = false;
  std::string problem_;
  std::vector<VisibleDevice> visible_;
};

}  // namespace powertrain::nvml
