// Private to the CLI: how measurements are printed (terminal tables, JSON, CSV).
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "powertrain/store/store.h"
#include "util/stop_signal.h"

namespace powertrain::cli {

// Writes `text` to `path` ("-" = stdout) atomically (util::write_file_atomic). Returns false
// and sets `error` when it cannot.
bool write_output(const std::string& path, const std::string& text, std::string& error);
// Returns "" if `path` ("-" = stdout) can be written, else the reason.
std::string check_output_path(const std::string& path);

// The one rule for numbers from the command line: returns true when `value` is finite and
// in [lo, hi]; else prints "<who>: <flag> <value>: must be ..." and sets exit_code to 2.
bool check_number(const char* who, const char* flag, double value, double lo, double hi, int& exit_code);
// The same rule as a CLI11 check for a flag's value: a finite number from lo to hi
// (CLI::Range and CLI::PositiveNumber let NaN through).
CLI::Validator finite_range(double lo, double hi);
// Returns true when `path` ("" = not given, "-" = stdout) can be written; else prints
// "<who>: <flag> <path>: why" and sets exit_code to 2.
bool check_output_option(const char* who, const char* flag, const std::string& path, int& exit_code);

// The run store's path: `flag` (--db) when given, else $POWERTRAIN_DB, else ./powertrain.db.
std::string store_path(const std::string& flag);
// Opens the store at `db` into `store` unless `no_store`. On failure prints "<who>: why"
// and returns false (the caller exits 2).
bool open_store(const std::string& who, const std::string& db, bool no_store, std::optional<Store>& store);
// Removes each store open_store created that still holds nothing (a command that failed).
void remove_unused_new_stores();
// Opens the existing store at `db` for a command that reads it (Store::open_for_reading);
// never creates one. On failure prints "<who>: why" (with `hint` when there is no file)
// and returns nullopt (the caller exits 2).
std::optional<Store> open_existing_store(const std::string& who, const std::string& db, const std::string& hint = "");

using util::StopOnSignal;  // util/stop_signal.h

}  // namespace powertrain::cli
