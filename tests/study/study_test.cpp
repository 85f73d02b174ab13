// The research studies end to end at tiny scale on the real Fashion-MNIST data, with a real
// SQLite store: the result's shape, and its numbers recomputed from what the store holds.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <cmath>
#include <map>

#include <nlohmann/json.hpp>

#include "powertrain/store/store.h"
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
double stored_energy_j(const Store& s, const json& run_id) {
  EXPECT_TRUE(run_id.is_number()) << "run without a run_id";
  double sum = 0;
  auto epochs = s.epochs(run_id.get<int64_t>());
  EXPECT_FALSE(epochs.empty());
  for (const auto& e : epochs) sum += e.energy_j;
  return sum;
}

// Every known energy is a number, never NaN (JSON has no NaN: null is the only "unknown").
void expect_energies_known(const json& runs) {
  for (const auto& r : runs) {
    EXPECT_TRUE(r["energy_j"].is_number()) << r.dump();
    EXPECT_TRUE(r["energy_per_epoch_j"].is_number()) << r.dump();
    EXPECT_TRUE(r["duration_s"].is_number()) << r.dump();
    EXPECT_TRUE(r["avg_power_w"].is_number()) << r.dump();
    EXPECT_NE(r["energy_provenance"], "missing") << r.dump();
    EXPECT_GT(r["energy_j"].get<double>(), 0) << r.dump();
  }
}

// The study row in the store: kind, finished, one trial per run (with its run id), the result.
void expect_stored_study(const Store& s, const json& result, size_t trials) {
  auto st = s.study(result["name"].get<std::string>());
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->kind, result["kind"].get<std::string>());
  EXPECT_EQ(st->status, StudyStatus::finished);
  EXPECT_EQ(json::parse(st->result_json)["schema"], result["schema"]);
  EXPECT_EQ(result["study_id"].get<int64_t>(), st->id);
  auto t = s.study_trials(st->id);
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
  EXPECT_THROW(run_regime_study(o, &store), StudyError);
  o = tiny();
  o.data_path = dir.file("no-such-dir");
  try {
    run_regime_study(o, &store);
    FAIL() << "a missing data directory was accepted";
  } catch (const StudyError& e) {
    EXPECT_NE(std::string(e.what()).find("--data"), std::string::npos) << e.what();
  }
  o = tiny();
  o.overrides = {"optimizer.type=rmsprop"};
  EXPECT_THROW(run_regime_study(o, &store), ConfigError);
  o = tiny();
  o.batch_sizes = {0};
  EXPECT_THROW(run_regime_study(o, &store), StudyError);
  EXPECT_THROW(run_study("layers-of-doom", tiny(), &store), StudyError);
  EXPECT_TRUE(store.studies().empty());  // nothing was half-started
}

TEST(Study, RegimeGridMatchesTheStoredEpochs) {
  SKIP_WITHOUT_DATA();
  TempDir dir;
  Store store = Store::open(dir.file("s.db"));
  StudyOptions o = tiny();
  o.batch_sizes = {64, 256, 1024};
  o.learning_rates = {0.1, 0.001};
  o.name = "regime-test";
  json r = run_regime_study(o, &store);
  EXPECT_EQ(r["schema"], "powertrain.study.regime/1");
  ASSERT_EQ(r["runs"].size(), 6u);
  expect_energies_known(r["runs"]);
  expect_stored_study(store, r, 6);

  // Every run's energy is the sum of its stored epochs, and its epoch count theirs.
  std::map<std::pair<int64_t, double>, double> total;
  for (const auto& run : r["runs"]) {
    double e = stored_energy_j(store, run["run_id"]);
    EXPECT_NEAR(run["energy_j"].get<double>(), e, 1e-9 * e);
    EXPECT_EQ(run["epochs"].get<size_t>(), store.epochs(run["run_id"].get<int64_t>()).size());
    EXPECT_NEAR(run["energy_per_epoch_j"].get<double>(), e / run["epochs"].get<double>(), 1e-9 * e);
    total[{run["batch_size"].get<int64_t>(), run["learning_rate"].get<double>()}] = e;
  }
  // Percentages of the worst, recomputed from the store (one seed: a setup is one run).
  double worst = 0;
  for (const auto& kv : total) worst = std::max(worst, kv.second);
  const json& t = r["tables"];
  ASSERT_EQ(t["percent_of_worst"].size(), 3u);
  double top = 0;
  for (size_t i = 0; i < 3; ++i) {
    ASSERT_EQ(t["percent_of_worst"][i].size(), 2u);
    for (size_t j = 0; j < 2; ++j) {
      double want = 100 * total[{t["batch_sizes"][i].get<int64_t>(), t["learning_rates"][j].get<double>()}] / worst;
      EXPECT_NEAR(t["percent_of_worst"][i][j].get<double>(), want, 1e-6);
      EXPECT_TRUE(t["energy_per_epoch_j"][i][j].is_number());
      EXPECT_TRUE(t["epochs"][i][j].is_number());
      top = std::max(top, t["percent_of_worst"][i][j].get<double>());
    }
  }
  EXPECT_DOUBLE_EQ(top, 100.0);
  ASSERT_EQ(r["setups"].size(), 6u);
  EXPECT_LE(r["best"]["percent_of_worst"].get<double>(), 100.0);
  // The factor sentence names a factor for both quantities.
  std::string sentence = r["findings"][0].get<std::string>();
  EXPECT_NE(sentence.find("drives the energy per epoch"), std::string::npos) << sentence;
  EXPECT_NE(sentence.find("drives the number of epochs"), std::string::npos) << sentence;
  for (const char* q : {"energy_per_epoch", "epochs"}) {
    std::string f = r["drivers"][q]["factor"];
    EXPECT_TRUE(f == "batch_size" || f == "learning_rate") << f;
  }
  EXPECT_NE(study_text(r).find("Average energy per epoch (J, Eq. 1)"), std::string::npos);
  // The same name again is refused, naming the fix.
  EXPECT_THROW(run_regime_study(o, &store), StudyError);
}

TEST(Study, PrecisionComparesWithFp32AndSaysWhatWasSkipped) {
  SKIP_WITHOUT_DATA();
  TempDir dir;
  Store store = Store::open(dir.file("s.db"));
  StudyOptions o = tiny();
  o.seeds = 2;
  json r = run_precision_study(o, &store);
  EXPECT_EQ(r["schema"], "powertrain.study.precision/1");
  ASSERT_FALSE(r["summary"].empty());
  EXPECT_EQ(r["summary"][0]["precision"], "fp32");
  expect_energies_known(r["runs"]);
  expect_stored_study(store, r, r["runs"].size());
  if (r["device"] == "cpu") {
    // The engine refuses fp16 autocast on a CPU; the study says so instead of failing.
    ASSERT_EQ(r["skipped"].size(), 1u) << r["skipped"].dump();
    EXPECT_EQ(r["skipped"][0]["precision"], "fp16");
    EXPECT_NE(r["skipped"][0]["reason"].get<std::string>().find("fp16"), std::string::npos);
  }
  const double target = r["target_val_accuracy"].get<double>();
  const double acc32 = r["summary"][0]["best_val_accuracy"].get<double>();
  EXPECT_NEAR(target, acc32 - 0.01, 1e-12);
  for (const auto& s : r["summary"]) {
    EXPECT_EQ(s["runs"], 2);
    EXPECT_TRUE(s["best_val_accuracy_std"].is_number()) << s.dump();  // two seeds: a spread
    bool loss = s["best_val_accuracy"].get<double>() < acc32 - 0.01;
    EXPECT_EQ(s["accuracy_loss_flag"].get<bool>(), loss);
  }
  // Energy to the target: the stored epochs summed up to the first one reaching it.
  for (const auto& run : r["runs"]) {
    auto epochs = store.epochs(run["run_id"].get<int64_t>());
    double cum = 0;
    int reached = 0;
    for (const auto& e : epochs) {
      cum += e.energy_j;
      if (e.val_metric >= target) { reached = e.epoch; break; }
    }
    if (reached) {
      EXPECT_EQ(run["epochs_to_target"].get<int>(), reached);
      EXPECT_NEAR(run["energy_to_target_j"].get<double>(), cum, 1e-9 * cum);
    } else {
      EXPECT_TRUE(run["energy_to_target_j"].is_null());
    }
  }
}

TEST(Study, SuperconvergenceUsesTheRangeTest) {
  SKIP_WITHOUT_DATA();
  TempDir dir;
  Store store = Store::open(dir.file("s.db"));
  json r = run_superconvergence_study(tiny(), &store);
  EXPECT_EQ(r["schema"], "powertrain.study.superconvergence/1");
  const json& lf = r["lr_find"];
  ASSERT_TRUE(lf["suggested_lr"].is_number());
  EXPECT_DOUBLE_EQ(r["max_lr"].get<double>(), lf["suggested_lr"].get<double>());
  auto lf_run = store.run(lf["run_id"].get<int64_t>());
  ASSERT_TRUE(lf_run.has_value());
  EXPECT_EQ(lf_run->kind, "lr_find");
  EXPECT_NEAR(lf["energy_j"].get<double>(), lf_run->energy_j, 1e-9 * lf_run->energy_j);
  ASSERT_EQ(r["runs"].size(), 2u);
  expect_energies_known(r["runs"]);
  expect_stored_study(store, r, 3);  // the range test and two trainings
  // The default target is the lower best accuracy, so both variants reach it.
  for (const auto& s : r["summary"]) {
    EXPECT_TRUE(s["epochs_to_target"].is_number()) << s.dump();
    EXPECT_TRUE(s["energy_to_target_j"].is_number()) << s.dump();
  }
  const json& oc = r["summary"][0];
  EXPECT_EQ(oc["variant"], "one_cycle");
  EXPECT_NEAR(oc["energy_to_target_with_lr_find_j"].get<double>(),
              oc["energy_to_target_j"].get<double>() + lf["energy_j"].get<double>(), 1e-9);
  // The one-cycle run's learning rate rose to max_lr and came back down.
  double peak = 0;
  for (const auto& e : r["runs"][0]["epoch_rows"]) peak = std::max(peak, e["lr"].get<double>());
  EXPECT_LE(peak, r["max_lr"].get<double>() * (1 + 1e-9));
}

TEST(Study, PretrainBreakEvenIsEquation2OnTheStoredEnergies) {
  SKIP_WITHOUT_DATA();
  TempDir dir;
  Store store = Store::open(dir.file("s.db"));
  StudyOptions o = tiny();
  o.work_dir = dir.path();
  json r = run_pretrain_study(o, &store);
  EXPECT_EQ(r["schema"], "powertrain.study.pretrain/1");
  ASSERT_EQ(r["runs"].size(), 4u);
  expect_energies_known(r["runs"]);
  expect_stored_study(store, r, 4);
  std::map<std::string, double> e;
  std::map<std::string, json> row;
  for (const auto& run : r["runs"]) {
    e[run["variant"]] = stored_energy_j(store, run["run_id"]);
    row[run["variant"]] = run;
  }
  // Frozen: only the head trains.
  EXPECT_LT(row["frozen"]["trainable_parameters"].get<int64_t>(), row["frozen"]["parameters"].get<int64_t>());
  EXPECT_EQ(row["finetune"]["trainable_parameters"], row["finetune"]["parameters"]);
  for (const char* v : {"frozen", "finetune"}) {
    double denom = e["scratch"] - e[v];
    const json& be = r["break_even"][v];
    if (denom > 0) {
      EXPECT_NEAR(be["reuses"].get<double>(), e["autoencoder"] / denom, 1e-6 * e["autoencoder"] / denom);
    } else {
      EXPECT_TRUE(be["reuses"].is_null());
      EXPECT_EQ(be["text"], "never");
    }
  }
  const json& c = r["cumulative"];
  ASSERT_GE(c["reuses"].size(), 11u);
  for (size_t n = 0; n < c["reuses"].size(); ++n) {
    EXPECT_NEAR(c["pretrain_frozen_j"][n].get<double>(), e["autoencoder"] + n * e["frozen"], 1e-6);
    EXPECT_NEAR(c["scratch_j"][n].get<double>(), n * e["scratch"], 1e-6);
  }
  EXPECT_NEAR(r["freeze_vs_finetune"]["energy_saving_fraction"].get<double>(), (e["finetune"] - e["frozen"]) / e["finetune"], 1e-9);
  struct stat st;
  EXPECT_EQ(::stat(dir.file("encoder-s0.pt").c_str(), &st), 0);  // the encoder was saved where asked
}

TEST(Study, MultitaskComparesTheTasksAloneAndTogether) {
  SKIP_WITHOUT_DATA();
  TempDir dir;
  Store store = Store::open(dir.file("s.db"));
  json r = run_multitask_study(tiny(), &store);
  EXPECT_EQ(r["schema"], "powertrain.study.multitask/1");
  ASSERT_EQ(r["summary"].size(), 3u);
  ASSERT_EQ(r["runs"].size(), 3u);
  expect_energies_known(r["runs"]);
  expect_stored_study(store, r, 3);
  std::map<std::string, double> e;
  for (const auto& run : r["runs"]) e[run["variant"]] = stored_energy_j(store, run["run_id"]);
  EXPECT_NEAR(r["comparison"]["separate_total_energy_j"].get<double>(), e["main"] + e["aux"], 1e-6);
  EXPECT_NEAR(r["comparison"]["multitask_energy_j"].get<double>(), e["both"], 1e-6);
  EXPECT_EQ(r["comparison"]["cheaper_than_separate"].get<bool>(), e["both"] < e["main"] + e["aux"]);
  // The main task's accuracy is unknown where only the auxiliary task trains: null, not 0.
  EXPECT_TRUE(r["summary"][1]["main_task_val_accuracy"].is_null());
  EXPECT_TRUE(r["summary"][0]["main_task_val_accuracy"].is_number());
  EXPECT_TRUE(r["summary"][2]["main_task_val_accuracy"].is_number());
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
  EXPECT_THROW(run_multitask_study(o, &store), StudyInterrupted);
  ASSERT_TRUE(store.study("stopped").has_value());
  EXPECT_EQ(store.study("stopped")->status, StudyStatus::interrupted);
  EXPECT_EQ(store.study_trials(store.study("stopped")->id).size(), 1u);
  // A failure after training (the encoder cannot be written): the study is marked failed.
  o = tiny();
  o.name = "failed";
  o.work_dir = dir.file("no/such/dir");
  EXPECT_ANY_THROW(run_pretrain_study(o, &store));
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
  EXPECT_NE(r.err.find("Total energy as % of the worst setup"), std::string::npos) << r.err;
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
  auto trials = store.study_trials(j["study_id"].get<int64_t>());
  EXPECT_EQ(trials.size(), 5u);
  EXPECT_NE(read_file(dir.file("search.html")).find("<svg"), std::string::npos);
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
  EXPECT_NE(r.out.find("J/pass (fwd+bwd)"), std::string::npos) << r.out;
  EXPECT_NE(read_file(dir.file("layers.html")).find("<svg"), std::string::npos);
}

}  // namespace
}  // namespace powertrain::test
