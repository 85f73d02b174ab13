// A study configuration's keys applied to a training config (as --set overrides). No LibTorch.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>

#include "powertrain/train/config.h"

namespace powertrain {

namespace {

// Integer keys must reach the config as integers (1024, not 1024.0).
bool integral_key(const std::string& key) {
  for (const char* k : {"training.batch_size", "training.epochs", "training.threads", "training.blas_threads",
                        "training.seed", "model.width", "model.depth", "model.feature_dim", "early_stopping.patience"}) {
    if (key == k) return true;
  }
  return false;
}

}  // namespace

TrainConfig apply_tune_config(const TrainConfig& base, const tune::Config& config) {
  std::vector<std::string> sets;
  for (const auto& [key, value] : config) {
    if (key.rfind("data.", 0) == 0) {
      throw ConfigError("study key " + key + ": data settings cannot vary between trials (they share one dataset); "
                        "set them in the base config");
    }
    std::string text;
    if (std::holds_alternative<double>(value)) {
      double d = std::get<double>(value);
      if (!std::isfinite(d)) throw ConfigError("study key " + key + ": the value must be a finite number");
      text = integral_key(key) ? std::to_string(std::llround(d)) : fmt::format("{:.17g}", d);
    } else {
      text = nlohmann::json(std::get<std::string>(value)).dump();  // quoted and escaped
    }
    sets.push_back(key + "=" + text);
  }
  return parse_train_config(train_config_json(base), base.source + " (study)", sets);
}

}  // namespace powertrain
