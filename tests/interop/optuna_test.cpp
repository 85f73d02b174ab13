// Optuna RDB export: studies written through the Store, opened by Debian's python3-optuna.
#include "powertrain/interop/optuna.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "interop/interop_fixture.h"

namespace powertrain::test {
namespace {

// Loads the study with Optuna and prints it as JSON (NaN and infinities as text); with
// argv[3] == "ask", also runs one more trial in the same search space, as a user would.
const char* kLoadStudy = R"py(
import json, math, sys
import optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
def f(v):
    if v is None or not isinstance(v, float): return v
    if math.isnan(v): return "nan"
    if math.isinf(v): return "inf" if v > 0 else "-inf"
    return v
s = optuna.load_study(study_name=sys.argv[2], storage="sqlite:///" + sys.argv[1])
out = {"directions": [d.name for d in s.directions], "user_attrs": s.user_attrs, "trials": [],
       "best": sorted(t.number for t in s.best_trials)}
for t in s.trials:
    out["trials"].append({"number": t.number, "state": t.state.name, "params": t.params,
                          "values": None if t.values is None else [f(v) for v in t.values],
                          "intermediate": {str(k): f(v) for k, v in t.intermediate_values.items()},
                          "dist": {k: type(d).__name__ + ("(log)" if getattr(d, "log", False) else "")
                                   for k, d in t.distributions.items()},
                          "user_attrs": t.user_attrs,
                          "has_times": t.datetime_start is not None and t.datetime_complete is not None})
if len(s.directions) == 1:
    out["best_value"] = f(s.best_value)
    out["best_params"] = s.best_params
if len(sys.argv) > 3 and sys.argv[3] == "ask":
    t = s.ask()
    t.suggest_float("optimizer.lr", 1e-4, 1e-1, log=True)
    t.suggest_int("batch_size", 16, 256)
    t.suggest_categorical("optimizer.type", ["sgd", "adam"])
    s.tell(t, [0.65, 150.0])
    out["after_ask"] = len(s.trials)
print(json.dumps(out))
)py";

nlohmann::json load_with_optuna(const std::string& py, const std::string& file, const std::string& study,
                                const std::string& extra = "") {
  std::vector<std::string> argv = {py, "-c", kLoadStudy, file, study};
  if (!extra.empty()) argv.push_back(extra);
  RunResult r = run_program(argv);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (r.exit_code != 0) return nullptr;
  return nlohmann::json::parse(r.out);
}

nlohmann::json trial(long id, nlohmann::json config, int from, int to, nlohmann::json loss, nlohmann::json metric,
                     double config_energy_j, double search_s) {
  return {{"trial", id},         {"config", config},           {"budget", to},
          {"from_epoch", from},  {"to_epoch", to},             {"loss", loss},
          {"metric", metric},    {"config_energy_j", config_energy_j}, {"config_epochs", to},
          {"reached_target", false}, {"stopped_early", false}, {"trial_energy_j", 10.0},
          {"search_energy_j", 100.0 * (id + 1)}, {"search_duration_s", search_s}, {"config_eta_j", nullptr},
          {"energy_provenance", "estimated"}};
}

// A study as `powertrain tune` stores a real-training one: its study file and four trials,
// the first configuration trained twice (epochs 0 -> 1, then 1 -> 3).
int64_t store_study(Store& store, const std::string& name) {
  nlohmann::json spec = {
      {"backend", "train"},
      {"config_path", "study.json"},
      {"study_text",
       "{ // a study file may have comments\n"
       "  \"space\": {\"optimizer.lr\": {\"type\": \"log_float\", \"low\": 1e-4, \"high\": 1e-1},\n"
       "            \"training.batch_size\": {\"type\": \"int\", \"low\": 16, \"high\": 256},\n"
       "            \"optimizer.type\": {\"type\": \"categorical\", \"values\": [\"sgd\", \"adam\"]}}}"}};
  int64_t id = store.create_study(name, spec.dump());
  nlohmann::json a = {{"optimizer.lr", 0.01}, {"training.batch_size", 32.0}, {"optimizer.type", "sgd"}};
  nlohmann::json b = {{"optimizer.lr", 0.001}, {"training.batch_size", 64.0}, {"optimizer.type", "adam"}};
  nlohmann::json c = {{"optimizer.lr", 0.05}, {"training.batch_size", 128.0}, {"optimizer.type", "adam"}};
  std::vector<nlohmann::json> trials = {trial(0, a, 0, 1, -0.5, 0.5, 100.0, 10.0), trial(1, b, 0, 1, -0.6, 0.6, 95.0, 20.0),
                                        trial(2, a, 1, 3, -0.7, 0.7, 300.0, 40.0),
                                        trial(3, c, 0, 1, nullptr, nullptr, 90.0, 50.0)};  // diverged: no metric
  for (size_t i = 0; i < trials.size(); ++i) {
    store.record_study_row(id, static_cast<int64_t>(i), trials[i].dump(), 10.0,
                       trials[i]["metric"].is_null() ? NAN : trials[i]["metric"].get<double>());
  }
  return id;
}

bool exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

TEST(Optuna, MetricAndEnergyStudyOpensInOptuna) {
  std::string py = python_with_optuna();
  if (py.empty()) GTEST_SKIP() << "no Python with optuna (apt-get install python3-optuna)";
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  store_study(store, "lr-search");
  OptunaExportResult r = optuna_export_study(store, "lr-search", dir.file("optuna.db"), OptunaExportOptions());
  EXPECT_EQ(r.trials, 4);
  EXPECT_EQ(r.failed_trials, 1);
  EXPECT_EQ(r.directions, (std::vector<std::string>{"MAXIMIZE", "MINIMIZE"}));
  EXPECT_EQ(r.metric_direction_basis, "from the study's definition");
  EXPECT_FALSE(exists(dir.file("optuna.db") + ".tmp-" + std::to_string(::getpid())));

  nlohmann::json j = load_with_optuna(py, dir.file("optuna.db"), "lr-search", "ask");
  ASSERT_FALSE(j.is_null());
  EXPECT_EQ(j["directions"], nlohmann::json({"MAXIMIZE", "MINIMIZE"}));
  ASSERT_EQ(j["trials"].size(), 4u);
  const auto& t = j["trials"];
  EXPECT_EQ(t[0]["state"], "COMPLETE");
  EXPECT_EQ(t[0]["params"], nlohmann::json({{"optimizer.lr", 0.01}, {"training.batch_size", 32}, {"optimizer.type", "sgd"}}));
  EXPECT_EQ(t[0]["dist"], nlohmann::json({{"optimizer.lr", "FloatDistribution(log)"}, {"training.batch_size", "IntDistribution"},
                                          {"optimizer.type", "CategoricalDistribution"}}));
  EXPECT_EQ(t[1]["params"]["optimizer.type"], "adam");
  EXPECT_NEAR(t[1]["values"][0].get<double>(), 0.6, 1e-12);
  EXPECT_NEAR(t[1]["values"][1].get<double>(), 95.0, 1e-12);
  // The second trial of configuration a carries a's metric after epoch 1 and after epoch 3.
  EXPECT_EQ(t[2]["intermediate"], nlohmann::json({{"1", 0.5}, {"3", 0.7}}));
  EXPECT_EQ(t[2]["user_attrs"]["from_epoch"], 1);
  EXPECT_EQ(t[2]["user_attrs"]["powertrain_trial"], 2);
  EXPECT_TRUE(t[2]["has_times"].get<bool>());
  EXPECT_EQ(t[3]["state"], "FAIL");  // no metric: Optuna has no values for it
  EXPECT_TRUE(t[3]["values"].is_null());
  EXPECT_EQ(t[3]["intermediate"], nlohmann::json({{"1", "nan"}}));
  // Pareto front of (max metric, min energy): trial 0 (0.5, 100 J) is dominated by 1 (0.6, 95 J).
  EXPECT_EQ(j["best"], nlohmann::json({1, 2}));
  EXPECT_EQ(j["user_attrs"]["powertrain_study"], "lr-search");
  EXPECT_EQ(j["user_attrs"]["objective_names"], nlohmann::json({"metric", "energy_j"}));
  EXPECT_EQ(j["after_ask"], 5);  // Optuna can continue the study in the same space
}

TEST(Optuna, LossObjectiveIsSingleAndInfiniteLossFails) {
  std::string py = python_with_optuna();
  if (py.empty()) GTEST_SKIP() << "no Python with optuna (apt-get install python3-optuna)";
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  store_study(store, "s");
  OptunaExportResult r =
      optuna_export_study(store, "s", dir.file("o.db"), OptunaExportOptions().objective(OptunaObjective::loss));
  EXPECT_EQ(r.failed_trials, 1);
  nlohmann::json j = load_with_optuna(py, dir.file("o.db"), "s");
  ASSERT_FALSE(j.is_null());
  EXPECT_EQ(j["directions"], nlohmann::json({"MINIMIZE"}));
  EXPECT_NEAR(j["best_value"].get<double>(), -0.7, 1e-12);
  EXPECT_EQ(j["best_params"]["optimizer.lr"], 0.01);
  // The stored null loss is +inf: a failed trial, not a value Optuna 3.1 would rank first.
  EXPECT_EQ(j["trials"][3]["state"], "FAIL");
  EXPECT_TRUE(j["trials"][3]["values"].is_null());
  EXPECT_EQ(j["trials"][3]["intermediate"], nlohmann::json({{"1", "inf"}}));
}

TEST(Optuna, UnknownStudyAndExistingFileAreRefusedWithoutWriting) {
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  store_study(store, "s");
  try {
    optuna_export_study(store, "nope", dir.file("o.db"), OptunaExportOptions());
    FAIL() << "no error";
  } catch (const InteropError& e) {
    EXPECT_NE(std::string(e.what()).find("no study named 'nope'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("newest studies: s"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(exists(dir.file("o.db")));
  write_file(dir.file("o.db"), "precious");
  EXPECT_THROW(optuna_export_study(store, "s", dir.file("o.db"), OptunaExportOptions()), InteropError);
  EXPECT_EQ(read_file(dir.file("o.db")), "precious");
  optuna_export_study(store, "s", dir.file("o.db"), OptunaExportOptions().replace(true));
  EXPECT_NE(read_file(dir.file("o.db")), "precious");
  EXPECT_THROW(optuna_export_study(store, "s", dir.file("missing/o.db"), OptunaExportOptions()), InteropError);
  EXPECT_FALSE(exists(dir.file("missing")));
}

TEST(Optuna, ObservedValuesBecomeCategoricalWithoutADeclaredSpace) {
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  int64_t id = store.create_study("zeus", nlohmann::json({{"backend", "zeus-trace"}}).dump());
  nlohmann::json t0 = trial(0, {{"batch_size", 128.0}, {"power_limit_w", 250.0}}, 0, 1, 5.0, 0.3, 10, 1);
  nlohmann::json t1 = trial(1, {{"batch_size", 32.0}, {"power_limit_w", 250.0}}, 0, 1, 6.0, 0.2, 10, 2);
  t0["energy_provenance"] = t1["energy_provenance"] = "simulated";  // trials on traces say so
  store.record_study_row(id, 0, t0.dump(), 1, 0.3);
  store.record_study_row(id, 1, t1.dump(), 1, 0.2);
  optuna_export_study(store, "zeus", dir.file("o.db"), OptunaExportOptions());
  auto rows = query(dir.file("o.db"),
                    "SELECT t.number, p.param_name, p.param_value, p.distribution_json FROM trial_params p "
                    "JOIN trials t ON t.trial_id = p.trial_id ORDER BY t.number, p.param_name");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0][1], "batch_size");
  EXPECT_EQ(rows[0][2], "1.0");  // index of 128 in the sorted choices [32, 128]
  EXPECT_EQ(nlohmann::json::parse(rows[0][3]),
            nlohmann::json::parse(R"({"name": "CategoricalDistribution", "attributes": {"choices": [32.0, 128.0]}})"));
  EXPECT_EQ(rows[2][2], "0.0");
  EXPECT_EQ(query(dir.file("o.db"), "SELECT version_num FROM alembic_version"), (std::vector<std::vector<std::string>>{{"v3.0.0.d"}}));
  EXPECT_EQ(query(dir.file("o.db"), "SELECT schema_version, library_version FROM version_info"),
            (std::vector<std::vector<std::string>>{{"12", "3.1.0"}}));
  // Energy to target as the loss, so the direction comes from "reached the target": unknown here.
  auto attrs = query(dir.file("o.db"), "SELECT value_json FROM study_user_attributes WHERE key = 'energy_provenance'");
  ASSERT_EQ(attrs.size(), 1u);
  EXPECT_NE(attrs[0][0].find("simulated"), std::string::npos);
}

TEST(Optuna, BetaStoppedTrialIsPrunedWithoutValues) {
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  int64_t id = store.create_study("beta", nlohmann::json({{"backend", "zeus-trace"}}).dump());
  nlohmann::json stopped = trial(1, {{"batch_size", 32.0}}, 0, 2, nullptr, 0.2, 50, 2);
  stopped["stopped_early"] = true;
  store.record_study_row(id, 0, trial(0, {{"batch_size", 128.0}}, 0, 1, 5.0, 0.3, 10, 1).dump(), 1, 0.3);
  store.record_study_row(id, 1, stopped.dump(), 1, 0.2);
  OptunaExportResult r =
      optuna_export_study(store, "beta", dir.file("o.db"), OptunaExportOptions().objective(OptunaObjective::loss));
  EXPECT_EQ(r.pruned_trials, 1);
  EXPECT_EQ(r.failed_trials, 0);
  EXPECT_EQ(query(dir.file("o.db"), "SELECT number, state FROM trials ORDER BY number"),
            (std::vector<std::vector<std::string>>{{"0", "COMPLETE"}, {"1", "PRUNED"}}));
  EXPECT_EQ(query(dir.file("o.db"), "SELECT t.number, v.value, v.value_type FROM trial_values v JOIN trials t USING (trial_id)"),
            (std::vector<std::vector<std::string>>{{"0", "5.0", "FINITE"}}));
}

}  // namespace
}  // namespace powertrain::test
