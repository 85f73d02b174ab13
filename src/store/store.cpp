// The run store: an SQLite file in WAL mode, written in one transaction per run event
// (begin, finish) and migrated forward on open. NaN doubles are stored as NULL.
#include "powertrain/store/store.h"

#include "store/sqlite.h"
#include "store/study_rows.h"
#include "powertrain/store/trial_log.h"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <utility>

namespace powertrain {

namespace {
template <typename E, size_t N>
std::optional<E> enum_from_name(const std::string& name, const E (&all)[N], const char* (*name_of)(E)) {
  for (E e : all) {
    if (name == name_of(e)) return e;
  }
  return std::nullopt;
}
constexpr RunStatus kRunStatuses[] = {RunStatus::running,  RunStatus::completed,   RunStatus::early_stopped, RunStatus::target_reached,
                                      RunStatus::diverged, RunStatus::interrupted, RunStatus::failed};
constexpr StudyStatus kStudyStatuses[] = {StudyStatus::running, StudyStatus::finished, StudyStatus::failed, StudyStatus::interrupted};
constexpr ClaimState kClaimStates[] = {ClaimState::running, ClaimState::done, ClaimState::failed};
}  // namespace

const char* run_status_name(RunStatus s) {
  switch (s) {
    case RunStatus::running: return "running";
    case RunStatus::completed: return "completed";
    case RunStatus::early_stopped: return "early_stopped";
    case RunStatus::target_reached: return "target_reached";
    case RunStatus::diverged: return "diverged";
    case RunStatus::interrupted: return "interrupted";
    case RunStatus::failed: return "failed";
  }
  return "failed";
}

std::optional<RunStatus> run_status_from_name(const std::string& name) { return enum_from_name(name, kRunStatuses, run_status_name); }

const std::vector<RunStatus>& run_statuses() {
  static const std::vector<RunStatus> all(std::begin(kRunStatuses), std::end(kRunStatuses));
  return all;
}

const char* study_status_name(StudyStatus s) {
  switch (s) {
    case StudyStatus::running: return "running";
    case StudyStatus::finished: return "finished";
    case StudyStatus::failed: return "failed";
    case StudyStatus::interrupted: return "interrupted";
  }
  return "failed";
}

std::optional<StudyStatus> study_status_from_name(const std::string& name) {
  return enum_from_name(name, kStudyStatuses, study_status_name);
}

const char* claim_state_name(ClaimState s) {
  switch (s) {
    case ClaimState::running: return "running";
    case ClaimState::done: return "done";
    case ClaimState::failed: return "failed";
  }
  return "failed";
}

std::optional<ClaimState> claim_state_from_name(const std::string& name) { return enum_from_name(name, kClaimStates, claim_state_name); }

namespace {

using sqlite::exec;
using sqlite::fail;
using sqlite::ReadSnapshot;
using sqlite::Stmt;
using sqlite::Transaction;

// Stamped into the SQLite header (PRAGMA application_id) so that a powertrain store
// can be told apart from another program's SQLite file: "PWTR".
constexpr int kApplicationId = 0x50575452;

// kMigrations[i] brings the schema from version i to version i + 1. Each runs in its own
// transaction together with the user_version bump. Never edit a released migration:
// append a new one.
const char* const kMigrations[] = {
    // 1: the initial schema. Energies in J, powers in W, times in s.
    R"sql(
PRAGMA application_id = 1347900498;
CREATE TABLE hosts (
  id INTEGER PRIMARY KEY,
  hostname TEXT NOT NULL,
  os TEXT NOT NULL,
  kernel TEXT NOT NULL,
  cpu_model TEXT NOT NULL,
  cpu_cores INTEGER NOT NULL,
  memory_gib REAL,
  UNIQUE (hostname, kernel, cpu_model)
);
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  command TEXT NOT NULL,
  host_id INTEGER REFERENCES hosts(id) ON DELETE SET NULL,
  started_at_unix_s REAL,
  duration_s REAL,
  status TEXT NOT NULL,
  exit_code INTEGER,
  energy_j REAL,
  energy_uncertainty_j REAL,
  energy_provenance TEXT NOT NULL,
  grid TEXT NOT NULL,
  carbon_intensity_g_per_kwh REAL,
  pue REAL,
  co2e_g REAL,
  meta_json TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX runs_host_id ON runs(host_id);
CREATE TABLE devices (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  component TEXT NOT NULL,
  source TEXT NOT NULL,
  description TEXT NOT NULL,
  working INTEGER NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX devices_run_id ON devices(run_id);
CREATE TABLE windows (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  parent_id INTEGER REFERENCES windows(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  start_unix_s REAL,
  start_s REAL,
  duration_s REAL
);
CREATE INDEX windows_run_id ON windows(run_id);
CREATE INDEX windows_parent_id ON windows(parent_id);
CREATE TABLE window_components (
  window_id INTEGER NOT NULL REFERENCES windows(id) ON DELETE CASCADE,
  component TEXT NOT NULL,
  kind TEXT NOT NULL,
  source TEXT NOT NULL,
  energy_j REAL,
  uncertainty_j REAL,
  avg_power_w REAL,
  peak_power_w REAL,
  idle_power_w REAL,
  static_energy_j REAL,
  dynamic_energy_j REAL,
  samples INTEGER NOT NULL,
  provenance TEXT NOT NULL,
  note TEXT NOT NULL
);
CREATE INDEX window_components_window_id ON window_components(window_id);
CREATE TABLE samples (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  t_s REAL,
  component TEXT NOT NULL,
  power_w REAL
);
CREATE INDEX samples_run_id ON samples(run_id, t_s);
)sql",
    // 1 -> 2: training runs record every epoch as it ends.
    R"sql(
CREATE TABLE epochs (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  epoch INTEGER NOT NULL,
  train_loss REAL,
  val_loss REAL,
  val_metric REAL,
  lr REAL,
  duration_s REAL,
  energy_j REAL,
  energy_uncertainty_j REAL,
  energy_provenance TEXT NOT NULL,
  avg_power_w REAL,
  samples_per_s REAL,
  loss_scale REAL,
  skipped_steps INTEGER NOT NULL DEFAULT 0,
  metrics_json TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY (run_id, epoch)
);
)sql",
    // 2 -> 3: hyperparameter studies and their trials, one row per finished trial.
    R"sql(
CREATE TABLE studies (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  spec_json TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at_unix_s REAL
);
CREATE TABLE study_trials (
  study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  trial_json TEXT NOT NULL,
  energy_j REAL,
  metric REAL,
  PRIMARY KEY (study_id, seq)
);
)sql",
    // 3 -> 4: study kinds and results (research studies), and the shared log of parallel
    // workers: ask/tell events in order, and claims with heartbeats.
    R"sql(
ALTER TABLE studies ADD COLUMN kind TEXT NOT NULL DEFAULT 'tune';
ALTER TABLE studies ADD COLUMN result_json TEXT;
CREATE TABLE study_events (
  study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL,
  trial_id INTEGER NOT NULL,
  payload_json TEXT NOT NULL,
  created_at_unix_s REAL,
  PRIMARY KEY (study_id, seq)
);
CREATE TABLE study_claims (
  study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
  trial_id INTEGER NOT NULL,
  worker TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  claimed_at_unix_s REAL,
  heartbeat_unix_s REAL,
  PRIMARY KEY (study_id, trial_id)
);
)sql",
};

constexpr int kSchemaVersion = static_cast<int>(sizeof(kMigrations) / sizeof(kMigrations[0]));
static_assert(kApplicationId == 1347900498, "migration 1 stamps this application_id");

int pragma_int(sqlite3* db, const std::string& path, const char* sql) {
  Stmt s(db, path, sql);
  return s.step() ? static_cast<int>(s.col_int(0)) : 0;
}


ComponentKind parse_component_kind(const std::string& s) {
  for (ComponentKind k : {ComponentKind::gpu, ComponentKind::cpu_package, ComponentKind::dram,
                          ComponentKind::cpu_estimate, ComponentKind::other}) {
    if (s == component_kind_name(k)) return k;
  }
  return ComponentKind::other;
}

std::string parent_dir(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Throws unless a new file can be created at `path` (its directory exists and is writable).
void check_can_create(const std::string& path) {
  std::string dir = parent_dir(path);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOENT) {
      throw StoreError("cannot create powertrain store " + path + ": directory " + dir +
                       " does not exist (" + std::strerror(err) + "): create the directory or pass --db PATH");
    }
    throw StoreError("cannot create powertrain store " + path + ": directory " + dir + ": " +
                     std::strerror(err) + ": create the directory or pass --db PATH");
  }
  if (!S_ISDIR(st.st_mode)) {
    throw StoreError("cannot create powertrain store " + path + ": " + dir + " is not a directory (" +
                     std::strerror(ENOTDIR) + "): create the directory or pass --db PATH");
  }
  if (::faccessat(AT_FDCWD, dir.c_str(), W_OK | X_OK, AT_EACCESS) != 0) {
    int err = errno;
    throw StoreError("cannot create powertrain store " + path + ": directory " + dir + " is not writable (" +
                     std::strerror(err) + "): choose a writable directory or pass --db PATH");
  }
}

// Refuses SQLite files of other programs and stores written by a newer powertrain.
void check_is_powertrain_store(sqlite3* db, const std::string& path) {
  ReadSnapshot snapshot(db, path);  // another process may be creating the schema right now
  int app_id = pragma_int(db, path, "PRAGMA application_id");  // reads the header: NOTADB here
  int version = pragma_int(db, path, "PRAGMA user_version");
  if (app_id != 0 && app_id != kApplicationId) {
    throw StoreError(path + " is not a powertrain store (an SQLite database of another program): choose another --db path");
  }
  if (version > kSchemaVersion) {
    throw StoreError(path + " has schema version " + std::to_string(version) + " but this powertrain reads up to " +
                     std::to_string(kSchemaVersion) + ": upgrade powertrain to open it");
  }
  if (version < 0) {  // no powertrain writes one; migrating would index kMigrations[version]
    throw StoreError(path + " has schema version " + std::to_string(version) +
                     ", which no powertrain writes (the file is damaged or was changed by another program): "
                     "restore it from a backup or pass --db PATH naming another store");
  }
  if (app_id == 0) {
    int tables = pragma_int(db, path, "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'");
    if (version != 0 || tables != 0) {
      throw StoreError(path + " is not a powertrain store (an SQLite database of another program): choose another --db path");
    }
  }
}

// Applies the missing migrations, each in one transaction. The version is re-read under
// the write lock, so two processes opening a new file at once migrate it only once.
void migrate(sqlite3* db, const std::string& path) {
  while (pragma_int(db, path, "PRAGMA user_version") < kSchemaVersion) {
    Transaction tx(db, path);
    int version = pragma_int(db, path, "PRAGMA user_version");
    if (version >= kSchemaVersion) break;  // another process did it; tx rolls back
    if (version < 0) throw StoreError(path + " has schema version " + std::to_string(version) + ", which no powertrain writes");
    std::string action = "migrate the schema to version " + std::to_string(version + 1);
    exec(db, path, kMigrations[version], action);
    std::string bump = "PRAGMA user_version = " + std::to_string(version + 1);
    exec(db, path, bump.c_str(), action);
    tx.commit();
  }
}

// Switches to WAL. That needs an exclusive lock, which SQLite does not wait for through
// the busy handler (another process opening the same file at once gets SQLITE_BUSY at
// once), so this retries for up to 5 s like busy_timeout.
void enable_wal(sqlite3* db, const std::string& path) {
  for (int waited_ms = 0;; waited_ms += 10) {
    int rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return;
    if (((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) || waited_ms >= 5000) {
      fail(db, path, "switch to WAL mode", rc);
    }
    sqlite3_sleep(10);
  }
}

void remove_new_files(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((path + suffix).c_str());
}

constexpr const char* kRunColumns =
    "kind, name, command, started_at_unix_s, duration_s, status, exit_code, energy_j, energy_uncertainty_j, "
    "energy_provenance, grid, carbon_intensity_g_per_kwh, pue, co2e_g, meta_json";

// Binds the 15 run columns of kRunColumns at parameters 1..15.
void bind_run(Stmt& s, const RunRecord& r) {
  s.text(1, r.kind);
  s.text(2, r.name);
  s.text(3, r.command);
  s.real(4, r.started_at_unix_s);
  s.real(5, r.duration_s);
  s.text(6, run_status_name(r.status));
  if (r.exit_code) s.integer(7, *r.exit_code); else s.null(7);
  s.real(8, r.energy_j);
  s.real(9, r.energy_uncertainty_j);
  s.text(10, provenance_name(r.energy_provenance));
  s.text(11, r.grid);
  s.real(12, r.carbon_intensity_g_per_kwh);
  s.real(13, r.pue);
  s.real(14, r.co2e_g);
  s.text(15, run_details_to_json(r.details).dump());
}

// Reads a row of "SELECT id, <kRunColumns>".
RunRecord read_run(const Stmt& s) {
  RunRecord r;
  r.id = s.col_int(0);
  r.kind = s.col_text(1);
  r.name = s.col_text(2);
  r.command = s.col_text(3);
  r.started_at_unix_s = s.col_real(4);
  r.duration_s = s.col_real(5);
  r.status = run_status_from_name(s.col_text(6)).value_or(RunStatus::failed);
  r.exit_code = s.is_null(7) ? std::nullopt : std::optional<int>(static_cast<int>(s.col_int(7)));
  r.energy_j = s.col_real(8);
  r.energy_uncertainty_j = s.col_real(9);
  r.energy_provenance = provenance_from_name(s.col_text(10));
  r.grid = s.col_text(11);
  r.carbon_intensity_g_per_kwh = s.col_real(12);
  r.pue = s.col_real(13);
  r.co2e_g = s.col_real(14);
  r.details = run_details_from_json(nlohmann::json::parse(s.col_text(15), nullptr, false));
  return r;
}

// Inserts a run's samples (inside the caller's transaction).
void insert_samples(sqlite3* db, const std::string& path, int64_t run_id, const std::vector<PowerSample>& samples) {
  Stmt insert(db, path, "INSERT INTO samples(run_id, t_s, component, power_w) VALUES(?1, ?2, ?3, ?4)");
  for (const PowerSample& s : samples) {
    insert.integer(1, run_id);
    insert.real(2, s.t_s);
    insert.text(3, s.component);
    insert.real(4, s.power_w);
    insert.run();
  }
}

}  // namespace

Store Store::open(const std::string& path) {
  if (path.empty()) throw StoreError("the store path is empty: pass --db PATH");
  const bool in_memory = path == ":memory:";
  bool created = false;  // this call made the file, so a failure removes it again
  if (!in_memory) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
      if (S_ISDIR(st.st_mode)) {
        throw StoreError(path + " is a directory, not a powertrain store: pass --db PATH naming a file");
      }
      if (::faccessat(AT_FDCWD, path.c_str(), R_OK | W_OK, AT_EACCESS) != 0) {
        int err = errno;
        throw StoreError("cannot open powertrain store " + path + ": the file is read-only for this user (" +
                         std::strerror(err) + "): make it writable or pass --db PATH");
      }
    } else if (errno == ENOENT) {
      check_can_create(path);
      // O_EXCL tells a file made here from one another process made a moment ago (never
      // removed). SQLite treats the empty file as a new database.
      int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd >= 0) {
        created = true;
        ::close(fd);
      } else if (errno != EEXIST) {
        int err = errno;
        throw StoreError("cannot create powertrain store " + path + ": " + std::strerror(err) +
                         ": choose a writable directory or pass --db PATH");
      }
    } else {
      int err = errno;
      throw StoreError("cannot open powertrain store " + path + ": " + std::strerror(err) +
                       ": check the path and its permissions or pass --db PATH");
    }
  }

  Store store;
  store.path_ = path;
  try {
    int rc = sqlite3_open_v2(path.c_str(), &store.db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    if (rc != SQLITE_OK) fail(store.db_, path, "open the store", rc);
    sqlite3_busy_timeout(store.db_, 5000);
    if (sqlite3_db_readonly(store.db_, "main") == 1) fail(store.db_, path, "open the store", SQLITE_READONLY);
    // Inspect before changing anything, so a foreign or newer file stays as it was.
    check_is_powertrain_store(store.db_, path);
    enable_wal(store.db_, path);
    exec(store.db_, path, "PRAGMA synchronous=NORMAL", "set synchronous mode");
    exec(store.db_, path, "PRAGMA foreign_keys=ON", "enable foreign keys");
    migrate(store.db_, path);
  } catch (...) {
    sqlite3_close_v2(store.db_);
    store.db_ = nullptr;
    if (created) remove_new_files(path);
    throw;
  }
  store.created_ = created;
  return store;
}

bool Store::remove_if_unused(const std::string& path) {
  try {
    bool unused = false;
    {
      Store store = open_read_only(path);
      sqlite::Stmt q(store.db_, path, "SELECT (SELECT count(*) FROM runs) + (SELECT count(*) FROM studies)");
      unused = q.step() && q.col_int(0) == 0;
    }
    if (unused) remove_new_files(path);
    return unused;
  } catch (const std::exception&) {
    return false;
  }
}

namespace {
// Throws StoreError unless `path` names an existing file (not a directory).
void require_existing_file(const std::string& path) {
  if (path.empty() || path == ":memory:") throw StoreError("the store path is empty: pass --db PATH");
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOENT) {
      throw StoreError("no powertrain store at " + path +
                       ": train or measure something first (that creates it), or pass --db PATH naming an existing store");
    }
    throw StoreError("cannot open powertrain store " + path + ": " + std::strerror(err) + ": check the path and its permissions");
  }
  if (S_ISDIR(st.st_mode)) throw StoreError(path + " is a directory, not a powertrain store: pass --db PATH naming a file");
}

// A WAL store is read through its -shm file, which SQLite makes beside it. In a directory
// this user cannot write (a colleague's or a shared results store), with no -wal or -shm
// file there (so every write is in the main file), it cannot: such a store is read as
// immutable (no locks, no -shm), which shows exactly what the file holds.
bool read_as_immutable(const std::string& path) {
  std::filesystem::path p(path);
  const std::string dir = p.has_parent_path() ? p.parent_path().string() : ".";
  struct stat st {};
  return ::access(dir.c_str(), W_OK) != 0 && ::stat((path + "-wal").c_str(), &st) != 0 &&
         ::stat((path + "-shm").c_str(), &st) != 0;
}

// "file:" URI of `path` with immutable=1; %, ? and # are escaped.
std::string immutable_uri(const std::string& path) {
  std::string uri = "file:";
  for (char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", static_cast<unsigned char>(c));
      uri += hex;
    } else {
      uri += c;
    }
  }
  return uri + "?immutable=1";
}
}  // namespace

Store Store::open_existing(const std::string& path) {
  require_existing_file(path);
  return open(path);
}

Store Store::open_for_reading(const std::string& path) {
  require_existing_file(path);
  int version = kSchemaVersion;
  {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
      sqlite3_busy_timeout(db, 5000);
      try {
        version = pragma_int(db, path, "PRAGMA user_version");
      } catch (const StoreError&) {
        // open_read_only() below says what is wrong with the file
      }
    }
    sqlite3_close_v2(db);
  }
  return version >= 0 && version < kSchemaVersion ? open_existing(path) : open_read_only(path);
}

Store Store::open_read_only(const std::string& path) {
  require_existing_file(path);
  Store store;
  store.path_ = path;
  try {
    int rc = read_as_immutable(path)
                 ? sqlite3_open_v2(immutable_uri(path).c_str(), &store.db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr)
                 : sqlite3_open_v2(path.c_str(), &store.db_, SQLITE_OPEN_READONLY, nullptr);
    if (rc != SQLITE_OK) fail(store.db_, path, "open the store for reading", rc);
    sqlite3_busy_timeout(store.db_, 5000);
    exec(store.db_, path, "PRAGMA query_only=1", "make the connection read-only");
    check_is_powertrain_store(store.db_, path);
    int version = pragma_int(store.db_, path, "PRAGMA user_version");
    if (version != kSchemaVersion) {
      throw StoreError(path + " has schema version " + std::to_string(version) + ", this powertrain reads version " +
                       std::to_string(kSchemaVersion) + ": run 'powertrain report --db " + path +
                       "' once (it migrates the store), then open it again");
    }
  } catch (...) {
    sqlite3_close_v2(store.db_);
    store.db_ = nullptr;
    throw;
  }
  return store;
}

Store::~Store() {
  if (db_) sqlite3_close_v2(db_);
}

Store::Store(Store&& other) noexcept : db_(other.db_), path_(std::move(other.path_)), created_(other.created_) {
  other.db_ = nullptr;
}

Store& Store::operator=(Store&& other) noexcept {
  if (this != &other) {
    if (db_) sqlite3_close_v2(db_);
    db_ = other.db_;
    path_ = std::move(other.path_);
    created_ = other.created_;
    other.db_ = nullptr;
  }
  return *this;
}

int Store::current_schema_version() { return kSchemaVersion; }

static void require_open(sqlite3* db) {
  if (!db) throw StoreError("the store is closed (moved from): open it again with Store::open");
}

int Store::schema_version() const {
  require_open(db_);
  return pragma_int(db_, path_, "PRAGMA user_version");
}

int64_t Store::begin_run(const RunRecord& run, const HostInfo& host, const std::vector<SensorInfo>& sensors) {
  require_open(db_);
  Transaction tx(db_, path_);

  // A host is one row per (hostname, kernel, cpu_model); its other facts are refreshed.
  Stmt upsert(db_, path_,
              "INSERT INTO hosts(hostname, os, kernel, cpu_model, cpu_cores, memory_gib) VALUES(?1, ?2, ?3, ?4, ?5, ?6) "
              "ON CONFLICT(hostname, kernel, cpu_model) DO UPDATE SET os = excluded.os, "
              "cpu_cores = excluded.cpu_cores, memory_gib = excluded.memory_gib");
  upsert.text(1, host.hostname);
  upsert.text(2, host.os);
  upsert.text(3, host.kernel);
  upsert.text(4, host.cpu_model);
  upsert.integer(5, host.cpu_cores);
  upsert.real(6, host.memory_gib);
  upsert.run();
  Stmt host_id(db_, path_, "SELECT id FROM hosts WHERE hostname = ?1 AND kernel = ?2 AND cpu_model = ?3");
  host_id.text(1, host.hostname);
  host_id.text(2, host.kernel);
  host_id.text(3, host.cpu_model);
  if (!host_id.step()) throw StoreError("cannot record the host in " + path_ + ": the host row vanished");
  const int64_t host_row = host_id.col_int(0);

  std::string sql = std::string("INSERT INTO runs(") + kRunColumns +
                    ", host_id) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)";
  Stmt insert(db_, path_, sql.c_str());
  bind_run(insert, run);
  insert.integer(16, host_row);
  insert.run();
  const int64_t run_id = sqlite3_last_insert_rowid(db_);

  Stmt device(db_, path_,
              "INSERT INTO devices(run_id, component, source, description, working, detail) "
              "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
  for (const SensorInfo& s : sensors) {
    device.integer(1, run_id);
    device.text(2, s.component);
    device.text(3, s.source);
    device.text(4, s.description);
    device.integer(5, s.working ? 1 : 0);
    device.text(6, s.detail);
    device.run();
  }
  tx.commit();
  return run_id;
}

void Store::finish_run(int64_t run_id, const RunRecord& run, const std::vector<Measurement>& windows,
                       const std::vector<PowerSample>& samples) {
  require_open(db_);
  Transaction tx(db_, path_);

  std::string sql = std::string("UPDATE runs SET (") + kRunColumns +
                    ") = (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) WHERE id = ?16";
  Stmt update(db_, path_, sql.c_str());
  bind_run(update, run);
  update.integer(16, run_id);
  update.run();
  if (sqlite3_changes(db_) == 0) {
    throw StoreError("cannot finish run " + std::to_string(run_id) + " in " + path_ +
                     ": no such run: pass the id returned by begin_run");
  }

  // Finishing a run twice replaces what the first call wrote.
  Stmt clear_windows(db_, path_, "DELETE FROM windows WHERE run_id = ?1");
  clear_windows.integer(1, run_id);
  clear_windows.run();
  Stmt clear_samples(db_, path_, "DELETE FROM samples WHERE run_id = ?1");
  clear_samples.integer(1, run_id);
  clear_samples.run();

  // Windows arrive in the order they ended (children before parents). A parent always
  // has a smaller meter id than its children, so inserting by meter id resolves parents;
  // any parent not yet inserted is linked afterwards, and one never given stays NULL.
  std::vector<size_t> order(windows.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return windows[a].id < windows[b].id; });

  Stmt insert_window(db_, path_,
                     "INSERT INTO windows(run_id, parent_id, name, start_unix_s, start_s, duration_s) "
                     "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
  Stmt insert_component(db_, path_,
                        "INSERT INTO window_components(window_id, component, kind, source, energy_j, uncertainty_j, "
                        "avg_power_w, peak_power_w, idle_power_w, static_energy_j, dynamic_energy_j, samples, "
                        "provenance, note) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
  std::map<int, int64_t> row_of_meter_id;
  std::vector<std::pair<int64_t, int>> unresolved;  // (window row, parent meter id)
  for (size_t i : order) {
    const Measurement& w = windows[i];
    if (row_of_meter_id.count(w.id)) {
      throw StoreError("cannot finish run " + std::to_string(run_id) + " in " + path_ + ": window id " +
                       std::to_string(w.id) + " appears twice: pass each ended window once");
    }
    insert_window.integer(1, run_id);
    auto parent = row_of_meter_id.find(w.parent_id);
    if (w.parent_id >= 0 && parent != row_of_meter_id.end()) insert_window.integer(2, parent->second);
    else insert_window.null(2);
    insert_window.text(3, w.name);
    insert_window.real(4, w.start_unix_s);
    insert_window.real(5, w.start_s);
    insert_window.real(6, w.duration_s);
    insert_window.run();
    const int64_t row = sqlite3_last_insert_rowid(db_);
    row_of_meter_id[w.id] = row;
    if (w.parent_id >= 0 && parent == row_of_meter_id.end()) unresolved.emplace_back(row, w.parent_id);

    for (const ComponentMeasurement& c : w.components) {
      insert_component.integer(1, row);
      insert_component.text(2, c.component);
      insert_component.text(3, component_kind_name(c.kind));
      insert_component.text(4, c.source);
      insert_component.real(5, c.energy_j);
      insert_component.real(6, c.uncertainty_j);
      insert_component.real(7, c.avg_power_w);
      insert_component.real(8, c.peak_power_w);
      insert_component.real(9, c.idle_power_w);
      insert_component.real(10, c.static_energy_j);
      insert_component.real(11, c.dynamic_energy_j);
      insert_component.integer(12, c.samples);
      insert_component.text(13, provenance_name(c.provenance));
      insert_component.text(14, c.note);
      insert_component.run();
    }
  }
  if (!unresolved.empty()) {
    Stmt link(db_, path_, "UPDATE windows SET parent_id = ?1 WHERE id = ?2");
    for (const auto& [row, parent_meter_id] : unresolved) {
      auto parent = row_of_meter_id.find(parent_meter_id);
      if (parent == row_of_meter_id.end()) continue;
      link.integer(1, parent->second);
      link.integer(2, row);
      link.run();
    }
  }

  insert_samples(db_, path_, run_id, samples);
  tx.commit();
}

void Store::append_samples(int64_t run_id, const std::vector<PowerSample>& samples) {
  require_open(db_);
  if (samples.empty()) return;
  Transaction tx(db_, path_);
  insert_samples(db_, path_, run_id, samples);
  tx.commit();
}

void Store::record_epoch(int64_t run_id, const EpochRecord& e) {
  require_open(db_);
  Transaction tx(db_, path_);
  Stmt s(db_, path_,
         "INSERT OR REPLACE INTO epochs(run_id, epoch, train_loss, val_loss, val_metric, lr, duration_s, energy_j, "
         "energy_uncertainty_j, energy_provenance, avg_power_w, samples_per_s, loss_scale, skipped_steps, metrics_json) "
         "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)");
  s.integer(1, run_id);
  s.integer(2, e.epoch);
  s.real(3, e.train_loss);
  s.real(4, e.val_loss);
  s.real(5, e.val_metric);
  s.real(6, e.lr);
  s.real(7, e.duration_s);
  s.real(8, e.energy_j);
  s.real(9, e.energy_uncertainty_j);
  s.text(10, provenance_name(e.energy_provenance));
  s.real(11, e.avg_power_w);
  s.real(12, e.samples_per_s);
  s.real(13, e.loss_scale);
  s.integer(14, e.skipped_steps);
  s.text(15, epoch_metrics_to_json(e.diverged, e.metrics).dump());
  s.run();
  tx.commit();
}

std::vector<EpochRecord> Store::epochs(int64_t run_id) const {
  require_open(db_);
  Stmt s(db_, path_,
         "SELECT epoch, train_loss, val_loss, val_metric, lr, duration_s, energy_j, energy_uncertainty_j, "
         "energy_provenance, avg_power_w, samples_per_s, loss_scale, skipped_steps, metrics_json "
         "FROM epochs WHERE run_id = ?1 ORDER BY epoch");
  s.integer(1, run_id);
  std::vector<EpochRecord> out;
  while (s.step()) {
    EpochRecord e;
    e.epoch = static_cast<int>(s.col_int(0));
    e.train_loss = s.col_real(1);
    e.val_loss = s.col_real(2);
    e.val_metric = s.col_real(3);
    e.lr = s.col_real(4);
    e.duration_s = s.col_real(5);
    e.energy_j = s.col_real(6);
    e.energy_uncertainty_j = s.col_real(7);
    e.energy_provenance = provenance_from_name(s.col_text(8));
    e.avg_power_w = s.col_real(9);
    e.samples_per_s = s.col_real(10);
    e.loss_scale = s.col_real(11);
    e.skipped_steps = s.col_int(12);
    epoch_metrics_from_json(nlohmann::json::parse(s.col_text(13), nullptr, false), e.diverged, e.metrics);
    out.push_back(std::move(e));
  }
  return out;
}

namespace {
constexpr const char* kStudyColumns = "id, name, spec_json, status, kind, result_json, created_at_unix_s";
StudyRecord read_study(Stmt& s) {
  StudyRecord r;
  r.id = s.col_int(0);
  r.name = s.col_text(1);
  r.spec_json = s.col_text(2);
  r.status = study_status_from_name(s.col_text(3)).value_or(StudyStatus::failed);
  r.kind = s.col_text(4);
  r.result_json = s.col_text(5);
  r.created_at_unix_s = s.col_real(6);
  return r;
}
}  // namespace

int64_t Store::create_study(const std::string& name, const std::string& spec_json, const std::string& kind) {
  require_open(db_);
  Transaction tx(db_, path_);
  Stmt exists(db_, path_, "SELECT id FROM studies WHERE name = ?1");
  exists.text(1, name);
  if (exists.step()) {
    throw StoreError("a study named '" + name + "' already exists in " + path_ +
                     ": continue it with --resume " + name + " or choose another --study name");
  }
  Stmt s(db_, path_,
         "INSERT INTO studies(name, spec_json, status, created_at_unix_s, kind) VALUES(?1, ?2, 'running', ?3, ?4)");
  s.text(1, name);
  s.text(2, spec_json);
  s.real(3, std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  s.text(4, kind);
  s.run();
  int64_t id = sqlite3_last_insert_rowid(db_);
  tx.commit();
  return id;
}

std::optional<StudyRecord> Store::study(const std::string& name) const {
  require_open(db_);
  std::string sql = std::string("SELECT ") + kStudyColumns + " FROM studies WHERE name = ?1";
  Stmt s(db_, path_, sql.c_str());
  s.text(1, name);
  if (!s.step()) return std::nullopt;
  return read_study(s);
}

std::optional<StudyRecord> Store::study_by_id(int64_t id) const {
  require_open(db_);
  std::string sql = std::string("SELECT ") + kStudyColumns + " FROM studies WHERE id = ?1";
  Stmt s(db_, path_, sql.c_str());
  s.integer(1, id);
  if (!s.step()) return std::nullopt;
  return read_study(s);
}

std::vector<StudyRecord> Store::studies(int limit) const {
  require_open(db_);
  std::string sql = std::string("SELECT ") + kStudyColumns + " FROM studies ORDER BY id DESC LIMIT ?1";
  Stmt s(db_, path_, sql.c_str());
  s.integer(1, limit);
  std::vector<StudyRecord> out;
  while (s.step()) out.push_back(read_study(s));
  return out;
}

void Store::set_study_result(int64_t study_id, const std::string& result_json) {
  require_open(db_);
  Stmt s(db_, path_, "UPDATE studies SET result_json = ?1, status = 'finished' WHERE id = ?2");
  s.text(1, result_json);
  s.integer(2, study_id);
  s.run();
}

void Store::record_study_row(int64_t study_id, int64_t seq, const std::string& trial_json, double energy_j, double metric) {
  require_open(db_);
  Transaction tx(db_, path_);
  sqlite::insert_study_trial(db_, path_, study_id, seq, trial_json, energy_j, metric);
  tx.commit();
}

int64_t Store::study_row_count(int64_t study_id) const {
  require_open(db_);
  Stmt s(db_, path_, "SELECT COUNT(*) FROM study_trials WHERE study_id = ?1");
  s.integer(1, study_id);
  return s.step() ? s.col_int(0) : 0;
}

std::vector<std::string> Store::study_rows(int64_t study_id) const {
  require_open(db_);
  Stmt s(db_, path_, "SELECT trial_json FROM study_trials WHERE study_id = ?1 ORDER BY seq");
  s.integer(1, study_id);
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.col_text(0));
  return out;
}

void Store::record_trial(int64_t study_id, int64_t seq, const StoredTrial& trial) {
  record_study_row(study_id, seq, trial_to_json(trial).dump(), trial.record.trial_energy_j, trial.record.result.metric);
}

std::vector<StoredTrial> Store::trials(int64_t study_id) const {
  std::vector<StoredTrial> out;
  for (const std::string& text : study_rows(study_id)) {
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded()) throw StoreError("a stored trial of study " + std::to_string(study_id) + " in " + path_ + " is not JSON");
    out.push_back(trial_from_json(j));
  }
  return out;
}

std::vector<TrialEvent> StoreTrialLog::events() {
  std::vector<TrialEvent> out;
  for (StoredTrial& t : store_.trials(study_id_)) {
    TrialEvent ask;
    ask.kind = TrialEvent::Kind::ask;
    ask.asked = t.record.trial;
    out.push_back(ask);
    TrialEvent tell;
    tell.kind = TrialEvent::Kind::tell;
    tell.asked = t.record.trial;
    tell.told = std::move(t);
    out.push_back(std::move(tell));
  }
  return out;
}

void StoreTrialLog::append_tell(const StoredTrial& trial) {
  store_.record_trial(study_id_, store_.study_row_count(study_id_), trial);
}

void MemoryTrialLog::append_ask(const tune::Trial& trial) {
  TrialEvent e;
  e.kind = TrialEvent::Kind::ask;
  e.asked = trial;
  events_.push_back(std::move(e));
}

void MemoryTrialLog::append_tell(const StoredTrial& trial) {
  TrialEvent e;
  e.kind = TrialEvent::Kind::tell;
  e.asked = trial.record.trial;
  e.told = trial;
  events_.push_back(std::move(e));
}

void Store::set_study_status(int64_t study_id, StudyStatus status) {
  require_open(db_);
  sqlite::update_study_status(db_, path_, study_id, status);
}

std::optional<RunRecord> Store::run(int64_t id) const {
  require_open(db_);
  std::string sql = std::string("SELECT id, ") + kRunColumns + " FROM runs WHERE id = ?1";
  Stmt s(db_, path_, sql.c_str());
  s.integer(1, id);
  if (!s.step()) return std::nullopt;
  return read_run(s);
}

std::vector<RunRecord> Store::runs(int limit) const {
  require_open(db_);
  std::string sql = std::string("SELECT id, ") + kRunColumns + " FROM runs ORDER BY id DESC LIMIT ?1";
  Stmt s(db_, path_, sql.c_str());
  s.integer(1, limit);
  std::vector<RunRecord> out;
  while (s.step()) out.push_back(read_run(s));
  return out;
}

std::vector<RunRecord> Store::runs(const RunFilter& f) const {
  require_open(db_);
  // Every value is a bound parameter; the name is matched literally (LIKE wildcards escaped).
  std::string like = "%";
  for (char c : f.name_contains) {
    if (c == '%' || c == '_' || c == '\\') like += '\\';
    like += c;
  }
  like += "%";
  std::string sql = std::string("SELECT id, ") + kRunColumns +
                    " FROM runs WHERE name LIKE ?1 ESCAPE '\\' AND (?2 = '' OR kind = ?2) AND (?3 = '' OR status = ?3)"
                    " ORDER BY id DESC LIMIT ?4";
  Stmt s(db_, path_, sql.c_str());
  s.text(1, like);
  s.text(2, f.kind);
  s.text(3, f.status ? run_status_name(*f.status) : "");
  s.integer(4, f.limit);
  std::vector<RunRecord> out;
  while (s.step()) out.push_back(read_run(s));
  return out;
}

std::vector<Measurement> Store::windows(int64_t run_id) const {
  require_open(db_);
  ReadSnapshot snapshot(db_, path_);  // windows and components from the same commit
  std::vector<Measurement> out;
  std::map<int64_t, size_t> index_of_row;
  Stmt w(db_, path_,
         "SELECT id, parent_id, name, start_unix_s, start_s, duration_s FROM windows WHERE run_id = ?1 ORDER BY id");
  w.integer(1, run_id);
  while (w.step()) {
    Measurement m;
    m.id = static_cast<int>(w.col_int(0));
    m.parent_id = w.is_null(1) ? -1 : static_cast<int>(w.col_int(1));
    m.name = w.col_text(2);
    m.start_unix_s = w.col_real(3);
    m.start_s = w.col_real(4);
    m.duration_s = w.col_real(5);
    index_of_row[w.col_int(0)] = out.size();
    out.push_back(std::move(m));
  }
  Stmt c(db_, path_,
         "SELECT c.window_id, c.component, c.kind, c.source, c.energy_j, c.uncertainty_j, c.avg_power_w, "
         "c.peak_power_w, c.idle_power_w, c.static_energy_j, c.dynamic_energy_j, c.samples, c.provenance, c.note "
         "FROM window_components c JOIN windows w ON w.id = c.window_id WHERE w.run_id = ?1 "
         "ORDER BY c.window_id, c.rowid");
  c.integer(1, run_id);
  while (c.step()) {
    auto it = index_of_row.find(c.col_int(0));
    if (it == index_of_row.end()) continue;
    ComponentMeasurement m;
    m.component = c.col_text(1);
    m.kind = parse_component_kind(c.col_text(2));
    m.source = c.col_text(3);
    m.energy_j = c.col_real(4);
    m.uncertainty_j = c.col_real(5);
    m.avg_power_w = c.col_real(6);
    m.peak_power_w = c.col_real(7);
    m.idle_power_w = c.col_real(8);
    m.static_energy_j = c.col_real(9);
    m.dynamic_energy_j = c.col_real(10);
    m.samples = static_cast<int>(c.col_int(11));
    m.provenance = provenance_from_name(c.col_text(12));
    m.note = c.col_text(13);
    out[it->second].components.push_back(std::move(m));
  }
  return out;
}

std::vector<PowerSample> Store::samples(int64_t run_id) const {
  return samples_after(run_id, -INFINITY, -1);  // LIMIT -1: no limit
}

std::vector<PowerSample> Store::samples_after(int64_t run_id, double after_s, int limit) const {
  require_open(db_);
  Stmt s(db_, path_,
         "SELECT t_s, component, power_w FROM samples WHERE run_id = ?1 AND t_s > ?2 ORDER BY t_s, rowid LIMIT ?3");
  s.integer(1, run_id);
  s.real(2, after_s);
  s.integer(3, limit);
  std::vector<PowerSample> out;
  while (s.step()) {
    PowerSample p;
    p.t_s = s.col_real(0);
    p.component = s.col_text(1);
    p.power_w = s.col_real(2);
    out.push_back(std::move(p));
  }
  return out;
}

double Store::last_sample_t_s(int64_t run_id) const {
  require_open(db_);
  Stmt s(db_, path_, "SELECT max(t_s) FROM samples WHERE run_id = ?1");
  s.integer(1, run_id);
  return s.step() ? s.col_real(0) : NAN;
}

std::vector<RecordedDevice> Store::recorded_devices(int limit) const {
  require_open(db_);
  Stmt s(db_, path_,
         "SELECT d.component, d.source, d.description, d.working, d.detail, g.n, g.last_run "
         "FROM (SELECT source, component, count(*) AS n, max(run_id) AS last_run FROM devices "
         "      GROUP BY source, component) g "
         "JOIN devices d ON d.run_id = g.last_run AND d.source = g.source AND d.component = g.component "
         "GROUP BY g.source, g.component ORDER BY g.last_run DESC, g.source, g.component LIMIT ?1");
  s.integer(1, limit);
  std::vector<RecordedDevice> out;
  while (s.step()) {
    RecordedDevice d;
    d.sensor.component = s.col_text(0);
    d.sensor.source = s.col_text(1);
    d.sensor.description = s.col_text(2);
    d.sensor.working = s.col_int(3) != 0;
    d.sensor.detail = s.col_text(4);
    d.runs = s.col_int(5);
    d.last_run_id = s.col_int(6);
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<SensorInfo> Store::devices(int64_t run_id) const {
  require_open(db_);
  Stmt s(db_, path_,
         "SELECT component, source, description, working, detail FROM devices WHERE run_id = ?1 ORDER BY rowid");
  s.integer(1, run_id);
  std::vector<SensorInfo> out;
  while (s.step()) {
    SensorInfo d;
    d.component = s.col_text(0);
    d.source = s.col_text(1);
    d.description = s.col_text(2);
    d.working = s.col_int(3) != 0;
    d.detail = s.col_text(4);
    out.push_back(std::move(d));
  }
  return out;
}

std::optional<HostInfo> Store::host_of_run(int64_t run_id) const {
  require_open(db_);
  Stmt s(db_, path_,
         "SELECT h.hostname, h.os, h.kernel, h.cpu_model, h.cpu_cores, h.memory_gib "
         "FROM runs r JOIN hosts h ON h.id = r.host_id WHERE r.id = ?1");
  s.integer(1, run_id);
  if (!s.step()) return std::nullopt;
  HostInfo h;
  h.hostname = s.col_text(0);
  h.os = s.col_text(1);
  h.kernel = s.col_text(2);
  h.cpu_model = s.col_text(3);
  h.cpu_cores = static_cast<int>(s.col_int(4));
  h.memory_gib = s.col_real(5);
  return h;
}

std::optional<StoredRun> Store::load_run(int64_t id) const {
  require_open(db_);
  ReadSnapshot snapshot(db_, path_);  // every part from the same commit
  std::optional<RunRecord> row = run(id);
  if (!row) return std::nullopt;
  StoredRun r;
  r.run = std::move(*row);
  r.host = host_of_run(id);
  r.devices = devices(id);
  r.windows = windows(id);
  r.epochs = epochs(id);
  r.samples = samples(id);
  return r;
}

}  // namespace powertrain
