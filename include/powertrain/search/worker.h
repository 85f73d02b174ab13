// powertrain/search/worker.h: one of several processes (on one machine or many) that run a
// search study together through its shared log (store/study_log.h: PostgreSQL, or SQLite
// on one machine).
//
// A worker repeats: lock the study; replay its log (asks and tells, in order) through its
// runner; claim a trial (a dead worker's trial first, else the strategy's next one);
// unlock; train it while a second connection sends heartbeats; lock again and append its
// result, unless the claim was taken over meanwhile (a late result is discarded, never
// counted twice). A claim whose heartbeat is older than the grace period belongs to a dead
// worker and is taken over; a failed trial is retried up to max_attempts times.
//
// Example:
//   auto log = powertrain::StudyLog::open(url);
//   int64_t id = log->ensure_study("k1", spec_text, "tune");
//   powertrain::search::StudyRunner runner(spec, runner_options);
//   powertrain::search::WorkerOptions w;
//   w.storage = url;
//   powertrain::search::WorkerResult r = powertrain::search::Worker(*log, id, runner, w).run();
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "powertrain/search/runner.h"
#include "powertrain/search/spec.h"
#include "powertrain/store/study_log.h"

namespace powertrain::search {

struct WorkerOptions {
  std::string storage;          // the log's URL: heartbeats go through a second connection to it
  std::string worker_id;        // this worker's name in the claims ("" = HOST:PID)
  double grace_s = 60;          // a claim without a heartbeat for this long is taken over
  double heartbeat_s = 5;       // between heartbeats; well under grace_s
  double poll_s = 1;            // wait between looks when there is nothing to claim
  int max_attempts = 3;         // a trial that failed this often is not retried
  long max_trials = 0;          // this worker stops after this many trials (0 = until the study ends)
  double pace_ms = 0;           // pause inside each trial (to watch or test a study)
  std::function<void(const std::string&)> say;  // progress lines (nullptr: silent)
  std::function<void(const StoredTrial&)> on_trial;  // each trial this worker told (nullptr: none)
};

struct WorkerResult {
  std::string worker_id;
  std::vector<StoredTrial> mine;  // the trials this worker told
  SearchSummary summary;          // the study as it stands at the end (replayed from the log)
  std::vector<StoredTrial> all;   // every told trial of the study
  bool study_finished = false;    // the study ended (not only this worker's share)
};

// Returns the study as worker `r.worker_id` saw it at the end: summary_to_json's form with
// the study's name, the storage and the worker's own trials.
nlohmann::json worker_result_json(const WorkerResult& r, const std::string& study, const std::string& storage);

class Worker {
 public:
  // Keeps references to `log` and `runner`, which must outlive the worker.
  Worker(StudyLog& log, int64_t study_id, StudyRunner& runner, WorkerOptions options);
  // Runs until the study ends, this worker's max_trials are done, or `*stop` becomes true
  // (checked between trials). Throws SearchError when the study cannot go on (a trial failed
  // max_attempts times; its own trial failed: the claim is marked failed for a retry by
  // another worker), StoreError when the log cannot be reached.
  WorkerResult run(const std::atomic<bool>* stop = nullptr);

 private:
  StudyLog& log_;
  int64_t study_id_;
  StudyRunner& runner_;
  WorkerOptions options_;
};

// Returns "HOST:PID".
std::string default_worker_id();

// The study a worker joins: study `name` of the shared log at `storage` (StudyLog::open).
// With `definition`, it is created from it unless it exists (later workers may repeat the
// definition); without, it must exist and its stored spec is read. Throws ConfigError naming
// the study and the fix when there is none, StoreError when the log cannot be reached.
struct SharedStudy {
  std::unique_ptr<StudyLog> log;
  int64_t study_id = 0;
  StudySpec spec;
};
SharedStudy open_shared_study(const std::string& storage, const std::string& name, std::optional<StudySpec> definition);

}  // namespace powertrain::search
