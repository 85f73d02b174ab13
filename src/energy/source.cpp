// Names of provenances and component kinds, and discovery of the sources on this machine.
#include "powertrain/energy/source.h"

#include <algorithm>

#include <cstdlib>

#include "powertrain/energy/estimate.h"
#include "powertrain/energy/nvml.h"
#include "powertrain/energy/rapl.h"
#include "powertrain/energy/replay.h"

namespace powertrain {

const char* provenance_name(Provenance p) {
  switch (p) {
    case Provenance::measured_counter: return "measured_counter";
    case Provenance::integrated_power: return "integrated_power";
    case Provenance::estimated: return "estimated";
    case Provenance::simulated: return "simulated";
    case Provenance::missing: return "missing";
  }
  return "missing";
}

Provenance provenance_from_name(const std::string& name) {
  for (Provenance p : {Provenance::measured_counter, Provenance::integrated_power, Provenance::estimated,
                       Provenance::simulated}) {
    if (name == provenance_name(p)) return p;
  }
  return Provenance::missing;
}

static int provenance_rank(Provenance p) {
  switch (p) {
    case Provenance::missing: return 0;
    case Provenance::simulated: return 1;
    case Provenance::estimated: return 2;
    case Provenance::integrated_power: return 3;
    case Provenance::measured_counter: return 4;
  }
  return 0;
}

Provenance provenance_weakest(Provenance a, Provenance b) {
  return provenance_rank(a) <= provenance_rank(b) ? a : b;
}

Provenance provenance_weakest(const std::vector<Provenance>& all) {
  if (all.empty()) return Provenance::missing;
  Provenance weakest = all.front();
  for (Provenance p : all) weakest = provenance_weakest(weakest, p);
  return weakest;
}

std::string provenance_weakest_name(const std::vector<std::string>& names) {
  std::vector<Provenance> all;
  for (const auto& n : names) all.push_back(provenance_from_name(n));
  return provenance_name(provenance_weakest(all));
}

const char* component_kind_name(ComponentKind k) {
  switch (k) {
    case ComponentKind::gpu: return "gpu";
    case ComponentKind::cpu_package: return "cpu_package";
    case ComponentKind::dram: return "dram";
    case ComponentKind::cpu_estimate: return "cpu_estimate";
    case ComponentKind::other: return "other";
  }
  return "other";
}

DiscoverOptions discover_options_from_env(DiscoverOptions opt) {
  if (const char* v = std::getenv("POWERTRAIN_NVML_LIBRARY"); v && *v) opt.nvml_library = v;
  if (const char* v = std::getenv("POWERTRAIN_POWERCAP_ROOT"); v && *v) opt.powercap_root = v;
  if (const char* v = std::getenv("POWERTRAIN_PROC_ROOT"); v && *v) opt.proc_root = v;
  if (const char* v = std::getenv("POWERTRAIN_CPU_TDP_W"); v && *v) opt.cpu_tdp_w = std::strtod(v, nullptr);
  return opt;
}

std::vector<std::unique_ptr<EnergySource>> discover_sources(const DiscoverOptions& opt,
                                                            std::vector<std::string>* warnings) {
  std::vector<std::unique_ptr<EnergySource>> out;
  auto warn = [&](const std::string& w) { if (warnings) warnings->push_back(w); };

  if (!opt.replay_file.empty()) {
    out.push_back(std::make_unique<ReplaySource>(opt.replay_file));
    return out;
  }
  if (opt.use_nvml) {
    auto nvml = std::make_unique<NvmlSource>(opt.nvml_library);
    if (nvml->available()) out.push_back(std::move(nvml));
  }
  bool have_cpu = false;
  if (opt.use_rapl) {
    auto rapl = std::make_unique<RaplSource>(opt.powercap_root);
    if (rapl->available()) {
      out.push_back(std::move(rapl));
      have_cpu = true;
    } else if (rapl->permission_denied()) {
      warn(rapl->permission_help() + " Falling back to a CPU estimate.");
    }
  }
  if (!have_cpu) {
    CpuEstimateOptions eo;
    eo.proc_root = opt.proc_root;
    eo.tdp_w = opt.cpu_tdp_w;
    auto est = std::make_unique<CpuEstimateSource>(eo);
    if (est->available()) out.push_back(std::move(est));
    else warn("no CPU energy source: neither RAPL nor " + opt.proc_root + "/stat can be read");
  }
  return out;
}

std::vector<SensorInfo> all_sensors(const DiscoverOptions& d) {
  std::vector<SensorInfo> all;
  auto add = [&all](const std::vector<SensorInfo>& v) { all.insert(all.end(), v.begin(), v.end()); };
  if (!d.replay_file.empty()) {
    add(ReplaySource(d.replay_file).sensors());
    return all;
  }
  if (d.use_nvml) add(NvmlSource(d.nvml_library).sensors());
  add(RaplSource(d.powercap_root).sensors());
  CpuEstimateOptions eo;
  eo.proc_root = d.proc_root;
  eo.tdp_w = d.cpu_tdp_w;
  add(CpuEstimateSource(eo).sensors());
  return all;
}

std::vector<SensorInfo> survey_sensors(const DiscoverOptions& d, std::vector<std::string>* warnings) {
  std::vector<SensorInfo> all = all_sensors(d);
  for (const auto& source : discover_sources(d, warnings)) {
    for (const auto& info : source->sensors()) {
      if (!info.working) continue;
      for (auto& s : all) {
        if (s.working && s.source == info.source && s.component == info.component) s.used = true;
      }
    }
  }
  return all;
}

}  // namespace powertrain
