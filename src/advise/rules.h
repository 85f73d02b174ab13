// Private to the advisor: what the rules read (a stored run with its config and epochs)
// and the rules themselves, one function per kind of evidence (docs/advise.md).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "powertrain/advise/advisor.h"
#include "powertrain/store/store.h"
#include "powertrain/train/config.h"
#include "powertrain/study/results.h"

namespace powertrain::advice_rules {

using json = nlohmann::json;

// Accuracy counts as "as good" within this of the best (absolute, validation accuracy):
// the regime study's rule for its cheapest accurate setup.
constexpr double kAccurateWithin = 0.02;
// A narrower model is "as good" within this of the best width's accuracy.
constexpr double kWidthTolerance = 0.01;
// Early stopping: an epoch improves when validation accuracy rises by more than this ...
constexpr double kMinDeltaAccuracy = 0.002;
// ... or validation loss falls by more than this fraction of the best loss so far.
constexpr double kMinDeltaLossFraction = 0.01;
// The patience suggested for early stopping (epochs without an improvement).
constexpr int kSuggestedPatience = 2;

// A stored run as the rules see it.
struct RunView {
  RunRecord run;
  std::optional<TrainConfig> config;  // the run's training config (nullopt for runs without one)
  std::vector<EpochRecord> epochs;
  double training_energy_j = NAN;     // sum of the epochs' energies; NaN when none or any unknown
  Provenance provenance = Provenance::missing;  // the weakest epoch's
  bool from_study = false;            // a run a study made (its command is `powertrain study ...`)
};

// Returns the run with its config, epochs and training energy.
RunView load_run(const Store& store, const RunRecord& run);

// Returns "1.23 kJ"-style text, or "n/a" for NaN (report/format.h).
std::string fmt_energy(double energy_j);
// Returns "45%"-style text for a fraction, or "n/a" for NaN.
std::string fmt_percent(double fraction);
// Returns "study NAME (KIND)".
std::string study_source(const StudyRecord& s);

// Each appends what the evidence supports (nothing when it shows no saving). `current` is
// the user's setup to compare against (a run), or null for the engine's defaults. The
// research studies' results come typed, decoded by their codecs (powertrain/study/results.h).
void rule_regime(const StudyRecord& s, const RegimeResult& result, const RunView* current, std::vector<Recommendation>& out);
void rule_precision(const StudyRecord& s, const PrecisionResult& result, const RunView* current, std::vector<Recommendation>& out);
void rule_superconvergence(const StudyRecord& s, const SuperconvergenceResult& result, const RunView* current,
                           std::vector<Recommendation>& out);
void rule_pretrain(const StudyRecord& s, const PretrainResult& result, const RunView* current, std::vector<Recommendation>& out);
void rule_layers(const StudyRecord& s, const LayersResult& result, const RunView* current, std::vector<Recommendation>& out);
void rule_multitask(const StudyRecord& s, const MultitaskResult& result, const RunView* current, std::vector<Recommendation>& out);
// The recipe study: the standard recipe against powertrain's, then each lever it changed.
void rule_recipe(const StudyRecord& s, const RecipeResult& result, std::vector<Recommendation>& out);
// A search study (kind "tune"): energy per epoch of its trials by batch size.
void rule_tune_batch(const Store& store, const StudyRecord& s, const RunView* current, std::vector<Recommendation>& out);
// Stored training runs that differ in batch size (same model, data and precision).
void rule_runs_batch(const std::vector<RunView>& runs, const RunView* current, std::vector<Recommendation>& out);
// A run's validation curve: the epochs after it flattened.
void rule_early_stopping(const RunView& run, std::vector<Recommendation>& out);

}  // namespace powertrain::advice_rules
