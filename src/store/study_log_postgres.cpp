// The study log in PostgreSQL (libpqxx), for studies shared by workers on many machines.
// Same tables and columns as the SQLite store's; the study lock is the study row's lock
// (SELECT ... FOR UPDATE), held for the few milliseconds a claim or a tell takes.
#include <pqxx/pqxx>

#include <cmath>

#include "store/study_log_postgres.h"
#include "util/json.h"

namespace powertrain {

namespace {

// Bumped when the tables change; a newer database refuses older binaries.
constexpr int kPostgresSchemaVersion = 1;
// Any constant: the advisory lock that serialises creating the tables.
constexpr long kSchemaLockKey = 1347900498;
constexpr const char* kNowUnixS = "EXTRACT(EPOCH FROM clock_timestamp())::double precision";

const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS powertrain_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS studies (
  id BIGSERIAL PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  spec_json TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at_unix_s DOUBLE PRECISION,
  kind TEXT NOT NULL DEFAULT 'tune',
  result_json TEXT
);
CREATE TABLE IF NOT EXISTS study_trials (
  study_id BIGINT NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
  seq BIGINT NOT NULL,
  trial_json TEXT NOT NULL,
  energy_j DOUBLE PRECISION,
  metric DOUBLE PRECISION,
  PRIMARY KEY (study_id, seq)
);
CREATE TABLE IF NOT EXISTS study_events (
  study_id BIGINT NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
  seq BIGINT NOT NULL,
  kind TEXT NOT NULL,
  trial_id BIGINT NOT NULL,
  payload_json TEXT NOT NULL,
  created_at_unix_s DOUBLE PRECISION,
  PRIMARY KEY (study_id, seq)
);
CREATE TABLE IF NOT EXISTS study_claims (
  study_id BIGINT NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
  trial_id BIGINT NOT NULL,
  worker TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  claimed_at_unix_s DOUBLE PRECISION,
  heartbeat_unix_s DOUBLE PRECISION,
  PRIMARY KEY (study_id, trial_id)
);
)sql";

// NULL for NaN, so unknown values read back as unknown (and sort like SQLite's).
std::string sql_real(double v) {
  if (!std::isfinite(v)) return "NULL";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

double field_real(const pqxx::field& f) { return f.is_null() ? NAN : f.as<double>(); }

class PostgresTxn : public StudyTxn {
 public:
  PostgresTxn(pqxx::work& w, int64_t study_id) : w_(w), study_id_(study_id) {}

  std::vector<RawEvent> raw_events() override {
    pqxx::result r = w_.exec_params(
        "SELECT seq, kind, trial_id, payload_json FROM study_events WHERE study_id = $1 ORDER BY seq", study_id_);
    std::vector<RawEvent> out;
    for (const auto& row : r) {
      out.push_back({row[0].as<int64_t>(), row[1].as<std::string>(), row[2].as<int64_t>(), row[3].as<std::string>()});
    }
    return out;
  }
  void insert_event(const std::string& kind, int64_t trial_id, const std::string& payload_json) override {
    w_.exec_params(std::string("INSERT INTO study_events(study_id, seq, kind, trial_id, payload_json, created_at_unix_s) "
                               "VALUES($1, (SELECT COALESCE(MAX(seq), -1) + 1 FROM study_events WHERE study_id = $1), $2, "
                               "$3, $4, ") + kNowUnixS + ")",
                   study_id_, kind, trial_id, payload_json);
  }
  std::vector<TrialClaim> claims() override {
    pqxx::result r = w_.exec_params(std::string("SELECT trial_id, worker, state, attempts, ") + kNowUnixS +
                                        " - heartbeat_unix_s FROM study_claims WHERE study_id = $1 ORDER BY trial_id",
                                    study_id_);
    std::vector<TrialClaim> out;
    for (const auto& row : r) {
      out.push_back({row[0].as<int64_t>(), row[1].as<std::string>(),
                     claim_state_from_name(row[2].as<std::string>()).value_or(ClaimState::failed), row[3].as<int>(),
                     field_real(row[4])});
    }
    return out;
  }
  void claim(int64_t trial_id, const std::string& worker) override {
    w_.exec_params(std::string("INSERT INTO study_claims(study_id, trial_id, worker, state, attempts, claimed_at_unix_s, "
                               "heartbeat_unix_s) VALUES($1, $2, $3, 'running', 1, ") +
                       kNowUnixS + ", " + kNowUnixS +
                       ") ON CONFLICT (study_id, trial_id) DO UPDATE SET worker = EXCLUDED.worker, state = 'running', "
                       "attempts = study_claims.attempts + 1, claimed_at_unix_s = EXCLUDED.claimed_at_unix_s, "
                       "heartbeat_unix_s = EXCLUDED.heartbeat_unix_s",
                   study_id_, trial_id, worker);
  }
  void set_claim_state(int64_t trial_id, ClaimState state) override {
    w_.exec_params("UPDATE study_claims SET state = $3 WHERE study_id = $1 AND trial_id = $2", study_id_, trial_id,
                   std::string(claim_state_name(state)));
  }
  void insert_trial(int64_t seq, const std::string& trial_json, double energy_j, double metric) override {
    w_.exec_params("INSERT INTO study_trials(study_id, seq, trial_json, energy_j, metric) VALUES($1, $2, $3, " +
                       sql_real(energy_j) + ", " + sql_real(metric) + ")",
                   study_id_, seq, trial_json);
  }
  void set_status(StudyStatus status) override {
    w_.exec_params("UPDATE studies SET status = $1 WHERE id = $2", std::string(study_status_name(status)), study_id_);
  }

 private:
  pqxx::work& w_;
  int64_t study_id_;
};

constexpr const char* kStudySelect =
    "SELECT id, name, spec_json, status, kind, COALESCE(result_json, ''), created_at_unix_s FROM studies";

// Reads a row of kStudySelect.
StudyRecord read_study(const pqxx::row& row) {
  StudyRecord s;
  s.id = row[0].as<int64_t>();
  s.name = row[1].as<std::string>();
  s.spec_json = row[2].as<std::string>();
  s.status = study_status_from_name(row[3].as<std::string>()).value_or(StudyStatus::failed);
  s.kind = row[4].as<std::string>();
  s.result_json = row[5].as<std::string>();
  s.created_at_unix_s = field_real(row[6]);
  return s;
}

class PostgresStudyLog : public StudyLog {
 public:
  PostgresStudyLog(const std::string& url, bool read_only) : url_(url) {
    try {
      conn_ = std::make_unique<pqxx::connection>(url);
    } catch (const std::exception& e) {
      throw StoreError("cannot connect to " + where() + ": " + trim(e.what()) +
                       ": check that the server runs and the URL (postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE)");
    }
    if (read_only) {
      guard("open the study tables for reading", [&] {
        conn_->set_variable("default_transaction_read_only", "on");
        pqxx::work w(*conn_);
        pqxx::result t = w.exec("SELECT to_regclass('powertrain_meta') IS NOT NULL AND to_regclass('studies') IS NOT NULL");
        if (!t[0][0].as<bool>()) {
          throw StoreError(where() + " holds no powertrain studies: start 'powertrain worker --storage URL' first");
        }
        w.commit();
      });
      return;
    }
    guard("create the study tables", [&] {
      pqxx::work w(*conn_);
      w.exec_params("SELECT pg_advisory_xact_lock($1)", kSchemaLockKey);
      w.exec(kSchema);
      pqxx::result v = w.exec("SELECT value FROM powertrain_meta WHERE key = 'schema_version'");
      if (v.empty()) {
        w.exec_params("INSERT INTO powertrain_meta(key, value) VALUES('schema_version', $1)",
                      std::to_string(kPostgresSchemaVersion));
      } else if (std::stoi(v[0][0].as<std::string>()) > kPostgresSchemaVersion) {
        throw StoreError(where() + " holds powertrain tables of schema version " + v[0][0].as<std::string>() +
                         ", newer than this powertrain's " + std::to_string(kPostgresSchemaVersion) +
                         ": upgrade powertrain on this machine");
      }
      w.commit();
    });
  }

  std::string where() const override { return redact_url(url_); }

  std::optional<StudyRecord> study(const std::string& name) override {
    std::optional<StudyRecord> out;
    guard("read study " + name, [&] {
      pqxx::work w(*conn_);
      pqxx::result r = w.exec_params(std::string(kStudySelect) + " WHERE name = $1", name);
      if (!r.empty()) out = read_study(r[0]);
      w.commit();
    });
    return out;
  }

  std::vector<StudyRecord> studies(int limit) override {
    std::vector<StudyRecord> out;
    guard("list the studies", [&] {
      pqxx::work w(*conn_);
      for (const auto& row : w.exec_params(std::string(kStudySelect) + " ORDER BY id DESC LIMIT $1", limit)) {
        out.push_back(read_study(row));
      }
      w.commit();
    });
    return out;
  }

  int64_t ensure_study(const std::string& name, const std::string& spec_json, const std::string& kind) override {
    int64_t id = 0;
    guard("create study " + name, [&] {
      pqxx::work w(*conn_);
      // ON CONFLICT DO NOTHING: of several workers creating it at once, one inserts.
      w.exec_params(std::string("INSERT INTO studies(name, spec_json, status, created_at_unix_s, kind) VALUES($1, $2, "
                                "'running', ") + kNowUnixS + ", $3) ON CONFLICT (name) DO NOTHING",
                    name, spec_json, kind);
      pqxx::result r = w.exec_params("SELECT id, spec_json FROM studies WHERE name = $1", name);
      if (r[0][1].as<std::string>() != spec_json) {
        throw StoreError("study '" + name + "' in " + where() +
                         " was created with a different definition: give the same study options as the first worker, "
                         "or none to join it as it is, or choose another --study name");
      }
      id = r[0][0].as<int64_t>();
      w.commit();
    });
    return id;
  }

  void locked(int64_t study_id, const std::function<void(StudyTxn&)>& fn) override {
    guard("update the study", [&] {
      pqxx::work w(*conn_);
      pqxx::result r = w.exec_params("SELECT id FROM studies WHERE id = $1 FOR UPDATE", study_id);
      if (r.empty()) throw StoreError("study " + std::to_string(study_id) + " is gone from " + where());
      PostgresTxn t(w, study_id);
      fn(t);
      w.commit();
    });
  }

  bool heartbeat(int64_t study_id, int64_t trial_id, const std::string& worker) override {
    bool mine = false;
    guard("send a heartbeat", [&] {
      pqxx::work w(*conn_);
      pqxx::result r = w.exec_params(std::string("UPDATE study_claims SET heartbeat_unix_s = ") + kNowUnixS +
                                         " WHERE study_id = $1 AND trial_id = $2 AND worker = $3 AND state = 'running'",
                                     study_id, trial_id, worker);
      mine = r.affected_rows() > 0;
      w.commit();
    });
    return mine;
  }

  std::vector<StoredTrial> trials(int64_t study_id) override {
    std::vector<StoredTrial> out;
    guard("read the study's trials", [&] {
      pqxx::work w(*conn_);
      for (const auto& row : w.exec_params("SELECT trial_json FROM study_trials WHERE study_id = $1 ORDER BY seq", study_id)) {
        out.push_back(trial_from_json(util::parse_or(row[0].as<std::string>(), nullptr)));
      }
      w.commit();
    });
    return out;
  }

 private:
  static std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }
  // Runs fn, turning database errors into StoreErrors that say what failed where.
  // Errors thrown by fn itself (StoreError, or the caller's) pass through unchanged.
  void guard(const std::string& action, const std::function<void()>& fn) {
    try {
      fn();
    } catch (const pqxx::broken_connection& e) {
      throw StoreError("cannot " + action + " in " + where() + ": the connection was lost (" + trim(e.what()) +
                       "): check the server and retry");
    } catch (const pqxx::sql_error& e) {
      throw StoreError("cannot " + action + " in " + where() + ": " + trim(e.what()));
    }
  }

  std::string url_;
  std::unique_ptr<pqxx::connection> conn_;
};

}  // namespace

}  // namespace powertrain

// The module's one entry point, found by the loader (study_log_postgres_module.cpp) with
// dlsym. Everything else in the module is hidden, its copy of the store's code included.
extern "C" __attribute__((visibility("default"))) powertrain::StudyLog* powertrain_open_postgres_log(const std::string* url,
                                                                                                     bool read_only) {
  return new powertrain::PostgresStudyLog(*url, read_only);
}
