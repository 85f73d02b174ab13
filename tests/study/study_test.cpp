// The research studies end to end at tiny scale on the real Fashion-MNIST data, with a real
// SQLite store: the result's shape, and its numbers recomputed from what the store holds.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <cmath>
#include <map>

#include <nlohmann/json.hpp>

#include "powertrain/store/store.h"
#include "powertrain/report/reports.h"
#include "powertrain/study/study.h"
#include "powertrain/train/config.h"
#include "support/test_support.h"

namespace powertrain::test {
namespace {

using nlohmann::json;

const std::string kData = "/usr/share/datasets/fashion-mnist";
const std::string kBin = POWERTRAIN_BIN;

bool have_data() {
  struct stat st;
  return ::stat(kData.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}
#define SKIP_WITHOUT_DATA() \
  if (!have_data()) GTEST_SKIP() << "Fashion-MNIST is not installed at " << kData

StudyOptions tiny() {
  StudyOptions o;
  o.scale = "tiny";
  o.data_path = kData;
  o.threads = 2;
  // A fixed CPU estimate: the same path on every machine, never "missing".
  o.sensors.use_nvml = false;
  o.sensors.powercap_root = "/nonexistent-powercap";
  o.sensors.cpu_tdp_w = 65;
  return o;
}

// The training energy of a stored run: the sum of its stored epochs (Eq. 1 per epoch).
double stored_energy_j(const Store& s, int64_t run_id) {
  EXPECT_GT(run_id, 0) << "run without a run_id";
  double sum = 0;
  auto epochs = s.epochs(run_id);
  EXPECT_FALSE(epochs.empty());
  for (const auto& e : epochs) sum += e.energy_j;
  return sum;
}

// Every known energy is a number, never NaN or 0 (the JSON has null for unknown).
template <class Runs>
void expect_energies_known(const Runs& runs) {
  for (const auto& x : runs) {
    const RunRow& r = x.run;
    EXPECT_TRUE(std::isfinite(r.energy_j)) << json(x).dump();
    EXPECT_TRUE(std::isfinite(r.energy_per_epoch_j)) << json(x).dump();
    EXPECT_TRUE(std::isfinite(r.duration_s)) << json(x).dump();
    EXPECT_TRUE(std::isfinite(r.avg_power_w)) << json(x).dump();
    EXPECT_NE(r.energy_provenance, Provenance::missing) << json(x).dump();
    EXPECT_GT(r.energy_j, 0) << json(x).dump();
  }
}

// The study row in the store: kind, finished, one trial per run (with its run id), the
// result, which decodes to what the study returned.
void expect_stored_study(const Store& s, const AnyStudyResult& result, size_t trials) {
  const StudyHeader& h = study_header(result);
  auto st = s.study(h.name);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->kind, h.kind);
  EXPECT_EQ(st->status, StudyStatus::finished);
  EXPECT_EQ(h.study_id, st->id);
  std::optional<AnyStudyResult> stored = study_result_of(*st);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(json(*stored), json(result));
  EXPECT_EQ(study_header(*stored).schema, "powertrain.study." + h.kind + "/1");
  auto t = s.study_rows(st->id);
  EXPECT_EQ(t.size(), trials);
  for (const auto& tj : t) EXPECT_TRUE(json::parse(tj).contains("run_id")) << tj;
}

TEST(Study, ScalesAndBadOptionsAreRefusedBeforeTraining) {
  EXPECT_EQ(scale_spec("tiny").max_epochs, 3);
  EXPECT_THROW(scale_spec("huge"), StudyError);
  TempDir dir;
  Store store = Store::open(dir.file("s.db"));
  StudyOptions o = tiny();
  o.scale = "huge";
  EXPECT_THROW(run_regime_study(o, {}, &store), StudyError);
  o = tiny();
  o.data_path = dir.file("no-such-dir");
  try {
    run_regime_study(o, {}, &store);
    FAIL() << "a missing data directory was accepted";
  } catch (const StudyError& e) {
    EXPECT_NE(std::string(e.what()).find("--data"), std::string::npos) << e.what();
  }
  o = tiny();
  o.overrides = {"optimizer.type=rmsprop"};
  EXPECT_THROW(run_regime_study(o, {}, &store), ConfigError);
  RegimeOptions grid;
  grid.batch_sizes = {0};
  EXPECT_THROW(run_regime_study(tiny(), grid, &store), StudyError);
  MultitaskOptions m;
  m.alpha = 0;
  EXPECT_THROW(run_multitask_study(tiny(), m, &store), StudyError);
  try {
    run_study("layers-of-doom", tiny(), {}, &store);
    FAIL() << "an unknown kind was accepted";
  } catch (const StudyError& e) {
    EXPECT_NE(std::string(e.what()).find("regime, precision, superconvergence"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(store.studies().empty());  // nothing was half-started
}

TEST(Study, TheRegistryListsEveryKindWithADescription) {
  std::vector<std::string> names = study_kind_names();
  EXPECT_EQ(names, (std::vector<std::string>{"regime", "precision", "superconvergence", "pretrain", "multitask", "search", "layers", "recipe"}));
  for (const auto& k : study_kinds()) EXPECT_GT(k.description.size(), 20u) << k.name;
}

TEST(Study, RegimeGridMatchesTheStoredEpochs) {
  SKIP_WITHOUT_DATA();
  TempDir dir;
  Store store = Store::open(dir.file("s.db"));
  StudyOptions o = tiny();
  o.name = "regime-test";
  RegimeOptions grid;
  grid.batch_sizes = {64, 256, 1024};
  grid.learning_rates = {0.1, 0.001};
  RegimeResult r = run_regime_study(o, grid, &store);
  EXPECT_EQ(r.header.schema, "powertrain.study.regime/1");
  ASSERT_EQ(r.runs.size(), 6u);
  expect_energies_known(r.runs);
  expect_stored_study(store, r, 6);

  // Every run's energy is the sum of its stored epochs, and its epoch count theirs.
  std::map<std::pair<int64_t, double>, double> total;
  for (const auto& run : r.runs) {
    double e = stored_energy_j(store, run.run.run_id);
    EXPECT_NEAR(run.run.energy_j, e, 1e-9 * e);
    EXPECT_EQ(static_cast<size_t>(run.run.epochs), store.epochs(run.run.run_id).size());
    EXPECT_NEAR(run.run.energy_per_epoch_j, e / static_cast<double>(run.run.epochs), 1e-9 * e);
    total[{run.batch_size, run.learning_rate}] = e;
  }
  // Percentages of the worst, recomputed from the store (one seed: a setup is one run).
  double worst = 0;
  for (const auto& kv : total) worst = std::max(worst, kv.second);
  ASSERT_EQ(r.setups.size(), 6u);
  EXPECT_EQ(regime_batch_sizes(r), grid.batch_sizes);
  EXPECT_EQ(regime_learning_rates(r), grid.learning_rates);
  double top = 0;
  for (const auto& s : r.setups) {
    double want = 100 * total[{s.batch_size, s.learning_rate}] / worst;
    EXPECT_NEAR(s.percent_of_worst, want, 1e-6);
    EXPECT_TRUE(std::isfinite(s.stats.energy_per_epoch_j.mean));
    EXPECT_TRUE(std::isfinite(s.stats.epochs.mean));
    EXPECT_EQ(s.stats.runs, 1);
    top = std::max(top, s.percent_of_worst);
  }
  EXPECT_DOUBLE_EQ(top, 100.0);
  ASSERT_TRUE(r.best.has_value());
  EXPECT_LE(r.best->percent_of_worst, 100.0);
  // The stored JSON keeps the grid as matrices for its readers (rows = batch sizes).
  json j = r;
  ASSERT_EQ(j["tables"]["percent_of_worst"].size(), 3u);
  EXPECT_NEAR(j["tables"]["percent_of_worst"][1][1].get<double>(), regime_setup(r, 256, 0.001)->percent_of_worst, 1e-12);
  // The factor sentence names a factor for both quantities.
  std::string sentence = r.header.findings.at(0);
  EXPECT_NE(sentence.find("drives the energy per epoch"), std::string::npos) << sentence;
  EXPECT_NE(sentence.find("drives the number of epochs"), std::string::npos) << sentence;
  for (const RegimeDriver* d : {&r.energy_per_epoch_driver, &r.epochs_driver}) {
    EXPECT_TRUE(d->factor == "batch_size" || d->factor == "learning_rate") << d->factor;
  }
  // What `powertrain study` prints: the report's tables with units, then the findings.
  std::string text = report::study_report(r).text();
  EXPECT_NE(text.find("Setups (mean over seeds)"), std::string::npos) << text;
  EXPECT_NE(text.find("% of worst"), std::string::npos) << text;
  EXPECT_NE(text.find(" J (est.)"), std::string::npos) << text;
  EXPECT_NE(text.find(sentence), std::string::npos) << text;
  // The same name again is refused, naming the fix.
  EXPECT_THROW(run_regime_study(o, grid, &store), StudyError);
}

TEST(Study, PrecisionComparesWithFp32AndSaysWhatWasSkipped) {
  SKIP_WITHOUT_DATA();
  TempDir dir;
  Store store = Store::open(dir.file("s.db"));
  StudyOptions o = tiny();
  o.seeds = 2;
  PrecisionResult r = run_precision_study(o, {}, &store);
  EXPECT_EQ(r.header.schema, "powertrain.study.precision/1");
  ASSERT_FALSE(r.summary.empty());
  EXPECT_EQ(r.summary[0].precision, "fp32");
  expect_energies_known(r.runs);
  expect_stored_study(store, r, r.runs.size());
  if (r.header.device == "cpu") {
    // The engine refuses fp16 autocast on a CPU; the study says so instead of failing.
    ASSERT_EQ(r.skipped.size(), 1u) << json(r)["skipped"].dump();
    EXPECT_EQ(r.skipped[0].precision, "fp16");
    EXPECT_NE(r.skipped[0].reason.find("fp16"), std::string::npos);
  }
  const double target = r.target_val_accuracy;
  const double acc32 = r.summary[0].stats.best_val_accuracy.mean;
  EXPECT_NEAR(target, acc32 - 0.01, 1e-12);
  for (const auto& s : r.summary) {
    EXPECT_EQ(s.stats.runs, 2);
    EXPECT_TRUE(std::isfinite(s.stats.best_val_accuracy.std)) << json(s).dump();  // two seeds: a spread
    bool loss = s.stats.best_val_accuracy.mean < acc32 - 0.01;
    EXPECT_EQ(s.accuracy_loss_flag, std::optional<bool>(loss));
  }
  // Energy to the target: the stored epochs summed up to the first one reaching it.
  for (const auto& run : r.runs) {
    auto epochs = store.epochs(run.run.run_id);
    double cum = 0;
    int reached = 0;
    for (const auto& e : epochs) {
      cum += e.energy_j;
      if (e.val_metric >= target) { reached = e.epoch; break; }
    }
    if (reached) {
      EXPECT_EQ(run.to_target.epochs_to_target, reached);
      EXPECT_NEAR(run.to_target.energy_to_target_j, cum, 1e-9 * cum);
    } else {
      EXPECT_TRUE(std::isnan(run.to_target.energy_to_target_j));
      EXPECT_TRUE(json(run)["energy_to_target_j"].is_null());
    }
  }
}

TEST(Study, SuperconvergenceUsesTheRangeTest) {
  SKIP_WITHOUT_DATA();
  TempDir dir;
  Store store = Store::open(dir.file("s.db"));
  SuperconvergenceResult r = run_superconvergence_study(tiny(), {}, &store);
  EXPECT_EQ(r.header.schema, "powertrain.study.superconvergence/1");
  const LrFindRow& lf = r.lr_find;
  ASSERT_TRUE(std::isfinite(lf.suggested_lr));
  EXPECT_DOUBLE_EQ(r.max_lr, lf.suggested_lr);
  EXPECT_EQ(lf.lr.size(), static_cast<size_t>(lf.steps));
  auto lf_run = store.run(lf.run_id);
  ASSERT_TRUE(lf_run.has_value());
  EXPECT_EQ(lf_run->kind, "lr_find");
  EXPECT_NEAR(lf.energy_j, lf_run->energy_j, 1e-9 * lf_run->energy_j);
  ASSERT_EQ(r.runs.size(), 2u);
  expect_energies_known(r.runs);
  expect_stored_study(store, r, 3);  // the range test and two trainings
  EXPECT_NEAR(r.header.study_energy_j, r.runs[0].run.energy_j + r.runs[1].run.energy_j + lf.energy_j, 1e-9 * r.header.study_energy_j);
  // The default target is the lower best accuracy, so both variants reach it.
  for (const auto& s : r.summary) {
    EXPECT_TRUE(std::isfinite(s.target.epochs_to_target.mean)) << json(s).dump();
    EXPECT_TRUE(std::isfinite(s.target.energy_to_target_j.mean)) << json(s).dump();
  }
  const SuperconvergenceSummary& oc = r.summary[0];
  EXPECT_EQ(oc.variant, "one_cycle");
  EXPECT_NEAR(oc.energy_to_target_with_lr_find_j, oc.target.energy_to_target_j.mean + lf.energy_j, 1e-9);
  // The one-cycle run's learning rate rose to max_lr and came back down.
  double peak = 0;
  for (const auto& e : r.runs[0].run.epoch_rows) peak = std::max(peak, e.lr);
  EXPECT_LE(peak, r.max_lr * (1 + 1e-9));
}

TEST(Study, PretrainBreakEvenIsEquation2OnTheStoredEnergies) {
  SKIP_WITHOUT_DATA();
  TempDir dir;
  Store store = Store::open(dir.file("s.db"));
  StudyOptions o = tiny();
  o.work_dir = dir.path();
  PretrainResult r = run_pretrain_study(o, {}, &store);
  EXPECT_EQ(r.header.schema, "powertrain.study.pretrain/1");
  ASSERT_EQ(r.runs.size(), 4u);
  expect_energies_known(r.runs);
  expect_stored_study(store, r, 4);
  std::map<std::string, double> e;
  std::map<std::string, RunRow> row;
  for (const auto& run : r.runs) {
    e[run.variant] = stored_energy_j(store, run.run.run_id);
    row[run.variant] = run.run;
  }
  // Frozen: only the head trains.
  EXPECT_LT(row["frozen"].trainable_parameters, row["frozen"].parameters);
  EXPECT_EQ(row["finetune"].trainable_parameters, row["finetune"].parameters);
  for (const auto* be : {&r.break_even_frozen, &r.break_even_finetune}) {
    double denom = e["scratch"] - e[be == &r.break_even_frozen ? "frozen" : "finetune"];
    if (denom > 0) {
      EXPECT_NEAR(be->reuses, e["autoencoder"] / denom, 1e-6 * e["autoencoder"] / denom);
    } else {
      EXPECT_TRUE(std::isnan(be->reuses));
      EXPECT_EQ(be->text, "never");
    }
  }
  const PretrainCumulative& c = r.cumulative;
  ASSERT_GE(c.reuses.size(), 11u);
  for (size_t n = 0; n < c.reuses.size(); ++n) {
    EXPECT_NEAR(c.pretrain_frozen_j[n], e["autoencoder"] + static_cast<double>(n) * e["frozen"], 1e-6);
    EXPECT_NEAR(c.scratch_j[n], static_cast<double>(n) * e["scratch"], 1e-6);
  }
  EXPECT_NEAR(r.freeze_vs_finetune.energy_saving_fraction, (e["finetune"] - e["frozen"]) / e["finetune"], 1e-9);
  EXPECT_NEAR(r.energies.enc_j, e["autoencoder"], 1e-6);
  struct stat st;
  EXPECT_EQ(::stat(dir.file("encoder-s0.pt").c_str(), &st), 0);  // the encoder was saved where asked
}

TEST(Study, MultitaskComparesTheTasksAloneAndTogether) {
  SKIP_WITHOUT_DATA();
  TempDir dir;
  Store store = Store::open(dir.file("s.db"));
  MultitaskResult r = run_multitask_study(tiny(), {}, &store);
  EXPECT_EQ(r.header.schema, "powertrain.study.multitask/1");
  ASSERT_EQ(r.summary.size(), 3u);
  ASSERT_EQ(r.runs.size(), 3u);
  expect_energies_known(r.runs);
  expect_stored_study(store, r, 3);
  std::map<std::string, double> e;
  for (const auto& run : r.runs) e[run.variant] = stored_energy_j(store, run.run.run_id);
  EXPECT_NEAR(r.comparison.separate_total_energy_j, e["main"] + e["aux"], 1e-6);
  EXPECT_NEAR(r.comparison.multitask_energy_j, e["both"], 1e-6);
  EXPECT_EQ(r.comparison.cheaper_than_separate, e["both"] < e["main"] + e["aux"]);
  // The main task's accuracy is unknown where only the auxiliary task trains: null, not 0.
  EXPECT_TRUE(std::isnan(r.summary[1].main_task_val_accuracy));
  EXPECT_TRUE(json(r)["summary"][1]["main_task_val_accuracy"].is_null());
  EXPECT_TRUE(std::isfinite(r.summary[0].main_task_val_accuracy));
  EXPECT_TRUE(std::isfinite(r.summary[2].main_task_val_accuracy));
  // The auxiliary head's accuracy where it trains (alone and together); unknown for main alone.
  EXPECT_TRUE(std::isnan(r.summary[0].aux_task_val_accuracy));
  EXPECT_GT(r.summary[1].aux_task_val_accuracy, 0.25);  // 4 coarse groups: beats chance
  EXPECT_GT(r.summary[2].aux_task_val_accuracy, 0.25);
  EXPECT_LE(r.summary[2].aux_task_val_accuracy, 1.0);
  EXPECT_DOUBLE_EQ(r.options.alpha, 0.5);
}

TEST(Study, AStudyThatStopsEarlyIsNotLeftRunning) {
  SKIP_WITHOUT_DATA();
  TempDir dir;
  Store store = Store::open(dir.file("s.db"));
  // A stop request: the first run stops after one step, is stored, and the study says so.
  std::atomic<bool> stop{true};
  StudyOptions o = tiny();
  o.stop_requested = &stop;
  o.name = "stopped";
  EXPECT_THROW(run_multitask_study(o, {}, &store), StudyInterrupted);
  ASSERT_TRUE(store.study("stopped").has_value());
  EXPECT_EQ(store.study("stopped")->status, StudyStatus::interrupted);
  EXPECT_EQ(store.study_rows(store.study("stopped")->id).size(), 1u);
  // A failure after training (the encoder cannot be written): the study is marked failed.
  o = tiny();
  o.name = "failed";
  o.work_dir = dir.file("no/such/dir");
  EXPECT_ANY_THROW(run_pretrain_study(o, {}, &store));
  ASSERT_TRUE(store.study("failed").has_value());
  EXPECT_EQ(store.study("failed")->status, StudyStatus::failed);
}

TEST(StudyCli, RegimeTinyWritesJsonToStdout) {
  SKIP_WITHOUT_DATA();
  TempDir dir;
  auto r = run_program({kBin, "study", "regime", "--scale", "tiny", "--batch-sizes", "256,1024", "--lrs", "0.1,0.01",
                        "--db", dir.file("s.db"), "--json", "-", "--powercap-root", dir.file("none"), "--no-gpu",
                        "--report", dir.file("regime.html")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);  // stdout holds only the JSON; the tables went to stderr
  // The study ends with its HTML report: the energy heatmaps and the percent-of-worst bars.
  std::string html = read_file(dir.file("regime.html"));
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(r.err.find("report written to " + dir.file("regime.html")), std::string::npos) << r.err;
  EXPECT_EQ(j["schema"], "powertrain.study.regime/1");
  EXPECT_EQ(j["runs"].size(), 4u);
  EXPECT_EQ(j["tables"]["energy_per_epoch_j"].size(), 2u);
  EXPECT_NE(r.err.find("% of worst"), std::string::npos) << r.err;  // the setups table, on stderr
  EXPECT_NE(r.err.find("stored as study 'regime-"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("drives the energy per epoch"), std::string::npos) << r.err;
  auto store = Store::open(dir.file("s.db"));
  ASSERT_EQ(store.studies().size(), 1u);
  EXPECT_EQ(store.studies()[0].kind, "regime");
}

// The search study at tiny scale: every strategy searched the same 2 x 2 space with real
// training, and the energies add up.
TEST(StudyCli, SearchTinyComparesStrategies) {
  SKIP_WITHOUT_DATA();
  TempDir dir;
  auto r = run_program({kBin, "study", "search", "--scale", "tiny", "--db", dir.file("s.db"), "--json", dir.file("s.json"),
                        "--report", dir.file("search.html"), "--powercap-root", dir.file("none"), "--no-gpu"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(read_file(dir.file("s.json")));
  EXPECT_EQ(j["schema"], "powertrain.study.search/1");
  ASSERT_EQ(j["runs"].size(), 5u);
  double total = 0;
  for (const auto& s : j["runs"]) {
    EXPECT_GT(s["trials"].get<long>(), 0) << s.dump();
    EXPECT_GT(s["search_energy_j"].get<double>(), 0) << s.dump();
    // Reaching the target first happens at or before the end of the search.
    if (!s["energy_to_first_target_j"].is_null()) {
      EXPECT_LE(s["energy_to_first_target_j"].get<double>(), s["search_energy_j"].get<double>() + 1e-9);
    }
    total += s["search_energy_j"].get<double>();
  }
  EXPECT_NEAR(j["study_energy_j"].get<double>(), total, 1e-6 * total);
  EXPECT_FALSE(j["findings"].empty());
  // Stored: one trial per strategy, with the search's energy.
  auto store = Store::open(dir.file("s.db"));
  auto trials = store.study_rows(j["study_id"].get<int64_t>());
  EXPECT_EQ(trials.size(), 5u);
  EXPECT_NE(read_file(dir.file("search.html")).find("<svg"), std::string::npos);
}

// The main job's comparison at tiny scale: the standard recipe, the SM2 search and the tuned
// run are stored; the target is 90 % or the standard's own test accuracy; the comparison is
// recomputed from the stored runs and trials; the report shows both recipes; advise reads it.
TEST(StudyCli, RecipeTinyComparesTheTwoRecipesOnOneTarget) {
  SKIP_WITHOUT_DATA();
  TempDir dir;
  auto r = run_program({kBin, "study", "recipe", "--scale", "tiny", "--db", dir.file("s.db"), "--json", dir.file("r.json"),
                        "--report", dir.file("recipe.html"), "--powercap-root", dir.file("none"), "--no-gpu"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(read_file(dir.file("r.json")));
  EXPECT_EQ(j["schema"], "powertrain.study.recipe/1");
  const RecipeResult res = j.get<RecipeResult>();
  // The standard recipe as written: Adam, constant LR 1e-3, batch 64, fp32, all its epochs.
  EXPECT_EQ(res.standard.run.epochs, 2);  // the tiny scale's standard epochs
  EXPECT_EQ(res.standard.batch_size, 64);
  EXPECT_EQ(res.standard.precision, "fp32");
  ASSERT_TRUE(std::isfinite(res.standard.run.test_accuracy));
  const double target = std::min(0.9, res.standard.run.test_accuracy);
  EXPECT_DOUBLE_EQ(res.comparison.target_test_accuracy, target);
  EXPECT_EQ(res.standard.reached_target, true);
  EXPECT_EQ(res.tuned.reached_target, res.tuned.run.test_accuracy >= target);
  // The tuned run is the search's choice, trained with one-cycle for at most its epochs.
  EXPECT_LE(res.tuned.run.epochs, res.options.tuned_epochs);
  EXPECT_EQ(res.tuned.schedule, "one_cycle");
  const std::string chosen_batch = "training.batch_size=" + std::to_string(res.tuned.batch_size);
  bool found = false;
  for (const auto& kv : res.search_chosen) found |= kv.rfind(chosen_batch, 0) == 0;
  EXPECT_TRUE(found) << j["search"].dump();
  // Energies: each recipe's energy is its whole stored run; the comparison is Eq. 2 on them.
  auto store = Store::open(dir.file("s.db"));
  for (const RecipeSide* side : {&res.standard, &res.tuned}) {
    auto run = store.run(side->run.run_id);
    ASSERT_TRUE(run.has_value());
    EXPECT_NEAR(side->run.energy_j, stored_energy_j(store, side->run.run_id), 1e-6 * side->run.energy_j);
    EXPECT_GE(side->energy_j, side->run.energy_j);  // the whole run: setup and test on top of the epochs
  }
  EXPECT_NEAR(res.comparison.energy_ratio, res.tuned.energy_j / res.standard.energy_j, 1e-9);
  EXPECT_NEAR(res.comparison.saving_j, res.standard.energy_j - res.tuned.energy_j, 1e-6);
  if (res.tuned.reached_target && res.comparison.saving_j > 0) {
    EXPECT_NEAR(res.comparison.payback_reuses, res.search_energy_j / res.comparison.saving_j, 1e-9);
  } else if (!res.tuned.reached_target) {
    EXPECT_TRUE(std::isnan(res.comparison.payback_reuses));
  }
  // The search: every trial stored as a row of the study; its energy is theirs.
  auto rows = store.study_rows(res.header.study_id);
  double search_j = 0;
  int64_t search_rows = 0;
  for (const auto& row : rows) {
    json t = json::parse(row);
    if (t.value("step", "") != "search") continue;
    ++search_rows;
    search_j += t["energy_j"].get<double>();
  }
  EXPECT_EQ(search_rows, res.search_trials);
  EXPECT_EQ(rows.size(), static_cast<size_t>(res.search_trials) + 2);  // and the two recipes' runs
  EXPECT_NEAR(res.search_energy_j, search_j, 1e-6 * search_j);
  EXPECT_NEAR(j["study_energy_j"].get<double>(), res.standard.energy_j + res.search_energy_j + res.tuned.energy_j,
              1e-6 * j["study_energy_j"].get<double>());
  // Energy per sample for every batch size x precision the search explored.
  EXPECT_EQ(res.costs.size(), 4u);  // tiny: batch 64, 256 x fp32, bf16
  for (const auto& c : res.costs) EXPECT_GT(c.energy_per_sample_j, 0) << json(c).dump();
  const std::string html = read_file(dir.file("recipe.html"));
  EXPECT_NE(html.find("standard recipe"), std::string::npos);
  EXPECT_NE(html.find("The two recipes, judged on test accuracy"), std::string::npos);
  EXPECT_NE(html.find("pays back after"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  // advise reads the study: the recipe first when it saved energy, then the levers.
  auto advice = run_program({kBin, "advise", "--db", dir.file("s.db")});
  ASSERT_EQ(advice.exit_code, 0) << advice.err;
  if (res.tuned.reached_target && res.comparison.saving_j > 0) {
    EXPECT_NE(advice.out.find("[recipe]"), std::string::npos) << advice.out;
  }
}

TEST(StudyCli, BadInputIsNamed) {
  TempDir dir;
  auto r = run_program({kBin, "study", "regime", "--scale", "huge", "--no-store"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--scale"), std::string::npos) << r.err;
  auto k = run_program({kBin, "study", "layers-of-doom", "--no-store"});
  EXPECT_EQ(k.exit_code, 2);
  auto d = run_program({kBin, "study", "regime", "--scale", "tiny", "--data", dir.file("nothing"), "--no-store"});
  EXPECT_EQ(d.exit_code, 2);
  EXPECT_NE(d.err.find("--data"), std::string::npos) << d.err;
  auto s = run_program({kBin, "study", "regime", "--scale", "tiny", "--set", "optimizer.type=rmsprop", "--no-store"});
  EXPECT_EQ(s.exit_code, 2);
  EXPECT_NE(s.err.find("optimizer.type"), std::string::npos) << s.err;
}

}  // namespace
}  // namespace powertrain::test

namespace powertrain::test {
namespace {

// The layers study at tiny scale through the CLI: every layer type costed, the widths
// swept, the benchmark's energy counted in the study's total, the report written.
TEST(StudyCli, LayersTinyCostsEveryLayerAndSweepsWidths) {
  SKIP_WITHOUT_DATA();
  TempDir dir;
  auto r = run_program({POWERTRAIN_BIN, "study", "layers", "--scale", "tiny", "--db", dir.file("s.db"), "--json",
                              dir.file("l.json"), "--report", dir.file("layers.html"), "--powercap-root", dir.file("none"),
                              "--no-gpu"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(read_file(dir.file("l.json")));
  EXPECT_EQ(j["schema"], "powertrain.study.layers/1");
  EXPECT_EQ(j["layer_costs"].size(), 5u);
  ASSERT_FALSE(j["widths"].empty());
  double runs_j = 0;
  for (const auto& run : j["runs"]) runs_j += run["energy_j"].get<double>();
  EXPECT_NEAR(j["study_energy_j"].get<double>(), runs_j + j["layer_bench"]["energy_j"].get<double>(), 1e-6 * runs_j);
  EXPECT_NE(r.out.find("energy/pass (fwd+bwd)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Width sweep (mean ± std over seeds)"), std::string::npos) << r.out;
  EXPECT_NE(read_file(dir.file("layers.html")).find("<svg"), std::string::npos);
}

}  // namespace
}  // namespace powertrain::test
