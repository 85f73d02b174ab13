// A stored study written as an Optuna RDB storage file (SQLite), readable by Optuna 3.1+.
//
// The tables and columns are those Optuna 3.1's storage creates (optuna/storages/_rdb/
// models.py, schema version 12, alembic head v3.0.0.d). Values are bound as parameters;
// the file is built under a temporary name and renamed once complete.
#include "powertrain/interop/optuna.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <tuple>

namespace powertrain {

namespace {

// Optuna 3.1.0: models.SCHEMA_VERSION and the alembic head revision.
constexpr int kOptunaSchemaVersion = 12;
constexpr const char* kOptunaLibraryVersion = "3.1.0";
constexpr const char* kOptunaAlembicRevision = "v3.0.0.d";

const char* const kSchema = R"sql(
CREATE TABLE studies (
  study_id INTEGER NOT NULL,
  study_name VARCHAR(512) NOT NULL,
  PRIMARY KEY (study_id)
);
CREATE UNIQUE INDEX ix_studies_study_name ON studies (study_name);
CREATE TABLE version_info (
  version_info_id INTEGER NOT NULL,
  schema_version INTEGER,
  library_version VARCHAR(256),
  PRIMARY KEY (version_info_id),
  CHECK (version_info_id=1)
);
CREATE TABLE study_directions (
  study_direction_id INTEGER NOT NULL,
  direction VARCHAR(8) NOT NULL,
  study_id INTEGER NOT NULL,
  objective INTEGER NOT NULL,
  PRIMARY KEY (study_direction_id),
  UNIQUE (study_id, objective),
  FOREIGN KEY(study_id) REFERENCES studies (study_id)
);
CREATE TABLE study_user_attributes (
  study_user_attribute_id INTEGER NOT NULL,
  study_id INTEGER,
  "key" VARCHAR(512),
  value_json TEXT,
  PRIMARY KEY (study_user_attribute_id),
  UNIQUE (study_id, "key"),
  FOREIGN KEY(study_id) REFERENCES studies (study_id)
);
CREATE TABLE study_system_attributes (
  study_system_attribute_id INTEGER NOT NULL,
  study_id INTEGER,
  "key" VARCHAR(512),
  value_json TEXT,
  PRIMARY KEY (study_system_attribute_id),
  UNIQUE (study_id, "key"),
  FOREIGN KEY(study_id) REFERENCES studies (study_id)
);
CREATE TABLE trials (
  trial_id INTEGER NOT NULL,
  number INTEGER,
  study_id INTEGER,
  state VARCHAR(8) NOT NULL,
  datetime_start DATETIME,
  datetime_complete DATETIME,
  PRIMARY KEY (trial_id),
  FOREIGN KEY(study_id) REFERENCES studies (study_id)
);
CREATE TABLE trial_user_attributes (
  trial_user_attribute_id INTEGER NOT NULL,
  trial_id INTEGER,
  "key" VARCHAR(512),
  value_json TEXT,
  PRIMARY KEY (trial_user_attribute_id),
  UNIQUE (trial_id, "key"),
  FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
);
CREATE TABLE trial_system_attributes (
  trial_system_attribute_id INTEGER NOT NULL,
  trial_id INTEGER,
  "key" VARCHAR(512),
  value_json TEXT,
  PRIMARY KEY (trial_system_attribute_id),
  UNIQUE (trial_id, "key"),
  FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
);
CREATE TABLE trial_params (
  param_id INTEGER NOT NULL,
  trial_id INTEGER,
  param_name VARCHAR(512),
  param_value FLOAT,
  distribution_json TEXT,
  PRIMARY KEY (param_id),
  UNIQUE (trial_id, param_name),
  FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
);
CREATE TABLE trial_values (
  trial_value_id INTEGER NOT NULL,
  trial_id INTEGER NOT NULL,
  objective INTEGER NOT NULL,
  value FLOAT,
  value_type VARCHAR(7) NOT NULL,
  PRIMARY KEY (trial_value_id),
  UNIQUE (trial_id, objective),
  FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
);
CREATE TABLE trial_intermediate_values (
  trial_intermediate_value_id INTEGER NOT NULL,
  trial_id INTEGER NOT NULL,
  step INTEGER NOT NULL,
  intermediate_value FLOAT,
  intermediate_value_type VARCHAR(7) NOT NULL,
  PRIMARY KEY (trial_intermediate_value_id),
  UNIQUE (trial_id, step),
  FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
);
CREATE TABLE trial_heartbeats (
  trial_heartbeat_id INTEGER NOT NULL,
  trial_id INTEGER NOT NULL,
  heartbeat DATETIME NOT NULL,
  PRIMARY KEY (trial_heartbeat_id),
  UNIQUE (trial_id),
  FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
);
CREATE TABLE alembic_version (
  version_num VARCHAR(32) NOT NULL,
  CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
)sql";

// The open SQLite file being written; closes on destruction.
class Db {
 public:
  explicit Db(const std::string& path) : path_(path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
      std::string err = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      db_ = nullptr;
      throw InteropError("cannot create " + path + ": " + err);
    }
  }
  ~Db() { close(); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  void exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      throw InteropError("cannot write " + path_ + ": " + msg);
    }
  }
  void close() {
    if (db_) sqlite3_close(db_);
    db_ = nullptr;
  }
  sqlite3* get() const { return db_; }
  const std::string& path() const { return path_; }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

// One prepared INSERT, bound and run once per row.
class Insert {
 public:
  Insert(Db& db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db.get(), sql, -1, &st_, nullptr) != SQLITE_OK) fail();
  }
  ~Insert() { sqlite3_finalize(st_); }
  Insert(const Insert&) = delete;
  Insert& operator=(const Insert&) = delete;
  Insert& integer(int i, int64_t v) { sqlite3_bind_int64(st_, i, v); return *this; }
  // Binds a finite double, or NULL for NaN/infinity.
  Insert& real(int i, double v) {
    if (std::isfinite(v)) sqlite3_bind_double(st_, i, v);
    else sqlite3_bind_null(st_, i);
    return *this;
  }
  Insert& text(int i, const std::string& v) {
    sqlite3_bind_text(st_, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Insert& null(int i) { sqlite3_bind_null(st_, i); return *this; }
  // Runs the statement; returns the new row id.
  int64_t run() {
    if (sqlite3_step(st_) != SQLITE_DONE) fail();
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
    return sqlite3_last_insert_rowid(db_.get());
  }

 private:
  [[noreturn]] void fail() { throw InteropError("cannot write " + db_.path() + ": " + sqlite3_errmsg(db_.get())); }
  Db& db_;
  sqlite3_stmt* st_ = nullptr;
};

// "2024-01-02 03:04:05.678901", UTC: how SQLAlchemy stores a DateTime in SQLite.
std::string sql_datetime(double unix_s) {
  double whole = std::floor(unix_s);
  std::time_t t = static_cast<std::time_t>(whole);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  long micros = std::min(999999L, static_cast<long>(std::llround((unix_s - whole) * 1e6)));
  return fmt::format("{}.{:06d}", buf, micros);
}

double number_or(const nlohmann::json& j, const char* key, double missing) {
  if (!j.contains(key) || !j[key].is_number()) return missing;
  return j[key].get<double>();
}

// Optuna keeps +-inf as a type with a NULL value (NaN only for intermediate values).
const char* value_type(double v) {
  if (std::isnan(v)) return "NAN";
  if (std::isinf(v)) return v > 0 ? "INF_POS" : "INF_NEG";
  return "FINITE";
}

// One parameter's Optuna distribution.
struct Distribution {
  std::string json;                      // distribution_json
  bool categorical = false;
  std::vector<nlohmann::json> choices;   // for categorical
};

bool same_value(const nlohmann::json& a, const nlohmann::json& b) {
  if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
  return a == b;
}

Distribution categorical(std::vector<nlohmann::json> choices) {
  Distribution d;
  d.categorical = true;
  d.choices = std::move(choices);
  nlohmann::json c = nlohmann::json::array();
  for (const auto& v : d.choices) c.push_back(v.is_number() ? nlohmann::json(v.get<double>()) : v);
  d.json = nlohmann::json{{"name", "CategoricalDistribution"}, {"attributes", {{"choices", c}}}}.dump();
  return d;
}

// The distinct observed values as a categorical: numbers ascending, then strings.
Distribution observed_categorical(const std::vector<nlohmann::json>& observed) {
  std::vector<nlohmann::json> numbers, strings;
  for (const auto& v : observed) {
    auto& bucket = v.is_number() ? numbers : strings;
    bool seen = false;
    for (const auto& u : bucket) seen |= same_value(u, v);
    if (!seen) bucket.push_back(v);
  }
  std::sort(numbers.begin(), numbers.end(), [](const nlohmann::json& a, const nlohmann::json& b) { return a.get<double>() < b.get<double>(); });
  std::sort(strings.begin(), strings.end(), [](const nlohmann::json& a, const nlohmann::json& b) { return a.dump() < b.dump(); });
  numbers.insert(numbers.end(), strings.begin(), strings.end());
  return categorical(numbers);
}

// The distribution of `key` from the study's declared space when it fits every observed
// value, else the observed values as a categorical.
Distribution distribution_for(const nlohmann::json& space, const std::string& key, const std::vector<nlohmann::json>& observed) {
  if (space.is_object() && space.contains(key) && space[key].is_object()) {
    const nlohmann::json& p = space[key];
    std::string type = p.value("type", std::string());
    if (type == "categorical" && p.contains("values") && p["values"].is_array()) {
      std::vector<nlohmann::json> choices(p["values"].begin(), p["values"].end());
      bool fits = true;
      for (const auto& v : observed) {
        bool in = false;
        for (const auto& c : choices) in |= same_value(c, v);
        fits &= in;
      }
      if (fits) return categorical(choices);
    } else if ((type == "float" || type == "log_float" || type == "int") && p.contains("low") && p.contains("high") &&
               p["low"].is_number() && p["high"].is_number()) {
      double lo = p["low"].get<double>(), hi = p["high"].get<double>();
      bool fits = true;
      for (const auto& v : observed) fits &= v.is_number() && v.get<double>() >= lo && v.get<double>() <= hi &&
                                             (type != "int" || v.get<double>() == std::floor(v.get<double>()));
      if (fits) {
        Distribution d;
        if (type == "int") {
          d.json = nlohmann::json{{"name", "IntDistribution"},
                                  {"attributes", {{"log", false}, {"step", 1}, {"low", static_cast<long>(lo)}, {"high", static_cast<long>(hi)}}}}
                       .dump();
        } else {
          d.json = nlohmann::json{{"name", "FloatDistribution"},
                                  {"attributes", {{"step", nullptr}, {"low", lo}, {"high", hi}, {"log", type == "log_float"}}}}
                       .dump();
        }
        return d;
      }
    }
  }
  return observed_categorical(observed);
}

// Returns the declared search space of a study, when its spec has one.
nlohmann::json declared_space(const nlohmann::json& spec) {
  if (!spec.is_object() || !spec.contains("study_text") || !spec["study_text"].is_string()) return nullptr;
  try {
    nlohmann::json study = nlohmann::json::parse(spec["study_text"].get<std::string>(), nullptr, true, true);
    if (study.is_object() && study.contains("space")) return study["space"];
  } catch (const nlohmann::json::parse_error&) {
  }
  return nullptr;
}

// Decides whether a higher metric is better. Returns {maximize, how it was decided}.
std::pair<bool, std::string> infer_metric_direction(const std::vector<nlohmann::json>& trials) {
  int neg = 0, pos = 0, informative = 0;
  double reached_min = INFINITY, reached_max = -INFINITY, unreached_min = INFINITY, unreached_max = -INFINITY;
  int reached = 0, unreached = 0;
  for (const auto& t : trials) {
    double loss = number_or(t, "loss", NAN), metric = number_or(t, "metric", NAN);
    if (std::isfinite(loss) && std::isfinite(metric) && metric != 0) {
      ++informative;
      if (loss == -metric) ++neg;
      if (loss == metric) ++pos;
    }
    if (std::isfinite(metric) && !t.value("stopped_early", false)) {
      if (t.value("reached_target", false)) {
        ++reached;
        reached_min = std::min(reached_min, metric);
        reached_max = std::max(reached_max, metric);
      } else {
        ++unreached;
        unreached_min = std::min(unreached_min, metric);
        unreached_max = std::max(unreached_max, metric);
      }
    }
  }
  if (informative > 0 && neg == informative) return {true, "inferred: every trial's loss is -metric"};
  if (informative > 0 && pos == informative) return {false, "inferred: every trial's loss is the metric"};
  // Energy to target: before the target, loss = energy / progress with progress rising
  // with the metric when higher is better (see tune/tuner.h), so energy / loss tells.
  std::vector<std::pair<double, double>> progress;  // (metric, energy / loss), unclamped only
  for (const auto& t : trials) {
    double loss = number_or(t, "loss", NAN), metric = number_or(t, "metric", NAN), e = number_or(t, "config_energy_j", NAN);
    if (!std::isfinite(loss) || !std::isfinite(metric) || !(e > 0) || !(loss > 0) || t.value("reached_target", false)) continue;
    double p = e / loss;
    if (p > 0.0011 && p < 0.999) progress.emplace_back(metric, p);
  }
  int concordant = 0, discordant = 0;
  for (size_t i = 0; i < progress.size(); ++i) {
    for (size_t k = i + 1; k < progress.size(); ++k) {
      double dm = progress[k].first - progress[i].first, dp = progress[k].second - progress[i].second;
      if (std::fabs(dm) < 1e-12 || std::fabs(dp) < 1e-12) continue;
      (dm * dp > 0 ? concordant : discordant)++;
    }
  }
  if (concordant > 0 && discordant == 0) return {true, "inferred: the energy-to-target loss falls as the metric rises"};
  if (discordant > 0 && concordant == 0) return {false, "inferred: the energy-to-target loss falls as the metric falls"};
  if (reached > 0 && unreached > 0) {
    if (reached_min > unreached_max) return {true, "inferred: trials that reached the target have the higher metrics"};
    if (reached_max < unreached_min) return {false, "inferred: trials that reached the target have the lower metrics"};
  }
  return {true, "assumed: could not be inferred from the trials (pass the direction explicitly)"};
}

void remove_file_and_journal(const std::string& path) {
  std::remove(path.c_str());
  std::remove((path + "-journal").c_str());
}

}  // namespace

std::string optuna_storage_url(const std::string& path) {
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(path, ec);
  return "sqlite:///" + (ec ? path : abs.string());
}

OptunaExportResult optuna_export_study(const Store& store, const std::string& study_name, const std::string& path,
                                       const OptunaExportOptions& opt) {
  std::optional<StudyRecord> study = store.study(study_name);
  if (!study) {
    std::string known;
    for (const auto& s : store.studies(10)) known += (known.empty() ? "" : ", ") + s.name;
    throw InteropError("no study named '" + study_name + "' in " + store.path() + " (check the name and --db" +
                       (known.empty() ? "; the store has no studies" : "; its newest studies: " + known) + ")");
  }
  std::vector<nlohmann::json> trials;
  for (const auto& text : store.study_trials(study->id)) {
    try {
      trials.push_back(nlohmann::json::parse(text));
    } catch (const nlohmann::json::parse_error& e) {
      throw InteropError("study '" + study_name + "' has a stored trial that is not JSON: " + e.what());
    }
  }
  nlohmann::json spec = nlohmann::json::parse(study->spec_json, nullptr, false);
  if (spec.is_discarded()) spec = nlohmann::json::object();

  std::error_code ec;
  std::filesystem::path target(path);
  if (std::filesystem::is_directory(target, ec)) throw InteropError(path + " is a directory: name a file");
  if (std::filesystem::exists(target, ec) && !opt.replace_) {
    throw InteropError(path + " exists: choose a new file, or replace it (--force)");
  }
  std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  if (!std::filesystem::is_directory(dir, ec)) throw InteropError("directory " + dir.string() + " does not exist: create it first");

  OptunaExportResult result;
  std::string maximize_basis;
  bool maximize = true;
  if (opt.objective_ == OptunaObjective::metric_energy) {
    if (opt.maximize_metric_) {
      maximize = *opt.maximize_metric_;
      maximize_basis = "given";
    } else {
      std::tie(maximize, maximize_basis) = infer_metric_direction(trials);
    }
    result.directions = {maximize ? "MAXIMIZE" : "MINIMIZE", "MINIMIZE"};
    result.objective_names = {"metric", "energy_j"};
    result.metric_direction_basis = maximize_basis;
  } else {
    result.directions = {"MINIMIZE"};
    result.objective_names = {"loss"};
  }

  // Every parameter's distribution, from all trials at once (Optuna requires one per study).
  std::vector<std::string> keys;
  std::map<std::string, std::vector<nlohmann::json>> observed;
  for (const auto& t : trials) {
    if (!t.contains("config") || !t["config"].is_object()) continue;
    for (auto it = t["config"].begin(); it != t["config"].end(); ++it) {
      if (!observed.count(it.key())) keys.push_back(it.key());
      observed[it.key()].push_back(it.value());
    }
  }
  nlohmann::json space = declared_space(spec);
  std::map<std::string, Distribution> dists;
  for (const auto& k : keys) dists[k] = distribution_for(space, k, observed[k]);

  std::string energy_provenance = spec.value("backend", std::string()) == "zeus-trace"
                                      ? "simulated (Zeus NSDI'23 traces)"
                                      : "measured or estimated by the meter during the study (not recorded per trial)";

  std::string tmp = fmt::format("{}.tmp-{}", path, static_cast<long>(::getpid()));
  remove_file_and_journal(tmp);
  try {
    Db db(tmp);
    db.exec(kSchema);
    db.exec("BEGIN");
    Insert(db, "INSERT INTO version_info(version_info_id, schema_version, library_version) VALUES(1, ?1, ?2)")
        .integer(1, kOptunaSchemaVersion)
        .text(2, kOptunaLibraryVersion)
        .run();
    Insert(db, "INSERT INTO alembic_version(version_num) VALUES(?1)").text(1, kOptunaAlembicRevision).run();
    int64_t sid = Insert(db, "INSERT INTO studies(study_id, study_name) VALUES(1, ?1)").text(1, study->name).run();
    {
      Insert dir_ins(db, "INSERT INTO study_directions(direction, study_id, objective) VALUES(?1, ?2, ?3)");
      for (size_t i = 0; i < result.directions.size(); ++i) {
        dir_ins.text(1, result.directions[i]).integer(2, sid).integer(3, static_cast<int64_t>(i)).run();
      }
    }
    {
      Insert attr(db, "INSERT INTO study_user_attributes(study_id, \"key\", value_json) VALUES(?1, ?2, ?3)");
      auto put = [&](const std::string& k, const nlohmann::json& v) { attr.integer(1, sid).text(2, k).text(3, v.dump()).run(); };
      put("powertrain_study", study->name);
      put("powertrain_study_kind", study->kind);
      put("powertrain_study_status", study_status_name(study->status));
      put("powertrain_spec", spec);
      put("objective_names", result.objective_names);
      if (opt.objective_ == OptunaObjective::metric_energy) {
        put("metric_direction", maximize ? "maximize" : "minimize");
        put("metric_direction_basis", maximize_basis);
        put("energy_j", "config_energy_j: all energy spent on the trial's configuration up to the end of the trial, in J");
      } else {
        put("loss", "what the powertrain strategy minimised: -metric, metric, or the energy to reach the target in J");
      }
      put("energy_provenance", energy_provenance);
      put("datetimes", "the study's creation time plus each trial's cumulative search_duration_s, in UTC" +
                           std::string(spec.value("backend", std::string()) == "zeus-trace" ? " (simulated durations)" : ""));
      Insert sys(db, "INSERT INTO study_system_attributes(study_id, \"key\", value_json) VALUES(?1, ?2, ?3)");
      sys.integer(1, sid).text(2, "study:metric_names").text(3, nlohmann::json(result.objective_names).dump()).run();
    }

    Insert trial_ins(db, "INSERT INTO trials(number, study_id, state, datetime_start, datetime_complete) VALUES(?1, ?2, ?3, ?4, ?5)");
    Insert param_ins(db, "INSERT INTO trial_params(trial_id, param_name, param_value, distribution_json) VALUES(?1, ?2, ?3, ?4)");
    Insert value_ins(db, "INSERT INTO trial_values(trial_id, objective, value, value_type) VALUES(?1, ?2, ?3, ?4)");
    Insert inter_ins(db,
                     "INSERT INTO trial_intermediate_values(trial_id, step, intermediate_value, intermediate_value_type) "
                     "VALUES(?1, ?2, ?3, ?4)");
    Insert tattr(db, "INSERT INTO trial_user_attributes(trial_id, \"key\", value_json) VALUES(?1, ?2, ?3)");

    std::map<std::string, std::map<int, double>> history;  // config -> to_epoch -> value
    double previous_search_s = 0;
    for (size_t n = 0; n < trials.size(); ++n) {
      const nlohmann::json& t = trials[n];
      const nlohmann::json config = t.value("config", nlohmann::json::object());
      double metric = number_or(t, "metric", NAN);
      double energy_j = number_or(t, "config_energy_j", NAN);
      double loss = t.contains("loss") && t["loss"].is_number() ? t["loss"].get<double>() : INFINITY;  // +inf is stored as null
      std::vector<double> values;
      if (opt.objective_ == OptunaObjective::metric_energy) values = {metric, energy_j};
      else values = {loss};
      // A value Optuna cannot rank makes the trial FAIL (or PRUNED when the beta rule stopped
      // it). Optuna 3.1 stores +inf as NULL and sorts NULL first, so an infinite loss kept
      // as a value would be reported as the best trial.
      bool complete = true;
      for (double v : values) complete &= std::isfinite(v);
      const char* state = "COMPLETE";
      if (!complete) {
        bool pruned = t.value("stopped_early", false);
        state = pruned ? "PRUNED" : "FAIL";
        ++(pruned ? result.pruned_trials : result.failed_trials);
      }

      double search_s = number_or(t, "search_duration_s", NAN);
      bool timed = std::isfinite(study->created_at_unix_s) && std::isfinite(search_s);
      trial_ins.integer(1, static_cast<int64_t>(n)).integer(2, sid).text(3, state);
      if (timed) {
        trial_ins.text(4, sql_datetime(study->created_at_unix_s + previous_search_s))
            .text(5, sql_datetime(study->created_at_unix_s + search_s));
        previous_search_s = search_s;
      } else {
        trial_ins.null(4).null(5);
      }
      int64_t tid = trial_ins.run();

      for (auto it = config.begin(); it != config.end(); ++it) {
        const Distribution& d = dists[it.key()];
        double internal = NAN;
        if (d.categorical) {
          for (size_t i = 0; i < d.choices.size(); ++i) {
            if (same_value(d.choices[i], it.value())) internal = static_cast<double>(i);
          }
        } else {
          internal = it.value().get<double>();
        }
        param_ins.integer(1, tid).text(2, it.key()).real(3, internal).text(4, d.json).run();
      }
      if (complete) {
        for (size_t i = 0; i < values.size(); ++i) {
          value_ins.integer(1, tid).integer(2, static_cast<int64_t>(i)).real(3, values[i]).text(4, value_type(values[i])).run();
        }
      }
      // Intermediate values: this configuration's value at the end of each of its trials so far.
      auto& h = history[config.dump()];
      int to_epoch = t.value("to_epoch", 0);
      h[to_epoch] = opt.objective_ == OptunaObjective::metric_energy ? metric : loss;
      for (const auto& [step, v] : h) {
        inter_ins.integer(1, tid).integer(2, step).real(3, v).text(4, value_type(v)).run();
      }
      auto put = [&](const std::string& k, const nlohmann::json& v) { tattr.integer(1, tid).text(2, k).text(3, v.dump()).run(); };
      auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
      put("powertrain_trial", t.value("trial", nlohmann::json(nullptr)));
      put("budget", t.value("budget", nlohmann::json(nullptr)));
      put("from_epoch", t.value("from_epoch", nlohmann::json(nullptr)));
      put("to_epoch", to_epoch);
      put("loss", std::isinf(loss) ? nlohmann::json(nullptr) : num(loss));
      put("metric", num(metric));
      put("config_energy_j", num(energy_j));
      put("trial_energy_j", num(number_or(t, "trial_energy_j", NAN)));
      put("search_energy_j", num(number_or(t, "search_energy_j", NAN)));
      put("search_duration_s", num(search_s));
      put("config_eta_j", num(number_or(t, "config_eta_j", NAN)));
      put("reached_target", t.value("reached_target", false));
      put("stopped_early", t.value("stopped_early", false));
      put("energy_provenance", energy_provenance);
      ++result.trials;
    }
    db.exec("COMMIT");
    db.close();
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
      throw InteropError("cannot rename " + tmp + " to " + path + ": " + std::strerror(errno));
    }
  } catch (...) {
    remove_file_and_journal(tmp);
    throw;
  }
  return result;
}

}  // namespace powertrain
