// powertrain/study/recipe.h: the recipe study, powertrain's main job: the recipe a user
// would run anyway against powertrain's, judged on one test-accuracy target.
//
//   standard   the tutorial CNN, Adam at a constant 1e-3, batch 64, a fixed 10 epochs, fp32:
//              what every PyTorch tutorial trains;
//   search     SM2 (energy-aware successive halving) on a subset of the training split over
//              the levers of research.md: batch size, the one-cycle schedule's peak learning
//              rate (AdamW) and precision (a cost-only lever: SM2 keeps the cheaper precision
//              of each configuration, measured on this hardware);
//   tuned      the chosen configuration on the whole training split, one cycle of a few
//              epochs, stopped as soon as the validation accuracy reaches the target (plus
//              a margin, because the judge is the test set the run never sees).
// The target is 90 % test accuracy, or the standard recipe's own test accuracy when that is
// lower. The result says, side by side, the energy and time of each recipe, the saving, the
// search's own energy and after how many reuses of the tuned recipe the search has paid for
// itself (research.md Eq. 2 applied to the search: x = E_search / (E_standard - E_tuned)),
// and what each lever contributed (energy per sample by batch size and precision, measured
// in the search's exploratory epochs; epochs trained).
//
// Example:
//   powertrain::StudyOptions o;
//   o.scale = "tiny";
//   powertrain::RecipeResult r = powertrain::run_recipe_study(o, powertrain::RecipeOptions{}, nullptr);
//   std::cout << r.comparison.energy_ratio << " of the standard's energy; pays back after "
//             << r.comparison.payback_reuses << " reuses\n";
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "powertrain/study/options.h"
#include "powertrain/study/record.h"

namespace powertrain {

struct RecipeOptions {
  std::string model = "tutorial_cnn";   // the model of both recipes
  double target = 0.90;                 // test accuracy to reach; the standard's own when lower
  double stop_margin = 0.01;            // the tuned run stops at validation accuracy >= target + this
  int standard_epochs = 0;              // 0 = the scale's (10; tiny: 2)
  int64_t standard_batch_size = 64;
  double standard_lr = 0.001;           // Adam, constant
  int tuned_epochs = 0;                 // the tuned run's one cycle, in epochs; 0 = the scale's (3; tiny: 2)
  int64_t search_subset = 0;            // examples the search trains on; 0 = the scale's (6000; tiny: 500)
  int search_epochs = 0;                // the search's epochs per configuration at most; 0 = the scale's (3; tiny: 2)
  std::vector<int64_t> batch_sizes;     // searched; empty = 64, 128, 256 (tiny: 64, 256)
  std::vector<double> max_lrs;          // one-cycle peak LR, searched; empty = 0.003, 0.006 (tiny: 0.004)
  std::vector<std::string> precisions;  // searched (cost-only); empty = fp32, bf16
};

// One recipe as it ran, and how it did against the target.
struct RecipeSide {
  std::string recipe;                   // "standard" or "tuned"
  std::string description;              // "tutorial_cnn, adam lr 0.001 constant, batch 64, 10 epochs, fp32"
  int64_t batch_size = 0;
  std::string optimizer;                // adam, adamw
  std::string schedule;                 // constant, one_cycle
  double lr = NAN;                      // the constant LR, or the one-cycle's peak
  std::string precision;
  int64_t planned_epochs = 0;
  RunRow run;                           // the run (its epochs included)
  bool reached_target = false;          // test accuracy >= the target
  double energy_j = NAN;                // the whole run: setup, epochs and test (what the user pays)
  double duration_s = NAN;              // wall time of the run's epochs
  // Oracle (a figure no user has): the epochs and energy until validation accuracy first
  // reached the target. Labelled so wherever shown.
  ToTarget oracle_to_target;
};

// Energy per training sample of one (batch size, precision) in the search's exploratory
// epochs: what the batch-size and precision levers cost on this hardware.
struct RecipeCost {
  int64_t batch_size = 0;
  std::string precision;
  double energy_per_sample_j = NAN;     // the median over the exploratory epochs of that pair
  int64_t epochs = 0;                   // how many exploratory epochs it is the median of
};

// The comparison the study exists for (recipe_comparison computes it).
struct RecipeComparison {
  double target_test_accuracy = NAN;
  std::string target_source;            // "given" or "the standard recipe's test accuracy (below the given ...)"
  double standard_energy_j = NAN;
  double tuned_energy_j = NAN;
  double search_energy_j = NAN;
  double energy_ratio = NAN;            // tuned / standard
  double saving_j = NAN;                // standard - tuned, per reuse of the recipe
  double payback_reuses = NAN;          // search / saving; +inf when the tuned recipe saves nothing; NaN when it missed the target
  double time_ratio = NAN;              // tuned / standard (wall time of the runs)
  bool tuned_reached_target = false;
};

// Returns the comparison of the two recipes and the search (Eq. 2 applied to the search).
// Energies NaN when unknown; payback +inf when the tuned recipe costs as much or more, NaN
// when it missed the target.
RecipeComparison recipe_comparison(double target, const std::string& target_source, const RecipeSide& standard,
                                   const RecipeSide& tuned, double search_energy_j);

struct RecipeResult {
  StudyHeader header;
  RecipeOptions options;                // as run: defaults filled in
  RecipeSide standard;
  RecipeSide tuned;
  // The search.
  std::string search_strategy = "sm2";
  int64_t search_trials = 0;
  int64_t search_configurations = 0;
  double search_energy_j = NAN;
  double search_duration_s = NAN;
  Provenance search_energy_provenance = Provenance::missing;
  std::vector<std::string> search_chosen;   // "key=value" of the chosen configuration
  double search_chosen_val_accuracy = NAN;  // on the search's subset
  std::vector<RecipeCost> costs;            // by batch size and precision, from the exploration
  RecipeComparison comparison;
};

// Runs the study; see run_regime_study for what is stored and thrown. Throws StudyError for
// options out of range (naming the option and the fix).
RecipeResult run_recipe_study(const StudyOptions& opts, const RecipeOptions& recipe, Store* store);

// The one codec of the recipe result ("powertrain.study.recipe/1").
void to_json(nlohmann::json& j, const RecipeOptions& o);
void from_json(const nlohmann::json& j, RecipeOptions& o);
void to_json(nlohmann::json& j, const RecipeSide& s);
void from_json(const nlohmann::json& j, RecipeSide& s);
void to_json(nlohmann::json& j, const RecipeCost& c);
void from_json(const nlohmann::json& j, RecipeCost& c);
void to_json(nlohmann::json& j, const RecipeComparison& c);
void from_json(const nlohmann::json& j, RecipeComparison& c);
void to_json(nlohmann::json& j, const RecipeResult& r);
void from_json(const nlohmann::json& j, RecipeResult& r);

}  // namespace powertrain
