// A stored run as CodeCarbon's emissions.csv (one header line, one row).
#include "powertrain/interop/codecarbon.h"

#include <fmt/format.h>

#include <cmath>
#include <ctime>
#include <map>

#include "powertrain/energy/carbon.h"

namespace powertrain {

namespace {

// The columns of CodeCarbon 2.x's emissions.csv, in file order (experiment_id since 2.5).
const std::vector<std::string> kColumns = {
    "timestamp",      "project_name",     "run_id",        "experiment_id", "duration",       "emissions",
    "emissions_rate", "cpu_power",        "gpu_power",     "ram_power",     "cpu_energy",     "gpu_energy",
    "ram_energy",     "energy_consumed",  "country_name",  "country_iso_code", "region",      "cloud_provider",
    "cloud_region",   "os",               "python_version", "codecarbon_version", "cpu_count", "cpu_model",
    "gpu_count",      "gpu_model",        "longitude",     "latitude",      "ram_total_size", "tracking_mode",
    "on_cloud",       "pue"};

constexpr double kJoulesPerKwh = 3.6e6;

// ISO 3166-1 alpha-2 -> alpha-3 for the countries of data/carbon_intensity.csv; CodeCarbon
// writes alpha-3 codes. A code not listed here gives empty country cells.
const std::map<std::string, std::string>& alpha3() {
  static const std::map<std::string, std::string> m = {
      {"AR", "ARG"}, {"AT", "AUT"}, {"AU", "AUS"}, {"BE", "BEL"}, {"BR", "BRA"}, {"CA", "CAN"}, {"CH", "CHE"},
      {"CN", "CHN"}, {"CZ", "CZE"}, {"DE", "DEU"}, {"DK", "DNK"}, {"ES", "ESP"}, {"FI", "FIN"}, {"FR", "FRA"},
      {"GB", "GBR"}, {"IE", "IRL"}, {"IN", "IND"}, {"IS", "ISL"}, {"IT", "ITA"}, {"JP", "JPN"}, {"KR", "KOR"},
      {"MX", "MEX"}, {"NL", "NLD"}, {"NO", "NOR"}, {"NZ", "NZL"}, {"PL", "POL"}, {"PT", "PRT"}, {"SE", "SWE"},
      {"SG", "SGP"}, {"TW", "TWN"}, {"US", "USA"}, {"ZA", "ZAF"}};
  return m;
}

// Shortest text that reads back as the same double; "" for NaN or infinity (unknown).
std::string number(double v) { return std::isfinite(v) ? fmt::format("{}", v) : std::string(); }

std::string utc_timestamp(double unix_s) {
  if (!std::isfinite(unix_s)) return "";
  std::time_t t = static_cast<std::time_t>(std::floor(unix_s));
  std::tm tm{};
  if (!gmtime_r(&t, &tm)) return "";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return buf;
}

// One of CodeCarbon's three hardware groups, summed from powertrain's components.
struct Group {
  double energy_j = NAN;
  double duration_s = NAN;
  Provenance provenance = Provenance::missing;
  bool present = false;
  std::string note;
};

const char* group_of(ComponentKind k) {
  switch (k) {
    case ComponentKind::gpu: return "gpu";
    case ComponentKind::cpu_package:
    case ComponentKind::cpu_estimate: return "cpu";
    case ComponentKind::dram: return "ram";
    case ComponentKind::other: return nullptr;
  }
  return nullptr;
}

// "NVIDIA H100 80GB HBM3 (counter)" -> "NVIDIA H100 80GB HBM3".
std::string gpu_model_name(const std::string& description) {
  std::string d = description;
  if (!d.empty() && d.back() == ')') {
    size_t open = d.rfind(" (");
    if (open != std::string::npos) d.erase(open);
  }
  return d;
}

}  // namespace

const std::vector<std::string>& codecarbon_columns() { return kColumns; }

std::string CodeCarbonRow::cell(const std::string& column) const {
  for (size_t i = 0; i < kColumns.size() && i < cells.size(); ++i) {
    if (kColumns[i] == column) return cells[i];
  }
  return "";
}

std::string csv_field(const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

CodeCarbonRow codecarbon_row(const RunExport& r, const CodeCarbonOptions& opt) {
  const RunRecord& run = r.run;
  std::map<std::string, Group> groups;
  int gpu_count = 0;
  double other_j = 0;
  bool other_present = false;
  for (const auto& t : run_component_totals(r)) {
    if (t.kind == ComponentKind::gpu) ++gpu_count;
    const char* g = group_of(t.kind);
    if (!g) {
      if (std::isfinite(t.energy_j)) { other_j += t.energy_j; other_present = true; }
      continue;
    }
    Group& grp = groups[g];
    if (!grp.present) grp.provenance = t.provenance;
    grp.present = true;
    if (std::isfinite(t.energy_j)) grp.energy_j = std::isfinite(grp.energy_j) ? grp.energy_j + t.energy_j : t.energy_j;
    // Components of one group were measured over the same windows: the duration is shared.
    if (std::isfinite(t.duration_s)) grp.duration_s = t.duration_s;
    grp.provenance = provenance_weakest(grp.provenance, t.provenance);
    if (grp.note.empty()) grp.note = t.note;
  }

  std::map<std::string, std::string> cell;
  CodeCarbonRow row;
  double end_unix_s = run.started_at_unix_s + (std::isfinite(run.duration_s) ? run.duration_s : 0.0);
  cell["timestamp"] = utc_timestamp(end_unix_s);
  cell["project_name"] = opt.project_name_;
  cell["run_id"] = std::to_string(run.id);
  cell["experiment_id"] = opt.experiment_id_;
  cell["duration"] = number(run.duration_s);
  double emissions_kg = run.co2e_g / 1000.0;
  cell["emissions"] = number(emissions_kg);
  cell["emissions_rate"] = run.duration_s > 0 ? number(emissions_kg / run.duration_s) : "";
  for (const char* g : {"cpu", "gpu", "ram"}) {
    auto it = groups.find(g);
    if (it == groups.end() || !std::isfinite(it->second.energy_j)) continue;
    const Group& grp = it->second;
    cell[std::string(g) + "_energy"] = number(grp.energy_j / kJoulesPerKwh);
    if (grp.duration_s > 0) cell[std::string(g) + "_power"] = number(grp.energy_j / grp.duration_s);
    if (grp.provenance == Provenance::estimated) {
      row.caveats.push_back(fmt::format("{0}_energy and {0}_power are estimated, not measured{1}", g,
                                        grp.note.empty() ? "" : " (" + grp.note + ")"));
    }
  }
  double total_j = run.energy_j;
  if (!std::isfinite(total_j)) {
    for (const auto& [g, grp] : groups) {
      if (std::isfinite(grp.energy_j)) total_j = std::isfinite(total_j) ? total_j + grp.energy_j : grp.energy_j;
    }
    if (other_present) total_j = std::isfinite(total_j) ? total_j + other_j : other_j;
  }
  cell["energy_consumed"] = number(total_j / kJoulesPerKwh);
  if (other_present) {
    row.caveats.push_back("energy_consumed includes components that are neither CPU, GPU nor RAM; "
                          "it is more than cpu_energy + gpu_energy + ram_energy");
  }
  if (run.energy_provenance == Provenance::estimated) {
    row.caveats.push_back("energy_consumed and emissions rest on an estimate (energy_provenance estimated)");
  }
  if (run.status == RunStatus::running) {
    row.caveats.push_back("run " + std::to_string(run.id) + " is still running, or its process died: its energy is unknown");
  }

  auto alpha = alpha3().find(run.grid);
  if (alpha != alpha3().end()) {
    CarbonTable table = CarbonTable::builtin();
    if (const GridIntensity* g = table.find(run.grid)) cell["country_name"] = g->name;
    cell["country_iso_code"] = alpha->second;
  }
  if (r.host) {
    cell["os"] = r.host->os;
    if (r.host->cpu_cores > 0) cell["cpu_count"] = std::to_string(r.host->cpu_cores);
    cell["cpu_model"] = r.host->cpu_model;
    cell["ram_total_size"] = number(r.host->memory_gib);
  }
  if (gpu_count > 0) {
    cell["gpu_count"] = std::to_string(gpu_count);
    // "2 x NVIDIA A100", as CodeCarbon writes it; mixed models joined by ", ".
    std::vector<std::pair<std::string, int>> models;
    for (const auto& d : r.devices) {
      if (d.component.rfind("gpu", 0) != 0 || !d.working) continue;
      std::string name = gpu_model_name(d.description);
      bool found = false;
      for (auto& [m, n] : models) {
        if (m == name) { ++n; found = true; }
      }
      if (!found) models.emplace_back(name, 1);
    }
    std::string text;
    for (const auto& [m, n] : models) text += (text.empty() ? "" : ", ") + fmt::format("{} x {}", n, m);
    cell["gpu_model"] = text;
  }
  cell["tracking_mode"] = "machine";  // RAPL packages and whole GPUs: the machine, not the process
  cell["pue"] = number(run.pue);

  for (const auto& c : kColumns) row.cells.push_back(cell.count(c) ? cell[c] : "");
  return row;
}

std::string codecarbon_csv(const RunExport& run, const CodeCarbonOptions& opt) {
  std::string out;
  for (size_t i = 0; i < kColumns.size(); ++i) out += (i ? "," : "") + kColumns[i];
  out += "\n";
  CodeCarbonRow row = codecarbon_row(run, opt);
  for (size_t i = 0; i < row.cells.size(); ++i) out += (i ? "," : "") + csv_field(row.cells[i]);
  return out + "\n";
}

}  // namespace powertrain
