// A search study's spec: read, checked whole, stored and read back. The only place the
// keys of a study file and of a stored spec are spelled.
#include "powertrain/search/spec.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "powertrain/tune/trace_objective.h"
#include "util/json.h"

namespace powertrain::search {

namespace {

using nlohmann::json;

constexpr double kMaxBeta = 1000;
constexpr int kMaxEpochs = 100000;
constexpr double kMaxEta = 100;
// A space whose 2-point grid (every categorical value, both bounds of each range) is at most
// this large is checked configuration by configuration; larger ones parameter by parameter.
constexpr size_t kMaxCheckedCorners = 256;

// A number that must be finite and in [lo, hi]: `what` names it in the error.
double checked(double v, double lo, double hi, const std::string& what) {
  if (!std::isfinite(v)) throw ConfigError(what + ": must be a finite number (got " + fmt::format("{}", v) + ")");
  if (v < lo || v > hi) throw ConfigError(fmt::format("{}: must be between {} and {} (got {})", what, lo, hi, v));
  return v;
}

double number(const json& j, const char* key, const std::string& where) {
  const json& v = j.at(key);
  if (!v.is_number()) throw ConfigError(where + key + ": must be a number");
  return v.get<double>();
}

// Reads the "space" object of a study file: {"key": {"type": ..., ...}, ...}.
tune::SearchSpace parse_space(const json& j, const std::string& origin) {
  auto fail = [&](const std::string& key, const std::string& what) {
    throw ConfigError("study " + origin + ": space." + key + ": " + what);
  };
  if (!j.is_object() || j.empty()) {
    throw ConfigError("study " + origin + ": space: must be an object of parameters, e.g. "
                      "{\"optimizer.lr\": {\"type\": \"log_float\", \"low\": 1e-4, \"high\": 1e-1}}");
  }
  tune::SearchSpace space;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    const json& p = it.value();
    std::string type = util::text_at(p, "type");
    try {
      if (type == "categorical") {
        const json& values = util::value_at(p, "values");
        if (!values.is_array() || values.empty()) fail(key, "needs \"values\": [...]");
        std::vector<tune::Value> choices;
        for (const auto& v : values) {
          if (v.is_number()) choices.emplace_back(checked(v.get<double>(), -1e300, 1e300, "study " + origin + ": space." + key));
          else if (v.is_string()) choices.emplace_back(v.get<std::string>());
          else fail(key, "values must be numbers or strings");
        }
        space.add_categorical(key, choices);
      } else if (type == "float" || type == "log_float" || type == "int") {
        if (!util::value_at(p, "low").is_number() || !util::value_at(p, "high").is_number()) {
          fail(key, "needs numeric \"low\" and \"high\"");
        }
        const std::string what = "study " + origin + ": space." + key;
        double lo = checked(p["low"].get<double>(), -1e300, 1e300, what + ".low");
        double hi = checked(p["high"].get<double>(), -1e300, 1e300, what + ".high");
        if (type == "float") space.add_float(key, lo, hi);
        else if (type == "log_float") space.add_log_float(key, lo, hi);
        else {
          checked(lo, -1e15, 1e15, what + ".low");
          checked(hi, -1e15, 1e15, what + ".high");
          if (lo != std::floor(lo) || hi != std::floor(hi)) fail(key, "an int range needs whole \"low\" and \"high\"");
          space.add_int(key, static_cast<long>(lo), static_cast<long>(hi));
        }
      } else {
        fail(key, "\"type\" must be one of: categorical, float, log_float, int");
      }
    } catch (const std::invalid_argument& e) {
      fail(key, e.what());
    }
  }
  return space;
}

// Every value of the space applied to the base config: the whole 2-point grid when it is
// small, else each parameter's values (bounds, categories) one at a time.
void check_space_against_config(const tune::SearchSpace& space, const TrainConfig& base, const std::string& origin) {
  auto check = [&](const tune::Config& c) {
    try {
      apply_tune_config(base, c);
    } catch (const ConfigError& e) {
      std::string keys;
      for (const auto& [k, v] : c) keys += (keys.empty() ? "" : ", ") + k + "=" + tune::value_text(v);
      throw ConfigError("study " + origin + ": space: the configuration {" + keys + "} is not a valid training config: " +
                        e.what());
    }
  };
  if (space.grid_size(2) <= kMaxCheckedCorners) {
    for (const auto& c : space.grid(2)) check(c);
    return;
  }
  for (const auto& p : space.params()) {
    std::vector<tune::Value> values = p.choices;
    if (p.kind != tune::ParamKind::categorical) values = {p.low, p.high};
    for (const auto& v : values) check({{p.name, v}});
  }
}

void check_budget(const BudgetSpec& b, int max_epochs, const std::string& where) {
  const std::string at = where + "budget";
  checked(b.eta, 1.0 + 1e-9, kMaxEta, at + ".eta");
  if (b.unit == tune::BudgetUnit::joules && (std::isnan(b.min) || std::isnan(b.max))) {
    throw ConfigError(at + ": rungs in joules need \"min\" and \"max\" (joules), e.g. {\"unit\": \"joules\", "
                      "\"min\": 500, \"max\": 40000}; --min-budget and --max-budget with --simulate");
  }
  if (!std::isnan(b.min)) checked(b.min, 1e-12, 1e18, at + ".min");
  if (!std::isnan(b.max)) checked(b.max, 1e-12, 1e18, at + ".max");
  const double lo = std::isnan(b.min) ? 1.0 : b.min, hi = std::isnan(b.max) ? max_epochs : b.max;
  if (hi < lo) throw ConfigError(fmt::format("{}: min ({}) must not be above max ({})", at, lo, hi));
  if (b.unit == tune::BudgetUnit::epochs && hi > max_epochs) {
    throw ConfigError(fmt::format("{}.max: {} epochs is more than max_epochs {}", at, hi, max_epochs));
  }
}

void check_common(const StudySpec& s, int max_epochs, const std::string& where) {
  const auto names = tune::strategy_names();
  if (std::find(names.begin(), names.end(), s.strategy) == names.end()) {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    throw ConfigError(where + "strategy: unknown strategy '" + s.strategy + "'; choose one of: " + list);
  }
  checked(s.beta, 0, kMaxBeta, where + "beta");
  if (!(s.max_energy_j > 0) || std::isnan(s.max_energy_j)) {
    throw ConfigError(fmt::format("{}max_energy_j: must be a positive number of joules (got {})", where, s.max_energy_j));
  }
  check_budget(s.budget, max_epochs, where);
  // The strategy itself accepts the budgets (rungs it can build).
  try {
    tune::make_strategy(s.strategy, search_space(s), strategy_budget(s), s.seed);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(where + "strategy " + s.strategy + ": " + e.what());
  }
}

BudgetSpec parse_budget(const json& b, const std::string& where) {
  if (!b.is_object()) {
    throw ConfigError(where + "budget: must be an object {\"unit\": \"epochs\"|\"joules\", \"min\", \"max\", \"eta\"}");
  }
  for (auto it = b.begin(); it != b.end(); ++it) {
    if (it.key() != "unit" && it.key() != "min" && it.key() != "max" && it.key() != "eta") {
      throw ConfigError(where + "budget." + it.key() + ": unknown key; allowed: unit, min, max, eta");
    }
  }
  BudgetSpec out;
  std::string unit = util::text_at(b, "unit", "epochs");
  if (unit != "epochs" && unit != "joules") throw ConfigError(where + "budget.unit: must be \"epochs\" or \"joules\"");
  out.unit = unit == "joules" ? tune::BudgetUnit::joules : tune::BudgetUnit::epochs;
  for (const char* key : {"min", "max", "eta"}) {
    const json& v = util::value_at(b, key);
    if (v.is_null()) continue;
    if (!v.is_number()) throw ConfigError(where + "budget." + key + ": must be a number");
    double d = v.get<double>();
    if (std::string(key) == "min") out.min = d;
    else if (std::string(key) == "max") out.max = d;
    else out.eta = d;
  }
  return out;
}

json budget_json(const BudgetSpec& b) {
  return {{"unit", b.unit == tune::BudgetUnit::joules ? "joules" : "epochs"},
          {"min", util::num(b.min)},
          {"max", util::num(b.max)},
          {"eta", b.eta}};
}

uint64_t parse_seed(const json& v, const std::string& where) {
  if (!v.is_number_integer() || (v.is_number_integer() && !v.is_number_unsigned() && v.get<int64_t>() < 0)) {
    throw ConfigError(where + "seed: must be a whole number >= 0");
  }
  return v.get<uint64_t>();
}

}  // namespace

StudySpec parse_study_text(const std::string& text, const std::string& origin) {
  json study;
  try {
    study = json::parse(text, nullptr, true, true);
  } catch (const json::exception& e) {  // parse errors, and numbers beyond a double (1e400)
    throw ConfigError("study " + origin + " is not valid JSON: " + e.what());
  }
  if (!study.is_object()) throw ConfigError("study " + origin + ": must be a JSON object");
  static const std::vector<std::string> keys = {"name", "train", "space", "strategy", "max_epochs", "target",
                                                "beta", "seed", "max_energy_j", "budget", "batch_size_probe",
                                                "lr_screening"};
  for (auto it = study.begin(); it != study.end(); ++it) {
    if (std::find(keys.begin(), keys.end(), it.key()) == keys.end()) {
      throw ConfigError("study " + origin + ": " + it.key() + ": unknown key; allowed: name, train, space, strategy, "
                        "max_epochs, target, beta, seed, max_energy_j, budget, batch_size_probe, lr_screening");
    }
  }
  const std::string where = "study " + origin + ": ";
  StudySpec s;
  s.backend = Backend::training;
  s.study_path = origin;
  s.study_text = text;
  if (study.contains("name")) {
    if (!study["name"].is_string()) throw ConfigError(where + "name: must be a string");
    s.name = study["name"].get<std::string>();
  }
  const json& train = util::value_at(study, "train");
  if (!train.is_null() && !train.is_object()) throw ConfigError(where + "train: must be an object (a training config)");
  s.base = parse_train_config(train.is_null() ? "{}" : train.dump(), origin + " (train)");
  s.space = parse_space(util::value_at(study, "space"), origin);
  if (study.contains("strategy")) {
    if (!study["strategy"].is_string()) throw ConfigError(where + "strategy: must be a string");
    s.strategy = study["strategy"].get<std::string>();
  }
  if (study.contains("seed")) s.seed = parse_seed(study["seed"], where);
  s.max_epochs = s.base.training.epochs;
  if (study.contains("max_epochs")) {
    double e = number(study, "max_epochs", where);
    checked(e, 1, kMaxEpochs, where + "max_epochs");
    if (e != std::floor(e)) throw ConfigError(where + "max_epochs: must be a whole number of epochs");
    s.max_epochs = static_cast<int>(e);
  }
  s.base.training.epochs = s.max_epochs;
  if (study.contains("target") && !study["target"].is_null()) {
    s.target = checked(number(study, "target", where), -1e300, 1e300, where + "target");
  }
  if (study.contains("beta") && !study["beta"].is_null()) s.beta = number(study, "beta", where);
  if (study.contains("max_energy_j") && !study["max_energy_j"].is_null()) s.max_energy_j = number(study, "max_energy_j", where);
  if (study.contains("budget") && !study["budget"].is_null()) s.budget = parse_budget(study["budget"], where);
  if (study.contains("batch_size_probe")) {
    if (!study["batch_size_probe"].is_boolean()) throw ConfigError(where + "batch_size_probe: must be true or false");
    s.probe_batch_sizes = study["batch_size_probe"].get<bool>();
  }
  if (study.contains("lr_screening")) {
    if (!study["lr_screening"].is_boolean()) throw ConfigError(where + "lr_screening: must be true or false");
    s.screen_learning_rates = study["lr_screening"].get<bool>();
  }
  validate(s);
  return s;
}

StudySpec read_study_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw ConfigError("study " + path + " is a directory: give a study file (JSON)");
  std::ifstream f(path);
  if (!f) throw ConfigError("cannot read study " + path + ": no such file or no permission");
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_study_text(ss.str(), path);
}

StudySpec zeus_study(const ZeusStudy& zeus, const StudySpec& options) {
  StudySpec s = options;
  s.backend = Backend::zeus_trace;
  s.zeus = zeus;
  if (zeus.simulate.rfind("zeus:", 0) != 0 || zeus.simulate.size() <= 5) {
    throw ConfigError("--simulate takes zeus:DIR (a directory with the Zeus NSDI'23 traces summary_train.csv and "
                      "summary_power_<gpu>.csv)");
  }
  try {
    s.trace = std::make_shared<const tune::ZeusTrace>(tune::ZeusTrace::load(zeus.simulate.substr(5), zeus.gpu));
    s.trace->workload(zeus.workload);
  } catch (const ConfigError&) {
    throw;
  } catch (const std::exception& e) {
    throw ConfigError(std::string("--simulate ") + zeus.simulate + ": " + e.what());
  }
  validate(s);
  return s;
}

void validate(const StudySpec& s) {
  if (s.backend == Backend::zeus_trace) {
    if (!s.trace) throw ConfigError("the simulated study's traces are not loaded (give --simulate zeus:DIR)");
    check_common(s, s.trace->workload(s.zeus.workload).max_epochs, "");
    return;
  }
  const std::string where = "study " + s.study_path + ": ";
  if (s.space.empty()) throw ConfigError(where + "space: must name at least one parameter");
  if (std::isfinite(s.target) && s.base.task == "autoencoder") {
    throw ConfigError(where + "target: an autoencoder study has no accuracy to reach; remove \"target\"");
  }
  check_common(s, s.max_epochs, where);
  check_space_against_config(s.space, s.base, s.study_path);
}

json spec_to_json(const StudySpec& s) {
  if (s.backend == Backend::zeus_trace) {
    return {{"backend", "zeus-trace"},
            {"simulate", s.zeus.simulate},
            {"gpu", s.zeus.gpu},
            {"workload", s.zeus.workload},
            {"power_limits", s.zeus.search_power_limits ? "searched" : "profiled"},
            {"batch_size_probe", s.zeus.probe_batch_sizes},
            {"strategy", s.strategy},
            {"beta", s.beta},
            {"seed", s.seed},
            {"max_energy_j", util::num(s.max_energy_j)},
            {"budget", budget_json(s.budget)}};
  }
  return {{"backend", "train"}, {"config_path", s.study_path}, {"study_text", s.study_text},
          {"batch_size_probe", s.probe_batch_sizes}, {"lr_screening", s.screen_learning_rates}};
}

StudySpec spec_from_json(const json& j) {
  const std::string backend = util::text_at(j, "backend");
  if (backend == "train") {
    if (!util::value_at(j, "study_text").is_string()) throw ConfigError("the stored study has no study file text");
    StudySpec s = parse_study_text(j["study_text"].get<std::string>(), util::text_at(j, "config_path", "(stored study)"));
    // Studies stored before probes explored every configuration: they replay as they ran.
    const json& probe = util::value_at(j, "batch_size_probe");
    s.probe_batch_sizes = s.probe_batch_sizes && probe.is_boolean() && probe.get<bool>();
    // and those stored before the probes swept learning rates, without the sweeps.
    const json& screen = util::value_at(j, "lr_screening");
    s.screen_learning_rates = s.screen_learning_rates && screen.is_boolean() && screen.get<bool>();
    return s;
  }
  if (backend != "zeus-trace") throw ConfigError("the stored study is of unknown kind '" + backend + "' (a newer powertrain?)");
  StudySpec options;
  options.strategy = util::text_at(j, "strategy", options.strategy);
  options.beta = util::number_at(j, "beta", 0);
  if (j.contains("seed")) options.seed = parse_seed(j["seed"], "stored study: ");
  options.max_energy_j = util::number_at(j, "max_energy_j", std::numeric_limits<double>::infinity());
  if (j.contains("budget") && !j["budget"].is_null()) options.budget = parse_budget(j["budget"], "stored study: ");
  ZeusStudy zeus;
  zeus.simulate = util::text_at(j, "simulate");
  zeus.gpu = util::text_at(j, "gpu", zeus.gpu);
  zeus.workload = util::text_at(j, "workload", zeus.workload);
  // Studies stored before profiling searched the power limits: they replay as they ran.
  zeus.search_power_limits = util::text_at(j, "power_limits", "searched") != "profiled";
  // and those stored before the probe screened batch sizes after the exploratory epochs.
  const json& probe = util::value_at(j, "batch_size_probe");
  zeus.probe_batch_sizes = probe.is_boolean() && probe.get<bool>();
  return zeus_study(zeus, options);
}

std::optional<tune::SearchSpace> declared_space(const json& stored) {
  if (!util::value_at(stored, "study_text").is_string()) return std::nullopt;
  try {
    json study = json::parse(stored["study_text"].get<std::string>(), nullptr, true, true);
    return parse_space(util::value_at(study, "space"), util::text_at(stored, "config_path", "(stored study)"));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

tune::TunerOptions tuner_options(const StudySpec& s) {
  tune::TunerOptions o;
  if (s.backend == Backend::zeus_trace) {
    const tune::WorkloadSpec& w = s.trace->workload(s.zeus.workload);
    o.maximize = w.higher_is_better;
    o.max_epochs = w.max_epochs;
    o.target_metric = w.target_metric;
    o.unreached_metric = w.unreached_metric;
    o.loss = tune::LossKind::energy_to_target;
  } else {
    o.maximize = s.base.task != "autoencoder";
    o.max_epochs = s.max_epochs;
    if (std::isfinite(s.target)) {
      o.target_metric = s.target;
      o.loss = tune::LossKind::energy_to_target;
      o.unreached_metric = 0.1;  // chance level of ten classes: progress is measured from there
    }
  }
  o.beta = s.beta;
  o.max_energy_j = s.max_energy_j;
  o.budget_unit = s.budget.unit;
  return o;
}

tune::StrategyBudget strategy_budget(const StudySpec& s) {
  const int max_epochs = s.backend == Backend::zeus_trace ? s.trace->workload(s.zeus.workload).max_epochs : s.max_epochs;
  tune::StrategyBudget b;
  b.min_budget = std::isnan(s.budget.min) ? 1.0 : s.budget.min;
  b.max_budget = std::isnan(s.budget.max) ? static_cast<double>(max_epochs) : s.budget.max;
  b.eta = s.budget.eta;
  b.probe = s.backend == Backend::zeus_trace ? s.zeus.probe_batch_sizes : s.probe_batch_sizes;
  b.lr_screen = s.backend == Backend::training && s.screen_learning_rates;
  return b;
}

tune::SearchSpace search_space(const StudySpec& s) {
  if (s.backend == Backend::zeus_trace) return tune::ZeusObjective(*s.trace, s.zeus.workload, s.seed, power_profile(s)).space();
  return s.space;
}

tune::PowerProfile power_profile(const StudySpec& s) {
  tune::PowerProfile p;
  p.enabled = s.backend == Backend::zeus_trace && !s.zeus.search_power_limits;
  return p;
}

std::vector<std::pair<std::string, std::string>> stored_spec_facts(const json& stored) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!stored.is_object()) return out;
  for (const char* k : {"backend", "strategy", "gpu", "workload", "simulate", "config_path"}) {
    const json& v = util::value_at(stored, k);
    if (v.is_string()) out.push_back({k, v.get<std::string>()});
  }
  return out;
}

bool stored_spec_simulated(const json& stored) {
  return stored.is_object() && (stored.contains("simulate") || util::text_at(stored, "backend") == "zeus-trace");
}

StudySpec stored_search_spec(const std::optional<StudyRecord>& study, const std::string& name, const std::string& where,
                             const std::string& hint) {
  if (!study) throw ConfigError("no study named '" + name + "' in " + where + hint);
  if (study->kind != "tune") throw ConfigError("'" + name + "' is a " + study->kind + " study, not a search: see powertrain study");
  return spec_from_json(util::parse_or(study->spec_json, nullptr));
}

std::string default_study_name(const StudySpec& s) {
  const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  return fmt::format("{}-{}", s.name.empty() ? s.strategy : s.name, now_s);
}

std::string spec_label(const StudySpec& s) {
  if (s.backend == Backend::zeus_trace) return fmt::format("{} on the {} trace of {}", s.strategy, s.zeus.gpu, s.zeus.workload);
  return fmt::format("{} over {}", s.strategy, s.study_path);
}

}  // namespace powertrain::search
