// The energy forecast on synthetic learning curves: where the run stops (target, patience,
// maximum), what it will have spent, the interval, and Carbontracker's rule beside it.
#include "powertrain/train/forecast.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace powertrain {
namespace {

// Epochs 1..k of a power-law curve err(e) = a e^-p, each costing energy_j and 10 s.
std::vector<EpochRecord> curve(int k, double a, double p, double energy_j = 100) {
  std::vector<EpochRecord> out;
  for (int e = 1; e <= k; ++e) {
    EpochRecord r;
    r.epoch = e;
    r.val_metric = 1.0 - a * std::pow(e, -p);
    r.energy_j = energy_j;
    r.duration_s = 10;
    out.push_back(r);
  }
  return out;
}

ForecastRules rules(int max_epochs, double target = NAN, int patience = 0) {
  ForecastRules r;
  r.max_epochs = max_epochs;
  r.target = target;
  r.patience = patience;
  return r;
}

TEST(Forecast, APowerLawCurveIsExtrapolatedToItsTarget) {
  // err = 0.4 e^-0.5 reaches 0.1 (accuracy 0.9) at epoch (0.4 / 0.1)^2 = 16.
  EnergyForecast f = forecast_energy(curve(3, 0.4, 0.5), rules(30, 0.9));
  EXPECT_EQ(f.after_epoch, 3);
  EXPECT_EQ(f.stop_epoch, 16);
  EXPECT_EQ(f.stop_reason, "target");
  EXPECT_NEAR(f.energy_j, 1600, 1e-6);  // 16 epochs of 100 J
  EXPECT_NEAR(f.duration_s, 160, 1e-6);
  EXPECT_LE(f.energy_low_j, f.energy_j);
  EXPECT_GE(f.energy_high_j, f.energy_j);
  EXPECT_LE(f.stop_epoch_low, 16);
  EXPECT_GE(f.stop_epoch_high, 16);
  // Carbontracker's rule assumes every planned epoch runs: 30 x 100 J.
  EXPECT_NEAR(carbontracker_forecast_j(curve(3, 0.4, 0.5), 1, 30), 3000, 1e-9);
}

TEST(Forecast, AfterOneEpochThePriorGivesAWideInterval) {
  // Epoch 1 at 80 %: with the prior exponent 0.35, 90 % comes at 2^(1/0.35) = 7.2, so epoch 8;
  // the prior's range [0.15, 0.8] puts it between epoch 3 and beyond the maximum.
  EnergyForecast f = forecast_energy(curve(1, 0.2, 0.5), rules(40, 0.9));
  EXPECT_EQ(f.stop_epoch, 8);
  EXPECT_EQ(f.stop_epoch_low, 3);
  EXPECT_EQ(f.stop_epoch_high, 40);
  EXPECT_LT(f.energy_low_j, f.energy_j);
  EXPECT_GT(f.energy_high_j, f.energy_j);
}

TEST(Forecast, ATargetAlreadyReachedStopsNow) {
  EnergyForecast f = forecast_energy(curve(4, 0.4, 0.5), rules(30, 0.75));  // epoch 4: accuracy 0.8
  EXPECT_EQ(f.stop_epoch, 4);
  EXPECT_EQ(f.stop_reason, "target");
  EXPECT_NEAR(f.energy_j, 400, 1e-9);
  EXPECT_NEAR(f.energy_low_j, 400, 1e-9);
  EXPECT_NEAR(f.energy_high_j, 400, 1e-9);
}

TEST(Forecast, AnUnreachableTargetOrNoRuleRunsEveryEpoch) {
  EnergyForecast f = forecast_energy(curve(3, 0.4, 0.5), rules(20, 0.99));  // needs epoch 1600
  EXPECT_EQ(f.stop_epoch, 20);
  EXPECT_EQ(f.stop_reason, "max_epochs");
  EXPECT_NEAR(f.energy_j, 2000, 1e-9);
  EnergyForecast fixed = forecast_energy(curve(2, 0.4, 0.5), rules(10));
  EXPECT_EQ(fixed.stop_epoch, 10);
  EXPECT_NEAR(fixed.energy_j, 1000, 1e-9);
}

TEST(Forecast, AFlatCurveStopsAfterThePatience) {
  std::vector<EpochRecord> flat = curve(3, 0.2, 0.0);  // no progress at all
  EnergyForecast f = forecast_energy(flat, rules(50, NAN, 3));
  EXPECT_EQ(f.stop_reason, "patience");
  EXPECT_LE(f.stop_epoch, 5);
  EXPECT_GE(f.stop_epoch, 4);
}

TEST(Forecast, TheFirstEpochsWarmUpIsNotExtrapolated) {
  std::vector<EpochRecord> epochs = curve(3, 0.4, 0.5);
  epochs[0].energy_j = 400;  // start-up, data loading
  EnergyForecast f = forecast_energy(epochs, rules(10));
  EXPECT_NEAR(f.energy_j, 400 + 100 + 100 + 7 * 100, 1e-9);
}

TEST(Forecast, UnknownEnergyIsUnknownNotZero) {
  std::vector<EpochRecord> epochs = curve(2, 0.4, 0.5);
  epochs[1].energy_j = NAN;
  EnergyForecast f = forecast_energy(epochs, rules(10, 0.9));
  EXPECT_TRUE(std::isnan(f.energy_j));
  EXPECT_TRUE(std::isfinite(f.duration_s));
  EXPECT_TRUE(std::isnan(forecast_energy({}, rules(10)).energy_j));
}

}  // namespace
}  // namespace powertrain

namespace powertrain {
namespace {

TEST(Forecast, PatienceCountsFromTheBestEpoch) {
  std::vector<EpochRecord> epochs = curve(4, 0.2, 0.0);
  epochs[1].val_metric = 0.85;  // the best, at epoch 2; epochs 3 and 4 are worse
  EnergyForecast f = forecast_energy(epochs, rules(50, NAN, 3));
  EXPECT_EQ(f.stop_epoch, 5);   // 2 + 3
  EXPECT_EQ(f.stop_reason, "patience");
  epochs.push_back(epochs[3]);
  epochs.back().epoch = 5;
  EnergyForecast now = forecast_energy(epochs, rules(50, NAN, 3));
  EXPECT_EQ(now.stop_epoch, 5);  // the patience is spent: the run stops after this epoch
  EXPECT_NEAR(now.energy_j, 500, 1e-9);
}

}  // namespace
}  // namespace powertrain
