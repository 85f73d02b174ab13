// `powertrain devices` (every sensor, working or not, and why) and `powertrain grids`.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "powertrain/interop/run_json.h"
#include "powertrain/energy/carbon.h"

namespace powertrain::cli {

namespace {

int run_devices(const SensorOptions& so, bool json) {
  DiscoverOptions d = discover_options(so);
  std::vector<SensorInfo> all;
  try {
    all = all_sensors(d);
  } catch (const std::exception& e) {
    std::cerr << "powertrain devices: " << e.what() << "\n";
    return 2;
  }
  // What `measure` would use: the discovery result.
  std::vector<std::string> warnings;
  std::vector<std::string> used;
  for (const auto& s : discover_sources(d, &warnings)) {
    for (const auto& info : s->sensors()) if (info.working) used.push_back(info.source + "/" + info.component);
  }
  auto is_used = [&](const SensorInfo& s) {
    return std::find(used.begin(), used.end(), s.source + "/" + s.component) != used.end();
  };
  if (json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& s : all) {
      auto j = sensor_json(s);
      j["used_by_measure"] = s.working && is_used(s);
      arr.push_back(j);
    }
    std::cout << nlohmann::json{{"schema", "powertrain.devices/1"}, {"sensors", arr}, {"warnings", warnings}}.dump(2) << "\n";
    return 0;
  }
  std::cout << fmt::format("{:<9} {:<15} {:<12} {}\n", "source", "component", "status", "details");
  for (const auto& s : all) {
    std::string status = !s.working ? "unavailable" : (is_used(s) ? "used" : "working");
    std::string what = s.description.empty() ? s.detail : s.description + ": " + s.detail;
    std::cout << fmt::format("{:<9} {:<15} {:<12} {}\n", s.source, s.component.empty() ? "-" : s.component, status, what);
  }
  for (const auto& w : warnings) std::cout << "\nnote: " << w << "\n";
  if (used.empty()) std::cout << "\nno sensor works: 'powertrain measure' would report energy as unknown\n";
  return 0;
}

int run_grids(bool json) {
  auto table = CarbonTable::builtin();
  if (json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& g : table.entries()) {
      arr.push_back({{"code", g.code}, {"name", g.name}, {"g_per_kwh", g.g_per_kwh}, {"source", g.source}, {"year", g.year}});
    }
    std::cout << arr.dump(2) << "\n";
    return 0;
  }
  std::cout << fmt::format("{:<6} {:<20} {:>9}  {}\n", "code", "name", "g/kWh", "source (year)");
  for (const auto& g : table.entries()) {
    std::cout << fmt::format("{:<6} {:<20} {:>9.0f}  {} ({})\n", g.code, g.name, g.g_per_kwh, g.source, g.year);
  }
  std::cout << "\nCO2e = energy x PUE x intensity. Everyday equivalents: " << Equivalents::sources() << "\n";
  return 0;
}

}  // namespace

void add_devices_command(CLI::App& app, int& exit_code) {
  auto so = std::make_shared<SensorOptions>();
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("devices", "List every energy sensor found, which works, which does not and why");
  add_sensor_options(cmd, *so);
  cmd->add_flag("--json", *json, "print JSON");
  cmd->callback([so, json, &exit_code] { exit_code = run_devices(*so, *json); });
}

void add_grids_command(CLI::App& app, int& exit_code) {
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("grids", "List the built-in grid carbon intensities (g CO2e/kWh) with their sources");
  cmd->add_flag("--json", *json, "print JSON");
  cmd->callback([json, &exit_code] { exit_code = run_grids(*json); });
}

}  // namespace powertrain::cli
