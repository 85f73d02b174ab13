// Private to the study results' codecs: readers that never throw (a missing or mistyped
// key gives NaN, 0, "" or an empty list) and writers that turn NaN into null.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "powertrain/study/record.h"
#include "util/json.h"

namespace powertrain::study_codec {

using json = nlohmann::json;
using util::flag_at;
using util::num;
using util::number_at;
using util::text_at;
using util::value_at;

// Returns j[key] as an integer (a number is rounded), 0 when absent, null or not a number.
inline int64_t integer_at(const json& j, const char* key) {
  double v = number_at(j, key);
  return std::isfinite(v) ? static_cast<int64_t>(std::llround(v)) : 0;
}

// Returns an id as JSON: null for 0 (none).
inline json id(int64_t v) { return v > 0 ? json(v) : json(nullptr); }

// Returns the provenance named by j[key] (missing when absent or unknown).
inline Provenance provenance_at(const json& j, const char* key) { return provenance_from_name(text_at(j, key)); }

// A Stat is two keys: `key` (the mean) and `key`_std.
inline void put_stat(json& j, const std::string& key, const Stat& s) {
  j[key] = num(s.mean);
  j[key + "_std"] = num(s.std);
}
inline Stat stat_at(const json& j, const std::string& key) {
  return Stat{number_at(j, key.c_str()), number_at(j, (key + "_std").c_str())};
}

// Lists of numbers (NaN <-> null), integers, texts and ids (0 <-> null).
inline json numbers(const std::vector<double>& v) {
  json a = json::array();
  for (double x : v) a.push_back(num(x));
  return a;
}
inline json ids(const std::vector<int64_t>& v) {
  json a = json::array();
  for (int64_t x : v) a.push_back(id(x));
  return a;
}
inline std::vector<double> numbers_at(const json& j, const char* key) {
  std::vector<double> out;
  const json& a = value_at(j, key);
  if (a.is_array()) for (const auto& x : a) out.push_back(util::number_or(x));
  return out;
}
inline std::vector<int64_t> integers_at(const json& j, const char* key) {
  std::vector<int64_t> out;
  const json& a = value_at(j, key);
  if (!a.is_array()) return out;
  for (const auto& x : a) {
    double v = util::number_or(x);
    out.push_back(std::isfinite(v) ? static_cast<int64_t>(std::llround(v)) : 0);
  }
  return out;
}
inline std::vector<std::string> texts_at(const json& j, const char* key) {
  std::vector<std::string> out;
  const json& a = value_at(j, key);
  if (a.is_array()) for (const auto& x : a) if (x.is_string()) out.push_back(x.get<std::string>());
  return out;
}

// A list of records, each through its own codec; a missing or non-array key is empty.
template <class T>
json list(const std::vector<T>& v) {
  json a = json::array();
  for (const auto& x : v) {
    json e;
    to_json(e, x);
    a.push_back(std::move(e));
  }
  return a;
}
template <class T>
std::vector<T> list_at(const json& j, const char* key) {
  std::vector<T> out;
  const json& a = value_at(j, key);
  if (!a.is_array()) return out;
  for (const auto& x : a) {
    T t;
    from_json(x, t);
    out.push_back(std::move(t));
  }
  return out;
}

// Returns j[key] when it is an object, else an empty object (so nested reads find nothing).
inline const json& object_at(const json& j, const char* key) {
  static const json empty = json::object();
  const json& v = value_at(j, key);
  return v.is_object() ? v : empty;
}

}  // namespace powertrain::study_codec
