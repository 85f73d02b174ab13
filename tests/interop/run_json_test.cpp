// "powertrain.run/1": a stored run with its windows, components, provenance and epochs.
#include "powertrain/interop/run_json.h"

#include <gtest/gtest.h>

#include "interop/interop_fixture.h"

namespace powertrain::test {
namespace {

TEST(RunJson, HoldsRunWindowsComponentsAndEpochs) {
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  int64_t id = store_counter_run(store);
  auto run = run_export_load(store, id);
  ASSERT_TRUE(run);
  nlohmann::json j = nlohmann::json::parse(run_json(*run).dump());  // survives text
  EXPECT_EQ(j["schema"], "powertrain.run/1");
  EXPECT_EQ(j["run"]["id"], id);
  EXPECT_EQ(j["run"]["status"], "completed");
  EXPECT_EQ(j["run"]["exit_code"], 0);
  EXPECT_DOUBLE_EQ(j["run"]["energy_j"].get<double>(), 6192.0);
  EXPECT_EQ(j["run"]["energy_provenance"], "measured_counter");
  EXPECT_EQ(j["run"]["grid"], "FR");
  EXPECT_TRUE(j["run"]["meta"].is_object());
  EXPECT_EQ(j["host"]["cpu_cores"], 32);
  EXPECT_EQ(j["devices"].size(), 5u);
  ASSERT_EQ(j["windows"].size(), 2u);
  // Windows in id order; the epoch window names its parent by row id.
  const auto& run_w = j["windows"][0];
  const auto& epoch_w = j["windows"][1];
  EXPECT_EQ(run_w["name"], "run");
  EXPECT_TRUE(run_w["parent_id"].is_null());
  EXPECT_EQ(epoch_w["parent_id"], run_w["id"]);
  EXPECT_DOUBLE_EQ(run_w["energy_j"].get<double>(), 6192.0);
  ASSERT_EQ(run_w["components"].size(), 4u);
  EXPECT_EQ(run_w["components"][0]["component"], "gpu:0");
  EXPECT_EQ(run_w["components"][0]["kind"], "gpu");
  EXPECT_EQ(run_w["components"][0]["provenance"], "measured_counter");
  EXPECT_TRUE(run_w["components"][0]["idle_power_w"].is_null());  // unknown is null, never 0
  ASSERT_EQ(j["epochs"].size(), 1u);
  EXPECT_EQ(j["epochs"][0]["epoch"], 1);
  EXPECT_DOUBLE_EQ(j["epochs"][0]["train_loss"].get<double>(), 1.25);
  EXPECT_TRUE(j["epochs"][0]["val_loss"].is_null());
}

TEST(RunJson, EstimateKeepsItsProvenanceAndNote) {
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  auto run = run_export_load(store, store_estimated_run(store));
  ASSERT_TRUE(run);
  nlohmann::json j = run_json(*run);
  EXPECT_EQ(j["run"]["energy_provenance"], "estimated");
  EXPECT_EQ(j["windows"][0]["provenance"], "estimated");
  EXPECT_EQ(j["windows"][0]["components"][0]["provenance"], "estimated");
  EXPECT_EQ(j["windows"][0]["components"][0]["note"], "utilisation x TDP 65 W");
  EXPECT_TRUE(j["windows"][0]["uncertainty_j"].is_null());
  EXPECT_TRUE(j["epochs"].empty());
}

TEST(RunJson, UnknownRunIsNullopt) {
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  EXPECT_FALSE(run_export_load(store, 42));
}

TEST(RunJson, ComponentTotalsSumTopLevelWindowsOnly) {
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  auto run = run_export_load(store, store_counter_run(store));
  auto totals = run_component_totals(*run);
  ASSERT_EQ(totals.size(), 4u);
  EXPECT_EQ(totals[0].component, "gpu:0");
  EXPECT_DOUBLE_EQ(totals[0].energy_j, 3600.0);  // not 3600 + the nested epoch's 2000
  EXPECT_DOUBLE_EQ(totals[0].duration_s, 10.0);
  EXPECT_EQ(totals[0].provenance, Provenance::measured_counter);
}

}  // namespace
}  // namespace powertrain::test
