// Private to the CLI: how measurements are printed (terminal tables, JSON, CSV).
#pragma once

#include <nlohmann/json.hpp>

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "powertrain/energy/carbon.h"
#include "powertrain/energy/meter.h"
#include "powertrain/energy/source.h"
#include "powertrain/store/store.h"

namespace powertrain::cli {

// Returns `v` as JSON, or null when it is NaN or infinite (unknown is never 0).
nlohmann::json num(double v);
// Returns "1.23 kJ"-style text for an energy in J, or "unknown" for NaN.
std::string fmt_energy(double energy_j);
// Returns "12.3 W"-style text for a power in W, or "-" for NaN.
std::string fmt_power(double power_w);
// Returns "12.3 mg" / "4.56 g" / "7.89 kg" for a mass in g, or "unknown" for NaN.
std::string fmt_mass_g(double mass_g);
// Returns "12 m" / "3.4 km" for a distance in km, or "unknown" for NaN.
std::string fmt_distance_km(double km);
// Returns "1 m 02.3 s"-style text for a duration in s.
std::string fmt_duration(double duration_s);

nlohmann::json to_json(const ComponentMeasurement& c);
nlohmann::json to_json(const Measurement& m);
nlohmann::json to_json(const SensorInfo& s);
nlohmann::json to_json(const CarbonEstimate& c, const GridIntensity& grid);

// Returns the summary table of a measurement, one line per component and a total.
std::string summary_table(const Measurement& m);
// Returns the CSV (header + a row per component + a "total" row) of a measurement.
std::string measurement_csv(const Measurement& m, long long run_id, int exit_code);

// Writes `text` to `path` ("-" = stdout) atomically (temp file + rename). Returns false
// and sets `error` when it cannot.
bool write_output(const std::string& path, const std::string& text, std::string& error);
// Returns "" if `path` ("-" = stdout) can be written, else the reason.
std::string check_output_path(const std::string& path);

// The one rule for numbers from the command line: returns true when `value` is finite and
// in [lo, hi]; else prints "<who>: <flag> <value>: must be ..." and sets exit_code to 2.
bool check_number(const char* who, const char* flag, double value, double lo, double hi, int& exit_code);
// Returns true when `path` ("" = not given, "-" = stdout) can be written; else prints
// "<who>: <flag> <path>: why" and sets exit_code to 2.
bool check_output_option(const char* who, const char* flag, const std::string& path, int& exit_code);

// The run store's path: `flag` (--db) when given, else $POWERTRAIN_DB, else ./powertrain.db.
std::string store_path(const std::string& flag);
// Opens the store at `db` into `store` unless `no_store`. On failure prints "<who>: why"
// and returns false (the caller exits 2).
bool open_store(const std::string& who, const std::string& db, bool no_store, std::optional<Store>& store);

// While alive, the first SIGINT (Ctrl-C) or SIGTERM (kill, `timeout`, a batch scheduler or
// `docker stop` ending the job) sets stop_requested(): training stops after the current step
// and keeps what it did, so the run ends `interrupted` instead of staying `running` in the
// store. A second one ends the process at once. The previous handlers are restored when it
// dies. One at a time.
class StopOnSignal {
 public:
  StopOnSignal();
  ~StopOnSignal();
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;
  // The exit code for a stop it caused: 128 + the signal (130 for SIGINT, 143 for SIGTERM).
  static int exit_code();
  const std::atomic<bool>* stop_requested() const;
};

}  // namespace powertrain::cli
