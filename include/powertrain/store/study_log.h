// powertrain/store/study_log.h: the shared log of a study that several workers run at once.
//
// A study run by parallel workers (`powertrain worker`) is coordinated through its log, in
// SQLite (one machine) or PostgreSQL (many machines), with the same tables and code path:
//   - events: the strategy's ask and tell calls in the order they happened. A worker
//     rebuilds the strategy's state by replaying them through a fresh strategy (which is
//     deterministic given its seed and this order), then asks for the next trial.
//   - claims: which worker runs which asked trial, its attempts and its last heartbeat.
//   - trials: the finished trials (the same study_trials rows `powertrain tune` writes).
// Every change happens inside `locked()`, a transaction holding the study's exclusive lock,
// so two workers never claim the same trial and the event order is one total order. Ages
// of heartbeats are computed by the database's clock, so workers' clocks need not agree.
//
// Example:
//   auto log = powertrain::StudyLog::open("postgresql://user@host/db");
//   int64_t id = log->ensure_study("cifar-sh", spec_json, "tune");
//   log->locked(id, [&](powertrain::StudyTxn& tx) { for (auto& e : tx.events()) ...; });
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "powertrain/store/store.h"
#include "powertrain/store/trial_log.h"

namespace powertrain {

struct TrialClaim {
  int64_t trial_id = 0;
  std::string worker;
  ClaimState state = ClaimState::running;
  int attempts = 0;               // how many workers have started it
  double heartbeat_age_s = 0.0;   // seconds since the last heartbeat, by the database's clock
};

// The operations allowed while the study's lock is held: the study's log (asks and tells
// as separate events, see trial_log.h), the claims and the study's status.
class StudyTxn : public TrialLog {
 public:
  std::vector<TrialEvent> events() final;
  // Appends an "ask" event.
  void append_ask(const tune::Trial& trial) final;
  // Appends a "tell" event and the finished trial's row (what `powertrain tune` stores).
  void append_tell(const StoredTrial& trial) final;

  virtual std::vector<TrialClaim> claims() = 0;
  // Claims trial_id for `worker`: a new claim (attempts 1), or one taken over (attempts + 1).
  virtual void claim(int64_t trial_id, const std::string& worker) = 0;
  virtual void set_claim_state(int64_t trial_id, ClaimState state) = 0;
  virtual void set_status(StudyStatus status) = 0;

 protected:
  // One row of the events table, as the backends read and write it.
  struct RawEvent {
    int64_t seq = 0;           // 0, 1, 2, ... within the study
    std::string kind;          // "ask" or "tell"
    int64_t trial_id = 0;
    std::string payload_json;  // ask: asked_to_json; tell: trial_to_json
  };
  virtual std::vector<RawEvent> raw_events() = 0;
  // Appends an event with the next sequence number.
  virtual void insert_event(const std::string& kind, int64_t trial_id, const std::string& payload_json) = 0;
  // Appends finished trial number `seq` (as Store::record_trial does).
  virtual void insert_trial(int64_t seq, const std::string& trial_json, double energy_j, double metric) = 0;
};

class StudyLog {
 public:
  // Opens the storage at `url`: "postgresql://..." (or "postgres://..."), "sqlite:FILE", or
  // a plain FILE path (SQLite). Throws StoreError naming the problem and the fix.
  static std::unique_ptr<StudyLog> open(const std::string& url);
  // Opens an existing log for reading only (dashboards): nothing is created; every
  // transaction is read-only. Throws StoreError when there is no powertrain log there.
  static std::unique_ptr<StudyLog> open_read_only(const std::string& url);
  // True when this build can open postgresql:// URLs (it was built with libpqxx).
  static bool postgresql_available();
  virtual ~StudyLog() = default;

  // Where the log lives, with any password removed (for messages).
  virtual std::string where() const = 0;
  // Returns the study named `name`, or nullopt.
  virtual std::optional<StudyRecord> study(const std::string& name) = 0;
  // The studies in the log, newest first, at most `limit`.
  virtual std::vector<StudyRecord> studies(int limit) = 0;
  // Creates the study unless it exists (several workers may race to create it; one wins)
  // and returns its id. An existing study's spec must equal `spec_json`, else StoreError.
  virtual int64_t ensure_study(const std::string& name, const std::string& spec_json, const std::string& kind) = 0;
  // Runs `fn` in one transaction holding the study's exclusive lock: commits when `fn`
  // returns, rolls back when it throws (and rethrows).
  virtual void locked(int64_t study_id, const std::function<void(StudyTxn&)>& fn) = 0;
  // Records that `worker` is alive and still running trial_id (its own short transaction).
  // Returns false when the claim is no longer that worker's (it was taken over).
  virtual bool heartbeat(int64_t study_id, int64_t trial_id, const std::string& worker) = 0;
  // The finished trials, in order.
  virtual std::vector<StoredTrial> trials(int64_t study_id) = 0;
};

// Removes a password from a connection URL ("postgresql://u:secret@h/db" -> "postgresql://u:***@h/db").
std::string redact_url(const std::string& url);

}  // namespace powertrain
