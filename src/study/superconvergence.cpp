// The super-convergence study (research.md section 4, Smith & Topin): an LR range test
// picks max_lr, then AdamW with a one-cycle schedule is compared with AdamW at a constant
// learning rate, by the epochs and energy each needs to reach the same validation accuracy.
#include "powertrain/study/superconvergence.h"

#include <fmt/format.h>

#include "study/common.h"

namespace powertrain {

namespace {
// The one-cycle run starts (and ends its warm phase) at max_lr / this, as Smith's
// div_factor of 25 does.
constexpr double kDivFactor = 25.0;
// The baseline's constant learning rate: Adam's customary default.
constexpr double kBaselineLr = 1e-3;
constexpr double kWeightDecay = 0.01;

SuperconvergenceSummary summary_of(const std::string& variant, const std::vector<SuperconvergenceRun>& runs) {
  SuperconvergenceSummary s;
  s.variant = variant;
  std::vector<RunRow> rows;
  std::vector<ToTarget> reached;
  for (const auto& r : runs) {
    rows.push_back(r.run);
    reached.push_back(r.to_target);
  }
  s.stats = study::summarize(rows);
  s.target = study::summarize_target(reached);
  return s;
}
}  // namespace

SuperconvergenceResult run_superconvergence_study(const StudyOptions& opts, const SuperconvergenceOptions& sc, Store* store) {
  study::Context ctx("superconvergence", opts, store, sc);
  study::json base = ctx.base_config();
  base["optimizer"] = {{"type", "adamw"}, {"lr", kBaselineLr}, {"weight_decay", kWeightDecay}};
  base["early_stopping"] = {{"monitor", "val_metric"}, {"patience", 0}};
  SuperconvergenceResult result;
  result.header = ctx.header();
  result.options = sc;
  result.optimizer = "adamw";
  result.weight_decay = kWeightDecay;
  result.baseline_lr = kBaselineLr;
  result.div_factor = kDivFactor;
  result.epochs_rule = "both run the scale's max_epochs without early stopping (one-cycle needs its whole budget)";

  // 1. The LR range test, on the one-cycle run's own config.
  TrainConfig find_cfg = ctx.config(base, {"name=superconvergence-lr-find"});
  LrFindSpec spec;
  spec.steps = ctx.scale.lr_find_steps;
  spec.start_lr = 1e-6;
  spec.end_lr = 1.0;
  TrainHooks hooks;
  hooks.store = store;
  hooks.command = opts.command.empty() ? "powertrain study superconvergence" : opts.command;
  hooks.sensors = opts.sensors;
  hooks.stop_requested = opts.stop_requested;
  ctx.say(fmt::format("[superconvergence] LR range test over {} mini-batches", spec.steps));
  LrFindResult lf = lr_find(find_cfg, spec, hooks);
  if (opts.stop_requested && opts.stop_requested->load()) {
    throw StudyInterrupted("study '" + ctx.name + "' interrupted during the LR range test");
  }
  const double max_lr = lf.suggested_lr;
  if (!std::isfinite(max_lr) || !(max_lr > 0)) {
    throw StudyError("the LR range test found no usable learning rate (the loss never fell); check the data and model");
  }
  LrFindRow& lr_row = result.lr_find;
  lr_row.suggested_lr = lf.suggested_lr;
  lr_row.min_loss_lr = lf.min_loss_lr;
  lr_row.stopped_early = lf.stopped_early;
  lr_row.steps = static_cast<int64_t>(lf.lr.size());
  lr_row.energy_j = lf.energy.total_energy_j();
  lr_row.energy_provenance = lf.energy.total_provenance();
  lr_row.duration_s = lf.energy.duration_s;
  lr_row.run_id = lf.run_id;
  lr_row.lr = lf.lr;
  lr_row.smoothed_loss = lf.smoothed_loss;
  ctx.say(fmt::format("  suggested max_lr {:.3g} ({:.1f} J)", max_lr, lr_row.energy_j));
  {
    LrFindRow trial = lr_row;  // the curve is in the result, not in the trial
    trial.lr.clear();
    trial.smoothed_loss.clear();
    ctx.record(trial, lr_row.energy_j, NAN);
  }

  // 2. One-cycle with max_lr from the test, and the constant-rate baseline, per seed.
  std::vector<SuperconvergenceRun> one_cycle, constant;
  for (int seed = 0; seed < ctx.seeds; ++seed) {
    TrainConfig oc = ctx.config(base, {"optimizer.lr=" + fmt::format("{}", max_lr / kDivFactor),
                                       "schedule.type=one_cycle", "schedule.max_lr=" + fmt::format("{}", max_lr),
                                       "schedule.pct_start=0.3", "schedule.anneal_pct=0.1",
                                       "training.seed=" + std::to_string(seed),
                                       "name=" + fmt::format("superconvergence-one-cycle-s{}", seed)});
    one_cycle.push_back(ctx.run(oc, SuperconvergenceRun{"one_cycle", max_lr, seed, {}, {}},
                                fmt::format("one-cycle to max_lr {:.3g}, seed {}", max_lr, seed)));
    TrainConfig cst = ctx.config(base, {"training.seed=" + std::to_string(seed),
                                        "name=" + fmt::format("superconvergence-constant-s{}", seed)});
    constant.push_back(ctx.run(cst, SuperconvergenceRun{"constant", kBaselineLr, seed, {}, {}},
                               fmt::format("constant learning rate {:g}, seed {}", kBaselineLr, seed)));
  }

  // 3. Target: given, or the lowest best accuracy of all runs, so that every run reaches it
  //    and the comparison is at equal accuracy.
  double lowest = NAN;
  for (auto* runs : {&one_cycle, &constant}) {
    for (const auto& r : *runs) lowest = std::fmin(lowest, r.run.best_val_accuracy);  // fmin skips NaN
  }
  const double target = std::isfinite(sc.target) ? sc.target : lowest;
  for (auto* runs : {&one_cycle, &constant}) {
    for (auto& r : *runs) {
      r.to_target = study::to_target(r.run, target);
      result.runs.push_back(r);
    }
  }
  SuperconvergenceSummary s_oc = summary_of("one_cycle", one_cycle), s_c = summary_of("constant", constant);
  s_oc.energy_to_target_with_lr_find_j = s_oc.target.energy_to_target_j.mean + lr_row.energy_j;
  s_c.energy_to_target_with_lr_find_j = s_c.target.energy_to_target_j.mean;

  std::vector<std::string>& findings = result.header.findings;
  auto epochs_text = [](const SuperconvergenceSummary& s) {
    return std::isfinite(s.target.epochs_to_target.mean) ? fmt::format("{:.1f} epochs", s.target.epochs_to_target.mean)
                                                         : std::string("more epochs than its budget");
  };
  auto joules = [](double j) { return std::isfinite(j) ? fmt::format("{:.1f} J", j) : std::string("unknown energy"); };
  findings.push_back(fmt::format(
      "To reach {:.4f} validation accuracy, one-cycle AdamW (max_lr {:.3g}) needed {} and {} ({} with the range test); "
      "constant-rate AdamW (lr {:g}) needed {} and {}.",
      target, max_lr, epochs_text(s_oc), joules(s_oc.target.energy_to_target_j.mean), joules(s_oc.energy_to_target_with_lr_find_j),
      kBaselineLr, epochs_text(s_c), joules(s_c.target.energy_to_target_j.mean)));
  const double e_oc = s_oc.energy_to_target_with_lr_find_j, e_c = s_c.target.energy_to_target_j.mean;
  if (std::isfinite(e_oc) && std::isfinite(e_c) && e_c > 0) {
    findings.push_back(fmt::format("Including the range test, super-convergence {} {:.0f}% of the energy to the target.",
                                   e_oc <= e_c ? "saved" : "cost an extra", 100 * std::fabs(e_c - e_oc) / e_c));
  }

  result.max_lr = max_lr;
  result.target_val_accuracy = target;
  result.target_source = std::isfinite(sc.target) ? "given" : "the lowest best validation accuracy of all runs";
  result.summary = {s_oc, s_c};
  std::vector<study::EnergyPart> parts = study::run_energy_parts(result.runs);
  parts.push_back({lr_row.energy_j, lr_row.energy_provenance});  // the range test is part of the study's cost
  ctx.finish(result.header, parts);
  ctx.store_result(result);
  return result;
}

}  // namespace powertrain
