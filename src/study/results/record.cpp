// The one codec of the records every study result shares: RunRow (with its epochs),
// RunSummary, ToTarget, TargetStats, ScaleSpec and StudyHeader.
#include "powertrain/study/record.h"

#include "study/results/codec.h"

namespace powertrain {

using namespace study_codec;

std::string study_schema(const std::string& kind) { return "powertrain.study." + kind + "/1"; }

void to_json(json& j, const EpochRow& e) {
  j = json{{"epoch", e.epoch},
           {"energy_j", num(e.energy_j)},
           {"energy_provenance", provenance_name(e.energy_provenance)},
           {"duration_s", num(e.duration_s)},
           {"avg_power_w", num(e.avg_power_w)},
           {"train_loss", num(e.train_loss)},
           {"val_loss", num(e.val_loss)},
           {"val_accuracy", num(e.val_accuracy)},
           {"lr", num(e.lr)}};
}

void from_json(const json& j, EpochRow& e) {
  e.epoch = integer_at(j, "epoch");
  e.energy_j = number_at(j, "energy_j");
  e.energy_provenance = provenance_at(j, "energy_provenance");
  e.duration_s = number_at(j, "duration_s");
  e.avg_power_w = number_at(j, "avg_power_w");
  e.train_loss = number_at(j, "train_loss");
  e.val_loss = number_at(j, "val_loss");
  e.val_accuracy = number_at(j, "val_accuracy");
  e.lr = number_at(j, "lr");
}

void to_json(json& j, const RunRow& r) {
  j = json{{"status", r.status ? json(run_status_name(*r.status)) : json(nullptr)},
           {"stop_reason", r.stop_reason},
           {"epochs", r.epochs},
           {"best_epoch", r.best_epoch},
           {"best_val_accuracy", num(r.best_val_accuracy)},
           {"best_aux_val_accuracy", num(r.best_aux_val_accuracy)},
           {"best_val_loss", num(r.best_val_loss)},
           {"test_accuracy", num(r.test_accuracy)},
           {"energy_j", num(r.energy_j)},
           {"energy_per_epoch_j", num(r.energy_per_epoch_j)},
           {"energy_to_best_j", num(r.energy_to_best_j)},
           {"energy_provenance", provenance_name(r.energy_provenance)},
           {"run_energy_j", num(r.run_energy_j)},
           {"duration_s", num(r.duration_s)},
           {"duration_per_epoch_s", num(r.duration_per_epoch_s)},
           {"avg_power_w", num(r.avg_power_w)},
           {"samples_per_s", num(r.samples_per_s)},
           {"precision", r.precision},
           {"device", r.device},
           {"parameters", r.parameters},
           {"trainable_parameters", r.trainable_parameters},
           {"run_id", id(r.run_id)},
           {"seq", r.seq},
           {"epoch_rows", list(r.epoch_rows)}};
}

void from_json(const json& j, RunRow& r) {
  r.status = run_status_from_name(text_at(j, "status"));
  r.stop_reason = text_at(j, "stop_reason");
  r.epochs = integer_at(j, "epochs");
  r.best_epoch = integer_at(j, "best_epoch");
  r.best_val_accuracy = number_at(j, "best_val_accuracy");
  r.best_aux_val_accuracy = number_at(j, "best_aux_val_accuracy");
  r.best_val_loss = number_at(j, "best_val_loss");
  r.test_accuracy = number_at(j, "test_accuracy");
  r.energy_j = number_at(j, "energy_j");
  r.energy_per_epoch_j = number_at(j, "energy_per_epoch_j");
  r.energy_to_best_j = number_at(j, "energy_to_best_j");
  r.energy_provenance = provenance_at(j, "energy_provenance");
  r.run_energy_j = number_at(j, "run_energy_j");
  r.duration_s = number_at(j, "duration_s");
  r.duration_per_epoch_s = number_at(j, "duration_per_epoch_s");
  r.avg_power_w = number_at(j, "avg_power_w");
  r.samples_per_s = number_at(j, "samples_per_s");
  r.precision = text_at(j, "precision");
  r.device = text_at(j, "device");
  r.parameters = integer_at(j, "parameters");
  r.trainable_parameters = integer_at(j, "trainable_parameters");
  r.run_id = integer_at(j, "run_id");
  r.seq = integer_at(j, "seq");
  r.epoch_rows = list_at<EpochRow>(j, "epoch_rows");
}

void to_json(json& j, const ToTarget& t) {
  j = json{{"epochs_to_target", num(t.epochs_to_target)}, {"energy_to_target_j", num(t.energy_to_target_j)}};
}

void from_json(const json& j, ToTarget& t) {
  t.epochs_to_target = number_at(j, "epochs_to_target");
  t.energy_to_target_j = number_at(j, "energy_to_target_j");
}

void to_json(json& j, const RunSummary& s) {
  j = json::object();
  put_stat(j, "energy_j", s.energy_j);
  put_stat(j, "energy_per_epoch_j", s.energy_per_epoch_j);
  put_stat(j, "epochs", s.epochs);
  put_stat(j, "duration_s", s.duration_s);
  put_stat(j, "duration_per_epoch_s", s.duration_per_epoch_s);
  put_stat(j, "avg_power_w", s.avg_power_w);
  put_stat(j, "best_val_accuracy", s.best_val_accuracy);
  put_stat(j, "best_val_loss", s.best_val_loss);
  put_stat(j, "test_accuracy", s.test_accuracy);
  j["runs"] = s.runs;
  j["energy_provenance"] = provenance_name(s.energy_provenance);
}

void from_json(const json& j, RunSummary& s) {
  s.energy_j = stat_at(j, "energy_j");
  s.energy_per_epoch_j = stat_at(j, "energy_per_epoch_j");
  s.epochs = stat_at(j, "epochs");
  s.duration_s = stat_at(j, "duration_s");
  s.duration_per_epoch_s = stat_at(j, "duration_per_epoch_s");
  s.avg_power_w = stat_at(j, "avg_power_w");
  s.best_val_accuracy = stat_at(j, "best_val_accuracy");
  s.best_val_loss = stat_at(j, "best_val_loss");
  s.test_accuracy = stat_at(j, "test_accuracy");
  s.runs = integer_at(j, "runs");
  s.energy_provenance = provenance_at(j, "energy_provenance");
}

void to_json(json& j, const TargetStats& t) {
  j = json::object();
  put_stat(j, "epochs_to_target", t.epochs_to_target);
  put_stat(j, "energy_to_target_j", t.energy_to_target_j);
  j["target_reached_runs"] = t.target_reached_runs;
}

void from_json(const json& j, TargetStats& t) {
  t.epochs_to_target = stat_at(j, "epochs_to_target");
  t.energy_to_target_j = stat_at(j, "energy_to_target_j");
  t.target_reached_runs = integer_at(j, "target_reached_runs");
}

void to_json(json& j, const ScaleSpec& s) {
  j = json{{"name", s.name},
           {"subset", s.subset},
           {"val_fraction", num(s.val_fraction)},
           {"model_type", s.model_type},
           {"hidden", s.hidden},
           {"width", s.width},
           {"max_epochs", s.max_epochs},
           {"patience", s.patience},
           {"feature_dim", s.feature_dim},
           {"lr_find_steps", s.lr_find_steps},
           {"batch_size", s.batch_size}};
}

void from_json(const json& j, ScaleSpec& s) {
  s.name = text_at(j, "name");
  s.subset = integer_at(j, "subset");
  s.val_fraction = number_at(j, "val_fraction");
  s.model_type = text_at(j, "model_type");
  s.hidden = integers_at(j, "hidden");
  s.width = integer_at(j, "width");
  s.max_epochs = static_cast<int>(integer_at(j, "max_epochs"));
  s.patience = static_cast<int>(integer_at(j, "patience"));
  s.seeds = static_cast<int>(integer_at(j, "seeds"));  // not stored: the header's `seeds` is what ran
  s.feature_dim = integer_at(j, "feature_dim");
  s.lr_find_steps = static_cast<int>(integer_at(j, "lr_find_steps"));
  s.batch_size = integer_at(j, "batch_size");
}

json study_inputs_json(const StudyHeader& h) {
  return json{{"scale", h.scale.name}, {"seeds", h.seeds}, {"threads", h.threads}, {"data_path", h.data_path}, {"overrides", h.overrides}};
}

void to_json(json& j, const StudyHeader& h) {
  json host = {{"cpus", h.host.cpus},
               {"load_average_1m_start", num(h.host.load_average_1m_start)},
               {"load_average_1m_end", num(h.host.load_average_1m_end)}};
  j = json{{"schema", h.schema.empty() ? study_schema(h.kind) : h.schema},
           {"kind", h.kind},
           {"name", h.name},
           {"study_id", id(h.study_id)},
           {"scale", h.scale},
           {"inputs", study_inputs_json(h)},
           {"device", h.device.empty() ? json(nullptr) : json(h.device)},
           {"energy_provenance", provenance_name(h.energy_provenance)},
           {"study_energy_j", num(h.study_energy_j)},
           {"host", host},
           {"findings", h.findings}};
}

void from_json(const json& j, StudyHeader& h) {
  h.schema = text_at(j, "schema");
  h.kind = text_at(j, "kind");
  h.name = text_at(j, "name");
  h.study_id = integer_at(j, "study_id");
  from_json(object_at(j, "scale"), h.scale);
  const json& in = object_at(j, "inputs");
  if (h.scale.name.empty()) h.scale.name = text_at(in, "scale");
  h.seeds = integer_at(in, "seeds");
  h.threads = integer_at(in, "threads");
  h.data_path = text_at(in, "data_path");
  h.overrides = texts_at(in, "overrides");
  h.device = text_at(j, "device");
  h.energy_provenance = provenance_at(j, "energy_provenance");
  h.study_energy_j = number_at(j, "study_energy_j");
  const json& host = object_at(j, "host");
  h.host.cpus = integer_at(host, "cpus");
  h.host.load_average_1m_start = number_at(host, "load_average_1m_start");
  h.host.load_average_1m_end = number_at(host, "load_average_1m_end");
  h.findings = texts_at(j, "findings");
}

}  // namespace powertrain
