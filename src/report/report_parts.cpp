// What the reports share: the Builder, number and date texts, provenance as an Origin, and
// the JSON readers of the run and search reports.
#include "report/report_parts.h"

#include <cmath>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

namespace powertrain {
namespace report {


std::string Report::text() const {
  std::string out = document.title() + "\n\n";
  if (!facts.empty()) {
    size_t width = 0;
    for (const auto& [key, value] : facts) width = std::max(width, display_width(key));
    for (const auto& [key, value] : facts) out += key + ":" + std::string(width - display_width(key) + 1, ' ') + value + "\n";
    out += "\n";
  }
  for (const auto& t : tables) out += text_table(t) + "\n";
  for (const auto& f : findings) out += f + "\n";
  return out;
}

namespace parts {

double jnum(const json& j, const std::string& key) {
  if (!j.is_object()) return NAN;
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : NAN;
}

std::string jstr(const json& j, const std::string& key, const std::string& missing) {
  if (!j.is_object()) return missing;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return missing;
  return it->is_string() ? it->get<std::string>() : it->dump();
}

const json& jget(const json& j, const std::string& key) {
  static const json null_value;
  if (!j.is_object()) return null_value;
  auto it = j.find(key);
  return it == j.end() ? null_value : *it;
}

std::string cell(const std::string& key, const json& v, Origin origin) {
  if (v.is_null()) return "n/a";
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_string()) return v.get<std::string>();
  if (!v.is_number()) {
    std::string s = v.dump();
    return s.size() > 60 ? s.substr(0, 57) + "..." : s;
  }
  double d = v.get<double>();
  auto ends = [&](const char* suffix) {
    size_t n = std::strlen(suffix);
    return key.size() >= n && key.compare(key.size() - n, n, suffix) == 0;
  };
  if (ends("_kj")) return with_origin(format_energy_j(1000.0 * d), origin);
  if (ends("_j")) return with_origin(format_energy_j(d), origin);
  if (ends("_w")) return format_power_w(d);
  if (ends("_s")) return format_duration_s(d);
  if (ends("_fraction")) return format_percent(100.0 * d);
  if (key.find("percent") != std::string::npos) return format_percent(d);
  if (key.find("accuracy") != std::string::npos) return format_number(d, 4);
  if (v.is_number_integer() || v.is_number_unsigned()) return fmt::format("{}", v.get<long long>());
  return format_number(d, 4);
}

std::string short_number(double v) {
  std::string s = format_number(v, 3);
  if (s.find('.') == std::string::npos || s.find('e') != std::string::npos) return s;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

std::string date_text(double unix_s) {
  if (!std::isfinite(unix_s)) return "n/a";
  std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  if (!gmtime_r(&t, &tm)) return "n/a";
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::string provenance_text(Provenance p) {
  const Origin o = origin_of(p);
  const std::string name = provenance_name(p);
  if (o == Origin::missing) return "missing";
  return name == origin_name(o) ? name : std::string(origin_name(o)) + " (" + name + ")";
}


EnergyScale energy_scale(double max_j) {
  if (max_j >= 1e7) return {1e6, "MJ"};
  if (max_j >= 1e4) return {1e3, "kJ"};
  return {1.0, "J"};
}

Builder::Builder(std::string title) { r_.document = Document(std::move(title)); }

void Builder::table(const Table& t, bool main) {
  r_.document.table(t);
  if (main) r_.tables.insert(r_.tables.begin(), t);
  else r_.tables.push_back(t);
}

void Builder::facts(std::vector<std::pair<std::string, std::string>> items) {
  r_.facts.insert(r_.facts.end(), items.begin(), items.end());
  r_.document.facts(std::move(items));
}

void Builder::findings(const std::vector<std::string>& lines) {
  if (lines.empty()) return;
  r_.document.heading("Findings");
  for (const auto& s : lines) {
    r_.document.paragraph(s);
    r_.findings.push_back(s);
  }
}

Report Builder::take(json data) {
  r_.data = std::move(data);
  return std::move(r_);
}

}  // namespace parts
}  // namespace report
}  // namespace powertrain
