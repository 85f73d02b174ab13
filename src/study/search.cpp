// The search study (research.md sections 2 and 3): grid, random, Bayesian (TPE), successive
// halving and SM2 on the same batch size x learning rate space, with real training, by the
// energy each spends until a trial first reaches the target accuracy and by the quality of
// the configuration it chooses. With a Zeus trace directory, the same strategies also run
// on the GPU traces (simulated), where the optimum is known.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "powertrain/train/tune_objective.h"
#include "powertrain/tune/registry.h"
#include "powertrain/tune/trace_objective.h"
#include "powertrain/tune/tuner.h"
#include "study/common.h"

namespace powertrain {

namespace {

using study::dbl;
using study::json;
using study::num;

const std::vector<std::string> kStrategies = {"grid", "random", "tpe", "sh", "sm2"};

json config_json(const tune::Config& c) {
  json j = json::object();
  for (const auto& [k, v] : c) {
    j[k] = std::holds_alternative<double>(v) ? json(std::get<double>(v)) : json(std::get<std::string>(v));
  }
  return j;
}

// What one strategy's search did: its trials, the energy until a trial first reached the
// target, and the configuration it chose.
json search_row(const std::string& strategy, const tune::Strategy& s, const std::vector<tune::TrialRecord>& records,
                double search_energy_j, double duration_s) {
  double to_first_target_j = NAN;
  for (const auto& r : records) {
    if (r.result.reached_target) {
      to_first_target_j = r.search_energy_j;
      break;
    }
  }
  json row = {{"strategy", strategy},
              {"trials", records.size()},
              {"search_energy_j", num(search_energy_j)},
              {"energy_to_first_target_j", num(to_first_target_j)},
              {"duration_s", num(duration_s)}};
  auto best = s.best();
  row["best_config"] = best ? config_json(*best) : json(nullptr);
  row["best_val_accuracy"] = best ? num(s.best_result()->metric) : json(nullptr);
  row["best_reached_target"] = best ? s.best_result()->reached_target : false;
  // The chosen configuration's own energy to the target (from its last trial).
  double best_eta_j = NAN;
  if (best) {
    for (const auto& r : records) {
      if (tune::config_key(r.trial.config) == tune::config_key(*best) && std::isfinite(r.config_eta_j)) {
        best_eta_j = r.config_eta_j;
      }
    }
  }
  row["best_energy_to_target_j"] = num(best_eta_j);
  return row;
}

std::vector<double> doubles(const std::vector<int64_t>& v) { return std::vector<double>(v.begin(), v.end()); }

bool file_exists(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (f) std::fclose(f);
  return f != nullptr;
}

}  // namespace

json run_search_study(const StudyOptions& opts, Store* store) {
  ScaleSpec scale = scale_spec(opts.scale);
  // The space: the regime study's axes, 2 x 2 at tiny scale, 3 x 3 otherwise (a 4 x 4 grid
  // of real training is what the regime study already measures).
  std::vector<int64_t> batch_sizes = opts.batch_sizes;
  std::vector<double> lrs = opts.learning_rates;
  if (batch_sizes.empty()) batch_sizes = scale.name == "tiny" ? std::vector<int64_t>{64, 256} : std::vector<int64_t>{64, 256, 1024};
  if (lrs.empty()) lrs = scale.name == "tiny" ? std::vector<double>{0.1, 0.01} : std::vector<double>{0.1, 0.01, 0.001};
  // The target: reachable by good setups at the scale's epochs (documented in docs/studies.md).
  double target = std::isfinite(opts.target) ? opts.target : scale.name == "tiny" ? 0.6 : scale.name == "small" ? 0.8 : 0.88;
  json inputs = {{"strategies", kStrategies}, {"batch_sizes", batch_sizes}, {"learning_rates", lrs},
                 {"target_val_accuracy", target}, {"optimizer", "sgd"}, {"trace_dir", opts.trace_dir}};
  study::Context ctx("search", opts, store, inputs);

  json base = ctx.base_config();
  base["optimizer"] = {{"type", "sgd"}, {"lr", 0.01}, {"momentum", 0.9}};
  TrainConfig cfg = ctx.config(base, {});
  tune::SearchSpace space;
  std::vector<tune::Value> bs_values, lr_values;
  for (double b : doubles(batch_sizes)) bs_values.emplace_back(b);
  for (double l : lrs) lr_values.emplace_back(l);
  space.add_categorical("training.batch_size", bs_values);
  space.add_categorical("optimizer.lr", lr_values);

  tune::TunerOptions topt;
  topt.maximize = true;
  topt.max_epochs = scale.max_epochs;
  topt.target_metric = target;
  topt.loss = tune::LossKind::energy_to_target;
  topt.unreached_metric = 0.1;  // chance level of ten classes

  json rows = json::array();
  for (const auto& name : kStrategies) {
    if (opts.stop_requested && opts.stop_requested->load()) throw StudyInterrupted("search study interrupted");
    ctx.say(fmt::format("search: {} over {} configurations ({} epochs at most, target {:.2f})", name, space.grid_size(),
                        scale.max_epochs, target));
    TrainingObjective objective(cfg, opts.sensors);
    tune::Tuner tuner(objective, topt);
    auto strategy = tune::make_strategy(name, space, scale.max_epochs, 0);
    auto t0 = std::chrono::steady_clock::now();
    auto records = tuner.run(*strategy);
    double duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    json row = search_row(name, *strategy, records, tuner.search_energy_j(), duration_s);
    row["energy_provenance"] = provenance_name(objective.energy_provenance());
    row["energy_j"] = num(tuner.search_energy_j());  // what the study spent on this strategy
    ctx.say(fmt::format("search: {} spent {:.0f} J in {} trials; chose {} ({:.3f})", name, tuner.search_energy_j(),
                        records.size(), row["best_config"].dump(), dbl(row, "best_val_accuracy")));
    ctx.record(row, tuner.search_energy_j(), dbl(row, "best_val_accuracy"));
    rows.push_back(row);
  }

  // The same strategies on the GPU traces, where the optimum is known.
  json simulated = json::array();
  if (!opts.trace_dir.empty() && file_exists(opts.trace_dir + "/summary_train.csv")) {
    tune::ZeusTrace trace = tune::ZeusTrace::load(opts.trace_dir, "v100");
    for (const auto& name : kStrategies) {
      tune::ZeusObjective objective(trace, "cifar100", 0);
      tune::Tuner tuner(objective, objective.tuner_options());
      auto strategy = tune::make_strategy(name, objective.space(), objective.tuner_options().max_epochs, 0);
      auto records = tuner.run(*strategy);
      double optimal_j = trace.optimum("cifar100").eta_j;
      auto best = strategy->best();
      double chosen_j = best ? objective.true_eta_j(*best) : NAN;
      simulated.push_back({{"strategy", name},
                           {"gpu", "v100"},
                           {"workload", "cifar100"},
                           {"trials", records.size()},
                           {"search_energy_j", num(tuner.search_energy_j())},
                           {"search_energy_optimal_runs", num(tuner.search_energy_j() / optimal_j)},
                           {"chosen_energy_to_target_j", num(chosen_j)},
                           {"chosen_vs_optimal", num(chosen_j / optimal_j)},
                           {"energy_provenance", "simulated"}});
    }
  }

  json result = ctx.header(inputs);
  result["target_val_accuracy"] = target;
  result["runs"] = rows;  // one row per strategy: its whole search
  result["simulated"] = simulated;

  // Findings: who reached the target for the least energy, and how SM2 compares with grid.
  json findings = json::array();
  const json* cheapest = nullptr;
  for (const auto& r : rows) {
    if (std::isfinite(dbl(r, "energy_to_first_target_j")) &&
        (!cheapest || dbl(r, "energy_to_first_target_j") < dbl(*cheapest, "energy_to_first_target_j"))) {
      cheapest = &r;
    }
  }
  if (cheapest) {
    findings.push_back(fmt::format("{} reached {:.0f} % validation accuracy after spending the least energy: {:.0f} J",
                                   (*cheapest)["strategy"].get<std::string>(), 100 * target,
                                   dbl(*cheapest, "energy_to_first_target_j")));
  } else {
    findings.push_back(fmt::format("no strategy reached {:.0f} % validation accuracy within {} epochs: lower --target or use "
                                   "a larger scale", 100 * target, scale.max_epochs));
  }
  auto find = [&](const std::string& n) -> const json* {
    for (const auto& r : rows) if (r["strategy"] == n) return &r;
    return nullptr;
  };
  const json* grid = find("grid");
  const json* sm2 = find("sm2");
  if (grid && sm2 && dbl(*grid, "search_energy_j") > 0) {
    findings.push_back(fmt::format("SM2 spent {:.0f} % of grid search's energy and chose a configuration with {:.3f} validation "
                                   "accuracy (grid's choice: {:.3f})",
                                   100 * dbl(*sm2, "search_energy_j") / dbl(*grid, "search_energy_j"),
                                   dbl(*sm2, "best_val_accuracy"), dbl(*grid, "best_val_accuracy")));
  }
  for (const auto& s : simulated) {
    if (s["strategy"] == "sm2") {
      findings.push_back(fmt::format("on the V100 cifar100 trace, SM2 spent {:.1f} optimal training runs and chose a configuration "
                                     "needing {:.2f}x the optimal energy to the target",
                                     dbl(s, "search_energy_optimal_runs"), dbl(s, "chosen_vs_optimal")));
    }
  }
  result["findings"] = findings;
  return ctx.finish(result);
}

}  // namespace powertrain
