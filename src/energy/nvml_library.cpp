// nvml_library.cpp: NVML opened with dlopen, initialised, and its CUDA-visible devices (see
// nvml_library.h).
#include "energy/nvml_library.h"

#include <dlfcn.h>

#include <cstdlib>
#include <optional>

#include "powertrain/energy/nvml.h"

namespace powertrain::nvml {

namespace {
using InitFn = Return (*)();
using ErrorStringFn = const char* (*)(Return);
using GetCountFn = Return (*)(unsigned int*);
using GetHandleFn = Return (*)(unsigned int, Device*);
}  // namespace

Library::Library(const std::string& path) { open(path); }

Library::~Library() {
  if (initialised_) {
    if (auto shutdown = function<InitFn>("nvmlShutdown")) shutdown();
  }
  if (handle_) dlclose(handle_);
}

void* Library::symbol(const char* name) const { return handle_ ? dlsym(handle_, name) : nullptr; }

std::string Library::error_text(Return rc) const {
  std::string code = "NVML error " + std::to_string(rc);
  auto error_string = function<ErrorStringFn>("nvmlErrorString");
  const char* text = error_string ? error_string(rc) : nullptr;
  return text && *text ? std::string(text) + " (" + code + ")" : code;
}

void Library::open(const std::string& path) {
  handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle_) {
    const char* err = dlerror();
    problem_ = path + " not found (no NVIDIA driver): dlopen error: " + (err ? err : "unknown");
    return;
  }
  auto init = function<InitFn>("nvmlInit_v2");
  auto get_count = function<GetCountFn>("nvmlDeviceGetCount_v2");
  auto get_handle = function<GetHandleFn>("nvmlDeviceGetHandleByIndex_v2");
  auto get_uuid = function<GetStringFn>("nvmlDeviceGetUUID");
  const char* missing = !init ? "nvmlInit_v2" : !symbol("nvmlShutdown") ? "nvmlShutdown"
                      : !get_count ? "nvmlDeviceGetCount_v2"
                      : !get_handle ? "nvmlDeviceGetHandleByIndex_v2" : nullptr;
  if (missing) {
    problem_ = path + " lacks " + missing + " (driver too old, or not NVML)";
    return;
  }

  Return rc = init();
  if (rc != kSuccess) {
    problem_ = "nvmlInit_v2 failed: " + error_text(rc);
    return;
  }
  initialised_ = true;

  unsigned int count = 0;
  rc = get_count(&count);
  if (rc != kSuccess) {
    problem_ = "nvmlDeviceGetCount_v2 failed: " + error_text(rc);
    return;
  }

  // Handles and UUIDs of every NVML device, to resolve CUDA_VISIBLE_DEVICES.
  std::vector<VisibleDevice> all(count);
  std::vector<std::string> uuids(count);
  for (unsigned i = 0; i < count; ++i) {
    all[i].nvml_index = i;
    rc = get_handle(i, &all[i].handle);
    if (rc != kSuccess) {
      all[i].handle = nullptr;
      all[i].error = "nvmlDeviceGetHandleByIndex_v2 failed: " + error_text(rc);
      continue;
    }
    char buffer[kBufferSize] = {};
    if (get_uuid && get_uuid(all[i].handle, buffer, kBufferSize) == kSuccess) uuids[i] = buffer;
  }

  // Note: CUDA numbers devices fastest-first unless CUDA_DEVICE_ORDER=PCI_BUS_ID, while
  // NVML uses PCI bus order; the two agree on machines with identical GPUs.
  const char* env = std::getenv("CUDA_VISIBLE_DEVICES");
  std::optional<std::string> selection;
  if (env) selection = std::string(env);
  for (unsigned index : cuda_visible_nvml_indices(selection, uuids)) visible_.push_back(all[index]);
  if (visible_.empty()) {
    problem_ = count == 0 ? std::string("NVML found no GPU")
                          : "CUDA_VISIBLE_DEVICES=\"" + *selection + "\" selects none of the " +
                                std::to_string(count) + " NVML GPUs";
  }
}

}  // namespace powertrain::nvml
