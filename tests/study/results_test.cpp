// The research studies' typed results and their codecs (src/study/results/), in a program
// that links powertrain_study_results and no LibTorch: every result encodes, decodes to the
// same thing, writes NaN as null and reads null back as NaN, reads a missing or mistyped key
// as unknown instead of throwing, and decodes results stored before the codecs existed.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "powertrain/study/results.h"

namespace powertrain::test {
namespace {

using nlohmann::json;

const std::string kData = std::string(POWERTRAIN_SOURCE_DIR) + "/tests/study/data";

json read_json(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

// A training run with an unknown epoch energy (so the run's energy is unknown too).
RunRow sample_run(int64_t seq) {
  RunRow r;
  r.status = RunStatus::early_stopped;
  r.stop_reason = "no improvement for 2 epochs";
  r.epochs = 2;
  r.best_epoch = 1;
  r.best_val_accuracy = 0.81;
  r.best_val_loss = 0.52;
  r.test_accuracy = 0.8;
  r.energy_j = NAN;
  r.energy_per_epoch_j = NAN;
  r.energy_to_best_j = 12.5;
  r.energy_provenance = Provenance::missing;
  r.run_energy_j = 30.25;
  r.duration_s = 4.5;
  r.duration_per_epoch_s = 2.25;
  r.avg_power_w = NAN;
  r.samples_per_s = 1000;
  r.precision = "fp32";
  r.device = "cpu";
  r.parameters = 50890;
  r.trainable_parameters = 50890;
  r.run_id = 7 + seq;
  r.seq = seq;
  EpochRow e1;
  e1.epoch = 1;
  e1.energy_j = 12.5;
  e1.energy_provenance = Provenance::estimated;
  e1.duration_s = 2;
  e1.avg_power_w = 6.25;
  e1.train_loss = 0.9;
  e1.val_loss = 0.52;
  e1.val_accuracy = 0.81;
  e1.lr = 0.01;
  EpochRow e2 = e1;
  e2.epoch = 2;
  e2.energy_j = NAN;
  e2.energy_provenance = Provenance::missing;
  r.epoch_rows = {e1, e2};
  return r;
}

RunSummary sample_summary() {
  RunSummary s;
  s.energy_j = {120.5, 3.5};
  s.energy_per_epoch_j = {40.25, NAN};
  s.epochs = {3, 0};
  s.duration_s = {9.5, 0.5};
  s.duration_per_epoch_s = {3.25, NAN};
  s.avg_power_w = {12.5, NAN};
  s.best_val_accuracy = {0.8125, 0.0125};
  s.best_val_loss = {0.5, NAN};
  s.test_accuracy = {NAN, NAN};
  s.runs = 2;
  s.energy_provenance = Provenance::estimated;
  return s;
}

ScaleSpec scale_spec_for_test() {
  ScaleSpec s;
  s.name = "tiny";
  s.subset = 1000;
  s.val_fraction = 0.02;
  s.hidden = {64};
  s.max_epochs = 3;
  s.patience = 2;
  s.seeds = 0;  // not stored: the header's seeds is what ran
  s.feature_dim = 16;
  s.lr_find_steps = 20;
  s.batch_size = 64;
  return s;
}

StudyHeader sample_header(const std::string& kind) {
  StudyHeader h;
  h.schema = study_schema(kind);
  h.kind = kind;
  h.name = kind + "-test";
  h.study_id = 3;
  h.scale = scale_spec_for_test();
  h.seeds = 2;
  h.threads = 2;
  h.data_path = "/data/fashion";
  h.overrides = {"model.type=mlp"};
  h.device = "cpu";
  h.energy_provenance = Provenance::estimated;
  h.study_energy_j = 250.5;
  h.host = {2, 0.5, NAN};
  h.findings = {"first finding", "second finding"};
  return h;
}

// Encodes `r`, decodes it (directly and by its kind) and checks that the decoded result
// encodes to the same JSON: nothing is lost or changed on the way. Returns the JSON.
template <class Result>
json expect_round_trip(const Result& r) {
  json j = r;
  EXPECT_EQ(j["schema"], study_schema(r.header.kind));
  Result back = j.get<Result>();
  EXPECT_EQ(json(back), j);
  AnyStudyResult any = study_result_from_json(j);
  EXPECT_TRUE(std::holds_alternative<Result>(any)) << r.header.kind;
  EXPECT_EQ(json(any), j);
  // The text form (what the store holds) decodes to the same too.
  StudyRecord record;
  record.kind = r.header.kind;
  record.result_json = j.dump();
  std::optional<AnyStudyResult> stored = study_result_of(record);
  EXPECT_TRUE(stored.has_value());
  if (stored) {
    EXPECT_EQ(json(*stored), j);
  }
  return j;
}

TEST(StudyCodec, RunRowKeepsEveryFieldAndWritesUnknownAsNull) {
  RunRow r = sample_run(0);
  json j = r;
  EXPECT_TRUE(j["energy_j"].is_null());
  EXPECT_TRUE(j["avg_power_w"].is_null());
  EXPECT_EQ(j["energy_provenance"], "missing");
  EXPECT_EQ(j["status"], "early_stopped");
  EXPECT_EQ(j["run_id"], 7);
  EXPECT_TRUE(j["epoch_rows"][1]["energy_j"].is_null());
  RunRow back = j.get<RunRow>();
  EXPECT_EQ(json(back), j);
  EXPECT_TRUE(std::isnan(back.energy_j));
  EXPECT_EQ(back.status, RunStatus::early_stopped);
  EXPECT_DOUBLE_EQ(back.run_energy_j, 30.25);
  ASSERT_EQ(back.epoch_rows.size(), 2u);
  EXPECT_EQ(back.epoch_rows[0].energy_provenance, Provenance::estimated);
  EXPECT_TRUE(std::isnan(back.epoch_rows[1].energy_j));
  // No store: the run id is null, and reads back as "none".
  r.run_id = 0;
  EXPECT_TRUE(json(r)["run_id"].is_null());
  EXPECT_EQ(json(r).get<RunRow>().run_id, 0);
}

TEST(StudyCodec, MissingOrMistypedKeysAreUnknownNotAThrow) {
  RunRow r;
  EXPECT_NO_THROW(r = json::object().get<RunRow>());
  EXPECT_TRUE(std::isnan(r.energy_j));
  EXPECT_FALSE(r.status.has_value());
  EXPECT_EQ(r.energy_provenance, Provenance::missing);
  const json mistyped = {{"energy_j", "12"}, {"status", 3}, {"epoch_rows", "none"}};
  EXPECT_NO_THROW(r = mistyped.get<RunRow>());
  EXPECT_TRUE(std::isnan(r.energy_j));
  EXPECT_TRUE(r.epoch_rows.empty());
  // Every kind decodes an empty object, a wrong shape and a non-object without throwing.
  for (const char* kind : {"regime", "precision", "superconvergence", "pretrain", "multitask", "search", "layers", "quantum"}) {
    for (const json& j : {json::object(), json{{"runs", 5}, {"summary", "x"}, {"setups", {1, 2}}, {"inputs", "y"}}, json::array()}) {
      AnyStudyResult any;
      EXPECT_NO_THROW(any = study_result_from_json(kind, j)) << kind << " " << j.dump();
      EXPECT_TRUE(std::isnan(study_header(any).study_energy_j)) << kind;
      EXPECT_NO_THROW(json(any).dump()) << kind;
    }
  }
  // One key less: that value is unknown, the others are kept.
  json p = json(PrecisionSummary{"bf16", sample_summary(), {}, -0.01, false, 1.5, 0.75, 0.5});
  p.erase("energy_per_epoch_ratio_vs_fp32");
  p.erase("accuracy_loss_flag");
  PrecisionSummary s = p.get<PrecisionSummary>();
  EXPECT_TRUE(std::isnan(s.energy_per_epoch_ratio_vs_fp32));
  EXPECT_FALSE(s.accuracy_loss_flag.has_value());  // unknown, not "no loss"
  EXPECT_DOUBLE_EQ(s.speedup_vs_fp32, 1.5);
  EXPECT_DOUBLE_EQ(s.stats.energy_j.mean, 120.5);
  // A kind this version does not know keeps what was stored, to show it as it is.
  const json future = {{"kind", "quantum"}, {"name", "q"}, {"qubits", 5}, {"findings", {"entangled"}}};
  AnyStudyResult unknown = study_result_from_json(future);
  ASSERT_TRUE(std::holds_alternative<UnknownStudyResult>(unknown));
  EXPECT_EQ(study_header(unknown).findings, std::vector<std::string>{"entangled"});
  EXPECT_EQ(json(unknown), future);
  // A stored study without a result, or with text that is not a JSON object, has none.
  StudyRecord none;
  none.kind = "regime";
  EXPECT_FALSE(study_result_of(none).has_value());
  none.result_json = "not json";
  EXPECT_FALSE(study_result_of(none).has_value());
}

TEST(StudyCodec, RegimeRoundTripsAndWritesTheGridAsTables) {
  RegimeResult r;
  r.header = sample_header("regime");
  r.options = {{64, 1024}, {0.1, 0.01}, "sgd"};
  r.early_stopping = "validation accuracy";
  for (int64_t b : {64, 1024}) {
    for (double lr : {0.1, 0.01}) {
      r.runs.push_back({b, lr, 0, sample_run(static_cast<int64_t>(r.runs.size()))});
      RegimeSetup s{b, lr, sample_summary(), b == 64 ? 100.0 : 40.0, {7}};
      if (b == 1024 && lr == 0.01) s.percent_of_worst = NAN;
      r.setups.push_back(s);
    }
  }
  r.best = RegimePick{1024, 0.1, 48.5, 40, 3, 0.8};
  r.worst = RegimePick{64, 0.1, 121.25, 100, 3, 0.81};
  r.accurate_within = 0.02;
  r.energy_per_epoch_driver = {"batch_size", 0.5, 0.125};
  r.epochs_driver = {"unknown", NAN, NAN};
  json j = expect_round_trip(r);
  EXPECT_EQ(j["tables"]["batch_sizes"], json({64, 1024}));
  EXPECT_EQ(j["tables"]["percent_of_worst"][0][1], 100.0);
  EXPECT_TRUE(j["tables"]["percent_of_worst"][1][1].is_null());
  EXPECT_EQ(j["best"]["accurate_within"], 0.02);
  EXPECT_EQ(j["inputs"]["seeds"], 2);
  EXPECT_EQ(j["inputs"]["optimizer"], "sgd");
  EXPECT_TRUE(j["drivers"]["epochs"]["spread_across_batch_sizes"].is_null());
  RegimeResult back = j.get<RegimeResult>();
  EXPECT_EQ(regime_batch_sizes(back), (std::vector<int64_t>{64, 1024}));
  EXPECT_EQ(regime_learning_rates(back), (std::vector<double>{0.1, 0.01}));
  ASSERT_NE(regime_setup(back, 1024, 0.1), nullptr);
  EXPECT_DOUBLE_EQ(regime_setup(back, 1024, 0.1)->percent_of_worst, 40.0);
  EXPECT_EQ(regime_setup(back, 32, 0.1), nullptr);
  EXPECT_TRUE(std::isnan(back.epochs_driver.spread_across_batch_sizes));
  EXPECT_EQ(back.header.scale.batch_size, 64);
  EXPECT_EQ(back.header.findings.size(), 2u);
  // No cheapest setup (no energy known): null, and back to "none".
  r.best.reset();
  r.worst.reset();
  j = expect_round_trip(r);
  EXPECT_TRUE(j["best"].is_null());
  EXPECT_FALSE(j.get<RegimeResult>().best.has_value());
}

TEST(StudyCodec, PrecisionAndSuperconvergenceRoundTrip) {
  PrecisionResult p;
  p.header = sample_header("precision");
  p.options = {{"fp32", "bf16"}, 0.01, NAN};
  p.optimizer = "adam";
  p.early_stopping = "validation accuracy";
  p.target_val_accuracy = 0.8;
  p.target_source = "fp32 mean best validation accuracy - tolerance";
  p.precisions_run = {"fp32"};
  p.skipped = {{"bf16", "no bf16 here"}};
  p.runs = {{"fp32", 0, sample_run(0), {2, 12.5}}, {"fp32", 1, sample_run(1), {NAN, NAN}}};
  p.summary = {{"fp32", sample_summary(), {{2, NAN}, {12.5, NAN}, 1}, 0, false, 1, 1, NAN}};
  json j = expect_round_trip(p);
  EXPECT_TRUE(j["inputs"]["target"].is_null());
  EXPECT_EQ(j["summary"][0]["target_reached_runs"], 1);
  EXPECT_EQ(j["runs"][0]["epochs_to_target"], 2);
  EXPECT_TRUE(j["runs"][1]["energy_to_target_j"].is_null());
  EXPECT_EQ(j.get<PrecisionResult>().skipped.at(0).reason, "no bf16 here");

  SuperconvergenceResult s;
  s.header = sample_header("superconvergence");
  s.options.target = 0.75;
  s.optimizer = "adamw";
  s.weight_decay = 0.01;
  s.baseline_lr = 1e-3;
  s.div_factor = 25;
  s.epochs_rule = "the scale's max epochs";
  s.max_lr = 0.05;
  s.target_val_accuracy = 0.75;
  s.target_source = "given";
  s.lr_find = {0.05, 0.1, true, 3, 4.5, Provenance::estimated, 1.5, 9, {1e-6, 1e-3, 1}, {2.3, 1.9, NAN}};
  s.runs = {{"one_cycle", 0.05, 0, sample_run(1), {2, 10}}, {"constant", 1e-3, 0, sample_run(2), {3, 15}}};
  s.summary = {{"one_cycle", sample_summary(), {{2, NAN}, {10, NAN}, 1}, 14.5}, {"constant", sample_summary(), {{3, NAN}, {15, NAN}, 1}, 15}};
  j = expect_round_trip(s);
  EXPECT_EQ(j["runs"][0]["max_lr"], 0.05);   // one-cycle's rate is its max_lr ...
  EXPECT_EQ(j["runs"][1]["lr"], 1e-3);       // ... the constant variant's its lr
  EXPECT_TRUE(j["lr_find"]["smoothed_loss"][2].is_null());
  EXPECT_EQ(j["lr_find"]["step"], "lr_find");
  SuperconvergenceResult back = j.get<SuperconvergenceResult>();
  EXPECT_DOUBLE_EQ(back.runs[0].lr, 0.05);
  EXPECT_TRUE(std::isnan(back.lr_find.smoothed_loss[2]));
  EXPECT_EQ(back.lr_find.energy_provenance, Provenance::estimated);
}

TEST(StudyCodec, PretrainMultitaskSearchAndLayersRoundTrip) {
  PretrainResult p;
  p.header = sample_header("pretrain");
  p.autoencoder_early_stopping = "validation loss";
  p.classifier_early_stopping = "validation accuracy";
  p.equation = "x = E_enc / (E_enc+class - E_class)";
  p.feature_dim = 16;
  p.runs = {{"autoencoder", 0, sample_run(0)}, {"frozen", 0, sample_run(1)}};
  p.summary = {{"autoencoder", "E_enc", sample_summary()}};
  p.energies = {150, 40, 100, NAN};
  p.break_even_frozen = {2.5, 60, "after 2.5 reuses"};
  p.break_even_finetune = {NAN, 0, "never"};
  p.freeze_vs_finetune = {0.6, 40, 100};
  p.cumulative = {{0, 1, 2}, {150, 190, 230}, {150, 250, 350}, {0, NAN, NAN}};
  json j = expect_round_trip(p);
  EXPECT_EQ(j["energies_j"]["E_class_frozen"], 40.0);
  EXPECT_TRUE(j["energies_j"]["E_enc_class"].is_null());
  EXPECT_TRUE(j["break_even"]["finetune"]["reuses"].is_null());
  EXPECT_TRUE(std::isnan(j.get<PretrainResult>().break_even_finetune.reuses));

  MultitaskResult m;
  m.header = sample_header("multitask");
  m.options.alpha = 0.25;
  m.aux = "fashion_coarse";
  m.aux_alone = "multitask.alpha = [0, 1]";
  m.early_stopping = "validation loss";
  m.runs = {{"main", 0, sample_run(0)}, {"aux", 0, sample_run(1)}};
  m.summary = {{"main", sample_summary(), 0.81, NAN}};
  m.comparison = {500, 300, 0.4, true, false};
  m.spread = {0.125, NAN};
  j = expect_round_trip(m);
  EXPECT_EQ(j["inputs"]["alpha"], json({1.0, 0.25}));  // stored as the loss weights [main, aux]
  EXPECT_DOUBLE_EQ(j.get<MultitaskResult>().options.alpha, 0.25);
  EXPECT_TRUE(j["summary"][0]["aux_task_val_accuracy"].is_null());

  SearchResult s;
  s.header = sample_header("search");
  s.options = {{64, 256}, {0.1, 0.01}, 0.6, ""};
  s.strategies = {"grid", "sm2"};
  s.optimizer = "sgd";
  s.target_val_accuracy = 0.6;
  SearchStrategyRow grid;
  grid.strategy = "grid";
  grid.trials = 4;
  grid.search_energy_j = 80;
  grid.energy_to_first_target_j = NAN;
  grid.duration_s = 12;
  grid.best_config = {{"training.batch_size", 64.0}, {"optimizer.type", std::string("sgd")}};
  grid.best_val_accuracy = 0.55;
  grid.energy_provenance = Provenance::estimated;
  grid.energy_j = 80;
  SearchStrategyRow none = grid;
  none.strategy = "sm2";
  none.best_config.clear();  // chose nothing
  s.runs = {grid, none};
  s.simulated = {{"sm2", "v100", "cifar100", 20, 1e6, 3.5, 2e5, 1.25, Provenance::simulated}};
  j = expect_round_trip(s);
  EXPECT_EQ(j["runs"][0]["best_config"]["optimizer.type"], "sgd");
  EXPECT_TRUE(j["runs"][1]["best_config"].is_null());
  EXPECT_TRUE(j["runs"][0]["energy_to_first_target_j"].is_null());
  EXPECT_EQ(j["inputs"]["target_val_accuracy"], 0.6);
  EXPECT_EQ(j["simulated"][0]["energy_provenance"], "simulated");

  LayersResult l;
  l.header = sample_header("layers");
  l.layer_types = {"conv3x3", "relu"};
  l.width_factors = {0.5, 1, 2};
  l.diminishing_rule = "less than 0.005";
  l.early_stopping = "validation accuracy";
  l.layer_bench = {"matched", {16, 16, 28, 28}, 1, 3, 0.1, 2, "cpu", 2.5, Provenance::estimated, 0.75};
  LayerCostRow conv;
  conv.layer = "conv3x3";
  conv.description = "Conv2d(16->16, 3x3)";
  conv.input_shape = conv.output_shape = {16, 16, 28, 28};
  conv.device = "cpu";
  conv.parameters = 2320;
  conv.flops_forward = 57802752;
  conv.forward_gflop_per_s = 3.5;
  conv.forward = {3, 0.01, 0.0033, 0.011, 0.05, 0.0167, 4.5, Provenance::estimated};
  conv.forward_backward = {3, 0.03, 0.01, 0.031, NAN, NAN, NAN, Provenance::missing};
  conv.time_share = 0.75;
  conv.energy_share = NAN;
  conv.energy_j = NAN;
  conv.energy_provenance = Provenance::missing;
  l.layer_costs = {conv};
  l.width_key = "model.hidden";
  l.widths = {{32, 0.5, 25450, sample_summary(), {7, 0}}, {64, 1, 0, sample_summary(), {}}};
  l.width_steps = {{32, 64, 0.004, 0.05, 0.08, 1.5}};
  l.diminishing_returns = {32, 0, "gained too little"};
  l.halving_geomean_energy_ratio = 0.6;
  l.halving_geomean_energy_per_epoch_ratio = NAN;
  l.runs = {{32, 0.5, 0, sample_run(0)}};
  j = expect_round_trip(l);
  EXPECT_EQ(j["layer_costs"][0]["step"], "layer_bench");
  EXPECT_TRUE(j["layer_costs"][0]["forward_backward"]["energy_j"].is_null());
  EXPECT_TRUE(j["widths"][1]["parameters"].is_null());   // a width without runs has no parameter count
  EXPECT_TRUE(j["widths"][0]["run_ids"][1].is_null());
  EXPECT_EQ(j["diminishing_returns"]["after_width"], 32);
  l.diminishing_returns = {std::nullopt, std::nullopt, "returns did not diminish"};
  j = expect_round_trip(l);
  EXPECT_TRUE(j["diminishing_returns"]["step"].is_null());
  EXPECT_FALSE(j.get<LayersResult>().diminishing_returns.after_width.has_value());
}

// The recipe study's comparison is Eq. 2 applied to the search, and its result round-trips:
// a payback that never comes (+inf) is stored as null and read back as never.
TEST(StudyCodec, RecipeComparisonIsEquation2AndRoundTrips) {
  RecipeSide standard, tuned;
  standard.energy_j = 1000;
  standard.duration_s = 100;
  tuned.energy_j = 200;
  tuned.duration_s = 25;
  tuned.reached_target = true;
  RecipeComparison c = recipe_comparison(0.9, "given", standard, tuned, 400);
  EXPECT_DOUBLE_EQ(c.energy_ratio, 0.2);
  EXPECT_DOUBLE_EQ(c.saving_j, 800);
  EXPECT_DOUBLE_EQ(c.payback_reuses, 0.5);  // x = E_search / (E_standard - E_tuned)
  EXPECT_DOUBLE_EQ(c.time_ratio, 0.25);
  EXPECT_TRUE(c.tuned_reached_target);

  RecipeSide costly = tuned;
  costly.energy_j = 1200;
  RecipeComparison never = recipe_comparison(0.9, "given", standard, costly, 400);
  EXPECT_TRUE(std::isinf(never.payback_reuses));
  RecipeSide missed = tuned;
  missed.reached_target = false;  // not the same result for less: no payback at all
  EXPECT_TRUE(std::isnan(recipe_comparison(0.9, "given", standard, missed, 400).payback_reuses));
  RecipeSide unknown = standard;
  unknown.energy_j = NAN;
  EXPECT_TRUE(std::isnan(recipe_comparison(0.9, "given", unknown, tuned, 400).energy_ratio));

  RecipeResult r;
  r.header = sample_header("recipe");
  r.options.standard_epochs = 10;
  r.options.batch_sizes = {64, 256};
  r.options.max_lrs = {0.003, 0.006};
  r.options.precisions = {"fp32", "bf16"};
  standard.recipe = "standard";
  standard.run = sample_run(0);
  standard.oracle_to_target = {3, 300};
  costly.recipe = "tuned";
  costly.run = sample_run(1);
  r.standard = standard;
  r.tuned = costly;
  r.search_trials = 20;
  r.search_energy_j = 400;
  r.search_chosen = {"training.batch_size=256", "training.precision=bf16"};
  r.costs = {{64, "fp32", 0.0068, 2}, {256, "bf16", 0.0044, 2}};
  r.comparison = never;
  json j = expect_round_trip(r);
  EXPECT_TRUE(j["comparison"]["payback_reuses"].is_null());
  EXPECT_TRUE(std::isinf(j.get<RecipeResult>().comparison.payback_reuses));
  EXPECT_EQ(j["search"]["costs"][1]["precision"], "bf16");
  EXPECT_EQ(j["standard"]["oracle_to_target"]["epochs_to_target"], 3.0);
}

// Results stored by `powertrain study --json` before the codecs existed (tests/study/data):
// they decode, and every value they hold is written back under the same key.
TEST(StudyCodec, ResultsStoredBeforeTheCodecsDecode) {
  for (const char* file : {"old-multitask.json", "old-precision.json"}) {
    json old = read_json(kData + "/" + file);
    AnyStudyResult any = study_result_from_json(old);
    const StudyHeader& h = study_header(any);
    EXPECT_EQ(h.kind, old["kind"]) << file;
    EXPECT_EQ(h.name, old["name"]) << file;
    EXPECT_EQ(h.seeds, old["inputs"]["seeds"].get<int64_t>()) << file;
    EXPECT_EQ(h.scale.name, "tiny") << file;
    EXPECT_EQ(h.findings.size(), old["findings"].size()) << file;
    EXPECT_NE(h.energy_provenance, Provenance::missing) << file;
    EXPECT_DOUBLE_EQ(h.study_energy_j, old["study_energy_j"].get<double>()) << file;
    json now = any;
    json old_flat = old.flatten(), now_flat = now.flatten();
    for (auto it = old_flat.begin(); it != old_flat.end(); ++it) {
      ASSERT_TRUE(now_flat.contains(it.key())) << file << ": " << it.key() << " is no longer written";
      EXPECT_EQ(now_flat[it.key()], it.value()) << file << ": " << it.key();
    }
  }
  auto m = std::get<MultitaskResult>(study_result_from_json(read_json(kData + "/old-multitask.json")));
  ASSERT_EQ(m.summary.size(), 3u);
  EXPECT_EQ(m.summary[1].variant, "aux");
  EXPECT_TRUE(std::isnan(m.summary[1].main_task_val_accuracy));  // stored as null: unknown, not 0
  EXPECT_DOUBLE_EQ(m.options.alpha, 0.5);
  EXPECT_EQ(m.aux, "fashion_coarse");
  ASSERT_EQ(m.runs.size(), 3u);
  EXPECT_FALSE(m.runs[0].run.epoch_rows.empty());
  EXPECT_EQ(m.runs[0].run.epoch_rows[0].epoch, 1);
  auto p = std::get<PrecisionResult>(study_result_from_json(read_json(kData + "/old-precision.json")));
  EXPECT_DOUBLE_EQ(p.options.tolerance, 0.01);
  EXPECT_TRUE(std::isnan(p.options.target));  // derived: stored as null
  ASSERT_FALSE(p.summary.empty());
  EXPECT_EQ(p.summary[0].precision, "fp32");
  EXPECT_EQ(p.summary[0].accuracy_loss_flag, std::optional<bool>(false));
}

}  // namespace
}  // namespace powertrain::test
