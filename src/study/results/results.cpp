// Any study's result by its kind: decoding a stored result and encoding the typed one.
#include "powertrain/study/results.h"

#include "study/results/codec.h"

namespace powertrain {

using namespace study_codec;

void to_json(json& j, const UnknownStudyResult& r) {
  if (r.stored.is_object()) j = r.stored;
  else to_json(j, r.header);
}

void from_json(const json& j, UnknownStudyResult& r) {
  from_json(j, r.header);
  r.stored = j.is_object() ? j : json();
}

AnyStudyResult study_result_from_json(const std::string& kind, const json& j) {
  if (kind == "regime") return j.get<RegimeResult>();
  if (kind == "precision") return j.get<PrecisionResult>();
  if (kind == "superconvergence") return j.get<SuperconvergenceResult>();
  if (kind == "pretrain") return j.get<PretrainResult>();
  if (kind == "multitask") return j.get<MultitaskResult>();
  if (kind == "search") return j.get<SearchResult>();
  if (kind == "layers") return j.get<LayersResult>();
  if (kind == "recipe") return j.get<RecipeResult>();
  UnknownStudyResult u = j.get<UnknownStudyResult>();
  if (u.header.kind.empty()) u.header.kind = kind;
  return u;
}

AnyStudyResult study_result_from_json(const json& result) { return study_result_from_json(text_at(result, "kind"), result); }

std::optional<AnyStudyResult> study_result_of(const StudyRecord& study) {
  if (study.result_json.empty()) return std::nullopt;
  json j = json::parse(study.result_json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  return study_result_from_json(study.kind, j);
}

const StudyHeader& study_header(const AnyStudyResult& result) {
  return std::visit([](const auto& r) -> const StudyHeader& { return r.header; }, result);
}

void to_json(json& j, const AnyStudyResult& result) {
  std::visit([&j](const auto& r) { to_json(j, r); }, result);
}

}  // namespace powertrain
