// The recipe study's comparison (Eq. 2 applied to the search) and the one codec of its
// result (powertrain.study.recipe/1).
#include "powertrain/study/recipe.h"

#include <limits>

#include "study/results/codec.h"

namespace powertrain {

using namespace study_codec;

RecipeComparison recipe_comparison(double target, const std::string& target_source, const RecipeSide& standard,
                                   const RecipeSide& tuned, double search_energy_j) {
  RecipeComparison c;
  c.target_test_accuracy = target;
  c.target_source = target_source;
  c.standard_energy_j = standard.energy_j;
  c.tuned_energy_j = tuned.energy_j;
  c.search_energy_j = search_energy_j;
  c.tuned_reached_target = tuned.reached_target;
  if (standard.energy_j > 0 && tuned.energy_j >= 0) {
    c.energy_ratio = tuned.energy_j / standard.energy_j;
    c.saving_j = standard.energy_j - tuned.energy_j;
    // x = E_search / (E_standard - E_tuned): the reuses of the tuned recipe after which the
    // search has paid for itself. Never, when the tuned recipe saves nothing; unknown when
    // the tuned recipe missed the target (it is not the same result for less).
    if (search_energy_j >= 0 && tuned.reached_target) {
      c.payback_reuses = c.saving_j > 0 ? search_energy_j / c.saving_j : std::numeric_limits<double>::infinity();
    }
  }
  if (standard.duration_s > 0 && tuned.duration_s >= 0) c.time_ratio = tuned.duration_s / standard.duration_s;
  return c;
}

void to_json(json& j, const RecipeOptions& o) {
  j = json{{"model", o.model},
           {"target", num(o.target)},
           {"stop_margin", num(o.stop_margin)},
           {"standard_epochs", o.standard_epochs},
           {"standard_batch_size", o.standard_batch_size},
           {"standard_lr", num(o.standard_lr)},
           {"tuned_epochs", o.tuned_epochs},
           {"search_subset", o.search_subset},
           {"search_epochs", o.search_epochs},
           {"batch_sizes", o.batch_sizes},
           {"max_lrs", numbers(o.max_lrs)},
           {"precisions", o.precisions}};
}

void from_json(const json& j, RecipeOptions& o) {
  o.model = text_at(j, "model");
  o.target = number_at(j, "target");
  o.stop_margin = number_at(j, "stop_margin");
  o.standard_epochs = static_cast<int>(integer_at(j, "standard_epochs"));
  o.standard_batch_size = integer_at(j, "standard_batch_size");
  o.standard_lr = number_at(j, "standard_lr");
  o.tuned_epochs = static_cast<int>(integer_at(j, "tuned_epochs"));
  o.search_subset = integer_at(j, "search_subset");
  o.search_epochs = static_cast<int>(integer_at(j, "search_epochs"));
  o.batch_sizes = integers_at(j, "batch_sizes");
  o.max_lrs = numbers_at(j, "max_lrs");
  o.precisions = texts_at(j, "precisions");
}

void to_json(json& j, const RecipeSide& s) {
  json run;
  to_json(run, s.run);
  j = json{{"recipe", s.recipe},
           {"description", s.description},
           {"batch_size", s.batch_size},
           {"optimizer", s.optimizer},
           {"schedule", s.schedule},
           {"lr", num(s.lr)},
           {"precision", s.precision},
           {"planned_epochs", s.planned_epochs},
           {"run", run},
           {"reached_target", s.reached_target},
           {"energy_j", num(s.energy_j)},
           {"duration_s", num(s.duration_s)},
           {"oracle_to_target", json(s.oracle_to_target)}};
}

void from_json(const json& j, RecipeSide& s) {
  s.recipe = text_at(j, "recipe");
  s.description = text_at(j, "description");
  s.batch_size = integer_at(j, "batch_size");
  s.optimizer = text_at(j, "optimizer");
  s.schedule = text_at(j, "schedule");
  s.lr = number_at(j, "lr");
  s.precision = text_at(j, "precision");
  s.planned_epochs = integer_at(j, "planned_epochs");
  from_json(object_at(j, "run"), s.run);
  s.reached_target = flag_at(j, "reached_target");
  s.energy_j = number_at(j, "energy_j");
  s.duration_s = number_at(j, "duration_s");
  from_json(object_at(j, "oracle_to_target"), s.oracle_to_target);
}

void to_json(json& j, const RecipeCost& c) {
  j = json{{"batch_size", c.batch_size},
           {"precision", c.precision},
           {"energy_per_sample_j", num(c.energy_per_sample_j)},
           {"epochs", c.epochs}};
}

void from_json(const json& j, RecipeCost& c) {
  c.batch_size = integer_at(j, "batch_size");
  c.precision = text_at(j, "precision");
  c.energy_per_sample_j = number_at(j, "energy_per_sample_j");
  c.epochs = integer_at(j, "epochs");
}

void to_json(json& j, const RecipeComparison& c) {
  j = json{{"target_test_accuracy", num(c.target_test_accuracy)},
           {"target_source", c.target_source},
           {"standard_energy_j", num(c.standard_energy_j)},
           {"tuned_energy_j", num(c.tuned_energy_j)},
           {"search_energy_j", num(c.search_energy_j)},
           {"energy_ratio", num(c.energy_ratio)},
           {"saving_j", num(c.saving_j)},
           {"payback_reuses", num(c.payback_reuses)},  // null: never (saving <= 0) or unknown
           {"time_ratio", num(c.time_ratio)},
           {"tuned_reached_target", c.tuned_reached_target}};
}

void from_json(const json& j, RecipeComparison& c) {
  c.target_test_accuracy = number_at(j, "target_test_accuracy");
  c.target_source = text_at(j, "target_source");
  c.standard_energy_j = number_at(j, "standard_energy_j");
  c.tuned_energy_j = number_at(j, "tuned_energy_j");
  c.search_energy_j = number_at(j, "search_energy_j");
  c.energy_ratio = number_at(j, "energy_ratio");
  c.saving_j = number_at(j, "saving_j");
  c.tuned_reached_target = flag_at(j, "tuned_reached_target");
  c.payback_reuses = number_at(j, "payback_reuses");
  if (!std::isfinite(c.payback_reuses) && c.saving_j <= 0 && c.search_energy_j >= 0 && c.tuned_reached_target) {
    c.payback_reuses = std::numeric_limits<double>::infinity();
  }
  c.time_ratio = number_at(j, "time_ratio");
}

void to_json(json& j, const RecipeResult& r) {
  to_json(j, r.header);
  j["inputs"].update(json(r.options));
  j["standard"] = json(r.standard);
  j["tuned"] = json(r.tuned);
  j["search"] = json{{"strategy", r.search_strategy},
                     {"trials", r.search_trials},
                     {"configurations", r.search_configurations},
                     {"energy_j", num(r.search_energy_j)},
                     {"duration_s", num(r.search_duration_s)},
                     {"energy_provenance", provenance_name(r.search_energy_provenance)},
                     {"chosen", r.search_chosen},
                     {"chosen_val_accuracy", num(r.search_chosen_val_accuracy)},
                     {"costs", list(r.costs)}};
  j["comparison"] = json(r.comparison);
}

void from_json(const json& j, RecipeResult& r) {
  from_json(j, r.header);
  from_json(object_at(j, "inputs"), r.options);
  from_json(object_at(j, "standard"), r.standard);
  from_json(object_at(j, "tuned"), r.tuned);
  const json& s = object_at(j, "search");
  r.search_strategy = text_at(s, "strategy");
  r.search_trials = integer_at(s, "trials");
  r.search_configurations = integer_at(s, "configurations");
  r.search_energy_j = number_at(s, "energy_j");
  r.search_duration_s = number_at(s, "duration_s");
  r.search_energy_provenance = provenance_at(s, "energy_provenance");
  r.search_chosen = texts_at(s, "chosen");
  r.search_chosen_val_accuracy = number_at(s, "chosen_val_accuracy");
  r.costs = list_at<RecipeCost>(s, "costs");
  from_json(object_at(j, "comparison"), r.comparison);
}

}  // namespace powertrain
