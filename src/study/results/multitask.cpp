// The one codec of the multitask study's result (powertrain.study.multitask/1).
#include "powertrain/study/multitask.h"

#include "study/results/codec.h"

namespace powertrain {

using namespace study_codec;

// alpha is stored as the loss weights [main, aux].
void to_json(json& j, const MultitaskOptions& o) { j = json{{"alpha", {1.0, num(o.alpha)}}}; }

void from_json(const json& j, MultitaskOptions& o) {
  const json& alpha = value_at(j, "alpha");
  o.alpha = alpha.is_array() && alpha.size() == 2 ? util::number_or(alpha[1]) : NAN;
}

void to_json(json& j, const MultitaskRun& r) {
  to_json(j, r.run);
  j["variant"] = r.variant;
  j["seed"] = r.seed;
}

void from_json(const json& j, MultitaskRun& r) {
  from_json(j, r.run);
  r.variant = text_at(j, "variant");
  r.seed = integer_at(j, "seed");
}

void to_json(json& j, const MultitaskSummary& s) {
  to_json(j, s.stats);
  j["variant"] = s.variant;
  j["main_task_val_accuracy"] = num(s.main_task_val_accuracy);
  j["aux_task_val_accuracy"] = num(s.aux_task_val_accuracy);
}

void from_json(const json& j, MultitaskSummary& s) {
  from_json(j, s.stats);
  s.variant = text_at(j, "variant");
  s.main_task_val_accuracy = number_at(j, "main_task_val_accuracy");
  s.aux_task_val_accuracy = number_at(j, "aux_task_val_accuracy");
}

void to_json(json& j, const MultitaskResult& r) {
  to_json(j, r.header);
  json& in = j["inputs"];
  in.update(json(r.options));
  in["aux"] = r.aux;
  in["early_stopping"] = r.early_stopping;
  in["aux_alone"] = r.aux_alone;
  j["runs"] = list(r.runs);
  j["summary"] = list(r.summary);
  const MultitaskComparison& c = r.comparison;
  j["comparison"] = {{"separate_total_energy_j", num(c.separate_total_energy_j)},
                     {"multitask_energy_j", num(c.multitask_energy_j)},
                     {"saving_fraction_vs_separate", num(c.saving_fraction_vs_separate)},
                     {"cheaper_than_separate", c.cheaper_than_separate},
                     {"cheaper_than_each_alone", c.cheaper_than_each_alone}};
  j["spread"] = {{"energy_per_epoch", num(r.spread.energy_per_epoch)}, {"epochs", num(r.spread.epochs)}};
}

void from_json(const json& j, MultitaskResult& r) {
  from_json(j, r.header);
  const json& in = object_at(j, "inputs");
  from_json(in, r.options);
  r.aux = text_at(in, "aux");
  r.early_stopping = text_at(in, "early_stopping");
  r.aux_alone = text_at(in, "aux_alone");
  r.runs = list_at<MultitaskRun>(j, "runs");
  r.summary = list_at<MultitaskSummary>(j, "summary");
  const json& c = object_at(j, "comparison");
  r.comparison = MultitaskComparison{number_at(c, "separate_total_energy_j"), number_at(c, "multitask_energy_j"),
                                     number_at(c, "saving_fraction_vs_separate"), flag_at(c, "cheaper_than_separate"),
                                     flag_at(c, "cheaper_than_each_alone")};
  const json& s = object_at(j, "spread");
  r.spread = MultitaskSpread{number_at(s, "energy_per_epoch"), number_at(s, "epochs")};
}

}  // namespace powertrain
