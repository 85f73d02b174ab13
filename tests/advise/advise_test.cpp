// The advisor on stores built for each case: runs with epochs, research studies with result
// JSON following docs/studies.md, a search study's trials; savings computed by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "advise/store_fixtures.h"
#include "powertrain/advise/advisor.h"
#include "support/test_support.h"

namespace powertrain::test {
namespace {

using json = nlohmann::json;

const Recommendation* find_kind(const Advice& a, const std::string& kind) {
  for (const auto& r : a.recommendations) if (r.kind == kind) return &r;
  return nullptr;
}

std::string dump(const Advice& a) { return advice_text(a); }

TEST(Advise, EmptyStoreGivesNextStepsOnly) {
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  Advice a = advise(store, "");
  EXPECT_TRUE(a.recommendations.empty());
  ASSERT_FALSE(a.next_steps.empty());
  EXPECT_NE(a.next_steps[0].find("powertrain study regime --scale small"), std::string::npos) << a.next_steps[0];
  EXPECT_NE(advice_text(a).find("Next steps"), std::string::npos);
}

TEST(Advise, FlattenedCurveRecommendsEarlyStopping) {
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  // Accuracy stops improving by more than 0.002 after epoch 4 of 10; epoch k costs 10 + k J.
  std::vector<double> acc = {0.70, 0.78, 0.82, 0.84, 0.841, 0.8415, 0.840, 0.8418, 0.841, 0.8405};
  std::vector<double> energy;
  for (int k = 1; k <= 10; ++k) energy.push_back(10.0 + k);
  int64_t id = add_train_run(store, "flat", train_config(128, 1e-3), acc, energy);
  Advice a = advise(store, std::to_string(id));
  const Recommendation* r = find_kind(a, "early_stopping");
  ASSERT_NE(r, nullptr) << dump(a);
  const double saving = 15 + 16 + 17 + 18 + 19 + 20;  // epochs 5..10
  const double total = 11 + 12 + 13 + 14 + 15 + 16 + 17 + 18 + 19 + 20;
  EXPECT_DOUBLE_EQ(r->saving_j, saving);
  EXPECT_NEAR(r->saving_fraction, saving / total, 1e-12);
  EXPECT_NE(r->change.find("early_stopping.patience 5 -> 2"), std::string::npos) << r->change;
  EXPECT_NE(r->change.find("early_stopping.min_delta 0 -> 0.002"), std::string::npos) << r->change;
  EXPECT_NE(r->evidence.find("after epoch 4"), std::string::npos) << r->evidence;
  EXPECT_EQ(r->provenance, Provenance::estimated);
  EXPECT_EQ(r->source, "run " + std::to_string(id));
  // With patience 2 it would stop at epoch 6: epochs 7..10 saved.
  EXPECT_NE(r->basis.find("stopped at epoch 6 and saved 74.0 J"), std::string::npos) << r->basis;
}

TEST(Advise, ImprovingCurveGivesNoEarlyStopping) {
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  std::vector<double> acc = {0.70, 0.74, 0.77, 0.79, 0.81, 0.83}, energy(6, 10.0);
  int64_t id = add_train_run(store, "rising", train_config(128, 1e-3), acc, energy);
  Advice a = advise(store, std::to_string(id));
  EXPECT_EQ(find_kind(a, "early_stopping"), nullptr) << dump(a);
}

TEST(Advise, UnknownEpochEnergyMakesTheSavingUnknownNotZero) {
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  std::vector<double> acc = {0.70, 0.80, 0.80, 0.80, 0.80, 0.80}, energy = {5, 5, 5, NAN, 5, 5};
  int64_t id = add_train_run(store, "gap", train_config(128, 1e-3), acc, energy);
  Advice a = advise(store, std::to_string(id));
  const Recommendation* r = find_kind(a, "early_stopping");
  ASSERT_NE(r, nullptr) << dump(a);
  EXPECT_TRUE(std::isnan(r->saving_j));
  json j = advice_json(a);
  EXPECT_TRUE(j["recommendations"][0]["saving_j"].is_null()) << j.dump(2);
  EXPECT_NE(advice_text(a).find("saving:     unknown"), std::string::npos) << advice_text(a);
}

TEST(Advise, RegimeStudyRecommendsBatchSizeAndLearningRate) {
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  add_study(store, "regime-test", "regime", regime_result());
  Advice a = advise(store, "regime-test");
  ASSERT_EQ(a.recommendations.size(), 2u) << dump(a);
  // Rule 1: at lr 0.001 (the baseline: defaults batch 128 -> nearest 64, lr 0.001), batch 1024
  // costs 30 J/epoch against 100 J/epoch: (100 - 30) x 12 epochs = 840 J, 70 %.
  const Recommendation& b = a.recommendations[0];
  EXPECT_EQ(b.kind, "batch_size");
  EXPECT_EQ(b.change, "training.batch_size 64 -> 1024");
  EXPECT_DOUBLE_EQ(b.saving_j, 840);
  EXPECT_NEAR(b.saving_fraction, 0.7, 1e-12);
  EXPECT_EQ(b.provenance, Provenance::estimated);
  EXPECT_EQ(b.source, "study regime-test (regime)");
  // Rule 2: the cheapest accurate setup (1024, 0.01: 420 J) against the baseline's 1200 J.
  const Recommendation& l = a.recommendations[1];
  EXPECT_EQ(l.kind, "learning_rate");
  EXPECT_EQ(l.change, "training.batch_size 64 -> 1024, optimizer.lr 0.001 -> 0.01");
  EXPECT_DOUBLE_EQ(l.saving_j, 780);
  EXPECT_NEAR(l.saving_fraction, 0.65, 1e-12);
  // The inaccurate (64, 0.01 diverged) setup is never recommended though it is cheapest.
  for (const auto& r : a.recommendations) EXPECT_EQ(r.change.find("0.1"), std::string::npos) << r.change;
}

TEST(Advise, RegimeAgainstARunUsesItsSetupAndEnergy) {
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  add_study(store, "regime-test", "regime", regime_result());
  // The user's run: batch 64, lr 0.001, 10 epochs of 50 J = 500 J.
  std::vector<double> acc = {0.70, 0.75, 0.79, 0.81, 0.82, 0.83, 0.84, 0.845, 0.85, 0.855}, energy(10, 50.0);
  int64_t id = add_train_run(store, "mine", train_config(64, 1e-3), acc, energy);
  Advice a = advise(store, std::to_string(id));
  const Recommendation* b = find_kind(a, "batch_size");
  ASSERT_NE(b, nullptr) << dump(a);
  EXPECT_NEAR(b->saving_fraction, 0.7, 1e-12);
  EXPECT_NEAR(b->saving_j, 0.7 * 500, 1e-9);  // the study's fraction of this run's energy
  EXPECT_NE(b->basis.find("applied to run"), std::string::npos) << b->basis;
}

TEST(Advise, RegimeWhereTheBaselineIsCheapestSaysNothing) {
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  json r = regime_result();
  // Make batch 64 at every rate the cheapest per epoch and in total.
  for (auto& s : r["setups"]) {
    if (s["batch_size"] == 64) { s["energy_per_epoch_j"] = 10.0; s["energy_j"] = 100.0; }
  }
  add_study(store, "regime-flat", "regime", r);
  Advice a = advise(store, "regime-flat");
  EXPECT_TRUE(a.recommendations.empty()) << dump(a);
}

TEST(Advise, PrecisionWithoutLossRecommendsMixedPrecision) {
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  add_study(store, "prec", "precision", precision_result(/*bf16_loss=*/false));
  Advice a = advise(store, "prec");
  const Recommendation* r = find_kind(a, "precision");
  ASSERT_NE(r, nullptr) << dump(a);
  EXPECT_EQ(r->change, "training.precision fp32 -> bf16");
  EXPECT_DOUBLE_EQ(r->saving_j, 500 * (1 - 0.6));  // fp32's energy to target x (1 - ratio)
  EXPECT_NEAR(r->saving_fraction, 0.4, 1e-12);
  EXPECT_NE(r->confidence.find("confirm against fp32"), std::string::npos);
}

TEST(Advise, PrecisionWithAFlaggedLossRecommendsNothing) {
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  add_study(store, "prec", "precision", precision_result(/*bf16_loss=*/true));
  Advice a = advise(store, "prec");
  EXPECT_EQ(find_kind(a, "precision"), nullptr) << dump(a);
}

TEST(Advise, PretrainRecommendsFreezing) {
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  add_study(store, "pre", "pretrain", pretrain_result());
  Advice a = advise(store, "pre");
  const Recommendation* r = find_kind(a, "freeze_encoder");
  ASSERT_NE(r, nullptr) << dump(a);
  EXPECT_DOUBLE_EQ(r->saving_j, 100 - 40);
  EXPECT_NEAR(r->saving_fraction, 0.6, 1e-12);
  EXPECT_NE(r->evidence.find("after 2.5 reuses"), std::string::npos) << r->evidence;
}

TEST(Advise, LayersRecommendsTheNarrowestAccurateWidth) {
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  add_study(store, "lay", "layers", layers_result());
  Advice a = advise(store, "lay");
  const Recommendation* r = find_kind(a, "model_width");
  ASSERT_NE(r, nullptr) << dump(a);
  // Best 0.851 at width 256; width 64 (0.848) is the narrowest within 0.01: 900 - 180 J.
  EXPECT_NE(r->change.find("256 -> 64"), std::string::npos) << r->change;
  EXPECT_DOUBLE_EQ(r->saving_j, 720);
  EXPECT_NEAR(r->saving_fraction, 0.8, 1e-12);
}

TEST(Advise, SuperconvergenceAndMultitask) {
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  add_study(store, "sc", "superconvergence", superconvergence_result());
  add_study(store, "mt", "multitask", multitask_result());
  Advice s = advise(store, "sc");
  const Recommendation* r = find_kind(s, "schedule");
  ASSERT_NE(r, nullptr) << dump(s);
  EXPECT_DOUBLE_EQ(r->saving_j, 300 - 180);  // constant to target minus one-cycle (with the range test)
  EXPECT_NE(r->change.find("one_cycle"), std::string::npos);
  Advice m = advise(store, "mt");
  const Recommendation* t = find_kind(m, "multitask");
  ASSERT_NE(t, nullptr) << dump(m);
  EXPECT_DOUBLE_EQ(t->saving_j, 500 - 300);
  EXPECT_NEAR(t->saving_fraction, 0.4, 1e-12);
}

TEST(Advise, SearchTrialsRankBatchSizesByEnergyPerEpoch) {
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  add_tune_study(store, "search");
  Advice a = advise(store, "search");
  const Recommendation* r = find_kind(a, "batch_size");
  ASSERT_NE(r, nullptr) << dump(a);
  // Base config batch 64: 20 J/epoch (longest trial 9 epochs, 180 J); batch 1024: 8 J/epoch.
  EXPECT_EQ(r->change, "training.batch_size 64 -> 1024");
  EXPECT_NEAR(r->saving_fraction, 0.6, 1e-12);
  EXPECT_NEAR(r->saving_j, 0.6 * 180, 1e-9);
}

TEST(Advise, StoredRunsDifferingInBatchSize) {
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  std::vector<double> acc = {0.80, 0.84, 0.85};
  add_train_run(store, "big", train_config(512, 1e-3), acc, {8, 8, 8});
  int64_t newest = add_train_run(store, "small", train_config(64, 1e-3), acc, {20, 20, 20});
  Advice a = advise(store, "");
  const Recommendation* r = find_kind(a, "batch_size");
  ASSERT_NE(r, nullptr) << dump(a);
  EXPECT_EQ(r->change, "training.batch_size 64 -> 512");
  EXPECT_DOUBLE_EQ(r->saving_j, (20 - 8) * 3);
  EXPECT_NE(r->source.find("run " + std::to_string(newest)), std::string::npos) << r->source;
}

TEST(Advise, EverythingIsRankedBySaving) {
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  add_study(store, "regime-test", "regime", regime_result());
  add_study(store, "prec", "precision", precision_result(false));
  add_study(store, "pre", "pretrain", pretrain_result());
  Advice a = advise(store, "");
  ASSERT_GE(a.recommendations.size(), 4u) << dump(a);
  for (size_t i = 1; i < a.recommendations.size(); ++i) {
    EXPECT_GE(a.recommendations[i - 1].saving_j, a.recommendations[i].saving_j);
  }
  // The studies not yet run are named as next steps; the regime study is not.
  bool superconvergence = false;
  for (const auto& s : a.next_steps) {
    EXPECT_EQ(s.find("study regime"), std::string::npos) << s;
    if (s.find("powertrain study superconvergence") != std::string::npos) superconvergence = true;
  }
  EXPECT_TRUE(superconvergence);
  json j = advice_json(a);
  EXPECT_EQ(j["schema"], "powertrain.advice/1");
  EXPECT_EQ(j["recommendations"].size(), a.recommendations.size());
}

TEST(Advise, UnknownTargetsNameWhatExists) {
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  add_study(store, "regime-test", "regime", regime_result());
  int64_t id = add_train_run(store, "mine", train_config(64, 1e-3), {0.8, 0.8, 0.8}, {1, 1, 1});
  try {
    advise(store, "4242");
    FAIL() << "no error";
  } catch (const AdviseError& e) {
    EXPECT_NE(std::string(e.what()).find("no run 4242"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(std::to_string(id) + " (train 'mine')"), std::string::npos) << e.what();
  }
  try {
    advise(store, "nope");
    FAIL() << "no error";
  } catch (const AdviseError& e) {
    EXPECT_NE(std::string(e.what()).find("regime-test (regime)"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace powertrain::test
