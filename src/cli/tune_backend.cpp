// What `tune` and `worker` share: study definitions, backends, trial JSON, summaries.
#include "cli/tune_backend.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/output.h"
#include "powertrain/train/config.h"
#include "powertrain/train/tune_objective.h"
#include "powertrain/tune/pareto_successive_halving.h"
#include "powertrain/tune/registry.h"
#include "powertrain/tune/trace_objective.h"

namespace powertrain::cli {

std::string config_text(const tune::Config& c) {
  std::string out;
  for (const auto& [k, v] : c) {
    out += (out.empty() ? "" : " ") + k + "=" + tune::value_text(v);
  }
  return out;
}

nlohmann::json config_json(const tune::Config& c) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : c) {
    j[k] = std::holds_alternative<double>(v) ? nlohmann::json(std::get<double>(v)) : nlohmann::json(std::get<std::string>(v));
  }
  return j;
}

tune::Config config_from_json(const nlohmann::json& j) {
  tune::Config c;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it->is_number()) c[it.key()] = it->get<double>();
    else c[it.key()] = it->get<std::string>();
  }
  return c;
}

// A trial as stored and printed (JSON numbers; NaN and inf become null).
nlohmann::json trial_json(const tune::TrialRecord& r) {
  return {{"trial", r.trial.id},
          {"config", config_json(r.trial.config)},
          {"budget", r.trial.budget},
          {"from_epoch", r.from_epoch},
          {"to_epoch", r.to_epoch},
          {"loss", num(r.result.loss)},
          {"metric", num(r.result.metric)},
          {"config_energy_j", num(r.result.energy_j)},
          {"config_epochs", r.result.epochs},
          {"reached_target", r.result.reached_target},
          {"stopped_early", r.result.stopped_early},
          {"trial_energy_j", num(r.trial_energy_j)},
          {"search_energy_j", num(r.search_energy_j)},
          {"search_duration_s", num(r.search_duration_s)},
          {"config_eta_j", num(r.config_eta_j)}};
}

double number_or(const nlohmann::json& j, double missing) { return j.is_null() ? missing : j.get<double>(); }

tune::TrialRecord trial_from_json(const nlohmann::json& j) {
  tune::TrialRecord r;
  r.trial.id = j.at("trial").get<long>();
  r.trial.config = config_from_json(j.at("config"));
  r.trial.budget = j.at("budget").get<double>();
  r.from_epoch = j.at("from_epoch").get<int>();
  r.to_epoch = j.at("to_epoch").get<int>();
  r.result.loss = number_or(j.at("loss"), INFINITY);  // +inf is stored as null
  r.result.metric = number_or(j.at("metric"), NAN);
  r.result.energy_j = number_or(j.at("config_energy_j"), NAN);
  r.result.epochs = j.at("config_epochs").get<double>();
  r.result.reached_target = j.at("reached_target").get<bool>();
  r.result.stopped_early = j.at("stopped_early").get<bool>();
  r.trial_energy_j = number_or(j.at("trial_energy_j"), NAN);
  r.search_energy_j = number_or(j.at("search_energy_j"), NAN);
  r.search_duration_s = number_or(j.at("search_duration_s"), NAN);
  r.config_eta_j = number_or(j.at("config_eta_j"), NAN);
  return r;
}

nlohmann::json asked_json(const tune::Trial& t) {
  return {{"trial", t.id}, {"config", config_json(t.config)}, {"budget", t.budget}};
}

bool same_trial(const tune::Trial& t, const nlohmann::json& j) {
  return t.id == j.at("trial").get<long>() && tune::config_key(t.config) == tune::config_key(config_from_json(j.at("config"))) &&
         t.budget == j.at("budget").get<double>();
}

std::string backend_provenance(const Backend& b) { return b.live_provenance ? b.live_provenance() : b.provenance; }

std::string default_states_dir(const std::string& storage, const std::string& study) {
  std::string name = study;
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_' && ch != '.') ch = '_';
  }
  if (name.empty() || name == "." || name == "..") name = "study";
  if (storage.rfind("postgresql://", 0) == 0 || storage.rfind("postgres://", 0) == 0) return "powertrain-states/" + name;
  std::string file = storage.rfind("sqlite:", 0) == 0 ? storage.substr(7) : storage;
  return file + ".states/" + name;
}

std::string use_states_dir(const Backend& b, const std::string& dir) {
  if (!b.keep_states_in || dir.empty()) return "";
  b.keep_states_in(dir);
  return "configuration states in " + dir + " (a resumed study or another worker continues from them; removed when the study ends)";
}

void remove_states_dir(const std::string& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  const auto parent = std::filesystem::path(dir).parent_path();
  if (!parent.empty() && std::filesystem::is_empty(parent, ec)) std::filesystem::remove(parent, ec);
}

std::string trial_line(const tune::TrialRecord& r) {
  return fmt::format("trial {:>4}  {:<32} epochs {:>3} -> {:<3} metric {:>8.4f}{}  +{:>10}  search {:>10}", r.trial.id,
                     config_text(r.trial.config), r.from_epoch, r.to_epoch, r.result.metric,
                     r.result.reached_target ? " (target)" : (r.result.stopped_early ? " (beta stop)" : "         "),
                     fmt_energy(r.trial_energy_j), fmt_energy(r.search_energy_j));
}

void add_study_definition_options(CLI::App* cmd, StudyDefinition& d) {
  cmd->add_option("config", d.config, "study config (JSON: base training config, search space, strategy; see docs/tune.md)");
  cmd->add_option("--simulate", d.simulate, "simulate training from traces: zeus:DIR (the Zeus NSDI'23 trace directory)");
  cmd->add_option("--gpu", d.gpu, "trace GPU: v100, a40 or rtx6000 (default v100)");
  cmd->add_option("--workload", d.workload,
                  "trace workload: cifar100, imagenet, squad, librispeech, movielens-1m, sentiment140 (default cifar100)");
  cmd->add_option("--strategy", d.strategy, "grid, random, tpe, sh, hyperband, sm2, pareto-sh, asha (default hyperband)");
  cmd->add_option("--beta", d.beta, "stop a configuration once its energy exceeds beta x the best energy-to-target seen (Zeus: 2; default off)")
      ->check(CLI::Range(0.0, 1000.0));
  cmd->add_option("--seed", d.seed, "seed of the strategy and of the trace runs (default 0)");
  cmd->add_option("--max-energy-j", d.max_energy_j, "stop the search once it has spent this many joules")->check(CLI::PositiveNumber);
  cmd->add_option("--budget-unit", d.budget_unit, "simulation: rungs in epochs or joules (default epochs)")
      ->check(CLI::IsMember({"epochs", "joules"}));
  cmd->add_option("--min-budget", d.min_budget, "simulation: first rung (default 1 epoch; required with joules)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-budget", d.max_budget, "simulation: full budget (default the workload's max epochs; required with joules)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--eta", d.eta, "simulation: rung growth factor of sh, hyperband, asha, sm2, pareto-sh (default 3)")
      ->check(CLI::Range(1.01, 100.0));
}

namespace {

// Reads budget settings ({"unit", "min", "max", "eta"}) into a backend; epoch defaults
// are 1 .. max_epochs, eta 3; joule budgets need min and max.
void apply_budget(Backend& b, const nlohmann::json& budget, const std::string& where) {
  auto get = [&](const char* key, double fallback) {
    if (!budget.contains(key) || budget[key].is_null()) return fallback;
    if (!budget[key].is_number()) throw ConfigError(where + "budget." + key + ": must be a number");
    return budget[key].get<double>();
  };
  std::string unit = budget.value("unit", std::string("epochs"));
  if (unit != "epochs" && unit != "joules") throw ConfigError(where + "budget.unit: must be \"epochs\" or \"joules\"");
  b.options.budget_unit = unit == "joules" ? tune::BudgetUnit::joules : tune::BudgetUnit::epochs;
  double fallback_min = unit == "epochs" ? 1.0 : NAN, fallback_max = unit == "epochs" ? b.options.max_epochs : NAN;
  b.budget.min_budget = get("min", fallback_min);
  b.budget.max_budget = get("max", fallback_max);
  b.budget.eta = get("eta", 3.0);
  if (!std::isfinite(b.budget.min_budget) || !std::isfinite(b.budget.max_budget)) {
    throw ConfigError(where + "budget: rungs in joules need \"min\" and \"max\" (joules), e.g. {\"unit\": \"joules\", "
                      "\"min\": 500, \"max\": 40000}; --min-budget and --max-budget with --simulate");
  }
  if (!(b.budget.min_budget > 0) || b.budget.max_budget < b.budget.min_budget || !(b.budget.eta > 1)) {
    throw ConfigError(where + "budget: need 0 < min <= max and eta > 1");
  }
  if (unit == "epochs" && b.budget.max_budget > b.options.max_epochs) {
    throw ConfigError(where + "budget.max: " + fmt::format("{}", b.budget.max_budget) + " epochs is more than max_epochs " +
                      std::to_string(b.options.max_epochs));
  }
}

}  // namespace

nlohmann::json study_spec(const StudyDefinition& d) {
  if (!d.simulate.empty()) {
    return {{"backend", "zeus-trace"}, {"simulate", d.simulate}, {"gpu", d.gpu},       {"workload", d.workload},
            {"strategy", d.strategy},  {"beta", d.beta},         {"seed", d.seed},
            {"max_energy_j", std::isfinite(d.max_energy_j) ? nlohmann::json(d.max_energy_j) : nlohmann::json(nullptr)},
            {"budget", {{"unit", d.budget_unit}, {"min", num(d.min_budget)}, {"max", num(d.max_budget)}, {"eta", d.eta}}}};
  }
  std::ifstream f(d.config);
  if (!f) throw ConfigError("cannot read study " + d.config + ": no such file or no permission");
  std::stringstream ss;
  ss << f.rdbuf();
  return {{"backend", "train"}, {"config_path", d.config}, {"study_text", ss.str()}};
}

namespace {

// --simulate zeus:DIR: batch size x power limit on the Zeus traces.
Backend zeus_backend(const nlohmann::json& spec) {
  Backend b;
  std::string simulate = spec.at("simulate").get<std::string>();
  if (simulate.rfind("zeus:", 0) != 0) {
    throw ConfigError("--simulate takes zeus:DIR (a directory with the Zeus NSDI'23 traces summary_train.csv and "
                      "summary_power_<gpu>.csv)");
  }
  std::string gpu = spec.at("gpu"), workload = spec.at("workload");
  b.seed = spec.at("seed").get<uint64_t>();
  b.strategy = spec.at("strategy");
  auto trace = std::make_shared<tune::ZeusTrace>(tune::ZeusTrace::load(simulate.substr(5), gpu));
  auto objective = std::make_unique<tune::ZeusObjective>(*trace, workload, b.seed);
  b.space = objective->space();
  b.options = objective->tuner_options();
  const tune::WorkloadSpec& w = trace->workload(workload);
  const tune::TraceOptimum optimum = trace->optimum(workload);
  b.description = fmt::format("{} on the {} trace of {} ({}): {} configurations (batch size x power limit), target {} {} "
                              "within {} epochs; the strategy minimises the energy to reach the target",
                              b.strategy, gpu, workload, w.network, trace->configs(workload).size(),
                              w.higher_is_better ? ">=" : "<=", w.target_metric, w.max_epochs);
  b.provenance = "simulated";
  tune::ZeusObjective* raw = objective.get();
  b.true_eta_j = [raw](const tune::Config& c) { return raw->true_eta_j(c); };
  b.optimal_eta_j = optimum.eta_j;
  b.grid_energy_j = [trace, workload, seed = b.seed] {
    tune::ZeusObjective grid_objective(*trace, workload, seed);
    tune::Tuner tuner(grid_objective, grid_objective.tuner_options());
    auto grid = tune::make_strategy("grid", grid_objective.space(), grid_objective.tuner_options().max_epochs, seed);
    tuner.run(*grid);
    return tuner.search_energy_j();
  };
  b.extra = {{"backend", "zeus-trace"}, {"gpu", gpu}, {"workload", workload}, {"network", w.network},
             {"optimal_config", {{"batch_size", optimum.config.batch_size}, {"power_limit_w", optimum.config.power_limit_w}}}};
  b.objective = std::move(objective);
  b.keep = trace;
  return b;
}

// Reads the "space" object of a study config: {"key": {"type": ..., ...}, ...}.
tune::SearchSpace parse_space(const nlohmann::json& j, const std::string& origin) {
  auto fail = [&](const std::string& key, const std::string& what) -> void {
    throw ConfigError("study " + origin + ": space." + key + ": " + what);
  };
  if (!j.is_object() || j.empty()) {
    throw ConfigError("study " + origin + ": space: must be an object of parameters, e.g. "
                      "{\"optimizer.lr\": {\"type\": \"log_float\", \"low\": 1e-4, \"high\": 1e-1}}");
  }
  tune::SearchSpace space;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    const auto& p = it.value();
    std::string type = p.is_object() && p.contains("type") && p["type"].is_string() ? p["type"].get<std::string>() : "";
    try {
      if (type == "categorical") {
        if (!p.contains("values") || !p["values"].is_array() || p["values"].empty()) fail(key, "needs \"values\": [...]");
        std::vector<tune::Value> values;
        for (const auto& v : p["values"]) {
          if (v.is_number()) values.emplace_back(v.get<double>());
          else if (v.is_string()) values.emplace_back(v.get<std::string>());
          else fail(key, "values must be numbers or strings");
        }
        space.add_categorical(key, values);
      } else if (type == "float" || type == "log_float" || type == "int") {
        if (!p.contains("low") || !p.contains("high") || !p["low"].is_number() || !p["high"].is_number()) {
          fail(key, "needs numeric \"low\" and \"high\"");
        }
        double lo = p["low"].get<double>(), hi = p["high"].get<double>();
        if (type == "float") space.add_float(key, lo, hi);
        else if (type == "log_float") space.add_log_float(key, lo, hi);
        else space.add_int(key, static_cast<long>(lo), static_cast<long>(hi));
      } else {
        fail(key, "\"type\" must be one of: categorical, float, log_float, int");
      }
    } catch (const std::invalid_argument& e) {
      fail(key, e.what());
    }
  }
  return space;
}

// A study that trains real models: CONFIG is a study file (see docs/tune.md).
Backend training_backend(const nlohmann::json& spec, const DiscoverOptions& sensors, bool quiet) {
  Backend b;
  std::string origin = spec.at("config_path");
  nlohmann::json study;
  try {
    study = nlohmann::json::parse(spec.at("study_text").get<std::string>(), nullptr, true, true);
  } catch (const nlohmann::json::parse_error& e) {
    throw ConfigError("study " + origin + " is not valid JSON: " + e.what());
  }
  if (!study.is_object()) throw ConfigError("study " + origin + ": must be a JSON object");
  for (auto it = study.begin(); it != study.end(); ++it) {
    static const std::vector<std::string> keys = {"name", "train", "space", "strategy", "max_epochs", "target", "beta", "seed", "max_energy_j", "budget"};
    if (std::find(keys.begin(), keys.end(), it.key()) == keys.end()) {
      throw ConfigError("study " + origin + ": " + it.key() + ": unknown key; allowed: name, train, space, strategy, "
                        "max_epochs, target, beta, seed, max_energy_j, budget");
    }
  }
  TrainConfig base = parse_train_config(study.value("train", nlohmann::json::object()).dump(), origin + " (train)");
  b.space = parse_space(study.value("space", nlohmann::json()), origin);
  b.strategy = study.value("strategy", std::string("sh"));
  b.seed = study.value("seed", 0ULL);
  int max_epochs = study.value("max_epochs", base.training.epochs);
  if (max_epochs < 1) throw ConfigError("study " + origin + ": max_epochs: must be >= 1");
  base.training.epochs = max_epochs;
  b.options.maximize = base.task != "autoencoder";
  b.options.max_epochs = max_epochs;
  b.options.beta = study.value("beta", 0.0);
  if (study.contains("target") && !study["target"].is_null()) {
    if (!study["target"].is_number()) throw ConfigError("study " + origin + ": target: must be a number (validation accuracy)");
    b.options.target_metric = study["target"].get<double>();
    b.options.loss = tune::LossKind::energy_to_target;
    b.options.unreached_metric = 0.1;  // chance level of ten classes: progress is measured from there
  }
  if (study.contains("max_energy_j") && !study["max_energy_j"].is_null()) b.options.max_energy_j = study["max_energy_j"].get<double>();
  if (study.contains("budget") && !study["budget"].is_object()) {
    throw ConfigError("study " + origin + ": budget: must be an object {\"unit\": \"epochs\"|\"joules\", \"min\", \"max\", \"eta\"}");
  }
  apply_budget(b, study.value("budget", nlohmann::json::object()), "study " + origin + ": ");
  auto say = [quiet](const std::string& m) { if (!quiet) std::cerr << m << "\n"; };
  auto objective = std::make_unique<TrainingObjective>(base, sensors, say);
  TrainingObjective* raw = objective.get();
  b.live_provenance = [raw] { return raw->energy_provenance(); };
  b.keep_states_in = [raw](const std::string& dir) { raw->keep_states_in(dir); };
  b.description = fmt::format("{} over {} parameters ({} grid points) training {} on {}; {} epochs at most; the strategy "
                              "minimises {}",
                              b.strategy, b.space.params().size(), b.space.grid_size(), base.model.type, base.data.path,
                              max_epochs,
                              std::isfinite(b.options.target_metric)
                                  ? fmt::format("the energy to reach validation accuracy {}", b.options.target_metric)
                                  : std::string("the validation loss (maximises accuracy)"));
  b.extra = {{"backend", "train"}, {"study_config", origin}};
  b.train_config_for = [base, name = study.value("name", std::string("study"))](const tune::Config& c) {
    TrainConfig chosen = apply_tune_config(base, c);
    chosen.name = name + "-chosen";
    return train_config_json(chosen);
  };
  b.name = study.value("name", std::string());
  b.objective = std::move(objective);
  return b;
}

}  // namespace

Backend make_backend(const nlohmann::json& spec, const DiscoverOptions& sensors, bool quiet) {
  if (spec.at("backend") == "zeus-trace") {
    Backend b = zeus_backend(spec);
    b.options.beta = spec.at("beta").get<double>();
    if (!spec.at("max_energy_j").is_null()) b.options.max_energy_j = spec.at("max_energy_j").get<double>();
    apply_budget(b, spec.value("budget", nlohmann::json::object()), "");
    return b;
  }
  return training_backend(spec, sensors, quiet);
}

std::unique_ptr<tune::Strategy> make_backend_strategy(const Backend& b) {
  return tune::make_strategy(b.strategy, b.space, b.budget, b.seed);
}

StudySummary summarize_study(const Backend& b, const tune::Strategy& strategy, double search_j, const nlohmann::json& trials) {
  auto best = strategy.best();
  // The weakest provenance among the stored trials (each records the objective's at its
  // time; a worker may have trained none of them itself), else the backend's.
  std::string provenance = b.live_provenance ? b.live_provenance() : b.provenance;
  std::vector<std::string> stored;
  for (const auto& t : trials) {
    if (t.contains("energy_provenance") && t["energy_provenance"].is_string()) stored.push_back(t["energy_provenance"]);
  }
  if (!stored.empty()) provenance = provenance_weakest_name(stored);
  double best_eta_j = best && b.true_eta_j ? b.true_eta_j(*best) : NAN;
  double grid_j = b.grid_energy_j ? b.grid_energy_j() : NAN;
  std::string out = fmt::format("\npowertrain: {} finished after {} trials\n", b.strategy, trials.size());
  if (best) {
    out += fmt::format("  chosen           {} (metric {:.4f}{})\n", config_text(*best), strategy.best_result()->metric,
                       strategy.best_result()->reached_target ? ", reached the target" : "");
  }
  if (std::isfinite(best_eta_j)) {
    out += fmt::format("  its energy       {} to reach the target (mean over the trace's runs); the best configuration needs {}: "
                       "{:.2f}x\n", fmt_energy(best_eta_j), fmt_energy(b.optimal_eta_j), best_eta_j / b.optimal_eta_j);
  }
  out += fmt::format("  search energy    {} ({})", fmt_energy(search_j), provenance);
  if (std::isfinite(b.optimal_eta_j)) out += fmt::format(" = {:.1f} optimal training runs", search_j / b.optimal_eta_j);
  out += "\n";
  if (std::isfinite(grid_j)) {
    out += fmt::format("  against grid     grid search over the same space spends {}: this search spent {:.1f} % of it\n",
                       fmt_energy(grid_j), 100.0 * search_j / grid_j);
  } else {
    // Estimated from the trials: every trained config's energy per epoch x the full budget, for each grid point.
    double per_epoch_sum = 0;
    int n = 0;
    for (const auto& t : trials) {
      if (t["config_epochs"].get<double>() > 0 && !t["config_energy_j"].is_null()) {
        per_epoch_sum += t["config_energy_j"].get<double>() / t["config_epochs"].get<double>();
        ++n;
      }
    }
    if (n > 0) {
      grid_j = per_epoch_sum / n * b.options.max_epochs * static_cast<double>(b.space.grid_size());
      out += fmt::format("  against grid     grid search over the same space would spend about {} (estimated: mean energy per "
                         "epoch of the trials x {} epochs x {} grid points): this search spent {:.1f} % of it\n",
                         fmt_energy(grid_j), b.options.max_epochs, b.space.grid_size(), 100.0 * search_j / grid_j);
    }
  }
  // A multi-objective strategy ends with its Pareto front of (metric, energy).
  nlohmann::json front = nullptr;
  if (const auto* pareto = dynamic_cast<const tune::ParetoSuccessiveHalving*>(&strategy)) {
    front = nlohmann::json::array();
    out += "  Pareto front     (no configuration is better in both metric and energy than these)\n";
    for (const auto& p : pareto->pareto_front()) {
      out += fmt::format("                   {:<36} metric {:>8.4f}  energy {:>10}  at budget {:.3g}\n", config_text(p.config),
                         p.metric, fmt_energy(p.energy_j), p.budget);
      front.push_back({{"config", config_json(p.config)}, {"metric", num(p.metric)}, {"energy_j", num(p.energy_j)},
                       {"loss", num(p.loss)}, {"budget", p.budget}});
    }
  }
  nlohmann::json j = {{"schema", "powertrain.tune/1"},
                      {"strategy", b.strategy},
                      {"beta", b.options.beta},
                      {"seed", b.seed},
                      {"trials", trials},
                      {"best_config", best ? config_json(*best) : nlohmann::json(nullptr)},
                      {"best_metric", best ? num(strategy.best_result()->metric) : nlohmann::json(nullptr)},
                      {"best_eta_j", num(best_eta_j)},
                      {"optimal_eta_j", num(b.optimal_eta_j)},
                      {"search_energy_j", num(search_j)},
                      {"grid_energy_j", num(grid_j)},
                      {"energy_provenance", provenance},
                      {"pareto_front", front}};
  j.update(b.extra);
  return {out, j};
}

}  // namespace powertrain::cli
