// `powertrain train` stopped by a signal, as a terminal (SIGINT), `kill`, `timeout` or a batch
// scheduler (SIGTERM) stops it: it finishes the current step, keeps the run as `interrupted`
// with every finished epoch, and exits 128 + the signal. Real training on Fashion-MNIST.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <thread>

#include "powertrain/store/store.h"
#include "support/test_support.h"

namespace powertrain::test {
namespace {

const std::string kData = "/usr/share/datasets/fashion-mnist";
const std::string kBin = POWERTRAIN_BIN;

bool have_data() {
  struct stat st;
  return ::stat(kData.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// A run that would go on for 1000 epochs (no early stopping): only the signal ends it.
std::string write_endless_config(const TempDir& dir) {
  std::string path = dir.file("endless.json");
  std::ofstream(path) << R"({
    "name": "endless",
    "data": {"format": "idx", "path": ")" << kData << R"(", "subset": 2000},
    "model": {"type": "mlp", "hidden": [64]},
    "training": {"epochs": 1000, "batch_size": 64, "threads": 1, "blas_threads": 1},
    "early_stopping": {"patience": 0}
  })";
  return path;
}

// Waits until the newest run in `db` has at least one stored epoch; returns its id, or 0.
int64_t wait_for_an_epoch(const std::string& db, pid_t pid, double max_s) {
  auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < max_s) {
    if (kill(pid, 0) != 0) return 0;  // ended (or never started)
    try {
      Store store = Store::open_read_only(db);
      std::vector<RunRecord> runs = store.runs(1);
      if (!runs.empty() && !store.epochs(runs.front().id).empty()) return runs.front().id;
    } catch (const std::exception&) {
      // not created yet
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return 0;
}

// Bad configs are bad input: exit 2 with the key named, never an abort (1e400 used to
// escape as an uncaught exception, exit 134) and never a misleading "not valid JSON".
TEST(TrainCli, BadConfigsExitTwoNamingTheProblem) {
  TempDir dir;
  const std::string huge = dir.file("huge.json");
  std::ofstream(huge) << R"({"optimizer": {"lr": 1e400}})";
  RunResult r = run_program({kBin, "train", huge, "--no-store", "-q"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("optimizer.lr: 1e400 is not a finite number"), std::string::npos) << r.err;
  r = run_program({kBin, "train", dir.path(), "--no-store", "-q"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("is a directory, not a config file"), std::string::npos) << r.err;
  r = run_program({kBin, "lr-find", huge, "--no-store"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("optimizer.lr: 1e400"), std::string::npos) << r.err;
}

// Bad data is bad input too (exit 2, as docs/train.md says), named before any training; and
// a command that fails leaves no empty store behind where there was none.
TEST(TrainCli, BadDataAndUnwritableOutputsExitTwoAndLeaveNoStore) {
  TempDir dir;
  std::ofstream(dir.file("nan.csv")) << "a,b,label\n1,2,0\n3,nan,1\n";
  std::ofstream(dir.file("nan.json")) << R"({"data": {"format": "csv", "path": ")" << dir.file("nan.csv") << R"("}})";
  const std::string db = dir.file("new.db");
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{kBin, "train", dir.file("nan.json"), "--db", db, "-q"}, "nan.csv:3:2: column 'b'"},
      {{kBin, "train", dir.file("nan.json"), "--db", db, "-q", "--set", "data.path=" + dir.file("absent")}, "absent"},
      {{kBin, "train", dir.file("nan.json"), "--db", db, "-q", "--set", "data.path=" + kData, "--set", "data.format=idx",
        "--set", "checkpoint.path=" + dir.file("no/such/dir/ck.pt")},
       "checkpoint.path: cannot write"},
      // A study's report is checked before the study trains (it was found unwritable only at the end).
      {{kBin, "study", "precision", "--db", db, "-q", "--report", dir.file("no/such/dir/p.html")}, "--report"},
  };
  for (const Case& c : cases) {
    RunResult r = run_program(c.args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
    struct stat st;
    EXPECT_NE(::stat(db.c_str(), &st), 0) << "a failed command left " << db << " behind: " << r.err;
  }
}

TEST(TrainCli, SigtermAndSigintStopAfterTheStepAndKeepTheRun) {
  if (!have_data()) GTEST_SKIP() << "Fashion-MNIST is not installed at " << kData;
  TempDir dir;
  const std::string config = write_endless_config(dir);
  for (int sig : {SIGTERM, SIGINT}) {
    SCOPED_TRACE("signal " + std::to_string(sig));
    const std::string db = dir.file("s" + std::to_string(sig) + ".db");
    const std::string log = dir.file("train" + std::to_string(sig) + ".log");
    pid_t pid = start_program({kBin, "train", config, "--db", db}, log);
    int64_t id = wait_for_an_epoch(db, pid, 120);
    ASSERT_GT(id, 0) << read_file(log);
    ASSERT_EQ(kill(pid, sig), 0);
    EXPECT_EQ(wait_program(pid), 128 + sig) << read_file(log);

    Store store = Store::open_read_only(db);
    std::optional<RunRecord> run = store.run(id);
    ASSERT_TRUE(run.has_value());
    EXPECT_EQ(run->status, RunStatus::interrupted);
    EXPECT_TRUE(std::isfinite(run->energy_j)) << "the interrupted run has its energy";
    std::vector<EpochRecord> epochs = store.epochs(id);
    ASSERT_GE(epochs.size(), 1u);
    for (const EpochRecord& e : epochs) EXPECT_TRUE(std::isfinite(e.energy_j)) << "epoch " << e.epoch;
    EXPECT_NE(read_file(log).find("interrupted"), std::string::npos) << read_file(log);
  }
}

}  // namespace
}  // namespace powertrain::test
