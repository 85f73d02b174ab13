// Terminal tables, JSON and CSV for measurements. Every value carries its provenance.
#include "cli/output.h"

#include "powertrain/interop/run_json.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace powertrain::cli {

nlohmann::json num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

std::string fmt_energy(double j) {
  if (!std::isfinite(j)) return "unknown";
  double a = std::fabs(j);
  if (a >= 3.6e6) return fmt::format("{:.3f} kWh", j / 3.6e6);
  if (a >= 1e4) return fmt::format("{:.2f} kJ", j / 1e3);
  if (a >= 10) return fmt::format("{:.1f} J", j);
  return fmt::format("{:.3f} J", j);
}

std::string fmt_power(double w) {
  if (!std::isfinite(w)) return "-";
  return fmt::format("{:.1f} W", w);
}

std::string fmt_mass_g(double g) {
  if (!std::isfinite(g)) return "unknown";
  if (std::fabs(g) >= 1000) return fmt::format("{:.3g} kg", g / 1000);
  if (std::fabs(g) >= 1) return fmt::format("{:.3g} g", g);
  return fmt::format("{:.3g} mg", g * 1000);
}

std::string fmt_distance_km(double km) {
  if (!std::isfinite(km)) return "unknown";
  if (std::fabs(km) >= 1) return fmt::format("{:.3g} km", km);
  if (std::fabs(km) >= 1e-3) return fmt::format("{:.3g} m", km * 1000);
  return fmt::format("{:.3g} mm", km * 1e6);
}

std::string fmt_duration(double s) {
  if (!std::isfinite(s)) return "unknown";
  if (s < 60) return fmt::format("{:.2f} s", s);
  int m = static_cast<int>(s / 60);
  if (m < 60) return fmt::format("{} m {:04.1f} s", m, s - 60.0 * m);
  return fmt::format("{} h {:02d} m {:02.0f} s", m / 60, m % 60, s - 60.0 * m);
}

nlohmann::json to_json(const ComponentMeasurement& c) { return component_json(c); }

nlohmann::json to_json(const Measurement& m) {
  nlohmann::json comps = nlohmann::json::array();
  for (const auto& c : m.components) comps.push_back(to_json(c));
  return {{"name", m.name},
          {"start_unix_s", num(m.start_unix_s)},
          {"duration_s", num(m.duration_s)},
          {"energy_j", num(m.total_energy_j())},
          {"uncertainty_j", num(m.total_uncertainty_j())},
          {"avg_power_w", num(m.avg_power_w())},
          {"provenance", provenance_name(m.total_provenance())},
          {"components", comps}};
}

nlohmann::json to_json(const SensorInfo& s) {
  return {{"component", s.component}, {"source", s.source}, {"description", s.description},
          {"working", s.working}, {"detail", s.detail}};
}

nlohmann::json to_json(const CarbonEstimate& c, const GridIntensity& grid) {
  return {{"grid", grid.code},
          {"grid_name", grid.name},
          {"g_per_kwh", grid.g_per_kwh},
          {"grid_source", grid.source},
          {"grid_year", grid.year},
          {"pue", c.pue},
          {"facility_energy_kwh", num(c.facility_energy_kwh)},
          {"co2e_g", num(c.co2e_g)},
          {"car_km", num(c.car_km)},
          {"smartphone_charges", num(c.smartphone_charges)},
          {"equivalent_sources", Equivalents::sources()}};
}

std::string summary_table(const Measurement& m) {
  std::string out;
  out += fmt::format("  {:<16} {:>12} {:>10} {:>10}  {}\n", "component", "energy", "avg power", "peak power", "provenance");
  for (const auto& c : m.components) {
    std::string prov = provenance_name(c.provenance);
    if (std::isfinite(c.uncertainty_j)) prov += " (+-" + fmt_energy(c.uncertainty_j) + ")";
    out += fmt::format("  {:<16} {:>12} {:>10} {:>10}  {}\n", c.component, fmt_energy(c.energy_j),
                       fmt_power(c.avg_power_w), fmt_power(c.peak_power_w), prov);
    if (std::isfinite(c.idle_power_w)) {
      out += fmt::format("  {:<16} {:>12} static (idle {}), {} dynamic\n", "", fmt_energy(c.static_energy_j),
                         fmt_power(c.idle_power_w), fmt_energy(c.dynamic_energy_j));
    }
  }
  std::string total_prov = provenance_name(m.total_provenance());
  if (m.components.size() > 1) total_prov += " (weakest of the components)";
  out += fmt::format("  {:<16} {:>12} {:>10} {:>10}  {}\n", "total", fmt_energy(m.total_energy_j()),
                     fmt_power(m.avg_power_w()), "", total_prov);
  return out;
}

static std::string csv_num(double v) { return std::isfinite(v) ? fmt::format("{:.6g}", v) : ""; }

static std::string csv_text(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char ch : s) { if (ch == '"') q += '"'; q += ch; }
  return q + "\"";
}

std::string measurement_csv(const Measurement& m, long long run_id, int exit_code) {
  std::string run = run_id > 0 ? std::to_string(run_id) : "";
  std::string out = "run_id,window,component,kind,source,duration_s,energy_j,uncertainty_j,avg_power_w,peak_power_w,provenance,exit_code\n";
  for (const auto& c : m.components) {
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{}\n", run, csv_text(m.name), csv_text(c.component),
                       component_kind_name(c.kind), c.source, csv_num(m.duration_s), csv_num(c.energy_j),
                       csv_num(c.uncertainty_j), csv_num(c.avg_power_w), csv_num(c.peak_power_w),
                       provenance_name(c.provenance), exit_code);
  }
  out += fmt::format("{},{},total,total,,{},{},{},{},,{},{}\n", run, csv_text(m.name), csv_num(m.duration_s),
                     csv_num(m.total_energy_j()), csv_num(m.total_uncertainty_j()), csv_num(m.avg_power_w()),
                     provenance_name(m.total_provenance()), exit_code);
  return out;
}

std::string check_output_path(const std::string& path) {
  if (path.empty() || path == "-") return "";
  std::filesystem::path p(path);
  std::filesystem::path dir = p.has_parent_path() ? p.parent_path() : std::filesystem::path(".");
  std::error_code ec;
  if (std::filesystem::is_directory(p, ec)) return path + " is a directory: name a file";
  if (!std::filesystem::is_directory(dir, ec)) return "directory " + dir.string() + " does not exist: create it first";
  if (::access(dir.c_str(), W_OK) != 0) return "directory " + dir.string() + " is not writable";
  return "";
}

bool check_number(const char* who, const char* flag, double value, double lo, double hi, int& exit_code) {
  if (std::isfinite(value) && value >= lo && value <= hi) return true;
  std::cerr << who << ": " << flag << " " << fmt::format("{}", value) << ": must be a finite number from "
            << fmt::format("{} to {}", lo, hi) << "\n";
  exit_code = 2;
  return false;
}

bool check_output_option(const char* who, const char* flag, const std::string& path, int& exit_code) {
  if (std::string why = check_output_path(path); !why.empty()) {
    std::cerr << who << ": " << flag << " " << path << ": " << why << "\n";
    exit_code = 2;
    return false;
  }
  return true;
}

bool write_output(const std::string& path, const std::string& text, std::string& error) {
  if (path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return true;
  }
  std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    if (!f) { error = "cannot write " + tmp; std::remove(tmp.c_str()); return false; }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    error = "cannot rename " + tmp + " to " + path;
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

std::string store_path(const std::string& flag) {
  if (!flag.empty()) return flag;
  const char* env = std::getenv("POWERTRAIN_DB");
  return env && *env ? env : "powertrain.db";
}

bool open_store(const std::string& who, const std::string& db, bool no_store, std::optional<Store>& store) {
  if (no_store) return true;
  try {
    store.emplace(Store::open(db));
  } catch (const StoreError& e) {
    std::cerr << who << ": " << e.what() << "\n";
    return false;
  }
  return true;
}

namespace {
std::atomic<bool> g_stop{false};
std::atomic<int> g_stop_signal{0};
struct sigaction g_previous_sigint {}, g_previous_sigterm {};

void on_stop_signal(int sig) {
  if (g_stop.load()) {  // a second one: stop now
    signal(sig, SIG_DFL);
    raise(sig);
  }
  g_stop_signal.store(sig);
  g_stop.store(true);
}
}  // namespace

StopOnSignal::StopOnSignal() {
  g_stop.store(false);
  g_stop_signal.store(0);
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &g_previous_sigint);
  sigaction(SIGTERM, &sa, &g_previous_sigterm);
}

StopOnSignal::~StopOnSignal() {
  sigaction(SIGINT, &g_previous_sigint, nullptr);
  sigaction(SIGTERM, &g_previous_sigterm, nullptr);
}

int StopOnSignal::exit_code() {
  const int sig = g_stop_signal.load();
  return 128 + (sig > 0 ? sig : SIGINT);
}

const std::atomic<bool>* StopOnSignal::stop_requested() const { return &g_stop; }

}  // namespace powertrain::cli
