// ReplaySource: parsing recorded traces, step playback, and the meter on a trace (Eq. 1).
#include "powertrain/energy/replay.h"

#include <gtest/gtest.h>

#include "powertrain/energy/meter.h"
#include "support/test_support.h"

namespace powertrain {
namespace {

using test::TempDir;
using test::write_file;

TEST(Replay, PlaysBackStepwise) {
  TempDir dir;
  write_file(dir.file("t.csv"), "# a GPU trace\nt_s,component,power_w\n0,gpu:0,100\n2,gpu:0,250\n0,cpu_package:0,30\n");
  double now = 50;
  ReplaySource r(dir.file("t.csv"), [&] { return now; });
  EXPECT_DOUBLE_EQ(r.power_at_w("gpu:0", 1.9), 100.0);
  EXPECT_DOUBLE_EQ(r.power_at_w("gpu:0", 2.0), 250.0);
  EXPECT_DOUBLE_EQ(r.power_at_w("gpu:0", 99), 250.0);
  EXPECT_TRUE(std::isnan(r.power_at_w("gpu:7", 1)));
  auto first = r.read();  // t = 0
  ASSERT_EQ(first.size(), 2u);
  now += 3;
  for (const auto& reading : r.read()) {
    if (reading.component == "gpu:0") {
      EXPECT_DOUBLE_EQ(reading.power_w, 250.0);
      EXPECT_EQ(reading.kind, ComponentKind::gpu);
    }
  }
  EXPECT_EQ(r.sensors().size(), 2u);
}

TEST(Replay, MeterOnATraceMatchesHandComputedEq1) {
  TempDir dir;
  write_file(dir.file("t.csv"), "t_s,component,power_w\n0,gpu:0,100\n1,gpu:0,200\n2,gpu:0,300\n");
  double now = 0;
  std::vector<std::unique_ptr<EnergySource>> v;
  v.push_back(std::make_unique<ReplaySource>(dir.file("t.csv"), [&] { return now; }));
  Meter meter(std::move(v), MeterOptions().interval_s(0).clock_s([&] { return now; }));
  auto w = meter.begin("epoch");     // 100 W
  now = 1; meter.sample_now();       // 200 W
  now = 2; meter.sample_now();       // 300 W
  now = 3;
  auto m = meter.end(w);             // 300 W
  // Eq. 1: mean(100, 200, 300, 300) = 225 W over 3 s.
  EXPECT_DOUBLE_EQ(m.components[0].energy_j, 675.0);
  EXPECT_EQ(m.components[0].provenance, Provenance::integrated_power);
  EXPECT_EQ(m.components[0].source, "replay");
}

TEST(Replay, BadFilesNameTheFileLineAndProblem) {
  TempDir dir;
  EXPECT_THROW(ReplaySource(dir.file("missing.csv")), std::runtime_error);
  write_file(dir.file("hdr.csv"), "time,power\n0,1\n");
  try { ReplaySource r(dir.file("hdr.csv")); FAIL(); } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("hdr.csv:1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("t_s,component,power_w"), std::string::npos);
  }
  write_file(dir.file("row.csv"), "t_s,component,power_w\n0,gpu:0,100\n1,gpu:0,abc\n");
  try { ReplaySource r(dir.file("row.csv")); FAIL(); } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("row.csv:3"), std::string::npos) << e.what();
  }
  write_file(dir.file("back.csv"), "t_s,component,power_w\n5,gpu:0,100\n1,gpu:0,100\n");
  try { ReplaySource r(dir.file("back.csv")); FAIL(); } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("backwards"), std::string::npos) << e.what();
  }
  write_file(dir.file("neg.csv"), "t_s,component,power_w\n0,gpu:0,-3\n");
  EXPECT_THROW(ReplaySource(dir.file("neg.csv")), std::runtime_error);
  write_file(dir.file("empty.csv"), "t_s,component,power_w\n");
  EXPECT_THROW(ReplaySource(dir.file("empty.csv")), std::runtime_error);
}

// A binary file given as a trace used to be echoed raw to the terminal in the error
// (escape sequences included); now what it held is escaped and cut short, a line without
// end (/dev/zero) is an error instead of unbounded memory, and a directory is named as one.
TEST(Replay, BadHeaderIsShownEscapedAndCut) {
  TempDir dir;
  std::string binary = "\x1b]0;pwned\x07\x1b[2J\x7f\xff\xfe";
  for (int i = 0; i < 500; ++i) binary += static_cast<char>(i % 256 == 10 ? 'x' : i % 256);
  write_file(dir.file("bin.csv"), binary + "\n");
  try { ReplaySource r(dir.file("bin.csv")); FAIL(); } catch (const std::runtime_error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("bin.csv:1: expected the header 't_s,component,power_w', found '\\x1b]0;pwned\\x07\\x1b[2J\\x7f\\xff\\xfe\\x00"),
              std::string::npos) << m;
    EXPECT_NE(m.find("... (" + std::to_string(binary.size()) + " bytes)"), std::string::npos) << m;
    EXPECT_LT(m.size(), 400u) << m;
    for (char c : m) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << m;
  }
  try { ReplaySource r("/dev/zero"); FAIL(); } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/dev/zero:1: the line is longer than 65536 bytes"), std::string::npos) << e.what();
  }
  try { ReplaySource r(dir.path()); FAIL(); } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("is a directory"), std::string::npos) << e.what();
  }
  // Through the command: exit 2 and nothing raw on the terminal.
  test::RunResult r = test::run_program({POWERTRAIN_BIN, "measure", "--no-store", "--replay", dir.file("bin.csv"), "--", "true"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("\\x1b]0;pwned"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << r.err;
}

}  // namespace
}  // namespace powertrain
