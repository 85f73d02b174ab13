// The one codec of the precision study's result (powertrain.study.precision/1).
#include "powertrain/study/precision.h"

#include "study/results/codec.h"

namespace powertrain {

using namespace study_codec;

void to_json(json& j, const PrecisionOptions& o) {
  j = json{{"precisions", o.precisions}, {"tolerance", num(o.tolerance)}, {"target", num(o.target)}};
}

void from_json(const json& j, PrecisionOptions& o) {
  o.precisions = texts_at(j, "precisions");
  o.tolerance = number_at(j, "tolerance");
  o.target = number_at(j, "target");
}

void to_json(json& j, const PrecisionRun& r) {
  to_json(j, r.run);
  j.update(json(r.to_target));
  j["precision"] = r.precision;  // the label wins over the run's own precision (the same name)
  j["seed"] = r.seed;
}

void from_json(const json& j, PrecisionRun& r) {
  from_json(j, r.run);
  from_json(j, r.to_target);
  r.precision = text_at(j, "precision");
  r.seed = integer_at(j, "seed");
}

void to_json(json& j, const PrecisionSkip& s) { j = json{{"precision", s.precision}, {"reason", s.reason}}; }

void from_json(const json& j, PrecisionSkip& s) {
  s.precision = text_at(j, "precision");
  s.reason = text_at(j, "reason");
}

void to_json(json& j, const PrecisionSummary& s) {
  to_json(j, s.stats);
  j.update(json(s.target));
  j["precision"] = s.precision;
  j["accuracy_change_vs_fp32"] = num(s.accuracy_change_vs_fp32);
  j["accuracy_loss_flag"] = s.accuracy_loss_flag ? json(*s.accuracy_loss_flag) : json(nullptr);
  j["speedup_vs_fp32"] = num(s.speedup_vs_fp32);
  j["energy_per_epoch_ratio_vs_fp32"] = num(s.energy_per_epoch_ratio_vs_fp32);
  j["energy_to_target_ratio_vs_fp32"] = num(s.energy_to_target_ratio_vs_fp32);
}

void from_json(const json& j, PrecisionSummary& s) {
  from_json(j, s.stats);
  from_json(j, s.target);
  s.precision = text_at(j, "precision");
  s.accuracy_change_vs_fp32 = number_at(j, "accuracy_change_vs_fp32");
  const json& flag = value_at(j, "accuracy_loss_flag");
  s.accuracy_loss_flag = flag.is_boolean() ? std::optional<bool>(flag.get<bool>()) : std::nullopt;
  s.speedup_vs_fp32 = number_at(j, "speedup_vs_fp32");
  s.energy_per_epoch_ratio_vs_fp32 = number_at(j, "energy_per_epoch_ratio_vs_fp32");
  s.energy_to_target_ratio_vs_fp32 = number_at(j, "energy_to_target_ratio_vs_fp32");
}

void to_json(json& j, const PrecisionResult& r) {
  to_json(j, r.header);
  j["inputs"].update(json(r.options));
  j["inputs"]["optimizer"] = r.optimizer;
  j["inputs"]["early_stopping"] = r.early_stopping;
  j["target_val_accuracy"] = num(r.target_val_accuracy);
  j["target_source"] = r.target_source;
  j["precisions_run"] = r.precisions_run;
  j["skipped"] = list(r.skipped);
  j["runs"] = list(r.runs);
  j["summary"] = list(r.summary);
}

void from_json(const json& j, PrecisionResult& r) {
  from_json(j, r.header);
  const json& in = object_at(j, "inputs");
  from_json(in, r.options);
  r.optimizer = text_at(in, "optimizer");
  r.early_stopping = text_at(in, "early_stopping");
  r.target_val_accuracy = number_at(j, "target_val_accuracy");
  r.target_source = text_at(j, "target_source");
  r.precisions_run = texts_at(j, "precisions_run");
  r.skipped = list_at<PrecisionSkip>(j, "skipped");
  r.runs = list_at<PrecisionRun>(j, "runs");
  r.summary = list_at<PrecisionSummary>(j, "summary");
}

}  // namespace powertrain
