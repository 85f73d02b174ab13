// Tests of the run store (src/store/store.cpp) and host facts (src/store/host.cpp), on
// real SQLite files in temporary directories.
#include "store/sqlite.h"
#include "powertrain/store/store.h"

#include <grp.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace powertrain {
namespace {

using test::TempDir;
namespace fs = std::filesystem;

bool exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

// Returns the first column of the first row of `sql` as an integer (-1 if no row).
int64_t query_int(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  int64_t v = -1;
  if (sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  return v;
}

std::string query_text(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  std::string v;
  if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0)) {
    v = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  }
  sqlite3_finalize(s);
  return v;
}

// Runs `sql` on the file at `path` with a plain connection (not through Store).
void raw_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

void expect_same(double expected, double actual, const char* what) {
  if (std::isnan(expected)) {
    EXPECT_TRUE(std::isnan(actual)) << what << ": expected NaN, got " << actual;
  } else {
    EXPECT_DOUBLE_EQ(expected, actual) << what;
  }
}

HostInfo test_host(const std::string& kernel = "6.1.0-test") {
  HostInfo h;
  h.hostname = "testhost";
  h.os = "Debian GNU/Linux 12 (bookworm)";
  h.kernel = kernel;
  h.cpu_model = "Test CPU @ 3.0GHz";
  h.cpu_cores = 16;
  h.memory_gib = 125.5;
  return h;
}

std::vector<SensorInfo> test_sensors() {
  return {{"gpu:0", "nvml", "NVIDIA H100 80GB HBM3 (counter)", true, "energy counter, 1 mJ resolution"},
          {"", "rapl", "", false, "permission denied: run with sudo"}};
}

RunRecord running_record(const std::string& name) {
  RunRecord r;
  r.name = name;
  r.command = "python train.py --epochs 2";
  r.started_at_unix_s = 1700000000.25;
  r.status = RunStatus::running;
  return r;
}

RunRecord completed_record(const std::string& name) {
  RunRecord r = running_record(name);
  r.status = RunStatus::completed;
  r.exit_code = 0;
  r.duration_s = 12.5;
  r.energy_j = 4321.5;
  r.energy_uncertainty_j = 0.75;
  r.energy_provenance = Provenance::measured_counter;
  r.grid = "DE";
  r.carbon_intensity_g_per_kwh = 380.0;
  r.pue = 1.2;
  r.co2e_g = 0.55;
  r.details.interval_s = 0.1;
  r.details.idle_baseline = IdleBaseline{2.0, {{"gpu:0", 61.5}}};
  return r;
}

ComponentMeasurement component(const std::string& name, double energy_j) {
  ComponentMeasurement c;
  c.component = name;
  c.kind = name.rfind("gpu", 0) == 0 ? ComponentKind::gpu : ComponentKind::cpu_package;
  c.source = name.rfind("gpu", 0) == 0 ? "nvml" : "rapl";
  c.energy_j = energy_j;
  c.uncertainty_j = 0.001;
  c.avg_power_w = 250.0;
  c.peak_power_w = 301.5;
  c.samples = 42;
  c.provenance = Provenance::measured_counter;
  return c;
}

Measurement window(int id, int parent_id, const std::string& name, double start_s, double duration_s) {
  Measurement m;
  m.id = id;
  m.parent_id = parent_id;
  m.name = name;
  m.start_unix_s = 1700000000.0 + start_s;
  m.start_s = start_s;
  m.duration_s = duration_s;
  m.components = {component("gpu:0", 100.0 * duration_s), component("cpu_package:0", 30.0 * duration_s)};
  return m;
}

// Windows as Meter::finished() lists them: in the order they ended, children first.
// Meter ids: run 0 > (epoch 0 = 1 > step = 2), (epoch 1 = 3).
std::vector<Measurement> nested_windows() {
  return {window(2, 1, "step", 0.5, 1.0), window(1, 0, "epoch 0", 0.25, 5.0), window(3, 0, "epoch 1", 5.5, 6.0),
          window(0, -1, "run", 0.0, 12.5)};
}

std::vector<PowerSample> test_samples(int n) {
  std::vector<PowerSample> out;
  for (int i = 0; i < n; ++i) {
    out.push_back({0.1 * i, "gpu:0", 200.0 + i});
    out.push_back({0.1 * i, "cpu_package:0", 50.0 + i});
  }
  return out;
}

TEST(HostInfoCollect, FillsWhatThisMachineKnows) {
  HostInfo h = host_info_collect();
  EXPECT_FALSE(h.hostname.empty());
  EXPECT_FALSE(h.kernel.empty());
  EXPECT_FALSE(h.os.empty());
  EXPECT_GT(h.cpu_cores, 0);
  EXPECT_GT(h.memory_gib, 0.0);
}

TEST(Store, CreatesFileWithCurrentSchemaAndSettings) {
  TempDir dir;
  std::string path = dir.file("runs.db");
  Store store = Store::open(path);
  EXPECT_TRUE(exists(path));
  EXPECT_EQ(store.path(), path);
  EXPECT_EQ(Store::current_schema_version(), 4);
  EXPECT_EQ(store.schema_version(), Store::current_schema_version());
  EXPECT_EQ(query_text(StoreConnection::of(store), "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(query_int(StoreConnection::of(store), "PRAGMA foreign_keys"), 1);
  EXPECT_EQ(query_int(StoreConnection::of(store), "PRAGMA synchronous"), 1);  // NORMAL
  for (const char* table : {"hosts", "runs", "devices", "windows", "window_components", "samples", "epochs", "studies", "study_trials"}) {
    EXPECT_EQ(query_int(StoreConnection::of(store), std::string("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '") +
                                            table + "'"),
              1)
        << table;
  }
}

// A version-1 file (before training epochs existed) is migrated to version 2 on open,
// keeping its runs.
TEST(Store, MigratesAVersionOneFileKeepingItsRuns) {
  TempDir dir;
  std::string path = dir.file("old.db");
  int64_t id = 0;
  {
    Store store = Store::open(path);
    RunRecord r;
    r.name = "old run";
    id = store.begin_run(r, HostInfo{}, {});
    // Make it look like a file written by schema version 1.
    ASSERT_EQ(sqlite3_exec(StoreConnection::of(store), "DROP TABLE study_claims; DROP TABLE study_events; DROP TABLE study_trials; DROP TABLE studies; DROP TABLE epochs; PRAGMA user_version = 1", nullptr, nullptr, nullptr), SQLITE_OK);
  }
  Store store = Store::open(path);
  EXPECT_EQ(store.schema_version(), Store::current_schema_version());
  ASSERT_TRUE(store.run(id).has_value());
  EXPECT_EQ(store.run(id)->name, "old run");
  EpochRecord e;
  e.epoch = 1;
  e.val_metric = 0.8;
  store.record_epoch(id, e);
  EXPECT_EQ(store.epochs(id).size(), 1u);
}

TEST(Store, EpochsRoundTripWithUnknownValuesAsNaN) {
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  RunRecord r;
  r.kind = "train";
  int64_t id = store.begin_run(r, HostInfo{}, {});
  for (int i = 1; i <= 3; ++i) {
    EpochRecord e;
    e.epoch = i;
    e.train_loss = 1.0 / i;
    e.val_metric = 0.5 + 0.1 * i;
    e.energy_j = 100.0 * i;
    e.energy_provenance = Provenance::estimated;
    e.skipped_steps = i;
    e.metrics = {{"aux_accuracy", 0.9}};
    store.record_epoch(id, e);
  }
  EpochRecord again;  // replaces epoch 2; unknown energy stays unknown
  again.epoch = 2;
  again.train_loss = 0.25;
  store.record_epoch(id, again);
  auto rows = store.epochs(id);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_DOUBLE_EQ(rows[0].energy_j, 100.0);
  EXPECT_EQ(rows[0].energy_provenance, Provenance::estimated);
  EXPECT_EQ(rows[0].metrics, (std::map<std::string, double>{{"aux_accuracy", 0.9}}));
  EXPECT_DOUBLE_EQ(rows[1].train_loss, 0.25);
  EXPECT_TRUE(std::isnan(rows[1].energy_j));
  EXPECT_EQ(rows[1].energy_provenance, Provenance::missing);
  EXPECT_EQ(rows[2].skipped_steps, 3);
  EXPECT_THROW(store.record_epoch(9999, again), StoreError);  // no such run
}

TEST(Store, ReopenKeepsDataAndMigratesOnce) {
  TempDir dir;
  std::string path = dir.file("runs.db");
  int64_t id = 0;
  int64_t objects = 0;
  {
    Store store = Store::open(path);
    id = store.begin_run(running_record("first"), test_host(), test_sensors());
    objects = query_int(StoreConnection::of(store), "SELECT count(*) FROM sqlite_master");
  }
  for (int i = 0; i < 2; ++i) {
    Store store = Store::open(path);
    EXPECT_EQ(store.schema_version(), Store::current_schema_version());
    EXPECT_EQ(query_int(StoreConnection::of(store), "SELECT count(*) FROM sqlite_master"), objects);
    ASSERT_TRUE(store.run(id).has_value());
    EXPECT_EQ(store.run(id)->name, "first");
  }
}

TEST(Store, InMemoryStoreWorks) {
  Store store = Store::open(":memory:");
  int64_t id = store.begin_run(running_record("mem"), test_host(), {});
  store.finish_run(id, completed_record("mem"), nested_windows(), test_samples(2));
  EXPECT_EQ(store.windows(id).size(), 4u);
}

TEST(Store, EmptyExistingFileBecomesAStore) {
  TempDir dir;
  std::string path = dir.file("empty.db");
  test::write_file(path, "");
  Store store = Store::open(path);
  EXPECT_EQ(store.schema_version(), Store::current_schema_version());
}

TEST(Store, RoundTripsRunWithNestedWindowsComponentsAndSamples) {
  TempDir dir;
  Store store = Store::open(dir.file("runs.db"));
  int64_t id = store.begin_run(running_record("resnet"), test_host(), test_sensors());
  EXPECT_GT(id, 0);

  RunRecord running = *store.run(id);
  EXPECT_EQ(running.id, id);
  EXPECT_EQ(running.status, RunStatus::running);
  EXPECT_FALSE(running.exit_code.has_value());
  EXPECT_TRUE(std::isnan(running.energy_j));
  EXPECT_TRUE(std::isnan(running.duration_s));

  std::vector<Measurement> in = nested_windows();
  // NaN values must come back as NaN, never 0.
  in[0].components[1].energy_j = NAN;
  in[0].components[1].uncertainty_j = NAN;
  in[0].components[1].avg_power_w = NAN;
  in[0].components[1].provenance = Provenance::missing;
  in[0].components[1].note = "RAPL not readable";
  in[1].components[0].idle_power_w = 60.0;
  in[1].components[0].static_energy_j = 300.0;
  in[1].components[0].dynamic_energy_j = 200.0;
  in[2].components[0].kind = ComponentKind::cpu_estimate;
  in[2].components[0].provenance = Provenance::estimated;
  in[3].components[0].provenance = Provenance::integrated_power;
  std::vector<PowerSample> samples = test_samples(50);
  samples.push_back({5.05, "dram:0", NAN});
  store.finish_run(id, completed_record("resnet"), in, samples);

  RunRecord want = completed_record("resnet");
  RunRecord got = *store.run(id);
  EXPECT_EQ(got.id, id);
  EXPECT_EQ(got.kind, want.kind);
  EXPECT_EQ(got.name, want.name);
  EXPECT_EQ(got.command, want.command);
  EXPECT_EQ(got.status, RunStatus::completed);
  ASSERT_TRUE(got.exit_code.has_value());
  EXPECT_EQ(*got.exit_code, 0);
  expect_same(want.started_at_unix_s, got.started_at_unix_s, "started_at_unix_s");
  expect_same(want.duration_s, got.duration_s, "duration_s");
  expect_same(want.energy_j, got.energy_j, "energy_j");
  expect_same(want.energy_uncertainty_j, got.energy_uncertainty_j, "energy_uncertainty_j");
  EXPECT_EQ(got.energy_provenance, Provenance::measured_counter);
  EXPECT_EQ(got.grid, "DE");
  expect_same(want.carbon_intensity_g_per_kwh, got.carbon_intensity_g_per_kwh, "carbon");
  expect_same(want.pue, got.pue, "pue");
  expect_same(want.co2e_g, got.co2e_g, "co2e_g");
  EXPECT_EQ(run_details_to_json(got.details), run_details_to_json(want.details));
  ASSERT_TRUE(got.details.idle_baseline.has_value());
  EXPECT_EQ(got.details.idle_baseline->power_w.at("gpu:0"), 61.5);

  // Windows come back in meter-id (begin) order with parents mapped to row ids.
  std::vector<Measurement> out = store.windows(id);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].name, "run");
  EXPECT_EQ(out[1].name, "epoch 0");
  EXPECT_EQ(out[2].name, "step");
  EXPECT_EQ(out[3].name, "epoch 1");
  EXPECT_EQ(out[0].parent_id, -1);
  EXPECT_EQ(out[1].parent_id, out[0].id);
  EXPECT_EQ(out[2].parent_id, out[1].id);
  EXPECT_EQ(out[3].parent_id, out[0].id);
  EXPECT_LT(out[0].id, out[1].id);
  EXPECT_LT(out[1].id, out[2].id);
  EXPECT_LT(out[2].id, out[3].id);

  auto by_name = [&](const std::string& name) -> const Measurement& {
    for (const Measurement& m : in) if (m.name == name) return m;
    throw std::logic_error("no window " + name);
  };
  for (const Measurement& o : out) {
    const Measurement& i = by_name(o.name);
    expect_same(i.start_unix_s, o.start_unix_s, "start_unix_s");
    expect_same(i.start_s, o.start_s, "start_s");
    expect_same(i.duration_s, o.duration_s, "duration_s");
    ASSERT_EQ(o.components.size(), i.components.size()) << o.name;
    for (size_t k = 0; k < o.components.size(); ++k) {
      const ComponentMeasurement& a = i.components[k];
      const ComponentMeasurement& b = o.components[k];
      EXPECT_EQ(a.component, b.component);
      EXPECT_EQ(a.kind, b.kind) << o.name << " " << a.component;
      EXPECT_EQ(a.source, b.source);
      expect_same(a.energy_j, b.energy_j, "energy_j");
      expect_same(a.uncertainty_j, b.uncertainty_j, "uncertainty_j");
      expect_same(a.avg_power_w, b.avg_power_w, "avg_power_w");
      expect_same(a.peak_power_w, b.peak_power_w, "peak_power_w");
      expect_same(a.idle_power_w, b.idle_power_w, "idle_power_w");
      expect_same(a.static_energy_j, b.static_energy_j, "static_energy_j");
      expect_same(a.dynamic_energy_j, b.dynamic_energy_j, "dynamic_energy_j");
      EXPECT_EQ(a.samples, b.samples);
      EXPECT_EQ(a.provenance, b.provenance) << o.name << " " << a.component;
      EXPECT_EQ(a.note, b.note);
    }
  }

  // NaN is stored as NULL, not as 0.
  EXPECT_EQ(query_int(StoreConnection::of(store), "SELECT count(*) FROM window_components WHERE energy_j IS NULL"), 1);
  EXPECT_EQ(query_int(StoreConnection::of(store), "SELECT count(*) FROM window_components WHERE energy_j = 0"), 0);
  EXPECT_EQ(query_text(StoreConnection::of(store), "SELECT provenance FROM window_components WHERE energy_j IS NULL"), "missing");

  std::vector<PowerSample> back = store.samples(id);
  ASSERT_EQ(back.size(), samples.size());
  for (size_t k = 1; k < back.size(); ++k) EXPECT_LE(back[k - 1].t_s, back[k].t_s);
  EXPECT_EQ(back[0].component, "gpu:0");
  EXPECT_DOUBLE_EQ(back[0].power_w, 200.0);
  bool found_nan = false;
  for (const PowerSample& s : back) {
    if (s.component == "dram:0") {
      found_nan = true;
      EXPECT_TRUE(std::isnan(s.power_w));
    }
  }
  EXPECT_TRUE(found_nan);

  std::vector<SensorInfo> devices = store.devices(id);
  ASSERT_EQ(devices.size(), 2u);
  EXPECT_EQ(devices[0].component, "gpu:0");
  EXPECT_EQ(devices[0].source, "nvml");
  EXPECT_EQ(devices[0].description, "NVIDIA H100 80GB HBM3 (counter)");
  EXPECT_TRUE(devices[0].working);
  EXPECT_EQ(devices[0].detail, "energy counter, 1 mJ resolution");
  EXPECT_EQ(devices[1].source, "rapl");
  EXPECT_FALSE(devices[1].working);
  EXPECT_EQ(devices[1].detail, "permission denied: run with sudo");

  EXPECT_TRUE(store.windows(id + 100).empty());
  EXPECT_TRUE(store.samples(id + 100).empty());
  EXPECT_FALSE(store.run(id + 100).has_value());
}

TEST(Store, RunsAreListedNewestFirstAndHostsAreReused) {
  TempDir dir;
  Store store = Store::open(dir.file("runs.db"));
  int64_t a = store.begin_run(running_record("a"), test_host(), {});
  int64_t b = store.begin_run(running_record("b"), test_host(), {});
  int64_t c = store.begin_run(running_record("c"), test_host("6.2.0-other"), {});
  std::vector<RunRecord> all = store.runs();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].id, c);
  EXPECT_EQ(all[1].id, b);
  EXPECT_EQ(all[2].id, a);
  std::vector<RunRecord> two = store.runs(2);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].name, "c");
  EXPECT_EQ(query_int(StoreConnection::of(store), "SELECT count(*) FROM hosts"), 2);
  EXPECT_EQ(query_int(StoreConnection::of(store), "SELECT count(DISTINCT host_id) FROM runs WHERE id IN (" + std::to_string(a) +
                                          "," + std::to_string(b) + ")"),
            1);
  EXPECT_EQ(query_text(StoreConnection::of(store), "SELECT cpu_model FROM hosts LIMIT 1"), "Test CPU @ 3.0GHz");
}

TEST(Store, StoresThousandsOfSamples) {
  TempDir dir;
  Store store = Store::open(dir.file("runs.db"));
  int64_t id = store.begin_run(running_record("long"), test_host(), test_sensors());
  std::vector<PowerSample> samples = test_samples(25000);  // 50,000 rows
  store.finish_run(id, completed_record("long"), nested_windows(), samples);
  std::vector<PowerSample> back = store.samples(id);
  ASSERT_EQ(back.size(), samples.size());
  EXPECT_DOUBLE_EQ(back.back().t_s, samples.back().t_s);
}

TEST(Store, FinishingTwiceReplacesWindowsAndSamples) {
  TempDir dir;
  Store store = Store::open(dir.file("runs.db"));
  int64_t id = store.begin_run(running_record("r"), test_host(), {});
  store.finish_run(id, completed_record("r"), nested_windows(), test_samples(10));
  store.finish_run(id, completed_record("r"), {window(0, -1, "run", 0, 1)}, test_samples(3));
  EXPECT_EQ(store.windows(id).size(), 1u);
  EXPECT_EQ(store.samples(id).size(), 6u);
  EXPECT_EQ(query_int(StoreConnection::of(store), "SELECT count(*) FROM window_components"), 2);
}

TEST(Store, FinishingAnUnknownRunThrowsAndWritesNothing) {
  TempDir dir;
  Store store = Store::open(dir.file("runs.db"));
  int64_t id = store.begin_run(running_record("r"), test_host(), {});
  try {
    store.finish_run(id + 7, completed_record("r"), nested_windows(), test_samples(10));
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("no such run"), std::string::npos) << e.what();
  }
  EXPECT_EQ(query_int(StoreConnection::of(store), "SELECT count(*) FROM windows"), 0);
  EXPECT_EQ(query_int(StoreConnection::of(store), "SELECT count(*) FROM window_components"), 0);
  EXPECT_EQ(query_int(StoreConnection::of(store), "SELECT count(*) FROM samples"), 0);
  EXPECT_EQ(store.run(id)->status, RunStatus::running);
  // The store is still usable after the failure.
  store.finish_run(id, completed_record("r"), nested_windows(), test_samples(10));
  EXPECT_EQ(store.windows(id).size(), 4u);
}

TEST(Store, FailureHalfwayThroughFinishRollsBackEverything) {
  TempDir dir;
  Store store = Store::open(dir.file("runs.db"));
  int64_t id = store.begin_run(running_record("r"), test_host(), {});
  std::vector<Measurement> windows = nested_windows();
  windows.push_back(window(2, 0, "duplicate id", 7.0, 1.0));  // fails after rows were written
  EXPECT_THROW(store.finish_run(id, completed_record("r"), windows, test_samples(10)), StoreError);
  RunRecord r = *store.run(id);
  EXPECT_EQ(r.status, RunStatus::running);
  EXPECT_TRUE(std::isnan(r.energy_j));
  EXPECT_EQ(query_int(StoreConnection::of(store), "SELECT count(*) FROM windows"), 0);
  EXPECT_EQ(query_int(StoreConnection::of(store), "SELECT count(*) FROM window_components"), 0);
  EXPECT_EQ(query_int(StoreConnection::of(store), "SELECT count(*) FROM samples"), 0);
}

TEST(Store, MoveTransfersTheConnection) {
  TempDir dir;
  Store a = Store::open(dir.file("runs.db"));
  int64_t id = a.begin_run(running_record("r"), test_host(), {});
  Store b = std::move(a);
  EXPECT_EQ(StoreConnection::of(a), nullptr);  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_THROW(a.runs(), StoreError);
  EXPECT_TRUE(b.run(id).has_value());
  Store c = Store::open(dir.file("other.db"));
  c = std::move(b);
  EXPECT_TRUE(c.run(id).has_value());
}

TEST(Store, MissingDirectoryThrowsAndCreatesNothing) {
  TempDir dir;
  std::string path = dir.file("no/such/dir/runs.db");
  try {
    Store::open(path);
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find("No such file or directory"), std::string::npos) << msg;
    EXPECT_NE(msg.find("create the directory or pass --db PATH"), std::string::npos) << msg;
  }
  EXPECT_FALSE(exists(dir.file("no")));
}

TEST(Store, DirectoryPathThrows) {
  TempDir dir;
  try {
    Store::open(dir.path());
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("is a directory"), std::string::npos) << e.what();
  }
}

TEST(Store, NonSqliteFileThrowsAndStaysUnchanged) {
  TempDir dir;
  std::string path = dir.file("notes.txt");
  std::string junk;
  for (int i = 0; i < 200; ++i) junk += "this is not a database, it is a text file line " + std::to_string(i) + "\n";
  test::write_file(path, junk);
  try {
    Store::open(path);
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_EQ(std::string(e.what()),
              path + " is not a powertrain store (not an SQLite database): choose another --db path");
  }
  EXPECT_EQ(test::read_file(path), junk);
  EXPECT_FALSE(exists(path + "-wal"));
  EXPECT_FALSE(exists(path + "-shm"));
  EXPECT_FALSE(exists(path + "-journal"));
}

TEST(Store, ShortJunkFileThrows) {
  TempDir dir;
  std::string path = dir.file("short.db");
  test::write_file(path, "junk");
  EXPECT_THROW(Store::open(path), StoreError);
  EXPECT_EQ(test::read_file(path), "junk");
}

TEST(Store, AnotherProgramsSqliteDatabaseIsRefused) {
  TempDir dir;
  std::string path = dir.file("other.sqlite");
  raw_exec(path, "CREATE TABLE contacts(name TEXT); INSERT INTO contacts VALUES('ada');");
  try {
    Store::open(path);
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("is not a powertrain store"), std::string::npos) << e.what();
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'runs'"), 0);
  EXPECT_EQ(query_text(db, "PRAGMA journal_mode"), "delete");
  sqlite3_close(db);
}

TEST(Store, NewerSchemaVersionAsksToUpgrade) {
  TempDir dir;
  std::string path = dir.file("runs.db");
  { Store::open(path); }
  const int newer = Store::current_schema_version() + 1;
  raw_exec(path, "PRAGMA user_version = " + std::to_string(newer));
  try {
    Store::open(path);
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find("upgrade powertrain"), std::string::npos) << msg;
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  EXPECT_EQ(query_int(db, "PRAGMA user_version"), newer);
  sqlite3_close(db);
}

// A negative user_version used to index the migration table out of bounds (garbage run
// as SQL; `powertrain report` crashed). Every way in refuses it, naming the file, and
// leaves the file byte for byte as it was.
TEST(Store, NegativeSchemaVersionIsRefusedAndTheFileStaysUnchanged) {
  for (const char* version : {"-1", "-2147483648"}) {
    SCOPED_TRACE(version);
    TempDir dir;
    std::string path = dir.file("runs.db");
    { Store::open(path); }
    raw_exec(path, std::string("PRAGMA user_version = ") + version);
    const std::string before = test::read_file(path);
    for (bool read_only : {false, true}) {
      try {
        if (read_only) Store::open_read_only(path); else Store::open(path);
        FAIL() << "expected StoreError";
      } catch (const StoreError& e) {
        std::string msg = e.what();
        EXPECT_NE(msg.find(path), std::string::npos) << msg;
        EXPECT_NE(msg.find(std::string("schema version ") + version + ", which no powertrain writes"), std::string::npos) << msg;
      }
      EXPECT_EQ(test::read_file(path), before);
    }
    test::RunResult r = test::run_program({POWERTRAIN_BIN, "report", "1", "--db", path, "--out", dir.file("r.html")});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("which no powertrain writes"), std::string::npos) << r.err;
    EXPECT_EQ(test::read_file(path), before);
    EXPECT_FALSE(exists(dir.file("r.html")));
  }
}

// Opens a new store in `dir` and an existing one at `existing` as the current user and
// returns the two error messages, "-" where no error was thrown.
std::vector<std::string> open_errors(const std::string& dir, const std::string& existing) {
  std::vector<std::string> out;
  for (const std::string& path : {dir + "/new.db", existing}) {
    try {
      Store::open(path);
      out.push_back("-");
    } catch (const StoreError& e) {
      out.push_back(e.what());
    }
  }
  return out;
}

TEST(Store, UnwritableDirectoryOrFileThrowsAndCreatesNothing) {
  TempDir tmp;
  std::string dir = tmp.file("locked");
  std::string existing = dir + "/existing.db";
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  { Store::open(existing); }
  ASSERT_EQ(::chmod(existing.c_str(), 0644), 0);

  std::vector<std::string> errors;
  if (geteuid() != 0) {
    ASSERT_EQ(::chmod(existing.c_str(), 0444), 0);
    ASSERT_EQ(::chmod(dir.c_str(), 0555), 0);
    errors = open_errors(dir, existing);
    ::chmod(dir.c_str(), 0755);
  } else {
    // Root ignores permission bits, so a child process drops to "nobody" (65534) first.
    ASSERT_EQ(::chmod(tmp.path().c_str(), 0755), 0);
    int pipe_fds[2];
    ASSERT_EQ(pipe(pipe_fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(pipe_fds[0]);
      if (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0) _exit(77);
      std::string text;
      for (const std::string& e : open_errors(dir, existing)) text += e + "\n";
      ssize_t n = write(pipe_fds[1], text.data(), text.size());
      _exit(n == static_cast<ssize_t>(text.size()) ? 0 : 1);
    }
    close(pipe_fds[1]);
    std::string text;
    char buf[4096];
    for (ssize_t n; (n = read(pipe_fds[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
    close(pipe_fds[0]);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) {
      GTEST_SKIP() << "running as root and cannot setuid(65534) here, so permissions cannot be tested";
    }
    ASSERT_EQ(WEXITSTATUS(status), 0);
    for (size_t start = 0, nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
      errors.push_back(text.substr(start, nl - start));
    }
  }
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_NE(errors[0].find(dir + "/new.db"), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find("Permission denied"), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find("pass --db PATH"), std::string::npos) << errors[0];
  EXPECT_FALSE(exists(dir + "/new.db"));
  EXPECT_NE(errors[1].find(existing), std::string::npos) << errors[1];
  EXPECT_NE(errors[1].find("read-only"), std::string::npos) << errors[1];
  EXPECT_FALSE(exists(existing + "-wal"));
}

// Writes whole runs forever: begin_run, then finish_run with 3 windows and 20 samples.
// Writes one byte to `ready_fd` once the first run is complete.
[[noreturn]] void write_runs_forever(const std::string& path, int ready_fd) {
  try {
    Store store = Store::open(path);
    for (int i = 0;; ++i) {
      int64_t id = store.begin_run(running_record("run " + std::to_string(i)), test_host(), test_sensors());
      std::vector<Measurement> w = {window(1, 0, "epoch", 0.5, 2.0), window(2, 0, "eval", 2.5, 1.0),
                                    window(0, -1, "run", 0.0, 4.0)};
      store.finish_run(id, completed_record("run " + std::to_string(i)), w, test_samples(10));
      if (i == 0 && write(ready_fd, "r", 1) != 1) _exit(2);
    }
  } catch (...) {
    _exit(3);
  }
}

TEST(Store, KillDuringWritesLeavesOnlyWholeRuns) {
  TempDir dir;
  std::string path = dir.file("runs.db");
  std::srand(static_cast<unsigned>(getpid()));
  for (int round = 0; round < 4; ++round) {
    int pipe_fds[2];
    ASSERT_EQ(pipe(pipe_fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      close(pipe_fds[0]);
      write_runs_forever(path, pipe_fds[1]);
    }
    close(pipe_fds[1]);
    char byte = 0;
    ssize_t n = read(pipe_fds[0], &byte, 1);
    close(pipe_fds[0]);
    // Kill at some moment after the first complete run: the point varies between rounds.
    usleep(static_cast<useconds_t>(1000 * (round * 7 + std::rand() % 20)));
    kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_EQ(n, 1) << "the writer failed before its first run (exit status " << status << ")";
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer stopped by itself: " << status;

    Store store = Store::open(path);
    EXPECT_EQ(query_text(StoreConnection::of(store), "PRAGMA integrity_check"), "ok");
    EXPECT_EQ(query_int(StoreConnection::of(store), "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    int completed = 0;
    for (const RunRecord& r : store.runs(-1)) {
      ASSERT_EQ(store.devices(r.id).size(), 2u) << r.id;
      if (r.status == RunStatus::running) {
        EXPECT_TRUE(store.windows(r.id).empty()) << r.id;
        EXPECT_TRUE(store.samples(r.id).empty()) << r.id;
        EXPECT_TRUE(std::isnan(r.energy_j));
      } else {
        ASSERT_EQ(r.status, RunStatus::completed) << r.id;
        ++completed;
        EXPECT_DOUBLE_EQ(r.energy_j, 4321.5);
        std::vector<Measurement> w = store.windows(r.id);
        ASSERT_EQ(w.size(), 3u) << r.id;
        EXPECT_EQ(w[0].name, "run");
        EXPECT_EQ(w[1].parent_id, w[0].id);
        EXPECT_EQ(w[2].parent_id, w[0].id);
        for (const Measurement& m : w) EXPECT_EQ(m.components.size(), 2u);
        EXPECT_EQ(store.samples(r.id).size(), 20u) << r.id;
      }
    }
    EXPECT_GE(completed, round + 1);
  }
}

TEST(Store, ConcurrentProcessesShareOneNewFile) {
  TempDir dir;
  std::string path = dir.file("shared.db");
  const int kWriters = 4, kRunsEach = 15;
  std::vector<pid_t> pids;
  for (int w = 0; w < kWriters; ++w) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      try {
        Store store = Store::open(path);
        for (int i = 0; i < kRunsEach; ++i) {
          int64_t id = store.begin_run(running_record("w"), test_host(), test_sensors());
          store.finish_run(id, completed_record("w"), nested_windows(), test_samples(5));
        }
        _exit(0);
      } catch (const std::exception& e) {
        fprintf(stderr, "writer %d: %s\n", w, e.what());
        _exit(1);
      }
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  }
  Store store = Store::open(path);
  EXPECT_EQ(store.runs(-1).size(), static_cast<size_t>(kWriters * kRunsEach));
  EXPECT_EQ(query_int(StoreConnection::of(store), "SELECT count(*) FROM hosts"), 1);
}

}  // namespace
}  // namespace powertrain

namespace powertrain {
namespace {

TEST(StoreStudies, TrialsAreAppendedOnceInOrder) {
  test::TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  int64_t id = store.create_study("s1", R"({"strategy": "sh"})");
  EXPECT_THROW(store.create_study("s1", "{}"), StoreError);
  try {
    store.create_study("s1", "{}");
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("--resume s1"), std::string::npos) << e.what();
  }
  store.record_study_row(id, 0, R"({"t": 0})", 10.0, 0.5);
  store.record_study_row(id, 1, R"({"t": 1})", NAN, NAN);
  EXPECT_THROW(store.record_study_row(id, 1, R"({"t": "again"})", 1.0, 1.0), StoreError);  // never counted twice
  auto trials = store.study_rows(id);
  ASSERT_EQ(trials.size(), 2u);
  EXPECT_EQ(trials[1], R"({"t": 1})");
  auto s = store.study("s1");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->status, StudyStatus::running);
  store.set_study_status(id, StudyStatus::finished);
  EXPECT_EQ(store.study("s1")->status, StudyStatus::finished);
  EXPECT_FALSE(store.study("nope").has_value());
}

}  // namespace
}  // namespace powertrain
