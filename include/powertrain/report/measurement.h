// powertrain/report/measurement.h: one measurement (a window of the meter) as a terminal
// table and as CSV, as `powertrain measure` prints and writes it. Every value with its unit
// and provenance; unknown values read "n/a" in the table and are empty in the CSV.
//
// Example:
//   std::cerr << powertrain::report::measurement_table(meter.end(window));
//   std::string csv = powertrain::report::measurement_csv(m, /*run_id=*/7, /*exit_code=*/0);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "powertrain/energy/carbon.h"
#include "powertrain/energy/meter.h"
#include "powertrain/energy/source.h"
#include "powertrain/measure/command.h"

namespace powertrain {
namespace report {

// Returns the table: one line per component (energy, average and peak power, provenance
// with its uncertainty), the static/dynamic split under components with an idle baseline,
// and a total line with the weakest provenance.
std::string measurement_table(const Measurement& m);

// Returns the CSV: a header, a row per component and a "total" row. run_id <= 0 is written
// empty.
std::string measurement_csv(const Measurement& m, int64_t run_id, int exit_code);

// Returns the sensors as `powertrain devices` prints them (source, component, used /
// working / unavailable, why), then the warnings, and a note when no sensor works.
std::string sensor_table(const std::vector<SensorInfo>& sensors, const std::vector<std::string>& warnings);
// Returns the grid carbon intensities as `powertrain grids` prints them, with sources.
std::string grid_table(const CarbonTable& table);

// Returns what `powertrain measure` prints when the command ends: how it ended, the
// measurement table, the carbon (with grid and PUE), notes on estimated or missing
// components, and where the run is stored (`db`, when stored).
std::string command_summary_text(const CommandOptions& options, const CommandResult& result, const std::string& db);

}  // namespace report
}  // namespace powertrain
