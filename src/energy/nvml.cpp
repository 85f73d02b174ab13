// nvml.cpp: NVIDIA GPU energy through NVML, loaded with dlopen at run time (see nvml.h).
//
// The few NVML types and functions used are declared here, as nvtop and btop do, so no
// NVML header or library is needed at build time. Per device, the total-energy counter
// (Volta and newer, mJ since driver load) is preferred; otherwise power (mW) is polled
// and the Meter integrates it. Nothing here throws: every failure becomes a SensorInfo
// with working=false and the reason.
#include "powertrain/energy/nvml.h"

#include <dlfcn.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

namespace powertrain {

namespace {

// --- The slice of the NVML API used here (from nvml.h; the ABI is stable). ---
using nvmlReturn_t = int;  // an int-sized enum in nvml.h
struct nvmlDevice_st;
using nvmlDevice_t = nvmlDevice_st*;

constexpr nvmlReturn_t NVML_SUCCESS = 0;
constexpr unsigned NVML_BUFFER_SIZE = 96;  // NVML_DEVICE_NAME_V2_BUFFER_SIZE / UUID_V2 (both 96)

using InitFn = nvmlReturn_t (*)();
using ShutdownFn = nvmlReturn_t (*)();
using ErrorStringFn = const char* (*)(nvmlReturn_t);
using GetCountFn = nvmlReturn_t (*)(unsigned int*);
using GetHandleFn = nvmlReturn_t (*)(unsigned int, nvmlDevice_t*);
using GetStringFn = nvmlReturn_t (*)(nvmlDevice_t, char*, unsigned int);  // name, UUID
using GetEnergyFn = nvmlReturn_t (*)(nvmlDevice_t, unsigned long long*);  // mJ
using GetPowerFn = nvmlReturn_t (*)(nvmlDevice_t, unsigned int*);         // mW

// How one device is read.
enum class Mode { counter, power, broken };

struct Device {
  unsigned nvml_index = 0;
  std::string component;        // "gpu:N", N the CUDA-visible ordinal
  nvmlDevice_t handle = nullptr;
  Mode mode = Mode::broken;
  bool power_ok = false;        // power also readable (used alongside the counter)
  std::string name;             // e.g. "NVIDIA H100 80GB HBM3"
  std::string detail;           // how it is read, or why not
};

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

// Returns the NVML index an entry of CUDA_VISIBLE_DEVICES names, or -1 if none.
long match_entry(const std::string& entry, const std::vector<std::string>& uuids) {
  if (entry.empty()) return -1;
  bool all_digits = true;
  for (char c : entry) {
    if (!std::isdigit(static_cast<unsigned char>(c))) { all_digits = false; break; }
  }
  if (all_digits) {
    if (entry.size() > 9) return -1;  // far beyond any device count; avoids overflow
    long index = std::strtol(entry.c_str(), nullptr, 10);
    return index < static_cast<long>(uuids.size()) ? index : -1;
  }
  // A UUID or a unique prefix of one ("GPU-5c1f"). An ambiguous prefix matches nothing.
  long found = -1;
  for (size_t i = 0; i < uuids.size(); ++i) {
    if (!uuids[i].empty() && uuids[i].compare(0, entry.size(), entry) == 0) {
      if (found >= 0) return -1;
      found = static_cast<long>(i);
    }
  }
  return found;
}

}  // namespace

std::vector<unsigned> cuda_visible_nvml_indices(const std::optional<std::string>& value,
                                                const std::vector<std::string>& uuids) {
  std::vector<unsigned> indices;
  if (!value) {
    for (unsigned i = 0; i < uuids.size(); ++i) indices.push_back(i);
    return indices;
  }
  const std::string& list = *value;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    long index = match_entry(trim(list.substr(start, comma - start)), uuids);
    if (index < 0) break;  // CUDA stops at the first entry that matches no device
    bool seen = false;
    for (unsigned i : indices) seen = seen || i == static_cast<unsigned>(index);
    if (!seen) indices.push_back(static_cast<unsigned>(index));
    start = comma + 1;
  }
  return indices;
}

struct NvmlSource::Impl {
  std::string library_path;
  void* library = nullptr;      // dlopen handle
  bool initialised = false;     // nvmlInit_v2 succeeded, so nvmlShutdown is due
  std::string problem;          // source-level reason when no device list could be made

  InitFn init = nullptr;
  ShutdownFn shutdown = nullptr;
  ErrorStringFn error_string = nullptr;
  GetCountFn get_count = nullptr;
  GetHandleFn get_handle = nullptr;
  GetStringFn get_name = nullptr;
  GetStringFn get_uuid = nullptr;
  GetEnergyFn get_energy = nullptr;
  GetPowerFn get_power = nullptr;

  std::vector<Device> devices;  // the CUDA-visible ones, in CUDA order

  void* symbol(const char* name) { return dlsym(library, name); }

  // Returns e.g. "Not Supported (NVML error 3)".
  std::string error_text(nvmlReturn_t rc) const {
    std::string code = "NVML error " + std::to_string(rc);
    const char* text = error_string ? error_string(rc) : nullptr;
    return text && *text ? std::string(text) + " (" + code + ")" : code;
  }

  const Device* find(const std::string& component) const {
    for (const auto& d : devices) if (d.component == component) return &d;
    return nullptr;
  }

  void open();
  void probe(Device& d);
};

void NvmlSource::Impl::open() {
  library = dlopen(library_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    const char* err = dlerror();
    problem = library_path + " not found (no NVIDIA driver): dlopen error: " + (err ? err : "unknown");
    return;
  }
  init = reinterpret_cast<InitFn>(symbol("nvmlInit_v2"));
  shutdown = reinterpret_cast<ShutdownFn>(symbol("nvmlShutdown"));
  error_string = reinterpret_cast<ErrorStringFn>(symbol("nvmlErrorString"));
  get_count = reinterpret_cast<GetCountFn>(symbol("nvmlDeviceGetCount_v2"));
  get_handle = reinterpret_cast<GetHandleFn>(symbol("nvmlDeviceGetHandleByIndex_v2"));
  get_name = reinterpret_cast<GetStringFn>(symbol("nvmlDeviceGetName"));
  get_uuid = reinterpret_cast<GetStringFn>(symbol("nvmlDeviceGetUUID"));
  get_energy = reinterpret_cast<GetEnergyFn>(symbol("nvmlDeviceGetTotalEnergyConsumption"));
  get_power = reinterpret_cast<GetPowerFn>(symbol("nvmlDeviceGetPowerUsage"));

  const char* missing = !init ? "nvmlInit_v2" : !shutdown ? "nvmlShutdown"
                      : !get_count ? "nvmlDeviceGetCount_v2"
                      : !get_handle ? "nvmlDeviceGetHandleByIndex_v2" : nullptr;
  if (missing) {
    problem = library_path + " lacks " + missing + " (driver too old, or not NVML)";
    return;
  }

  nvmlReturn_t rc = init();
  if (rc != NVML_SUCCESS) {
    problem = "nvmlInit_v2 failed: " + error_text(rc);
    return;
  }
  initialised = true;

  unsigned int count = 0;
  rc = get_count(&count);
  if (rc != NVML_SUCCESS) {
    problem = "nvmlDeviceGetCount_v2 failed: " + error_text(rc);
    return;
  }

  // Handles and UUIDs of every NVML device, to resolve CUDA_VISIBLE_DEVICES.
  std::vector<nvmlDevice_t> handles(count, nullptr);
  std::vector<std::string> uuids(count);
  std::vector<std::string> handle_errors(count);
  for (unsigned i = 0; i < count; ++i) {
    rc = get_handle(i, &handles[i]);
    if (rc != NVML_SUCCESS) {
      handles[i] = nullptr;
      handle_errors[i] = "nvmlDeviceGetHandleByIndex_v2 failed: " + error_text(rc);
      continue;
    }
    char buffer[NVML_BUFFER_SIZE] = {};
    if (get_uuid && get_uuid(handles[i], buffer, NVML_BUFFER_SIZE) == NVML_SUCCESS) uuids[i] = buffer;
  }

  // Note: CUDA numbers devices fastest-first unless CUDA_DEVICE_ORDER=PCI_BUS_ID, while
  // NVML uses PCI bus order; the two agree on machines with identical GPUs.
  const char* env = std::getenv("CUDA_VISIBLE_DEVICES");
  std::optional<std::string> visible;
  if (env) visible = std::string(env);
  std::vector<unsigned> selected = cuda_visible_nvml_indices(visible, uuids);
  if (selected.empty()) {
    problem = count == 0 ? std::string("NVML found no GPU")
                         : "CUDA_VISIBLE_DEVICES=\"" + *visible + "\" selects none of the " +
                               std::to_string(count) + " NVML GPUs";
    return;
  }

  for (size_t ordinal = 0; ordinal < selected.size(); ++ordinal) {
    Device d;
    d.nvml_index = selected[ordinal];
    d.component = "gpu:" + std::to_string(ordinal);
    d.handle = handles[d.nvml_index];
    if (!d.handle) {
      d.detail = handle_errors[d.nvml_index];
    } else {
      probe(d);
    }
    devices.push_back(d);
  }
}

// Chooses how to read one device: the energy counter if supported, else power.
void NvmlSource::Impl::probe(Device& d) {
  char buffer[NVML_BUFFER_SIZE] = {};
  if (get_name && get_name(d.handle, buffer, NVML_BUFFER_SIZE) == NVML_SUCCESS) d.name = buffer;

  nvmlReturn_t energy_rc = -1;
  if (get_energy) {
    unsigned long long energy_mj = 0;
    energy_rc = get_energy(d.handle, &energy_mj);
  }
  nvmlReturn_t power_rc = -1;
  if (get_power) {
    unsigned int power_mw = 0;
    power_rc = get_power(d.handle, &power_mw);
  }
  d.power_ok = power_rc == NVML_SUCCESS;

  if (energy_rc == NVML_SUCCESS) {
    d.mode = Mode::counter;
    d.detail = "energy counter (nvmlDeviceGetTotalEnergyConsumption), 1 mJ resolution";
  } else if (d.power_ok) {
    d.mode = Mode::power;
    d.detail = "power polling (nvmlDeviceGetPowerUsage, ~1 s average on recent GPUs), integrated by the meter";
  } else {
    d.mode = Mode::broken;
    std::string energy_why = get_energy ? error_text(energy_rc) : "symbol missing";
    std::string power_why = get_power ? error_text(power_rc) : "symbol missing";
    d.detail = "neither energy nor power readable: nvmlDeviceGetTotalEnergyConsumption: " + energy_why +
               "; nvmlDeviceGetPowerUsage: " + power_why;
  }
}

NvmlSource::NvmlSource(const std::string& library_path) : impl_(std::make_unique<Impl>()) {
  impl_->library_path = library_path;
  impl_->open();
}

NvmlSource::~NvmlSource() {
  if (impl_->initialised) impl_->shutdown();
  if (impl_->library) dlclose(impl_->library);
}

std::vector<SensorInfo> NvmlSource::sensors() const {
  std::vector<SensorInfo> out;
  if (impl_->devices.empty()) {
    SensorInfo info;
    info.source = "nvml";
    info.working = false;
    info.detail = impl_->problem;
    out.push_back(info);
    return out;
  }
  for (const auto& d : impl_->devices) {
    SensorInfo info;
    info.component = d.component;
    info.source = "nvml";
    std::string name = d.name.empty() ? std::string("NVIDIA GPU") : d.name;
    info.description = name + " (nvml index " + std::to_string(d.nvml_index) + ")";
    info.working = d.mode != Mode::broken;
    info.detail = d.detail;
    out.push_back(info);
  }
  return out;
}

std::vector<Reading> NvmlSource::read() {
  std::vector<Reading> out;
  for (const auto& d : impl_->devices) {
    if (d.mode == Mode::broken) continue;
    Reading r;
    r.component = d.component;
    r.kind = ComponentKind::gpu;
    if (d.mode == Mode::counter) {
      unsigned long long energy_mj = 0;
      if (impl_->get_energy(d.handle, &energy_mj) == NVML_SUCCESS) {
        r.energy_j = static_cast<double>(energy_mj) / 1000.0;
      } else {
        r.ok = false;
      }
      // Power is extra information here; its failure does not spoil the counter.
      unsigned int power_mw = 0;
      if (r.ok && d.power_ok && impl_->get_power(d.handle, &power_mw) == NVML_SUCCESS) {
        r.power_w = power_mw / 1000.0;
      }
    } else {
      unsigned int power_mw = 0;
      if (impl_->get_power(d.handle, &power_mw) == NVML_SUCCESS) {
        r.power_w = power_mw / 1000.0;
      } else {
        r.ok = false;
      }
    }
    out.push_back(r);
  }
  return out;
}

double NvmlSource::counter_resolution_j(const std::string& component) const {
  const Device* d = impl_->find(component);
  return d && d->mode == Mode::counter ? 0.001 : 0.0;
}

std::string NvmlSource::note(const std::string& component) const {
  const Device* d = impl_->find(component);
  if (!d) return "";
  switch (d->mode) {
    case Mode::counter: return "NVML total-energy counter (mJ since driver load)";
    case Mode::power: return "NVML power samples (~1 s average on recent GPUs), integrated over time";
    case Mode::broken: return "not readable: " + d->detail;
  }
  return "";
}

}  // namespace powertrain
