// `powertrain export` end to end: the real binary on stores written by `measure` and `tune`.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "interop/interop_fixture.h"

namespace powertrain::test {
namespace {

const std::string kBin = POWERTRAIN_BIN;
const std::string kTraces = std::string(POWERTRAIN_SOURCE_DIR) + "/../shared/data/zeus-nsdi23";

bool exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

// `powertrain measure` on the fake GPU and RAPL tree: gpu:0 4 J, cpu_package:0 2.5 J, dram:0 0.5 J.
std::string measured_store(FakeMachine& hw) {
  hw.gpu_counter(1000, 150000);
  hw.rapl(1000000, 200000);
  std::string work = "sleep 0.2; echo 'NVIDIA_Test_GPU GPU-aaaa1111 counter 5000 150000' > " + hw.nvml_state() +
                     "; echo 3500000 > " + hw.powercap() + "/intel-rapl:0/energy_uj" + "; echo 700000 > " + hw.powercap() +
                     "/intel-rapl:0:1/energy_uj; sleep 0.2";
  std::string db = hw.dir.file("p.db");
  auto r = run_program({kBin, "measure", "--db", db, "--grid", "DE", "-q", "--", "sh", "-c", work}, hw.env());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return db;
}

TEST(ExportCli, MeasuredRunAsCodeCarbonCsv) {
  FakeMachine hw;
  std::string db = measured_store(hw);
  auto r = run_program({kBin, "export", "run", "1", "--db", db, "--out", hw.dir.file("emissions.csv")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rows = parse_csv(read_file(hw.dir.file("emissions.csv")));
  ASSERT_EQ(rows.size(), 2u);
  ASSERT_EQ(rows[0].size(), 32u);
  std::map<std::string, std::string> c;
  for (size_t i = 0; i < rows[0].size(); ++i) c[rows[0][i]] = rows[1].at(i);
  // The same numbers the store holds, in kWh.
  auto comps = query(db, "SELECT component, energy_j FROM window_components ORDER BY component");
  std::map<std::string, double> stored;
  for (const auto& row : comps) stored[row[0]] = std::stod(row[1]);
  EXPECT_DOUBLE_EQ(stored["gpu:0"], 4.0);
  EXPECT_DOUBLE_EQ(std::stod(c["gpu_energy"]), stored["gpu:0"] / 3.6e6);
  EXPECT_DOUBLE_EQ(std::stod(c["cpu_energy"]), stored["cpu_package:0"] / 3.6e6);
  EXPECT_DOUBLE_EQ(std::stod(c["ram_energy"]), stored["dram:0"] / 3.6e6);
  EXPECT_DOUBLE_EQ(std::stod(c["energy_consumed"]), 7.0 / 3.6e6);
  EXPECT_EQ(c["gpu_count"], "1");
  EXPECT_EQ(c["country_iso_code"], "DEU");
  double co2e_g = std::stod(query(db, "SELECT co2e_g FROM runs")[0][0]);
  EXPECT_DOUBLE_EQ(std::stod(c["emissions"]), co2e_g / 1000.0);
  EXPECT_GT(std::stod(c["gpu_power"]), 0.0);
  EXPECT_EQ(c["longitude"], "");
}

TEST(ExportCli, RunAsJsonToStdout) {
  FakeMachine hw;
  std::string db = measured_store(hw);
  auto r = run_program({kBin, "export", "run", "1", "--db", db, "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["schema"], "powertrain.run/1");
  EXPECT_EQ(j["run"]["status"], "completed");
  ASSERT_EQ(j["windows"].size(), 1u);
  EXPECT_EQ(j["windows"][0]["components"].size(), 3u);
  EXPECT_EQ(j["windows"][0]["provenance"], "measured_counter");
}

TEST(ExportCli, EstimatedRunWarnsThatTheCsvHasNoProvenance) {
  TempDir dir;
  std::string db = dir.file("p.db");
  auto m = run_program({kBin, "measure", "--db", db, "-q", "--", "sleep", "0.2"}, no_hardware_env(dir));
  ASSERT_EQ(m.exit_code, 0) << m.err;
  auto r = run_program({kBin, "export", "run", "1", "--db", db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("cpu_energy and cpu_power are estimated"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no provenance column"), std::string::npos) << r.err;
  auto rows = parse_csv(r.out);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1][11], "");  // gpu_energy: no GPU, empty rather than 0
}

TEST(ExportCli, UnknownRunNamesTheFix) {
  FakeMachine hw;
  std::string db = measured_store(hw);
  auto r = run_program({kBin, "export", "run", "42", "--db", db, "--out", hw.dir.file("e.csv")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no run with id 42"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("check the id and --db"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("newest runs: 1"), std::string::npos) << r.err;
  EXPECT_FALSE(exists(hw.dir.file("e.csv")));
}

TEST(ExportCli, MissingStoreIsNotCreated) {
  TempDir dir;
  auto r = run_program({kBin, "export", "run", "1", "--db", dir.file("none.db")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no run store at"), std::string::npos) << r.err;
  EXPECT_FALSE(exists(dir.file("none.db")));
}

TEST(ExportCli, MissingOutputDirectoryLeavesNothing) {
  FakeMachine hw;
  std::string db = measured_store(hw);
  auto r = run_program({kBin, "export", "run", "1", "--db", db, "--out", hw.dir.file("no/such/dir/e.csv")});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
  EXPECT_FALSE(exists(hw.dir.file("no")));
  auto s = run_program({kBin, "export", "study", "x", "--db", db, "--optuna", hw.dir.file("no/o.db")});
  EXPECT_NE(s.exit_code, 0);
  EXPECT_FALSE(exists(hw.dir.file("no")));
}

TEST(ExportCli, UnknownStudyExitsTwo) {
  FakeMachine hw;
  std::string db = measured_store(hw);
  auto r = run_program({kBin, "export", "study", "nope", "--db", db, "--optuna", hw.dir.file("o.db")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no study named 'nope'"), std::string::npos) << r.err;
  EXPECT_FALSE(exists(hw.dir.file("o.db")));
}

// Pareto front of (maximize metric, minimize energy) over the trials with both known.
std::vector<int> pareto_front(const std::vector<nlohmann::json>& trials) {
  std::vector<int> front;
  for (size_t i = 0; i < trials.size(); ++i) {
    const auto& a = trials[i];
    if (a["metric"].is_null() || a["config_energy_j"].is_null()) continue;
    double am = a["metric"].get<double>(), ae = a["config_energy_j"].get<double>();
    bool dominated = false;
    for (const auto& b : trials) {
      if (b["metric"].is_null() || b["config_energy_j"].is_null()) continue;
      double bm = b["metric"].get<double>(), be = b["config_energy_j"].get<double>();
      dominated |= bm >= am && be <= ae && (bm > am || be < ae);
    }
    if (!dominated) front.push_back(static_cast<int>(i));
  }
  return front;
}

TEST(ExportCli, TunedStudyRoundTripsThroughOptuna) {
  if (!exists(kTraces + "/summary_train.csv")) GTEST_SKIP() << "no Zeus traces at " << kTraces;
  std::string py = python_with_optuna();
  if (py.empty()) GTEST_SKIP() << "no Python with optuna (apt-get install python3-optuna)";
  TempDir dir;
  std::string db = dir.file("p.db");
  auto t = run_program({kBin, "tune", "--simulate", "zeus:" + kTraces, "--gpu", "v100", "--workload", "cifar100",
                        "--strategy", "sh", "--db", db, "--study", "sh-cifar", "-q"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  std::vector<nlohmann::json> stored;
  {
    Store store = Store::open(db);
    for (const auto& s : store.study_rows(store.study("sh-cifar")->id)) stored.push_back(nlohmann::json::parse(s));
  }
  ASSERT_GT(stored.size(), 5u);

  const char* script = R"py(
import json, sys, optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
s = optuna.load_study(study_name=sys.argv[2], storage="sqlite:///" + sys.argv[1])
out = {"n": len(s.trials), "directions": [d.name for d in s.directions],
       "params": [t.params for t in s.trials], "values": [t.values for t in s.trials]}
if len(s.directions) == 1:
    out["best_value"] = s.best_value; out["best_params"] = s.best_params
else:
    out["best"] = sorted(t.number for t in s.best_trials)
print(json.dumps(out))
)py";

  // Two objectives: the metric (maximised: cifar100 accuracy) and the config's energy.
  auto e = run_program({kBin, "export", "study", "sh-cifar", "--db", db, "--optuna", dir.file("optuna.db")});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_NE(e.err.find("optuna.load_study"), std::string::npos) << e.err;
  auto r = run_program({py, "-c", script, dir.file("optuna.db"), "sh-cifar"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["n"].get<size_t>(), stored.size());
  EXPECT_EQ(j["directions"], nlohmann::json({"MAXIMIZE", "MINIMIZE"}));
  for (size_t i = 0; i < stored.size(); ++i) {
    EXPECT_EQ(j["params"][i], stored[i]["config"]) << i;
    ASSERT_TRUE(j["values"][i].is_array()) << i;
    EXPECT_NEAR(j["values"][i][0].get<double>(), stored[i]["metric"].get<double>(), 1e-9) << i;
    EXPECT_NEAR(j["values"][i][1].get<double>(), stored[i]["config_energy_j"].get<double>(), 1e-9) << i;
  }
  EXPECT_EQ(j["best"], nlohmann::json(pareto_front(stored)));

  // One objective: the loss the strategy minimised; Optuna's best is the store's best.
  auto l = run_program({kBin, "export", "study", "sh-cifar", "--db", db, "--optuna", dir.file("loss.db"), "--objective", "loss"});
  ASSERT_EQ(l.exit_code, 0) << l.err;
  auto rl = run_program({py, "-c", script, dir.file("loss.db"), "sh-cifar"});
  ASSERT_EQ(rl.exit_code, 0) << rl.err;
  auto jl = nlohmann::json::parse(rl.out);
  double best = INFINITY;
  for (const auto& s : stored) if (s["loss"].is_number()) best = std::min(best, s["loss"].get<double>());
  ASSERT_TRUE(std::isfinite(best));
  EXPECT_NEAR(jl["best_value"].get<double>(), best, 1e-9);
  bool params_match = false;
  for (const auto& s : stored) params_match |= s["loss"].is_number() && s["loss"].get<double>() == best && s["config"] == jl["best_params"];
  EXPECT_TRUE(params_match) << jl["best_params"].dump();

  // The file exists now: a second export is refused, --force replaces it.
  auto again = run_program({kBin, "export", "study", "sh-cifar", "--db", db, "--optuna", dir.file("optuna.db")});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("--force"), std::string::npos) << again.err;
  auto forced = run_program({kBin, "export", "study", "sh-cifar", "--db", db, "--optuna", dir.file("optuna.db"), "--force"});
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
}

}  // namespace
}  // namespace powertrain::test
