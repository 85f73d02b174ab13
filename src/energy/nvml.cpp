// nvml.cpp: NVIDIA GPU energy through NVML, loaded with dlopen at run time (see nvml.h).
//
// NVML is opened through energy/nvml_library.h (no NVML header or library at build time).
// Per device, the total-energy counter (Volta and newer, mJ since driver load) is preferred;
// otherwise power (mW) is polled and the Meter integrates it. Nothing here throws: every failure becomes a SensorInfo
// with working=false and the reason.
#include "powertrain/energy/nvml.h"

#include "energy/nvml_library.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

namespace powertrain {

namespace {

// How one device is read.
enum class Mode { counter, power, broken };

struct Device {
  unsigned nvml_index = 0;
  std::string component;        // "gpu:N", N the CUDA-visible ordinal
  nvml::Device handle = nullptr;
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
  std::unique_ptr<nvml::Library> nvml;
  nvml::GetStringFn get_name = nullptr;
  nvml::GetEnergyFn get_energy = nullptr;
  nvml::GetUintFn get_power = nullptr;
  std::vector<Device> devices;  // the CUDA-visible ones, in CUDA order

  const Device* find(const std::string& component) const {
    for (const auto& d : devices) if (d.component == component) return &d;
    return nullptr;
  }

  void open(const std::string& library_path);
  void probe(Device& d);
};

void NvmlSource::Impl::open(const std::string& library_path) {
  nvml = std::make_unique<nvml::Library>(library_path);
  get_name = nvml->function<nvml::GetStringFn>("nvmlDeviceGetName");
  get_energy = nvml->function<nvml::GetEnergyFn>("nvmlDeviceGetTotalEnergyConsumption");
  get_power = nvml->function<nvml::GetUintFn>("nvmlDeviceGetPowerUsage");
  const auto& visible = nvml->visible();
  for (size_t ordinal = 0; ordinal < visible.size(); ++ordinal) {
    Device d;
    d.nvml_index = visible[ordinal].nvml_index;
    d.component = "gpu:" + std::to_string(ordinal);
    d.handle = visible[ordinal].handle;
    if (!d.handle) {
      d.detail = visible[ordinal].error;
    } else {
      probe(d);
    }
    devices.push_back(d);
  }
}

// Chooses how to read one device: the energy counter if supported, else power.
void NvmlSource::Impl::probe(Device& d) {
  char buffer[nvml::kBufferSize] = {};
  if (get_name && get_name(d.handle, buffer, nvml::kBufferSize) == nvml::kSuccess) d.name = buffer;

  nvml::Return energy_rc = -1;
  if (get_energy) {
    unsigned long long energy_mj = 0;
    energy_rc = get_energy(d.handle, &energy_mj);
  }
  nvml::Return power_rc = -1;
  if (get_power) {
    unsigned int power_mw = 0;
    power_rc = get_power(d.handle, &power_mw);
  }
  d.power_ok = power_rc == nvml::kSuccess;

  if (energy_rc == nvml::kSuccess) {
    d.mode = Mode::counter;
    d.detail = "energy counter (nvmlDeviceGetTotalEnergyConsumption), 1 mJ resolution";
  } else if (d.power_ok) {
    d.mode = Mode::power;
    d.detail = "power polling (nvmlDeviceGetPowerUsage, ~1 s average on recent GPUs), integrated by the meter";
  } else {
    d.mode = Mode::broken;
    std::string energy_why = get_energy ? nvml->error_text(energy_rc) : "symbol missing";
    std::string power_why = get_power ? nvml->error_text(power_rc) : "symbol missing";
    d.detail = "neither energy nor power readable: nvmlDeviceGetTotalEnergyConsumption: " + energy_why +
               "; nvmlDeviceGetPowerUsage: " + power_why;
  }
}

NvmlSource::NvmlSource(const std::string& library_path) : impl_(std::make_unique<Impl>()) {
  impl_->open(library_path);
}

NvmlSource::~NvmlSource() = default;

std::vector<SensorInfo> NvmlSource::sensors() const {
  std::vector<SensorInfo> out;
  if (impl_->devices.empty()) {
    SensorInfo info;
    info.source = "nvml";
    info.working = false;
    info.detail = impl_->nvml->problem();
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
      if (impl_->get_energy(d.handle, &energy_mj) == nvml::kSuccess) {
        r.energy_j = static_cast<double>(energy_mj) / 1000.0;
      } else {
        r.ok = false;
      }
      // Power is extra information here; its failure does not spoil the counter.
      unsigned int power_mw = 0;
      if (r.ok && d.power_ok && impl_->get_power(d.handle, &power_mw) == nvml::kSuccess) {
        r.power_w = power_mw / 1000.0;
      }
    } else {
      unsigned int power_mw = 0;
      if (impl_->get_power(d.handle, &power_mw) == nvml::kSuccess) {
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
