// Tests of CpuEstimateSource on fake /proc trees (stat, cpuinfo) and on this machine's /proc,
// and of the built-in CPU TDP table.
#include "powertrain/energy/estimate.h"

#include <cmath>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "energy/builtin_data.h"
#include "support/test_support.h"

namespace powertrain {
namespace {

using test::TempDir;
using test::write_file;

// A /proc/stat with four CPUs whose aggregate line is `cpu_line`.
void write_stat(const TempDir& t, const std::string& cpu_line) {
  write_file(t.file("proc/stat"), cpu_line + "\n"
             "cpu0 1 0 1 1 0 0 0 0 0 0\n"
             "cpu1 1 0 1 1 0 0 0 0 0 0\n"
             "cpu2 1 0 1 1 0 0 0 0 0 0\n"
             "cpu3 1 0 1 1 0 0 0 0 0 0\n"
             "intr 12345 1 2 3\n"
             "ctxt 999\n");
}

void write_cpuinfo(const TempDir& t, const std::string& model) {
  std::string text;
  for (int i = 0; i < 4; ++i) {
    text += "processor\t: " + std::to_string(i) + "\nvendor_id\t: Fake\nmodel name\t: " + model + "\n\n";
  }
  write_file(t.file("proc/cpuinfo"), text);
}

CpuEstimateOptions options_for(const TempDir& t) {
  CpuEstimateOptions o;
  o.proc_root = t.file("proc");
  return o;
}

TEST(CpuEstimate, PowerFollowsUtilisationBetweenReads) {
  TempDir t;
  // user nice system idle iowait irq softirq steal guest guest_nice: total 10000 (guest is
  // already inside user), idle+iowait 8500 -> 15 % busy since boot.
  write_stat(t, "cpu  1000 0 500 8000 500 0 0 0 300 0");
  write_cpuinfo(t, "Fake CPU 9000");
  CpuEstimateOptions o = options_for(t);
  o.tdp_w = 100.0;
  CpuEstimateSource est(o);
  EXPECT_EQ(est.name(), "estimate");

  auto r1 = est.read();
  ASSERT_EQ(r1.size(), 1u);
  EXPECT_EQ(r1[0].component, "cpu_estimate");
  EXPECT_EQ(r1[0].kind, ComponentKind::cpu_estimate);
  EXPECT_TRUE(r1[0].ok);
  EXPECT_TRUE(std::isnan(r1[0].energy_j));
  EXPECT_DOUBLE_EQ(r1[0].power_w, 100.0 * (0.3 + 0.7 * 0.15));  // 40.5 W

  // Next: total 11600 (+1600), idle+iowait 9200 (+700) -> busy +900 -> 56.25 %.
  write_stat(t, "cpu  1600 0 700 8600 600 50 50 0 300 0");
  auto r2 = est.read();
  ASSERT_EQ(r2.size(), 1u);
  EXPECT_DOUBLE_EQ(r2[0].power_w, 100.0 * (0.3 + 0.7 * 0.5625));  // 69.375 W

  // Less than one tick per CPU later (+2 of 4): the last value is repeated...
  write_stat(t, "cpu  1602 0 700 8600 600 50 50 0 300 0");
  EXPECT_DOUBLE_EQ(est.read()[0].power_w, 100.0 * (0.3 + 0.7 * 0.5625));
  // ...and the next interval counts from the last one measured: +400 total, +100 busy -> 25 %.
  write_stat(t, "cpu  1700 0 700 8900 600 50 50 0 300 0");
  EXPECT_DOUBLE_EQ(est.read()[0].power_w, 100.0 * (0.3 + 0.7 * 0.25));  // 47.5 W

  // An idle interval gives the idle fraction of the TDP.
  write_stat(t, "cpu  1700 0 700 9900 600 50 50 0 300 0");
  EXPECT_DOUBLE_EQ(est.read()[0].power_w, 30.0);
}

TEST(CpuEstimate, IdleFractionIsAnOption) {
  TempDir t;
  write_stat(t, "cpu  0 0 0 1000 0 0 0 0 0 0");
  write_cpuinfo(t, "Fake CPU 9000");
  CpuEstimateOptions o = options_for(t);
  o.tdp_w = 200.0;
  o.idle_fraction = 0.5;
  CpuEstimateSource est(o);
  EXPECT_DOUBLE_EQ(est.read()[0].power_w, 100.0);  // idle since boot
  write_stat(t, "cpu  1000 0 0 1000 0 0 0 0 0 0");  // fully busy interval
  EXPECT_DOUBLE_EQ(est.read()[0].power_w, 200.0);
  EXPECT_NE(est.note("cpu_estimate").find("(0.5 + 0.5 x utilisation"), std::string::npos) << est.note("cpu_estimate");
}

TEST(CpuEstimate, GivenTdpWins) {
  TempDir t;
  write_stat(t, "cpu  100 0 0 900 0 0 0 0 0 0");
  write_cpuinfo(t, "AMD EPYC 7763 64-Core Processor");
  CpuEstimateOptions o = options_for(t);
  o.tdp_w = 123.0;
  CpuEstimateSource est(o);
  EXPECT_DOUBLE_EQ(est.tdp_w(), 123.0);
  EXPECT_EQ(est.tdp_origin(), "given");
  EXPECT_EQ(est.cpu_model(), "AMD EPYC 7763 64-Core Processor");
  const std::string note = est.note("cpu_estimate");
  EXPECT_EQ(note.find("estimate"), 0u) << note;
  EXPECT_NE(note.find("TDP 123 W (given)"), std::string::npos) << note;
}

TEST(CpuEstimate, TdpFromTheTable) {
  TempDir t;
  write_stat(t, "cpu  100 0 0 900 0 0 0 0 0 0");
  write_cpuinfo(t, "AMD EPYC 7763 64-Core Processor");
  CpuEstimateSource est(options_for(t));
  EXPECT_DOUBLE_EQ(est.tdp_w(), 280.0);
  EXPECT_EQ(est.tdp_origin(), "table: EPYC 7763");
  auto rs = est.read();
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_DOUBLE_EQ(rs[0].power_w, 280.0 * (0.3 + 0.7 * 0.1));
  const std::string note = est.note("cpu_estimate");
  EXPECT_NE(note.find("estimate"), std::string::npos);
  EXPECT_NE(note.find("TDP 280 W (table: EPYC 7763)"), std::string::npos) << note;
  auto ss = est.sensors();
  ASSERT_EQ(ss.size(), 1u);
  EXPECT_EQ(ss[0].component, "cpu_estimate");
  EXPECT_EQ(ss[0].source, "estimate");
  EXPECT_EQ(ss[0].description, "AMD EPYC 7763 64-Core Processor");
  EXPECT_TRUE(ss[0].working);
  EXPECT_EQ(ss[0].detail, note);
}

TEST(CpuEstimate, DefaultTdpPerCore) {
  TempDir t;
  write_stat(t, "cpu  100 0 0 900 0 0 0 0 0 0");
  write_cpuinfo(t, "Fake CPU 9000");
  CpuEstimateSource est(options_for(t));
  EXPECT_DOUBLE_EQ(est.tdp_w(), 40.0);
  EXPECT_EQ(est.tdp_origin(), "default: 4 cores x 10 W/core");
  EXPECT_EQ(est.note("cpu_estimate"),
            "estimate: power = TDP 40 W (default: 4 cores x 10 W/core) x (0.3 + 0.7 x utilisation from " +
                t.file("proc") + "/stat); no energy counter readable");

  CpuEstimateOptions o = options_for(t);
  o.default_w_per_core = 12.5;
  CpuEstimateSource est2(o);
  EXPECT_DOUBLE_EQ(est2.tdp_w(), 50.0);
  EXPECT_EQ(est2.tdp_origin(), "default: 4 cores x 12.5 W/core");
}

TEST(CpuEstimate, MissingCpuinfoFallsBackToTheDefault) {
  TempDir t;
  write_stat(t, "cpu  100 0 0 900 0 0 0 0 0 0");
  CpuEstimateSource est(options_for(t));
  EXPECT_EQ(est.cpu_model(), "");
  EXPECT_EQ(est.tdp_origin(), "default: 4 cores x 10 W/core");
  EXPECT_TRUE(est.available());
}

TEST(CpuEstimate, UnreadableStatIsNotWorking) {
  TempDir t;
  CpuEstimateOptions o;
  o.proc_root = t.file("nowhere");
  CpuEstimateSource est(o);
  EXPECT_FALSE(est.available());
  auto ss = est.sensors();
  ASSERT_EQ(ss.size(), 1u);
  EXPECT_FALSE(ss[0].working);
  EXPECT_NE(ss[0].detail.find(t.file("nowhere") + "/stat"), std::string::npos) << ss[0].detail;
  EXPECT_TRUE(est.read().empty());
}

TEST(CpuEstimate, StatVanishingAfterStartGivesAFailedReading) {
  TempDir t;
  write_stat(t, "cpu  100 0 0 900 0 0 0 0 0 0");
  CpuEstimateSource est(options_for(t));
  write_file(t.file("proc/stat"), "nonsense\n");
  auto rs = est.read();
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_FALSE(rs[0].ok);
}

TEST(CpuTdpLookup, LongestCaseInsensitiveMatch) {
  EXPECT_DOUBLE_EQ(cpu_tdp_lookup_w("13th Gen Intel(R) Core(TM) i9-13900K"), 125.0);
  EXPECT_DOUBLE_EQ(cpu_tdp_lookup_w("13th Gen Intel(R) Core(TM) i9-13900KF"), 125.0);
  EXPECT_DOUBLE_EQ(cpu_tdp_lookup_w("13th Gen Intel(R) Core(TM) i9-13900KS"), 150.0);
  EXPECT_DOUBLE_EQ(cpu_tdp_lookup_w("Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz"), 150.0);
  EXPECT_DOUBLE_EQ(cpu_tdp_lookup_w("Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz"), 205.0);
  EXPECT_DOUBLE_EQ(cpu_tdp_lookup_w("amd epyc 7763 64-core processor"), 280.0);
  EXPECT_DOUBLE_EQ(cpu_tdp_lookup_w("AMD Ryzen 9 7950X3D 16-Core Processor"), 120.0);
  EXPECT_DOUBLE_EQ(cpu_tdp_lookup_w("AMD Ryzen 9 7950X 16-Core Processor"), 170.0);
  EXPECT_TRUE(std::isnan(cpu_tdp_lookup_w("AMD EPYC")));
  EXPECT_TRUE(std::isnan(cpu_tdp_lookup_w("")));
}

// Every row of data/cpu_tdp.csv parses and is found by its own key (so no key is shadowed
// by a duplicate with another value).
TEST(CpuTdpLookup, EveryTableRowIsFoundByItsKey) {
  std::istringstream in(builtin::cpu_tdp_csv);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(line, "model_substring,tdp_w");
  int rows = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::string::size_type comma = line.rfind(',');
    ASSERT_NE(comma, std::string::npos) << line;
    const double tdp_w = std::stod(line.substr(comma + 1));
    EXPECT_GT(tdp_w, 0.0) << line;
    EXPECT_DOUBLE_EQ(cpu_tdp_lookup_w(line.substr(0, comma)), tdp_w) << line;
    ++rows;
  }
  EXPECT_GE(rows, 30);
}

TEST(CpuEstimate, ThisMachinesProc) {
  CpuEstimateSource est(CpuEstimateOptions{});
  ASSERT_TRUE(est.available()) << est.sensors().at(0).detail;
  EXPECT_GT(est.tdp_w(), 0.0);
  for (int i = 0; i < 2; ++i) {
    auto rs = est.read();
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_TRUE(rs[0].ok);
    EXPECT_EQ(rs[0].kind, ComponentKind::cpu_estimate);
    EXPECT_TRUE(std::isfinite(rs[0].power_w));
    EXPECT_GT(rs[0].power_w, 0.0);
    EXPECT_LE(rs[0].power_w, est.tdp_w());
    EXPECT_TRUE(std::isnan(rs[0].energy_j));  // no counter: a power to integrate, labelled estimated
  }
  EXPECT_EQ(est.note("cpu_estimate").find("estimate: "), 0u) << est.note("cpu_estimate");
  EXPECT_NE(est.note("cpu_estimate").find(est.tdp_origin()), std::string::npos);
}

}  // namespace
}  // namespace powertrain
