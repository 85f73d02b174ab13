// powertrain/study/registry.h: the research studies by name, with a one-line description
// each, and a run-by-name entry: what `powertrain study KIND` and its help use.
//
// Example:
//   for (const auto& k : powertrain::study_kinds()) std::cout << k.name << ": " << k.description << "\n";
//   powertrain::StudyKindOptions per_kind;
//   per_kind.regime.batch_sizes = {64, 1024};
//   powertrain::AnyStudyResult r = powertrain::run_study("regime", opts, per_kind, &store);
#pragma once

#include <string>
#include <vector>

#include "powertrain/store/store.h"
#include "powertrain/study/options.h"
#include "powertrain/study/results.h"

namespace powertrain {

struct StudyKind {
  std::string name;         // regime, precision, ...
  std::string description;  // one line: what it measures
};

// Returns the study kinds, in the order of research.md.
const std::vector<StudyKind>& study_kinds();
// Returns the names of study_kinds(), in the same order.
std::vector<std::string> study_kind_names();

// Each kind's own options; run_study gives each study the ones of its kind.
struct StudyKindOptions {
  RegimeOptions regime;
  PrecisionOptions precision;
  SuperconvergenceOptions superconvergence;
  PretrainOptions pretrain;
  MultitaskOptions multitask;
  SearchOptions search;
  LayersOptions layers;
  RecipeOptions recipe;
};

// Returns the result of running the study `kind` (one of study_kind_names()) with the
// common options and its kind's options. Throws StudyError for an unknown kind (naming the
// known ones), and what the study's run function throws.
AnyStudyResult run_study(const std::string& kind, const StudyOptions& opts, const StudyKindOptions& per_kind, Store* store);

}  // namespace powertrain
