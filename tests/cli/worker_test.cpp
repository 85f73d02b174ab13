// `powertrain worker`: several processes run one study through a shared log, in SQLite and
// in a real PostgreSQL server started for the test (tests/support/pg_server.sh). Trials
// are simulated on the Zeus traces, so a study takes seconds and its result is known.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "powertrain/serve/dashboard.h"
#include "powertrain/store/store.h"
#include "support/http_client.h"
#include "support/test_support.h"

namespace powertrain::test {
namespace {

const std::string kBin = POWERTRAIN_BIN;
const std::string kTraces = zeus_traces_dir();
const std::string kPgServer = std::string(POWERTRAIN_SOURCE_DIR) + "/tests/support/pg_server.sh";


// The study every test runs: successive halving on the V100 cifar100 trace.
std::vector<std::string> study_args() {
  return {"--simulate", "zeus:" + kTraces, "--gpu", "v100", "--workload", "cifar100", "--strategy", "sh"};
}

// A worker process started in the background.
struct Worker {
  pid_t pid = -1;
  std::string err_path;
};

Worker start_worker(const std::string& storage, const std::string& study, const std::string& id, const TempDir& dir,
                    std::vector<std::string> extra) {
  std::vector<std::string> argv = {kBin, "worker", "--storage", storage, "--study", study, "--worker-id", id,
                                   "--poll-s", "0.05", "--json", dir.file(id + ".json")};
  auto def = study_args();
  argv.insert(argv.end(), def.begin(), def.end());
  argv.insert(argv.end(), extra.begin(), extra.end());
  Worker w;
  w.err_path = dir.file(id + ".err");
  w.pid = start_program(argv, w.err_path);
  return w;
}

int wait_worker(const Worker& w) { return wait_program(w.pid); }

// The sequential `powertrain tune` of the same study: what the workers together must find.
nlohmann::json sequential_result(const TempDir& dir) {
  std::vector<std::string> argv = {kBin, "tune", "--no-store", "-q", "--json", dir.file("seq.json")};
  auto def = study_args();
  argv.insert(argv.end(), def.begin(), def.end());
  auto r = run_program(argv);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return nlohmann::json::parse(read_file(dir.file("seq.json")));
}

// Rows of a query, each row's columns joined by '|': through sqlite3 or psql. With
// `may_fail` (polling while the workers create the tables) an error gives no rows.
std::vector<std::string> query(const std::string& storage, const std::string& sql, bool may_fail = false) {
  RunResult r = storage.rfind("postgresql://", 0) == 0 ? run_program({"psql", storage, "-Atc", sql})
                                                       : run_program({"sqlite3", storage.substr(7), sql});
  if (r.exit_code != 0 && may_fail) return {};
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> rows;
  size_t start = 0;
  while (start < r.out.size()) {
    size_t nl = r.out.find('\n', start);
    if (nl == std::string::npos) nl = r.out.size();
    if (nl > start) rows.push_back(r.out.substr(start, nl - start));
    start = nl + 1;
  }
  return rows;
}

// Checks the log of a finished study: every trial asked once, told once, claimed once per
// attempt, and the result equal to the sequential run's.
void expect_complete_and_equal(const std::string& storage, const std::string& study, const nlohmann::json& seq,
                               const nlohmann::json& worker_json) {
  std::string id = "(SELECT id FROM studies WHERE name = '" + study + "')";
  auto asks = query(storage, "SELECT trial_id FROM study_events WHERE kind = 'ask' AND study_id = " + id);
  auto tells = query(storage, "SELECT trial_id FROM study_events WHERE kind = 'tell' AND study_id = " + id);
  std::set<std::string> ask_set(asks.begin(), asks.end()), tell_set(tells.begin(), tells.end());
  EXPECT_EQ(ask_set.size(), asks.size()) << "a trial was asked twice";
  EXPECT_EQ(tell_set.size(), tells.size()) << "a trial was told twice (run twice and both kept)";
  EXPECT_EQ(ask_set, tell_set) << "an asked trial never finished";
  EXPECT_EQ(tells.size(), seq["trials"].size());
  auto trials = query(storage, "SELECT COUNT(*) FROM study_trials WHERE study_id = " + id);
  EXPECT_EQ(trials, std::vector<std::string>{std::to_string(tells.size())});
  auto not_done = query(storage, "SELECT trial_id FROM study_claims WHERE state <> 'done' AND study_id = " + id);
  EXPECT_TRUE(not_done.empty());
  auto status = query(storage, "SELECT status FROM studies WHERE id = " + id);
  EXPECT_EQ(status, std::vector<std::string>{"finished"});
  // Successive halving waits for each rung, so workers in any order find what one process finds.
  EXPECT_EQ(worker_json["best_config"], seq["best_config"]);
  EXPECT_NEAR(worker_json["search_energy_j"].get<double>(), seq["search_energy_j"].get<double>(),
              1e-9 * seq["search_energy_j"].get<double>());
}

// Starts three workers, SIGKILLs the first while it holds a claim, lets the others finish.
void kill_one_and_finish(const std::string& storage, const TempDir& dir) {
  std::vector<std::string> slow = {"--pace-ms", "150", "--heartbeat-s", "0.2", "--grace-s", "1.5"};
  Worker a = start_worker(storage, "shared", "wa", dir, slow);
  Worker b = start_worker(storage, "shared", "wb", dir, slow);
  Worker c = start_worker(storage, "shared", "wc", dir, slow);
  // Kill wa while it is running a trial (its claim is 'running'), after a few trials. wa is
  // frozen (SIGSTOP) before its claims are read: a worker read as running a trial could
  // otherwise finish it between the read and the kill (CI saw claim 'wa|1|done').
  std::string held;
  for (int i = 0; i < 400 && held.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    auto done = query(storage, "SELECT COUNT(*) FROM study_claims WHERE state = 'done'", true);
    if (done.empty() || std::stoi(done[0]) < 5) continue;
    kill(a.pid, SIGSTOP);
    auto rows = query(storage, "SELECT trial_id FROM study_claims WHERE worker = 'wa' AND state = 'running'", true);
    if (rows.empty()) {
      kill(a.pid, SIGCONT);  // between two trials: let it claim the next one
      continue;
    }
    kill(a.pid, SIGKILL);
    held = rows[0];
  }
  ASSERT_FALSE(held.empty()) << "worker wa never held a claim";
  EXPECT_EQ(wait_worker(a), 128 + SIGKILL);
  // Dead now, wa never finished that trial: it is still wa's, or already taken over.
  auto after = query(storage, "SELECT worker, state FROM study_claims WHERE trial_id = " + held);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_NE(after[0], "wa|done") << "wa finished trial " << held << " before it was killed";
  EXPECT_EQ(wait_worker(b), 0) << read_file(b.err_path);
  EXPECT_EQ(wait_worker(c), 0) << read_file(c.err_path);
  // The killed worker's trial was taken over by another worker and finished once.
  auto claim = query(storage, "SELECT worker, attempts, state FROM study_claims WHERE trial_id = " + held);
  ASSERT_EQ(claim.size(), 1u);
  EXPECT_TRUE(claim[0] == "wb|2|done" || claim[0] == "wc|2|done") << claim[0];
  std::string msgs = read_file(b.err_path) + read_file(c.err_path);
  EXPECT_NE(msgs.find("takes over trial " + held + " from wa"), std::string::npos) << msgs;
  expect_complete_and_equal(storage, "shared", sequential_result(dir), nlohmann::json::parse(read_file(dir.file("wb.json"))));
}

TEST(WorkerCli, WorkersShareAStudyInSqliteAndFindWhatOneProcessFinds) {
  SKIP_WITHOUT_TRACES();
  TempDir dir;
  std::string storage = "sqlite:" + dir.file("study.db");
  std::vector<Worker> workers;
  for (const char* id : {"w1", "w2", "w3"}) workers.push_back(start_worker(storage, "shared", id, dir, {"-q"}));
  size_t total = 0;
  for (size_t i = 0; i < workers.size(); ++i) {
    ASSERT_EQ(wait_worker(workers[i]), 0) << read_file(workers[i].err_path);
    total += nlohmann::json::parse(read_file(dir.file("w" + std::to_string(i + 1) + ".json")))["worker_trials"].size();
  }
  nlohmann::json seq = sequential_result(dir);
  EXPECT_EQ(total, seq["trials"].size()) << "the workers' trials add up to the study's";
  expect_complete_and_equal(storage, "shared", seq, nlohmann::json::parse(read_file(dir.file("w1.json"))));
}

TEST(WorkerCli, KilledWorkersTrialIsRetriedInSqlite) {
  SKIP_WITHOUT_TRACES();
  TempDir dir;
  kill_one_and_finish("sqlite:" + dir.file("study.db"), dir);
}

TEST(WorkerCli, JoiningNeedsAnExistingStudyOrTheSameDefinition) {
  SKIP_WITHOUT_TRACES();
  TempDir dir;
  std::string storage = "sqlite:" + dir.file("study.db");
  auto r = run_program({kBin, "worker", "--storage", storage, "--study", "nope"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no study named 'nope'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("create it by giving the first worker its definition"), std::string::npos) << r.err;

  std::vector<std::string> argv = {kBin, "worker", "--storage", storage, "--study", "s", "-q", "--max-trials", "1"};
  auto def = study_args();
  argv.insert(argv.end(), def.begin(), def.end());
  r = run_program(argv);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Same name, another strategy: refused, nothing written.
  argv.push_back("--seed");
  argv.push_back("7");
  r = run_program(argv);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("was created with a different definition"), std::string::npos) << r.err;
  // No definition: joins the stored one and finishes it.
  r = run_program({kBin, "worker", "--storage", storage, "--study", "s", "-q", "--poll-s", "0.01"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  expect_complete_and_equal(storage, "s", sequential_result(dir),
                            nlohmann::json::parse(run_program({kBin, "worker", "--storage", storage, "--study", "s", "-q",
                                                               "--json", "-"})
                                                      .out));
}

// A real PostgreSQL server on loopback, started once for the PostgreSQL tests.
class Postgres : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    RunResult r = run_program({"bash", kPgServer, "start", dir_->file("pg")});
    ASSERT_EQ(r.exit_code, 0) << "could not start PostgreSQL: " << r.err;
    url_ = r.out.substr(0, r.out.find('\n'));
  }
  static void TearDownTestSuite() {
    run_program({"bash", kPgServer, "stop", dir_->file("pg")});
    delete dir_;
  }
  static TempDir* dir_;
  static std::string url_;
};
TempDir* Postgres::dir_ = nullptr;
std::string Postgres::url_;

TEST_F(Postgres, WorkersClaimAtomicallyAndAKilledWorkersTrialIsRetried) {
  SKIP_WITHOUT_TRACES();
  ASSERT_FALSE(url_.empty());
  TempDir dir;
  kill_one_and_finish(url_, dir);
}

// `powertrain serve --storage URL`: the dashboard lists the shared log's studies and draws
// a study's page from it, through a read-only connection that changes nothing.
TEST_F(Postgres, DashboardShowsTheSharedStudiesReadOnly) {
  SKIP_WITHOUT_TRACES();
  ASSERT_FALSE(url_.empty());
  TempDir dir;
  Worker w = start_worker(url_, "dash", "wd", dir, {"--pace-ms", "0"});
  ASSERT_EQ(wait_worker(w), 0) << read_file(w.err_path);
  Store::open(dir.file("empty.db"));
  auto rows = [&](const std::string& sql) { return run_program({"psql", url_, "-Atc", sql}).out; };
  const std::string count_sql =
      "SELECT (SELECT count(*) FROM studies) || '/' || (SELECT count(*) FROM study_trials) || '/' || "
      "(SELECT count(*) FROM study_events)";
  std::string before = rows(count_sql);

  DashboardOptions o;
  o.db_path = dir.file("empty.db");
  o.storage_url = url_;
  o.port = 0;
  Dashboard d(o);
  int port = d.bind();
  std::thread server([&] { d.serve(); });
  Reply list = get(port, "/studies");
  EXPECT_EQ(list.status, 200);
  EXPECT_NE(list.body.find(">dash</a>"), std::string::npos) << list.body;
  EXPECT_NE(list.body.find("the study log postgresql://"), std::string::npos);
  std::string id = rows("SELECT id FROM studies WHERE name = 'dash'");
  id = id.substr(0, id.find('\n'));
  Reply page = get(port, "/studies/" + id);
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<svg"), std::string::npos);      // metric against energy, the Pareto front
  EXPECT_NE(page.body.find("id=\"rungs\""), std::string::npos);  // successive halving's rungs
  EXPECT_EQ(get(port, "/studies/999999").status, 404);
  d.stop();
  server.join();
  EXPECT_EQ(rows(count_sql), before);

  // A database without powertrain's tables is refused and left without them.
  std::string other = url_.substr(0, url_.rfind('/')) + "/template1";
  o.storage_url = other;
  EXPECT_THROW(Dashboard{o}, StoreError);
  EXPECT_EQ(run_program({"psql", other, "-Atc", "SELECT to_regclass('studies') IS NULL"}).out, "t\n");
}

TEST_F(Postgres, UnreachableServerIsAClearError) {
  auto r = run_program({kBin, "worker", "--storage", "postgresql://nobody:secret@127.0.0.1:1/none", "--study", "s"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cannot connect to postgresql://nobody:***@127.0.0.1:1/none"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("secret"), std::string::npos) << "the password is never printed";
}

}  // namespace
}  // namespace powertrain::test
