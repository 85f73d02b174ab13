// Checks src/train/schedule.cpp: every schedule's LR (and one_cycle's momentum) at hand-computed
// steps, warmup, and the validation of impossible specs. No LibTorch here.
#include "powertrain/train/schedule.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>

namespace powertrain {
namespace {

constexpr double kTol = 1e-12;

// Expects the constructor to throw std::invalid_argument whose message contains `field`.
void expect_invalid(const ScheduleSpec& spec, double base, const std::string& field) {
  try {
    Schedule s(spec, base);
    ADD_FAILURE() << "no exception for a spec that should name " << field;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
  }
}

TEST(ScheduleTest, ConstantIsBaseEverywhereAndHasNoMomentum) {
  ScheduleSpec spec;
  Schedule s(spec, 0.1);
  EXPECT_DOUBLE_EQ(s.lr(0), 0.1);
  EXPECT_DOUBLE_EQ(s.lr(12345), 0.1);
  EXPECT_TRUE(std::isnan(s.momentum(0)));
  EXPECT_EQ(s.spec().type, "constant");
}

TEST(ScheduleTest, StepDecaysAtEachBoundary) {
  ScheduleSpec spec;
  spec.type = "step";
  spec.step_size = 10;
  spec.gamma = 0.5;
  Schedule s(spec, 0.1);
  EXPECT_DOUBLE_EQ(s.lr(0), 0.1);
  EXPECT_DOUBLE_EQ(s.lr(9), 0.1);
  EXPECT_DOUBLE_EQ(s.lr(10), 0.05);
  EXPECT_DOUBLE_EQ(s.lr(19), 0.05);
  EXPECT_DOUBLE_EQ(s.lr(20), 0.025);
  EXPECT_DOUBLE_EQ(s.lr(35), 0.0125);
  EXPECT_TRUE(std::isnan(s.momentum(10)));
}

TEST(ScheduleTest, CosineGoesFromBaseToMinWithMidpointHalfway) {
  ScheduleSpec spec;
  spec.type = "cosine";
  spec.total_steps = 100;
  spec.min_lr = 0.01;
  Schedule s(spec, 0.1);
  EXPECT_DOUBLE_EQ(s.lr(0), 0.1);
  EXPECT_NEAR(s.lr(50), (0.1 + 0.01) / 2, kTol);
  EXPECT_NEAR(s.lr(25), 0.01 + 0.09 * (1 + std::cos(std::acos(-1.0) / 4)) / 2, kTol);
  EXPECT_DOUBLE_EQ(s.lr(100), 0.01);
  EXPECT_DOUBLE_EQ(s.lr(500), 0.01);  // past the end: stays at min_lr
  for (long i = 1; i < 100; ++i) EXPECT_LT(s.lr(i), s.lr(i - 1)) << i;
  EXPECT_GT(s.lr(99), 0.01);
}

TEST(ScheduleTest, CosineWithWarmupRunsOverTheRemainingSteps) {
  ScheduleSpec spec;
  spec.type = "warmup_cosine";
  spec.total_steps = 110;
  spec.warmup_steps = 10;
  spec.warmup_start_factor = 0.1;
  Schedule s(spec, 0.1);
  EXPECT_DOUBLE_EQ(s.lr(0), 0.01);
  EXPECT_NEAR(s.lr(5), 0.055, kTol);
  EXPECT_DOUBLE_EQ(s.lr(10), 0.1);        // warmup end: the cosine starts at base
  EXPECT_NEAR(s.lr(60), 0.05, kTol);      // 10 + 100/2: the cosine midpoint (min_lr 0)
  EXPECT_DOUBLE_EQ(s.lr(110), 0.0);
  for (long i = 1; i <= 10; ++i) EXPECT_GT(s.lr(i), s.lr(i - 1)) << i;

  // "cosine" with the same warmup is the same schedule.
  spec.type = "cosine";
  Schedule c(spec, 0.1);
  for (long i : {0L, 3L, 10L, 47L, 109L}) EXPECT_DOUBLE_EQ(c.lr(i), s.lr(i)) << i;
}

TEST(ScheduleTest, WarmupRisesLinearlyToTheScheduleValueAtWarmupEnd) {
  ScheduleSpec spec;
  spec.warmup_steps = 4;
  spec.warmup_start_factor = 0.5;
  Schedule constant(spec, 0.2);
  EXPECT_DOUBLE_EQ(constant.lr(0), 0.1);
  EXPECT_DOUBLE_EQ(constant.lr(1), 0.125);
  EXPECT_DOUBLE_EQ(constant.lr(2), 0.15);
  EXPECT_DOUBLE_EQ(constant.lr(3), 0.175);
  EXPECT_DOUBLE_EQ(constant.lr(4), 0.2);

  // step with a warmup that ends on a decay boundary: the target is the decayed value.
  ScheduleSpec st;
  st.type = "step";
  st.step_size = 10;
  st.gamma = 0.5;
  st.warmup_steps = 10;
  st.warmup_start_factor = 0.0;
  Schedule step(st, 0.1);
  EXPECT_DOUBLE_EQ(step.lr(0), 0.0);
  EXPECT_DOUBLE_EQ(step.lr(5), 0.025);
  EXPECT_DOUBLE_EQ(step.lr(10), 0.05);
  EXPECT_DOUBLE_EQ(step.lr(20), 0.025);
}

TEST(ScheduleTest, TriangularPeaksAtStepSizeAndReturnsAtTwiceIt) {
  ScheduleSpec spec;
  spec.type = "triangular";
  spec.step_size = 5;
  spec.max_lr = 0.11;
  Schedule s(spec, 0.01);
  EXPECT_DOUBLE_EQ(s.lr(0), 0.01);
  EXPECT_NEAR(s.lr(2), 0.05, kTol);
  EXPECT_DOUBLE_EQ(s.lr(5), 0.11);
  EXPECT_NEAR(s.lr(7), 0.07, kTol);
  EXPECT_DOUBLE_EQ(s.lr(10), 0.01);
  EXPECT_DOUBLE_EQ(s.lr(15), 0.11);
  EXPECT_DOUBLE_EQ(s.lr(20), 0.01);
  EXPECT_TRUE(std::isnan(s.momentum(5)));
}

TEST(ScheduleTest, OneCycleLrAndMomentumAtThePhaseBoundaries) {
  ScheduleSpec spec;
  spec.type = "one_cycle";
  spec.total_steps = 1000;
  spec.max_lr = 0.1;
  spec.pct_start = 0.45;
  spec.anneal_pct = 0.1;
  spec.final_div = 100;
  spec.max_momentum = 0.95;
  spec.min_momentum = 0.85;
  Schedule s(spec, 0.01);
  // Start.
  EXPECT_DOUBLE_EQ(s.lr(0), 0.01);
  EXPECT_DOUBLE_EQ(s.momentum(0), 0.95);
  // Middle of phase 1.
  EXPECT_NEAR(s.lr(225), 0.055, kTol);
  EXPECT_NEAR(s.momentum(225), 0.90, kTol);
  // End of phase 1 (0.45 x 1000).
  EXPECT_DOUBLE_EQ(s.lr(450), 0.1);
  EXPECT_DOUBLE_EQ(s.momentum(450), 0.85);
  // Middle of phase 2.
  EXPECT_NEAR(s.lr(675), 0.055, kTol);
  EXPECT_NEAR(s.momentum(675), 0.90, kTol);
  // End of phase 2 ((1 - 0.1) x 1000).
  EXPECT_DOUBLE_EQ(s.lr(900), 0.01);
  EXPECT_DOUBLE_EQ(s.momentum(900), 0.95);
  // Anneal: linear from base at 900 to base / final_div at the last step (999).
  EXPECT_NEAR(s.lr(900 + 99 / 3), 0.01 - 0.0099 / 3, kTol);
  EXPECT_DOUBLE_EQ(s.momentum(950), 0.95);
  EXPECT_DOUBLE_EQ(s.lr(999), 0.01 / 100);
  EXPECT_DOUBLE_EQ(s.lr(5000), 0.01 / 100);
  EXPECT_DOUBLE_EQ(s.momentum(5000), 0.95);
  // Shape: up, down, down further.
  for (long i = 1; i <= 450; ++i) EXPECT_GT(s.lr(i), s.lr(i - 1)) << i;
  for (long i = 451; i <= 999; ++i) EXPECT_LT(s.lr(i), s.lr(i - 1)) << i;
}

TEST(ScheduleTest, OneCycleWithALongerSecondPhase) {
  ScheduleSpec spec;
  spec.type = "one_cycle";
  spec.total_steps = 100;
  spec.max_lr = 1.0;
  spec.pct_start = 0.25;
  spec.anneal_pct = 0.2;
  Schedule s(spec, 0.2);
  // Phase 1: 0..25, phase 2: 25..80 (55 steps), anneal: 80..99.
  EXPECT_NEAR(s.lr(25), 1.0, kTol);
  EXPECT_NEAR(s.momentum(25), 0.85, kTol);
  EXPECT_NEAR(s.lr(36), 1.0 - 0.8 * 11 / 55, kTol);
  EXPECT_NEAR(s.momentum(36), 0.85 + 0.1 * 11 / 55, kTol);
  EXPECT_NEAR(s.lr(80), 0.2, kTol);
  EXPECT_NEAR(s.momentum(80), 0.95, kTol);
  EXPECT_NEAR(s.lr(99), 0.002, kTol);
}

TEST(ScheduleTest, InvalidSpecsThrowNamingTheField) {
  ScheduleSpec unknown;
  unknown.type = "exponential";
  expect_invalid(unknown, 0.1, "one_cycle");  // the message lists the types
  expect_invalid(unknown, 0.1, "exponential");

  ScheduleSpec step;
  step.type = "step";
  expect_invalid(step, 0.1, "step_size");
  step.step_size = 5;
  step.gamma = 0;
  expect_invalid(step, 0.1, "gamma");

  ScheduleSpec cosine;
  cosine.type = "cosine";
  expect_invalid(cosine, 0.1, "total_steps");
  cosine.total_steps = 10;
  cosine.warmup_steps = 10;
  expect_invalid(cosine, 0.1, "warmup_steps");
  cosine.warmup_steps = 0;
  cosine.min_lr = 0.5;
  expect_invalid(cosine, 0.1, "min_lr");

  ScheduleSpec wc;
  wc.type = "warmup_cosine";
  wc.total_steps = 100;
  expect_invalid(wc, 0.1, "warmup_steps");

  ScheduleSpec tri;
  tri.type = "triangular";
  tri.step_size = 5;
  expect_invalid(tri, 0.1, "max_lr");  // NaN by default
  tri.max_lr = 0.1;
  expect_invalid(tri, 0.1, "max_lr");  // not above base
  tri.max_lr = 1.0;
  tri.step_size = 0;
  expect_invalid(tri, 0.1, "step_size");

  ScheduleSpec oc;
  oc.type = "one_cycle";
  oc.max_lr = 1.0;
  expect_invalid(oc, 0.1, "total_steps");
  oc.total_steps = 100;
  oc.pct_start = 0.0;
  expect_invalid(oc, 0.1, "pct_start");
  oc.pct_start = 0.5;
  oc.anneal_pct = 0.1;
  expect_invalid(oc, 0.1, "pct_start");  // 2 x 0.5 + 0.1 > 1
  oc.pct_start = 0.3;
  oc.anneal_pct = 1.0;
  expect_invalid(oc, 0.1, "anneal_pct");
  oc.anneal_pct = 0.1;
  oc.max_lr = 0.05;
  expect_invalid(oc, 0.1, "max_lr");

  ScheduleSpec any;
  any.warmup_steps = -1;
  expect_invalid(any, 0.1, "warmup_steps");
  expect_invalid(ScheduleSpec{}, 0.0, "lr");
}

TEST(ScheduleTest, TypesAreListed) {
  const auto types = schedule_types();
  ASSERT_EQ(types.size(), 6u);
  for (const auto& t : types) {
    ScheduleSpec spec;
    spec.type = t;
    spec.total_steps = 100;
    spec.step_size = 10;
    spec.max_lr = 1.0;
    spec.warmup_steps = 5;
    EXPECT_NO_THROW(Schedule(spec, 0.1)) << t;
  }
}

}  // namespace
}  // namespace powertrain
