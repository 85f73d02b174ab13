// Private to train/: the one place for LibTorch version differences (Debian's 1.13 CPU build
// and pip's 2.x, CPU or CUDA). Everything else in train/ calls these and stays version-free.
//
// What differs, and how it is handled:
//  - Autocast state: LibTorch < 2.4 has per-device functions (at::autocast::set_enabled /
//    is_enabled for CUDA, set_cpu_enabled / is_cpu_enabled for CPU, set_autocast_gpu_dtype /
//    set_autocast_cpu_dtype and their get_*); 2.4 replaced them with device-generic ones
//    (at::autocast::set_autocast_enabled(device_type, bool), is_autocast_enabled(device_type),
//    set_autocast_dtype(device_type, dtype), get_autocast_dtype(device_type)) and deprecated
//    the old ones. increment_nesting / decrement_nesting / clear_cache are the same in both.
//    AutocastGuard hides this.
//  - torch::cuda::synchronize(device_index) is declared in torch/cuda.h from 1.13 on (Debian's
//    CPU-only 1.13 has it too, but no CUDA device can exist there); synchronize() wraps it.
//  - torch::cuda::device_count() returns size_t in 1.13 and c10::DeviceIndex in later 2.x;
//    cuda_device_count() returns int64_t for both.
//
// Example:
//   std::string why;
//   if (!compat::autocast_supported(device, torch::kBFloat16, &why)) throw std::runtime_error(why);
//   { compat::AutocastGuard autocast(device, torch::kBFloat16, true); out = model->forward(x); }
#pragma once

#include <ATen/autocast_mode.h>
#include <torch/cuda.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <cstdint>
#include <stdexcept>
#include <string>

// True when the LibTorch being compiled against is at least major.minor.
#define POWERTRAIN_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace powertrain::train::compat {

// Returns the LibTorch version compiled against, e.g. "1.13.0".
inline std::string torch_version() { return TORCH_VERSION; }

// Returns true when LibTorch was built with CUDA and a CUDA device is visible.
inline bool cuda_available() { return torch::cuda::is_available(); }

// Returns the number of visible CUDA devices (0 in a CPU-only build).
inline int64_t cuda_device_count() { return static_cast<int64_t>(torch::cuda::device_count()); }

// Waits for every queued kernel on `device` (a CUDA device) to finish; no-op on CPU, so
// timings and energy windows can close right after the work they measure.
inline void synchronize(const torch::Device& device) {
  if (!device.is_cuda()) return;
#if POWERTRAIN_TORCH_AT_LEAST(1, 13)
  torch::cuda::synchronize(device.has_index() ? static_cast<int64_t>(device.index()) : int64_t{-1});
#endif
}

namespace detail {

// The autocast state of one device type (CPU or CUDA), behind the version split.
inline bool autocast_enabled(c10::DeviceType type) {
#if POWERTRAIN_TORCH_AT_LEAST(2, 4)
  return at::autocast::is_autocast_enabled(type);
#else
  return type == c10::DeviceType::CUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

inline void set_autocast_enabled(c10::DeviceType type, bool enabled) {
#if POWERTRAIN_TORCH_AT_LEAST(2, 4)
  at::autocast::set_autocast_enabled(type, enabled);
#else
  if (type == c10::DeviceType::CUDA)
    at::autocast::set_enabled(enabled);
  else
    at::autocast::set_cpu_enabled(enabled);
#endif
}

inline at::ScalarType autocast_dtype(c10::DeviceType type) {
#if POWERTRAIN_TORCH_AT_LEAST(2, 4)
  return at::autocast::get_autocast_dtype(type);
#else
  return type == c10::DeviceType::CUDA ? at::autocast::get_autocast_gpu_dtype()
                                       : at::autocast::get_autocast_cpu_dtype();
#endif
}

inline void set_autocast_dtype(c10::DeviceType type, at::ScalarType dtype) {
#if POWERTRAIN_TORCH_AT_LEAST(2, 4)
  at::autocast::set_autocast_dtype(type, dtype);
#else
  if (type == c10::DeviceType::CUDA)
    at::autocast::set_autocast_gpu_dtype(dtype);
  else
    at::autocast::set_autocast_cpu_dtype(dtype);
#endif
}

}  // namespace detail

// Returns whether autocast to `dtype` (kHalf or kBFloat16) can run on `device`; if not, and
// `why` is given, says why in a sentence for the user. The rules, the same on every LibTorch:
//  - CPU: bf16 only (LibTorch 1.13's CPU autocast has no fp16; 2.x has some, but runs stay
//    comparable across versions this way).
//  - CUDA: fp16 and bf16 when a CUDA device is visible. bf16 is not checked against the
//    compute capability (that needs the CUDA headers): pre-Ampere GPUs either emulate it
//    slowly or fail in the first step, where the trainer reports it.
//  - any other dtype or device type: false.
inline bool autocast_supported(const torch::Device& device, torch::ScalarType dtype, std::string* why = nullptr) {
  auto no = [why](const std::string& reason) {
    if (why) *why = reason;
    return false;
  };
  if (dtype != torch::kHalf && dtype != torch::kBFloat16)
    return no(std::string("autocast needs a lower-precision dtype (fp16 or bf16), not ") + c10::toString(dtype));
  if (device.is_cpu()) {
    if (dtype == torch::kHalf)
      return no("fp16 mixed precision needs a CUDA GPU: LibTorch's CPU autocast supports bf16 only; "
                "use precision bf16 or fp32");
    return true;
  }
  if (device.is_cuda()) {
    if (!cuda_available())
      return no("CUDA mixed precision needs a CUDA GPU, and this LibTorch (" + torch_version() +
                ") sees none");
    return true;
  }
  return no("mixed precision is supported on CPU (bf16) and CUDA (fp16, bf16) only, not on " + device.str());
}

// RAII autocast region for one device, like Python's torch.autocast(device_type, dtype):
// on entry it records the device type's autocast state and dtype, enables autocast with
// `dtype` and increments the nesting count; on exit it decrements the nesting count,
// clears the autocast cast cache when that reaches 0, and restores the recorded state.
// With enabled = false it touches nothing (the region runs in whatever mode is current).
// Throws std::invalid_argument for a device type other than CPU/CUDA or a dtype other than
// kHalf/kBFloat16 (when enabled). The state is thread-local: build and destroy the guard on
// the same thread, and nest guards as scopes.
class AutocastGuard {
 public:
  AutocastGuard(torch::Device device, torch::ScalarType dtype, bool enabled) : type_(device.type()) {
    if (!enabled) return;
    if (type_ != c10::DeviceType::CPU && type_ != c10::DeviceType::CUDA)
      throw std::invalid_argument("autocast: supported on CPU and CUDA only, not on " + device.str());
    if (dtype != torch::kHalf && dtype != torch::kBFloat16)
      throw std::invalid_argument(std::string("autocast: dtype must be fp16 or bf16, not ") + c10::toString(dtype));
    prev_enabled_ = detail::autocast_enabled(type_);
    prev_dtype_ = detail::autocast_dtype(type_);
    detail::set_autocast_enabled(type_, true);
    detail::set_autocast_dtype(type_, dtype);
    at::autocast::increment_nesting();
    active_ = true;
  }

  ~AutocastGuard() {
    if (!active_) return;
    try {
      if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
      detail::set_autocast_enabled(type_, prev_enabled_);
      detail::set_autocast_dtype(type_, prev_dtype_);
    } catch (...) {
      // A destructor must not throw; these calls only touch thread-local state.
    }
  }

  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;
  AutocastGuard(AutocastGuard&&) = delete;
  AutocastGuard& operator=(AutocastGuard&&) = delete;

  // Returns true when this guard enabled autocast (enabled was true).
  bool active() const { return active_; }

 private:
  c10::DeviceType type_;
  bool active_ = false;
  bool prev_enabled_ = false;
  at::ScalarType prev_dtype_ = at::kFloat;
};

}  // namespace powertrain::train::compat
