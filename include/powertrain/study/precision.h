// powertrain/study/precision.h: the precision study (research.md section 4): fp32 against
// mixed fp16 and bf16 on the same model, data and seeds; time, power, energy per epoch and
// to a target accuracy, and an accuracy loss beyond a tolerance flagged.
//
// Example:
//   powertrain::StudyOptions o;
//   o.scale = "tiny";
//   powertrain::PrecisionOptions p;
//   p.tolerance = 0.01;
//   powertrain::PrecisionResult r = powertrain::run_precision_study(o, p, nullptr);
//   for (const auto& s : r.summary) std::cout << s.precision << " " << s.energy_per_epoch_ratio_vs_fp32 << "\n";
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "powertrain/study/options.h"
#include "powertrain/study/record.h"

namespace powertrain {

struct PrecisionOptions {
  std::vector<std::string> precisions = {"fp32", "fp16", "bf16"};  // fp32 first: the reference
  double tolerance = 0.01;             // accuracy loss vs fp32 (absolute) that is flagged
  double target = NAN;                 // target validation accuracy; NaN = fp32's mean best - tolerance
};

struct PrecisionRun {
  std::string precision;
  int64_t seed = 0;
  RunRow run;
  ToTarget to_target;
};

// A precision the device cannot run (fp16 autocast on a CPU), with the engine's reason.
struct PrecisionSkip {
  std::string precision;
  std::string reason;
};

// One precision over its seeds, compared with fp32.
struct PrecisionSummary {
  std::string precision;
  RunSummary stats;
  TargetStats target;
  double accuracy_change_vs_fp32 = NAN;         // mean best validation accuracy minus fp32's
  std::optional<bool> accuracy_loss_flag;       // more than the tolerance below fp32 (nullopt: unknown)
  double speedup_vs_fp32 = NAN;                 // fp32's time per epoch / this one's
  double energy_per_epoch_ratio_vs_fp32 = NAN;
  double energy_to_target_ratio_vs_fp32 = NAN;
};

struct PrecisionResult {
  StudyHeader header;
  PrecisionOptions options;            // as given (target NaN when derived)
  std::string optimizer;               // of every run
  std::string early_stopping;          // what early stopping monitored
  double target_val_accuracy = NAN;    // the target used
  std::string target_source;           // "given", or how it was derived
  std::vector<std::string> precisions_run;
  std::vector<PrecisionSkip> skipped;
  std::vector<PrecisionRun> runs;
  std::vector<PrecisionSummary> summary;  // fp32 first
};

// Runs the study; see run_regime_study for what is stored and thrown.
PrecisionResult run_precision_study(const StudyOptions& opts, const PrecisionOptions& precision, Store* store);

// The one codec of the precision result ("powertrain.study.precision/1").
void to_json(nlohmann::json& j, const PrecisionOptions& o);
void from_json(const nlohmann::json& j, PrecisionOptions& o);
void to_json(nlohmann::json& j, const PrecisionRun& r);
void from_json(const nlohmann::json& j, PrecisionRun& r);
void to_json(nlohmann::json& j, const PrecisionSkip& s);
void from_json(const nlohmann::json& j, PrecisionSkip& s);
void to_json(nlohmann::json& j, const PrecisionSummary& s);
void from_json(const nlohmann::json& j, PrecisionSummary& s);
void to_json(nlohmann::json& j, const PrecisionResult& r);
void from_json(const nlohmann::json& j, PrecisionResult& r);

}  // namespace powertrain
