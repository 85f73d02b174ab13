// LiveSamples and the store's live-run reads: complete buckets only, never twice, replaced
// by finish_run; a read-only store refuses every write.
#include "powertrain/store/live.h"

#include <gtest/gtest.h>

#include <cmath>
#include <mutex>
#include <thread>

#include "powertrain/store/store.h"
#include "support/test_support.h"

namespace powertrain::test {
namespace {

struct Fixture {
  TempDir dir;
  std::string db = dir.path() + "/s.db";
  int64_t run_id = 0;
  std::mutex mu;
  std::vector<PowerSample> timeline;  // what the meter has recorded so far
  Fixture() {
    Store store = Store::open(db);
    RunRecord r;
    r.kind = "train";
    r.name = "live";
    run_id = store.begin_run(r, HostInfo{}, {});
  }
  void record(double t_s, double power_w, const std::string& component = "gpu:0") {
    std::lock_guard<std::mutex> lock(mu);
    timeline.push_back({t_s, component, power_w});
  }
  std::vector<double> asked_since;  // what LiveSamples asked for
  std::function<std::vector<PowerSample>(double)> reader() {
    return [this](double since) {
      std::lock_guard<std::mutex> lock(mu);
      asked_since.push_back(since);
      std::vector<PowerSample> out;
      for (const auto& s : timeline) if (s.t_s >= since) out.push_back(s);
      return out;
    };
  }
};

TEST(LiveSamples, WritesCompleteBucketsOnceEach) {
  Fixture f;
  EXPECT_TRUE(std::isnan(Store::open(f.db).last_sample_t_s(f.run_id)));  // nothing written yet: unknown, not 0
  LiveSamples live(f.db, f.run_id, f.reader(), 1.0, 3600.0);  // the thread waits an hour: flush() by hand
  for (double t = 0.1; t < 2.5; t += 0.2) f.record(t, 100 + t);
  EXPECT_EQ(live.flush(), 2u);  // buckets [0,1) and [1,2); [2,3) is still open
  EXPECT_EQ(live.flush(), 0u);  // nothing new
  for (double t = 2.5; t < 3.4; t += 0.2) f.record(t, 200);
  EXPECT_EQ(live.flush(), 1u);  // [2,3) closed
  // Each read starts at the oldest bucket not written: never the whole timeline again.
  ASSERT_EQ(f.asked_since.size(), 3u);
  EXPECT_EQ(f.asked_since[0], -INFINITY);
  EXPECT_DOUBLE_EQ(f.asked_since[1], 2.0);
  EXPECT_DOUBLE_EQ(f.asked_since[2], 2.0);
  Store store = Store::open(f.db);
  std::vector<PowerSample> stored = store.samples(f.run_id);
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_NEAR(stored[0].t_s, 0.5, 1e-9);  // the mean time of the bucket's readings
  EXPECT_NEAR(stored[0].power_w, 100.5, 1e-9);
  EXPECT_EQ(stored[1].component, "gpu:0");
  // Later pages see only what is new.
  EXPECT_EQ(store.samples_after(f.run_id, stored[1].t_s, 100).size(), 1u);
  EXPECT_EQ(store.samples_after(f.run_id, -1, 2).size(), 2u);
  EXPECT_DOUBLE_EQ(store.last_sample_t_s(f.run_id), stored[2].t_s);
  // The final write replaces the live timeline with the whole one.
  RunRecord done;
  done.kind = "train";
  done.status = RunStatus::completed;
  store.finish_run(f.run_id, done, {}, downsample(f.timeline, 1.0));
  EXPECT_EQ(store.samples(f.run_id).size(), 4u);
}

TEST(LiveSamples, TheThreadWritesWhileTheRunGoesOn) {
  Fixture f;
  LiveSamples live(f.db, f.run_id, f.reader(), 0.1, 0.05);
  for (int i = 0; i < 40; ++i) {
    f.record(i * 0.025, 50, "cpu_estimate");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  live.stop();
  Store store = Store::open(f.db);
  auto stored = store.samples(f.run_id);
  EXPECT_GE(stored.size(), 5u);  // buckets of 0.1 s over 1 s, the last one open
  EXPECT_LE(stored.size(), 9u);
  for (size_t i = 1; i < stored.size(); ++i) EXPECT_GT(stored[i].t_s, stored[i - 1].t_s);  // no bucket twice
}

TEST(LiveSamples, AFailedWriteIsReportedOnceAndTheRunGoesOn) {
  Fixture f;
  std::vector<std::string> errors;
  LiveSamples live(f.dir.path() + "/missing-dir/s.db", f.run_id, f.reader(), 1.0, 3600.0,
                   [&](const std::string& m) { errors.push_back(m); });
  for (double t = 0; t < 3; t += 0.5) f.record(t, 10);
  EXPECT_EQ(live.flush(), 0u);
  EXPECT_EQ(live.flush(), 0u);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("the run goes on"), std::string::npos);
}

TEST(StoreReadOnly, RefusesWritesAndNamesTheFixForAMissingFile) {
  Fixture f;
  Store ro = Store::open_read_only(f.db);
  EXPECT_EQ(ro.runs(10).size(), 1u);
  EXPECT_THROW(ro.append_samples(f.run_id, {{1.0, "gpu:0", 5.0}}), StoreError);
  EXPECT_THROW(ro.create_study("x", "{}"), StoreError);
  try {
    Store::open_read_only(f.dir.path() + "/nothing.db");
    FAIL();
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("pass --db PATH"), std::string::npos) << e.what();
  }
  EXPECT_NE(::access((f.dir.path() + "/nothing.db").c_str(), F_OK), 0);
}

TEST(StoreRecordedDevices, OneRowPerSensorWithItsNewestRun) {
  TempDir dir;
  Store store = Store::open(dir.path() + "/s.db");
  SensorInfo gpu{"gpu:0", "nvml", "H100", true, "counter"};
  SensorInfo cpu{"cpu_estimate", "estimate", "CPU", true, "model"};
  RunRecord r;
  store.begin_run(r, HostInfo{}, {gpu, cpu});
  int64_t second = store.begin_run(r, HostInfo{}, {gpu});
  auto seen = store.recorded_devices();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].sensor.component, "gpu:0");
  EXPECT_EQ(seen[0].runs, 2);
  EXPECT_EQ(seen[0].last_run_id, second);
  EXPECT_EQ(seen[1].sensor.component, "cpu_estimate");
  EXPECT_EQ(seen[1].runs, 1);
}

}  // namespace
}  // namespace powertrain::test
