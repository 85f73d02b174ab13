// The one codec of the superconvergence study's result (powertrain.study.superconvergence/1).
#include "powertrain/study/superconvergence.h"

#include "study/results/codec.h"

namespace powertrain {

using namespace study_codec;

void to_json(json& j, const SuperconvergenceOptions& o) { j = json{{"target", num(o.target)}}; }

void from_json(const json& j, SuperconvergenceOptions& o) { o.target = number_at(j, "target"); }

void to_json(json& j, const LrFindRow& r) {
  j = json{{"step", "lr_find"},
           {"suggested_lr", num(r.suggested_lr)},
           {"min_loss_lr", num(r.min_loss_lr)},
           {"stopped_early", r.stopped_early},
           {"steps", r.steps},
           {"energy_j", num(r.energy_j)},
           {"energy_provenance", provenance_name(r.energy_provenance)},
           {"duration_s", num(r.duration_s)},
           {"run_id", id(r.run_id)},
           {"lr", numbers(r.lr)},
           {"smoothed_loss", numbers(r.smoothed_loss)}};
}

void from_json(const json& j, LrFindRow& r) {
  r.suggested_lr = number_at(j, "suggested_lr");
  r.min_loss_lr = number_at(j, "min_loss_lr");
  r.stopped_early = flag_at(j, "stopped_early");
  r.steps = integer_at(j, "steps");
  r.energy_j = number_at(j, "energy_j");
  r.energy_provenance = provenance_at(j, "energy_provenance");
  r.duration_s = number_at(j, "duration_s");
  r.run_id = integer_at(j, "run_id");
  r.lr = numbers_at(j, "lr");
  r.smoothed_loss = numbers_at(j, "smoothed_loss");
}

void to_json(json& j, const SuperconvergenceRun& r) {
  to_json(j, r.run);
  j.update(json(r.to_target));
  j["variant"] = r.variant;
  j[r.variant == "one_cycle" ? "max_lr" : "lr"] = num(r.lr);
  j["seed"] = r.seed;
}

void from_json(const json& j, SuperconvergenceRun& r) {
  from_json(j, r.run);
  from_json(j, r.to_target);
  r.variant = text_at(j, "variant");
  r.lr = number_at(j, r.variant == "one_cycle" ? "max_lr" : "lr");
  r.seed = integer_at(j, "seed");
}

void to_json(json& j, const SuperconvergenceSummary& s) {
  to_json(j, s.stats);
  j.update(json(s.target));
  j["variant"] = s.variant;
  j["energy_to_target_with_lr_find_j"] = num(s.energy_to_target_with_lr_find_j);
}

void from_json(const json& j, SuperconvergenceSummary& s) {
  from_json(j, s.stats);
  from_json(j, s.target);
  s.variant = text_at(j, "variant");
  s.energy_to_target_with_lr_find_j = number_at(j, "energy_to_target_with_lr_find_j");
}

void to_json(json& j, const SuperconvergenceResult& r) {
  to_json(j, r.header);
  json& in = j["inputs"];
  in.update(json(r.options));
  in["optimizer"] = r.optimizer;
  in["weight_decay"] = num(r.weight_decay);
  in["baseline_lr"] = num(r.baseline_lr);
  in["div_factor"] = num(r.div_factor);
  in["epochs"] = r.epochs_rule;
  j["max_lr"] = num(r.max_lr);
  j["target_val_accuracy"] = num(r.target_val_accuracy);
  j["target_source"] = r.target_source;
  j["lr_find"] = r.lr_find;
  j["runs"] = list(r.runs);
  j["summary"] = list(r.summary);
}

void from_json(const json& j, SuperconvergenceResult& r) {
  from_json(j, r.header);
  const json& in = object_at(j, "inputs");
  from_json(in, r.options);
  r.optimizer = text_at(in, "optimizer");
  r.weight_decay = number_at(in, "weight_decay");
  r.baseline_lr = number_at(in, "baseline_lr");
  r.div_factor = number_at(in, "div_factor");
  r.epochs_rule = text_at(in, "epochs");
  r.max_lr = number_at(j, "max_lr");
  r.target_val_accuracy = number_at(j, "target_val_accuracy");
  r.target_source = text_at(j, "target_source");
  from_json(object_at(j, "lr_find"), r.lr_find);
  r.runs = list_at<SuperconvergenceRun>(j, "runs");
  r.summary = list_at<SuperconvergenceSummary>(j, "summary");
}

}  // namespace powertrain
