// CodeCarbon emissions.csv from runs written through the real Store API.
#include "powertrain/interop/codecarbon.h"

#include <gtest/gtest.h>

#include "interop/interop_fixture.h"

namespace powertrain::test {
namespace {

// CodeCarbon 2.x's emissions.csv columns, in order (2.5 added experiment_id).
const std::vector<std::string> kCodeCarbon = {
    "timestamp", "project_name", "run_id", "experiment_id", "duration", "emissions", "emissions_rate", "cpu_power",
    "gpu_power", "ram_power", "cpu_energy", "gpu_energy", "ram_energy", "energy_consumed", "country_name",
    "country_iso_code", "region", "cloud_provider", "cloud_region", "os", "python_version", "codecarbon_version",
    "cpu_count", "cpu_model", "gpu_count", "gpu_model", "longitude", "latitude", "ram_total_size", "tracking_mode",
    "on_cloud", "pue"};

std::map<std::string, std::string> as_map(const std::vector<std::vector<std::string>>& rows) {
  std::map<std::string, std::string> m;
  for (size_t i = 0; i < rows.at(0).size(); ++i) m[rows[0][i]] = rows.at(1).at(i);
  return m;
}

TEST(CodeCarbon, ColumnsAreCodeCarbonsInOrder) {
  EXPECT_EQ(codecarbon_columns(), kCodeCarbon);
}

TEST(CodeCarbon, CounterRunMapsComponentsToKwhAndWatts) {
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  int64_t id = store_counter_run(store);
  auto run = run_export_load(store, id);
  ASSERT_TRUE(run);
  std::string csv = codecarbon_csv(*run, CodeCarbonOptions());
  auto rows = parse_csv(csv);
  ASSERT_EQ(rows.size(), 2u) << csv;
  EXPECT_EQ(rows[0], kCodeCarbon);
  ASSERT_EQ(rows[1].size(), kCodeCarbon.size());
  auto c = as_map(rows);
  // kWh = J / 3.6e6; the nested epoch window is inside the run window, not added again.
  EXPECT_DOUBLE_EQ(std::stod(c["gpu_energy"]), (3600.0 + 1800.0) / 3.6e6);
  EXPECT_DOUBLE_EQ(std::stod(c["cpu_energy"]), 720.0 / 3.6e6);
  EXPECT_DOUBLE_EQ(std::stod(c["ram_energy"]), 72.0 / 3.6e6);
  EXPECT_DOUBLE_EQ(std::stod(c["energy_consumed"]), 6192.0 / 3.6e6);
  EXPECT_DOUBLE_EQ(std::stod(c["gpu_power"]), 540.0);
  EXPECT_DOUBLE_EQ(std::stod(c["cpu_power"]), 72.0);
  EXPECT_DOUBLE_EQ(std::stod(c["ram_power"]), 7.2);
  EXPECT_DOUBLE_EQ(std::stod(c["duration"]), 10.0);
  double kg = 6192.0 / 3.6e6 * 1.5 * 56 / 1000.0;
  EXPECT_NEAR(std::stod(c["emissions"]), kg, 1e-15);
  EXPECT_NEAR(std::stod(c["emissions_rate"]), kg / 10.0, 1e-16);
  EXPECT_EQ(c["timestamp"], "2023-11-14T22:13:30");  // the run's end, UTC
  EXPECT_EQ(c["project_name"], "powertrain");
  EXPECT_EQ(c["run_id"], std::to_string(id));
  EXPECT_EQ(c["country_name"], "France");
  EXPECT_EQ(c["country_iso_code"], "FRA");
  EXPECT_EQ(c["os"], "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(c["cpu_count"], "32");
  EXPECT_EQ(c["cpu_model"], "Intel(R) Xeon(R) \"Gold\" 6226R, 2.90GHz");
  EXPECT_EQ(c["gpu_count"], "2");
  EXPECT_EQ(c["gpu_model"], "2 x NVIDIA H100 80GB HBM3");
  EXPECT_DOUBLE_EQ(std::stod(c["ram_total_size"]), 125.5);
  EXPECT_EQ(c["tracking_mode"], "machine");
  EXPECT_DOUBLE_EQ(std::stod(c["pue"]), 1.5);
  // What powertrain does not know stays empty, never 0.
  for (const char* unknown : {"experiment_id", "region", "cloud_provider", "cloud_region", "python_version",
                              "codecarbon_version", "longitude", "latitude", "on_cloud"}) {
    EXPECT_EQ(c[unknown], "") << unknown;
  }
  EXPECT_TRUE(codecarbon_row(*run, CodeCarbonOptions()).caveats.empty());
}

TEST(CodeCarbon, EstimateIsFlaggedAndMissingHardwareIsEmpty) {
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  int64_t id = store_estimated_run(store);
  auto run = run_export_load(store, id);
  ASSERT_TRUE(run);
  CodeCarbonRow row = codecarbon_row(*run, CodeCarbonOptions().project_name("p, \"q\"").experiment_id("exp-1"));
  EXPECT_DOUBLE_EQ(std::stod(row.cell("cpu_energy")), 30.0 / 3.6e6);
  EXPECT_DOUBLE_EQ(std::stod(row.cell("cpu_power")), 15.0);
  for (const char* unknown : {"gpu_energy", "gpu_power", "ram_energy", "ram_power", "gpu_count", "gpu_model",
                              "country_name", "country_iso_code", "cpu_count", "ram_total_size"}) {
    EXPECT_EQ(row.cell(unknown), "") << unknown;
  }
  EXPECT_EQ(row.cell("experiment_id"), "exp-1");
  ASSERT_FALSE(row.caveats.empty());
  EXPECT_NE(row.caveats[0].find("cpu_energy and cpu_power are estimated"), std::string::npos) << row.caveats[0];
  EXPECT_NE(row.caveats[0].find("TDP 65 W"), std::string::npos) << row.caveats[0];
  auto rows = parse_csv(codecarbon_csv(*run, CodeCarbonOptions().project_name("p, \"q\"")));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1][1], "p, \"q\"");
}

TEST(CodeCarbon, RunningRunHasNoEnergies) {
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  RunRecord r;
  r.name = "crashed";
  r.started_at_unix_s = 1700000000.0;
  int64_t id = store.begin_run(r, HostInfo{}, {});
  auto run = run_export_load(store, id);
  ASSERT_TRUE(run);
  CodeCarbonRow row = codecarbon_row(*run, CodeCarbonOptions());
  for (const char* c : {"duration", "emissions", "emissions_rate", "cpu_energy", "gpu_energy", "ram_energy", "energy_consumed"}) {
    EXPECT_EQ(row.cell(c), "") << c;
  }
  ASSERT_FALSE(row.caveats.empty());
  EXPECT_NE(row.caveats.back().find("still running"), std::string::npos);
}

TEST(CodeCarbon, PythonsCsvReaderAgrees) {
  std::string py = "/usr/bin/python3";
  if (run_program({py, "-c", "import csv"}).exit_code != 0) GTEST_SKIP() << "no " << py;
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  auto run = run_export_load(store, store_counter_run(store));
  write_file(dir.file("emissions.csv"), codecarbon_csv(*run, CodeCarbonOptions()));
  auto r = run_program({py, "-c",
                        "import csv,sys\n"
                        "rows=list(csv.DictReader(open(sys.argv[1], newline='')))\n"
                        "assert len(rows)==1, rows\n"
                        "r=rows[0]\n"
                        "print(len(r), r['cpu_model'], round(float(r['gpu_energy'])*3.6e6, 6), repr(r['on_cloud']))",
                        dir.file("emissions.csv")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "32 Intel(R) Xeon(R) \"Gold\" 6226R, 2.90GHz 5400.0 ''\n");
}

}  // namespace
}  // namespace powertrain::test
