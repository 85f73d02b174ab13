// run_recorder_test.cpp: a run recorded as it happens: running row, epochs, final write with
// CO2e, a failed run when it ends without finishing, nothing without a store; and the
// search-trial codec and logs of the store.
#include "powertrain/store/run_recorder.h"

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <cmath>

#include "powertrain/store/trial_log.h"
#include "support/test_support.h"

namespace powertrain {
namespace {

// A counter that advances 5 J per read: a sensor at the EnergySource boundary.
class CountingSource : public EnergySource {
 public:
  std::string name() const override { return "counting"; }
  std::vector<SensorInfo> sensors() const override { return {SensorInfo{"gpu:0", "counting", "test counter", true, ""}}; }
  std::vector<Reading> read() override {
    Reading r;
    r.component = "gpu:0";
    r.kind = ComponentKind::gpu;
    r.energy_j = 5.0 * reads_++;
    return {r};
  }
 private:
  int reads_ = 0;
};

std::unique_ptr<Meter> counting_meter() {
  std::vector<std::unique_ptr<EnergySource>> sources;
  sources.push_back(std::make_unique<CountingSource>());
  return std::make_unique<Meter>(std::move(sources), MeterOptions().interval_s(10.0));
}

RunStart train_start() {
  RunStart s;
  s.kind = "train";
  s.name = "r";
  s.command = "powertrain train r.json";
  s.grid = *CarbonTable::builtin().find("DE");
  s.pue = 1.5;
  s.details.config_json = "{}";
  return s;
}

EpochRecord epoch(int n) {
  EpochRecord e;
  e.epoch = n;
  e.energy_j = 10.0 * n;
  e.energy_provenance = Provenance::measured_counter;
  return e;
}

TEST(RunRecorder, RecordsRunningThenTheFinishedRunWithItsCarbon) {
  test::TempDir dir;
  Store store = Store::open(dir.file("runs.db"));
  auto meter = counting_meter();
  RunRecorder rec(&store, *meter, train_start());
  ASSERT_GT(rec.run_id(), 0);
  EXPECT_EQ(store.run(rec.run_id())->status, RunStatus::running);
  int w = meter->begin("run");
  rec.epoch(epoch(1));
  rec.epoch(epoch(2));
  Measurement m = meter->end(w);
  RunDetails details;
  details.outcome = TrainOutcome{};
  details.outcome->best_epoch = 2;
  RunRecord done = rec.finish(RunStatus::completed, 0, m, details);
  std::optional<StoredRun> run = store.load_run(rec.run_id());
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->run.status, RunStatus::completed);
  EXPECT_EQ(run->run.kind, "train");
  EXPECT_EQ(run->run.exit_code, 0);
  EXPECT_DOUBLE_EQ(run->run.energy_j, m.total_energy_j());
  EXPECT_EQ(run->run.energy_provenance, Provenance::measured_counter);
  const GridIntensity de = *CarbonTable::builtin().find("DE");
  EXPECT_NEAR(run->run.co2e_g, m.total_energy_j() / 3.6e6 * 1.5 * de.g_per_kwh, 1e-9);
  EXPECT_DOUBLE_EQ(done.co2e_g, run->run.co2e_g);
  EXPECT_EQ(run->epochs.size(), 2u);
  ASSERT_EQ(run->windows.size(), 1u);
  EXPECT_EQ(run->windows[0].name, "run");
  ASSERT_EQ(run->devices.size(), 1u);
  EXPECT_TRUE(run->host.has_value());
}

TEST(RunRecorder, ARunThatEndsWithoutFinishingIsRecordedFailedWithItsEpochs) {
  test::TempDir dir;
  Store store = Store::open(dir.file("runs.db"));
  auto meter = counting_meter();
  int64_t id = 0;
  try {
    RunRecorder rec(&store, *meter, train_start());
    id = rec.run_id();
    rec.epoch(epoch(1));
    throw std::runtime_error("out of memory in epoch 2");
  } catch (const std::runtime_error&) {
  }
  std::optional<RunRecord> r = store.run(id);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, RunStatus::failed);
  EXPECT_EQ(r->exit_code, 1);
  EXPECT_NE(r->details.error.find("without finishing"), std::string::npos) << r->details.error;
  EXPECT_EQ(store.epochs(id).size(), 1u);

  RunRecorder rec(&store, *meter, train_start());
  rec.fail("the dataset is missing");
  EXPECT_EQ(store.run(rec.run_id())->details.error, "the dataset is missing");
}

TEST(RunRecorder, WithoutAStoreItRecordsNothing) {
  auto meter = counting_meter();
  RunRecorder rec(nullptr, *meter, train_start());
  EXPECT_EQ(rec.run_id(), 0);
  rec.epoch(epoch(1));
  int w = meter->begin("run");
  RunRecord r = rec.finish(RunStatus::completed, 0, meter->end(w), RunDetails{});
  EXPECT_TRUE(std::isfinite(r.energy_j));
}

TEST(RunRecorder, AStoreThatCannotBeWrittenIsReportedAndTheRunGoesOn) {
  test::TempDir dir;
  Store::open(dir.file("runs.db"));
  Store read_only = Store::open_read_only(dir.file("runs.db"));
  auto meter = counting_meter();
  EXPECT_THROW(RunRecorder(&read_only, *meter, train_start()), StoreError);
  std::string problem;
  RunRecorder rec(&read_only, *meter, train_start(), [&](const std::string& m) { problem = m; });
  EXPECT_EQ(rec.run_id(), 0);
  EXPECT_NE(problem.find("the run goes on"), std::string::npos) << problem;
}

StoredTrial trial(long id, double metric) {
  StoredTrial t;
  t.record.trial.id = id;
  t.record.trial.config = {{"batch_size", 64.0}, {"optimizer", std::string("sgd")}};
  t.record.trial.budget = 3;
  t.record.to_epoch = 3;
  t.record.result.metric = metric;
  t.record.result.loss = INFINITY;  // a failed configuration
  t.record.result.energy_j = 30;
  t.record.result.epochs = 3;
  t.record.trial_energy_j = 30;
  t.record.search_energy_j = 30.0 * (id + 1);
  t.record.config_eta_j = NAN;
  t.energy_provenance = Provenance::estimated;
  return t;
}

// Another process keeps the store locked while a training ends an epoch: the epoch waits in
// memory, the training goes on, and everything is in the store once the lock is gone.
TEST(RunRecorder, ABusyStoreDelaysAnEpochAndLosesNothing) {
  test::TempDir dir;
  const std::string path = dir.file("runs.db");
  Store store = Store::open(path);
  auto meter = counting_meter();
  std::vector<std::string> problems;
  RunRecorder rec(&store, *meter, train_start(), [&](const std::string& m) { problems.push_back(m); });
  int w = meter->begin("run");
  rec.epoch(epoch(1));

  sqlite3* other = nullptr;  // the other process's connection, holding the write lock
  ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  rec.epoch(epoch(2));  // waits for the lock (5 s), then keeps the epoch
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("locked by another process"), std::string::npos) << problems[0];
  EXPECT_NE(problems[0].find("epoch 2 is kept"), std::string::npos) << problems[0];
  EXPECT_EQ(store.load_run(rec.run_id())->epochs.size(), 1u);
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);

  rec.epoch(epoch(3));
  rec.finish(RunStatus::completed, 0, meter->end(w), RunDetails{});
  std::optional<StoredRun> run = store.load_run(rec.run_id());
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->run.status, RunStatus::completed);
  ASSERT_EQ(run->epochs.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(run->epochs[i].epoch, i + 1);
  EXPECT_EQ(problems.size(), 1u);
}

TEST(StoredTrialCodec, RoundTripsInfinityNanAndProvenance) {
  StoredTrial t = trial(4, 0.5);
  nlohmann::json j = trial_to_json(t);
  EXPECT_TRUE(j["loss"].is_null());
  EXPECT_TRUE(j["config_eta_j"].is_null());
  EXPECT_EQ(j["energy_provenance"], "estimated");
  StoredTrial back = trial_from_json(nlohmann::json::parse(j.dump()));
  EXPECT_EQ(back.record.trial.id, 4);
  EXPECT_EQ(back.record.trial.config, t.record.trial.config);
  EXPECT_TRUE(std::isinf(back.record.result.loss));
  EXPECT_TRUE(std::isnan(back.record.config_eta_j));
  EXPECT_EQ(back.energy_provenance, Provenance::estimated);
  // A trial stored before provenance was recorded reads as missing, not as measured.
  j.erase("energy_provenance");
  EXPECT_EQ(trial_from_json(j).energy_provenance, Provenance::missing);
  // Malformed trials name the key.
  j.erase("metric");
  try {
    trial_from_json(j);
    FAIL();
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("metric"), std::string::npos);
  }
  EXPECT_THROW(config_from_json(nlohmann::json::array()), StoreError);
  EXPECT_THROW(config_from_json({{"k", true}}), StoreError);
}

TEST(StoredTrialCodec, AProbeKeepsWhatItMeasured) {
  StoredTrial t = trial(2, 0.0);
  t.record.trial.probe = true;
  t.record.result.energy_per_sample_j = 0.0125;
  nlohmann::json j = trial_to_json(t);
  EXPECT_EQ(j["probe"], true);
  StoredTrial back = trial_from_json(nlohmann::json::parse(j.dump()));
  EXPECT_TRUE(back.record.trial.probe);
  EXPECT_DOUBLE_EQ(back.record.result.energy_per_sample_j, 0.0125);
  // Every other trial (and every trial stored before probes) has neither key.
  nlohmann::json plain = trial_to_json(trial(3, 1.0));
  EXPECT_FALSE(plain.contains("probe"));
  EXPECT_FALSE(plain.contains("energy_per_sample_j"));
  EXPECT_FALSE(trial_from_json(plain).record.trial.probe);
  EXPECT_TRUE(std::isnan(trial_from_json(plain).record.result.energy_per_sample_j));
  EXPECT_FALSE(plain.contains("lr_instability"));
  EXPECT_TRUE(trial_from_json(plain).record.result.lr_instability.empty());
}

TEST(StoredTrialCodec, AProbesLearningRateSweepIsKeptAndABrokenOneRefused) {
  StoredTrial t = trial(2, 0.0);
  t.record.trial.probe = true;
  t.record.result.energy_per_sample_j = 0.0125;
  t.record.result.lr_instability = {{0.01, 0.0}, {0.1, 0.25}, {1.0, 1.0}};
  nlohmann::json j = trial_to_json(t);
  EXPECT_EQ(j["lr_instability"].dump(), "[[0.01,0.0],[0.1,0.25],[1.0,1.0]]");
  const auto back = trial_from_json(nlohmann::json::parse(j.dump())).record.result.lr_instability;
  ASSERT_EQ(back.size(), 3u);
  EXPECT_DOUBLE_EQ(back[1].lr, 0.1);
  EXPECT_DOUBLE_EQ(back[1].instability, 0.25);
  for (const char* broken : {"{}", "[[0.1]]", "[[0.1, 2.0]]", "[[0.1, 0.0], [0.01, 0.0]]", "[[null, 0.0]]", "[[0.1, \"x\"]]"}) {
    nlohmann::json b = j;
    b["lr_instability"] = nlohmann::json::parse(broken);
    try {
      trial_from_json(b);
      ADD_FAILURE() << broken << " was read";
    } catch (const StoreError& e) {
      EXPECT_NE(std::string(e.what()).find("lr_instability"), std::string::npos) << e.what();
    }
  }
}

TEST(StoreTrialLog, AppendsInOrderAndRefusesATrialTwice) {
  test::TempDir dir;
  Store store = Store::open(dir.file("runs.db"));
  int64_t id = store.create_study("s", "{}");
  StoreTrialLog log(store, id);
  log.append_ask(trial(0, 0.1).record.trial);  // a log of results only: nothing to store
  log.append_tell(trial(0, 0.1));
  log.append_tell(trial(1, 0.2));
  std::vector<TrialEvent> events = log.events();
  ASSERT_EQ(events.size(), 4u);  // each result implies its ask
  EXPECT_EQ(events[0].kind, TrialEvent::Kind::ask);
  EXPECT_EQ(events[3].told.record.trial.id, 1);
  EXPECT_DOUBLE_EQ(store.trials(id)[1].record.result.metric, 0.2);
  EXPECT_THROW(store.record_trial(id, 1, trial(5, 0.9)), StoreError);  // seq 1 is taken
}

}  // namespace
}  // namespace powertrain
