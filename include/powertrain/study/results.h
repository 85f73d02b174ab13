// powertrain/study/results.h: any research study's result, typed: how report, advise and
// serve read a stored study (StudyRecord::result_json) without spelling its keys. Each
// kind's fields and codec are in its own header (regime.h, precision.h, ...); this one
// dispatches on the kind. No LibTorch: link powertrain_study_results.
//
// Example:
//   std::optional<powertrain::AnyStudyResult> r = powertrain::study_result_of(*store.study("regime-1"));
//   if (r) {
//     std::cout << powertrain::study_header(*r).name << "\n";
//     if (const auto* regime = std::get_if<powertrain::RegimeResult>(&*r)) std::cout << regime->setups.size() << "\n";
//   }
#pragma once

#include <optional>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "powertrain/store/store.h"
#include "powertrain/study/layers.h"
#include "powertrain/study/multitask.h"
#include "powertrain/study/precision.h"
#include "powertrain/study/pretrain.h"
#include "powertrain/study/recipe.h"
#include "powertrain/study/record.h"
#include "powertrain/study/regime.h"
#include "powertrain/study/search.h"
#include "powertrain/study/superconvergence.h"

namespace powertrain {

// The result of a kind this version does not know (written by a newer powertrain): its
// header, and the stored JSON as it was, which it encodes back to unchanged.
struct UnknownStudyResult {
  StudyHeader header;
  nlohmann::json stored;
};

using AnyStudyResult = std::variant<UnknownStudyResult, RegimeResult, PrecisionResult, SuperconvergenceResult, PretrainResult,
                                    MultitaskResult, SearchResult, LayersResult, RecipeResult>;

// Returns `result` decoded as the study kind `kind` (regime, precision, ...; any other kind
// gives UnknownStudyResult). Never throws: missing keys decode to NaN, 0, "" or empty lists.
AnyStudyResult study_result_from_json(const std::string& kind, const nlohmann::json& result);
// The same, with the kind read from the result's own "kind".
AnyStudyResult study_result_from_json(const nlohmann::json& result);
// Returns the stored result of a research study decoded as its kind, or nullopt when it has
// none yet ("" result_json) or the stored text is not a JSON object.
std::optional<AnyStudyResult> study_result_of(const StudyRecord& study);

// Returns the fields every result has (kind, name, scale, findings, ...).
const StudyHeader& study_header(const AnyStudyResult& result);

// Encodes the result through its kind's codec (UnknownStudyResult: the JSON it was read
// from, else its header).
void to_json(nlohmann::json& j, const UnknownStudyResult& r);
void from_json(const nlohmann::json& j, UnknownStudyResult& r);
void to_json(nlohmann::json& j, const AnyStudyResult& result);

}  // namespace powertrain
