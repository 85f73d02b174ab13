// powertrain/interop/run_json.h: a stored run as one JSON document ("powertrain.run/1").
//
// RunExport (the store's StoredRun) is everything the exports need about one stored run:
// the run row, the host it ran on, its sensors, its windows (with per-component energies
// and provenance), its epochs and samples. run_json() turns it into JSON for other tools; codecarbon.h and the
// Prometheus snapshot read the same struct.
//
// Example:
//   auto store = powertrain::Store::open("powertrain.db");
//   if (auto run = powertrain::run_export_load(store, 7)) {
//     std::cout << powertrain::run_json(*run).dump(2) << "\n";
//   }
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "powertrain/energy/carbon.h"
#include "powertrain/energy/meter.h"
#include "powertrain/energy/source.h"
#include "powertrain/store/store.h"
#include "powertrain/measure/command.h"

namespace powertrain {

// One stored run with everything recorded about it (Store::load_run).
using RunExport = StoredRun;

// Returns run `run_id` of `store` (Store::load_run), or nullopt when the store has no such
// run. Throws StoreError when the store cannot be read.
std::optional<RunExport> run_export_load(const Store& store, int64_t run_id);

// One component summed over the top-level windows of a run (the "run" window of
// `measure` and `train`): what a per-run export reports for that component.
struct RunComponentTotal {
  std::string component;               // "gpu:0", "cpu_package:0", "dram:0", "cpu_estimate"
  ComponentKind kind = ComponentKind::other;
  double energy_j = NAN;               // NaN when missing
  double duration_s = NAN;             // summed duration of the windows it appears in
  Provenance provenance = Provenance::missing;  // the weakest over the windows
  std::string note;                    // assumptions of an estimate (first non-empty note)
};

// Returns the run's components summed over its top-level windows (parent_id -1), in the
// order first seen. Empty when the run has no windows (still running, or crashed).
std::vector<RunComponentTotal> run_component_totals(const RunExport& run);

// Returns the run as JSON, schema "powertrain.run/1": the run row, host, devices, windows
// (components with provenance and notes) and epochs. Unknown numbers are null, never 0.
nlohmann::json run_json(const RunExport& run);

// Returns a measurement (one window) as JSON: name, start, duration, energy, uncertainty,
// average power, provenance and its components (component_json).
nlohmann::json measurement_json(const Measurement& m);
// Returns a sensor as JSON: component, source, description, working, detail.
nlohmann::json sensor_json(const SensorInfo& s);
// Returns a carbon estimate and the grid it used as JSON (intensity with source and year,
// PUE, facility energy, CO2e and its everyday equivalents).
nlohmann::json carbon_json(const CarbonEstimate& c, const GridIntensity& grid);
// Returns the sensor survey as `powertrain devices --json` prints it ("powertrain.devices/1":
// each sensor with used_by_measure, and discovery's warnings).
nlohmann::json devices_json(const std::vector<SensorInfo>& sensors, const std::vector<std::string>& warnings);
// Returns the grid table as `powertrain grids --json` prints it.
nlohmann::json grids_json(const CarbonTable& table);
// Returns a measured command as `powertrain measure --json` writes it ("powertrain.measure/1"):
// the command, how it ended, the measurement, carbon, idle baseline, sensors and warnings;
// `db` is the store it went to ("" = not stored).
nlohmann::json command_result_json(const CommandOptions& options, const CommandResult& result, const std::string& db);

// One component of a measurement as JSON (energy, uncertainty, powers, static/dynamic
// split, samples, provenance, note); the CLI's JSON outputs use the same shape.
nlohmann::json component_json(const ComponentMeasurement& c);

// Returns one epoch as the run JSON writes it (unknown numbers null, `metrics` parsed);
// also what the dashboard's API and live events send.
nlohmann::json epoch_json(const EpochRecord& e);

}  // namespace powertrain
