// powertrain/interop/codecarbon.h: a stored run as a CodeCarbon emissions.csv row.
//
// CodeCarbon (2.x) writes one row per tracked run to emissions.csv; many dashboards and
// papers read that file. codecarbon_csv() writes the same 32 columns in the same order and
// units (energies in kWh, powers in W, emissions in kg CO2eq, duration in s, RAM in GB),
// mapping powertrain's components: gpu:* -> gpu, cpu_package:* and cpu_estimate -> cpu,
// dram:* -> ram. A value powertrain does not know is an empty cell, never 0. The file has
// no provenance column: codecarbon_row() returns the caveats (estimated energies) so the
// caller can print them. See docs/interop.md for the mapping.
//
// Example:
//   auto run = powertrain::run_export_load(store, 7);
//   std::string csv = powertrain::codecarbon_csv(*run, powertrain::CodeCarbonOptions());
#pragma once

#include <string>
#include <vector>

#include "powertrain/interop/run_json.h"

namespace powertrain {

// What CodeCarbon asks its user for and powertrain does not record.
struct CodeCarbonOptions {
  std::string project_name_ = "powertrain";   // CodeCarbon's project_name (its default: "codecarbon")
  std::string experiment_id_;                 // CodeCarbon's experiment_id ("" = empty cell)
  CodeCarbonOptions& project_name(std::string v) { project_name_ = std::move(v); return *this; }
  CodeCarbonOptions& experiment_id(std::string v) { experiment_id_ = std::move(v); return *this; }
};

// One emissions.csv row: a cell per column of codecarbon_columns(), and the caveats the
// CSV cannot carry (e.g. "cpu_energy is estimated: ...").
struct CodeCarbonRow {
  std::vector<std::string> cells;
  std::vector<std::string> caveats;
  // Returns the cell of `column`, or "" for a name that is not a column.
  std::string cell(const std::string& column) const;
};

// Returns CodeCarbon's emissions.csv column names, in file order.
const std::vector<std::string>& codecarbon_columns();

// Returns the row for `run`.
CodeCarbonRow codecarbon_row(const RunExport& run, const CodeCarbonOptions& opt);

// Returns emissions.csv text: the header line and the run's row (RFC 4180 quoting, \n).
std::string codecarbon_csv(const RunExport& run, const CodeCarbonOptions& opt);

// Returns `field` quoted for CSV when it holds a comma, a quote or a line break.
std::string csv_field(const std::string& field);

}  // namespace powertrain
