// Shared by the interop tests: a run store filled through the real Store API, a strict
// CSV reader, and finding a Python that has Optuna.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "cli/cli_fixture.h"
#include "powertrain/store/store.h"
#include "support/test_support.h"

namespace powertrain::test {

// A run measured on two GPUs, one CPU package and its DRAM for 10 s, with one nested
// epoch window; every energy a counter difference. Returns the run id.
inline int64_t store_counter_run(Store& store) {
  RunRecord run;
  run.name = "resnet";
  run.command = "python train.py";
  run.started_at_unix_s = 1700000000.25;
  HostInfo host;
  host.hostname = "node1";
  host.os = "Debian GNU/Linux 12 (bookworm)";
  host.kernel = "6.1.0-18-amd64";
  host.cpu_model = "Intel(R) Xeon(R) \"Gold\" 6226R, 2.90GHz";  // a comma and quotes, to test CSV quoting
  host.cpu_cores = 32;
  host.memory_gib = 125.5;
  std::vector<SensorInfo> sensors = {
      {"gpu:0", "nvml", "NVIDIA H100 80GB HBM3 (counter)", true, "energy counter"},
      {"gpu:1", "nvml", "NVIDIA H100 80GB HBM3 (counter)", true, "energy counter"},
      {"cpu_package:0", "rapl", "package-0", true, "energy counter"},
      {"dram:0", "rapl", "dram", true, "energy counter"},
      {"", "estimate", "CPU estimate", false, "not needed: RAPL works"}};
  int64_t id = store.begin_run(run, host, sensors);

  auto comp = [](const std::string& name, ComponentKind kind, const std::string& source, double j, double s) {
    ComponentMeasurement c;
    c.component = name;
    c.kind = kind;
    c.source = source;
    c.energy_j = j;
    c.uncertainty_j = 0.001;
    c.avg_power_w = j / s;
    c.samples = 100;
    c.provenance = Provenance::measured_counter;
    return c;
  };
  Measurement epoch;
  epoch.id = 1;
  epoch.parent_id = 0;
  epoch.name = "epoch 1";
  epoch.start_unix_s = 1700000001.0;
  epoch.start_s = 1.0;
  epoch.duration_s = 5.0;
  epoch.components = {comp("gpu:0", ComponentKind::gpu, "nvml", 2000, 5)};
  Measurement whole;
  whole.id = 0;
  whole.parent_id = -1;
  whole.name = "run";
  whole.start_unix_s = 1700000000.25;
  whole.start_s = 0;
  whole.duration_s = 10.0;
  whole.components = {comp("gpu:0", ComponentKind::gpu, "nvml", 3600, 10), comp("gpu:1", ComponentKind::gpu, "nvml", 1800, 10),
                      comp("cpu_package:0", ComponentKind::cpu_package, "rapl", 720, 10),
                      comp("dram:0", ComponentKind::dram, "rapl", 72, 10)};
  run.status = RunStatus::completed;
  run.exit_code = 0;
  run.duration_s = 10.0;
  run.energy_j = whole.total_energy_j();
  run.energy_uncertainty_j = whole.total_uncertainty_j();
  run.energy_provenance = Provenance::measured_counter;
  run.grid = "FR";
  run.carbon_intensity_g_per_kwh = 56;
  run.pue = 1.5;
  run.co2e_g = run.energy_j / 3.6e6 * 1.5 * 56;
  store.finish_run(id, run, {epoch, whole}, {{0.5, "gpu:0", 360.0}, {1.5, "gpu:0", 370.0}});
  EpochRecord e;
  e.epoch = 1;
  e.train_loss = 1.25;
  e.val_metric = 0.5;
  e.duration_s = 5;
  e.energy_j = 2000;
  e.energy_provenance = Provenance::measured_counter;
  store.record_epoch(id, e);
  return id;
}

// A run on a machine without counters: the CPU estimate only. Returns the run id.
inline int64_t store_estimated_run(Store& store) {
  RunRecord run;
  run.name = "laptop";
  run.command = "sleep 2";
  run.started_at_unix_s = 1700000100.0;
  int64_t id = store.begin_run(run, HostInfo{}, {{"cpu_estimate", "estimate", "CPU utilisation x TDP", true, ""}});
  Measurement m;
  m.id = 0;
  m.name = "run";
  m.start_unix_s = run.started_at_unix_s;
  m.start_s = 0;
  m.duration_s = 2.0;
  ComponentMeasurement c;
  c.component = "cpu_estimate";
  c.kind = ComponentKind::cpu_estimate;
  c.source = "estimate";
  c.energy_j = 30.0;
  c.avg_power_w = 15.0;
  c.provenance = Provenance::estimated;
  c.note = "utilisation x TDP 65 W";
  m.components = {c};
  run.status = RunStatus::completed;
  run.duration_s = 2.0;
  run.energy_j = 30.0;
  run.energy_provenance = Provenance::estimated;
  run.grid = "WORLD";
  run.carbon_intensity_g_per_kwh = 480;
  run.pue = 1.0;
  run.co2e_g = 30.0 / 3.6e6 * 480;
  store.finish_run(id, run, {m}, {});
  return id;
}

// Splits RFC 4180 CSV text into rows of fields; fails the test on malformed quoting.
inline std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, in_quotes = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_quotes) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') { field += '"'; ++i; }
      else if (c == '"') in_quotes = false;
      else field += c;
    } else if (c == '"') {
      EXPECT_TRUE(field.empty() && !quoted) << "quote inside an unquoted field at " << i;
      in_quotes = quoted = true;
    } else if (c == ',') {
      row.push_back(field); field.clear(); quoted = false;
    } else if (c == '\n') {
      row.push_back(field); field.clear(); quoted = false;
      rows.push_back(row); row.clear();
    } else {
      EXPECT_FALSE(quoted) << "text after a closing quote at " << i;
      field += c;
    }
  }
  EXPECT_FALSE(in_quotes) << "unterminated quote";
  EXPECT_TRUE(field.empty() && row.empty()) << "the last line has no line feed";
  return rows;
}

// Returns a Python interpreter that can import optuna, or "" (Debian's python3-optuna
// lives in /usr/bin/python3, which another python3 on PATH may shadow).
inline std::string python_with_optuna() {
  for (const char* py : {"/usr/bin/python3", "python3"}) {
    RunResult r = run_program({py, "-c", "import optuna"});
    if (r.exit_code == 0) return py;
  }
  return "";
}

}  // namespace powertrain::test
