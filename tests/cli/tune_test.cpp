// `powertrain tune --simulate zeus:DIR` end to end on the real Zeus traces in shared/.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace powertrain::test {
namespace {

const std::string kBin = POWERTRAIN_BIN;
const std::string kTraces = std::string(POWERTRAIN_SOURCE_DIR) + "/../shared/data/zeus-nsdi23";

TEST(TuneCli, SimulatedStudyFindsTheOptimumForLessThanGrid) {
  TempDir dir;
  auto r = run_program({kBin, "tune", "--simulate", "zeus:" + kTraces, "--gpu", "v100", "--workload", "cifar100",
                        "--strategy", "hyperband", "--json", dir.file("t.json")});
  if (r.exit_code == 2 && r.err.find("cannot") != std::string::npos) GTEST_SKIP() << "no Zeus traces at " << kTraces;
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
  EXPECT_NE(r.err.find("% of grid's"), std::string::npos) << r.err;
}

TEST(TuneCli, BadInputIsNamed) {
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
  auto none = run_program({kBin, "tune", "study.json"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("--simulate"), std::string::npos) << none.err;
}

}  // namespace
}  // namespace powertrain::test
