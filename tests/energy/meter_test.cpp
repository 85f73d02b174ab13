// Meter: window energies from counters (difference) and from power samples (Eq. 1),
// nesting, provenance, idle baseline, and the sampler thread.
#include "powertrain/energy/meter.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace powertrain {
namespace {

// A scripted sensor at the EnergySource boundary: each read returns the next scripted value.
class ScriptedSource : public EnergySource {
 public:
  ScriptedSource(std::string component, ComponentKind kind, bool counter, std::vector<double> values,
                 std::string name = "scripted")
      : component_(std::move(component)), kind_(kind), counter_(counter), values_(std::move(values)), name_(std::move(name)) {}
  std::string name() const override { return name_; }
  std::vector<SensorInfo> sensors() const override { return {SensorInfo{component_, name_, "scripted", true, ""}}; }
  std::vector<Reading> read() override {
    Reading r;
    r.component = component_;
    r.kind = kind_;
    double v = values_[std::min(next_, values_.size() - 1)];
    ++next_;
    if (std::isnan(v)) { r.ok = false; return {r}; }
    if (counter_) r.energy_j = v; else r.power_w = v;
    return {r};
  }
  double counter_resolution_j(const std::string&) const override { return counter_ ? 0.001 : 0.0; }
  std::string note(const std::string&) const override { return name_ + " note"; }
 private:
  std::string component_;
  ComponentKind kind_;
  bool counter_;
  std::vector<double> values_;
  size_t next_ = 0;
  std::string name_;
};

struct ManualClock {
  double t = 100.0;
  std::function<double()> fn() { return [this] { return t; }; }
};

std::vector<std::unique_ptr<EnergySource>> one(std::unique_ptr<EnergySource> s) {
  std::vector<std::unique_ptr<EnergySource>> v;
  v.push_back(std::move(s));
  return v;
}

TEST(Integration, Eq1IsMeanPowerTimesDuration) {
  EXPECT_DOUBLE_EQ(energy_eq1_j({100, 200, 100, 100, 300}, 4.0), 640.0);
  EXPECT_TRUE(std::isnan(energy_eq1_j({}, 4.0)));
  // Research Eq. 1 in Wh: 50 W for 72 s is 1 Wh = 3600 J.
  EXPECT_DOUBLE_EQ(energy_eq1_j({40, 60}, 72.0), 3600.0);
}

TEST(Integration, TrapezoidRule) {
  EXPECT_DOUBLE_EQ(energy_trapezoid_j({{0, 100}, {1, 200}, {2, 100}, {3, 100}, {4, 300}}), 600.0);
  EXPECT_DOUBLE_EQ(energy_trapezoid_j({{0, 10}, {0.5, 10}, {2, 30}}), 5.0 + 30.0);
  EXPECT_TRUE(std::isnan(energy_trapezoid_j({{0, 1}})));
}

TEST(Meter, CounterWindowIsTheCounterDifference) {
  ManualClock clock;
  // Reads: begin edge, two sampler reads, end edge.
  Meter meter(one(std::make_unique<ScriptedSource>("gpu:0", ComponentKind::gpu, true,
                                                   std::vector<double>{1000.0, 1100.0, 1250.0, 1300.5})),
              MeterOptions().interval_s(0).clock_s(clock.fn()));
  auto w = meter.begin("epoch 1");
  clock.t += 1; meter.sample_now();
  clock.t += 1; meter.sample_now();
  clock.t += 0.5;
  Measurement m = meter.end(w);
  ASSERT_EQ(m.components.size(), 1u);
  const auto& c = m.components[0];
  EXPECT_EQ(c.component, "gpu:0");
  EXPECT_DOUBLE_EQ(c.energy_j, 300.5);
  EXPECT_DOUBLE_EQ(m.duration_s, 2.5);
  EXPECT_DOUBLE_EQ(c.avg_power_w, 300.5 / 2.5);
  EXPECT_DOUBLE_EQ(c.peak_power_w, 150.0);  // 1100 -> 1250 over 1 s
  EXPECT_DOUBLE_EQ(c.uncertainty_j, 0.002);
  EXPECT_EQ(c.samples, 4);
  EXPECT_EQ(c.provenance, Provenance::measured_counter);
  EXPECT_EQ(m.total_provenance(), Provenance::measured_counter);
  EXPECT_DOUBLE_EQ(m.total_energy_j(), 300.5);
}

TEST(Meter, PowerOnlyWindowFollowsEq1WithAnUncertaintyBound) {
  ManualClock clock;
  Meter meter(one(std::make_unique<ScriptedSource>("gpu:0", ComponentKind::gpu, false,
                                                   std::vector<double>{100, 200, 100, 100, 300})),
              MeterOptions().interval_s(0).clock_s(clock.fn()));
  auto w = meter.begin("epoch");
  for (int i = 0; i < 3; ++i) { clock.t += 1; meter.sample_now(); }
  clock.t += 1;
  Measurement m = meter.end(w);
  const auto& c = m.components[0];
  // Eq. 1: mean(100, 200, 100, 100, 300) = 160 W over 4 s.
  EXPECT_DOUBLE_EQ(c.energy_j, 640.0);
  EXPECT_EQ(c.provenance, Provenance::integrated_power);
  EXPECT_DOUBLE_EQ(c.peak_power_w, 300.0);
  // |Eq. 1 - trapezoid| + half the longest gap x power range = 40 + 0.5 x 1 x 200.
  EXPECT_DOUBLE_EQ(c.uncertainty_j, 140.0);
  EXPECT_EQ(c.samples, 5);
}

TEST(Meter, EstimateIsLabelledAndHasNoFalseBound) {
  ManualClock clock;
  Meter meter(one(std::make_unique<ScriptedSource>("cpu_estimate", ComponentKind::cpu_estimate, false,
                                                   std::vector<double>{20, 20}, "estimate")),
              MeterOptions().interval_s(0).clock_s(clock.fn()));
  auto w = meter.begin("run");
  clock.t += 2;
  auto m = meter.end(w);
  EXPECT_EQ(m.components[0].provenance, Provenance::estimated);
  EXPECT_DOUBLE_EQ(m.components[0].energy_j, 40.0);
  EXPECT_TRUE(std::isnan(m.components[0].uncertainty_j));
  EXPECT_EQ(m.components[0].note, "estimate note");
}

TEST(Meter, MixedSourcesSumAndTakeTheWeakestProvenance) {
  ManualClock clock;
  std::vector<std::unique_ptr<EnergySource>> v;
  v.push_back(std::make_unique<ScriptedSource>("gpu:0", ComponentKind::gpu, true, std::vector<double>{0, 500}));
  v.push_back(std::make_unique<ScriptedSource>("cpu_estimate", ComponentKind::cpu_estimate, false, std::vector<double>{10, 30}));
  Meter meter(std::move(v), MeterOptions().interval_s(0).clock_s(clock.fn()));
  auto w = meter.begin("run");
  clock.t += 5;
  auto m = meter.end(w);
  EXPECT_DOUBLE_EQ(m.total_energy_j(), 500.0 + 20.0 * 5);
  EXPECT_EQ(m.total_provenance(), Provenance::estimated);
  EXPECT_DOUBLE_EQ(m.avg_power_w(), 120.0);
}

TEST(Meter, FailingSensorIsMissingNeverZero) {
  ManualClock clock;
  Meter meter(one(std::make_unique<ScriptedSource>("gpu:0", ComponentKind::gpu, true, std::vector<double>{5, NAN, NAN})),
              MeterOptions().interval_s(0).clock_s(clock.fn()));
  auto w = meter.begin("run");
  clock.t += 1;
  auto m = meter.end(w);
  ASSERT_EQ(m.components.size(), 1u);
  EXPECT_EQ(m.components[0].provenance, Provenance::missing);
  EXPECT_TRUE(std::isnan(m.components[0].energy_j));
  EXPECT_TRUE(std::isnan(m.total_energy_j()));
  EXPECT_EQ(m.total_provenance(), Provenance::missing);
}

TEST(Meter, NoSourcesMeansMissing) {
  Meter meter({}, MeterOptions().interval_s(0));
  auto m = meter.end(meter.begin("run"));
  EXPECT_TRUE(m.components.empty());
  EXPECT_TRUE(std::isnan(m.total_energy_j()));
  EXPECT_EQ(m.total_provenance(), Provenance::missing);
}

TEST(Meter, NestedWindowsAndClosingTheParentClosesChildren) {
  ManualClock clock;
  // Counter grows 10 J per read.
  std::vector<double> counter;
  for (int i = 0; i < 20; ++i) counter.push_back(10.0 * i);
  Meter meter(one(std::make_unique<ScriptedSource>("cpu_package:0", ComponentKind::cpu_package, true, counter)),
              MeterOptions().interval_s(0).clock_s(clock.fn()));
  auto run = meter.begin("run");                 // read 0: 0 J
  clock.t += 1;
  auto epoch = meter.begin("epoch 1");           // read 1: 10 J
  clock.t += 1;
  auto step = meter.begin("step 1");             // read 2: 20 J
  clock.t += 1;
  auto ms = meter.end(step);                     // read 3: 30 J
  EXPECT_DOUBLE_EQ(ms.components[0].energy_j, 10.0);
  EXPECT_EQ(ms.parent_id, epoch);
  meter.begin("step 2");                         // read 4: 40 J, left open
  clock.t += 1;
  auto mr = meter.end(run);                      // read 5: 50 J, closes step 2 and epoch 1 too
  EXPECT_DOUBLE_EQ(mr.components[0].energy_j, 50.0);
  EXPECT_EQ(mr.parent_id, -1);
  auto done = meter.finished();
  ASSERT_EQ(done.size(), 4u);
  EXPECT_EQ(done[1].name, "step 2");
  EXPECT_DOUBLE_EQ(done[1].components[0].energy_j, 10.0);
  EXPECT_EQ(done[2].name, "epoch 1");
  EXPECT_DOUBLE_EQ(done[2].components[0].energy_j, 40.0);
  EXPECT_EQ(done[2].parent_id, run);
  EXPECT_THROW(meter.end(run), std::logic_error);
}

TEST(Meter, IdleBaselineSplitsStaticFromDynamic) {
  ManualClock clock;
  Meter meter(one(std::make_unique<ScriptedSource>("gpu:0", ComponentKind::gpu, true, std::vector<double>{0, 300})),
              MeterOptions().interval_s(0).clock_s(clock.fn()));
  IdleBaseline b;
  b.power_w["gpu:0"] = 20.0;
  meter.set_idle_baseline(b);
  auto w = meter.begin("epoch");
  clock.t += 10;
  auto c = meter.end(w).components[0];
  EXPECT_DOUBLE_EQ(c.idle_power_w, 20.0);
  EXPECT_DOUBLE_EQ(c.static_energy_j, 200.0);
  EXPECT_DOUBLE_EQ(c.dynamic_energy_j, 100.0);
}

TEST(Meter, ScopedWindowEndsOnScopeExit) {
  ManualClock clock;
  Meter meter(one(std::make_unique<ScriptedSource>("gpu:0", ComponentKind::gpu, true, std::vector<double>{0, 7, 9})),
              MeterOptions().interval_s(0).clock_s(clock.fn()));
  { ScopedWindow w(meter, "scope"); clock.t += 1; }
  ASSERT_EQ(meter.finished().size(), 1u);
  EXPECT_DOUBLE_EQ(meter.finished()[0].components[0].energy_j, 7.0);
}

TEST(Meter, EdgeCallbackRunsAtEveryEdge) {
  int edges = 0;
  Meter meter({}, MeterOptions().interval_s(0).on_edge([&] { ++edges; }));
  meter.end(meter.begin("a"));
  EXPECT_EQ(edges, 2);
}

TEST(Meter, SamplerThreadRecordsPowerTimeline) {
  Meter meter(one(std::make_unique<ScriptedSource>("gpu:0", ComponentKind::gpu, false, std::vector<double>{42.0})),
              MeterOptions().interval_s(0.01));
  meter.start();
  auto w = meter.begin("run");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto m = meter.end(w);
  meter.stop();
  EXPECT_GT(m.components[0].samples, 2);  // edges plus sampler reads
  EXPECT_NEAR(m.components[0].avg_power_w, 42.0, 1e-9);
  auto s = meter.samples();
  ASSERT_FALSE(s.empty());
  for (size_t i = 1; i < s.size(); ++i) EXPECT_LE(s[i - 1].t_s, s[i].t_s);
}

TEST(Meter, SamplesSinceReturnsOnlyTheNewReadings) {
  ManualClock clock;
  Meter meter(one(std::make_unique<ScriptedSource>("gpu:0", ComponentKind::gpu, false,
                                                   std::vector<double>{10.0, 20.0, 30.0, 40.0})),
              MeterOptions().interval_s(0).clock_s(clock.fn()));
  for (int i = 0; i < 4; ++i) {
    meter.sample_now();
    clock.t += 1;
  }
  auto all = meter.samples();
  ASSERT_EQ(all.size(), 4u);
  auto since = meter.samples_since(all[2].t_s);
  ASSERT_EQ(since.size(), 2u);  // at or after: the third and fourth readings
  EXPECT_DOUBLE_EQ(since[0].power_w, 30.0);
  EXPECT_DOUBLE_EQ(since[1].power_w, 40.0);
  EXPECT_TRUE(meter.samples_since(all[3].t_s + 0.5).empty());
  EXPECT_EQ(meter.samples_since(-INFINITY).size(), 4u);
}

TEST(Downsample, AveragesPerComponentAndBucket) {
  std::vector<PowerSample> in = {{0.1, "a", 10}, {0.6, "a", 20}, {1.2, "a", 40}, {0.2, "b", 5}, {0.3, "a", NAN}};
  auto out = downsample(in, 1.0);
  ASSERT_EQ(out.size(), 3u);  // oldest first: b at 0.2 s, a at 0.35 s, a at 1.2 s
  EXPECT_EQ(out[0].component, "b");
  EXPECT_DOUBLE_EQ(out[0].power_w, 5.0);
  EXPECT_EQ(out[1].component, "a");
  EXPECT_DOUBLE_EQ(out[1].power_w, 15.0);
  EXPECT_DOUBLE_EQ(out[1].t_s, 0.35);
  EXPECT_DOUBLE_EQ(out[2].power_w, 40.0);
}

}  // namespace
}  // namespace powertrain
