// The one codec of the pretrain study's result (powertrain.study.pretrain/1).
#include "powertrain/study/pretrain.h"

#include "study/results/codec.h"

namespace powertrain {

using namespace study_codec;

void to_json(json& j, const PretrainRun& r) {
  to_json(j, r.run);
  j["variant"] = r.variant;
  j["seed"] = r.seed;
}

void from_json(const json& j, PretrainRun& r) {
  from_json(j, r.run);
  r.variant = text_at(j, "variant");
  r.seed = integer_at(j, "seed");
}

void to_json(json& j, const PretrainSummary& s) {
  to_json(j, s.stats);
  j["variant"] = s.variant;
  j["symbol"] = s.symbol;
}

void from_json(const json& j, PretrainSummary& s) {
  from_json(j, s.stats);
  s.variant = text_at(j, "variant");
  s.symbol = text_at(j, "symbol");
}

void to_json(json& j, const BreakEven& b) {
  j = json{{"reuses", num(b.reuses)}, {"saving_per_reuse_j", num(b.saving_per_reuse_j)}, {"text", b.text}};
}

void from_json(const json& j, BreakEven& b) {
  b.reuses = number_at(j, "reuses");
  b.saving_per_reuse_j = number_at(j, "saving_per_reuse_j");
  b.text = text_at(j, "text");
}

void to_json(json& j, const PretrainResult& r) {
  to_json(j, r.header);
  json& in = j["inputs"];
  in["autoencoder_early_stopping"] = r.autoencoder_early_stopping;
  in["classifier_early_stopping"] = r.classifier_early_stopping;
  in["equation"] = r.equation;
  j["feature_dim"] = r.feature_dim;
  j["runs"] = list(r.runs);
  j["summary"] = list(r.summary);
  j["energies_j"] = {{"E_enc", num(r.energies.enc_j)},
                     {"E_class_frozen", num(r.energies.class_frozen_j)},
                     {"E_class_finetune", num(r.energies.class_finetune_j)},
                     {"E_enc_class", num(r.energies.enc_class_j)}};
  j["break_even"] = {{"frozen", r.break_even_frozen}, {"finetune", r.break_even_finetune}};
  j["freeze_vs_finetune"] = {{"energy_saving_fraction", num(r.freeze_vs_finetune.energy_saving_fraction)},
                             {"frozen_energy_j", num(r.freeze_vs_finetune.frozen_energy_j)},
                             {"finetune_energy_j", num(r.freeze_vs_finetune.finetune_energy_j)}};
  j["cumulative"] = {{"reuses", r.cumulative.reuses},
                     {"pretrain_frozen_j", numbers(r.cumulative.pretrain_frozen_j)},
                     {"pretrain_finetune_j", numbers(r.cumulative.pretrain_finetune_j)},
                     {"scratch_j", numbers(r.cumulative.scratch_j)}};
}

void from_json(const json& j, PretrainResult& r) {
  from_json(j, r.header);
  const json& in = object_at(j, "inputs");
  r.autoencoder_early_stopping = text_at(in, "autoencoder_early_stopping");
  r.classifier_early_stopping = text_at(in, "classifier_early_stopping");
  r.equation = text_at(in, "equation");
  r.feature_dim = integer_at(j, "feature_dim");
  r.runs = list_at<PretrainRun>(j, "runs");
  r.summary = list_at<PretrainSummary>(j, "summary");
  const json& e = object_at(j, "energies_j");
  r.energies = PretrainEnergies{number_at(e, "E_enc"), number_at(e, "E_class_frozen"), number_at(e, "E_class_finetune"),
                                number_at(e, "E_enc_class")};
  const json& be = object_at(j, "break_even");
  from_json(object_at(be, "frozen"), r.break_even_frozen);
  from_json(object_at(be, "finetune"), r.break_even_finetune);
  const json& f = object_at(j, "freeze_vs_finetune");
  r.freeze_vs_finetune = FreezeVsFinetune{number_at(f, "energy_saving_fraction"), number_at(f, "frozen_energy_j"),
                                          number_at(f, "finetune_energy_j")};
  const json& c = object_at(j, "cumulative");
  r.cumulative = PretrainCumulative{integers_at(c, "reuses"), numbers_at(c, "pretrain_frozen_j"), numbers_at(c, "pretrain_finetune_j"),
                                    numbers_at(c, "scratch_j")};
}

}  // namespace powertrain
