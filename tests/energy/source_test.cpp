// source.cpp: provenance ordering, names, environment overrides and discovery fallbacks.
#include "powertrain/energy/source.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "support/test_support.h"

namespace powertrain {
namespace {

TEST(Provenance, WeakestWins) {
  EXPECT_EQ(provenance_weakest(Provenance::measured_counter, Provenance::integrated_power), Provenance::integrated_power);
  EXPECT_EQ(provenance_weakest(Provenance::estimated, Provenance::integrated_power), Provenance::estimated);
  EXPECT_EQ(provenance_weakest(Provenance::estimated, Provenance::missing), Provenance::missing);
  EXPECT_STREQ(provenance_name(Provenance::measured_counter), "measured_counter");
  EXPECT_STREQ(component_kind_name(ComponentKind::dram), "dram");
}

TEST(Discover, EnvironmentOverridesPaths) {
  setenv("POWERTRAIN_POWERCAP_ROOT", "/tmp/nowhere-powercap", 1);
  setenv("POWERTRAIN_CPU_TDP_W", "65", 1);
  auto o = discover_options_from_env(DiscoverOptions{});
  unsetenv("POWERTRAIN_POWERCAP_ROOT");
  unsetenv("POWERTRAIN_CPU_TDP_W");
  EXPECT_EQ(o.powercap_root, "/tmp/nowhere-powercap");
  EXPECT_DOUBLE_EQ(o.cpu_tdp_w, 65.0);
}

// On this machine class (no GPU, no RAPL) discovery must fall back to the labelled estimate.
TEST(Discover, FallsBackToTheCpuEstimateWithoutCounters) {
  test::TempDir dir;
  DiscoverOptions o;
  o.nvml_library = dir.file("no-libnvidia-ml.so.1");
  o.powercap_root = dir.file("no-powercap");
  std::vector<std::string> warnings;
  auto sources = discover_sources(o, &warnings);
  ASSERT_EQ(sources.size(), 1u);
  EXPECT_EQ(sources[0]->name(), "estimate");
  auto r = sources[0]->read();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].kind, ComponentKind::cpu_estimate);
  EXPECT_GT(r[0].power_w, 0.0);
}

TEST(Discover, ReplayFileIsTheOnlySource) {
  test::TempDir dir;
  test::write_file(dir.file("t.csv"), "t_s,component,power_w\n0,gpu:0,100\n");
  DiscoverOptions o;
  o.replay_file = dir.file("t.csv");
  auto sources = discover_sources(o);
  ASSERT_EQ(sources.size(), 1u);
  EXPECT_EQ(sources[0]->name(), "replay");
}

}  // namespace
}  // namespace powertrain
