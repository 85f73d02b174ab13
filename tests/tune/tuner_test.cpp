// tuner_test.cpp: resumable training, joule budgets, targets, the energy-to-target loss
// the beta early-stop rule and the cannot-win stop, on a fake objective.
#include "powertrain/tune/tuner.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <stdexcept>

#include "powertrain/tune/grid_search.h"

using namespace powertrain::tune;

namespace {

// Config k: each epoch costs 10 x (k + 1) J and 1 s; metric after e epochs = e / (10 x (k + 1)).
class FakeObjective : public Objective {
 public:
  EpochOutcome train_epoch(const Config& c, int epoch) override {
    const double k = std::get<double>(c.at("k"));
    ++epochs_trained;
    EXPECT_EQ(epoch, ++last_epoch[static_cast<int>(k)]);  // epochs arrive in order, once each
    return {epoch / (10.0 * (k + 1)), 10.0 * (k + 1), 1.0};
  }
  int epochs_trained = 0;
  std::map<int, int> last_epoch;
};

Config k(double v) { return Config{{"k", v}}; }

Trial trial(long id, double kv, double budget) {
  Trial t;
  t.id = id;
  t.config = k(kv);
  t.budget = budget;
  return t;
}

// Energy-to-target towards metric 1.0 (config k = 0 reaches it at epoch 10 with 100 J), 50 epochs at most.
TunerOptions to_target() {
  TunerOptions o;
  o.target_metric = 1.0;
  o.loss = LossKind::energy_to_target;
  o.max_epochs = 50;
  return o;
}

}  // namespace

TEST(Tuner, ResumesTrainingAndChargesOnlyTheExtraEpochs) {
  FakeObjective f;
  Tuner tuner(f, TunerOptions{});
  auto a = tuner.evaluate(trial(0, 0, 3));
  EXPECT_EQ(a.from_epoch, 0);
  EXPECT_EQ(a.to_epoch, 3);
  EXPECT_DOUBLE_EQ(a.trial_energy_j, 30.0);
  auto b = tuner.evaluate(trial(1, 0, 5));
  EXPECT_EQ(b.from_epoch, 3);
  EXPECT_EQ(b.to_epoch, 5);
  EXPECT_DOUBLE_EQ(b.trial_energy_j, 20.0);
  EXPECT_DOUBLE_EQ(b.result.energy_j, 50.0);
  EXPECT_DOUBLE_EQ(b.result.loss, -0.5);  // metric, maximize
  auto c = tuner.evaluate(trial(2, 0, 2));  // already past the budget: nothing to train
  EXPECT_DOUBLE_EQ(c.trial_energy_j, 0.0);
  EXPECT_EQ(f.epochs_trained, 5);
  EXPECT_DOUBLE_EQ(tuner.search_energy_j(), 50.0);
  EXPECT_DOUBLE_EQ(tuner.search_duration_s(), 5.0);
}

TEST(Tuner, JouleBudgetsTrainWholeEpochsUntilSpent) {
  FakeObjective f;
  TunerOptions o;
  o.budget_unit = BudgetUnit::joules;
  Tuner tuner(f, o);
  auto r = tuner.evaluate(trial(0, 1, 45));  // 20 J per epoch: 3 epochs reach 60 J >= 45 J
  EXPECT_EQ(r.to_epoch, 3);
  EXPECT_DOUBLE_EQ(r.result.energy_j, 60.0);
}

TEST(Tuner, MaxEpochsCapsEveryBudget) {
  FakeObjective f;
  TunerOptions o;
  o.max_epochs = 4;
  Tuner tuner(f, o);
  EXPECT_EQ(tuner.evaluate(trial(0, 0, 100)).to_epoch, 4);
}

TEST(Tuner, StopsAtTargetAndReportsEnergyToTarget) {
  FakeObjective f;
  TunerOptions o;
  o.target_metric = 0.4;
  o.loss = LossKind::energy_to_target;
  Tuner tuner(f, o);
  auto r = tuner.evaluate(trial(0, 0, 10));  // metric +0.1 per epoch: target at epoch 4
  EXPECT_TRUE(r.result.reached_target);
  EXPECT_EQ(r.to_epoch, 4);
  EXPECT_DOUBLE_EQ(r.result.loss, 40.0);
  EXPECT_DOUBLE_EQ(tuner.best_energy_to_target_j(), 40.0);
  // Not reached yet: energy / progress. k = 1 after 1 epoch: 20 J, metric 0.05 = 1/8 of the way.
  auto p = tuner.evaluate(trial(1, 1, 1));
  EXPECT_FALSE(p.result.reached_target);
  EXPECT_DOUBLE_EQ(p.result.loss, 160.0);
}

TEST(Tuner, UnreachableTargetGivesInfiniteLossAtMaxEpochs) {
  FakeObjective f;
  TunerOptions o;
  o.target_metric = 5.0;
  o.max_epochs = 3;
  o.loss = LossKind::energy_to_target;
  Tuner tuner(f, o);
  EXPECT_TRUE(std::isinf(tuner.evaluate(trial(0, 0, 3)).result.loss));
}

TEST(Tuner, BetaRuleStopsExpensiveTrialsForGood) {
  FakeObjective f;
  TunerOptions o = to_target();
  o.beta = 2.0;
  o.stop_when_cannot_win = false;  // the beta rule alone
  Tuner tuner(f, o);
  // k = 0: 10 J and +0.1 per epoch: target at epoch 10, ETA 100 J; the limit becomes 200 J.
  EXPECT_DOUBLE_EQ(tuner.evaluate(trial(0, 0, 50)).result.loss, 100.0);
  // k = 1: 20 J and +0.05 per epoch (ETA 400 J): stopped once over 200 J, at epoch 11.
  auto r = tuner.evaluate(trial(1, 1, 50));
  EXPECT_TRUE(r.result.stopped_early);
  EXPECT_FALSE(r.result.reached_target);
  EXPECT_EQ(r.to_epoch, 11);
  EXPECT_TRUE(std::isinf(r.result.loss));
  auto again = tuner.evaluate(trial(2, 1, 50));  // a stopped config is never trained again
  EXPECT_DOUBLE_EQ(again.trial_energy_j, 0.0);
  EXPECT_TRUE(again.result.stopped_early);
  EXPECT_THROW(Tuner(f, [] { TunerOptions b; b.beta = 0.5; b.target_metric = 1; return b; }()),
               std::invalid_argument);
}

TEST(Tuner, AConfigThatCannotWinIsStoppedByDefault) {
  FakeObjective f;
  const TunerOptions o = to_target();
  Tuner tuner(f, o);
  // k = 0 reaches the target at epoch 10 with 100 J: the incumbent.
  EXPECT_DOUBLE_EQ(tuner.evaluate(trial(0, 0, 50)).result.loss, 100.0);
  // k = 1 (20 J an epoch, ETA 400 J) is stopped once it has spent more than 100 J: epoch 6.
  auto r = tuner.evaluate(trial(1, 1, 50));
  EXPECT_TRUE(r.result.stopped_early);
  EXPECT_EQ(r.to_epoch, 6);
  EXPECT_DOUBLE_EQ(r.trial_energy_j, 120.0);
  EXPECT_TRUE(std::isinf(r.result.loss));
  // Before any config has reached the target there is nothing to lose against.
  FakeObjective g;
  Tuner first(g, o);
  EXPECT_FALSE(first.evaluate(trial(0, 1, 50)).result.stopped_early);
  // The metric loss ranks by metric, not energy: the rule does not apply.
  FakeObjective h;
  TunerOptions m = o;
  m.loss = LossKind::metric;
  Tuner by_metric(h, m);
  by_metric.evaluate(trial(0, 0, 50));
  EXPECT_FALSE(by_metric.evaluate(trial(1, 1, 50)).result.stopped_early);
}

TEST(Tuner, RunDrivesAStrategyAndHonoursLimits) {
  FakeObjective f;
  TunerOptions o;
  o.max_trials = 3;
  Tuner tuner(f, o);
  SearchSpace s;
  s.add_int("k", 0, 9);
  GridSearch g(s, GridSearchOptions{5, 2.0, false, 0});
  const auto records = tuner.run(g);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_DOUBLE_EQ(records.back().search_energy_j, 20 + 40 + 60);
  EXPECT_EQ(g.told(), 3);
  EXPECT_THROW(Tuner(f, TunerOptions{true, BudgetUnit::epochs, 0}), std::invalid_argument);
  TunerOptions bad;
  bad.loss = LossKind::energy_to_target;  // no target
  EXPECT_THROW(Tuner(f, bad), std::invalid_argument);
}

// An objective that can probe: a probe of config k costs 2 x (k + 1) J over 100 samples.
class ProbingObjective : public FakeObjective {
 public:
  std::optional<ProbeOutcome> probe(const Config& c, const std::vector<double>& /*lr_sweep*/) override {
    ++probes;
    const double kv = std::get<double>(c.at("k"));
    ProbeOutcome out;  // 100 samples
    out.energy_j = 2.0 * (kv + 1);
    out.duration_s = 0.5;
    out.energy_per_sample_j = out.energy_j / 100.0;
    return out;
  }
  int probes = 0;
};

TEST(Tuner, AProbeCountsForTheSearchButNotForTheConfig) {
  ProbingObjective f;
  Tuner tuner(f, to_target());
  Trial p = trial(0, 1, 0);
  p.probe = true;
  const TrialRecord probe = tuner.evaluate(p);
  EXPECT_EQ(f.probes, 1);
  EXPECT_EQ(f.epochs_trained, 0);  // a probe trains no epoch
  EXPECT_EQ(probe.from_epoch, 0);
  EXPECT_EQ(probe.to_epoch, 0);
  EXPECT_DOUBLE_EQ(probe.trial_energy_j, 4.0);
  EXPECT_DOUBLE_EQ(probe.search_energy_j, 4.0);
  EXPECT_DOUBLE_EQ(probe.search_duration_s, 0.5);
  EXPECT_DOUBLE_EQ(probe.result.energy_per_sample_j, 0.04);
  EXPECT_DOUBLE_EQ(probe.result.energy_j, 0.0);  // the config's energy (to target) excludes it
  EXPECT_EQ(probe.result.loss, INFINITY);
  // The config's first epoch: its energy is the epoch's alone; the search's includes the probe.
  const TrialRecord first = tuner.evaluate(trial(1, 1, 1));
  EXPECT_DOUBLE_EQ(first.result.energy_j, 20.0);
  EXPECT_DOUBLE_EQ(first.search_energy_j, 24.0);
  EXPECT_TRUE(std::isnan(first.result.energy_per_sample_j));
  // Resuming replays the probe into the search's totals only.
  ProbingObjective fresh;  // a new process
  Tuner resumed(fresh, to_target());
  resumed.replay(probe);
  EXPECT_DOUBLE_EQ(resumed.search_energy_j(), 4.0);
  const TrialRecord again = resumed.evaluate(trial(1, 1, 1));
  EXPECT_DOUBLE_EQ(again.result.energy_j, 20.0);
  EXPECT_EQ(again.from_epoch, 0);
  // An objective that cannot probe: the probe costs nothing and measures nothing.
  FakeObjective plain;
  Tuner other(plain, to_target());
  const TrialRecord none = other.evaluate(p);
  EXPECT_TRUE(std::isnan(none.result.energy_per_sample_j));
  EXPECT_DOUBLE_EQ(none.trial_energy_j, 0.0);
}
