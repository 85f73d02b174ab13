// powertrain/study/multitask.h: the multitask study (research.md section 1, Table 4): the
// main task (10 Fashion-MNIST classes) and an auxiliary task derived from the labels (the
// engine's fashion_coarse grouping), each trained alone and both together with one shared
// encoder and loss = L_main + alpha x L_aux.
//
// Example:
//   powertrain::StudyOptions o;
//   o.scale = "tiny";
//   powertrain::MultitaskOptions m;
//   m.alpha = 0.5;
//   powertrain::MultitaskResult r = powertrain::run_multitask_study(o, m, nullptr);
//   std::cout << r.comparison.multitask_energy_j << " J vs " << r.comparison.separate_total_energy_j << " J\n";
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "powertrain/study/options.h"
#include "powertrain/study/record.h"

namespace powertrain {

struct MultitaskOptions {
  double alpha = 0.5;                  // loss = 1 x L_main + alpha x L_aux
};

struct MultitaskRun {
  std::string variant;                 // main, aux, both
  int64_t seed = 0;
  RunRow run;                          // aux: its accuracies are NaN (the main head does not train)
};

struct MultitaskSummary {
  std::string variant;
  RunSummary stats;
  double main_task_val_accuracy = NAN; // NaN for aux alone
  double aux_task_val_accuracy = NAN;  // the auxiliary head's, at the best epoch (mean over seeds); NaN for main alone
};

// The two tasks trained separately against one multitask model (means over seeds).
struct MultitaskComparison {
  double separate_total_energy_j = NAN;      // main alone + aux alone
  double multitask_energy_j = NAN;
  double saving_fraction_vs_separate = NAN;
  bool cheaper_than_separate = false;
  bool cheaper_than_each_alone = false;
};

// Relative range ((max - min) / mean) across the variants: which differs more.
struct MultitaskSpread {
  double energy_per_epoch = NAN;
  double epochs = NAN;
};

struct MultitaskResult {
  StudyHeader header;
  MultitaskOptions options;
  std::string aux;                     // the auxiliary task (fashion_coarse)
  std::string aux_alone;               // how the auxiliary task trains alone
  std::string early_stopping;          // what early stopping monitored
  std::vector<MultitaskRun> runs;
  std::vector<MultitaskSummary> summary;  // main, aux, both
  MultitaskComparison comparison;
  MultitaskSpread spread;
};

// Runs the study; see run_regime_study for what is stored and thrown.
MultitaskResult run_multitask_study(const StudyOptions& opts, const MultitaskOptions& multitask, Store* store);

// The one codec of the multitask result ("powertrain.study.multitask/1").
void to_json(nlohmann::json& j, const MultitaskOptions& o);
void from_json(const nlohmann::json& j, MultitaskOptions& o);
void to_json(nlohmann::json& j, const MultitaskRun& r);
void from_json(const nlohmann::json& j, MultitaskRun& r);
void to_json(nlohmann::json& j, const MultitaskSummary& s);
void from_json(const nlohmann::json& j, MultitaskSummary& s);
void to_json(nlohmann::json& j, const MultitaskResult& r);
void from_json(const nlohmann::json& j, MultitaskResult& r);

}  // namespace powertrain
