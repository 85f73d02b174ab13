// worker_test.cpp: workers in this process (threads, each with its own connection) share a
// study through an SQLite study log; every asked trial is told exactly once, a trial a dead
// worker held is taken over, and the result equals one process's. No subprocess.
#include "powertrain/search/worker.h"

#include <gtest/gtest.h>

#include <thread>

#include "support/test_support.h"

using namespace powertrain;
using namespace powertrain::search;

namespace {

StudySpec zeus_sh() {
  StudySpec o;
  o.strategy = "sh";
  return zeus_study({"zeus:" + test::zeus_traces_dir(), "v100", "cifar100"}, o);
}

WorkerOptions fast(const std::string& storage, const std::string& id) {
  WorkerOptions w;
  w.storage = storage;
  w.worker_id = id;
  w.poll_s = 0.01;
  w.heartbeat_s = 0.05;
  w.grace_s = 1;
  return w;
}

}  // namespace

TEST(Worker, TwoWorkersTellEveryTrialOnceAndMatchOneProcess) {
  SKIP_WITHOUT_TRACES();
  StudyRunner alone(zeus_sh(), {});
  MemoryTrialLog alone_log;
  alone.run(alone_log);

  test::TempDir dir;
  const std::string storage = "sqlite:" + dir.file("study.db");
  int64_t id = StudyLog::open(storage)->ensure_study("shared", spec_to_json(zeus_sh()).dump(), "tune");
  WorkerResult a, b;
  auto work = [&](const std::string& name, WorkerResult& out) {
    auto log = StudyLog::open(storage);
    StudyRunner runner(zeus_sh(), {});
    out = Worker(*log, id, runner, fast(storage, name)).run();
  };
  std::thread ta(work, "a", std::ref(a)), tb(work, "b", std::ref(b));
  ta.join();
  tb.join();
  EXPECT_TRUE(a.study_finished || b.study_finished);
  EXPECT_EQ(a.mine.size() + b.mine.size(), alone.trials().size());
  std::set<long> told;
  for (const auto* r : {&a, &b}) {
    for (const auto& t : r->mine) EXPECT_TRUE(told.insert(t.record.trial.id).second) << "trial " << t.record.trial.id << " told twice";
  }
  auto log = StudyLog::open(storage);
  EXPECT_EQ(log->study("shared")->status, StudyStatus::finished);
  EXPECT_EQ(log->trials(id).size(), alone.trials().size());
  SearchSummary s = (a.study_finished ? a : b).summary;
  SearchSummary one = alone.summary(Ending::finished);
  EXPECT_EQ(tune::config_key(*s.chosen), tune::config_key(*one.chosen));
  EXPECT_NEAR(s.search_energy_j, one.search_energy_j, 1e-9 * one.search_energy_j);  // summed in another order
  EXPECT_EQ(s.energy_provenance, Provenance::simulated);
}

TEST(Worker, ADeadWorkersClaimIsTakenOver) {
  SKIP_WITHOUT_TRACES();
  test::TempDir dir;
  const std::string storage = "sqlite:" + dir.file("study.db");
  auto log = StudyLog::open(storage);
  int64_t id = log->ensure_study("s", spec_to_json(zeus_sh()).dump(), "tune");
  // A worker that asked and claimed trial 0, then died (no heartbeat ever again).
  StudyRunner ghost(zeus_sh(), {});
  log->locked(id, [&](StudyTxn& tx) {
    ghost.replay(tx.events());
    auto t = ghost.ask();
    ASSERT_TRUE(t.has_value());
    tx.append_ask(*t);
    tx.claim(t->id, "ghost");
  });
  StudyRunner runner(zeus_sh(), {});
  WorkerOptions w = fast(storage, "live");
  w.grace_s = 0.05;  // the ghost's claim is older than this by the time the worker looks
  std::vector<std::string> said;
  w.say = [&](const std::string& m) { said.push_back(m); };
  WorkerResult r = Worker(*log, id, runner, w).run();
  EXPECT_TRUE(r.study_finished);
  bool took_over = false;
  for (const auto& m : said) took_over |= m.find("takes over trial 0 from ghost") != std::string::npos;
  EXPECT_TRUE(took_over);
  std::set<long> ids;
  for (const auto& t : log->trials(id)) EXPECT_TRUE(ids.insert(t.record.trial.id).second);
  EXPECT_TRUE(ids.count(0));
  log->locked(id, [&](StudyTxn& tx) {
    for (const auto& c : tx.claims()) EXPECT_EQ(c.state, ClaimState::done) << c.trial_id;
  });
}

// What `powertrain worker` joins: the first worker's definition creates the study, a later
// one with the same definition joins it, one without reads the stored spec, and a study
// that is not there is named with the fix.
TEST(SharedStudy, TheFirstDefinitionCreatesItAndLaterWorkersJoinIt) {
  const StudySpec lr = parse_study_text(
      R"({"space": {"optimizer.lr": {"type": "categorical", "values": [0.1, 0.01]}}, "strategy": "sm2", "max_epochs": 3})",
      "lr.json");
  test::TempDir dir;
  const std::string storage = "sqlite:" + dir.file("study.db");
  SharedStudy first = open_shared_study(storage, "lr", lr);
  SharedStudy again = open_shared_study(storage, "lr", lr);
  EXPECT_EQ(again.study_id, first.study_id);
  SharedStudy stored = open_shared_study(storage, "lr", std::nullopt);
  EXPECT_EQ(stored.study_id, first.study_id);
  EXPECT_EQ(stored.spec.study_text, lr.study_text);
  EXPECT_EQ(stored.spec.strategy, "sm2");
  try {
    open_shared_study(storage, "none", std::nullopt);
    ADD_FAILURE() << "a study that is not there was joined";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("none"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("giving the first worker its definition"), std::string::npos) << e.what();
  }
}
