// `powertrain advise` end to end: the built binary on stores written by the tests.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "advise/store_fixtures.h"
#include "support/test_support.h"

namespace powertrain::test {
namespace {

const std::string kBin = POWERTRAIN_BIN;

// A store with a regime study and one run whose accuracy flattened; returns the run id.
int64_t make_store(const std::string& path) {
  Store store = Store::open(path);
  add_study(store, "regime-test", "regime", regime_result());
  std::vector<double> acc = {0.70, 0.78, 0.82, 0.84, 0.841, 0.8415, 0.840, 0.8418, 0.841, 0.8405}, energy(10, 10.0);
  return add_train_run(store, "flat", train_config(64, 1e-3), acc, energy);
}

TEST(AdviseCli, TextForEverything) {
  TempDir dir;
  const std::string db = dir.file("p.db");
  make_store(db);
  auto r = run_program({kBin, "advise", "--db", db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Advice for everything in " + db), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("training.batch_size 64 -> 1024"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("early_stopping.patience 5 -> 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Next steps"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("powertrain study precision"), std::string::npos) << r.out;
}

TEST(AdviseCli, JsonForAStudy) {
  TempDir dir;
  const std::string db = dir.file("p.db");
  make_store(db);
  auto r = run_program({kBin, "advise", "regime-test", "--db", db, "--json", "-"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["schema"], "powertrain.advice/1");
  ASSERT_EQ(j["recommendations"].size(), 2u) << j.dump(2);
  EXPECT_EQ(j["recommendations"][0]["kind"], "batch_size");
  EXPECT_DOUBLE_EQ(j["recommendations"][0]["saving_j"].get<double>(), 840);
  EXPECT_EQ(j["recommendations"][0]["provenance"], "estimated");
  EXPECT_NE(r.err.find("Advice for study regime-test"), std::string::npos) << r.err;  // the text went to stderr
}

TEST(AdviseCli, JsonFileForARun) {
  TempDir dir;
  const std::string db = dir.file("p.db");
  int64_t id = make_store(db);
  auto r = run_program({kBin, "advise", std::to_string(id), "--db", db, "--json", dir.file("a.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(read_file(dir.file("a.json")));
  bool early = false;
  for (const auto& rec : j["recommendations"]) {
    if (rec["kind"] == "early_stopping") {
      early = true;
      EXPECT_DOUBLE_EQ(rec["saving_j"].get<double>(), 60);  // epochs 5..10 at 10 J
    }
  }
  EXPECT_TRUE(early) << j.dump(2);
  EXPECT_NE(r.out.find("run " + std::to_string(id)), std::string::npos) << r.out;
}

TEST(AdviseCli, EmptyStoreSaysWhichStudyToRunFirst) {
  TempDir dir;
  const std::string db = dir.file("p.db");
  { Store::open(db); }
  auto r = run_program({kBin, "advise", "--db", db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("No recommendation"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("`powertrain study regime --scale small`"), std::string::npos) << r.out;
}

TEST(AdviseCli, UnknownTargetsExitTwo) {
  TempDir dir;
  const std::string db = dir.file("p.db");
  make_store(db);
  auto run = run_program({kBin, "advise", "999", "--db", db});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("no run 999"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("--db"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("(train 'flat')"), std::string::npos) << run.err;
  auto study = run_program({kBin, "advise", "nope", "--db", db});
  EXPECT_EQ(study.exit_code, 2);
  EXPECT_NE(study.err.find("no study 'nope'"), std::string::npos) << study.err;
  EXPECT_NE(study.err.find("regime-test (regime)"), std::string::npos) << study.err;
  auto missing = run_program({kBin, "advise", "--db", dir.file("absent.db")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("--db"), std::string::npos) << missing.err;
  EXPECT_NE(missing.err.find("powertrain study regime --scale small"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace powertrain::test
