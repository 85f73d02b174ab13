// powertrain/store/live.h: a running run's power timeline, written as it is measured.
//
// LiveSamples reads the meter's new samples (those since the oldest bucket it has not
// written) about once per `every_s` from its own thread, averages them into `bucket_s`
// buckets (as finish_run stores them) and appends the buckets that are complete to the
// store through its own connection, so `powertrain
// serve` can chart a run while it trains. The final Store::finish_run replaces them with
// the whole timeline. A write that fails is reported once through `on_error` and the
// writer stops: the run itself goes on, and finish_run still stores every sample.
//
// Example:
//   int64_t id = store.begin_run(run, host_info_collect(), meter.sensors());
//   powertrain::LiveSamples live(store.path(), id, [&](double t) { return meter.samples_since(t); });
//   train();
//   live.stop();
//   store.finish_run(id, run, meter.finished(), powertrain::downsample(meter.samples(), 1.0));
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "powertrain/energy/meter.h"

namespace powertrain {

class LiveSamples {
 public:
  // Starts the writer thread. A store path of ":memory:" or "" writes nothing (no other
  // connection could read it).
  // `read_samples(t)` returns the readings at or after t on the meter's clock
  // (Meter::samples_since).
  LiveSamples(std::string store_path, int64_t run_id, std::function<std::vector<PowerSample>(double since_s)> read_samples,
              double bucket_s = 1.0, double every_s = 1.0,
              std::function<void(const std::string&)> on_error = nullptr);
  ~LiveSamples();  // stop()
  LiveSamples(const LiveSamples&) = delete;
  LiveSamples& operator=(const LiveSamples&) = delete;
  // Stops the thread (waits for a write in progress). Idempotent.
  void stop();
  // Appends the buckets completed since the last write, now. Returns how many samples it
  // wrote. For tests; the thread calls it every `every_s`.
  size_t flush();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace powertrain
