// The super-convergence study (research.md section 4, Smith & Topin): an LR range test
// picks max_lr, then AdamW with a one-cycle schedule is compared with AdamW at a constant
// learning rate, by the epochs and energy each needs to reach the same validation accuracy.
#include <fmt/format.h>

#include "study/common.h"

namespace powertrain {

namespace {
using study::dbl;
using study::json;
using study::num;

// The one-cycle run starts (and ends its warm phase) at max_lr / this, as Smith's
// div_factor of 25 does.
constexpr double kDivFactor = 25.0;
// The baseline's constant learning rate: Adam's customary default.
constexpr double kBaselineLr = 1e-3;
constexpr double kWeightDecay = 0.01;
}  // namespace

nlohmann::json run_superconvergence_study(const StudyOptions& opts, Store* store) {
  json inputs = {{"optimizer", "adamw"}, {"weight_decay", kWeightDecay}, {"baseline_lr", kBaselineLr},
                 {"div_factor", kDivFactor}, {"target", num(opts.target)},
                 {"epochs", "both run the scale's max_epochs without early stopping (one-cycle needs its whole budget)"}};
  study::Context ctx("superconvergence", opts, store, inputs);
  json base = ctx.base_config();
  base["optimizer"] = {{"type", "adamw"}, {"lr", kBaselineLr}, {"weight_decay", kWeightDecay}};
  base["early_stopping"] = {{"monitor", "val_metric"}, {"patience", 0}};

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
  double max_lr = lf.suggested_lr;
  if (!std::isfinite(max_lr) || !(max_lr > 0)) {
    throw StudyError("the LR range test found no usable learning rate (the loss never fell); check the data and model");
  }
  json lr_row = {{"step", "lr_find"},
                 {"suggested_lr", num(lf.suggested_lr)},
                 {"min_loss_lr", num(lf.min_loss_lr)},
                 {"stopped_early", lf.stopped_early},
                 {"steps", lf.lr.size()},
                 {"energy_j", num(lf.energy.total_energy_j())},
                 {"energy_provenance", provenance_name(lf.energy.total_provenance())},
                 {"duration_s", num(lf.energy.duration_s)},
                 {"run_id", lf.run_id > 0 ? json(lf.run_id) : json(nullptr)},
                 {"lr", lf.lr},
                 {"smoothed_loss", lf.smoothed_loss}};
  ctx.say(fmt::format("  suggested max_lr {:.3g} ({:.1f} J)", max_lr, dbl(lr_row, "energy_j")));
  {
    json trial = lr_row;
    trial.erase("lr");
    trial.erase("smoothed_loss");
    ctx.record(trial, dbl(lr_row, "energy_j"), NAN);
  }

  // 2. One-cycle with max_lr from the test, and the constant-rate baseline, per seed.
  std::vector<json> one_cycle, constant;
  for (int seed = 0; seed < ctx.seeds; ++seed) {
    TrainConfig oc = ctx.config(base, {"optimizer.lr=" + fmt::format("{}", max_lr / kDivFactor),
                                       "schedule.type=one_cycle", "schedule.max_lr=" + fmt::format("{}", max_lr),
                                       "schedule.pct_start=0.3", "schedule.anneal_pct=0.1",
                                       "training.seed=" + std::to_string(seed),
                                       "name=" + fmt::format("superconvergence-one-cycle-s{}", seed)});
    one_cycle.push_back(ctx.run(oc, {{"variant", "one_cycle"}, {"max_lr", max_lr}, {"seed", seed}}));
    TrainConfig cst = ctx.config(base, {"training.seed=" + std::to_string(seed),
                                        "name=" + fmt::format("superconvergence-constant-s{}", seed)});
    constant.push_back(ctx.run(cst, {{"variant", "constant"}, {"lr", kBaselineLr}, {"seed", seed}}));
  }

  // 3. Target: given, or the lowest best accuracy of all runs, so that every run reaches it
  //    and the comparison is at equal accuracy.
  double lowest = NAN;
  for (auto* rows : {&one_cycle, &constant}) {
    for (const auto& r : *rows) lowest = std::fmin(lowest, dbl(r, "best_val_accuracy"));  // fmin skips NaN
  }
  double target = std::isfinite(opts.target) ? opts.target : lowest;
  json runs = json::array();
  for (auto* rows : {&one_cycle, &constant}) {
    for (auto& r : *rows) {
      json t = study::to_target(r, target);
      r["epochs_to_target"] = t["epochs_to_target"];
      r["energy_to_target_j"] = t["energy_to_target_j"];
      runs.push_back(r);
    }
  }
  json s_oc = study::summarize(one_cycle), s_c = study::summarize(constant);
  s_oc["variant"] = "one_cycle";
  s_c["variant"] = "constant";
  double lf_j = dbl(lr_row, "energy_j");
  s_oc["energy_to_target_with_lr_find_j"] = num(dbl(s_oc, "energy_to_target_j") + lf_j);
  s_c["energy_to_target_with_lr_find_j"] = s_c["energy_to_target_j"];

  json findings = json::array();
  auto epochs_text = [](const json& s) {
    return s["epochs_to_target"].is_null() ? std::string("more epochs than its budget")
                                           : fmt::format("{:.1f} epochs", dbl(s, "epochs_to_target"));
  };
  auto joules = [](double j) { return std::isfinite(j) ? fmt::format("{:.1f} J", j) : std::string("unknown energy"); };
  findings.push_back(fmt::format(
      "To reach {:.4f} validation accuracy, one-cycle AdamW (max_lr {:.3g}) needed {} and {} ({} with the range test); "
      "constant-rate AdamW (lr {:g}) needed {} and {}.",
      target, max_lr, epochs_text(s_oc), joules(dbl(s_oc, "energy_to_target_j")), joules(dbl(s_oc, "energy_to_target_with_lr_find_j")),
      kBaselineLr, epochs_text(s_c), joules(dbl(s_c, "energy_to_target_j"))));
  double e_oc = dbl(s_oc, "energy_to_target_with_lr_find_j"), e_c = dbl(s_c, "energy_to_target_j");
  if (std::isfinite(e_oc) && std::isfinite(e_c) && e_c > 0) {
    findings.push_back(fmt::format("Including the range test, super-convergence {} {:.0f}% of the energy to the target.",
                                   e_oc <= e_c ? "saved" : "cost an extra", 100 * std::fabs(e_c - e_oc) / e_c));
  }

  json result = ctx.header(inputs);
  result["max_lr"] = max_lr;
  result["target_val_accuracy"] = num(target);
  result["target_source"] = std::isfinite(opts.target) ? "given" : "the lowest best validation accuracy of all runs";
  result["lr_find"] = lr_row;
  result["runs"] = runs;
  result["summary"] = json::array({s_oc, s_c});
  result["findings"] = findings;
  return ctx.finish(result);
}

}  // namespace powertrain
