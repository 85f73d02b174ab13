// powertrain/study/superconvergence.h: the super-convergence study (research.md section 4,
// Smith & Topin): an LR range test picks max_lr, then AdamW with a one-cycle schedule is
// compared with AdamW at a constant learning rate, by the epochs and energy each needs to
// reach the same validation accuracy (the range test's energy counted with one-cycle).
//
// Example:
//   powertrain::StudyOptions o;
//   o.scale = "tiny";
//   powertrain::SuperconvergenceResult r =
//       powertrain::run_superconvergence_study(o, powertrain::SuperconvergenceOptions{}, nullptr);
//   std::cout << "max_lr " << r.max_lr << ", range test " << r.lr_find.energy_j << " J\n";
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "powertrain/study/options.h"
#include "powertrain/study/record.h"

namespace powertrain {

struct SuperconvergenceOptions {
  double target = NAN;                 // target validation accuracy; NaN = the lowest best accuracy of all runs
};

// The LR range test (a step of the study, stored as a trial and as a run of kind lr_find).
struct LrFindRow {
  double suggested_lr = NAN;           // steepest descent of the smoothed loss: the max_lr used
  double min_loss_lr = NAN;
  bool stopped_early = false;          // the loss diverged before the last step
  int64_t steps = 0;
  double energy_j = NAN;
  Provenance energy_provenance = Provenance::missing;
  double duration_s = NAN;
  int64_t run_id = 0;                  // 0 without a store
  std::vector<double> lr;              // per step (empty in the stored trial)
  std::vector<double> smoothed_loss;   // per step (empty in the stored trial)
};

struct SuperconvergenceRun {
  std::string variant;                 // one_cycle or constant
  double lr = NAN;                     // one_cycle: its max_lr; constant: the constant rate
  int64_t seed = 0;
  RunRow run;
  ToTarget to_target;
};

struct SuperconvergenceSummary {
  std::string variant;
  RunSummary stats;
  TargetStats target;
  double energy_to_target_with_lr_find_j = NAN;  // one_cycle: plus the range test; constant: the same as to target
};

struct SuperconvergenceResult {
  StudyHeader header;
  SuperconvergenceOptions options;     // as given (target NaN when derived)
  std::string optimizer;               // adamw
  double weight_decay = NAN;
  double baseline_lr = NAN;            // the constant variant's rate
  double div_factor = NAN;             // one-cycle starts (and ends its warm phase) at max_lr / this
  std::string epochs_rule;             // how many epochs both variants ran
  double max_lr = NAN;
  double target_val_accuracy = NAN;    // the target used
  std::string target_source;
  LrFindRow lr_find;
  std::vector<SuperconvergenceRun> runs;
  std::vector<SuperconvergenceSummary> summary;  // one_cycle, constant
};

// Runs the study; see run_regime_study for what is stored and thrown.
SuperconvergenceResult run_superconvergence_study(const StudyOptions& opts, const SuperconvergenceOptions& sc, Store* store);

// The one codec of the superconvergence result ("powertrain.study.superconvergence/1").
void to_json(nlohmann::json& j, const SuperconvergenceOptions& o);
void from_json(const nlohmann::json& j, SuperconvergenceOptions& o);
void to_json(nlohmann::json& j, const LrFindRow& r);
void from_json(const nlohmann::json& j, LrFindRow& r);
void to_json(nlohmann::json& j, const SuperconvergenceRun& r);
void from_json(const nlohmann::json& j, SuperconvergenceRun& r);
void to_json(nlohmann::json& j, const SuperconvergenceSummary& s);
void from_json(const nlohmann::json& j, SuperconvergenceSummary& s);
void to_json(nlohmann::json& j, const SuperconvergenceResult& r);
void from_json(const nlohmann::json& j, SuperconvergenceResult& r);

}  // namespace powertrain
