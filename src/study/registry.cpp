// The research studies by name: a description and a runner each, as the strategy registry
// (src/tune/registry.cpp) has for search strategies.
#include "powertrain/study/registry.h"

#include <functional>

namespace powertrain {

namespace {

using Runner = std::function<AnyStudyResult(const StudyOptions&, const StudyKindOptions&, Store*)>;

struct Entry {
  StudyKind kind;
  Runner run;
};

const std::vector<Entry>& entries() {
  static const std::vector<Entry> all = {
      {{"regime", "batch size x learning rate grid: energy per epoch, epochs and total energy of every setup (Table 2, Fig. 3)"},
       [](const StudyOptions& o, const StudyKindOptions& k, Store* s) -> AnyStudyResult { return run_regime_study(o, k.regime, s); }},
      {{"precision", "fp32 against fp16 and bf16: time, power, energy per epoch and to a target, accuracy loss flagged"},
       [](const StudyOptions& o, const StudyKindOptions& k, Store* s) -> AnyStudyResult { return run_precision_study(o, k.precision, s); }},
      {{"superconvergence", "LR range test, then one-cycle AdamW against a constant rate, by the energy to a target accuracy"},
       [](const StudyOptions& o, const StudyKindOptions& k, Store* s) -> AnyStudyResult {
         return run_superconvergence_study(o, k.superconvergence, s);
       }},
      {{"pretrain", "autoencoder pretraining reused frozen or fine-tuned against training from scratch; break-even (Eq. 2)"},
       [](const StudyOptions& o, const StudyKindOptions& k, Store* s) -> AnyStudyResult { return run_pretrain_study(o, k.pretrain, s); }},
      {{"multitask", "two tasks trained alone and together with a shared encoder (Table 4)"},
       [](const StudyOptions& o, const StudyKindOptions& k, Store* s) -> AnyStudyResult { return run_multitask_study(o, k.multitask, s); }},
      {{"search", "grid, random, TPE, successive halving and SM2 by the energy they spend to reach a target"},
       [](const StudyOptions& o, const StudyKindOptions& k, Store* s) -> AnyStudyResult { return run_search_study(o, k.search, s); }},
      {{"layers", "energy by layer type at matched sizes, and accuracy against training energy across model widths"},
       [](const StudyOptions& o, const StudyKindOptions& k, Store* s) -> AnyStudyResult { return run_layers_study(o, k.layers, s); }},
      {{"recipe", "the standard recipe (tutorial CNN, Adam, batch 64, 10 epochs) against an SM2 search and its choice trained to "
                  "the same test accuracy: energy, saving and the search's payback (Eq. 2)"},
       [](const StudyOptions& o, const StudyKindOptions& k, Store* s) -> AnyStudyResult { return run_recipe_study(o, k.recipe, s); }},
  };
  return all;
}

}  // namespace

const std::vector<StudyKind>& study_kinds() {
  static const std::vector<StudyKind> kinds = [] {
    std::vector<StudyKind> out;
    for (const auto& e : entries()) out.push_back(e.kind);
    return out;
  }();
  return kinds;
}

std::vector<std::string> study_kind_names() {
  std::vector<std::string> out;
  for (const auto& k : study_kinds()) out.push_back(k.name);
  return out;
}

AnyStudyResult run_study(const std::string& kind, const StudyOptions& opts, const StudyKindOptions& per_kind, Store* store) {
  for (const auto& e : entries()) {
    if (e.kind.name == kind) return e.run(opts, per_kind, store);
  }
  std::string known;
  for (const auto& k : study_kind_names()) known += (known.empty() ? "" : ", ") + k;
  throw StudyError("unknown study '" + kind + "'; use one of: " + known);
}

}  // namespace powertrain
