// powertrain/report/reports.h: the reports of stored runs and studies, built from the store
// and the studies' result JSON (docs/studies.md) with the report library (charts, tables,
// documents). What `powertrain report` prints and what `powertrain study` writes at its end.
//
// A Report is a Document (HTML / Markdown), its tables (tables[0] is the main one: what
// `--format csv` writes), a plain-text rendering for a terminal and the JSON it came from.
// Every number carries its unit and its origin (measured, estimated, simulated, missing).
//
// Example:
//   auto store = powertrain::Store::open("powertrain.db");
//   powertrain::report::Report r = powertrain::report::run_report(store, 7);
//   std::ofstream("run-7.html") << r.document.html();
//   std::cout << powertrain::report::csv(r.tables.at(0));
//
//   // at the end of a study:
//   powertrain::report::write_study_report(result_json, "regime.html");
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "powertrain/report/document.h"
#include "powertrain/report/format.h"
#include "powertrain/store/store.h"

namespace powertrain {
namespace report {

// Thrown when a report cannot be built (no such run) or written; what() says why.
class ReportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Report {
  Document document{""};        // the whole report: facts, charts, tables, findings
  std::vector<Table> tables;    // every table of the document; tables[0] is the main one
  std::vector<std::string> findings;  // the study's conclusions, in order (may be empty)
  nlohmann::json data;          // the source: the run as "powertrain.run/1", the study result,
                                // or for a search {"study": ..., "trials": [...]}
  // Returns the tables (and findings) as aligned plain text for a terminal.
  std::string text() const;
};

// Returns the Origin of a provenance name: "measured_counter", "integrated_power" and
// "measured" -> measured; "estimated" -> estimated; "simulated" -> simulated; anything
// else ("missing", "") -> missing.
Origin origin_of(const std::string& provenance);

// Returns the report of run `run_id`: facts (command, config, devices, host, date,
// duration, total energy with provenance, CO2e), per-component energies, power over time
// per component, energy per epoch, validation metric and losses per epoch, the epoch table
// (main table; the component table when the run has no epochs). Throws ReportError when
// the store has no such run, StoreError when it cannot be read.
Report run_report(const Store& store, int64_t run_id);

// Returns the report of a research study's result JSON (`powertrain study`): charts and
// tables for regime, precision, superconvergence, pretrain, multitask and layers; for any
// other kind the findings and generic tables of `summary` and `runs`. Never throws on
// missing keys: what is absent is left out or shown as "n/a".
Report study_report(const nlohmann::json& result);

// Returns the report of a search study (kind "tune") from its stored trials (the JSON of
// each trial as `powertrain tune` stores it): metric against configuration energy with the
// Pareto front (highest metric for least energy), cumulative search energy over trials,
// the best configuration (lowest estimated energy to the target), the trial table.
Report search_report(const StudyRecord& study, const std::vector<std::string>& trial_jsons);

// The documents alone.
Document run_document(const Store& store, int64_t run_id);
Document study_document(const nlohmann::json& result);
Document search_document(const StudyRecord& study, const std::vector<std::string>& trial_jsons);

// Indices of the non-dominated points when maximising metric[i] and minimising
// energy_j[i] (points with a non-finite value are never on the front), in order of energy.
std::vector<size_t> pareto_front(const std::vector<double>& energy_j, const std::vector<double>& metric);

// Writes study_report(result) as one HTML file at `path`, atomically (a temporary file in
// the same directory, then rename): the file is whole or absent. Returns `path`. Throws
// ReportError naming the path when it cannot be written.
std::string write_study_report(const nlohmann::json& result, const std::string& path);

// Writes `text` to `path` atomically, as write_study_report does. Throws ReportError.
void write_file_atomic(const std::string& path, const std::string& text);

}  // namespace report
}  // namespace powertrain
