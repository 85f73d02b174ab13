// The search study (research.md sections 2 and 3): grid, random, Bayesian (TPE), successive
// halving and SM2 on the same batch size x learning rate space, with real training, by the
// energy each spends until a trial first reaches the target accuracy and by the quality of
// the configuration it chooses. With a Zeus trace directory, the same strategies also run
// on the GPU traces (simulated), where the optimum is known.
#include "powertrain/study/search.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "powertrain/search/runner.h"
#include "powertrain/search/spec.h"
#include "powertrain/store/trial_log.h"
#include "powertrain/train/tune_objective.h"
#include "study/common.h"

namespace powertrain {

namespace {

const std::vector<std::string> kStrategies = {"grid", "random", "tpe", "sh", "sm2"};

// What one strategy's search did: its trials, the energy until a trial first reached the
// target, and the configuration it chose.
SearchStrategyRow search_row(const std::string& strategy, const search::StudyRunner& runner, const search::SearchSummary& summary,
                             double duration_s) {
  SearchStrategyRow row;
  row.strategy = strategy;
  row.trials = static_cast<int64_t>(runner.trials().size());
  row.search_energy_j = runner.search_energy_j();
  row.energy_j = row.search_energy_j;  // what the study spent on this strategy
  row.energy_provenance = summary.energy_provenance;
  row.duration_s = duration_s;
  for (const StoredTrial& t : runner.trials()) {
    if (t.record.result.reached_target) {
      row.energy_to_first_target_j = t.record.search_energy_j;
      break;
    }
  }
  if (summary.chosen) {
    row.best_config = *summary.chosen;
    row.best_val_accuracy = summary.chosen_metric;
    row.best_reached_target = summary.chosen_reached_target;
    // The chosen configuration's own energy to the target (from its last trial).
    for (const StoredTrial& t : runner.trials()) {
      if (tune::config_key(t.record.trial.config) == tune::config_key(*summary.chosen) && std::isfinite(t.record.config_eta_j)) {
        row.best_energy_to_target_j = t.record.config_eta_j;
      }
    }
  }
  return row;
}

// Runs one strategy's search to its end through the search layer, as `powertrain tune`
// would; returns the runner (its trials) and how it ended.
search::SearchSummary run_strategy(search::StudyRunner& runner, const std::atomic<bool>* stop) {
  MemoryTrialLog log;
  search::Ending ending = runner.run(log, {}, stop);
  if (ending == search::Ending::interrupted) throw StudyInterrupted("search study interrupted");
  return runner.summary(ending);
}

bool file_exists(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (f) std::fclose(f);
  return f != nullptr;
}

}  // namespace

SearchResult run_search_study(const StudyOptions& opts, const SearchOptions& search, Store* store) {
  ScaleSpec scale = scale_spec(opts.scale);
  // The space: the regime study's axes, 2 x 2 at tiny scale, 3 x 3 otherwise (a 4 x 4 grid
  // of real training is what the regime study already measures).
  SearchOptions o = search;
  if (o.batch_sizes.empty()) o.batch_sizes = scale.name == "tiny" ? std::vector<int64_t>{64, 256} : std::vector<int64_t>{64, 256, 1024};
  if (o.learning_rates.empty()) o.learning_rates = scale.name == "tiny" ? std::vector<double>{0.1, 0.01} : std::vector<double>{0.1, 0.01, 0.001};
  // The target: reachable by good setups at the scale's epochs (documented in docs/studies.md).
  if (!std::isfinite(o.target)) o.target = scale.name == "tiny" ? 0.6 : scale.name == "small" ? 0.8 : 0.88;
  const double target = o.target;
  study::Context ctx("search", opts, store, o);
  SearchResult result;
  result.header = ctx.header();
  result.options = o;
  result.strategies = kStrategies;
  result.optimizer = "sgd";
  result.target_val_accuracy = target;

  study::json base = ctx.base_config();
  base["optimizer"] = {{"type", "sgd"}, {"lr", 0.01}, {"momentum", 0.9}};
  TrainConfig cfg = ctx.config(base, {});
  tune::SearchSpace space;
  std::vector<tune::Value> bs_values, lr_values;
  for (int64_t b : o.batch_sizes) bs_values.emplace_back(static_cast<double>(b));
  for (double l : o.learning_rates) lr_values.emplace_back(l);
  space.add_categorical("training.batch_size", bs_values);
  space.add_categorical("optimizer.lr", lr_values);

  // Each strategy is a study of the search layer, as `powertrain tune` runs it: the same
  // space, epochs and target; minimising the energy to reach the target.
  search::StudySpec spec;
  spec.backend = search::Backend::training;
  spec.study_path = "(the search study)";
  spec.base = cfg;
  spec.space = space;
  spec.max_epochs = scale.max_epochs;
  spec.target = target;
  search::RunnerOptions runner_options;
  runner_options.sensors = opts.sensors;
  runner_options.training = make_training_objective;

  for (const auto& name : kStrategies) {
    if (opts.stop_requested && opts.stop_requested->load()) throw StudyInterrupted("search study interrupted");
    ctx.say(fmt::format("search: {} over {} configurations ({} epochs at most, target {:.2f})", name, space.grid_size(),
                        scale.max_epochs, target));
    spec.strategy = name;
    search::validate(spec);
    search::StudyRunner runner(spec, runner_options);
    auto t0 = std::chrono::steady_clock::now();
    search::SearchSummary summary = run_strategy(runner, opts.stop_requested);
    double duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    SearchStrategyRow row = search_row(name, runner, summary, duration_s);
    ctx.say(fmt::format("search: {} spent {:.0f} J in {} trials; chose {} ({:.3f})", name, row.search_energy_j, row.trials,
                        (row.best_config.empty() ? std::string("none") : tune::config_text(row.best_config, ", ")), row.best_val_accuracy));
    ctx.record(row, row.search_energy_j, row.best_val_accuracy);
    result.runs.push_back(row);
  }

  // The same strategies on the GPU traces, where the optimum is known.
  if (!o.trace_dir.empty() && file_exists(o.trace_dir + "/summary_train.csv")) {
    search::ZeusStudy zeus;
    zeus.simulate = "zeus:" + o.trace_dir;
    for (const auto& name : kStrategies) {
      search::StudySpec options;
      options.strategy = name;
      search::StudyRunner runner(search::zeus_study(zeus, options), search::RunnerOptions());
      search::SearchSummary summary = run_strategy(runner, opts.stop_requested);
      SimulatedSearchRow sim;
      sim.strategy = name;
      sim.gpu = zeus.gpu;
      sim.workload = zeus.workload;
      sim.trials = static_cast<int64_t>(runner.trials().size());
      sim.search_energy_j = runner.search_energy_j();
      sim.search_energy_optimal_runs = runner.search_energy_j() / summary.optimal_eta_j;
      sim.chosen_energy_to_target_j = summary.chosen_eta_j;
      sim.chosen_vs_optimal = summary.chosen_eta_j / summary.optimal_eta_j;
      sim.energy_provenance = Provenance::simulated;
      result.simulated.push_back(sim);
    }
  }

  // Findings: who reached the target for the least energy, and how SM2 compares with grid.
  std::vector<std::string>& findings = result.header.findings;
  const SearchStrategyRow* cheapest = nullptr;
  for (const auto& r : result.runs) {
    if (std::isfinite(r.energy_to_first_target_j) && (!cheapest || r.energy_to_first_target_j < cheapest->energy_to_first_target_j)) {
      cheapest = &r;
    }
  }
  if (cheapest) {
    findings.push_back(fmt::format("{} reached {:.0f} % validation accuracy after spending the least energy: {:.0f} J",
                                   cheapest->strategy, 100 * target, cheapest->energy_to_first_target_j));
  } else {
    findings.push_back(fmt::format("no strategy reached {:.0f} % validation accuracy within {} epochs: lower --target or use "
                                   "a larger scale", 100 * target, scale.max_epochs));
  }
  auto find = [&](const std::string& n) -> const SearchStrategyRow* {
    for (const auto& r : result.runs) if (r.strategy == n) return &r;
    return nullptr;
  };
  const SearchStrategyRow* grid = find("grid");
  const SearchStrategyRow* sm2 = find("sm2");
  if (grid && sm2 && grid->search_energy_j > 0) {
    findings.push_back(fmt::format("SM2 spent {:.0f} % of grid search's energy and chose a configuration with {:.3f} validation "
                                   "accuracy (grid's choice: {:.3f})",
                                   100 * sm2->search_energy_j / grid->search_energy_j, sm2->best_val_accuracy, grid->best_val_accuracy));
  }
  for (const auto& s : result.simulated) {
    if (s.strategy == "sm2") {
      findings.push_back(fmt::format("on the V100 cifar100 trace, SM2 spent {:.1f} optimal training runs and chose a configuration "
                                     "needing {:.2f}x the optimal energy to the target",
                                     s.search_energy_optimal_runs, s.chosen_vs_optimal));
    }
  }

  std::vector<study::EnergyPart> parts;
  for (const auto& r : result.runs) parts.push_back({r.energy_j, r.energy_provenance});
  ctx.finish(result.header, parts);
  ctx.store_result(result);
  return result;
}

}  // namespace powertrain
