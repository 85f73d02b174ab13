// Fuzz target: the study file of `powertrain tune STUDY.json` (parse_study_text,
// include/powertrain/search/spec.h): its own keys, the training config under "train" and the
// search space checked against it, strategy and budgets. Every outcome but a ConfigError is
// a bug; a study that parses is checked whole and round-trips through the form it is
// stored in (spec_to_json, spec_from_json), as `tune --resume` reads it back.
#include <cstdint>
#include <string>

#include "fuzz/fuzz_util.h"
#include "powertrain/search/spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = powertrain::fuzz::text_of(data, size);
  try {
    powertrain::search::StudySpec s = powertrain::search::parse_study_text(text, "fuzz.json");
    powertrain::search::StudySpec again = powertrain::search::spec_from_json(powertrain::search::spec_to_json(s));
    if (again.space.grid_size() != s.space.grid_size() || again.strategy != s.strategy) __builtin_trap();
  } catch (const powertrain::ConfigError&) {
  }
  return 0;
}
