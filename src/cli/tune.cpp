// `powertrain tune`: an energy-aware hyperparameter search. With --simulate zeus:DIR it
// runs on the Zeus GPU traces (real measured epochs and power, no GPU needed).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <cmath>
#include <iostream>
#include <optional>
#include <thread>

#include "cli/commands.h"
#include "cli/output.h"
#include "powertrain/store/store.h"
#include "powertrain/train/config.h"
#include "powertrain/train/tune_objective.h"
#include "powertrain/tune/pareto_successive_halving.h"
#include "powertrain/tune/registry.h"
#include "powertrain/tune/trace_objective.h"
#include "powertrain/tune/tuner.h"

namespace powertrain::cli {

namespace {

struct TuneOptions {
  std::string config;
  std::string simulate;        // zeus:DIR
  std::string gpu = "v100";
  std::string workload = "cifar100";
  std::string strategy = "hyperband";
  double beta = 0;             // Zeus's early-stop rule; 0 = off
  uint64_t seed = 0;
  double max_energy_j = INFINITY;
  std::string json_path;
  bool quiet = false;
  std::string db;              // run store; default ./powertrain.db
  bool no_store = false;
  std::string study;           // study name (default: made from the options and the time)
  std::string resume;          // continue this stored study
  double pace_ms = 0;          // pause between simulated trials (to watch a study live)
  SensorOptions sensors;
};

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

// What a simulated study searches: stored with it, so --resume rebuilds the same search.
nlohmann::json spec_json(const TuneOptions& o) {
  return {{"backend", "zeus-trace"}, {"simulate", o.simulate}, {"gpu", o.gpu},        {"workload", o.workload},
          {"strategy", o.strategy},  {"beta", o.beta},         {"seed", o.seed},
          {"max_energy_j", std::isfinite(o.max_energy_j) ? nlohmann::json(o.max_energy_j) : nlohmann::json(nullptr)}};
}

// One study's backend: the objective and what can be said about its results.
struct Backend {
  std::unique_ptr<tune::Objective> objective;
  tune::SearchSpace space;
  tune::TunerOptions options;
  std::string strategy;
  uint64_t seed = 0;
  std::string description;                            // printed first
  std::string provenance;                             // of the energies
  std::function<std::string()> live_provenance;       // real training: from the meter
  nlohmann::json spec;                                // stored, so --resume rebuilds the same study
  nlohmann::json extra;                               // backend facts for the JSON output
  std::string name;                                   // the study config's name, if any
  // Simulation only: the true energy-to-target of a config, the optimum, grid's energy.
  std::function<double(const tune::Config&)> true_eta_j;
  double optimal_eta_j = NAN;
  std::function<double()> grid_energy_j;
  // Keeps what the objective refers to alive.
  std::shared_ptr<void> keep;
};

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
    static const std::vector<std::string> keys = {"name", "train", "space", "strategy", "max_epochs", "target", "beta", "seed", "max_energy_j"};
    if (std::find(keys.begin(), keys.end(), it.key()) == keys.end()) {
      throw ConfigError("study " + origin + ": " + it.key() + ": unknown key; allowed: name, train, space, strategy, "
                        "max_epochs, target, beta, seed, max_energy_j");
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
    b.options.loss = tune::LossKind::kEnergyToTarget;
    b.options.unreached_metric = 0.1;  // chance level of ten classes: progress is measured from there
  }
  if (study.contains("max_energy_j") && !study["max_energy_j"].is_null()) b.options.max_energy_j = study["max_energy_j"].get<double>();
  auto say = [quiet](const std::string& m) { if (!quiet) std::cerr << m << "\n"; };
  auto objective = std::make_unique<TrainingObjective>(base, sensors, say);
  TrainingObjective* raw = objective.get();
  b.live_provenance = [raw] { return raw->energy_provenance(); };
  b.description = fmt::format("{} over {} parameters ({} grid points) training {} on {}; {} epochs at most; the strategy "
                              "minimises {}",
                              b.strategy, b.space.params().size(), b.space.grid_size(), base.model.type, base.data.path,
                              max_epochs,
                              std::isfinite(b.options.target_metric)
                                  ? fmt::format("the energy to reach validation accuracy {}", b.options.target_metric)
                                  : std::string("the validation loss (maximises accuracy)"));
  b.extra = {{"backend", "train"}, {"study_config", origin}};
  b.name = study.value("name", std::string());
  b.objective = std::move(objective);
  return b;
}

int run_study(TuneOptions o) {
  // The study: a stored one to continue, or a new one.
  std::optional<Store> store;
  std::string db = o.db;
  if (db.empty()) {
    const char* env = std::getenv("POWERTRAIN_DB");
    db = env && *env ? env : "powertrain.db";
  }
  std::vector<std::string> stored;
  int64_t study_id = 0;
  nlohmann::json spec;
  if (!o.resume.empty()) {
    try {
      store.emplace(Store::open(db));
    } catch (const StoreError& e) {
      std::cerr << "powertrain tune: " << e.what() << "\n";
      return 2;
    }
    auto study = store->study(o.resume);
    if (!study) {
      std::cerr << "powertrain tune: no study named '" << o.resume << "' in " << db << " (check --db and the name)\n";
      return 2;
    }
    spec = nlohmann::json::parse(study->spec_json);
    o.study = study->name;
    study_id = study->id;
    stored = store->study_trials(study_id);
  } else if (!o.simulate.empty()) {
    spec = spec_json(o);
  } else {
    std::ifstream f(o.config);
    if (!f) {
      std::cerr << "powertrain tune: cannot read study " << o.config << ": no such file or no permission\n";
      return 2;
    }
    std::stringstream ss;
    ss << f.rdbuf();
    spec = {{"backend", "train"}, {"config_path", o.config}, {"study_text", ss.str()}};
  }

  Backend b;
  std::unique_ptr<tune::Strategy> strategy;
  try {
    b = spec.at("backend") == "zeus-trace" ? zeus_backend(spec) : training_backend(spec, discover_options(o.sensors), o.quiet);
    if (spec.at("backend") == "zeus-trace") {
      b.options.beta = spec.at("beta").get<double>();
      if (!spec.at("max_energy_j").is_null()) b.options.max_energy_j = spec.at("max_energy_j").get<double>();
    }
    strategy = tune::make_strategy(b.strategy, b.space, b.options.max_epochs, b.seed);
  } catch (const std::exception& e) {
    std::cerr << "powertrain tune: " << e.what() << "\n";
    return 2;
  }
  if (!o.quiet) std::cerr << "tune: " << b.description << "\n";
  if (o.resume.empty() && !o.no_store) {
    if (o.study.empty()) {
      o.study = fmt::format("{}-{}", b.name.empty() ? b.strategy : b.name,
                            std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    }
    try {
      store.emplace(Store::open(db));
      study_id = store->create_study(o.study, spec.dump());
    } catch (const StoreError& e) {
      std::cerr << "powertrain tune: " << e.what() << "\n";
      return 2;
    }
  }

  tune::Tuner tuner(*b.objective, b.options);
  nlohmann::json trials = nlohmann::json::array();
  // Resume: replay the stored trials through the strategy (which must ask exactly them
  // again) and the tuner, without training or counting their energy again.
  for (size_t i = 0; i < stored.size(); ++i) {
    tune::TrialRecord rec = trial_from_json(nlohmann::json::parse(stored[i]));
    auto trial = strategy->ask();
    if (!trial || trial->id != rec.trial.id || tune::config_key(trial->config) != tune::config_key(rec.trial.config) ||
        trial->budget != rec.trial.budget) {
      std::cerr << "powertrain tune: study '" << o.study << "' does not replay: stored trial " << i
                << " is not what the strategy asks now (was it written by another powertrain version?)\n";
      return 1;
    }
    strategy->tell(*trial, rec.result);
    tuner.replay(rec);
    trials.push_back(trial_json(rec));
  }
  if (!stored.empty() && !o.quiet) {
    std::cerr << fmt::format("resumed study '{}': {} stored trials replayed, {} spent so far\n", o.study, stored.size(),
                             fmt_energy(tuner.search_energy_j()));
  }
  int64_t seq = static_cast<int64_t>(stored.size());
  tuner.run(*strategy, [&](const tune::TrialRecord& r) {
    nlohmann::json tj = trial_json(r);
    if (store) store->record_trial(study_id, seq, tj.dump(), r.trial_energy_j, r.result.metric);
    ++seq;
    trials.push_back(tj);
    if (o.pace_ms > 0) std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(o.pace_ms));
    if (!o.quiet) {
      std::cerr << fmt::format("trial {:>4}  {:<32} epochs {:>3} -> {:<3} metric {:>8.4f}{}  +{:>10}  search {:>10}\n",
                               r.trial.id, config_text(r.trial.config), r.from_epoch, r.to_epoch, r.result.metric,
                               r.result.reached_target ? " (target)" : (r.result.stopped_early ? " (beta stop)" : "         "),
                               fmt_energy(r.trial_energy_j), fmt_energy(r.search_energy_j));
    }
    return true;
  });
  if (store) store->set_study_status(study_id, "finished");

  auto best = strategy->best();
  double search_j = tuner.search_energy_j();
  std::string provenance = b.live_provenance ? b.live_provenance() : b.provenance;
  double best_eta_j = best && b.true_eta_j ? b.true_eta_j(*best) : NAN;
  double grid_j = b.grid_energy_j ? b.grid_energy_j() : NAN;
  std::string out = fmt::format("\npowertrain: {} finished after {} trials\n", b.strategy, trials.size());
  if (best) {
    out += fmt::format("  chosen           {} (metric {:.4f}{})\n", config_text(*best), strategy->best_result()->metric,
                       strategy->best_result()->reached_target ? ", reached the target" : "");
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
  if (const auto* pareto = dynamic_cast<const tune::ParetoSuccessiveHalving*>(strategy.get())) {
    front = nlohmann::json::array();
    out += "  Pareto front     (no configuration is better in both metric and energy than these)\n";
    for (const auto& p : pareto->pareto_front()) {
      out += fmt::format("                   {:<36} metric {:>8.4f}  energy {:>10}  at budget {:.3g}\n", config_text(p.config),
                         p.metric, fmt_energy(p.energy_j), p.budget);
      front.push_back({{"config", config_json(p.config)}, {"metric", num(p.metric)}, {"energy_j", num(p.energy_j)},
                       {"loss", num(p.loss)}, {"budget", p.budget}});
    }
  }
  if (store) out += fmt::format("  stored as study '{}' in {} (continue after an interruption with --resume {})\n", o.study, db, o.study);
  if (!o.quiet) std::cerr << out;
  if (!o.json_path.empty()) {
    nlohmann::json j = {{"schema", "powertrain.tune/1"},
                        {"strategy", b.strategy},
                        {"study", store ? nlohmann::json(o.study) : nlohmann::json(nullptr)},
                        {"beta", b.options.beta},
                        {"seed", b.seed},
                        {"trials", trials},
                        {"best_config", best ? config_json(*best) : nlohmann::json(nullptr)},
                        {"best_metric", best ? num(strategy->best_result()->metric) : nlohmann::json(nullptr)},
                        {"best_eta_j", num(best_eta_j)},
                        {"optimal_eta_j", num(b.optimal_eta_j)},
                        {"search_energy_j", num(search_j)},
                        {"grid_energy_j", num(grid_j)},
                        {"energy_provenance", provenance},
                        {"pareto_front", front}};
    j.update(b.extra);
    std::string err;
    if (!write_output(o.json_path, j.dump(2) + "\n", err)) std::cerr << "powertrain: " << err << "\n";
  }
  return 0;
}

}  // namespace
void add_tune_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<TuneOptions>();
  CLI::App* cmd = app.add_subcommand("tune", "Energy-aware hyperparameter search: real training, or the Zeus GPU traces with --simulate");
  cmd->add_option("config", o->config, "study config (JSON: base training config, search space, strategy; see docs/tune.md)");
  add_sensor_options(cmd, o->sensors);
  cmd->add_option("--simulate", o->simulate, "simulate training from traces: zeus:DIR (the Zeus NSDI'23 trace directory)");
  cmd->add_option("--gpu", o->gpu, "trace GPU: v100, a40 or rtx6000 (default v100)");
  cmd->add_option("--workload", o->workload,
                  "trace workload: cifar100, imagenet, squad, librispeech, movielens-1m, sentiment140 (default cifar100)");
  cmd->add_option("--strategy", o->strategy, "grid, random, tpe, sh, hyperband, sm2, pareto-sh, asha (default hyperband)");
  cmd->add_option("--beta", o->beta, "stop a configuration once its energy exceeds beta x the best energy-to-target seen (Zeus: 2; default off)")
      ->check(CLI::Range(0.0, 1000.0));
  cmd->add_option("--seed", o->seed, "seed of the strategy and of the trace runs (default 0)");
  cmd->add_option("--max-energy-j", o->max_energy_j, "stop the search once it has spent this many joules")->check(CLI::PositiveNumber);
  cmd->add_option("--json", o->json_path, "write the study as JSON to FILE ('-' for stdout)");
  cmd->add_flag("-q,--quiet", o->quiet, "print nothing but errors");
  cmd->add_option("--db", o->db, "run store (SQLite file; default ./powertrain.db, env POWERTRAIN_DB)");
  cmd->add_flag("--no-store", o->no_store, "do not store the study");
  cmd->add_option("--study", o->study, "name of the study (default: strategy-workload-gpu-seed-time)");
  cmd->add_option("--resume", o->resume, "continue the stored study NAME after an interruption");
  cmd->add_option("--pace-ms", o->pace_ms, "pause between simulated trials, to watch a study live")->check(CLI::Range(0.0, 60000.0));
  cmd->callback([o, &exit_code] {
    if (std::string why = check_output_path(o->json_path); !why.empty()) {
      std::cerr << "powertrain tune: --json " << o->json_path << ": " << why << "\n";
      exit_code = 2;
      return;
    }
    if (o->simulate.empty() && o->resume.empty() && o->config.empty()) {
      std::cerr << "powertrain tune: give a study config (see docs/tune.md), --simulate zeus:DIR, or --resume NAME\n";
      exit_code = 2;
      return;
    }
    exit_code = run_study(*o);
  });
}

}  // namespace powertrain::cli
