// What every command shares: output files, the store's path, the one rule for numbers, signals.
#include "cli/output.h"

#include "util/fs.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace powertrain::cli {

std::string check_output_path(const std::string& path) { return util::check_output_path(path); }

bool check_number(const char* who, const char* flag, double value, double lo, double hi, int& exit_code) {
  if (std::isfinite(value) && value >= lo && value <= hi) return true;
  std::cerr << who << ": " << flag << " " << fmt::format("{}", value) << ": must be a finite number from "
            << fmt::format("{} to {}", lo, hi) << "\n";
  exit_code = 2;
  return false;
}

CLI::Validator finite_range(double lo, double hi) {
  return CLI::Validator(
      [lo, hi](std::string& text) -> std::string {
        size_t used = 0;
        double v = NAN;
        try {
          v = std::stod(text, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used == text.size() && std::isfinite(v) && v >= lo && v <= hi) return "";
        return fmt::format("{}: must be a finite number from {} to {}", text, lo, hi);
      },
      fmt::format("FINITE:[{} - {}]", lo, hi));
}

bool check_output_option(const char* who, const char* flag, const std::string& path, int& exit_code) {
  if (std::string why = check_output_path(path); !why.empty()) {
    std::cerr << who << ": " << flag << " " << path << ": " << why << "\n";
    exit_code = 2;
    return false;
  }
  return true;
}

bool write_output(const std::string& path, const std::string& text, std::string& error) {
  if (path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return true;
  }
  try {
    util::write_file_atomic(path, text);
  } catch (const util::FileError& e) {
    error = e.what();
    return false;
  }
  return true;
}

std::string store_path(const std::string& flag) {
  if (!flag.empty()) return flag;
  const char* env = std::getenv("POWERTRAIN_DB");
  return env && *env ? env : "powertrain.db";
}

namespace {
std::vector<std::string> stores_created;  // by open_store in this process
}  // namespace

bool open_store(const std::string& who, const std::string& db, bool no_store, std::optional<Store>& store) {
  if (no_store) return true;
  try {
    store.emplace(Store::open(db));
  } catch (const StoreError& e) {
    std::cerr << who << ": " << e.what() << "\n";
    return false;
  }
  if (store->created()) stores_created.push_back(db);
  return true;
}

void remove_unused_new_stores() {
  for (const auto& db : stores_created) Store::remove_if_unused(db);
}

std::optional<Store> open_existing_store(const std::string& who, const std::string& db, const std::string& hint) {
  struct stat st {};
  if (::stat(db.c_str(), &st) != 0) {
    std::cerr << who << ": no run store at " << db
              << " (pass --db PATH, or set POWERTRAIN_DB, to the file `powertrain measure`/`train`/`tune`/`study` wrote)" << hint << "\n";
    return std::nullopt;
  }
  try {
    return Store::open_for_reading(db);
  } catch (const StoreError& e) {
    std::cerr << who << ": " << e.what() << "\n";
    return std::nullopt;
  }
}

}  // namespace powertrain::cli
