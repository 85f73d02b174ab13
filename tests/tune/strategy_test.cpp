// strategy_test.cpp: grid, random, TPE, successive halving and Hyperband on synthetic
// objectives with a known optimum, and their budget arithmetic.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "powertrain/tune/grid_search.h"
#include "powertrain/tune/hyperband.h"
#include "powertrain/tune/random_search.h"
#include "powertrain/tune/space.h"
#include "powertrain/tune/successive_halving.h"
#include "powertrain/tune/tpe.h"

using namespace powertrain::tune;

namespace {

double num(const Config& c, const std::string& name) { return std::get<double>(c.at(name)); }

// Drives a strategy with loss = f(config, budget); returns the trials in order.
std::vector<Trial> drive(Strategy& s, const std::function<double(const Config&, double)>& f) {
  std::vector<Trial> trials;
  while (auto t = s.ask()) {
    TrialResult r;
    r.loss = f(t->config, t->budget);
    s.tell(*t, r);
    trials.push_back(*t);
  }
  EXPECT_TRUE(s.finished());
  return trials;
}

// A 2-D objective: minimum 0 at lr = 10^-2.5, x = 0.3.
double bowl(const Config& c) {
  const double a = std::log10(num(c, "lr")) + 2.5;
  const double b = num(c, "x") - 0.3;
  return a * a + b * b;
}

SearchSpace bowl_space() {
  SearchSpace s;
  s.add_log_float("lr", 1e-5, 1.0);
  s.add_float("x", 0.0, 1.0);
  return s;
}

SearchSpace integers(int n) {
  SearchSpace s;
  s.add_int("k", 0, n - 1);
  return s;
}

std::vector<std::pair<long, double>> rungs_of(const std::vector<Rung>& rungs) {
  std::vector<std::pair<long, double>> out;
  for (const auto& r : rungs) out.emplace_back(r.n_configs, r.budget);
  return out;
}

}  // namespace

TEST(GridSearch, VisitsEveryPointAndFindsTheOptimum) {
  SearchSpace s;
  s.add_float("x", 0.0, 1.0);
  s.add_categorical("c", {std::string("a"), std::string("b")});
  GridSearchOptions o;
  o.points = 5;
  o.budget = 3;
  GridSearch g(s, o);
  const auto trials = drive(g, [](const Config& c, double) {
    return std::pow(num(c, "x") - 0.5, 2) + (std::get<std::string>(c.at("c")) == "b" ? 0.0 : 1.0);
  });
  ASSERT_EQ(trials.size(), 10u);
  for (const auto& t : trials) EXPECT_EQ(t.budget, 3.0);
  EXPECT_EQ(config_key(*g.best()), "c=b;x=0.5");
}

TEST(GridSearch, ShuffleIsASeededPermutation) {
  GridSearchOptions o;
  o.shuffle = true;
  o.seed = 4;
  GridSearch a(integers(20), o), b(integers(20), o);
  std::vector<std::string> ka, kb;
  for (const auto& t : drive(a, [](const Config&, double) { return 0.0; })) ka.push_back(config_key(t.config));
  for (const auto& t : drive(b, [](const Config&, double) { return 0.0; })) kb.push_back(config_key(t.config));
  EXPECT_EQ(ka, kb);
  EXPECT_EQ(std::set<std::string>(ka.begin(), ka.end()).size(), 20u);
  EXPECT_NE(ka.front() + ka[1] + ka[2], "k=0k=1k=2");  // not the grid order
}

TEST(RandomSearch, NeverRepeatsAndStopsWhenTheSpaceIsExhausted) {
  RandomSearchOptions o;
  o.n_trials = 50;
  o.seed = 1;
  RandomSearch r(integers(12), o);
  const auto trials = drive(r, [](const Config& c, double) { return std::fabs(num(c, "k") - 7); });
  ASSERT_EQ(trials.size(), 12u);
  std::set<std::string> keys;
  for (const auto& t : trials) keys.insert(config_key(t.config));
  EXPECT_EQ(keys.size(), 12u);
  EXPECT_EQ(num(*r.best(), "k"), 7.0);
}

TEST(RandomSearch, StopsAfterNTrials) {
  RandomSearchOptions o;
  o.n_trials = 15;
  RandomSearch r(bowl_space(), o);
  EXPECT_EQ(drive(r, [](const Config& c, double) { return bowl(c); }).size(), 15u);
  EXPECT_THROW(RandomSearch(bowl_space(), RandomSearchOptions{0, 1.0, 0}), std::invalid_argument);
}

TEST(Strategy, TellRejectsUnknownOrRepeatedTrials) {
  RandomSearch r(bowl_space(), RandomSearchOptions{});
  auto t = r.ask();
  ASSERT_TRUE(t);
  r.tell(*t, TrialResult{});
  EXPECT_THROW(r.tell(*t, TrialResult{}), std::invalid_argument);
  Trial fake;
  fake.id = 99;
  EXPECT_THROW(r.tell(fake, TrialResult{}), std::invalid_argument);
}

TEST(Strategy, BestPrefersResultsThatReachedTheTarget) {
  GridSearch g(integers(3), GridSearchOptions{});
  for (int i = 0; i < 3; ++i) {
    auto t = g.ask();
    TrialResult r;
    r.loss = i == 1 ? 50.0 : 10.0;  // k=1 has a worse loss but is the only one at the target
    r.reached_target = i == 1;
    g.tell(*t, r);
  }
  EXPECT_EQ(num(*g.best(), "k"), 1.0);
}

TEST(Tpe, RejectsBadOptions) {
  TpeOptions o;
  o.gamma = 1.0;
  EXPECT_THROW(Tpe(bowl_space(), o), std::invalid_argument);
  o = TpeOptions{};
  o.n_startup = 0;
  EXPECT_THROW(Tpe(bowl_space(), o), std::invalid_argument);
}

TEST(Tpe, ScoresTheGoodRegionAboveTheBadOne) {
  TpeOptions o;
  o.n_trials = 30;
  o.n_startup = 30;  // all random: only the model's score is under test
  o.seed = 2;
  Tpe t(bowl_space(), o);
  drive(t, [](const Config& c, double) { return bowl(c); });
  Config good{{"lr", std::pow(10.0, -2.5)}, {"x", 0.3}};
  Config bad{{"lr", 0.5}, {"x", 0.95}};
  EXPECT_GT(t.score(good), 0.0);
  EXPECT_GT(t.score(good), t.score(bad));
}

TEST(Tpe, BeatsRandomSearchOnABowl) {
  // Fixed seeds: deterministic, so no flakiness; the medians compare the methods.
  std::vector<double> tpe_best, random_best;
  for (unsigned seed = 0; seed < 9; ++seed) {
    TpeOptions o;
    o.n_trials = 60;
    o.seed = seed;
    Tpe t(bowl_space(), o);
    drive(t, [](const Config& c, double) { return bowl(c); });
    tpe_best.push_back(t.best_result()->loss);
    RandomSearch r(bowl_space(), RandomSearchOptions{60, 1.0, seed});
    drive(r, [](const Config& c, double) { return bowl(c); });
    random_best.push_back(r.best_result()->loss);
  }
  std::sort(tpe_best.begin(), tpe_best.end());
  std::sort(random_best.begin(), random_best.end());
  EXPECT_LT(tpe_best[4], random_best[4]);
  EXPECT_LT(tpe_best[4], 0.05);  // near the optimum 0
}

TEST(Tpe, HandlesCategoricalAndIntParameters) {
  SearchSpace s;
  s.add_categorical("opt", {std::string("sgd"), std::string("adam"), std::string("rmsprop")});
  s.add_int("layers", 1, 8);
  TpeOptions o;
  o.n_trials = 24;  // the space has 24 points: TPE must try each exactly once
  o.n_startup = 5;
  Tpe t(s, o);
  const auto trials = drive(t, [](const Config& c, double) {
    return std::fabs(num(c, "layers") - 5) + (std::get<std::string>(c.at("opt")) == "adam" ? 0 : 3);
  });
  std::set<std::string> keys;
  for (const auto& tr : trials) keys.insert(config_key(tr.config));
  EXPECT_EQ(keys.size(), trials.size());
  EXPECT_EQ(config_key(*t.best()), "layers=5;opt=adam");
}

TEST(SuccessiveHalving, RungArithmetic) {
  EXPECT_EQ(SuccessiveHalving::max_rung(3, 1, 81), 4);
  EXPECT_EQ(SuccessiveHalving::max_rung(3, 1, 80), 3);
  EXPECT_EQ(SuccessiveHalving::max_rung(2, 1, 1), 0);
  const std::vector<std::pair<long, double>> eta3 = {{81, 1}, {27, 3}, {9, 9}, {3, 27}, {1, 81}};
  EXPECT_EQ(rungs_of(SuccessiveHalving::plan(81, 3, 1, 81)), eta3);
  const std::vector<std::pair<long, double>> eta2 = {{20, 2}, {10, 4}, {5, 8}, {2, 16}};
  EXPECT_EQ(rungs_of(SuccessiveHalving::plan(20, 2, 2, 16)), eta2);
  // 10 configurations with eta 3: 10, 3, 1; the budgets end at R.
  const auto r = SuccessiveHalving::plan(10, 3, 1, 100);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].n_configs, 10);
  EXPECT_EQ(r[1].n_configs, 3);
  EXPECT_EQ(r[2].n_configs, 1);
  EXPECT_DOUBLE_EQ(r[0].budget, 100.0 / 81);
  EXPECT_DOUBLE_EQ(r[2].budget, 100.0 / 9);
  EXPECT_THROW(SuccessiveHalving::plan(10, 1.0, 1, 10), std::invalid_argument);
  EXPECT_THROW(SuccessiveHalving::plan(10, 3, 5, 1), std::invalid_argument);
}

TEST(SuccessiveHalving, RunsTheRungsAndKeepsTheBest) {
  SuccessiveHalvingOptions o;
  o.eta = 3;
  o.min_budget = 1;
  o.max_budget = 27;
  o.seed = 5;
  SuccessiveHalving sh(bowl_space(), o);
  std::map<double, std::vector<double>> losses_by_budget;
  const auto trials = drive(sh, [&](const Config& c, double budget) {
    const double loss = bowl(c) + 1.0 / budget;  // more budget, lower loss; same ranking
    losses_by_budget[budget].push_back(bowl(c));
    return loss;
  });
  std::map<double, int> count;
  for (const auto& t : trials) ++count[t.budget];
  EXPECT_EQ(count, (std::map<double, int>{{1, 27}, {3, 9}, {9, 3}, {27, 1}}));
  // Each rung holds the best third of the one before.
  auto first = losses_by_budget[1];
  std::sort(first.begin(), first.end());
  auto second = losses_by_budget[3];
  std::sort(second.begin(), second.end());
  EXPECT_EQ(second, std::vector<double>(first.begin(), first.begin() + 9));
  EXPECT_EQ(losses_by_budget[27].front(), first.front());
  EXPECT_EQ(bowl(*sh.best()), first.front());
}

TEST(SuccessiveHalving, WaitsForTheRungBeforePromoting) {
  SuccessiveHalvingOptions o;
  o.max_budget = 9;
  SuccessiveHalving sh(integers(100), o);
  std::vector<Trial> asked;
  while (auto t = sh.ask()) asked.push_back(*t);
  EXPECT_EQ(asked.size(), 9u);
  EXPECT_FALSE(sh.finished());  // waiting, not done
  for (const auto& t : asked) {
    TrialResult r;
    r.loss = num(t.config, "k");
    sh.tell(t, r);
  }
  auto next = sh.ask();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->budget, 3.0);
}

// Nobody reached the target: an energy-to-target loss is then extrapolated from the progress
// so far, far too optimistic after one epoch. The config SH kept to the last rung is the
// best, not the one with the lowest 1-epoch extrapolation; a stopped (+inf) one never is.
TEST(SuccessiveHalving, BestWithoutTheTargetIsTheLongestTrainedNotTheLowestExtrapolation) {
  SuccessiveHalvingOptions o;
  o.max_budget = 81;
  SuccessiveHalving sh(integers(7), o);
  while (!sh.finished()) {
    std::vector<Trial> asked;
    while (auto t = sh.ask()) asked.push_back(*t);
    for (const auto& t : asked) {
      TrialResult r;
      const double k = num(t.config, "k");
      // At budget 1, k=5 looks cheapest (loss 1); after that k=2 is promoted and wins at
      // budget 3 with loss 20, worse than k=5's 1-epoch number.
      r.loss = t.budget == 1 ? (k == 5 ? 1.0 : 10.0 + std::fabs(k - 2)) : 20.0 + std::fabs(k - 2);
      if (t.budget == 1 && k == 6) r.loss = INFINITY;
      sh.tell(t, r);
    }
  }
  EXPECT_EQ(num(*sh.best(), "k"), 2.0);
  EXPECT_EQ(sh.best_result()->loss, 20.0);
}

TEST(SuccessiveHalving, UsesAllOfASmallFiniteSpace) {
  SuccessiveHalvingOptions o;
  o.max_budget = 81;  // n0 = 81 > 7 configurations
  SuccessiveHalving sh(integers(7), o);
  EXPECT_EQ(rungs_of(sh.rungs()), (std::vector<std::pair<long, double>>{{7, 1}, {2, 3}}));
  const auto trials = drive(sh, [](const Config& c, double) { return std::fabs(num(c, "k") - 2); });
  EXPECT_EQ(trials.size(), 9u);
  EXPECT_EQ(num(*sh.best(), "k"), 2.0);
}

TEST(Hyperband, BracketsMatchThePaperTable) {
  // Li et al. 2018, Table 1: eta = 3, R = 81.
  const auto b = Hyperband::brackets(3, 1, 81);
  ASSERT_EQ(b.size(), 5u);
  using R = std::vector<std::pair<long, double>>;
  EXPECT_EQ(b[0].s, 4);
  EXPECT_EQ(rungs_of(b[0].rungs), (R{{81, 1}, {27, 3}, {9, 9}, {3, 27}, {1, 81}}));
  EXPECT_EQ(rungs_of(b[1].rungs), (R{{34, 3}, {11, 9}, {3, 27}, {1, 81}}));
  EXPECT_EQ(rungs_of(b[2].rungs), (R{{15, 9}, {5, 27}, {1, 81}}));
  EXPECT_EQ(rungs_of(b[3].rungs), (R{{8, 27}, {2, 81}}));
  EXPECT_EQ(rungs_of(b[4].rungs), (R{{5, 81}}));
  EXPECT_EQ(b[4].s, 0);
}

TEST(Hyperband, RunsEveryBracketAndFindsTheOptimum) {
  HyperbandOptions o;
  o.max_budget = 81;
  o.seed = 3;
  Hyperband hb(bowl_space(), o);
  const auto trials = drive(hb, [](const Config& c, double budget) { return bowl(c) + 1.0 / budget; });
  EXPECT_EQ(trials.size(), 121u + 49u + 21u + 10u + 5u);
  std::map<double, int> count;
  for (const auto& t : trials) ++count[t.budget];
  EXPECT_EQ(count, (std::map<double, int>{{1, 81}, {3, 27 + 34}, {9, 9 + 11 + 15}, {27, 3 + 3 + 5 + 8},
                                          {81, 1 + 1 + 1 + 2 + 5}}));
  EXPECT_LT(bowl(*hb.best()), 0.1);
}
