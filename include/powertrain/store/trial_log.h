// powertrain/store/trial_log.h: the log a search is rebuilt from and written to.
//
// A search's state is never saved as such: it is rebuilt by replaying its log (the trials
// the strategy asked, and the results it was told, in order) through a fresh strategy of
// the same seed. One small interface serves every place a log lives:
//   - StoreTrialLog: a study in the run store (`powertrain tune`): only results are kept;
//     each implies its ask.
//   - StudyTxn (study_log.h): a study shared by workers, inside the study's lock: asks and
//     results are separate events, so a claimed but unfinished trial is known.
//   - MemoryTrialLog: a search that is not stored (tests, the search study).
//
// Example:
//   powertrain::StoreTrialLog log(store, study_id);
//   for (const auto& e : log.events()) ...;           // replay
//   log.append_tell(finished_trial);                   // its own transaction
#pragma once

#include <cstdint>
#include <vector>

#include "powertrain/store/trial.h"

namespace powertrain {

class Store;

// One entry of a search's log.
struct TrialEvent {
  enum class Kind { ask, tell };
  Kind kind = Kind::tell;
  tune::Trial asked;   // ask: the trial the strategy asked (tell: the trial the result is for)
  StoredTrial told;    // tell: the finished trial
};

class TrialLog {
 public:
  virtual ~TrialLog() = default;
  // Returns the events in the order they happened.
  virtual std::vector<TrialEvent> events() = 0;
  // Records that the strategy asked `trial` (a log that keeps only results ignores it).
  virtual void append_ask(const tune::Trial& trial) = 0;
  // Appends a finished trial. A trial already recorded under the same position is refused
  // (StoreError): nothing is counted twice.
  virtual void append_tell(const StoredTrial& trial) = 0;
};

// The trials of study `study_id` in the run store; each tell is its own transaction.
class StoreTrialLog : public TrialLog {
 public:
  // Keeps a reference to `store`, which must outlive the log.
  StoreTrialLog(Store& store, int64_t study_id) : store_(store), study_id_(study_id) {}
  std::vector<TrialEvent> events() override;
  void append_ask(const tune::Trial& trial) override { (void)trial; }
  void append_tell(const StoredTrial& trial) override;

 private:
  Store& store_;
  int64_t study_id_;
};

// A log in memory.
class MemoryTrialLog : public TrialLog {
 public:
  std::vector<TrialEvent> events() override { return events_; }
  void append_ask(const tune::Trial& trial) override;
  void append_tell(const StoredTrial& trial) override;

 private:
  std::vector<TrialEvent> events_;
};

}  // namespace powertrain
