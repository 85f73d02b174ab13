// lr_screen_test.cpp: the learning rates a probe sweeps, the instability its losses show, and
// the instability between the learning rates it swept.
#include "powertrain/tune/lr_screen.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace powertrain::tune;

TEST(LrScreen, SweepsTheRequestedLearningRatesAscendingOnce) {
  EXPECT_EQ(sweep_points({0.1, 0.001, 0.01, 0.1}, 5), (std::vector<double>{0.001, 0.01, 0.1}));
  // Nothing a learning rate cannot be is swept.
  EXPECT_EQ(sweep_points({0.01, NAN, -1.0, 0.0, INFINITY}, 5), (std::vector<double>{0.01}));
  EXPECT_TRUE(sweep_points({}, 5).empty());
  // More than max_points: that many, geometrically from the lowest to the highest.
  const auto p = sweep_points({1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1}, 3);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_DOUBLE_EQ(p[0], 1e-4);
  EXPECT_NEAR(p[1], 3.1623e-3, 1e-6);
  EXPECT_DOUBLE_EQ(p[2], 0.1);
}

TEST(LrScreen, ALossThatKeepsFallingIsStableAndOneThatRisesIsNot) {
  const std::vector<double> lrs = {0.001, 0.01, 0.1, 1.0};
  // Two steps per learning rate, after warm-up steps at a mean loss of 2.3.
  const std::vector<double> losses = {2.3, 2.2,    // 0.001: 2.25, below the warm-up's
                                      1.9, 1.7,    // 0.01: 1.8, the best
                                      3.6, 3.6,    // 0.1: 3.6 = 2 x the best: (2 - 1.1) / (4 - 1.1)
                                      1.0, 1.2};   // 1: lower, but never calmer than 0.1
  const auto points = lr_instability(lrs, losses, 2, 2.3);
  ASSERT_EQ(points.size(), 4u);
  EXPECT_EQ(points[0].lr, 0.001);
  EXPECT_EQ(points[0].instability, 0.0);
  EXPECT_EQ(points[1].instability, 0.0);
  EXPECT_NEAR(points[2].instability, 0.9 / 2.9, 1e-12);
  EXPECT_NEAR(points[3].instability, 0.9 / 2.9, 1e-12);
}

TEST(LrScreen, ADivergedLearningRateAndEveryHigherOneAreOne) {
  const std::vector<double> lrs = {0.01, 0.1, 1.0, 10.0};
  // 0.1: 4 x the best is diverged; 1: a NaN loss; 10: from a broken model.
  const auto points = lr_instability(lrs, {2.0, 8.0, NAN, 0.5}, 1, 2.2);
  ASSERT_EQ(points.size(), 4u);
  EXPECT_EQ(points[0].instability, 0.0);
  EXPECT_EQ(points[1].instability, 1.0);
  EXPECT_EQ(points[2].instability, 1.0);
  EXPECT_EQ(points[3].instability, 1.0);
  // Without warm-up losses the first learning rate is the reference; a missing step leaves
  // its learning rate out.
  const auto first = lr_instability({0.01, 0.1, 1.0}, {2.0, 2.0, 5.0, 5.0, 1.0}, 2, NAN);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].instability, 0.0);
  EXPECT_NEAR(first[1].instability, 1.4 / 2.9, 1e-12);  // 2.5 x: (2.5 - 1.1) / (4 - 1.1)
  // A rise within the noise of a few mini-batches (under 10 %) is no instability.
  EXPECT_EQ(lr_instability({0.01, 0.1}, {2.0, 2.18}, 1, 2.0)[1].instability, 0.0);
  // A loss that can reach 0: only a non-finite loss counts.
  const auto zero = lr_instability({0.01, 0.1, 1.0}, {0.0, 5.0, INFINITY}, 1, 0.0);
  EXPECT_EQ(zero[1].instability, 0.0);
  EXPECT_EQ(zero[2].instability, 1.0);
  EXPECT_TRUE(lr_instability(lrs, {1.0, 2.0}, 0, 1.0).empty());
}

TEST(LrScreen, BetweenSweptLearningRatesTheInstabilityIsInterpolatedOnLogScale) {
  const std::vector<LrStability> points = {{0.001, 0.0}, {0.1, 1.0}};
  EXPECT_DOUBLE_EQ(instability_at(points, 0.01), 0.5);
  EXPECT_DOUBLE_EQ(instability_at(points, 0.001), 0.0);
  EXPECT_DOUBLE_EQ(instability_at(points, 0.1), 1.0);
  EXPECT_DOUBLE_EQ(instability_at(points, 1e-6), 0.0);  // the nearest end's outside them
  EXPECT_DOUBLE_EQ(instability_at(points, 5.0), 1.0);
  EXPECT_TRUE(std::isnan(instability_at({}, 0.01)));
  EXPECT_TRUE(std::isnan(instability_at(points, NAN)));
}
