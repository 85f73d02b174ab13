// Private to the report module: what the run, search and study reports share - the
// Builder that collects a Report, number and date texts, provenance as an Origin, and the
// never-throwing JSON readers the run and search reports use on stored JSON.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

#include "powertrain/energy/source.h"
#include "powertrain/report/reports.h"

namespace powertrain {
namespace report {
namespace parts {

using json = nlohmann::json;

// ---- reading JSON (run metadata, search trials) -----------------------------------------

// Returns j[key] as a number, NaN when absent, null or not a number.
double jnum(const json& j, const std::string& key);
// Returns j[key] as text (a non-string value as its JSON), `missing` when absent or null.
std::string jstr(const json& j, const std::string& key, const std::string& missing = "");
// Returns j[key], or null when absent.
const json& jget(const json& j, const std::string& key);
// A scalar JSON value as text, formatted by what its key says it is (_j energy, _s time, ...).
std::string cell(const std::string& key, const json& v, Origin origin = Origin::measured);

// ---- texts ----------------------------------------------------------------------------

// Returns format_number(v, 3) without trailing zeros after the point: 0.01, 2.5, 64.
std::string short_number(double v);
// Returns a Unix time as "2024-05-01 10:00:00 UTC", or "n/a".
std::string date_text(double unix_s);
// Returns a stored provenance name as the report shows it: "measured (measured_counter)",
// "estimated", "missing".
std::string provenance_text(Provenance p);

// The energy unit for a set of values in J: kJ from 10 kJ up, MJ from 10 MJ.
struct EnergyScale {
  double divisor = 1.0;
  const char* unit = "J";
};
EnergyScale energy_scale(double max_j);

// ---- building a report ----------------------------------------------------------------

// Builds a Report: every table goes into the document and into Report::tables.
class Builder {
 public:
  explicit Builder(std::string title);
  Document& doc() { return r_.document; }
  // Adds a table; the main one goes first in Report::tables (what --format csv writes).
  void table(const Table& t, bool main = false);
  // Adds key: value facts to the document and to Report::facts (what text() prints first).
  void facts(std::vector<std::pair<std::string, std::string>> items);
  // Adds the findings (a "Findings" heading and one paragraph each).
  void findings(const std::vector<std::string>& lines);
  Report take(json data);

 private:
  Report r_;
};

}  // namespace parts
}  // namespace report
}  // namespace powertrain
