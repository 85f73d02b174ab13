// EventSink: the event channel's lines become windows, epochs and metrics of the parent's
// meter; every unusable line is counted, never fatal (docs/events.md).
#include "powertrain/measure/events.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace powertrain {
namespace {

// An energy counter at the EnergySource boundary that rises by power_w per second of the
// test's clock, so a window's energy is exactly power_w x its duration.
class LinearCounter : public EnergySource {
 public:
  LinearCounter(const double& t, double power_w) : t_(t), power_w_(power_w) {}
  std::string name() const override { return "counter"; }
  std::vector<SensorInfo> sensors() const override { return {SensorInfo{"gpu:0", "counter", "linear", true, ""}}; }
  std::vector<Reading> read() override {
    Reading r;
    r.component = "gpu:0";
    r.kind = ComponentKind::gpu;
    r.energy_j = power_w_ * t_;
    return {r};
  }
  double counter_resolution_j(const std::string&) const override { return 0.001; }

 private:
  const double& t_;
  double power_w_;
};

struct Fixture {
  double t = 0;
  Meter meter;
  std::map<int, EpochRecord> epochs;
  int epoch_calls = 0;
  EventSink sink;
  int run;

  static std::vector<std::unique_ptr<EnergySource>> sources(const double& t) {
    std::vector<std::unique_ptr<EnergySource>> v;
    v.push_back(std::make_unique<LinearCounter>(t, 100.0));
    return v;
  }
  explicit Fixture(EventLimits limits = EventLimits())
      : meter(sources(t), MeterOptions().interval_s(0).clock_s([this] { return t; })),
        sink(meter, [this](const EpochRecord& e) { epochs[e.epoch] = e; ++epoch_calls; }, limits),
        run(meter.begin("run")) {}
  void send(const std::string& text) { sink.feed(text.data(), text.size()); }
};

TEST(EventSink, EpochsAreWindowsWithTheirEnergyAndMetrics) {
  Fixture f;
  f.t = 1;
  f.send("begin epoch 1\n");
  f.t = 3;
  f.send("metric train_loss 0.5\nmetric top5 0.99\nend epoch 1\n");
  f.t = 4;
  f.send("begin epoch 2\n");
  f.t = 7;
  f.send("end epoch 2\nmetric val_accuracy 0.875 epoch 2\nmetric samples 12\n");
  f.sink.finish();
  Measurement run = f.meter.end(f.run);

  ASSERT_EQ(f.epochs.size(), 2u);
  EXPECT_NEAR(f.epochs[1].energy_j, 200.0, 1e-9);  // 100 W x 2 s, the counter's difference
  EXPECT_NEAR(f.epochs[1].duration_s, 2.0, 1e-9);
  EXPECT_EQ(f.epochs[1].energy_provenance, Provenance::measured_counter);
  EXPECT_DOUBLE_EQ(f.epochs[1].train_loss, 0.5);
  EXPECT_DOUBLE_EQ(f.epochs[1].metrics.at("top5"), 0.99);
  EXPECT_NEAR(f.epochs[2].energy_j, 300.0, 1e-9);
  EXPECT_DOUBLE_EQ(f.epochs[2].val_metric, 0.875);  // sent after the epoch ended: the epoch is written again
  EXPECT_EQ(f.epoch_calls, 3);
  // The epochs and the time outside them add up to the run.
  EXPECT_NEAR(f.epochs[1].energy_j + f.epochs[2].energy_j + 100.0 * (1 + 1 + 0), run.total_energy_j(), 1e-9);
  const ChildEvents& s = f.sink.summary();
  EXPECT_EQ(s.lines, 8);
  EXPECT_EQ(s.windows, 2);
  EXPECT_EQ(s.epochs, 2);
  EXPECT_EQ(s.metrics, 4);
  EXPECT_EQ(s.problem_count(), 0);
  EXPECT_DOUBLE_EQ(s.run_metrics.at("samples"), 12);
  EXPECT_EQ(describe_events(s), "2 windows (2 epochs), 4 metrics");
}

TEST(EventSink, NestedWindowsAreMeasuredInsideTheirEpoch) {
  Fixture f;
  f.send("begin epoch 1\n");
  f.t = 2;
  f.send("begin validation\n");
  f.t = 2.5;
  f.send("metric val_loss 0.25\nend validation\n");  // a metric goes to the open epoch, not the window
  f.t = 3;
  f.send("end epoch 1\n");
  f.sink.finish();
  auto finished = f.meter.finished();
  ASSERT_EQ(finished.size(), 2u);
  EXPECT_EQ(finished[0].name, "validation");
  EXPECT_NEAR(finished[0].total_energy_j(), 50.0, 1e-9);
  EXPECT_EQ(finished[0].parent_id, finished[1].id);
  EXPECT_DOUBLE_EQ(f.epochs[1].val_loss, 0.25);
  EXPECT_NEAR(f.epochs[1].energy_j, 300.0, 1e-9);
}

TEST(EventSink, AnySplitOfTheStreamReadsTheSame) {
  const std::string stream = "begin epoch 1\nmetric loss 1.5\nend epoch 1\r\nbogus\nbegin epoch 2\nend epoch 2\nmetric x 1";
  Fixture whole;
  whole.send(stream);
  whole.sink.finish();
  for (size_t chunk = 1; chunk <= 7; ++chunk) {
    Fixture f;
    for (size_t i = 0; i < stream.size(); i += chunk) f.send(stream.substr(i, chunk));
    f.sink.finish();
    EXPECT_EQ(f.sink.summary().lines, whole.sink.summary().lines) << chunk;
    EXPECT_EQ(f.sink.summary().problems, whole.sink.summary().problems) << chunk;
    EXPECT_EQ(f.sink.summary().run_metrics, whole.sink.summary().run_metrics) << chunk;  // the last line had no newline
    EXPECT_EQ(f.epochs.size(), 2u) << chunk;
    EXPECT_DOUBLE_EQ(f.epochs[1].train_loss, 1.5) << chunk;
  }
}

TEST(EventSink, GarbageAndUnbalancedWindowsAreCountedNeverFatal) {
  Fixture f;
  f.send(std::string("hello\n\n\x01\x02\xff binary\nbegin\nbegin ") + std::string(300, 'x') + "\n");
  f.send("end nothing-open\nmetric\nmetric loss\nmetric loss abc\nmetric loss nan\nmetric loss inf\nmetric loss 1e999\n");
  f.send("metric bad/name! 1\nmetric loss 1 validation\nmetric loss 1 epoch 9\n");
  f.send("begin epoch 1\nbegin inner\nend epoch 1\nend epoch 1\nbegin epoch 1\nend epoch 1\nbegin left open\n");
  f.send(std::string(5000, 'y') + "\nbegin epoch 3\n");
  f.sink.finish();
  const ChildEvents& s = f.sink.summary();
  EXPECT_EQ(s.problems.at("unknown event"), 2);           // hello, the binary line
  EXPECT_EQ(s.problems.at("malformed line"), 2);          // begin without a name, a 300-byte name
  EXPECT_EQ(s.problems.at("end of a window that is not open"), 2);  // end nothing-open, the second end epoch 1
  EXPECT_EQ(s.problems.at("bad metric"), 7);
  EXPECT_EQ(s.problems.at("metric for no epoch of the run"), 2);
  EXPECT_EQ(s.problems.at("window closed by an enclosing window's end"), 1);
  EXPECT_EQ(s.problems.at("epoch repeated"), 1);
  EXPECT_EQ(s.problems.at("line too long"), 1);
  EXPECT_EQ(s.problems.at("window never closed"), 2);     // "left open" and epoch 3, closed at the end
  EXPECT_EQ(s.examples.size(), 5u);
  EXPECT_EQ(s.examples[0], "line 1: unknown event ('hello')");
  EXPECT_EQ(f.epochs.size(), 2u);                          // epoch 1 (twice) and epoch 3, closed at the end
  EXPECT_TRUE(f.meter.finished().size() >= 4u);
  EXPECT_NO_THROW(f.meter.end(f.run));                     // the run's window is still the sink's parent
}

TEST(EventSink, AHundredThousandEventsStayWithinTheLimits) {
  EventLimits limits;
  limits.max_windows = 1000;
  limits.max_depth = 8;
  Fixture f(limits);
  std::string stream;
  for (int i = 0; i < 25000; ++i) stream += "begin step\nmetric loss 0.5\nend step\nbegin deep " + std::to_string(i) + "\n";
  f.send(stream);
  f.sink.finish();
  const ChildEvents& s = f.sink.summary();
  EXPECT_EQ(s.lines, 100000);
  EXPECT_EQ(s.windows, 50000);
  EXPECT_EQ(s.problems.at("window over the limit"), 49000);
  EXPECT_GT(s.problems.at("window nested too deeply"), 0);
  EXPECT_LE(f.meter.finished().size(), 1000u);  // what the run stores stays bounded
  EXPECT_EQ(s.metrics, 25000);
  EXPECT_DOUBLE_EQ(s.run_metrics.at("loss"), 0.5);
}

}  // namespace
}  // namespace powertrain
