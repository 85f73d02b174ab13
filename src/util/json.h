// Private helpers for JSON values, shared by the modules: unknown numbers are null, never
// 0, NaN or inf; readers that never throw on a missing or mistyped key.
//
// Example:
//   nlohmann::json j = {{"energy_j", util::num(NAN)}};    // {"energy_j": null}
//   double e = util::number_at(j, "energy_j");            // NaN
//   std::string s = util::text_at(j, "name", "(none)");   // "(none)"
#pragma once

#include <nlohmann/json.hpp>

#include <cmath>
#include <string>

namespace powertrain::util {

// Returns `v` as JSON, or null when it is NaN or infinite (unknown is never 0).
inline nlohmann::json num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

// Returns `j` as a double, or `missing` when it is null or not a number.
inline double number_or(const nlohmann::json& j, double missing = NAN) {
  return j.is_number() ? j.get<double>() : missing;
}

// Returns j[key] as a double, or `missing` when j is not an object, the key is absent, null
// or not a number.
inline double number_at(const nlohmann::json& j, const char* key, double missing = NAN) {
  if (!j.is_object()) return missing;
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : missing;
}

// Returns j[key] as a string, or `missing` when j is not an object or the key is absent or not a string.
inline std::string text_at(const nlohmann::json& j, const char* key, const std::string& missing = "") {
  if (!j.is_object()) return missing;
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : missing;
}

// Returns j[key] as a bool, or `missing` when j is not an object or the key is absent or not a bool.
inline bool flag_at(const nlohmann::json& j, const char* key, bool missing = false) {
  if (!j.is_object()) return missing;
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() ? it->get<bool>() : missing;
}

// Returns j[key], or a null value when j is not an object or the key is absent.
inline const nlohmann::json& value_at(const nlohmann::json& j, const char* key) {
  static const nlohmann::json null_value;
  if (!j.is_object()) return null_value;
  auto it = j.find(key);
  return it != j.end() ? *it : null_value;
}

// Returns `text` parsed, or `fallback` when it is not valid JSON (never throws).
inline nlohmann::json parse_or(const std::string& text, nlohmann::json fallback = nlohmann::json::object()) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  return j.is_discarded() ? fallback : j;
}

}  // namespace powertrain::util
