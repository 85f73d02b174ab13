// pareto_successive_halving_test.cpp: non-dominated sorting, crowding distance and
// hypervolume contributions on hand-made point sets, then Pareto successive halving on a
// synthetic two-objective problem and on the Zeus trace backend.
#include "powertrain/tune/pareto_successive_halving.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "powertrain/tune/trace_objective.h"
#include "powertrain/tune/tuner.h"

using namespace powertrain::tune;

using Fronts = std::vector<std::vector<std::size_t>>;

TEST(Pareto, NonDominatedSortingOnAHandMadeSet) {
  // A(1,5) B(2,3) C(3,1) trade off; D(2,4) is dominated by B; E(4,4) by B and C (and D
  // dominates it); F(5,5) by everyone.
  const std::vector<ObjectivePoint> p = {{1, 5}, {2, 3}, {3, 1}, {2, 4}, {4, 4}, {5, 5}};
  EXPECT_EQ(non_dominated_fronts(p), (Fronts{{0, 1, 2}, {3}, {4}, {5}}));
  EXPECT_TRUE(dominates(p[1], p[3]));
  EXPECT_FALSE(dominates(p[0], p[1]));
  EXPECT_FALSE(dominates(p[1], p[1]));  // equal points do not dominate each other
  EXPECT_EQ(non_dominated_fronts({{1, 1}, {1, 1}}), (Fronts{{0, 1}}));
  EXPECT_TRUE(non_dominated_fronts({}).empty());
}

TEST(Pareto, CrowdingDistance) {
  const std::vector<ObjectivePoint> p = {{0, 4}, {1, 2}, {3, 1}, {4, 0}};
  const auto d = crowding_distances(p, {0, 1, 2, 3});
  EXPECT_TRUE(std::isinf(d[0]));
  EXPECT_TRUE(std::isinf(d[3]));
  EXPECT_DOUBLE_EQ(d[1], 3.0 / 4 + 3.0 / 4);  // loss gap (3 - 0) / 4, energy gap (4 - 1) / 4
  EXPECT_DOUBLE_EQ(d[2], 3.0 / 4 + 2.0 / 4);  // loss gap (4 - 1) / 4, energy gap (2 - 0) / 4
  const auto two = crowding_distances(p, {1, 2});
  EXPECT_TRUE(std::isinf(two[0]) && std::isinf(two[1]));
}

TEST(Pareto, HypervolumeContributions) {
  const std::vector<ObjectivePoint> p = {{0, 4}, {1, 2}, {3, 1}, {4, 0}};
  const auto c = hypervolume_contributions(p, {0, 1, 2, 3}, {5, 5});
  EXPECT_EQ(c, (std::vector<double>{1.0, 4.0, 1.0, 1.0}));
  // Order of the front does not matter.
  const auto r = hypervolume_contributions(p, {3, 1, 0, 2}, {5, 5});
  EXPECT_EQ(r, (std::vector<double>{1.0, 4.0, 1.0, 1.0}));
}

TEST(Pareto, SelectFillsFrontsThenBreaksTiesAndPutsInfiniteLast) {
  const std::vector<ObjectivePoint> p = {{0, 4}, {1, 2}, {3, 1}, {4, 0}, {5, 5}, {INFINITY, 0}};
  // Crowding: the extremes (inf) first, then the larger distance.
  EXPECT_EQ(pareto_select(p, 3, ParetoTieBreak::crowding), (std::vector<std::size_t>{0, 3, 1}));
  // Hypervolume: B's contribution is the largest.
  EXPECT_EQ(pareto_select(p, 1, ParetoTieBreak::hypervolume), (std::vector<std::size_t>{1}));
  // A whole first front, then the second front, then the infinite loss.
  EXPECT_EQ(pareto_select(p, 6, ParetoTieBreak::crowding), (std::vector<std::size_t>{0, 1, 2, 3, 4, 5}));
}

TEST(ParetoSuccessiveHalving, RunsRungsAndExposesAFront) {
  // Configs k = 0..26: loss falls with k, energy rises with k; every third config has a
  // much worse loss (dominated at its budget).
  SearchSpace s;
  s.add_int("k", 0, 26);
  ParetoSuccessiveHalvingOptions o;
  o.eta = 3;
  o.min_budget = 1;
  o.max_budget = 9;
  o.n_configs = 27;
  ParetoSuccessiveHalving p(s, o);
  EXPECT_EQ(p.rungs().size(), 3u);
  int trials = 0;
  while (auto t = p.ask()) {
    const double k = std::get<double>(t->config.at("k"));
    TrialResult r;
    r.energy_j = (1 + k) * t->budget;
    r.loss = (30 - k) / t->budget + (static_cast<int>(k) % 3 == 2 ? 100 : 0);
    r.metric = -r.loss;
    p.tell(*t, r);
    ++trials;
  }
  EXPECT_TRUE(p.finished());
  EXPECT_EQ(trials, 27 + 9 + 3);
  const auto front = p.pareto_front();
  ASSERT_FALSE(front.empty());
  // Latest results of different budgets are compared as they are; the best loss is a
  // config trained to the full budget.
  EXPECT_EQ(front.front().budget, 9.0);
  for (std::size_t i = 0; i < front.size(); ++i) {
    for (std::size_t j = 0; j < front.size(); ++j)
      EXPECT_FALSE(dominates({front[j].loss, front[j].energy_j}, {front[i].loss, front[i].energy_j}));
    if (i > 0) {
      EXPECT_LT(front[i - 1].loss, front[i].loss);
    }
  }
}

TEST(ParetoSuccessiveHalving, RejectsBadOptions) {
  SearchSpace s;
  s.add_int("k", 0, 3);
  ParetoSuccessiveHalvingOptions o;
  o.eta = 0.5;
  EXPECT_THROW(ParetoSuccessiveHalving(s, o), std::invalid_argument);
  o = {};
  o.n_configs = -1;
  EXPECT_THROW(ParetoSuccessiveHalving(s, o), std::invalid_argument);
}

TEST(ParetoSuccessiveHalving, OnTheZeusTrace) {
  const char* env = std::getenv("POWERTRAIN_ZEUS_TRACE_DIR");
  const std::string dir = env && *env ? env : POWERTRAIN_ZEUS_TRACE_DIR;
  if (!std::filesystem::exists(std::filesystem::path(dir) / "summary_train.csv")) GTEST_SKIP() << "no Zeus trace";
  const auto trace = ZeusTrace::load(dir, "v100");
  ZeusObjective objective(trace, "sentiment140", 0);
  TunerOptions to = objective.tuner_options();
  to.loss = LossKind::metric;  // (metric, energy) trade-off
  Tuner tuner(objective, to);
  ParetoSuccessiveHalvingOptions o;
  o.max_budget = to.max_epochs;
  o.n_configs = static_cast<long>(objective.space().grid_size());
  ParetoSuccessiveHalving p(objective.space(), o);
  tuner.run(p);
  EXPECT_TRUE(p.finished());
  const auto front = p.pareto_front();
  ASSERT_GE(front.size(), 2u);  // cheap-but-worse and expensive-but-better points
  for (std::size_t i = 1; i < front.size(); ++i) EXPECT_GT(front[i - 1].energy_j, front[i].energy_j);
}
