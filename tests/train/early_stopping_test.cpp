// Checks src/train/early_stopping.cpp: patience, min_delta, target, max_epochs, divergence, and
// monitoring the loss (lower is better) or the metric (higher is better). No LibTorch here.
#include "powertrain/train/early_stopping.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace powertrain {
namespace {

EarlyStoppingSpec spec_with(int patience, int max_epochs = 100) {
  EarlyStoppingSpec s;
  s.patience = patience;
  s.max_epochs = max_epochs;
  return s;
}

TEST(EarlyStoppingTest, StopsAfterPatienceEpochsWithoutImprovement) {
  EarlyStopping stop(spec_with(2));
  auto d = stop.update(1, 1.0, 0.1);
  EXPECT_TRUE(d.improved);
  EXPECT_FALSE(d.stop);
  EXPECT_EQ(d.reason, "");
  d = stop.update(2, 0.9, 0.2);
  EXPECT_TRUE(d.improved);
  EXPECT_FALSE(d.stop);
  d = stop.update(3, 0.95, 0.3);
  EXPECT_FALSE(d.improved);
  EXPECT_FALSE(d.stop);
  d = stop.update(4, 0.91, 0.3);
  EXPECT_FALSE(d.improved);
  EXPECT_TRUE(d.stop);
  EXPECT_EQ(d.reason, "patience");
  EXPECT_EQ(stop.best_epoch(), 2);
  EXPECT_DOUBLE_EQ(stop.best_value(), 0.9);
}

TEST(EarlyStoppingTest, AnImprovementResetsPatience) {
  EarlyStopping stop(spec_with(2));
  stop.update(1, 1.0, 0);
  EXPECT_FALSE(stop.update(2, 1.1, 0).stop);
  EXPECT_TRUE(stop.update(3, 0.8, 0).improved);
  EXPECT_FALSE(stop.update(4, 0.9, 0).stop);
  auto d = stop.update(5, 0.9, 0);
  EXPECT_TRUE(d.stop);
  EXPECT_EQ(d.reason, "patience");
  EXPECT_EQ(stop.best_epoch(), 3);
}

TEST(EarlyStoppingTest, MinDeltaRequiresBeatingTheBestByMoreThanIt) {
  auto spec = spec_with(3);
  spec.min_delta = 0.1;
  EarlyStopping stop(spec);
  EXPECT_TRUE(stop.update(1, 1.0, 0).improved);
  EXPECT_FALSE(stop.update(2, 0.95, 0).improved);  // better, but by less than 0.1
  EXPECT_FALSE(stop.update(3, 0.9, 0).improved);   // exactly 0.1 better: not more than it
  EXPECT_TRUE(stop.update(4, 0.85, 0).improved);
  EXPECT_EQ(stop.best_epoch(), 4);
  EXPECT_DOUBLE_EQ(stop.best_value(), 0.85);
}

TEST(EarlyStoppingTest, MonitorsTheMetricWhereHigherIsBetter) {
  auto spec = spec_with(2);
  spec.monitor = "val_metric";
  EarlyStopping stop(spec);
  EXPECT_TRUE(stop.update(1, 1.0, 0.5).improved);
  EXPECT_TRUE(stop.update(2, 2.0, 0.6).improved);    // the loss got worse: it is not monitored
  EXPECT_FALSE(stop.update(3, 0.1, 0.55).improved);  // the loss got better: likewise
  auto d = stop.update(4, 0.1, 0.6);                 // equal is not better
  EXPECT_FALSE(d.improved);
  EXPECT_TRUE(d.stop);
  EXPECT_EQ(d.reason, "patience");
  EXPECT_EQ(stop.best_epoch(), 2);
  EXPECT_DOUBLE_EQ(stop.best_value(), 0.6);
}

TEST(EarlyStoppingTest, StopsOnceTheTargetMetricIsReached) {
  auto spec = spec_with(5);
  spec.target = 0.9;
  EarlyStopping stop(spec);
  EXPECT_FALSE(stop.update(1, 1.0, 0.5).stop);
  auto d = stop.update(2, 0.5, 0.9);
  EXPECT_TRUE(d.stop);
  EXPECT_TRUE(d.improved);
  EXPECT_EQ(d.reason, "target");

  // Reached on an epoch that is not the best by the monitored loss: stops, not improved.
  EarlyStopping other(spec);
  other.update(1, 0.5, 0.5);
  d = other.update(2, 0.6, 0.95);
  EXPECT_TRUE(d.stop);
  EXPECT_FALSE(d.improved);
  EXPECT_EQ(d.reason, "target");
}

TEST(EarlyStoppingTest, StopsAtMaxEpochs) {
  EarlyStopping stop(spec_with(0, 3));
  EXPECT_FALSE(stop.update(1, 1.0, 0).stop);
  EXPECT_FALSE(stop.update(2, 1.0, 0).stop);
  auto d = stop.update(3, 0.5, 0);
  EXPECT_TRUE(d.stop);
  EXPECT_TRUE(d.improved);
  EXPECT_EQ(d.reason, "max_epochs");
}

TEST(EarlyStoppingTest, PatienceZeroNeverStopsForPatience) {
  EarlyStopping stop(spec_with(0, 1000));
  stop.update(1, 0.1, 0);
  for (int e = 2; e < 100; ++e) {
    auto d = stop.update(e, 1.0 + e, 0);
    ASSERT_FALSE(d.stop) << e;
    ASSERT_FALSE(d.improved) << e;
  }
}

TEST(EarlyStoppingTest, NanOrInfiniteLossMeansDiverged) {
  for (double bad : {std::nan(""), std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()}) {
    EarlyStopping stop(spec_with(5));
    stop.update(1, 1.0, 0.5);
    auto d = stop.update(2, bad, 0.9);
    EXPECT_TRUE(d.stop);
    EXPECT_FALSE(d.improved);
    EXPECT_EQ(d.reason, "diverged");
    EXPECT_EQ(stop.best_epoch(), 1);
  }
  EarlyStopping first(spec_with(5));
  auto d = first.update(1, std::nan(""), 0);
  EXPECT_TRUE(d.stop);
  EXPECT_FALSE(d.improved);
  EXPECT_EQ(d.reason, "diverged");
  EXPECT_EQ(first.best_epoch(), 0);
}

TEST(EarlyStoppingTest, InvalidSpecsThrowNamingTheField) {
  auto expect_invalid = [](const EarlyStoppingSpec& s, const std::string& field) {
    try {
      EarlyStopping stop(s);
      ADD_FAILURE() << "no exception, expected one naming " << field;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  };
  EarlyStoppingSpec s;
  s.monitor = "accuracy";
  expect_invalid(s, "monitor");
  expect_invalid(s, "val_metric");
  s = EarlyStoppingSpec{};
  s.patience = -1;
  expect_invalid(s, "patience");
  s = EarlyStoppingSpec{};
  s.min_delta = -0.1;
  expect_invalid(s, "min_delta");
  s = EarlyStoppingSpec{};
  s.max_epochs = 0;
  expect_invalid(s, "max_epochs");
}

TEST(DivergenceWatch, ALossAboveTenTimesItsStartForThreeChecksDiverges) {
  DivergenceWatch w(EarlyStoppingSpec{});
  EXPECT_FALSE(w.has_reference());
  w.first_loss(2.3);
  EXPECT_FALSE(w.check(2.0));
  EXPECT_FALSE(w.check(30.0));
  EXPECT_FALSE(w.check(30.0));
  EXPECT_FALSE(w.check(5.0));   // back below: the count starts again
  EXPECT_FALSE(w.check(3e21));
  EXPECT_FALSE(w.check(3e21));
  EXPECT_TRUE(w.check(3e21));
  EXPECT_NE(w.why().find("rose to 3e+21"), std::string::npos) << w.why();
}

TEST(DivergenceWatch, NonFiniteLossDivergesAtOnceAndZeroFactorTurnsTheRiseRuleOff) {
  DivergenceWatch w(EarlyStoppingSpec{});
  w.first_loss(2.3);
  EXPECT_TRUE(w.check(NAN));
  EXPECT_NE(w.why().find("NaN/Inf"), std::string::npos);
  DivergenceWatch inf_start(EarlyStoppingSpec{});
  inf_start.first_loss(INFINITY);
  EXPECT_TRUE(inf_start.check(1.0));
  EarlyStoppingSpec off;
  off.divergence_factor = 0;
  DivergenceWatch o(off);
  o.first_loss(2.3);
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(o.check(1e30));
  EXPECT_TRUE(o.check(INFINITY));
}

TEST(DivergenceWatch, BadSpecsAreRefused) {
  EarlyStoppingSpec s;
  s.divergence_factor = 0.5;
  EXPECT_THROW(EarlyStopping{s}, std::invalid_argument);
  s.divergence_factor = 10;
  s.divergence_checks = 0;
  EXPECT_THROW(EarlyStopping{s}, std::invalid_argument);
}

}  // namespace
}  // namespace powertrain
