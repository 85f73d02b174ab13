// `powertrain devices` (every sensor, working or not, and why) and `powertrain grids`.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "powertrain/interop/run_json.h"
#include "powertrain/energy/carbon.h"
#include "powertrain/report/measurement.h"

namespace powertrain::cli {

namespace {

int run_devices(const SensorOptions& so, bool json) {
  std::vector<std::string> warnings;
  std::vector<SensorInfo> sensors;
  try {
    sensors = survey_sensors(discover_options(so), &warnings);
  } catch (const std::exception& e) {
    std::cerr << "powertrain devices: " << e.what() << "\n";
    return 2;
  }
  std::cout << (json ? devices_json(sensors, warnings).dump(2) + "\n" : report::sensor_table(sensors, warnings));
  return 0;
}

int run_grids(bool json) {
  const CarbonTable table = CarbonTable::builtin();
  std::cout << (json ? grids_json(table).dump(2) + "\n" : report::grid_table(table));
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
