// powertrain/store/run_recorder.h: one run recorded in the store as it happens; the one way
// `train`, `lr-find` and `measure` record their runs.
//
// The constructor writes the "running" row (with the host and the meter's sensors) and
// starts appending the power timeline about once a second (LiveSamples), so a dashboard
// follows the run live. epoch() writes each finished epoch in its own transaction.
// A store another process keeps locked never fails the run: an epoch that cannot be written
// is kept and written with the next one; the start and the end wait for the lock (up to 2 min,
// each wait reported through on_problem).
// finish() writes the final row (status, energy of the run window with its provenance,
// CO2e from the grid and PUE), the meter's windows and the downsampled samples, in one
// transaction. A recorder destroyed without finish() or fail() records the run as failed
// with what it has (its epochs stay): no run is left "running" by a process that lives on.
// Without a store it records nothing and run_id() is 0, so callers have one code path.
//
// Example:
//   powertrain::RunStart start;
//   start.kind = "train";
//   start.name = "mlp";
//   start.grid = *powertrain::CarbonTable::builtin().find("DE");
//   powertrain::RunRecorder rec(&store, meter, start);
//   rec.epoch(epoch_record);
//   rec.finish(powertrain::RunStatus::completed, 0, meter.end(run_window), details);
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "powertrain/energy/carbon.h"
#include "powertrain/energy/meter.h"
#include "powertrain/store/store.h"

namespace powertrain {

// What is known of a run when it starts.
struct RunStart {
  std::string kind = "measure";   // measure, train, lr_find
  std::string name;
  std::string command;            // the command line, shell-quoted
  GridIntensity grid;             // for CO2e
  double pue = 1.0;
  RunDetails details;             // what is known at the start (the training config, sensor warnings)
  double sample_bucket_s = 1.0;   // the stored power timeline's resolution (live and final)
};

class RunRecorder {
 public:
  // Writes the running row when `store` is not null. Throws StoreError when it cannot,
  // unless `on_problem` is given: then the problem is reported through it and the run goes
  // on unrecorded (run_id() 0).
  RunRecorder(Store* store, Meter& meter, RunStart start, std::function<void(const std::string&)> on_problem = {});
  // Records the run as failed unless finish() or fail() did; never throws.
  ~RunRecorder();
  RunRecorder(const RunRecorder&) = delete;
  RunRecorder& operator=(const RunRecorder&) = delete;

  // Returns the run's id in the store, 0 when it is not recorded.
  int64_t run_id() const { return run_id_; }
  // Writes (or replaces) one finished epoch, in its own transaction; when the store is busy,
  // keeps it for the next write (reported through on_problem). Other store errors are thrown.
  void epoch(const EpochRecord& epoch);
  // Writes the final run from its "run" window and returns the row as stored: status, exit
  // code, energy with uncertainty and provenance, duration, CO2e; then the meter's finished
  // windows and its samples. Stops the live samples. Call after the meter stopped.
  RunRecord finish(RunStatus status, std::optional<int> exit_code, const Measurement& run_window, const RunDetails& details);
  // Writes the run as failed with `error` in its details, keeping its epochs and what the meter
  // measured. Never throws (a store that cannot be written is reported through on_problem).
  void fail(const std::string& error);

 private:
  RunRecord row() const;
  void write_pending_epochs();
  Store* store_;
  Meter& meter_;
  RunStart start_;
  std::function<void(const std::string&)> on_problem_;
  int64_t run_id_ = 0;
  double started_at_unix_s_ = NAN;
  bool done_ = false;
  std::vector<EpochRecord> pending_epochs_;  // finished, not yet in the store (it was busy)
  std::unique_ptr<class LiveSamples> live_;
};

}  // namespace powertrain
