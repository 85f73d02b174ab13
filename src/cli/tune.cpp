// `powertrain tune`: an energy-aware hyperparameter search. With --simulate zeus:DIR it
// runs on the Zeus GPU traces (real measured epochs and power, no GPU needed).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <iostream>
#include <optional>
#include <thread>

#include "cli/commands.h"
#include "cli/output.h"
#include "powertrain/store/store.h"
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
};

// What a study searches: stored with it, so --resume rebuilds the same search.
nlohmann::json spec_json(const TuneOptions& o) {
  return {{"backend", "zeus-trace"}, {"simulate", o.simulate}, {"gpu", o.gpu},        {"workload", o.workload},
          {"strategy", o.strategy},  {"beta", o.beta},         {"seed", o.seed},
          {"max_energy_j", std::isfinite(o.max_energy_j) ? nlohmann::json(o.max_energy_j) : nlohmann::json(nullptr)}};
}

void apply_spec(const nlohmann::json& j, TuneOptions& o) {
  o.simulate = j.at("simulate").get<std::string>();
  o.gpu = j.at("gpu").get<std::string>();
  o.workload = j.at("workload").get<std::string>();
  o.strategy = j.at("strategy").get<std::string>();
  o.beta = j.at("beta").get<double>();
  o.seed = j.at("seed").get<uint64_t>();
  o.max_energy_j = j.at("max_energy_j").is_null() ? INFINITY : j.at("max_energy_j").get<double>();
}

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

// Energy of grid search over the same space (every configuration trained to the target or
// the epoch limit), from the same simulated objective: what the strategy is compared with.
double grid_energy_j(const tune::ZeusTrace& trace, const std::string& workload, uint64_t seed) {
  tune::ZeusObjective objective(trace, workload, seed);
  tune::Tuner tuner(objective, objective.tuner_options());
  auto grid = tune::make_strategy("grid", objective.space(), objective.tuner_options().max_epochs, seed);
  tuner.run(*grid);
  return tuner.search_energy_j();
}

int run_simulated(TuneOptions o) {
  // The study: a new one, or a stored one to continue.
  std::optional<Store> store;
  std::string db = o.db.empty() ? (std::getenv("POWERTRAIN_DB") && *std::getenv("POWERTRAIN_DB") ? std::getenv("POWERTRAIN_DB") : "powertrain.db") : o.db;
  std::vector<std::string> stored;
  int64_t study_id = 0;
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
    apply_spec(nlohmann::json::parse(study->spec_json), o);
    o.study = study->name;
    study_id = study->id;
    stored = store->study_trials(study_id);
  }
  if (o.simulate.rfind("zeus:", 0) != 0) {
    std::cerr << "powertrain tune: --simulate takes zeus:DIR (a directory with the Zeus NSDI'23 traces "
                 "summary_train.csv and summary_power_<gpu>.csv)\n";
    return 2;
  }
  std::string dir = o.simulate.substr(5);
  tune::ZeusTrace trace;
  std::unique_ptr<tune::ZeusObjective> objective;
  std::unique_ptr<tune::Strategy> strategy;
  tune::TunerOptions options;
  try {
    trace = tune::ZeusTrace::load(dir, o.gpu);
    objective = std::make_unique<tune::ZeusObjective>(trace, o.workload, o.seed);
    options = objective->tuner_options();
    options.beta = o.beta;
    options.max_energy_j = o.max_energy_j;
    strategy = tune::make_strategy(o.strategy, objective->space(), options.max_epochs, o.seed);
  } catch (const std::exception& e) {
    std::cerr << "powertrain tune: " << e.what() << "\n";
    return 2;
  }
  const tune::WorkloadSpec& spec = trace.workload(o.workload);
  const tune::TraceOptimum optimum = trace.optimum(o.workload);
  if (!o.quiet) {
    std::cerr << fmt::format("tune: {} on the {} trace of {} ({}): {} configurations (batch size x power limit), target {} {} "
                             "within {} epochs; loss = {}\n",
                             o.strategy, o.gpu, o.workload, spec.network, trace.configs(o.workload).size(),
                             spec.higher_is_better ? ">=" : "<=", spec.target_metric, spec.max_epochs,
                             options.loss == tune::LossKind::kEnergyToTarget ? "energy to reach the target" : "the validation metric");
  }
  if (o.resume.empty() && !o.no_store) {
    if (o.study.empty()) {
      o.study = fmt::format("{}-{}-{}-seed{}-{}", o.strategy, o.workload, o.gpu, o.seed,
                            std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    }
    try {
      store.emplace(Store::open(db));
      study_id = store->create_study(o.study, spec_json(o).dump());
    } catch (const StoreError& e) {
      std::cerr << "powertrain tune: " << e.what() << "\n";
      return 2;
    }
  }
  tune::Tuner tuner(*objective, options);
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
  auto records = tuner.run(*strategy, [&](const tune::TrialRecord& r) {
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
  auto best = strategy->best();
  double grid_j = grid_energy_j(trace, o.workload, o.seed);
  double search_j = tuner.search_energy_j();
  double best_eta_j = best ? objective->true_eta_j(*best) : INFINITY;

  if (store) store->set_study_status(study_id, "finished");
  std::string out = fmt::format("\npowertrain: {} finished after {} trials on the simulated {} {}\n", o.strategy,
                                trials.size(), o.gpu, o.workload);
  if (best) {
    out += fmt::format("  chosen           {} (metric {:.4f}{})\n", config_text(*best), strategy->best_result()->metric,
                       strategy->best_result()->reached_target ? ", reached the target" : "");
    out += fmt::format("  its energy       {} to reach the target (mean over the trace's runs); the best configuration "
                       "needs {} ({} W limit, batch {}): {:.2f}x\n",
                       fmt_energy(best_eta_j), fmt_energy(optimum.eta_j), optimum.config.power_limit_w,
                       optimum.config.batch_size, best_eta_j / optimum.eta_j);
  }
  out += fmt::format("  search energy    {} = {:.1f} optimal training runs; grid search over the same space: {} ({:.1f} runs), "
                     "so this search spent {:.1f} % of grid's\n",
                     fmt_energy(search_j), search_j / optimum.eta_j, fmt_energy(grid_j), grid_j / optimum.eta_j,
                     100.0 * search_j / grid_j);
  out += "  provenance       simulated from measured GPU traces (Zeus, NSDI'23: time per epoch x average power)\n";
  if (store) out += fmt::format("  stored as study '{}' in {}\n", o.study, db);
  if (!o.quiet) std::cerr << out;
  if (!o.json_path.empty()) {
    nlohmann::json j = {{"schema", "powertrain.tune/1"},
                        {"backend", "zeus-trace"},
                        {"gpu", o.gpu},
                        {"workload", o.workload},
                        {"network", spec.network},
                        {"strategy", o.strategy},
                        {"study", store ? nlohmann::json(o.study) : nlohmann::json(nullptr)},
                        {"beta", o.beta},
                        {"seed", o.seed},
                        {"trials", trials},
                        {"best_config", best ? config_json(*best) : nlohmann::json(nullptr)},
                        {"best_metric", best ? num(strategy->best_result()->metric) : nlohmann::json(nullptr)},
                        {"best_eta_j", num(best_eta_j)},
                        {"optimal_eta_j", num(optimum.eta_j)},
                        {"search_energy_j", num(search_j)},
                        {"search_energy_optimal_runs", num(search_j / optimum.eta_j)},
                        {"grid_energy_j", num(grid_j)},
                        {"energy_provenance", "simulated"}};
    std::string err;
    if (!write_output(o.json_path, j.dump(2) + "\n", err)) std::cerr << "powertrain: " << err << "\n";
  }
  return 0;
}

}  // namespace

void add_tune_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<TuneOptions>();
  CLI::App* cmd = app.add_subcommand("tune", "Energy-aware hyperparameter search (now: on the Zeus GPU traces with --simulate)");
  cmd->add_option("config", o->config, "study config (real-training studies: not available yet; use --simulate)");
  cmd->add_option("--simulate", o->simulate, "simulate training from traces: zeus:DIR (the Zeus NSDI'23 trace directory)");
  cmd->add_option("--gpu", o->gpu, "trace GPU: v100, a40 or rtx6000 (default v100)");
  cmd->add_option("--workload", o->workload,
                  "trace workload: cifar100, imagenet, squad, librispeech, movielens-1m, sentiment140 (default cifar100)");
  cmd->add_option("--strategy", o->strategy, "grid, random, tpe, sh, hyperband (default hyperband)");
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
    if (o->simulate.empty() && o->resume.empty()) {
      std::cerr << "powertrain tune: studies that train real models are not available yet; run a simulated study "
                   "with --simulate zeus:DIR (see docs/tune.md)\n";
      exit_code = 2;
      return;
    }
    exit_code = run_simulated(*o);
  });
}

}  // namespace powertrain::cli
