// powertrain/tune/space.h: the search space of a hyperparameter search, and its configurations.
//
// A space is a list of named parameters, each one of: float (uniform in [low, high]),
// log_float (log-uniform in [low, high], low > 0), int (uniform over low..high inclusive)
// or categorical (a list of strings or numbers). A configuration maps each parameter name
// to a Value (a double or a string). Sampling is seeded (std::mt19937_64), grid
// enumeration is deterministic, and config_key() gives a stable text for dedup/storage.
//
// Example:
//   powertrain::tune::SearchSpace space;
//   space.add_log_float("lr", 1e-4, 1e-1);
//   space.add_int("layers", 1, 4);
//   space.add_categorical("optimizer", {std::string("sgd"), std::string("adam")});
//   std::mt19937_64 rng(42);
//   powertrain::tune::Config c = space.sample(rng);
//   std::string key = powertrain::tune::config_key(c);  // "layers=2;lr=0.00123;optimizer=adam"
#pragma once

#include <cstddef>
#include <map>
#include <random>
#include <string>
#include <variant>
#include <vector>

namespace powertrain {
namespace tune {

// One parameter value: a number (floats, ints, numeric categories) or a string.
using Value = std::variant<double, std::string>;
// A configuration: parameter name -> value.
using Config = std::map<std::string, Value>;

enum class ParamKind { real, log_real, integer, categorical };

struct Param {
  std::string name;
  ParamKind kind = ParamKind::real;
  double low = 0.0;             // float, log_float, int: inclusive bounds
  double high = 0.0;
  std::vector<Value> choices;   // categorical only
};

class SearchSpace {
 public:
  // Each add_* throws std::invalid_argument naming the parameter when the bounds are
  // impossible (low > high, low <= 0 for log_float, no choices) or the name is taken.
  SearchSpace& add_float(const std::string& name, double low, double high);
  SearchSpace& add_log_float(const std::string& name, double low, double high);
  SearchSpace& add_int(const std::string& name, long low, long high);
  SearchSpace& add_categorical(const std::string& name, const std::vector<Value>& choices);

  const std::vector<Param>& params() const { return params_; }
  const Param& param(const std::string& name) const;  // throws std::out_of_range
  bool empty() const { return params_.empty(); }

  // Returns one configuration drawn independently per parameter.
  Config sample(std::mt19937_64& rng) const;
  // Returns every combination: categoricals and ints take all their values, floats
  // `points` evenly spaced values (log_float: evenly in log space), bounds included.
  // Order: the first parameter added varies slowest. Throws std::invalid_argument when
  // points < 1, or when the grid would exceed `max_size` configurations.
  std::vector<Config> grid(int points = 5, std::size_t max_size = 1000000) const;
  // Number of configurations in grid(points) (saturates at SIZE_MAX).
  std::size_t grid_size(int points = 5) const;
  // True when every parameter is categorical or int (the space is finite).
  bool finite() const;
  // Throws std::invalid_argument when `config` lacks a parameter, has an unknown one,
  // or holds a value outside its parameter's range.
  void validate(const Config& config) const;

 private:
  SearchSpace& add(Param p);
  std::vector<Param> params_;
};

// Returns the value as text: numbers with 17 significant digits trimmed ("0.1", "256"),
// strings as they are.
std::string value_text(const Value& v);
// Returns the number held by `v`; throws std::invalid_argument when it holds a string.
double value_number(const Value& v);
// Returns a stable text key: "name=value" pairs sorted by name, joined by ';'.
std::string config_key(const Config& config);
// Returns the configuration for people: "key=value" (value_text) joined by `separator`.
std::string config_text(const Config& config, const std::string& separator = " ");

}  // namespace tune
}  // namespace powertrain
