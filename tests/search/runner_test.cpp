// runner_test.cpp: a search runs to its end, resumes from its log exactly where it stopped,
// refuses a log that does not replay, and says what it found (provenance, target, budget);
// a LocalStudy (what `powertrain tune` runs) locks, stores and resumes its study. No
// subprocess: the runner is driven directly.
#include "powertrain/search/runner.h"

#include "powertrain/search/local_study.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <map>

#include "powertrain/store/store.h"
#include "support/test_support.h"

using namespace powertrain;
using namespace powertrain::search;

namespace {

// Real-training studies get this objective instead of the training engine: learning rate lr
// gains 10 x lr of accuracy per epoch (0.1 reaches 1.0 in one epoch, 0.001 never gets far);
// every epoch costs 10 J, estimated.
class FakeTraining : public tune::Objective {
 public:
  tune::EpochOutcome train_epoch(const tune::Config& c, int epoch) override {
    const double lr = std::get<double>(c.at("optimizer.lr"));
    ++epochs;
    seen = true;
    return {std::min(1.0, 0.1 + epoch * 10 * lr * ceiling), 10.0, 1.0};
  }
  Provenance energy_provenance() const override { return seen ? Provenance::estimated : Provenance::missing; }
  // A probe costs 1 J for 100 samples; its LR sweep shows 0.1 and above diverging.
  std::optional<tune::ProbeOutcome> probe(const tune::Config&, const std::vector<double>& lr_sweep) override {
    tune::ProbeOutcome out;
    out.energy_j = 1.0;
    out.duration_s = 0.1;
    out.energy_per_sample_j = 0.01;
    for (double lr : lr_sweep) out.lr_instability.push_back({lr, lr >= 0.1 ? 1.0 : 0.0});
    return out;
  }
  double ceiling = 1.0;  // scales the accuracy reached (to make the target unreachable)
  int epochs = 0;
  bool seen = false;
};

RunnerOptions fake_training(double ceiling = 1.0, FakeTraining** made = nullptr) {
  RunnerOptions o;
  o.training = [ceiling, made](const TrainConfig&, const DiscoverOptions&, const std::function<void(const std::string&)>&) {
    auto f = std::make_unique<FakeTraining>();
    f->ceiling = ceiling;
    if (made) *made = f.get();
    return std::unique_ptr<tune::Objective>(std::move(f));
  };
  return o;
}

StudySpec lr_study(const std::string& strategy = "sh", const std::string& extra = "") {
  return parse_study_text(R"({"name": "lr", "space": {"optimizer.lr": {"type": "categorical", "values": [0.1, 0.03, 0.01, 0.001]}},
                              "strategy": ")" + strategy + R"(", "max_epochs": 9, "target": 0.8)" + extra + "}",
                          "lr.json");
}

StudySpec zeus(const std::string& strategy, const std::string& workload = "cifar100") {
  StudySpec o;
  o.strategy = strategy;
  return zeus_study({"zeus:" + test::zeus_traces_dir(), "v100", workload}, o);
}

void expect_same_trials(const std::vector<StoredTrial>& a, const std::vector<StoredTrial>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].record.trial.id, b[i].record.trial.id) << i;
    EXPECT_EQ(tune::config_key(a[i].record.trial.config), tune::config_key(b[i].record.trial.config)) << i;
    EXPECT_EQ(a[i].record.to_epoch, b[i].record.to_epoch) << i;
    EXPECT_DOUBLE_EQ(a[i].record.search_energy_j, b[i].record.search_energy_j) << i;
  }
}

}  // namespace

TEST(StudyRunner, RunsToTheEndAndSaysWhatItFound) {
  StudyRunner runner(lr_study(), fake_training());
  MemoryTrialLog log;
  EXPECT_EQ(runner.run(log), Ending::finished);
  ASSERT_FALSE(runner.trials().empty());
  EXPECT_TRUE(runner.strategy_finished());
  SearchSummary s = runner.summary(Ending::finished);
  ASSERT_TRUE(s.chosen.has_value());
  EXPECT_EQ(std::get<double>(s.chosen->at("optimizer.lr")), 0.1);  // reaches 0.8 in the first epoch, for 10 J
  EXPECT_TRUE(s.has_target);
  EXPECT_TRUE(s.chosen_reached_target);
  EXPECT_EQ(s.energy_provenance, Provenance::estimated) << "estimated energy is labelled estimated";
  EXPECT_TRUE(s.grid_energy_estimated);
  EXPECT_DOUBLE_EQ(s.search_energy_j, 10.0 * [&] {
    double epochs = 0;
    for (const auto& t : runner.trials()) epochs += t.record.to_epoch - t.record.from_epoch;
    return epochs;
  }());
  // The log holds what was told, in order, each trial with its provenance.
  int tells = 0;
  for (const auto& e : log.events()) {
    if (e.kind == TrialEvent::Kind::tell) {
      EXPECT_EQ(e.told.energy_provenance, Provenance::estimated);
      ++tells;
    }
  }
  EXPECT_EQ(static_cast<size_t>(tells), runner.trials().size());
  nlohmann::json j = summary_to_json(s, runner.trials());
  EXPECT_EQ(j["energy_provenance"], "estimated");
  EXPECT_EQ(j["ending"], "finished");
  EXPECT_EQ(j["best_reached_target"], true);
  // The chosen configuration as a training config.
  nlohmann::json chosen = nlohmann::json::parse(runner.chosen_train_config());
  EXPECT_EQ(chosen["name"], "lr-chosen");
  EXPECT_EQ(chosen["optimizer"]["lr"], 0.1);
}

TEST(StudyRunner, SaysPlainlyWhenNoConfigurationReachedTheTarget) {
  // Accuracy stays near 0.1; the best rate comes last, so the strategy's order would not find it.
  StudyRunner runner(parse_study_text(R"({"name": "lr", "space": {"optimizer.lr": {"type": "categorical",
                                           "values": [0.001, 0.01, 0.03, 0.1]}}, "strategy": "grid", "max_epochs": 9,
                                           "target": 0.8})",
                                      "lr.json"),
                     fake_training(0.01));
  MemoryTrialLog log;
  runner.run(log);
  SearchSummary s = runner.summary(Ending::finished);
  ASSERT_TRUE(s.chosen.has_value());
  EXPECT_TRUE(s.has_target);
  EXPECT_FALSE(s.chosen_reached_target);
  EXPECT_EQ(summary_to_json(s, runner.trials())["best_reached_target"], false);
  // Every loss is +inf (each configuration ended its 9 epochs short of the target): the
  // choice is the trial with the highest accuracy, lr 0.1 at 0.19, not the first trial.
  double best_metric = 0;
  for (const auto& t : runner.trials()) {
    EXPECT_TRUE(std::isinf(t.record.result.loss));
    best_metric = std::max(best_metric, t.record.result.metric);
  }
  EXPECT_DOUBLE_EQ(s.chosen_metric, best_metric);
  EXPECT_DOUBLE_EQ(std::get<double>(s.chosen->at("optimizer.lr")), 0.1);
  EXPECT_NE(runner.chosen_train_config().find("0.1"), std::string::npos);
}

TEST(StudyRunner, StopsWhenTheEnergyBudgetIsSpent) {
  StudyRunner runner(lr_study("grid", R"(, "max_energy_j": 25)"), fake_training());
  MemoryTrialLog log;
  EXPECT_EQ(runner.run(log), Ending::energy_budget);
  EXPECT_GE(runner.search_energy_j(), 25);
  EXPECT_FALSE(runner.strategy_finished());
}

TEST(StudyRunner, AnInterruptedStudyResumesFromItsLogAsIfNeverStopped) {
  SKIP_WITHOUT_TRACES();
  StudyRunner whole(zeus("hyperband"), {});
  MemoryTrialLog whole_log;
  ASSERT_EQ(whole.run(whole_log), Ending::finished);

  // The same study in a real store, stopped after 7 trials, then continued by a new runner.
  test::TempDir dir;
  Store store = Store::open(dir.file("s.db"));
  int64_t id = store.create_study("h", spec_to_json(zeus("hyperband")).dump());
  StoreTrialLog log(store, id);
  std::atomic<bool> stop{false};
  {
    StudyRunner first(zeus("hyperband"), {});
    int n = 0;
    EXPECT_EQ(first.run(log, [&](const StoredTrial&) { if (++n == 7) stop = true; }, &stop), Ending::interrupted);
  }
  EXPECT_EQ(store.trials(id).size(), 7u);
  StudyRunner second(spec_from_json(nlohmann::json::parse(store.study("h")->spec_json)), {});
  EXPECT_EQ(second.run(log), Ending::finished);
  expect_same_trials(second.trials(), whole.trials());
  expect_same_trials(store.trials(id), whole.trials());
  SearchSummary a = whole.summary(Ending::finished), b = second.summary(Ending::finished);
  EXPECT_EQ(tune::config_key(*a.chosen), tune::config_key(*b.chosen));
  EXPECT_DOUBLE_EQ(a.search_energy_j, b.search_energy_j);
  EXPECT_EQ(b.energy_provenance, Provenance::simulated);
  EXPECT_GT(b.chosen_eta_j, 0);
  EXPECT_GE(b.chosen_eta_j, b.optimal_eta_j);
}

// SM2's probe sweeps the learning rates; what it showed is stored with it, so a resumed
// study screens them again exactly as the first process did.
TEST(StudyRunner, AResumedStudyScreensLearningRatesAsTheSweepShowed) {
  StudyRunner whole(lr_study("sm2"), fake_training());
  MemoryTrialLog whole_log;
  ASSERT_EQ(whole.run(whole_log), Ending::finished);
  ASSERT_TRUE(whole.trials().front().record.trial.probe);
  EXPECT_EQ(whole.trials().front().record.result.lr_instability.size(), 4u);
  for (size_t i = 1; i < whole.trials().size(); ++i)
    EXPECT_NE(std::get<double>(whole.trials()[i].record.trial.config.at("optimizer.lr")), 0.1) << i;  // diverged: no epoch

  test::TempDir dir;
  Store store = Store::open(dir.file("s.db"));
  int64_t id = store.create_study("lr", spec_to_json(lr_study("sm2")).dump());
  StoreTrialLog log(store, id);
  std::atomic<bool> stop{false};
  {
    StudyRunner first(lr_study("sm2"), fake_training());
    int n = 0;
    EXPECT_EQ(first.run(log, [&](const StoredTrial&) { if (++n == 2) stop = true; }, &stop), Ending::interrupted);
  }
  ASSERT_EQ(store.trials(id).size(), 2u);
  StudyRunner second(spec_from_json(nlohmann::json::parse(store.study("lr")->spec_json)), fake_training());
  EXPECT_EQ(second.run(log), Ending::finished);
  expect_same_trials(store.trials(id), whole.trials());
  EXPECT_EQ(store.trials(id).front().record.result.lr_instability.size(), 4u);
  EXPECT_EQ(tune::config_key(*second.summary(Ending::finished).chosen), tune::config_key(*whole.summary(Ending::finished).chosen));
}

TEST(StudyRunner, ALogThatDoesNotReplayIsRefused) {
  SKIP_WITHOUT_TRACES();
  StudyRunner runner(zeus("sh"), {});
  MemoryTrialLog log;
  runner.run(log);
  // A log of another strategy (another seed order) does not replay through this one.
  StudyRunner other(zeus("random"), {});
  EXPECT_THROW(other.replay(log.events()), SearchError);
  // A tell of a trial never asked.
  MemoryTrialLog bad;
  StoredTrial t = runner.trials().front();
  bad.append_tell(t);
  std::vector<TrialEvent> events = bad.events();
  events.erase(events.begin());  // MemoryTrialLog keeps no ask for a bare tell: there is none
  EXPECT_NO_THROW(runner.replay({}));
  TrialEvent tell;
  tell.kind = TrialEvent::Kind::tell;
  tell.told = t;
  EXPECT_THROW(runner.replay({tell}), SearchError);
}

TEST(StudyRunner, ARealTrainingStudyNeedsTheTrainingEngine) {
  try {
    StudyRunner runner(lr_study(), RunnerOptions{});
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("no training engine"), std::string::npos) << e.what();
  }
}

// What `powertrain tune` runs: a new study is stored as it goes, and one interrupted is
// continued by name to the same end.
TEST(LocalStudy, StoresLocksAndResumesAStudyByName) {
  MemoryTrialLog whole_log;
  StudyRunner whole(lr_study("sm2"), fake_training());
  ASSERT_EQ(whole.run(whole_log), Ending::finished);

  test::TempDir dir;
  LocalStudyOptions o;
  o.db = dir.file("s.db");
  o.name = "lr";
  o.runner = fake_training();
  std::atomic<bool> stop{false};
  {
    LocalStudy first(o, lr_study("sm2"));
    EXPECT_FALSE(first.resumed());
    first.start();
    ASSERT_NE(first.store(), nullptr);
    // (That a second process cannot drive it meanwhile is lock_test's: POSIX record locks
    // do not exclude the process that holds them.)
    int n = 0;
    EXPECT_EQ(first.run([&](const StoredTrial&) { if (++n == 3) stop = true; }, &stop), Ending::interrupted);
  }
  o.name.clear();
  o.resume = "lr";
  LocalStudy resumed(o, std::nullopt);
  EXPECT_TRUE(resumed.resumed());
  EXPECT_EQ(resumed.name(), "lr");
  resumed.start();
  EXPECT_EQ(resumed.replay_stored(), 3u);
  EXPECT_EQ(resumed.run({}, nullptr), Ending::finished);
  expect_same_trials(resumed.store()->trials(resumed.store()->study("lr")->id), whole.trials());
  EXPECT_EQ(resumed.store()->study("lr")->status, StudyStatus::finished);
}

TEST(LocalStudy, NothingIsStoredWhenTheStudyCannotStart) {
  test::TempDir dir;
  LocalStudyOptions o;
  o.db = dir.file("s.db");
  // A real-training study without the training engine: refused before anything is stored.
  LocalStudy study(o, lr_study("sm2"));
  EXPECT_FALSE(study.name().empty());  // the default name, made from the spec
  EXPECT_THROW(study.start(), ConfigError);
  EXPECT_TRUE(Store::open(o.db).studies().empty());
  // A study to resume that is not there is named.
  o.resume = "none";
  try {
    LocalStudy missing(o, std::nullopt);
    ADD_FAILURE() << "a missing study was opened";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("none"), std::string::npos) << e.what();
  }
  // In memory: no name, no store, nothing written.
  LocalStudyOptions memory;
  memory.db = dir.file("other.db");
  memory.no_store = true;
  memory.runner = fake_training();
  LocalStudy in_memory(memory, lr_study("sm2"));
  in_memory.start();
  EXPECT_EQ(in_memory.store(), nullptr);
  EXPECT_TRUE(in_memory.name().empty());
  EXPECT_EQ(in_memory.run({}, nullptr), Ending::finished);
  EXPECT_FALSE(std::filesystem::exists(memory.db));
}

TEST(StatesDir, BesideTheStoreOrUnderTheCurrentDirectory) {
  EXPECT_EQ(default_states_dir("runs.db", "my study"), "runs.db.states/my_study");
  EXPECT_EQ(default_states_dir("sqlite:/x/s.db", ".."), "/x/s.db.states/study");
  EXPECT_EQ(default_states_dir("postgresql://u@h/db", "k1"), "powertrain-states/k1");
}
