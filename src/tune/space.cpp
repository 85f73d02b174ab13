// space.cpp: search-space parameters, seeded sampling, grid enumeration and config keys.
#include "powertrain/tune/space.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace powertrain {
namespace tune {
namespace {

[[noreturn]] void invalid(const std::string& what) { throw std::invalid_argument("search space: " + what); }

std::string num(double x) { return value_text(Value(x)); }

// `points` values from low to high, evenly (or log-evenly) spaced, both bounds included.
std::vector<double> spaced(double low, double high, int points, bool log_scale) {
  std::vector<double> out;
  if (points == 1 || low == high) {
    out.push_back(log_scale ? std::sqrt(low * high) : (low + high) / 2.0);
    if (low == high) out.back() = low;
    return out;
  }
  const double a = log_scale ? std::log(low) : low;
  const double b = log_scale ? std::log(high) : high;
  for (int i = 0; i < points; ++i) {
    double x = a + (b - a) * i / (points - 1);
    if (log_scale) x = std::exp(x);
    if (i == 0) x = low;             // exact bounds, no rounding from exp(log(.))
    if (i == points - 1) x = high;
    out.push_back(x);
  }
  return out;
}

std::vector<Value> param_grid(const Param& p, int points) {
  std::vector<Value> out;
  switch (p.kind) {
    case ParamKind::categorical:
      return p.choices;
    case ParamKind::integer:
      for (long v = static_cast<long>(p.low); v <= static_cast<long>(p.high); ++v)
        out.emplace_back(static_cast<double>(v));
      return out;
    case ParamKind::real:
    case ParamKind::log_real:
      for (double x : spaced(p.low, p.high, points, p.kind == ParamKind::log_real)) out.emplace_back(x);
      return out;
  }
  return out;
}

std::size_t param_grid_size(const Param& p, int points) {
  switch (p.kind) {
    case ParamKind::categorical: return p.choices.size();
    case ParamKind::integer: return static_cast<std::size_t>(p.high - p.low) + 1;
    default: return p.low == p.high ? 1 : static_cast<std::size_t>(points);
  }
}

}  // namespace

std::string config_text(const Config& config, const std::string& separator) {
  std::string out;
  for (const auto& [k, v] : config) out += (out.empty() ? "" : separator) + k + "=" + value_text(v);
  return out;
}

std::string value_text(const Value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  const double x = std::get<double>(v);
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  char buf[64];
  for (int precision = 15; precision <= 17; ++precision) {  // shortest text that reads back exactly
    std::snprintf(buf, sizeof buf, "%.*g", precision, x);
    if (std::strtod(buf, nullptr) == x) break;
  }
  return buf;
}

double value_number(const Value& v) {
  if (const auto* d = std::get_if<double>(&v)) return *d;
  throw std::invalid_argument("value '" + std::get<std::string>(v) +
                              "' is a string where a number was expected (use a numeric parameter)");
}

std::string config_key(const Config& config) {
  std::string out;
  for (const auto& [name, value] : config) {  // std::map: already sorted by name
    if (!out.empty()) out += ';';
    out += name + "=" + value_text(value);
  }
  return out;
}

SearchSpace& SearchSpace::add(Param p) {
  if (p.name.empty()) invalid("a parameter needs a non-empty name");
  if (p.name.find_first_of("=;") != std::string::npos)
    invalid("parameter name '" + p.name + "' may not contain '=' or ';' (they separate config keys)");
  for (const auto& q : params_)
    if (q.name == p.name) invalid("parameter '" + p.name + "' is added twice (use distinct names)");
  params_.push_back(std::move(p));
  return *this;
}

SearchSpace& SearchSpace::add_float(const std::string& name, double low, double high) {
  if (!std::isfinite(low) || !std::isfinite(high) || low > high)
    invalid("float '" + name + "' needs finite bounds with low <= high (got " + num(low) + ", " + num(high) + ")");
  return add({name, ParamKind::real, low, high, {}});
}

SearchSpace& SearchSpace::add_log_float(const std::string& name, double low, double high) {
  if (!std::isfinite(low) || !std::isfinite(high) || low <= 0 || low > high)
    invalid("log_float '" + name + "' needs finite bounds with 0 < low <= high (got " + num(low) + ", " +
            num(high) + ")");
  return add({name, ParamKind::log_real, low, high, {}});
}

SearchSpace& SearchSpace::add_int(const std::string& name, long low, long high) {
  if (low > high)
    invalid("int '" + name + "' needs low <= high (got " + std::to_string(low) + ", " + std::to_string(high) + ")");
  return add({name, ParamKind::integer, static_cast<double>(low), static_cast<double>(high), {}});
}

SearchSpace& SearchSpace::add_categorical(const std::string& name, const std::vector<Value>& choices) {
  if (choices.empty()) invalid("categorical '" + name + "' needs at least one choice");
  for (std::size_t i = 0; i < choices.size(); ++i)
    for (std::size_t j = i + 1; j < choices.size(); ++j)
      if (choices[i] == choices[j])
        invalid("categorical '" + name + "' lists '" + value_text(choices[i]) + "' twice (remove the duplicate)");
  return add({name, ParamKind::categorical, 0.0, 0.0, choices});
}

const Param& SearchSpace::param(const std::string& name) const {
  for (const auto& p : params_)
    if (p.name == name) return p;
  throw std::out_of_range("search space: no parameter named '" + name + "'");
}

Config SearchSpace::sample(std::mt19937_64& rng) const {
  Config c;
  for (const auto& p : params_) {
    switch (p.kind) {
      case ParamKind::real:
        c[p.name] = std::uniform_real_distribution<double>(p.low, p.high)(rng);
        break;
      case ParamKind::log_real:
        c[p.name] = std::exp(std::uniform_real_distribution<double>(std::log(p.low), std::log(p.high))(rng));
        break;
      case ParamKind::integer:
        c[p.name] = static_cast<double>(
            std::uniform_int_distribution<long>(static_cast<long>(p.low), static_cast<long>(p.high))(rng));
        break;
      case ParamKind::categorical:
        c[p.name] = p.choices[std::uniform_int_distribution<std::size_t>(0, p.choices.size() - 1)(rng)];
        break;
    }
  }
  return c;
}

std::size_t SearchSpace::grid_size(int points) const {
  if (params_.empty()) return 0;
  std::size_t n = 1;
  for (const auto& p : params_) {
    const std::size_t k = param_grid_size(p, points);
    if (k != 0 && n > std::numeric_limits<std::size_t>::max() / k) return std::numeric_limits<std::size_t>::max();
    n *= k;
  }
  return n;
}

std::vector<Config> SearchSpace::grid(int points, std::size_t max_size) const {
  if (points < 1) invalid("grid points must be >= 1 (got " + std::to_string(points) + ")");
  const std::size_t n = grid_size(points);
  if (n > max_size)
    invalid("the grid has " + std::to_string(n) + " configurations, more than the limit " +
            std::to_string(max_size) + " (use fewer points or random search)");
  std::vector<Config> out;
  if (params_.empty()) return out;
  std::vector<std::vector<Value>> axes;
  for (const auto& p : params_) axes.push_back(param_grid(p, points));
  std::vector<std::size_t> index(axes.size(), 0);
  for (std::size_t count = 0; count < n; ++count) {
    Config c;
    for (std::size_t i = 0; i < axes.size(); ++i) c[params_[i].name] = axes[i][index[i]];
    out.push_back(std::move(c));
    for (std::size_t i = axes.size(); i-- > 0;) {  // odometer: last parameter varies fastest
      if (++index[i] < axes[i].size()) break;
      index[i] = 0;
    }
  }
  return out;
}

bool SearchSpace::finite() const {
  for (const auto& p : params_)
    if (p.kind == ParamKind::real || p.kind == ParamKind::log_real) return false;
  return true;
}

void SearchSpace::validate(const Config& config) const {
  for (const auto& p : params_) {
    auto it = config.find(p.name);
    if (it == config.end()) invalid("config '" + config_key(config) + "' lacks parameter '" + p.name + "'");
    const Value& v = it->second;
    if (p.kind == ParamKind::categorical) {
      bool found = false;
      for (const auto& ch : p.choices) found = found || ch == v;
      if (!found) invalid("'" + value_text(v) + "' is not a choice of categorical '" + p.name + "'");
      continue;
    }
    if (!std::holds_alternative<double>(v)) invalid("parameter '" + p.name + "' needs a number, got '" + value_text(v) + "'");
    const double x = std::get<double>(v);
    if (!(x >= p.low && x <= p.high))
      invalid("parameter '" + p.name + "' = " + num(x) + " is outside [" + num(p.low) + ", " + num(p.high) + "]");
    if (p.kind == ParamKind::integer && x != std::floor(x))
      invalid("int parameter '" + p.name + "' = " + num(x) + " is not a whole number");
  }
  for (const auto& [name, value] : config) {
    bool known = false;
    for (const auto& p : params_) known = known || p.name == name;
    if (!known) invalid("config has unknown parameter '" + name + "' (not in the search space)");
  }
}

}  // namespace tune
}  // namespace powertrain
