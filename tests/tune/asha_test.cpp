// asha_test.cpp: asynchronous successive halving: rung budgets, immediate promotions,
// results told out of order, finding a known optimum, bad options and the registry entry.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "powertrain/tune/asha.h"
#include "powertrain/tune/registry.h"
#include "powertrain/tune/space.h"

using namespace powertrain::tune;

namespace {

long k_of(const Config& c) { return std::lround(std::get<double>(c.at("k"))); }

SearchSpace integers(int n) {
  SearchSpace s;
  s.add_int("k", 0, n - 1);
  return s;
}

AshaOptions options(double max_budget, long n_configs = 0, std::uint64_t seed = 0) {
  AshaOptions o;
  o.eta = 3;
  o.min_budget = 1;
  o.max_budget = max_budget;
  o.n_configs = n_configs;
  o.seed = seed;
  return o;
}

// A test-side record of what the strategy was told, to check each ask() against the rule:
// a promotion only for a config in the top floor(n_k / eta) of its rung, a new config only
// when no promotion was possible.
class Reference {
 public:
  explicit Reference(std::vector<double> budgets) : budgets_(std::move(budgets)), told_(budgets_.size()) {}

  std::size_t rung_of(double budget) const {
    const auto it = std::find(budgets_.begin(), budgets_.end(), budget);
    EXPECT_NE(it, budgets_.end()) << "budget " << budget << " is no rung's";
    return static_cast<std::size_t>(it - budgets_.begin());
  }
  // The configs in the top floor(n_k / 3) of rung k that were not promoted yet.
  std::set<long> promotable(std::size_t k) const {
    std::vector<std::pair<std::pair<double, long>, long>> v;  // ((loss, trial id), config)
    for (const auto& [config, result] : told_[k]) v.push_back({result, config});
    std::sort(v.begin(), v.end());  // lowest loss first, ties to the earlier trial
    std::set<long> out;
    for (std::size_t i = 0; i < v.size() / 3; ++i)
      if (!promoted_.count({v[i].second, k})) out.insert(v[i].second);
    return out;
  }
  bool any_promotable() const {
    for (std::size_t k = 0; k + 1 < budgets_.size(); ++k)
      if (!promotable(k).empty()) return true;
    return false;
  }
  // Checks a trial the strategy asked and records it.
  void asked(const Trial& t) {
    const std::size_t k = rung_of(t.budget);
    const long c = k_of(t.config);
    EXPECT_TRUE(asked_.insert({c, k}).second) << "config " << c << " asked twice at rung " << k;
    if (k == 0) {
      EXPECT_FALSE(any_promotable()) << "started config " << c << " while a promotion was possible";
    } else {
      EXPECT_TRUE(told_[k - 1].count(c)) << "config " << c << " promoted to rung " << k << " without a result below";
      EXPECT_TRUE(promotable(k - 1).count(c)) << "config " << c << " is not in the top 1/3 of rung " << k - 1;
      promoted_.insert({c, k - 1});
    }
  }
  void told(const Trial& t, double loss) { told_[rung_of(t.budget)][k_of(t.config)] = {loss, t.id}; }

 private:
  std::vector<double> budgets_;
  std::vector<std::map<long, std::pair<double, long>>> told_;  // per rung: config -> (loss, trial id)
  std::set<std::pair<long, std::size_t>> asked_, promoted_;
};

}  // namespace

TEST(Asha, RungBudgets) {
  EXPECT_EQ(Asha::budgets(3, 1, 27), (std::vector<double>{1, 3, 9, 27}));
  EXPECT_EQ(Asha::budgets(3, 1, 30), (std::vector<double>{1, 3, 9, 27, 30}));
  EXPECT_EQ(Asha::budgets(3, 1, 20), (std::vector<double>{1, 3, 9, 20}));
  EXPECT_EQ(Asha::budgets(2, 5, 5), (std::vector<double>{5}));
  Asha a(integers(10), options(27));
  EXPECT_EQ(a.rung_budgets(), (std::vector<double>{1, 3, 9, 27}));
  EXPECT_EQ(a.name(), "asha");
}

TEST(Asha, PromotesAsSoonAsAConfigIsInTheTopThird) {
  // loss = k: told one by one, the third result makes the best of the three promotable.
  Asha a(integers(27), options(27));
  Reference ref(a.rung_budgets());
  std::vector<Trial> first;
  for (int i = 0; i < 3; ++i) {
    auto t = a.ask();
    ASSERT_TRUE(t);
    ref.asked(*t);
    EXPECT_EQ(t->budget, 1.0);
    first.push_back(*t);
    TrialResult r;
    r.loss = static_cast<double>(k_of(t->config));
    a.tell(*t, r);
    ref.told(*t, r.loss);
  }
  auto p = a.ask();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->budget, 3.0);
  const long best = std::min({k_of(first[0].config), k_of(first[1].config), k_of(first[2].config)});
  EXPECT_EQ(k_of(p->config), best);
  ref.asked(*p);
  TrialResult r;
  r.loss = static_cast<double>(best);
  a.tell(*p, r);
  ref.told(*p, r.loss);
  // The rest of the run, told one by one: every ask follows the rule.
  while (auto t = a.ask()) {
    ref.asked(*t);
    TrialResult res;
    res.loss = static_cast<double>(k_of(t->config)) + 1.0 / t->budget;
    a.tell(*t, res);
    ref.told(*t, res.loss);
  }
  EXPECT_TRUE(a.finished());
  EXPECT_EQ(a.started(), 27);
}

TEST(Asha, WaitsWithoutFinishingWhileTrialsArePending) {
  Asha a(integers(3), options(9));
  auto t0 = a.ask(), t1 = a.ask(), t2 = a.ask();
  ASSERT_TRUE(t0 && t1 && t2);
  EXPECT_FALSE(a.ask());  // every config started, nothing told: wait
  EXPECT_FALSE(a.finished());
  TrialResult r;
  r.loss = 2;
  a.tell(*t0, r);
  r.loss = 1;
  a.tell(*t1, r);
  EXPECT_FALSE(a.ask());  // floor(2 / 3) = 0: nothing to promote yet
  EXPECT_FALSE(a.finished());
  r.loss = 3;
  a.tell(*t2, r);
  EXPECT_FALSE(a.finished());  // t1's config can be promoted now
  auto p = a.ask();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->config, t1->config);
  EXPECT_EQ(p->budget, 3.0);
  EXPECT_FALSE(a.ask());
  EXPECT_FALSE(a.finished());
  a.tell(*p, r);
  // One result at rung 1 (floor(1 / 3) = 0), nothing pending, nothing to start: finished.
  EXPECT_TRUE(a.finished());
  EXPECT_FALSE(a.ask());
}

TEST(Asha, NeverPromotesTwiceWithResultsOutOfOrder) {
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    Asha a(integers(81), options(27, 0, seed));
    Reference ref(a.rung_budgets());
    std::mt19937_64 rng(seed + 100);
    std::vector<Trial> pending;
    std::set<long> ids;
    long asked = 0;
    for (;;) {
      // Keep up to 5 trials in flight (5 workers), then tell a random one of them.
      while (pending.size() < 5) {
        auto t = a.ask();
        if (!t) break;
        EXPECT_TRUE(ids.insert(t->id).second);
        ref.asked(*t);
        pending.push_back(*t);
        ++asked;
      }
      if (pending.empty()) break;
      EXPECT_FALSE(a.finished());
      std::shuffle(pending.begin(), pending.end(), rng);
      const Trial t = pending.back();
      pending.pop_back();
      TrialResult r;
      r.loss = std::abs(static_cast<double>(k_of(t.config)) - 40.0) + 5.0 / t.budget;
      a.tell(t, r);
      ref.told(t, r.loss);
    }
    EXPECT_TRUE(a.finished());
    EXPECT_EQ(a.pending(), 0);
    EXPECT_EQ(a.started(), 81);
    EXPECT_GT(asked, 81);  // promotions happened
    EXPECT_EQ(a.told(), asked);
    // The best config made it to the full budget.
    ASSERT_TRUE(a.best());
    EXPECT_EQ(k_of(*a.best()), 40);
    Trial unknown;
    unknown.id = asked + 7;
    EXPECT_THROW(a.tell(unknown, TrialResult{}), std::invalid_argument);
  }
}

TEST(Asha, FindsTheOptimumAtTheFullBudget) {
  // loss = (k - 17)^2 + 10 / budget: the optimum is k = 17, best at the largest budget.
  Asha a(integers(81), options(27, 0, 3));
  std::vector<Trial> trials;
  while (auto t = a.ask()) {
    TrialResult r;
    r.loss = std::pow(k_of(t->config) - 17.0, 2) + 10.0 / t->budget;
    a.tell(*t, r);
    trials.push_back(*t);
  }
  EXPECT_TRUE(a.finished());
  ASSERT_TRUE(a.best());
  EXPECT_EQ(k_of(*a.best()), 17);
  EXPECT_EQ(a.best_result()->loss, 10.0 / 27);
  // Rung sizes of a sequential run: 81 started; each rung promotes at least floor(n_k / 3)
  // (more: a config promoted early stays promoted when better ones arrive later).
  std::map<double, int> n;
  for (const auto& t : trials) ++n[t.budget];
  EXPECT_EQ(n[1], 81);
  EXPECT_GE(n[3], 27);
  EXPECT_GE(n[9], n[3] / 3);
  EXPECT_GE(n[27], n[9] / 3);
  EXPECT_LT(n[27], n[9]);
}

TEST(Asha, SamplesAFloatSpaceWithoutRepeats) {
  SearchSpace s;
  s.add_float("x", 0.0, 1.0);
  Asha a(s, options(9, 30, 1));
  std::set<std::string> started;
  while (auto t = a.ask()) {
    if (t->budget == 1.0) {
      EXPECT_TRUE(started.insert(config_key(t->config)).second);
    }
    TrialResult r;
    r.loss = std::abs(std::get<double>(t->config.at("x")) - 0.5);
    a.tell(*t, r);
  }
  EXPECT_EQ(started.size(), 30u);
  EXPECT_TRUE(a.finished());
}

TEST(Asha, NeverPromotesFailedTrials) {
  Asha a(integers(9), options(9));
  while (auto t = a.ask()) {
    EXPECT_EQ(t->budget, 1.0);
    TrialResult r;
    r.loss = INFINITY;
    a.tell(*t, r);
  }
  EXPECT_TRUE(a.finished());
  EXPECT_EQ(a.told(), 9);
}

TEST(Asha, RejectsBadOptionsNamingThem) {
  auto message = [](const SearchSpace& s, const AshaOptions& o) -> std::string {
    try {
      Asha a(s, o);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  };
  const SearchSpace s = integers(5);
  AshaOptions o = options(27);
  o.eta = 1;
  EXPECT_NE(message(s, o).find("eta"), std::string::npos);
  o = options(27);
  o.min_budget = 0;
  EXPECT_NE(message(s, o).find("min_budget"), std::string::npos);
  o = options(27);
  o.max_budget = 0.5;
  EXPECT_NE(message(s, o).find("max_budget"), std::string::npos);
  o = options(27, -1);
  EXPECT_NE(message(s, o).find("n_configs"), std::string::npos);
  SearchSpace floats;
  floats.add_float("x", 0, 1);
  EXPECT_NE(message(floats, options(27, 0)).find("n_configs"), std::string::npos);
  EXPECT_NE(message(SearchSpace(), options(27, 5)).find("empty"), std::string::npos);
}

TEST(Asha, RegistryMakesIt) {
  const auto names = strategy_names();
  const auto it = std::find(names.begin(), names.end(), "asha");
  ASSERT_NE(it, names.end());
  ASSERT_NE(it, names.begin());
  EXPECT_EQ(*(it - 1), "pareto-sh");
  SearchSpace s;
  s.add_categorical("batch_size", {32.0, 64.0, 128.0});
  s.add_categorical("power_limit_w", {100.0, 150.0});
  auto strategy = make_strategy("asha", s, 27, 4);
  ASSERT_TRUE(strategy);
  EXPECT_EQ(strategy->name(), "asha");
  auto* asha = dynamic_cast<Asha*>(strategy.get());
  ASSERT_NE(asha, nullptr);
  EXPECT_EQ(asha->rung_budgets(), (std::vector<double>{1, 3, 9, 27}));
  int started = 0;
  while (auto t = strategy->ask()) {
    if (t->budget == 1.0) ++started;
    strategy->tell(*t, TrialResult{});
  }
  EXPECT_EQ(started, 6);  // every grid point
}
