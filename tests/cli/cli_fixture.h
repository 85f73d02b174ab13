// Shared by the CLI tests: fake hardware at its boundary (an NVML library, a powercap tree)
// and reading the SQLite store the real binary wrote.
#pragma once

#include <sqlite3.h>

#include <string>
#include <vector>

#include "support/test_support.h"

namespace powertrain::test {

// A fake machine in a temp dir: NVML state file and powercap tree.
struct FakeMachine {
  TempDir dir;
  // One GPU with an energy counter at `energy_mj`, drawing `power_mw`.
  void gpu_counter(long long energy_mj, long long power_mw) {
    write_file(nvml_state(), "NVIDIA_Test_GPU GPU-aaaa1111 counter " + std::to_string(energy_mj) + " " +
                                 std::to_string(power_mw) + "\n");
  }
  // One package with dram, and an overlapping core zone.
  void rapl(long long package_uj, long long dram_uj) {
    write_file(dir.file("powercap/intel-rapl:0/name"), "package-0\n");
    write_file(dir.file("powercap/intel-rapl:0/energy_uj"), std::to_string(package_uj) + "\n");
    write_file(dir.file("powercap/intel-rapl:0/max_energy_range_uj"), "262143328850\n");
    write_file(dir.file("powercap/intel-rapl:0:0/name"), "core\n");
    write_file(dir.file("powercap/intel-rapl:0:0/energy_uj"), "5\n");
    write_file(dir.file("powercap/intel-rapl:0:0/max_energy_range_uj"), "262143328850\n");
    write_file(dir.file("powercap/intel-rapl:0:1/name"), "dram\n");
    write_file(dir.file("powercap/intel-rapl:0:1/energy_uj"), std::to_string(dram_uj) + "\n");
    write_file(dir.file("powercap/intel-rapl:0:1/max_energy_range_uj"), "65712999613\n");
  }
  std::string nvml_state() const { return dir.file("nvml_state"); }
  std::string powercap() const { return dir.file("powercap"); }
  // Environment that points powertrain at the fakes.
  std::vector<std::string> env() const {
    return {"POWERTRAIN_NVML_LIBRARY=" FAKE_NVML_PATH, "FAKE_NVML_STATE=" + nvml_state(),
            "POWERTRAIN_POWERCAP_ROOT=" + powercap()};
  }
};

// Environment with no GPU and no RAPL reachable: the estimate path of a plain machine.
inline std::vector<std::string> no_hardware_env(const TempDir& dir) {
  return {"POWERTRAIN_NVML_LIBRARY=" + dir.file("absent-libnvidia-ml.so.1"),
          "POWERTRAIN_POWERCAP_ROOT=" + dir.file("absent-powercap")};
}

// Runs `sql` on the SQLite file at `path`; returns the rows as text cells ("NULL" for null).
inline std::vector<std::vector<std::string>> query(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::vector<std::vector<std::string>> rows;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + path);
  }
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    std::string err = sqlite3_errmsg(db);
    sqlite3_close(db);
    throw std::runtime_error("bad query: " + err);
  }
  while (sqlite3_step(st) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int i = 0; i < sqlite3_column_count(st); ++i) {
      const unsigned char* t = sqlite3_column_text(st, i);
      row.push_back(t ? reinterpret_cast<const char*>(t) : "NULL");
    }
    rows.push_back(row);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return rows;
}

}  // namespace powertrain::test
