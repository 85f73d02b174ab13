// The precision study (research.md section 4): fp32 against mixed fp16 and bf16 on the same
// model, data and seeds; speed, power and energy, and whether accuracy suffered.
#include <fmt/format.h>

#include "study/common.h"

namespace powertrain {

namespace {
using study::dbl;
using study::json;
using study::num;
}  // namespace

nlohmann::json run_precision_study(const StudyOptions& opts, Store* store) {
  if (opts.precisions.empty() || opts.precisions.front() != "fp32") {
    throw StudyError("precision study: the precisions must start with fp32 (the reference the others are compared with)");
  }
  for (const auto& p : opts.precisions) {
    if (p != "fp32" && p != "fp16" && p != "bf16") throw StudyError("precision '" + p + "' is unknown; use fp32, fp16, bf16");
  }
  if (!(opts.tolerance >= 0)) throw StudyError("--tolerance must be >= 0 (absolute accuracy, e.g. 0.01)");
  json inputs = {{"precisions", opts.precisions}, {"tolerance", opts.tolerance}, {"target", num(opts.target)},
                 {"optimizer", "adam"}, {"early_stopping", "validation accuracy"}};
  study::Context ctx("precision", opts, store, inputs);
  json base = ctx.base_config();

  json runs = json::array(), skipped = json::array();
  std::vector<std::string> ran;
  std::vector<std::vector<json>> rows_by(opts.precisions.size());
  for (size_t p = 0; p < opts.precisions.size(); ++p) {
    const std::string& prec = opts.precisions[p];
    for (int seed = 0; seed < ctx.seeds; ++seed) {
      TrainConfig cfg = ctx.config(base, {"training.precision=" + prec, "training.seed=" + std::to_string(seed),
                                          "name=" + fmt::format("precision-{}-s{}", prec, seed)});
      json row;
      try {
        row = ctx.run(cfg, {{"precision", prec}, {"seed", seed}});
      } catch (const ConfigError& e) {
        // The engine refuses a precision the device cannot run (fp16 autocast on a CPU)
        // before it trains or stores anything; that is a finding, not a failure.
        std::string why = e.what();
        if (prec == "fp32" || why.find("training.precision") == std::string::npos) throw;
        ctx.say("  skipped " + prec + ": " + why);
        skipped.push_back({{"precision", prec}, {"reason", why}});
        break;
      }
      rows_by[p].push_back(row);
      runs.push_back(row);
    }
    if (!rows_by[p].empty()) ran.push_back(prec);
  }

  // The target: given, or fp32's mean best accuracy less the tolerance ("as good as fp32").
  json fp32 = study::summarize(rows_by[0]);
  double target = std::isfinite(opts.target) ? opts.target : dbl(fp32, "best_val_accuracy") - opts.tolerance;
  for (auto& rows : rows_by) {
    for (auto& r : rows) {
      json t = study::to_target(r, target);
      r["epochs_to_target"] = t["epochs_to_target"];
      r["energy_to_target_j"] = t["energy_to_target_j"];
    }
  }
  runs = json::array();
  for (const auto& rows : rows_by) for (const auto& r : rows) runs.push_back(r);
  fp32 = study::summarize(rows_by[0]);

  json summary = json::array(), findings = json::array();
  const double acc32 = dbl(fp32, "best_val_accuracy");
  for (size_t p = 0; p < opts.precisions.size(); ++p) {
    if (rows_by[p].empty()) continue;
    json s = study::summarize(rows_by[p]);
    s["precision"] = opts.precisions[p];
    double acc = dbl(s, "best_val_accuracy");
    s["accuracy_change_vs_fp32"] = num(acc - acc32);
    s["accuracy_loss_flag"] = std::isfinite(acc) && std::isfinite(acc32) && acc < acc32 - opts.tolerance;
    s["speedup_vs_fp32"] = num(dbl(fp32, "duration_per_epoch_s") / dbl(s, "duration_per_epoch_s"));
    s["energy_per_epoch_ratio_vs_fp32"] = num(dbl(s, "energy_per_epoch_j") / dbl(fp32, "energy_per_epoch_j"));
    s["energy_to_target_ratio_vs_fp32"] = num(dbl(s, "energy_to_target_j") / dbl(fp32, "energy_to_target_j"));
    summary.push_back(s);
    if (p == 0) continue;
    const std::string& prec = opts.precisions[p];
    findings.push_back(fmt::format(
        "{} ran {:.2f}x as fast as fp32 per epoch and used {:.2f}x its energy per epoch; best validation accuracy {} vs {} "
        "for fp32 ({:+.2f} points){}.",
        prec, dbl(s, "speedup_vs_fp32"), dbl(s, "energy_per_epoch_ratio_vs_fp32"),
        std::isfinite(acc) ? fmt::format("{:.4f}", acc) : "unknown", std::isfinite(acc32) ? fmt::format("{:.4f}", acc32) : "unknown",
        100 * (acc - acc32),
        s["accuracy_loss_flag"].get<bool>() ? fmt::format(": ACCURACY LOSS beyond the tolerance of {:.3f}", opts.tolerance) : ""));
  }
  for (const auto& sk : skipped) {
    findings.push_back(fmt::format("{} was skipped: {}", sk["precision"].get<std::string>(), sk["reason"].get<std::string>()));
  }

  json result = ctx.header(inputs);
  result["target_val_accuracy"] = num(target);
  result["target_source"] = std::isfinite(opts.target) ? "given" : "fp32 mean best validation accuracy - tolerance";
  result["precisions_run"] = ran;
  result["skipped"] = skipped;
  result["runs"] = runs;
  result["summary"] = summary;
  result["findings"] = findings;
  return ctx.finish(result);
}

}  // namespace powertrain
