// The recipe study, powertrain's main job: the standard recipe (what a user would train
// anyway) against powertrain's (an SM2 search over the research's levers, then the chosen
// configuration trained to the target), judged on one test-accuracy target; the search's
// own energy and its payback (Eq. 2 applied to the search). See recipe.h.
#include "powertrain/study/recipe.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "powertrain/search/runner.h"
#include "powertrain/search/spec.h"
#include "powertrain/store/trial_log.h"
#include "powertrain/train/tune_objective.h"
#include "study/common.h"

namespace powertrain {

namespace {

std::string energy_text(double j) {
  if (!std::isfinite(j)) return "n/a";
  return std::fabs(j) >= 1000 ? fmt::format("{:.2f} kJ", j / 1000) : fmt::format("{:.0f} J", j);
}

std::string percent_text(double fraction) {
  return std::isfinite(fraction) ? fmt::format("{:.2f} %", 100 * fraction) : std::string("n/a");
}

// Fills the defaults of the scale and checks every option (StudyError naming it and the fix).
RecipeOptions filled(RecipeOptions o, const ScaleSpec& scale) {
  const bool tiny = scale.name == "tiny";
  if (o.standard_epochs == 0) o.standard_epochs = tiny ? 2 : 10;
  if (o.tuned_epochs == 0) o.tuned_epochs = tiny ? 2 : 3;
  if (o.search_subset == 0) o.search_subset = tiny ? 500 : 6000;
  if (o.search_epochs == 0) o.search_epochs = tiny ? 2 : 3;
  if (o.batch_sizes.empty()) o.batch_sizes = tiny ? std::vector<int64_t>{64, 256} : std::vector<int64_t>{64, 128, 256};
  if (o.max_lrs.empty()) o.max_lrs = tiny ? std::vector<double>{0.004} : std::vector<double>{0.003, 0.006};
  if (o.precisions.empty()) o.precisions = {"fp32", "bf16"};
  if (!(o.target > 0 && o.target <= 1)) throw StudyError("recipe: --target must be a test accuracy in (0, 1], e.g. 0.9");
  if (!(o.stop_margin >= 0 && o.stop_margin < 0.1)) throw StudyError("recipe: the stop margin must be in [0, 0.1), e.g. 0.01");
  auto epochs_ok = [](int e) { return e >= 1 && e <= 1000; };
  if (!epochs_ok(o.standard_epochs) || !epochs_ok(o.tuned_epochs) || !epochs_ok(o.search_epochs)) {
    throw StudyError("recipe: epochs (standard, tuned, search) must be in 1..1000");
  }
  if (!(o.standard_batch_size >= 1 && o.standard_batch_size <= 65536)) throw StudyError("recipe: the standard batch size must be in 1..65536");
  if (!(o.standard_lr > 0 && o.standard_lr < 10)) throw StudyError("recipe: the standard learning rate must be in (0, 10), e.g. 0.001");
  if (!(o.search_subset >= 10)) throw StudyError("recipe: the search subset must be at least 10 examples, e.g. 6000");
  for (int64_t b : o.batch_sizes) {
    if (!(b >= 1 && b <= 65536)) throw StudyError("recipe: a searched batch size is " + std::to_string(b) + "; use 1..65536");
  }
  for (double lr : o.max_lrs) {
    if (!(lr > 0 && lr < 10)) throw StudyError("recipe: a searched peak learning rate is out of (0, 10); use e.g. 0.003,0.006");
  }
  for (const auto& p : o.precisions) {
    if (p != "fp32" && p != "fp16" && p != "bf16") throw StudyError("recipe: precision '" + p + "' is unknown; use fp32, fp16, bf16");
  }
  return o;
}

// "key=value" texts of a configuration, for the result.
std::vector<std::string> config_texts(const tune::Config& c) {
  std::vector<std::string> out;
  for (const auto& [k, v] : c) out.push_back(k + "=" + tune::value_text(v));
  return out;
}

double number_in(const tune::Config& c, const std::string& key, double fallback) {
  auto it = c.find(key);
  return it != c.end() && std::holds_alternative<double>(it->second) ? std::get<double>(it->second) : fallback;
}

std::string text_in(const tune::Config& c, const std::string& key, const std::string& fallback) {
  auto it = c.find(key);
  return it != c.end() && std::holds_alternative<std::string>(it->second) ? std::get<std::string>(it->second) : fallback;
}

// Energy per training sample of each (batch size, precision) pair in the search's
// exploratory epochs (each configuration's first epoch): the median over the pair's configs.
std::vector<RecipeCost> exploration_costs(const std::vector<StoredTrial>& trials, int64_t samples_per_epoch) {
  std::map<std::pair<int64_t, std::string>, std::vector<double>> by_pair;
  for (const StoredTrial& t : trials) {
    const tune::TrialRecord& r = t.record;
    if (r.from_epoch != 0 || r.to_epoch != 1 || !(r.trial_energy_j > 0)) continue;
    const auto batch = static_cast<int64_t>(number_in(r.trial.config, "training.batch_size", 0));
    by_pair[{batch, text_in(r.trial.config, "training.precision", "fp32")}].push_back(r.trial_energy_j);
  }
  std::vector<RecipeCost> out;
  for (auto& [pair, energies] : by_pair) {
    std::sort(energies.begin(), energies.end());
    const size_t n = energies.size();
    const double median = n % 2 ? energies[n / 2] : (energies[n / 2 - 1] + energies[n / 2]) / 2;
    RecipeCost c;
    c.batch_size = pair.first;
    c.precision = pair.second;
    c.energy_per_sample_j = median / static_cast<double>(samples_per_epoch);
    c.epochs = static_cast<int64_t>(n);
    out.push_back(c);
  }
  return out;
}

const RecipeCost* cost_of(const std::vector<RecipeCost>& costs, int64_t batch, const std::string& precision) {
  for (const auto& c : costs) if (c.batch_size == batch && c.precision == precision) return &c;
  return nullptr;
}

// What the user pays for a run: the whole run (setup, epochs, test), else its epochs.
void settle(RecipeSide& side, double target) {
  side.energy_j = std::isfinite(side.run.run_energy_j) ? side.run.run_energy_j : side.run.energy_j;
  side.duration_s = side.run.duration_s;
  side.reached_target = std::isfinite(side.run.test_accuracy) && side.run.test_accuracy >= target;
  side.oracle_to_target = study::to_target(side.run, target);
}

std::string describe(const std::string& model, const RecipeSide& s) {
  const std::string lr = s.schedule == "one_cycle" ? fmt::format("one-cycle to a peak LR of {:g}", s.lr)
                                                   : fmt::format("constant LR {:g}", s.lr);
  return fmt::format("{}, {} {}, batch {}, {}, {} epochs{}", model, s.optimizer, lr, s.batch_size, s.precision, s.planned_epochs,
                     s.recipe == "tuned" ? " at most, stopped at the target" : "");
}

}  // namespace

RecipeResult run_recipe_study(const StudyOptions& opts, const RecipeOptions& recipe, Store* store) {
  const ScaleSpec scale = scale_spec(opts.scale);
  const RecipeOptions o = filled(recipe, scale);
  study::Context ctx("recipe", opts, store, o);
  ctx.say_epochs = true;
  RecipeResult result;
  result.header = ctx.header();
  result.header.seeds = 1;  // one run of each recipe (the scale's seeds are for the other studies)
  result.options = o;

  // Both recipes: the same model, data split and seed; no patience (the standard trains its
  // epochs, the tuned one stops at the target).
  study::json base = ctx.base_config();
  base["model"] = {{"type", o.model}};
  base["early_stopping"] = {{"monitor", "val_metric"}, {"patience", 0}};

  // 1. The standard recipe.
  RecipeSide standard;
  standard.recipe = "standard";
  standard.batch_size = o.standard_batch_size;
  standard.optimizer = "adam";
  standard.schedule = "constant";
  standard.lr = o.standard_lr;
  standard.precision = "fp32";
  standard.planned_epochs = o.standard_epochs;
  standard.description = describe(o.model, standard);
  {
    study::json b = base;
    b["name"] = "recipe-standard";
    b["optimizer"] = {{"type", "adam"}, {"lr", o.standard_lr}};
    b["training"]["batch_size"] = o.standard_batch_size;
    b["training"]["epochs"] = o.standard_epochs;
    b["training"]["precision"] = "fp32";
    standard = ctx.run(ctx.config(b, {}), standard, "the standard recipe: " + standard.description);
  }
  double target = o.target;
  result.comparison.target_source = "given";
  if (std::isfinite(standard.run.test_accuracy) && standard.run.test_accuracy < target) {
    target = standard.run.test_accuracy;
    result.comparison.target_source = fmt::format("the standard recipe's test accuracy (below the given {:.2f})", o.target);
  }
  settle(standard, target);
  ctx.say(fmt::format("recipe: the standard recipe reached {} test accuracy for {}; the target is {}",
                      percent_text(standard.run.test_accuracy), energy_text(standard.energy_j), percent_text(target)));

  // 2. The search: SM2 on a subset, one-cycle AdamW, over batch size x peak LR x precision.
  study::json sb = base;
  sb["name"] = "recipe-search";
  sb["data"]["subset"] = o.search_subset;
  sb["data"]["val_fraction"] = std::min(0.02, scale.val_fraction);  // 1,200 validation examples: a ranking, not a verdict
  sb["optimizer"] = {{"type", "adamw"}, {"lr", o.max_lrs.front() / 10}, {"weight_decay", 0.01}};
  sb["schedule"] = {{"type", "one_cycle"}, {"max_lr", o.max_lrs.front()}, {"pct_start", 0.3}, {"anneal_pct", 0.1}};
  sb["training"]["epochs"] = o.search_epochs;
  tune::SearchSpace space;
  std::vector<tune::Value> batches, lrs, precisions;
  for (int64_t b : o.batch_sizes) batches.emplace_back(static_cast<double>(b));
  for (double lr : o.max_lrs) lrs.emplace_back(lr);
  for (const auto& p : o.precisions) precisions.emplace_back(p);
  space.add_categorical("training.batch_size", batches);
  space.add_categorical("schedule.max_lr", lrs);
  space.add_categorical("training.precision", precisions);
  search::StudySpec spec;
  spec.backend = search::Backend::training;
  spec.strategy = "sm2";
  spec.study_path = "(the recipe study)";
  spec.base = ctx.config(sb, {});
  spec.space = space;
  spec.max_epochs = o.search_epochs;
  // No probes: the lever costs below are each (batch size, precision)'s exploratory epoch,
  // so every pair must get one; and batch sizes 64-256 never differ 3x per sample here.
  spec.probe_batch_sizes = false;
  search::validate(spec);
  search::RunnerOptions runner_options;
  runner_options.sensors = opts.sensors;
  runner_options.training = make_training_objective;
  search::StudyRunner runner(spec, runner_options);
  ctx.say(fmt::format("recipe: SM2 over {} configurations (batch size x one-cycle peak LR x precision) on {} training examples, "
                      "{} epochs at most each",
                      space.grid_size(), o.search_subset, o.search_epochs));
  auto t0 = std::chrono::steady_clock::now();
  MemoryTrialLog log;
  search::Ending ending = runner.run(
      log,
      [&](const StoredTrial& t) {
        const tune::TrialRecord& r = t.record;
        ctx.say(fmt::format("  search trial {}: {}: epochs {}->{}, val acc {}, {}", r.trial.id, tune::config_text(r.trial.config, ", "),
                            r.from_epoch, r.to_epoch, percent_text(r.result.metric), energy_text(r.trial_energy_j)));
        study::json row = {{"step", "search"}, {"trial", r.trial.id}, {"config", config_texts(r.trial.config)},
                           {"from_epoch", r.from_epoch}, {"to_epoch", r.to_epoch}, {"val_accuracy", r.result.metric},
                           {"energy_j", r.trial_energy_j}};
        ctx.record(row, r.trial_energy_j, r.result.metric);
      },
      opts.stop_requested);
  if (ending == search::Ending::interrupted) throw StudyInterrupted("recipe study interrupted during the search (the standard run is stored)");
  result.search_duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const search::SearchSummary summary = runner.summary(ending);
  result.search_trials = static_cast<int64_t>(runner.trials().size());
  result.search_configurations = static_cast<int64_t>(space.grid_size());
  result.search_energy_j = runner.search_energy_j();
  result.search_energy_provenance = summary.energy_provenance;
  result.costs = exploration_costs(runner.trials(), o.search_subset);
  if (!summary.chosen) throw StudyError("recipe: the search chose no configuration (every trial failed); see the lines above");
  result.search_chosen = config_texts(*summary.chosen);
  result.search_chosen_val_accuracy = summary.chosen_metric;
  ctx.say(fmt::format("recipe: the search spent {} in {:.0f} s over {} trials and chose {}", energy_text(result.search_energy_j),
                      result.search_duration_s, result.search_trials, tune::config_text(*summary.chosen, ", ")));

  // 3. The chosen configuration on the whole training split, stopped at the target.
  RecipeSide tuned;
  tuned.recipe = "tuned";
  tuned.batch_size = static_cast<int64_t>(number_in(*summary.chosen, "training.batch_size", static_cast<double>(o.batch_sizes.front())));
  tuned.optimizer = "adamw";
  tuned.schedule = "one_cycle";
  tuned.lr = number_in(*summary.chosen, "schedule.max_lr", o.max_lrs.front());
  tuned.precision = text_in(*summary.chosen, "training.precision", "fp32");
  tuned.planned_epochs = o.tuned_epochs;
  tuned.description = describe(o.model, tuned);
  {
    study::json b = base;
    b["name"] = "recipe-tuned";
    b["optimizer"] = {{"type", "adamw"}, {"lr", tuned.lr / 10}, {"weight_decay", 0.01}};
    b["schedule"] = {{"type", "one_cycle"}, {"max_lr", tuned.lr}, {"pct_start", 0.3}, {"anneal_pct", 0.1}};
    b["training"]["batch_size"] = tuned.batch_size;
    b["training"]["epochs"] = o.tuned_epochs;
    b["training"]["precision"] = tuned.precision;
    b["early_stopping"]["target"] = std::min(1.0, target + o.stop_margin);
    tuned = ctx.run(ctx.config(b, {}), tuned, "powertrain's recipe: " + tuned.description);
  }
  settle(tuned, target);
  result.standard = standard;
  result.tuned = tuned;
  result.comparison = recipe_comparison(target, result.comparison.target_source, standard, tuned, result.search_energy_j);
  const RecipeComparison& c = result.comparison;

  // Findings: the comparison first, then the search's payback, then lever by lever.
  std::vector<std::string>& findings = result.header.findings;
  findings.push_back(fmt::format("the standard recipe ({}) reached {} test accuracy for {} in {:.0f} s", standard.description,
                                 percent_text(standard.run.test_accuracy), energy_text(standard.energy_j), standard.duration_s));
  findings.push_back(fmt::format(
      "powertrain's recipe ({}) {} {} test accuracy (target {}) after {} epochs for {} in {:.0f} s: {:.2f}x the standard's energy "
      "({} saved per training)",
      tuned.description, tuned.reached_target ? "reached" : "MISSED the target with", percent_text(tuned.run.test_accuracy),
      percent_text(target), tuned.run.epochs, energy_text(tuned.energy_j), tuned.duration_s, c.energy_ratio, energy_text(c.saving_j)));
  if (std::isfinite(c.payback_reuses)) {
    findings.push_back(fmt::format(
        "the search (SM2, {} trials on {} examples) cost {} and pays for itself after {:.2f} uses of the recipe (Eq. 2: x = E_search "
        "/ (E_standard - E_tuned) = {} / {}){}",
        result.search_trials, o.search_subset, energy_text(result.search_energy_j), c.payback_reuses, energy_text(c.search_energy_j),
        energy_text(c.saving_j),
        c.payback_reuses < 1 ? fmt::format("; search and tuned run together cost {:.2f}x the standard run alone",
                                           (c.search_energy_j + c.tuned_energy_j) / c.standard_energy_j)
                             : ""));
  } else if (!tuned.reached_target) {
    findings.push_back(fmt::format("the search cost {}; it has no payback, since the tuned run missed the target (raise the "
                                   "tuned epochs or lower --target)",
                                   energy_text(result.search_energy_j)));
  } else {
    findings.push_back(fmt::format("the search cost {} and never pays for itself: the tuned recipe saves nothing here",
                                   energy_text(result.search_energy_j)));
  }
  if (std::isfinite(standard.oracle_to_target.energy_to_target_j)) {
    findings.push_back(fmt::format(
        "oracle, not a user's figure: had the standard recipe been stopped the moment its validation accuracy first reached the "
        "target (epoch {:.0f}), its epochs would have cost {}",
        standard.oracle_to_target.epochs_to_target, energy_text(standard.oracle_to_target.energy_to_target_j)));
  }
  // Lever by lever, from the search's exploratory epochs (same data, one epoch each).
  const RecipeCost* at_standard = cost_of(result.costs, standard.batch_size, "fp32");
  const RecipeCost* at_batch = cost_of(result.costs, tuned.batch_size, "fp32");
  const RecipeCost* at_chosen = cost_of(result.costs, tuned.batch_size, tuned.precision);
  if (at_standard && at_batch && tuned.batch_size != standard.batch_size) {
    findings.push_back(fmt::format("lever batch size {} -> {}: {:.2f}x the energy per sample (fp32, measured in the search's "
                                   "exploratory epochs)",
                                   standard.batch_size, tuned.batch_size, at_batch->energy_per_sample_j / at_standard->energy_per_sample_j));
  }
  if (at_batch && at_chosen && tuned.precision != "fp32") {
    findings.push_back(fmt::format("lever precision fp32 -> {}: {:.2f}x the energy per sample at batch {} on this hardware",
                                   tuned.precision, at_chosen->energy_per_sample_j / at_batch->energy_per_sample_j, tuned.batch_size));
  }
  findings.push_back(fmt::format("lever schedule and stopping: {} epochs of a constant LR -> {} of a one-cycle schedule stopped at "
                                 "the target",
                                 standard.run.epochs, tuned.run.epochs));

  std::vector<study::EnergyPart> parts = {{standard.energy_j, standard.run.energy_provenance},
                                          {result.search_energy_j, result.search_energy_provenance},
                                          {tuned.energy_j, tuned.run.energy_provenance}};
  ctx.finish(result.header, parts);
  ctx.store_result(result);
  return result;
}

}  // namespace powertrain
