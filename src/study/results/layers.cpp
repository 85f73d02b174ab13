// The one codec of the layers study's result (powertrain.study.layers/1).
#include "powertrain/study/layers.h"

#include "study/results/codec.h"

namespace powertrain {

using namespace study_codec;

namespace {

json optional_integer(const std::optional<int64_t>& v) { return v ? json(*v) : json(nullptr); }

std::optional<int64_t> optional_integer_at(const json& j, const char* key) {
  if (!value_at(j, key).is_number()) return std::nullopt;
  return integer_at(j, key);
}

}  // namespace

void to_json(json& j, const LayerPhaseRow& p) {
  j = json{{"repetitions", p.repetitions},
           {"time_s", num(p.time_s)},
           {"time_per_pass_s", num(p.time_per_pass_s)},
           {"window_s", num(p.window_s)},
           {"energy_j", num(p.energy_j)},
           {"energy_per_pass_j", num(p.energy_per_pass_j)},
           {"avg_power_w", num(p.avg_power_w)},
           {"energy_provenance", provenance_name(p.energy_provenance)}};
}

void from_json(const json& j, LayerPhaseRow& p) {
  p.repetitions = integer_at(j, "repetitions");
  p.time_s = number_at(j, "time_s");
  p.time_per_pass_s = number_at(j, "time_per_pass_s");
  p.window_s = number_at(j, "window_s");
  p.energy_j = number_at(j, "energy_j");
  p.energy_per_pass_j = number_at(j, "energy_per_pass_j");
  p.avg_power_w = number_at(j, "avg_power_w");
  p.energy_provenance = provenance_at(j, "energy_provenance");
}

void to_json(json& j, const LayerCostRow& c) {
  j = json{{"step", "layer_bench"},
           {"layer", c.layer},
           {"description", c.description},
           {"input_shape", c.input_shape},
           {"output_shape", c.output_shape},
           {"device", c.device},
           {"parameters", c.parameters},
           {"flops_forward", c.flops_forward},
           {"forward_gflop_per_s", num(c.forward_gflop_per_s)},
           {"forward", c.forward},
           {"forward_backward", c.forward_backward},
           {"time_share", num(c.time_share)},
           {"energy_share", num(c.energy_share)},
           {"energy_j", num(c.energy_j)},
           {"energy_provenance", provenance_name(c.energy_provenance)}};
}

void from_json(const json& j, LayerCostRow& c) {
  c.layer = text_at(j, "layer");
  c.description = text_at(j, "description");
  c.input_shape = integers_at(j, "input_shape");
  c.output_shape = integers_at(j, "output_shape");
  c.device = text_at(j, "device");
  c.parameters = integer_at(j, "parameters");
  c.flops_forward = integer_at(j, "flops_forward");
  c.forward_gflop_per_s = number_at(j, "forward_gflop_per_s");
  from_json(object_at(j, "forward"), c.forward);
  from_json(object_at(j, "forward_backward"), c.forward_backward);
  c.time_share = number_at(j, "time_share");
  c.energy_share = number_at(j, "energy_share");
  c.energy_j = number_at(j, "energy_j");
  c.energy_provenance = provenance_at(j, "energy_provenance");
}

void to_json(json& j, const LayersRun& r) {
  to_json(j, r.run);
  j["width"] = r.width;
  j["width_factor"] = num(r.width_factor);
  j["seed"] = r.seed;
}

void from_json(const json& j, LayersRun& r) {
  from_json(j, r.run);
  r.width = integer_at(j, "width");
  r.width_factor = number_at(j, "width_factor");
  r.seed = integer_at(j, "seed");
}

void to_json(json& j, const LayersWidth& w) {
  to_json(j, w.stats);
  j["width"] = w.width;
  j["width_factor"] = num(w.width_factor);
  j["parameters"] = w.parameters > 0 ? json(w.parameters) : json(nullptr);
  j["run_ids"] = ids(w.run_ids);
}

void from_json(const json& j, LayersWidth& w) {
  from_json(j, w.stats);
  w.width = integer_at(j, "width");
  w.width_factor = number_at(j, "width_factor");
  w.parameters = integer_at(j, "parameters");
  w.run_ids = integers_at(j, "run_ids");
}

void to_json(json& j, const LayersWidthStep& s) {
  j = json{{"from_width", s.from_width},
           {"to_width", s.to_width},
           {"delta_val_accuracy", num(s.delta_val_accuracy)},
           {"delta_energy_kj", num(s.delta_energy_kj)},
           {"marginal_val_accuracy_per_kj", num(s.marginal_val_accuracy_per_kj)},
           {"energy_ratio", num(s.energy_ratio)}};
}

void from_json(const json& j, LayersWidthStep& s) {
  s.from_width = integer_at(j, "from_width");
  s.to_width = integer_at(j, "to_width");
  s.delta_val_accuracy = number_at(j, "delta_val_accuracy");
  s.delta_energy_kj = number_at(j, "delta_energy_kj");
  s.marginal_val_accuracy_per_kj = number_at(j, "marginal_val_accuracy_per_kj");
  s.energy_ratio = number_at(j, "energy_ratio");
}

void to_json(json& j, const LayersResult& r) {
  to_json(j, r.header);
  json& in = j["inputs"];
  in["layers"] = r.layer_types;
  in["width_factors"] = numbers(r.width_factors);
  in["diminishing_rule"] = r.diminishing_rule;
  in["early_stopping"] = r.early_stopping;
  const LayerBenchRow& b = r.layer_bench;
  j["layer_bench"] = {{"matched", b.matched},
                      {"input_shape", b.input_shape},
                      {"warmup", b.warmup},
                      {"repetitions", b.repetitions},
                      {"min_window_s", num(b.min_window_s)},
                      {"threads", b.threads},
                      {"device", b.device},
                      {"energy_j", num(b.energy_j)},
                      {"energy_provenance", provenance_name(b.energy_provenance)},
                      {"duration_s", num(b.duration_s)}};
  j["layer_costs"] = list(r.layer_costs);
  j["width_key"] = r.width_key;
  j["widths"] = list(r.widths);
  j["width_steps"] = list(r.width_steps);
  j["diminishing_returns"] = {{"after_width", optional_integer(r.diminishing_returns.after_width)},
                              {"step", optional_integer(r.diminishing_returns.step)},
                              {"reason", r.diminishing_returns.reason}};
  j["halving"] = {{"geomean_energy_ratio", num(r.halving_geomean_energy_ratio)},
                  {"geomean_energy_per_epoch_ratio", num(r.halving_geomean_energy_per_epoch_ratio)}};
  j["runs"] = list(r.runs);
}

void from_json(const json& j, LayersResult& r) {
  from_json(j, r.header);
  const json& in = object_at(j, "inputs");
  r.layer_types = texts_at(in, "layers");
  r.width_factors = numbers_at(in, "width_factors");
  r.diminishing_rule = text_at(in, "diminishing_rule");
  r.early_stopping = text_at(in, "early_stopping");
  const json& b = object_at(j, "layer_bench");
  r.layer_bench = LayerBenchRow{text_at(b, "matched"), integers_at(b, "input_shape"), integer_at(b, "warmup"),
                                integer_at(b, "repetitions"), number_at(b, "min_window_s"), integer_at(b, "threads"),
                                text_at(b, "device"), number_at(b, "energy_j"), provenance_at(b, "energy_provenance"),
                                number_at(b, "duration_s")};
  r.layer_costs = list_at<LayerCostRow>(j, "layer_costs");
  r.width_key = text_at(j, "width_key");
  r.widths = list_at<LayersWidth>(j, "widths");
  r.width_steps = list_at<LayersWidthStep>(j, "width_steps");
  const json& d = object_at(j, "diminishing_returns");
  r.diminishing_returns = DiminishingReturns{optional_integer_at(d, "after_width"), optional_integer_at(d, "step"), text_at(d, "reason")};
  const json& h = object_at(j, "halving");
  r.halving_geomean_energy_ratio = number_at(h, "geomean_energy_ratio");
  r.halving_geomean_energy_per_epoch_ratio = number_at(h, "geomean_energy_per_epoch_ratio");
  r.runs = list_at<LayersRun>(j, "runs");
}

}  // namespace powertrain
