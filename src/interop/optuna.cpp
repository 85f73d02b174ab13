// A stored study written as an Optuna RDB storage file (SQLite), readable by Optuna 3.1+.
//
// The tables and columns are those Optuna 3.1's storage creates (optuna/storages/_rdb/
// models.py, schema version 12, alembic head v3.0.0.d). Values are bound as parameters
// through the store's SQLite wrapper; the file is built under a unique temporary name and
// renamed once complete. The trials are the store's typed trials; each trial's stored form
// (store/trial.h) becomes its user attributes, so no key of it is spelled here.
#include "powertrain/interop/optuna.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
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

#include "powertrain/search/spec.h"
#include "powertrain/store/trial.h"
#include "store/sqlite.h"
#include "util/fs.h"
#include "util/json.h"

namespace powertrain {

namespace {

using sqlite::Stmt;

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

// Optuna keeps +-inf as a type with a NULL value (NaN only for intermediate values).
const char* value_type(double v) {
  if (std::isnan(v)) return "NAN";
  if (std::isinf(v)) return v > 0 ? "INF_POS" : "INF_NEG";
  return "FINITE";
}

// One parameter's Optuna distribution.
struct Distribution {
  std::string json;                 // distribution_json
  bool categorical = false;
  std::vector<tune::Value> choices;  // for categorical
};

nlohmann::json value_json(const tune::Value& v) {
  return std::holds_alternative<double>(v) ? nlohmann::json(std::get<double>(v)) : nlohmann::json(std::get<std::string>(v));
}

Distribution categorical(std::vector<tune::Value> choices) {
  Distribution d;
  d.categorical = true;
  d.choices = std::move(choices);
  nlohmann::json c = nlohmann::json::array();
  for (const auto& v : d.choices) c.push_back(value_json(v));
  d.json = nlohmann::json{{"name", "CategoricalDistribution"}, {"attributes", {{"choices", c}}}}.dump();
  return d;
}

// The distinct observed values as a categorical: numbers ascending, then strings.
Distribution observed_categorical(const std::vector<tune::Value>& observed) {
  std::vector<tune::Value> numbers, strings;
  for (const auto& v : observed) {
    auto& bucket = std::holds_alternative<double>(v) ? numbers : strings;
    if (std::find(bucket.begin(), bucket.end(), v) == bucket.end()) bucket.push_back(v);
  }
  std::sort(numbers.begin(), numbers.end());
  std::sort(strings.begin(), strings.end());
  numbers.insert(numbers.end(), strings.begin(), strings.end());
  return categorical(numbers);
}

// The distribution of `key` from the study's declared space when it fits every observed
// value, else the observed values as a categorical.
Distribution distribution_for(const std::optional<tune::SearchSpace>& space, const std::string& key,
                              const std::vector<tune::Value>& observed) {
  const tune::Param* p = nullptr;
  if (space) {
    for (const auto& q : space->params()) if (q.name == key) p = &q;
  }
  if (!p) return observed_categorical(observed);
  if (p->kind == tune::ParamKind::categorical) {
    bool fits = true;
    for (const auto& v : observed) fits &= std::find(p->choices.begin(), p->choices.end(), v) != p->choices.end();
    return fits ? categorical(p->choices) : observed_categorical(observed);
  }
  bool fits = true;
  for (const auto& v : observed) {
    fits &= std::holds_alternative<double>(v) && std::get<double>(v) >= p->low && std::get<double>(v) <= p->high &&
            (p->kind != tune::ParamKind::integer || std::get<double>(v) == std::floor(std::get<double>(v)));
  }
  if (!fits) return observed_categorical(observed);
  Distribution d;
  if (p->kind == tune::ParamKind::integer) {
    d.json = nlohmann::json{{"name", "IntDistribution"},
                            {"attributes", {{"log", false}, {"step", 1}, {"low", static_cast<long>(p->low)}, {"high", static_cast<long>(p->high)}}}}
                 .dump();
  } else {
    d.json = nlohmann::json{{"name", "FloatDistribution"},
                            {"attributes", {{"step", nullptr}, {"low", p->low}, {"high", p->high}, {"log", p->kind == tune::ParamKind::log_real}}}}
                 .dump();
  }
  return d;
}

// Decides whether a higher metric is better from the trials alone (a study whose definition
// cannot be read). Returns {maximize, how it was decided}.
std::pair<bool, std::string> infer_metric_direction(const std::vector<StoredTrial>& trials) {
  int neg = 0, pos = 0, informative = 0;
  double reached_min = INFINITY, reached_max = -INFINITY, unreached_min = INFINITY, unreached_max = -INFINITY;
  int reached = 0, unreached = 0;
  for (const auto& st : trials) {
    const tune::TrialResult& t = st.record.result;
    if (std::isfinite(t.loss) && std::isfinite(t.metric) && t.metric != 0) {
      ++informative;
      if (t.loss == -t.metric) ++neg;
      if (t.loss == t.metric) ++pos;
    }
    if (std::isfinite(t.metric) && !t.stopped_early) {
      if (t.reached_target) {
        ++reached;
        reached_min = std::min(reached_min, t.metric);
        reached_max = std::max(reached_max, t.metric);
      } else {
        ++unreached;
        unreached_min = std::min(unreached_min, t.metric);
        unreached_max = std::max(unreached_max, t.metric);
      }
    }
  }
  if (informative > 0 && neg == informative) return {true, "inferred: every trial's loss is -metric"};
  if (informative > 0 && pos == informative) return {false, "inferred: every trial's loss is the metric"};
  // Energy to target: before the target, loss = energy / progress with progress rising
  // with the metric when higher is better (see tune/tuner.h), so energy / loss tells.
  std::vector<std::pair<double, double>> progress;  // (metric, energy / loss), unclamped only
  for (const auto& st : trials) {
    const tune::TrialResult& t = st.record.result;
    if (!std::isfinite(t.loss) || !std::isfinite(t.metric) || !(t.energy_j > 0) || !(t.loss > 0) || t.reached_target) continue;
    double p = t.energy_j / t.loss;
    if (p > 0.0011 && p < 0.999) progress.emplace_back(t.metric, p);
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
  if (study->kind != "tune") {
    throw InteropError("study '" + study_name + "' is a " + study->kind + " study, not a search: only searches export to Optuna");
  }
  std::vector<StoredTrial> trials;
  try {
    trials = store.trials(study->id);
  } catch (const StoreError& e) {
    throw InteropError("study '" + study_name + "': " + e.what());
  }
  // Probes (a few iterations measuring energy per sample, before any epoch) are no Optuna
  // trial: they have no metric. Their energy stays in the trials' search_energy_j.
  trials.erase(std::remove_if(trials.begin(), trials.end(), [](const StoredTrial& t) { return t.record.trial.probe; }),
               trials.end());
  const nlohmann::json stored_spec = util::parse_or(study->spec_json, nullptr);
  std::optional<search::StudySpec> spec;
  try {
    spec = search::spec_from_json(stored_spec);
  } catch (const std::exception&) {
    // A study whose definition no longer reads (traces moved, an older format): the space
    // as declared, and the direction inferred from the trials.
  }
  std::optional<tune::SearchSpace> space = spec ? std::optional<tune::SearchSpace>(search::search_space(*spec))
                                                : search::declared_space(stored_spec);

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
    } else if (spec) {
      maximize = search::tuner_options(*spec).maximize;
      maximize_basis = "from the study's definition";
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
  std::map<std::string, std::vector<tune::Value>> observed;
  for (const auto& t : trials) {
    for (const auto& [k, v] : t.record.trial.config) {
      if (!observed.count(k)) keys.push_back(k);
      observed[k].push_back(v);
    }
  }
  std::map<std::string, Distribution> dists;
  for (const auto& k : keys) dists[k] = distribution_for(space, k, observed[k]);

  std::vector<Provenance> provenances;
  for (const auto& t : trials) provenances.push_back(t.energy_provenance);
  const std::string energy_provenance = provenance_name(provenance_weakest(provenances));
  const bool simulated = spec && spec->backend == search::Backend::zeus_trace;

  std::string tmp = util::parent_dir(path) + "/." + target.filename().string() + fmt::format(".tmp-{}", static_cast<long>(::getpid()));
  remove_file_and_journal(tmp);
  try {
    sqlite::Connection db(tmp);
    db.exec(kSchema, "create Optuna's tables");
    db.exec("BEGIN", "start a transaction");
    auto run = [&](Stmt& s) {
      s.run();
      return db.last_row_id();
    };
    {
      Stmt s(db.get(), db.path(), "INSERT INTO version_info(version_info_id, schema_version, library_version) VALUES(1, ?1, ?2)");
      s.integer(1, kOptunaSchemaVersion);
      s.text(2, kOptunaLibraryVersion);
      run(s);
      Stmt a(db.get(), db.path(), "INSERT INTO alembic_version(version_num) VALUES(?1)");
      a.text(1, kOptunaAlembicRevision);
      run(a);
    }
    Stmt study_ins(db.get(), db.path(), "INSERT INTO studies(study_id, study_name) VALUES(1, ?1)");
    study_ins.text(1, study->name);
    const int64_t sid = run(study_ins);
    {
      Stmt dir_ins(db.get(), db.path(), "INSERT INTO study_directions(direction, study_id, objective) VALUES(?1, ?2, ?3)");
      for (size_t i = 0; i < result.directions.size(); ++i) {
        dir_ins.text(1, result.directions[i]);
        dir_ins.integer(2, sid);
        dir_ins.integer(3, static_cast<int64_t>(i));
        run(dir_ins);
      }
    }
    {
      Stmt attr(db.get(), db.path(), "INSERT INTO study_user_attributes(study_id, \"key\", value_json) VALUES(?1, ?2, ?3)");
      auto put = [&](const std::string& k, const nlohmann::json& v) {
        attr.integer(1, sid);
        attr.text(2, k);
        attr.text(3, v.dump());
        run(attr);
      };
      put("powertrain_study", study->name);
      put("powertrain_study_kind", study->kind);
      put("powertrain_study_status", study_status_name(study->status));
      put("powertrain_spec", stored_spec);
      put("objective_names", result.objective_names);
      if (opt.objective_ == OptunaObjective::metric_energy) {
        put("metric_direction", maximize ? "maximize" : "minimize");
        put("metric_direction_basis", maximize_basis);
        put("energy_j", "all energy spent on the trial's configuration up to the end of the trial, in J");
      } else {
        put("loss", "what the powertrain strategy minimised: -metric, metric, or the energy to reach the target in J");
      }
      put("energy_provenance", energy_provenance);
      put("datetimes", "the study's creation time plus each trial's cumulative search duration, in UTC" +
                           std::string(simulated || energy_provenance == "simulated" ? " (simulated durations)" : ""));
      Stmt sys(db.get(), db.path(), "INSERT INTO study_system_attributes(study_id, \"key\", value_json) VALUES(?1, ?2, ?3)");
      sys.integer(1, sid);
      sys.text(2, "study:metric_names");
      sys.text(3, nlohmann::json(result.objective_names).dump());
      run(sys);
    }

    Stmt trial_ins(db.get(), db.path(), "INSERT INTO trials(number, study_id, state, datetime_start, datetime_complete) VALUES(?1, ?2, ?3, ?4, ?5)");
    Stmt param_ins(db.get(), db.path(), "INSERT INTO trial_params(trial_id, param_name, param_value, distribution_json) VALUES(?1, ?2, ?3, ?4)");
    Stmt value_ins(db.get(), db.path(), "INSERT INTO trial_values(trial_id, objective, value, value_type) VALUES(?1, ?2, ?3, ?4)");
    Stmt inter_ins(db.get(), db.path(),
                   "INSERT INTO trial_intermediate_values(trial_id, step, intermediate_value, intermediate_value_type) "
                   "VALUES(?1, ?2, ?3, ?4)");
    Stmt tattr(db.get(), db.path(), "INSERT INTO trial_user_attributes(trial_id, \"key\", value_json) VALUES(?1, ?2, ?3)");

    std::map<std::string, std::map<int, double>> history;  // config -> to_epoch -> value
    double previous_search_s = 0;
    for (size_t n = 0; n < trials.size(); ++n) {
      const tune::TrialRecord& t = trials[n].record;
      const double metric = t.result.metric, energy_j = t.result.energy_j, loss = t.result.loss;
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
        state = t.result.stopped_early ? "PRUNED" : "FAIL";
        ++(t.result.stopped_early ? result.pruned_trials : result.failed_trials);
      }
      const double search_s = t.search_duration_s;
      const bool timed = std::isfinite(study->created_at_unix_s) && std::isfinite(search_s);
      trial_ins.integer(1, static_cast<int64_t>(n));
      trial_ins.integer(2, sid);
      trial_ins.text(3, state);
      if (timed) {
        trial_ins.text(4, sql_datetime(study->created_at_unix_s + previous_search_s));
        trial_ins.text(5, sql_datetime(study->created_at_unix_s + search_s));
        previous_search_s = search_s;
      } else {
        trial_ins.null(4);
        trial_ins.null(5);
      }
      const int64_t tid = run(trial_ins);

      for (const auto& [key, value] : t.trial.config) {
        const Distribution& d = dists[key];
        double internal = NAN;
        if (d.categorical) {
          auto it = std::find(d.choices.begin(), d.choices.end(), value);
          if (it != d.choices.end()) internal = static_cast<double>(it - d.choices.begin());
        } else {
          internal = std::get<double>(value);
        }
        param_ins.integer(1, tid);
        param_ins.text(2, key);
        param_ins.finite(3, internal);
        param_ins.text(4, d.json);
        run(param_ins);
      }
      if (complete) {
        for (size_t i = 0; i < values.size(); ++i) {
          value_ins.integer(1, tid);
          value_ins.integer(2, static_cast<int64_t>(i));
          value_ins.finite(3, values[i]);
          value_ins.text(4, value_type(values[i]));
          run(value_ins);
        }
      }
      // Intermediate values: this configuration's value at the end of each of its trials so far.
      auto& h = history[tune::config_key(t.trial.config)];
      h[t.to_epoch] = opt.objective_ == OptunaObjective::metric_energy ? metric : loss;
      for (const auto& [step, v] : h) {
        inter_ins.integer(1, tid);
        inter_ins.integer(2, step);
        inter_ins.finite(3, v);
        inter_ins.text(4, value_type(v));
        run(inter_ins);
      }
      // The trial as powertrain stores it, as user attributes ("trial" as powertrain_trial).
      nlohmann::json stored = trial_to_json(trials[n]);
      stored["powertrain_trial"] = trials[n].record.trial.id;
      stored.erase("trial");
      stored.erase("config");
      for (auto it = stored.begin(); it != stored.end(); ++it) {
        tattr.integer(1, tid);
        tattr.text(2, it.key());
        tattr.text(3, it.value().dump());
        run(tattr);
      }
      ++result.trials;
    }
    db.exec("COMMIT", "commit the export");
    db.close();
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
      throw InteropError("cannot rename " + tmp + " to " + path + ": " + std::strerror(errno));
    }
  } catch (const StoreError& e) {
    remove_file_and_journal(tmp);
    throw InteropError(e.what());
  } catch (...) {
    remove_file_and_journal(tmp);
    throw;
  }
  return result;
}

std::string optuna_export_text(const OptunaExportResult& r, const std::string& study_name, const std::string& path) {
  std::string dirs;
  for (size_t i = 0; i < r.directions.size(); ++i) dirs += (i ? ", " : "") + r.objective_names[i] + " " + r.directions[i];
  std::string out = "wrote " + std::to_string(r.trials) + " trials of '" + study_name + "' to " + path + " (" + dirs +
                    (r.metric_direction_basis.empty() ? "" : "; metric direction " + r.metric_direction_basis) + ")";
  if (r.failed_trials > 0) out += "; " + std::to_string(r.failed_trials) + " trials without a finite value are FAIL";
  if (r.pruned_trials > 0) out += "; " + std::to_string(r.pruned_trials) + " trials stopped by the beta rule are PRUNED";
  return out + "\n  open with: optuna.load_study(study_name=\"" + study_name + "\", storage=\"" + optuna_storage_url(path) + "\")\n";
}

}  // namespace powertrain
