// The study log in SQLite (one machine, several worker processes), and opening a log by URL.
// BEGIN IMMEDIATE takes SQLite's write lock, which is the study lock here: workers
// serialise on it for the few milliseconds a claim or a tell takes.
#include "powertrain/store/study_log.h"

#include <sqlite3.h>

#include "store/sqlite.h"
#include "util/json.h"
#include "store/study_rows.h"
#include "store/study_log_postgres.h"

namespace powertrain {

namespace {

using sqlite::Stmt;

// Unix seconds by SQLite's clock (heartbeats are compared with the same clock).
constexpr const char* kNowUnixS = "((julianday('now') - 2440587.5) * 86400.0)";

class SqliteTxn : public StudyTxn {
 public:
  SqliteTxn(sqlite3* db, const std::string& path, int64_t study_id) : db_(db), path_(path), study_id_(study_id) {}

  std::vector<RawEvent> raw_events() override {
    Stmt s(db_, path_, "SELECT seq, kind, trial_id, payload_json FROM study_events WHERE study_id = ?1 ORDER BY seq");
    s.integer(1, study_id_);
    std::vector<RawEvent> out;
    while (s.step()) out.push_back({s.col_int(0), s.col_text(1), s.col_int(2), s.col_text(3)});
    return out;
  }
  void insert_event(const std::string& kind, int64_t trial_id, const std::string& payload_json) override {
    std::string sql = std::string(
                          "INSERT INTO study_events(study_id, seq, kind, trial_id, payload_json, created_at_unix_s) "
                          "VALUES(?1, (SELECT COALESCE(MAX(seq), -1) + 1 FROM study_events WHERE study_id = ?1), ?2, ?3, ?4, ") +
                      kNowUnixS + ")";
    Stmt s(db_, path_, sql.c_str());
    s.integer(1, study_id_);
    s.text(2, kind);
    s.integer(3, trial_id);
    s.text(4, payload_json);
    s.run();
  }
  std::vector<TrialClaim> claims() override {
    std::string sql = std::string("SELECT trial_id, worker, state, attempts, ") + kNowUnixS +
                      " - heartbeat_unix_s FROM study_claims WHERE study_id = ?1 ORDER BY trial_id";
    Stmt s(db_, path_, sql.c_str());
    s.integer(1, study_id_);
    std::vector<TrialClaim> out;
    while (s.step()) {
      out.push_back({s.col_int(0), s.col_text(1), claim_state_from_name(s.col_text(2)).value_or(ClaimState::failed),
                     static_cast<int>(s.col_int(3)), s.col_real(4)});
    }
    return out;
  }
  void claim(int64_t trial_id, const std::string& worker) override {
    std::string sql = std::string(
                          "INSERT INTO study_claims(study_id, trial_id, worker, state, attempts, claimed_at_unix_s, "
                          "heartbeat_unix_s) VALUES(?1, ?2, ?3, 'running', 1, ") +
                      kNowUnixS + ", " + kNowUnixS +
                      ") ON CONFLICT(study_id, trial_id) DO UPDATE SET worker = excluded.worker, state = 'running', "
                      "attempts = attempts + 1, claimed_at_unix_s = excluded.claimed_at_unix_s, "
                      "heartbeat_unix_s = excluded.heartbeat_unix_s";
    Stmt s(db_, path_, sql.c_str());
    s.integer(1, study_id_);
    s.integer(2, trial_id);
    s.text(3, worker);
    s.run();
  }
  void set_claim_state(int64_t trial_id, ClaimState state) override {
    Stmt s(db_, path_, "UPDATE study_claims SET state = ?3 WHERE study_id = ?1 AND trial_id = ?2");
    s.integer(1, study_id_);
    s.integer(2, trial_id);
    s.text(3, claim_state_name(state));
    s.run();
  }
  void insert_trial(int64_t seq, const std::string& trial_json, double energy_j, double metric) override {
    sqlite::insert_study_trial(db_, path_, study_id_, seq, trial_json, energy_j, metric);
  }
  void set_status(StudyStatus status) override {
    sqlite::update_study_status(db_, path_, study_id_, status);
  }

 private:
  sqlite3* db_;
  const std::string& path_;
  int64_t study_id_;
};

class SqliteStudyLog : public StudyLog {
 public:
  explicit SqliteStudyLog(const std::string& path, bool read_only = false)
      : store_(read_only ? Store::open_read_only(path) : Store::open(path)) {}

  std::string where() const override { return store_.path(); }
  std::optional<StudyRecord> study(const std::string& name) override { return store_.study(name); }
  std::vector<StudyRecord> studies(int limit) override { return store_.studies(limit); }
  int64_t ensure_study(const std::string& name, const std::string& spec_json, const std::string& kind) override {
    // Under the write lock, so of two workers racing to create it one creates and one finds it.
    sqlite::Transaction tx(StoreConnection::of(store_), store_.path());
    auto existing = store_.study(name);
    int64_t id = 0;
    if (existing) {
      if (existing->spec_json != spec_json) {
        throw StoreError("study '" + name + "' in " + where() +
                         " was created with a different definition: give the same study options as the first worker, "
                         "or none to join it as it is, or choose another --study name");
      }
      id = existing->id;
    } else {
      Stmt s(StoreConnection::of(store_), store_.path(),
             "INSERT INTO studies(name, spec_json, status, created_at_unix_s, kind) VALUES(?1, ?2, 'running', "
             "(julianday('now') - 2440587.5) * 86400.0, ?3)");
      s.text(1, name);
      s.text(2, spec_json);
      s.text(3, kind);
      s.run();
      id = sqlite3_last_insert_rowid(StoreConnection::of(store_));
    }
    tx.commit();
    return id;
  }
  void locked(int64_t study_id, const std::function<void(StudyTxn&)>& fn) override {
    sqlite::Transaction tx(StoreConnection::of(store_), store_.path());
    SqliteTxn t(StoreConnection::of(store_), store_.path(), study_id);
    fn(t);
    tx.commit();
  }
  bool heartbeat(int64_t study_id, int64_t trial_id, const std::string& worker) override {
    std::string sql = std::string("UPDATE study_claims SET heartbeat_unix_s = ") + kNowUnixS +
                      " WHERE study_id = ?1 AND trial_id = ?2 AND worker = ?3 AND state = 'running'";
    Stmt s(StoreConnection::of(store_), store_.path(), sql.c_str());
    s.integer(1, study_id);
    s.integer(2, trial_id);
    s.text(3, worker);
    s.run();
    return sqlite3_changes(StoreConnection::of(store_)) > 0;
  }
  std::vector<StoredTrial> trials(int64_t study_id) override { return store_.trials(study_id); }

 private:
  Store store_;
};

}  // namespace

std::vector<TrialEvent> StudyTxn::events() {
  std::vector<TrialEvent> out;
  for (const RawEvent& e : raw_events()) {
    TrialEvent t;
    nlohmann::json j = util::parse_or(e.payload_json, nullptr);
    if (e.kind == "ask") {
      t.kind = TrialEvent::Kind::ask;
      t.asked = asked_from_json(j);
    } else if (e.kind == "tell") {
      t.kind = TrialEvent::Kind::tell;
      t.told = trial_from_json(j);
      t.asked = t.told.record.trial;
    } else {
      throw StoreError("the study log holds an event of unknown kind '" + e.kind + "' (seq " + std::to_string(e.seq) +
                       "): was it written by a newer powertrain?");
    }
    out.push_back(std::move(t));
  }
  return out;
}

void StudyTxn::append_ask(const tune::Trial& trial) { insert_event("ask", trial.id, asked_to_json(trial).dump()); }

void StudyTxn::append_tell(const StoredTrial& trial) {
  int64_t told = 0;
  for (const RawEvent& e : raw_events()) told += e.kind == "tell" ? 1 : 0;
  const std::string text = trial_to_json(trial).dump();
  insert_event("tell", trial.record.trial.id, text);
  insert_trial(told, text, trial.record.trial_energy_j, trial.record.result.metric);
}

std::string redact_url(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  size_t at = url.find('@', scheme + 3);
  if (at == std::string::npos) return url;
  size_t colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

bool StudyLog::postgresql_available() { return postgres_log_available(); }

std::unique_ptr<StudyLog> StudyLog::open(const std::string& url) {
  if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0) return open_postgres_log(url);
  std::string path = url.rfind("sqlite:", 0) == 0 ? url.substr(7) : url;
  if (path.empty()) {
    throw StoreError("--storage: empty path: give postgresql://USER@HOST[:PORT]/DB, sqlite:FILE or a FILE path");
  }
  return std::make_unique<SqliteStudyLog>(path);
}

std::unique_ptr<StudyLog> StudyLog::open_read_only(const std::string& url) {
  if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0) return open_postgres_log(url, true);
  std::string path = url.rfind("sqlite:", 0) == 0 ? url.substr(7) : url;
  if (path.empty()) throw StoreError("--storage: empty path: give postgresql://USER@HOST[:PORT]/DB, sqlite:FILE or a FILE path");
  return std::make_unique<SqliteStudyLog>(path, true);
}

}  // namespace powertrain
