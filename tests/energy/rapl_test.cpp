// Tests of RaplSource against fake powercap trees in a temp dir (flat, like /sys/class/powercap).
#include "powertrain/energy/rapl.h"

#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace powertrain {
namespace {

using test::TempDir;
using test::write_file;

constexpr uint64_t kPackageRangeUj = 262143328850ULL;  // a typical Intel package range
constexpr uint64_t kDramRangeUj = 65712999613ULL;      // a typical Intel DRAM range

void make_zone(const TempDir& t, const std::string& dir, const std::string& name, uint64_t energy_uj,
               uint64_t range_uj = kPackageRangeUj) {
  write_file(t.file(dir + "/name"), name + "\n");
  write_file(t.file(dir + "/energy_uj"), std::to_string(energy_uj) + "\n");
  write_file(t.file(dir + "/max_energy_range_uj"), std::to_string(range_uj) + "\n");
}

void set_energy(const TempDir& t, const std::string& dir, uint64_t energy_uj) {
  write_file(t.file(dir + "/energy_uj"), std::to_string(energy_uj) + "\n");
}

const SensorInfo* find_sensor(const std::vector<SensorInfo>& ss, const std::string& component) {
  for (const auto& s : ss) if (s.component == component) return &s;
  return nullptr;
}

// A two-socket Intel server: packages with core/uncore/dram subzones, psys, and the MMIO
// interface that duplicates package 0.
void make_two_socket_tree(const TempDir& t) {
  make_zone(t, "intel-rapl:0", "package-0", 1000000);
  make_zone(t, "intel-rapl:0:0", "core", 500000);
  make_zone(t, "intel-rapl:0:1", "uncore", 100000);
  make_zone(t, "intel-rapl:0:2", "dram", 200000, kDramRangeUj);
  make_zone(t, "intel-rapl:1", "package-1", 3000000);
  make_zone(t, "intel-rapl:1:0", "dram", 400000, kDramRangeUj);
  make_zone(t, "intel-rapl:2", "psys", 9000000);
  make_zone(t, "intel-rapl-mmio:0", "package-0", 7000000);
  write_file(t.file("intel-rapl/enabled"), "1\n");  // the control type, not a zone
}

TEST(Rapl, ReadsPackagesAndDramOnly) {
  TempDir t;
  make_two_socket_tree(t);
  RaplSource rapl(t.path());
  EXPECT_EQ(rapl.name(), "rapl");
  EXPECT_TRUE(rapl.available());
  EXPECT_FALSE(rapl.permission_denied());
  EXPECT_EQ(rapl.permission_help(), "");

  auto rs = rapl.read();
  ASSERT_EQ(rs.size(), 4u);
  EXPECT_EQ(rs[0].component, "cpu_package:0");
  EXPECT_EQ(rs[1].component, "dram:0");
  EXPECT_EQ(rs[2].component, "cpu_package:1");
  EXPECT_EQ(rs[3].component, "dram:1");
  EXPECT_EQ(rs[0].kind, ComponentKind::cpu_package);
  EXPECT_EQ(rs[1].kind, ComponentKind::dram);
  EXPECT_EQ(rs[2].kind, ComponentKind::cpu_package);
  EXPECT_EQ(rs[3].kind, ComponentKind::dram);
  EXPECT_DOUBLE_EQ(rs[0].energy_j, 1.0);
  EXPECT_DOUBLE_EQ(rs[1].energy_j, 0.2);
  EXPECT_DOUBLE_EQ(rs[2].energy_j, 3.0);
  EXPECT_DOUBLE_EQ(rs[3].energy_j, 0.4);
  double sum0 = 0;
  for (const auto& r : rs) {
    EXPECT_TRUE(r.ok);
    EXPECT_TRUE(std::isnan(r.power_w));
    sum0 += r.energy_j;
  }

  // The core, uncore and psys counters move too, but only packages and dram count.
  set_energy(t, "intel-rapl:0", 11000000);      // +10 J
  set_energy(t, "intel-rapl:0:0", 9500000);     // core: ignored
  set_energy(t, "intel-rapl:0:2", 2200000);     // +2 J
  set_energy(t, "intel-rapl:1", 8000000);       // +5 J
  set_energy(t, "intel-rapl:1:0", 1400000);     // +1 J
  set_energy(t, "intel-rapl:2", 99000000);      // psys: ignored
  set_energy(t, "intel-rapl-mmio:0", 99000000); // mmio duplicate: ignored
  auto rs2 = rapl.read();
  ASSERT_EQ(rs2.size(), 4u);
  double sum1 = 0;
  for (const auto& r : rs2) sum1 += r.energy_j;
  EXPECT_NEAR(sum1 - sum0, 18.0, 1e-9);

  auto ss = rapl.sensors();
  ASSERT_EQ(ss.size(), 7u);  // 4 summed + core + uncore + psys; mmio and the control type not listed
  for (const char* c : {"cpu_package:0", "dram:0", "cpu_package:1", "dram:1"}) {
    const SensorInfo* s = find_sensor(ss, c);
    ASSERT_NE(s, nullptr) << c;
    EXPECT_TRUE(s->working) << c;
    EXPECT_EQ(s->source, "rapl");
  }
  const SensorInfo* core = find_sensor(ss, "core:0");
  ASSERT_NE(core, nullptr);
  EXPECT_FALSE(core->working);
  EXPECT_EQ(core->detail, "skipped: overlaps the package domain");
  const SensorInfo* uncore = find_sensor(ss, "uncore:0");
  ASSERT_NE(uncore, nullptr);
  EXPECT_FALSE(uncore->working);
  EXPECT_EQ(uncore->detail, "skipped: overlaps the package domain");
  const SensorInfo* psys = find_sensor(ss, "psys");
  ASSERT_NE(psys, nullptr);
  EXPECT_FALSE(psys->working);
  EXPECT_EQ(psys->detail, "skipped: contains the package");
  for (const auto& s : ss) EXPECT_EQ(s.description.find("mmio"), std::string::npos) << s.description;

  EXPECT_DOUBLE_EQ(rapl.counter_resolution_j("cpu_package:0"), 1e-6);
  EXPECT_DOUBLE_EQ(rapl.counter_resolution_j("dram:1"), 1e-6);
  EXPECT_EQ(rapl.counter_resolution_j("gpu:0"), 0.0);
}

TEST(Rapl, AmdTreeWithoutDram) {
  TempDir t;
  make_zone(t, "intel-rapl:0", "package-0", 5000000);
  make_zone(t, "intel-rapl:0:0", "core", 1000000);
  RaplSource rapl(t.path());
  auto rs = rapl.read();
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].component, "cpu_package:0");
  EXPECT_DOUBLE_EQ(rs[0].energy_j, 5.0);
  EXPECT_TRUE(rapl.available());
}

TEST(Rapl, HexadecimalZoneIdsAndMultiDiePackages) {
  TempDir t;
  make_zone(t, "intel-rapl:a", "package-10", 1000000);  // the kernel names zones "%x"
  make_zone(t, "intel-rapl:a:0", "dram", 2000000);
  make_zone(t, "intel-rapl:b", "package-0-die-1", 3000000);
  RaplSource rapl(t.path());
  auto rs = rapl.read();
  ASSERT_EQ(rs.size(), 3u);
  EXPECT_EQ(rs[0].component, "cpu_package:10");
  EXPECT_EQ(rs[1].component, "dram:10");
  EXPECT_EQ(rs[2].component, "cpu_package:0-die-1");
}

TEST(Rapl, UnwrapsACounterThatWrapsMidWindow) {
  TempDir t;
  make_zone(t, "intel-rapl:0", "package-0", 262000000000ULL);
  RaplSource rapl(t.path());
  auto before = rapl.read();
  ASSERT_EQ(before.size(), 1u);
  EXPECT_DOUBLE_EQ(before[0].energy_j, 262000.0);

  set_energy(t, "intel-rapl:0", 1000000);  // wrapped: (262143328850 - 262000000000) + 1000000 uJ
  auto after = rapl.read();
  ASSERT_EQ(after.size(), 1u);
  ASSERT_TRUE(after[0].ok);
  EXPECT_NEAR(after[0].energy_j - before[0].energy_j, 144.32885, 1e-6);
  EXPECT_DOUBLE_EQ(after[0].energy_j, 262144.32885);
}

TEST(Rapl, UnwrapsSeveralWrapsAcrossReads) {
  TempDir t;
  const uint64_t range_uj = 1000000;  // 1 J, to make the arithmetic plain
  make_zone(t, "intel-rapl:0", "package-0", 900000, range_uj);
  make_zone(t, "intel-rapl:0:0", "dram", 10, range_uj);
  RaplSource rapl(t.path());
  const double first_j = rapl.read()[0].energy_j;
  EXPECT_DOUBLE_EQ(first_j, 0.9);

  // Package: 900000 -> 100000 (wrap, +200000) -> 950000 (+850000) -> 50000 (wrap, +100000)
  // -> 60000 (+10000): +1160000 uJ in all, with two wraps.
  const uint64_t steps[] = {100000, 950000, 50000, 60000};
  double last_j = first_j;
  for (uint64_t v : steps) {
    set_energy(t, "intel-rapl:0", v);
    auto rs = rapl.read();
    ASSERT_EQ(rs.size(), 2u);
    EXPECT_GT(rs[0].energy_j, last_j);
    last_j = rs[0].energy_j;
    EXPECT_DOUBLE_EQ(rs[1].energy_j, 10e-6);  // dram did not move
  }
  EXPECT_NEAR(last_j - first_j, 1.16, 1e-12);
  EXPECT_DOUBLE_EQ(last_j, 2.06);  // 60000 uJ + two ranges of 1000000 uJ
}

TEST(Rapl, AFailedReadIsMarkedNotOk) {
  TempDir t;
  make_zone(t, "intel-rapl:0", "package-0", 1000000);
  make_zone(t, "intel-rapl:1", "package-1", 2000000);
  RaplSource rapl(t.path());
  write_file(t.file("intel-rapl:0/energy_uj"), "garbage\n");
  auto rs = rapl.read();
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_FALSE(rs[0].ok);
  EXPECT_TRUE(rs[1].ok);
  EXPECT_DOUBLE_EQ(rs[1].energy_j, 2.0);

  set_energy(t, "intel-rapl:0", 1500000);  // readable again; not mistaken for a wrap
  rs = rapl.read();
  ASSERT_TRUE(rs[0].ok);
  EXPECT_DOUBLE_EQ(rs[0].energy_j, 1.5);
}

TEST(Rapl, WrapPeriodIsTheShortestRangeOverPower) {
  TempDir t;
  make_zone(t, "intel-rapl:0", "package-0", 0, kPackageRangeUj);
  make_zone(t, "intel-rapl:0:0", "dram", 0, kDramRangeUj);
  RaplSource rapl(t.path());
  EXPECT_DOUBLE_EQ(rapl.wrap_period_s(400.0), 65712.999613 / 400.0);
  EXPECT_DOUBLE_EQ(rapl.wrap_period_s(100.0), 65712.999613 / 100.0);
}

TEST(Rapl, MissingRootIsOneExplainedSensor) {
  TempDir t;
  const std::string root = t.file("no-such-powercap");
  RaplSource rapl(root);
  auto ss = rapl.sensors();
  ASSERT_EQ(ss.size(), 1u);
  EXPECT_EQ(ss[0].component, "");
  EXPECT_EQ(ss[0].source, "rapl");
  EXPECT_FALSE(ss[0].working);
  EXPECT_EQ(ss[0].detail, "no RAPL powercap tree at " + root +
                              " (not an Intel/AMD CPU, a VM, or the intel_rapl driver is not loaded)");
  EXPECT_FALSE(rapl.available());
  EXPECT_FALSE(rapl.permission_denied());
  EXPECT_TRUE(rapl.read().empty());
  EXPECT_TRUE(std::isinf(rapl.wrap_period_s()));
}

TEST(Rapl, RootWithoutRaplZonesIsExplained) {
  TempDir t;
  write_file(t.file("dtpm/enabled"), "1\n");
  make_zone(t, "intel-rapl-mmio:0", "package-0", 1);
  RaplSource rapl(t.path());
  auto ss = rapl.sensors();
  ASSERT_EQ(ss.size(), 1u);
  EXPECT_FALSE(ss[0].working);
  EXPECT_NE(ss[0].detail.find("no RAPL powercap tree"), std::string::npos);
  EXPECT_TRUE(rapl.read().empty());
}

// What a RaplSource built by an unprivileged user reports.
struct UnprivilegedView {
  bool ran = false;
  std::string why_not;  // set when the check could not run
  bool denied = false;
  bool available = true;
  std::string help;
  std::string detail;
};

// Builds a RaplSource on `root` in a child that dropped root privileges to nobody (65534).
UnprivilegedView view_as_nobody(const std::string& root) {
  UnprivilegedView v;
  int fds[2];
  if (pipe(fds) != 0) { v.why_not = "pipe failed"; return v; }
  pid_t pid = fork();
  if (pid < 0) { v.why_not = "fork failed"; return v; }
  if (pid == 0) {
    close(fds[0]);
    std::string msg;
    if (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0) {
      msg = "S\ncannot drop privileges to 65534";
    } else if (access(root.c_str(), R_OK | X_OK) != 0) {
      msg = "S\n" + root + " is not reachable by nobody";
    } else {
      RaplSource rapl(root);
      msg = std::string("R\n") + (rapl.permission_denied() ? "1" : "0") + (rapl.available() ? "1" : "0") + "\n" +
            rapl.permission_help() + "\n" + (rapl.sensors().empty() ? "" : rapl.sensors()[0].detail);
    }
    const char* p = msg.data();
    size_t left = msg.size();
    while (left > 0) {
      ssize_t n = write(fds[1], p, left);
      if (n <= 0) break;
      p += n;
      left -= static_cast<size_t>(n);
    }
    _exit(0);
  }
  close(fds[1]);
  std::string msg;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) msg.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  if (msg.compare(0, 2, "S\n") == 0) { v.why_not = msg.substr(2); return v; }
  if (msg.compare(0, 2, "R\n") != 0 || msg.size() < 5) { v.why_not = "child failed: " + msg; return v; }
  v.ran = true;
  v.denied = msg[2] == '1';
  v.available = msg[3] == '1';
  std::string rest = msg.substr(5);
  std::string::size_type nl = rest.find('\n');
  v.help = rest.substr(0, nl);
  v.detail = nl == std::string::npos ? "" : rest.substr(nl + 1);
  return v;
}

TEST(Rapl, PermissionDeniedExplainsHowToGrantAccess) {
  TempDir t;
  make_zone(t, "intel-rapl:0", "package-0", 1000000);
  const std::string counter = t.file("intel-rapl:0/energy_uj");
  UnprivilegedView v;
  if (geteuid() == 0) {
    // Root reads anything, so look from a child that became nobody: the tree traversable,
    // energy_uj root-only as on Linux >= 5.10.
    ASSERT_EQ(chmod(t.path().c_str(), 0755), 0);
    ASSERT_EQ(chmod(t.file("intel-rapl:0").c_str(), 0755), 0);
    ASSERT_EQ(chmod(t.file("intel-rapl:0/name").c_str(), 0644), 0);
    ASSERT_EQ(chmod(t.file("intel-rapl:0/max_energy_range_uj").c_str(), 0644), 0);
    ASSERT_EQ(chmod(counter.c_str(), 0600), 0);
    v = view_as_nobody(t.path());
    if (!v.ran) GTEST_SKIP() << v.why_not;
    EXPECT_FALSE(RaplSource(t.path()).permission_denied());  // root itself can read
  } else {
    ASSERT_EQ(chmod(counter.c_str(), 0), 0);
    if (access(counter.c_str(), R_OK) == 0) GTEST_SKIP() << "this user reads files mode 000 (CAP_DAC_OVERRIDE)";
    RaplSource rapl(t.path());
    v.ran = true;
    v.denied = rapl.permission_denied();
    v.available = rapl.available();
    v.help = rapl.permission_help();
    v.detail = rapl.sensors().at(0).detail;
  }
  EXPECT_TRUE(v.denied);
  EXPECT_FALSE(v.available);
  EXPECT_NE(v.detail.find("cannot read " + counter + ": permission denied"), std::string::npos) << v.detail;
  EXPECT_EQ(v.help.find("cannot read " + counter + ": permission denied"), 0u) << v.help;
  EXPECT_NE(v.help.find("Linux 5.10"), std::string::npos) << v.help;
  EXPECT_NE(v.help.find("sudo chmod a+r " + t.path() + "/intel-rapl:*/energy_uj"), std::string::npos) << v.help;
  EXPECT_NE(v.help.find("udev"), std::string::npos) << v.help;
  EXPECT_NE(v.help.find("/etc/udev/rules.d/99-powertrain-rapl.rules"), std::string::npos) << v.help;
  EXPECT_NE(v.help.find("SUBSYSTEM==\"powercap\""), std::string::npos) << v.help;
  EXPECT_NE(v.help.find("RUN+=\"/bin/chmod a+r /sys%p/energy_uj\""), std::string::npos) << v.help;
}

}  // namespace
}  // namespace powertrain
