// `powertrain measure` end to end: the real binary on real child processes, with fake
// hardware only at its boundary (NVML library, powercap tree) or none at all (estimate).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/cli_fixture.h"

namespace powertrain::test {
namespace {

const std::string kBin = POWERTRAIN_BIN;

bool exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

std::vector<std::string> cmd(std::vector<std::string> args) {
  args.insert(args.begin(), {kBin, "measure"});
  return args;
}

TEST(Measure, ForwardsExitCodeAndOutputStreams) {
  TempDir dir;
  auto r = run_program(cmd({"--db", dir.file("p.db"), "--", "sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 7"}),
                       no_hardware_env(dir));
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_EQ(r.out, "to-stdout\n");  // the summary goes to stderr, the child's stdout stays clean
  EXPECT_NE(r.err.find("to-stderr"), std::string::npos);
  EXPECT_NE(r.err.find("failed (exit code 7)"), std::string::npos) << r.err;
  auto rows = query(dir.file("p.db"), "SELECT status, exit_code FROM runs");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], "failed");
  EXPECT_EQ(rows[0][1], "7");
}

TEST(Measure, ForwardsStandardInput) {
  TempDir dir;
  auto r = run_program(cmd({"--no-store", "-q", "--", "sh", "-c", "read line; echo got:$line"}), no_hardware_env(dir),
                       "hello\n");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "got:hello\n");
}

TEST(Measure, WithoutCountersReportsALabelledEstimate) {
  TempDir dir;
  auto r = run_program(cmd({"--db", dir.file("p.db"), "--json", dir.file("m.json"), "--", "sh", "-c",
                            "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done"}),
                       no_hardware_env(dir));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(read_file(dir.file("m.json")));
  EXPECT_EQ(j["schema"], "powertrain.measure/1");
  EXPECT_EQ(j["status"], "completed");
  EXPECT_EQ(j["exit_code"], 0);
  EXPECT_EQ(j["run_id"], 1);
  EXPECT_EQ(j["command"][0], "sh");
  auto m = j["measurement"];
  EXPECT_GT(m["duration_s"].get<double>(), 0.0);
  EXPECT_EQ(m["provenance"], "estimated");
  ASSERT_EQ(m["components"].size(), 1u);
  EXPECT_EQ(m["components"][0]["component"], "cpu_estimate");
  EXPECT_GT(m["components"][0]["energy_j"].get<double>(), 0.0);
  EXPECT_TRUE(m["components"][0]["uncertainty_j"].is_null());  // an estimate has no honest bound
  EXPECT_NE(m["components"][0]["note"].get<std::string>().find("TDP"), std::string::npos);
  EXPECT_EQ(j["carbon"]["grid"], "WORLD");
  EXPECT_GT(j["carbon"]["co2e_g"].get<double>(), 0.0);
  EXPECT_FALSE(j["carbon"]["equivalent_sources"].get<std::string>().empty());
  bool nvml_listed = false;
  for (const auto& s : j["sensors"]) nvml_listed |= s["source"] == "estimate";
  EXPECT_TRUE(nvml_listed);
  EXPECT_NE(r.err.find("estimated"), std::string::npos);
}

TEST(Measure, CountersFromFakeGpuAndRaplAreExactAndStored) {
  FakeMachine hw;
  hw.gpu_counter(1000, 150000);
  hw.rapl(1000000, 200000);
  // The workload itself advances the fake counters, as real hardware would while it runs.
  std::string work = "sleep 0.3; echo 'NVIDIA_Test_GPU GPU-aaaa1111 counter 5000 150000' > " + hw.nvml_state() +
                     "; echo 3500000 > " + hw.powercap() + "/intel-rapl:0/energy_uj" +
                     "; echo 700000 > " + hw.powercap() + "/intel-rapl:0:1/energy_uj; sleep 0.3";
  std::string db = hw.dir.file("p.db");
  auto r = run_program(cmd({"--db", db, "--grid", "FR", "--pue", "1.5", "--json", hw.dir.file("m.json"),
                            "--csv", hw.dir.file("m.csv"), "--interval-ms", "20", "--sample-bucket-s", "0.05",
                            "--", "sh", "-c", work}),
                       hw.env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(read_file(hw.dir.file("m.json")));
  std::map<std::string, nlohmann::json> comp;
  for (const auto& c : j["measurement"]["components"]) comp[c["component"]] = c;
  ASSERT_EQ(comp.size(), 3u) << j.dump(2);  // gpu:0, cpu_package:0, dram:0 (core zone skipped)
  EXPECT_DOUBLE_EQ(comp["gpu:0"]["energy_j"].get<double>(), 4.0);
  EXPECT_EQ(comp["gpu:0"]["provenance"], "measured_counter");
  EXPECT_DOUBLE_EQ(comp["cpu_package:0"]["energy_j"].get<double>(), 2.5);
  EXPECT_DOUBLE_EQ(comp["dram:0"]["energy_j"].get<double>(), 0.5);
  EXPECT_EQ(j["measurement"]["provenance"], "measured_counter");
  EXPECT_DOUBLE_EQ(j["measurement"]["energy_j"].get<double>(), 7.0);
  // CO2e = 7 J / 3.6e6 x PUE 1.5 x 56 g/kWh (France).
  EXPECT_NEAR(j["carbon"]["co2e_g"].get<double>(), 7.0 / 3.6e6 * 1.5 * 56, 1e-12);

  auto runs = query(db, "SELECT status, exit_code, energy_j, energy_provenance, grid, pue FROM runs");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0][0], "completed");
  EXPECT_DOUBLE_EQ(std::stod(runs[0][2]), 7.0);
  EXPECT_EQ(runs[0][3], "measured_counter");
  EXPECT_EQ(runs[0][4], "FR");
  auto comps = query(db, "SELECT component, energy_j, provenance FROM window_components ORDER BY component");
  ASSERT_EQ(comps.size(), 3u);
  EXPECT_EQ(comps[0][0], "cpu_package:0");
  EXPECT_DOUBLE_EQ(std::stod(comps[0][1]), 2.5);
  EXPECT_EQ(query(db, "SELECT COUNT(*) FROM windows")[0][0], "1");
  EXPECT_GT(std::stoi(query(db, "SELECT COUNT(*) FROM samples WHERE component = 'gpu:0'")[0][0]), 0);
  auto devices = query(db, "SELECT component, working FROM devices WHERE source = 'rapl' ORDER BY component");
  EXPECT_GE(devices.size(), 3u);  // package, dram and the skipped core zone

  std::string csv = read_file(hw.dir.file("m.csv"));
  EXPECT_EQ(csv.rfind("run_id,window,component,kind,source,duration_s,energy_j", 0), 0u) << csv;
  EXPECT_NE(csv.find(",gpu:0,gpu,nvml,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",total,total,"), std::string::npos) << csv;
}

// Waits until the run row exists (the child is running). Returns false after 30 s.
bool wait_for_running_row(const std::string& db) {
  for (int i = 0; i < 600; ++i) {
    if (exists(db)) {
      try {
        if (!query(db, "SELECT id FROM runs WHERE status = 'running'").empty()) return true;
      } catch (...) {
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST(Measure, SigtermIsForwardedAndThePartialRunIsRecorded) {
  TempDir dir;
  std::string db = dir.file("p.db");
  auto env = no_hardware_env(dir);
  pid_t pid = start_program(cmd({"--db", db, "--", "sleep", "30"}), dir.file("log"), env);
  ASSERT_TRUE(wait_for_running_row(db));
  kill(pid, SIGTERM);  // sent to powertrain alone: it must reach the child
  EXPECT_EQ(wait_program(pid), 128 + SIGTERM);
  auto rows = query(db, "SELECT status, exit_code FROM runs");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], "interrupted");
  EXPECT_EQ(rows[0][1], std::to_string(128 + SIGTERM));
  EXPECT_EQ(query(db, "SELECT COUNT(*) FROM window_components")[0][0], "1");
}

TEST(Measure, CtrlCToTheProcessGroupStopsTheChildAndKeepsTheRun) {
  TempDir dir;
  std::string db = dir.file("p.db");
  pid_t pid = start_program(cmd({"--db", db, "--", "sleep", "30"}), dir.file("log"), no_hardware_env(dir), true);
  ASSERT_TRUE(wait_for_running_row(db));
  kill(-pid, SIGINT);  // what a terminal does on Ctrl-C: the whole foreground group
  EXPECT_EQ(wait_program(pid), 128 + SIGINT);
  auto rows = query(db, "SELECT status FROM runs");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], "interrupted");
  EXPECT_NE(read_file(dir.file("log")).find("interrupted"), std::string::npos);
}

// ---- Bad input: a clear message, a non-zero exit, nothing written, nothing run ------------

struct BadInput : ::testing::Test {
  TempDir dir;
  std::string db() const { return dir.file("p.db"); }
  std::string marker() const { return dir.file("marker"); }
  RunResult run(std::vector<std::string> args) { return run_program(cmd(std::move(args)), no_hardware_env(dir)); }
  void expect_nothing_written() {
    EXPECT_FALSE(exists(db())) << "the store was created";
    EXPECT_FALSE(exists(marker())) << "the command ran";
  }
};

TEST_F(BadInput, UnknownFlag) {
  auto r = run({"--db", db(), "--bogus", "--", "touch", marker()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--bogus"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--help"), std::string::npos) << r.err;
  expect_nothing_written();
}

// NaN passes a plain range check (every comparison with it is false): each number from the
// command line is refused unless finite and in range, before anything runs or is written.
TEST_F(BadInput, NonFiniteNumbersAreRefused) {
  for (const char* flag : {"--cpu-tdp-w", "--interval-ms", "--pue", "--idle-baseline-s", "--sample-bucket-s", "--grid-g-per-kwh"}) {
    for (const char* value : {"nan", "inf"}) {
      auto r = run({"--db", db(), flag, value, "--", "touch", marker()});
      EXPECT_EQ(r.exit_code, 2) << flag << " " << value << ": " << r.err;
      EXPECT_NE(r.err.find("finite"), std::string::npos) << flag << " " << value << ": " << r.err;
      expect_nothing_written();
    }
  }
  // The same rule in the other commands that take such numbers.
  for (std::vector<std::string> args : {std::vector<std::string>{kBin, "serve", "--poll-s", "nan", "--db", db()},
                                        {kBin, "tune", "--simulate", "zeus:/nonexistent", "--max-budget", "nan", "--no-store"},
                                        {kBin, "study", "precision", "--target", "nan", "--no-store"},
                                        {kBin, "lr-find", "x.json", "--start-lr", "nan"}}) {
    auto r = run_program(args, no_hardware_env(dir));
    EXPECT_EQ(r.exit_code, 2) << args[1] << ": " << r.err;
    EXPECT_NE(r.err.find("finite"), std::string::npos) << args[1] << ": " << r.err;
  }
  expect_nothing_written();
}

// The commands that only read (report, export, advise) read a store the user may read but
// not write (a shared results file, a colleague's store), as serve does; the file stays as it
// was. As root, permission bits do not apply, so they run as "nobody" through runuser.
TEST_F(BadInput, ReadersReadAStoreTheUserCannotWrite) {
  auto m = run({"--db", db(), "--", "true"});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  ASSERT_EQ(::chmod(dir.path().c_str(), 0555), 0);
  ASSERT_EQ(::chmod(db().c_str(), 0444), 0);
  const std::string before = read_file(db());
  std::vector<std::string> as_user;
  if (geteuid() == 0) as_user = {"/usr/sbin/runuser", "-u", "nobody", "--"};
  for (std::vector<std::string> args : {std::vector<std::string>{kBin, "report", "1", "--format", "text", "--db", db()},
                                        {kBin, "export", "run", "1", "--db", db(), "--out", "-"},
                                        {kBin, "advise", "--db", db()}}) {
    args.insert(args.begin(), as_user.begin(), as_user.end());
    auto r = run_program(args, no_hardware_env(dir));
    EXPECT_EQ(r.exit_code, 0) << args[as_user.size() + 1] << ": " << r.err;
    EXPECT_EQ(r.err.find("read-only"), std::string::npos) << r.err;
  }
  EXPECT_EQ(read_file(db()), before);
  ::chmod(dir.path().c_str(), 0755);
}

TEST_F(BadInput, MissingCommand) {
  auto r = run({"--db", db()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no command given"), std::string::npos) << r.err;
  expect_nothing_written();
}

TEST_F(BadInput, CommandNotFound) {
  auto r = run({"--db", db(), "--", "no-such-program-xyz", "arg"});
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_NE(r.err.find("no-such-program-xyz"), std::string::npos) << r.err;
  expect_nothing_written();
}

TEST_F(BadInput, DbInMissingDirectory) {
  auto r = run({"--db", dir.file("missing/dir/p.db"), "--", "touch", marker()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("missing/dir"), std::string::npos) << r.err;
  EXPECT_FALSE(exists(dir.file("missing")));
  expect_nothing_written();
}

TEST_F(BadInput, DbIsNotAStore) {
  write_file(db(), "this is not a database, it is a text file that must stay as it is\n");
  auto r = run({"--db", db(), "--", "touch", marker()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not"), std::string::npos) << r.err;
  EXPECT_EQ(read_file(db()), "this is not a database, it is a text file that must stay as it is\n");
  EXPECT_FALSE(exists(marker()));
}

TEST_F(BadInput, ImpossibleValues) {
  for (auto args : std::vector<std::vector<std::string>>{{"--pue", "0.5"}, {"--interval-ms", "0"},
                                                         {"--grid", "XX"}, {"--json", dir.file("no/such/dir/m.json")}}) {
    args.insert(args.end(), {"--db", db(), "--", "touch", marker()});
    auto r = run(args);
    EXPECT_EQ(r.exit_code, 2) << args[0];
    EXPECT_NE(r.err.find(args[0] == "--grid" ? "unknown grid 'XX'" : args[0]), std::string::npos) << r.err;
    expect_nothing_written();
  }
}

}  // namespace
}  // namespace powertrain::test

namespace powertrain::test {
namespace {

TEST(Measure, ReplayedTraceIsIntegratedWithItsProvenance) {
  TempDir dir;
  write_file(dir.file("t.csv"), "t_s,component,power_w\n0,gpu:0,100\n0,cpu_package:0,40\n");
  auto r = run_program({POWERTRAIN_BIN, "measure", "--no-store", "--replay", dir.file("t.csv"), "--json", dir.file("m.json"),
                        "--", "sleep", "0.3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(read_file(dir.file("m.json")));
  std::map<std::string, nlohmann::json> comp;
  for (const auto& c : j["measurement"]["components"]) comp[c["component"]] = c;
  ASSERT_EQ(comp.size(), 2u);
  // Constant power: Eq. 1 gives exactly power x duration.
  EXPECT_NEAR(comp["gpu:0"]["avg_power_w"].get<double>(), 100.0, 1e-9);
  EXPECT_NEAR(comp["cpu_package:0"]["avg_power_w"].get<double>(), 40.0, 1e-9);
  EXPECT_EQ(comp["gpu:0"]["provenance"], "integrated_power");
  EXPECT_EQ(comp["gpu:0"]["source"], "replay");
  // A file that is no trace is bad input: a clear message, exit 2, no store written.
  auto bad = run_program({POWERTRAIN_BIN, "measure", "--db", dir.file("p.db"), "--replay",
                          std::string(POWERTRAIN_SOURCE_DIR) + "/README.md", "--", "true"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("t_s,component,power_w"), std::string::npos) << bad.err;
  struct stat st;
  EXPECT_NE(::stat(dir.file("p.db").c_str(), &st), 0);
}

}  // namespace
}  // namespace powertrain::test

namespace powertrain::test {
namespace {

// The event channel (docs/events.md): a child's own epochs, metrics and windows.
TEST(MeasureEvents, EpochsOfTheChildAreStoredAndAddUpToTheRun) {
  TempDir dir;
  write_file(dir.file("t.csv"), "t_s,component,power_w\n0,gpu:0,100\n");
  const std::string script =
      "fd=$POWERTRAIN_EVENTS_FD; [ \"$POWERTRAIN_EVENTS_VERSION\" = 1 ] || exit 9\n"
      "for i in 1 2; do echo \"begin epoch $i\" >&$fd; sleep 0.2; echo \"metric train_loss 0.$i\" >&$fd;"
      " echo \"end epoch $i\" >&$fd; echo \"metric val_accuracy 0.8$i epoch $i\" >&$fd; done\n";
  auto r = run_program(cmd({"--db", dir.file("p.db"), "--replay", dir.file("t.csv"), "--json", dir.file("m.json"), "--", "sh", "-c",
                            script}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("events           2 windows (2 epochs), 4 metrics"), std::string::npos) << r.err;
  auto j = nlohmann::json::parse(read_file(dir.file("m.json")));
  ASSERT_EQ(j["epochs"].size(), 2u);
  double epochs_j = 0, epochs_s = 0;
  for (const auto& e : j["epochs"]) {
    // Constant 100 W: each epoch's energy is exactly 100 W x its duration.
    EXPECT_NEAR(e["energy_j"].get<double>(), 100.0 * e["duration_s"].get<double>(), 1e-6);
    epochs_j += e["energy_j"].get<double>();
    epochs_s += e["duration_s"].get<double>();
  }
  // The epochs plus the time outside them make the run.
  const double run_j = j["measurement"]["energy_j"].get<double>(), run_s = j["measurement"]["duration_s"].get<double>();
  EXPECT_NEAR(epochs_j + 100.0 * (run_s - epochs_s), run_j, 1e-6);
  EXPECT_LT(epochs_j, run_j);
  // Stored like a training run's epochs: energy and metrics per epoch, one row each.
  auto rows = query(dir.file("p.db"), "SELECT epoch, train_loss, val_metric, energy_provenance FROM epochs ORDER BY epoch");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][0], "1");
  EXPECT_EQ(rows[1][1], "0.2");
  EXPECT_EQ(rows[1][2], "0.82");
  EXPECT_EQ(rows[0][3], "integrated_power");
  auto windows = query(dir.file("p.db"), "SELECT name FROM windows WHERE name LIKE 'epoch %' ORDER BY name");
  ASSERT_EQ(windows.size(), 2u);
  auto meta = nlohmann::json::parse(query(dir.file("p.db"), "SELECT meta_json FROM runs")[0][0]);
  EXPECT_EQ(meta["events"]["epochs"], 2);
}

TEST(MeasureEvents, AGarbageStreamLeavesTheRunRecordedAndTheChildUnaffected) {
  TempDir dir;
  // Garbage, unbalanced windows, an over-long line, and 10^5 events; then the child's own work.
  const std::string script =
      "fd=$POWERTRAIN_EVENTS_FD\n"
      "printf 'hello\\n\\001\\002 binary\\nend never-opened\\nbegin epoch 1\\nend epoch 1\\nend epoch 1\\nmetric loss nan\\n' >&$fd\n"
      "head -c 10000 /dev/zero | tr '\\0' x >&$fd; echo >&$fd\n"
      "awk 'BEGIN { for (i = 0; i < 25000; i++) printf \"begin step\\nmetric loss 0.5\\nend step\\nbegin deep\\n\" }' >&$fd\n"
      "echo 'begin left open' >&$fd\n"
      "echo done > " + dir.file("child.out") + "\nexit 3\n";
  auto r = run_program(cmd({"--db", dir.file("p.db"), "--json", dir.file("m.json"), "--", "sh", "-c", script}), no_hardware_env(dir));
  EXPECT_EQ(r.exit_code, 3) << r.err;                   // the child's own exit code
  EXPECT_EQ(read_file(dir.file("child.out")), "done\n");  // and its work, untouched
  EXPECT_NE(r.err.find("problems ignored"), std::string::npos) << r.err;
  auto j = nlohmann::json::parse(read_file(dir.file("m.json")));
  const auto& ev = j["events"];
  EXPECT_EQ(ev["lines"], 7 + 1 + 100000 + 1);
  EXPECT_EQ(ev["problems"]["unknown event"], 2);
  EXPECT_EQ(ev["problems"]["end of a window that is not open"], 2);
  EXPECT_EQ(ev["problems"]["bad metric"], 1);
  EXPECT_EQ(ev["problems"]["line too long"], 1);
  EXPECT_GT(ev["problems"]["window over the limit"].get<int>(), 0);
  EXPECT_GT(ev["problems"]["window never closed"].get<int>(), 0);
  // The run is recorded, with its one epoch and the events' account.
  auto rows = query(dir.file("p.db"), "SELECT status, exit_code FROM runs");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], "failed");
  EXPECT_EQ(rows[0][1], "3");
  EXPECT_EQ(query(dir.file("p.db"), "SELECT count(*) FROM epochs")[0][0], "1");
  auto meta = nlohmann::json::parse(query(dir.file("p.db"), "SELECT meta_json FROM runs")[0][0]);
  EXPECT_EQ(meta["events"]["problems"]["line too long"], 1);
}

TEST(MeasureEvents, NoEventsLeavesTheChannelClosed) {
  TempDir dir;
  auto r = run_program(cmd({"--no-store", "-q", "--no-events", "--", "sh", "-c", "echo fd=${POWERTRAIN_EVENTS_FD:-none}"}),
                       no_hardware_env(dir));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "fd=none\n");
  // A command that never writes an event is measured as before: no events in its result.
  auto plain = run_program(cmd({"--no-store", "-q", "--json", "-", "--", "true"}), no_hardware_env(dir));
  EXPECT_TRUE(nlohmann::json::parse(plain.out)["events"].is_null());
}

}  // namespace
}  // namespace powertrain::test
