// powertrain/report/reports.h: the reports of stored runs and studies, built from the store
// and the studies' typed results (powertrain/study/results.h) with the report library
// (charts, tables, documents). What `powertrain report` prints and what `powertrain study`
// prints and writes at its end.
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
//   // a stored research study, or at the end of one:
//   std::optional<powertrain::AnyStudyResult> result = powertrain::study_result_of(*store.study("regime-1"));
//   std::cout << powertrain::report::study_report(*result).text();
//   powertrain::report::write_study_report(*result, "regime.html");
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "powertrain/report/document.h"
#include "powertrain/report/format.h"
#include "powertrain/store/store.h"
#include "powertrain/store/trial.h"
#include "powertrain/study/results.h"

namespace powertrain {
namespace report {

// Thrown when a report cannot be built (no such run) or written; what() says why.
class ReportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Report {
  Document document{""};        // the whole report: facts, charts, tables, findings
  std::vector<std::pair<std::string, std::string>> facts;  // a study's facts (kind, name, scale, ...), for text()
  std::vector<Table> tables;    // every table of the document; tables[0] is the main one
  std::vector<std::string> findings;  // the study's conclusions, in order (may be empty)
  nlohmann::json data;          // the source: the run as "powertrain.run/1", the study result,
                                // or for a search {"study": ..., "trials": [...]}
  // Returns the facts, tables and findings as aligned plain text for a terminal.
  std::string text() const;
};

// Returns the report of run `run_id`: facts (command, config, devices, host, date,
// duration, total energy with provenance, CO2e), per-component energies, power over time
// per component, energy per epoch, validation metric and losses per epoch, the epoch table
// (main table; the component table when the run has no epochs). Throws ReportError when
// the store has no such run, StoreError when it cannot be read.
Report run_report(const Store& store, int64_t run_id);

// Returns the report of a research study's result (`powertrain study`): its facts and
// findings, the charts and tables of its kind (docs/reports.md), the table of its runs.
// A kind this version does not know gets its facts and findings only. What is unknown
// (NaN) is shown as "n/a". `data` is the result encoded by its codec.
Report study_report(const AnyStudyResult& result);

// Returns the report of a search study (kind "tune") from its stored trials (Store::trials;
// each energy labelled with its trial's provenance: measured, estimated or simulated): metric against configuration energy with the
// Pareto front (highest metric for least energy), cumulative search energy over trials,
// the best configuration (lowest estimated energy to the target), the trial table.
Report search_report(const StudyRecord& study, const std::vector<StoredTrial>& trials);

// The documents alone.
Document run_document(const Store& store, int64_t run_id);
Document study_document(const AnyStudyResult& result);
Document search_document(const StudyRecord& study, const std::vector<StoredTrial>& trials);

// Indices of the non-dominated points when maximising metric[i] and minimising
// energy_j[i] (points with a non-finite value are never on the front), in order of energy.
std::vector<size_t> pareto_front(const std::vector<double>& energy_j, const std::vector<double>& metric);

// Writes study_report(result) as one HTML file at `path`, atomically (a temporary file in
// the same directory, then rename): the file is whole or absent. Returns `path`. Throws
// ReportError naming the path when it cannot be written.
std::string write_study_report(const AnyStudyResult& result, const std::string& path);

// ---- `powertrain report TARGET` -------------------------------------------------------

// Returns the report of what `target` names in `store`: a run (its id) or a study (its
// name; a name of digits that is no run's id is tried as a study). Throws ReportError
// saying what the store holds when `target` names nothing, and when a research study has
// no result yet (it is written when the study finishes).
Report report_of(const Store& store, const std::string& target);
// Returns `report` as text in `format`: html (one self-contained file), md, csv (the main
// table), json (the source data) or text. Throws ReportError for another format.
std::string render(const Report& report, const std::string& format);
// Returns the format a file name asks for by its extension: md, csv, json, text (.txt, or
// "-" for stdout), else html.
std::string format_for_path(const std::string& path);
// Returns the default file of `target`'s HTML report: report-TARGET.html, characters other
// than letters, digits, '.', '-' and '_' replaced by '_'.
std::string default_report_path(const std::string& target);

}  // namespace report
}  // namespace powertrain
