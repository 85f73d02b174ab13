// `powertrain tune --simulate zeus:DIR` end to end on the real Zeus traces in shared/.
#include <gtest/gtest.h>

#include <filesystem>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace powertrain::test {
namespace {

const std::string kBin = POWERTRAIN_BIN;
const std::string kTraces = zeus_traces_dir();


TEST(TuneCli, SimulatedStudyFindsTheOptimumForLessThanGrid) {
  SKIP_WITHOUT_TRACES();
  TempDir dir;
  auto r = run_program({kBin, "tune", "--simulate", "zeus:" + kTraces, "--gpu", "v100", "--workload", "cifar100",
                        "--strategy", "sm2", "--json", dir.file("t.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(read_file(dir.file("t.json")));
  EXPECT_EQ(j["schema"], "powertrain.tune/1");
  EXPECT_EQ(j["energy_provenance"], "simulated");
  EXPECT_GT(j["trials"].size(), 10u);
  // The chosen configuration needs at most 5 % more energy to reach the target than the best one.
  EXPECT_LE(j["best_eta_j"].get<double>(), 1.05 * j["optimal_eta_j"].get<double>());
  EXPECT_LT(j["search_energy_j"].get<double>(), j["grid_energy_j"].get<double>());
  // Search energy is the sum of what the trials added.
  double sum = 0;
  for (const auto& t : j["trials"]) sum += t["trial_energy_j"].get<double>();
  EXPECT_NEAR(sum, j["search_energy_j"].get<double>(), 1e-6 * sum);
  EXPECT_NE(r.err.find("grid search over the same space spends"), std::string::npos) << r.err;
  EXPECT_TRUE(j["pareto_front"].is_null());  // a single-objective strategy has none
  // Power limits are profiled, not searched: the chosen configuration is a batch size, and
  // the limit it trains at is reported beside it.
  EXPECT_EQ(j["power_limits"], "profiled");
  EXPECT_FALSE(j["best_config"].contains("power_limit_w"));
  EXPECT_TRUE(j["best_power_limit_w"].is_number());
  EXPECT_NE(r.err.find("W (profiled in its first epoch)"), std::string::npos) << r.err;
  // SM2 probes every batch size before any epoch (counted in the search energy, above) and
  // explores only those whose samples cost at most 3x the cheapest's.
  int probes = 0, first_epochs = 0;
  double cheapest = INFINITY;
  for (const auto& t : j["trials"]) {
    if (t.value("probe", false)) {
      ++probes;
      EXPECT_EQ(t["to_epoch"], 0);
      cheapest = std::min(cheapest, t["energy_per_sample_j"].get<double>());
    } else if (t["from_epoch"] == 0) {
      ++first_epochs;
    }
  }
  EXPECT_EQ(probes, 10);  // cifar100's batch sizes
  EXPECT_LT(first_epochs, probes);
  EXPECT_GT(cheapest, 0);
  EXPECT_NE(r.err.find("mJ/sample"), std::string::npos) << r.err;
  EXPECT_EQ(j["batch_size_probe"], true);
}

TEST(TuneCli, ParetoStrategyReportsItsFront) {
  SKIP_WITHOUT_TRACES();
  TempDir dir;
  auto r = run_program({kBin, "tune", "--simulate", "zeus:" + kTraces, "--gpu", "v100", "--workload", "sentiment140",
                        "--strategy", "pareto-sh", "--no-store", "--json", dir.file("p.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(read_file(dir.file("p.json")));
  ASSERT_TRUE(j["pareto_front"].is_array());
  ASSERT_FALSE(j["pareto_front"].empty());
  // No point of the front is dominated by another: better (lower) loss needs more energy.
  const auto& f = j["pareto_front"];
  for (const auto& a : f) {
    for (const auto& b : f) {
      if (&a == &b || a["loss"].is_null() || b["loss"].is_null()) continue;
      bool dominates = b["loss"].get<double>() <= a["loss"].get<double>() && b["energy_j"].get<double>() <= a["energy_j"].get<double>() &&
                       (b["loss"].get<double>() < a["loss"].get<double>() || b["energy_j"].get<double>() < a["energy_j"].get<double>());
      EXPECT_FALSE(dominates) << a.dump() << " is dominated by " << b.dump();
    }
  }
  EXPECT_NE(r.err.find("Pareto front"), std::string::npos) << r.err;
}

TEST(TuneCli, BadInputIsNamed) {
  SKIP_WITHOUT_TRACES();
  auto r = run_program({kBin, "tune", "--simulate", "zeus:" + kTraces, "--strategy", "annealing"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown strategy 'annealing'"), std::string::npos) << r.err;
  auto w = run_program({kBin, "tune", "--simulate", "zeus:" + kTraces, "--workload", "mnist"});
  EXPECT_EQ(w.exit_code, 2);
  EXPECT_NE(w.err.find("mnist"), std::string::npos) << w.err;
  auto g = run_program({kBin, "tune", "--simulate", "zeus:" + kTraces, "--gpu", "h100"});
  EXPECT_EQ(g.exit_code, 2);
  EXPECT_NE(g.err.find("h100"), std::string::npos) << g.err;
  auto s = run_program({kBin, "tune", "--simulate", "trace:/nowhere"});
  EXPECT_EQ(s.exit_code, 2);
  EXPECT_NE(s.err.find("zeus:DIR"), std::string::npos) << s.err;
  auto none = run_program({kBin, "tune", "/nonexistent/study.json"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("cannot read study /nonexistent/study.json"), std::string::npos) << none.err;
  auto nothing = run_program({kBin, "tune"});
  EXPECT_EQ(nothing.exit_code, 2);
  EXPECT_NE(nothing.err.find("--simulate"), std::string::npos) << nothing.err;
}

// Returns the number of stored trials of the only study in `db` (0 if unreadable yet).
int stored_trials(const std::string& db) {
  sqlite3* h = nullptr;
  int n = 0;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(h, "SELECT COUNT(*) FROM study_trials", -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
      n = sqlite3_column_int(st, 0);
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(h);
  return n;
}

TEST(TuneCli, KilledStudyResumesWithoutLosingOrDoubleCountingTrials) {
  SKIP_WITHOUT_TRACES();
  TempDir dir;
  std::vector<std::string> study = {kBin, "tune", "--simulate", "zeus:" + kTraces, "--gpu", "a40", "--workload", "squad",
                                    "--strategy", "hyperband", "--beta", "2"};
  // The same study uninterrupted, for reference.
  auto ref_args = study;
  ref_args.insert(ref_args.end(), {"--no-store", "-q", "--json", dir.file("ref.json")});
  auto ref = run_program(ref_args);
  ASSERT_EQ(ref.exit_code, 0) << ref.err;
  auto expected = nlohmann::json::parse(read_file(dir.file("ref.json")));
  ASSERT_GT(expected["trials"].size(), 20u);

  // Start it stored, kill -9 in the middle, resume.
  auto args = study;
  args.insert(args.end(), {"--db", dir.file("p.db"), "--study", "s", "--pace-ms", "20", "-q"});
  pid_t pid = start_program(args);
  for (int i = 0; i < 1000 && stored_trials(dir.file("p.db")) < 8; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  // One process drives a study: a second, while the first is alive (stopped here, so it
  // cannot end meanwhile), is refused naming it.
  kill(pid, SIGSTOP);
  auto second = run_program({kBin, "tune", "--resume", "s", "--db", dir.file("p.db"), "-q"});
  EXPECT_EQ(second.exit_code, 2) << second.err;
  EXPECT_NE(second.err.find("study 's' of " + dir.file("p.db") + " is being run by pid " + std::to_string(pid) +
                            " (" + kBin + " tune --simulate"),
            std::string::npos)
      << second.err;
  kill(pid, SIGKILL);
  ASSERT_EQ(wait_program(pid), 128 + SIGKILL) << "the study finished before it could be killed";
  int before = stored_trials(dir.file("p.db"));
  ASSERT_GE(before, 8);
  ASSERT_LT(static_cast<size_t>(before), expected["trials"].size());

  auto resumed = run_program({kBin, "tune", "--resume", "s", "--db", dir.file("p.db"), "--json", dir.file("res.json")});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("resumed study 's': " + std::to_string(before) + " stored trials replayed"), std::string::npos)
      << resumed.err;
  auto got = nlohmann::json::parse(read_file(dir.file("res.json")));
  EXPECT_EQ(got["trials"].size(), expected["trials"].size());
  EXPECT_EQ(static_cast<size_t>(stored_trials(dir.file("p.db"))), expected["trials"].size());
  EXPECT_NEAR(got["search_energy_j"].get<double>(), expected["search_energy_j"].get<double>(),
              1e-9 * expected["search_energy_j"].get<double>());
  EXPECT_EQ(got["best_config"], expected["best_config"]);
  // A finished study resumes to the same result without training anything.
  auto again = run_program({kBin, "tune", "--resume", "s", "--db", dir.file("p.db"), "-q", "--json", dir.file("again.json")});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(nlohmann::json::parse(read_file(dir.file("again.json")))["trials"].size(), expected["trials"].size());
  EXPECT_EQ(static_cast<size_t>(stored_trials(dir.file("p.db"))), expected["trials"].size());
  EXPECT_FALSE(std::filesystem::exists(dir.file("p.db.lock"))) << "the study lock file outlived the study";
  // Unknown study names are named.
  auto missing = run_program({kBin, "tune", "--resume", "nope", "--db", dir.file("p.db")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("no study named 'nope'"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace powertrain::test

namespace powertrain::test {
namespace {

TEST(TuneCli, RungsInJoulesTrainEachConfigUntilItsEnergyReachesTheBudget) {
  SKIP_WITHOUT_TRACES();
  TempDir dir;
  auto r = run_program({kBin, "tune", "--simulate", "zeus:" + kTraces, "--gpu", "v100", "--workload", "cifar100",
                        "--strategy", "sh", "--budget-unit", "joules", "--min-budget", "20000", "--max-budget", "2000000",
                        "--no-store", "--json", dir.file("j.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(read_file(dir.file("j.json")));
  std::set<double> budgets;
  for (const auto& t : j["trials"]) {
    double budget = t["budget"].get<double>();
    budgets.insert(budget);
    // Whole epochs are trained until the energy reaches the budget, unless the target, the
    // epoch cap or a stop (the config could no longer win) came first.
    if (!t["reached_target"].get<bool>() && !t["stopped_early"].get<bool>() && t["config_epochs"].get<double>() < 100) {
      EXPECT_GE(t["config_energy_j"].get<double>(), budget) << t.dump();
    }
  }
  // Rungs grow by eta = 3 towards the full budget (successive halving anchors them there),
  // and none is below the minimum.
  ASSERT_GE(budgets.size(), 3u);
  EXPECT_GE(*budgets.begin(), 20000.0);
  EXPECT_LE(*budgets.rbegin(), 2000000.0);
  for (auto it = std::next(budgets.begin()); it != budgets.end(); ++it) EXPECT_NEAR(*it / *std::prev(it), 3.0, 1e-9);

  auto bad = run_program({kBin, "tune", "--simulate", "zeus:" + kTraces, "--strategy", "sh", "--budget-unit", "joules",
                          "--no-store"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("rungs in joules need \"min\" and \"max\""), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace powertrain::test
