// The precision study (research.md section 4): fp32 against mixed fp16 and bf16 on the same
// model, data and seeds; speed, power and energy, and whether accuracy suffered.
#include "powertrain/study/precision.h"

#include <fmt/format.h>

#include "study/common.h"

namespace powertrain {

PrecisionResult run_precision_study(const StudyOptions& opts, const PrecisionOptions& precision, Store* store) {
  const PrecisionOptions& o = precision;
  if (o.precisions.empty() || o.precisions.front() != "fp32") {
    throw StudyError("precision study: the precisions must start with fp32 (the reference the others are compared with)");
  }
  for (const auto& p : o.precisions) {
    if (p != "fp32" && p != "fp16" && p != "bf16") throw StudyError("precision '" + p + "' is unknown; use fp32, fp16, bf16");
  }
  if (!(o.tolerance >= 0)) throw StudyError("--tolerance must be >= 0 (absolute accuracy, e.g. 0.01)");
  study::Context ctx("precision", opts, store, o);
  study::json base = ctx.base_config();
  PrecisionResult result;
  result.header = ctx.header();
  result.options = o;
  result.optimizer = "adam";
  result.early_stopping = "validation accuracy";

  std::vector<std::vector<PrecisionRun>> runs_by(o.precisions.size());
  for (size_t p = 0; p < o.precisions.size(); ++p) {
    const std::string& prec = o.precisions[p];
    for (int seed = 0; seed < ctx.seeds; ++seed) {
      TrainConfig cfg = ctx.config(base, {"training.precision=" + prec, "training.seed=" + std::to_string(seed),
                                          "name=" + fmt::format("precision-{}-s{}", prec, seed)});
      PrecisionRun run;
      run.precision = prec;
      run.seed = seed;
      try {
        run = ctx.run(cfg, run, fmt::format("precision {}, seed {}", prec, seed));
      } catch (const ConfigError& e) {
        // The engine refuses a precision the device cannot run (fp16 autocast on a CPU)
        // before it trains or stores anything; that is a finding, not a failure.
        std::string why = e.what();
        if (prec == "fp32" || why.find("training.precision") == std::string::npos) throw;
        ctx.say("  skipped " + prec + ": " + why);
        result.skipped.push_back({prec, why});
        break;
      }
      runs_by[p].push_back(run);
    }
    if (!runs_by[p].empty()) result.precisions_run.push_back(prec);
  }
  auto rows_of = [](const std::vector<PrecisionRun>& runs) {
    std::vector<RunRow> rows;
    for (const auto& r : runs) rows.push_back(r.run);
    return rows;
  };

  // The target: given, or fp32's mean best accuracy less the tolerance ("as good as fp32").
  const RunSummary fp32 = study::summarize(rows_of(runs_by[0]));
  const double target = std::isfinite(o.target) ? o.target : fp32.best_val_accuracy.mean - o.tolerance;
  for (auto& runs : runs_by) {
    for (auto& r : runs) {
      r.to_target = study::to_target(r.run, target);
      result.runs.push_back(r);
    }
  }
  std::vector<ToTarget> fp32_reached;
  for (const auto& r : runs_by[0]) fp32_reached.push_back(r.to_target);
  const TargetStats fp32_target = study::summarize_target(fp32_reached);

  std::vector<std::string>& findings = result.header.findings;
  const double acc32 = fp32.best_val_accuracy.mean;
  for (size_t p = 0; p < o.precisions.size(); ++p) {
    if (runs_by[p].empty()) continue;
    PrecisionSummary s;
    s.precision = o.precisions[p];
    s.stats = study::summarize(rows_of(runs_by[p]));
    std::vector<ToTarget> reached;
    for (const auto& r : runs_by[p]) reached.push_back(r.to_target);
    s.target = study::summarize_target(reached);
    const double acc = s.stats.best_val_accuracy.mean;
    s.accuracy_change_vs_fp32 = acc - acc32;
    s.accuracy_loss_flag = std::isfinite(acc) && std::isfinite(acc32) && acc < acc32 - o.tolerance;
    s.speedup_vs_fp32 = fp32.duration_per_epoch_s.mean / s.stats.duration_per_epoch_s.mean;
    s.energy_per_epoch_ratio_vs_fp32 = s.stats.energy_per_epoch_j.mean / fp32.energy_per_epoch_j.mean;
    s.energy_to_target_ratio_vs_fp32 = s.target.energy_to_target_j.mean / fp32_target.energy_to_target_j.mean;
    result.summary.push_back(s);
    if (p == 0) continue;
    findings.push_back(fmt::format(
        "{} ran {:.2f}x as fast as fp32 per epoch and used {:.2f}x its energy per epoch; best validation accuracy {} vs {} "
        "for fp32 ({:+.2f} points){}.",
        s.precision, s.speedup_vs_fp32, s.energy_per_epoch_ratio_vs_fp32,
        std::isfinite(acc) ? fmt::format("{:.4f}", acc) : "unknown", std::isfinite(acc32) ? fmt::format("{:.4f}", acc32) : "unknown",
        100 * (acc - acc32),
        *s.accuracy_loss_flag ? fmt::format(": ACCURACY LOSS beyond the tolerance of {:.3f}", o.tolerance) : ""));
  }
  for (const auto& sk : result.skipped) findings.push_back(fmt::format("{} was skipped: {}", sk.precision, sk.reason));

  result.target_val_accuracy = target;
  result.target_source = std::isfinite(o.target) ? "given" : "fp32 mean best validation accuracy - tolerance";
  ctx.finish(result.header, study::run_energy_parts(result.runs));
  ctx.store_result(result);
  return result;
}

}  // namespace powertrain
