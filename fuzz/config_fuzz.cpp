// Fuzz target: the training config (parse_train_config, include/powertrain/train/config.h).
// The input is the JSON text; lines at its start of the form "--set key=value" are applied
// as overrides, as `powertrain train --set` does. Every outcome but a ConfigError is a bug.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "powertrain/train/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text = powertrain::fuzz::text_of(data, size);
  std::vector<std::string> overrides;
  while (text.rfind("--set ", 0) == 0 && overrides.size() < 8) {
    const size_t end = text.find('\n');
    overrides.push_back(text.substr(6, end == std::string::npos ? std::string::npos : end - 6));
    text = end == std::string::npos ? "" : text.substr(end + 1);
  }
  try {
    powertrain::TrainConfig c = powertrain::parse_train_config(text, "fuzz.json", overrides);
    // A valid config round-trips through its stored JSON.
    powertrain::parse_train_config(powertrain::train_config_json(c), "again.json");
  } catch (const powertrain::ConfigError&) {
  }
  return 0;
}
