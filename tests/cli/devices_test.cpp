// `powertrain devices` and `powertrain grids` end to end on the real binary.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/cli_fixture.h"

namespace powertrain::test {
namespace {

const std::string kBin = POWERTRAIN_BIN;

nlohmann::json find(const nlohmann::json& sensors, const std::string& source, const std::string& component) {
  for (const auto& s : sensors) if (s["source"] == source && s["component"] == component) return s;
  return nullptr;
}

TEST(Devices, ListsWorkingAndSkippedSensorsWithReasons) {
  FakeMachine hw;
  write_file(hw.nvml_state(), "NVIDIA_Good_GPU GPU-aaaa counter 1000 100000\nNVIDIA_Bad_GPU GPU-bbbb error 0 0\n");
  hw.rapl(1000, 2000);
  auto r = run_program({kBin, "devices", "--json"}, hw.env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  auto sensors = j["sensors"];
  auto gpu0 = find(sensors, "nvml", "gpu:0");
  ASSERT_FALSE(gpu0.is_null()) << j.dump(2);
  EXPECT_TRUE(gpu0["working"].get<bool>());
  EXPECT_TRUE(gpu0["used_by_measure"].get<bool>());
  auto gpu1 = find(sensors, "nvml", "gpu:1");
  ASSERT_FALSE(gpu1.is_null());
  EXPECT_FALSE(gpu1["working"].get<bool>());
  EXPECT_FALSE(gpu1["detail"].get<std::string>().empty());
  EXPECT_TRUE(find(sensors, "rapl", "cpu_package:0")["used_by_measure"].get<bool>());
  EXPECT_TRUE(find(sensors, "rapl", "dram:0")["working"].get<bool>());
  // The estimate is found but not used: RAPL counters are better.
  auto est = find(sensors, "estimate", "cpu_estimate");
  ASSERT_FALSE(est.is_null());
  EXPECT_FALSE(est["used_by_measure"].get<bool>());
  bool core_skipped = false;
  for (const auto& s : sensors) {
    if (s["source"] == "rapl" && !s["working"].get<bool>() &&
        s["detail"].get<std::string>().find("overlap") != std::string::npos) core_skipped = true;
  }
  EXPECT_TRUE(core_skipped) << sensors.dump(2);
}

TEST(Devices, PlainMachineFallsBackToTheEstimateAndSaysWhy) {
  TempDir dir;
  auto r = run_program({kBin, "devices"}, no_hardware_env(dir));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("nvml"), std::string::npos);
  EXPECT_NE(r.out.find("not found"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("no RAPL powercap tree"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cpu_estimate    used"), std::string::npos) << r.out;
}

TEST(Grids, ListsTheTableWithSources) {
  auto r = run_program({kBin, "grids", "--json"});
  ASSERT_EQ(r.exit_code, 0);
  auto j = nlohmann::json::parse(r.out);
  bool de = false;
  for (const auto& g : j) if (g["code"] == "DE") { de = true; EXPECT_FALSE(g["source"].get<std::string>().empty()); }
  EXPECT_TRUE(de);
}

TEST(Cli, NoSubcommandIsAnErrorWithUsage) {
  auto r = run_program({kBin});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--help"), std::string::npos) << r.err;
  auto v = run_program({kBin, "--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.out.find("powertrain"), std::string::npos);
}

}  // namespace
}  // namespace powertrain::test
