// A snapshot in Prometheus' text exposition format (0.0.4).
#include "powertrain/interop/prometheus.h"

#include <fmt/format.h>

#include <cmath>

namespace powertrain {

namespace {

// HELP text escapes only backslash and line feed.
std::string escape_help(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void family(std::string& out, const char* name, const char* type, const std::string& help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape_help(help), name, type);
}

std::string component_labels(const PrometheusComponent& c) {
  return fmt::format("component=\"{}\",kind=\"{}\",provenance=\"{}\"", prometheus_escape_label(c.component),
                     prometheus_escape_label(c.kind), prometheus_escape_label(c.provenance));
}

}  // namespace

std::string prometheus_escape_label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string prometheus_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

PrometheusSnapshot prometheus_snapshot_from(const Measurement& m, int64_t run_id, const std::string& run_name) {
  PrometheusSnapshot s;
  s.run_id = run_id;
  s.run_name = run_name;
  for (const auto& c : m.components) {
    s.components.push_back({c.component, component_kind_name(c.kind), c.avg_power_w, c.energy_j, provenance_name(c.provenance)});
  }
  return s;
}

std::string prometheus_text(const PrometheusSnapshot& s) {
  std::string out;
  bool any_power = false, any_energy = false;
  for (const auto& c : s.components) {
    any_power |= !std::isnan(c.power_w);
    any_energy |= !std::isnan(c.energy_j);
  }
  if (any_power) {
    family(out, "powertrain_power_watts", "gauge",
           "Power of a component in W (latest reading or mean since the run started; provenance says how it was obtained).");
    for (const auto& c : s.components) {
      if (std::isnan(c.power_w)) continue;  // unknown: left out, never 0
      out += fmt::format("powertrain_power_watts{{{}}} {}\n", component_labels(c), prometheus_value(c.power_w));
    }
  }
  if (any_energy) {
    family(out, "powertrain_energy_joules_total", "counter", "Energy of a component in J since the current run started.");
    for (const auto& c : s.components) {
      if (std::isnan(c.energy_j)) continue;
      out += fmt::format("powertrain_energy_joules_total{{{}}} {}\n", component_labels(c), prometheus_value(c.energy_j));
    }
  }
  if (s.run_id > 0) {
    std::string run = fmt::format("run_id=\"{}\"", s.run_id);
    family(out, "powertrain_run_info", "gauge", "The current run: always 1, its id, name and kind are labels.");
    out += fmt::format("powertrain_run_info{{{},name=\"{}\",kind=\"{}\"}} 1\n", run, prometheus_escape_label(s.run_name),
                       prometheus_escape_label(s.run_kind));
    family(out, "powertrain_run_id", "gauge", "Id of the current run in the run store.");
    out += fmt::format("powertrain_run_id {}\n", s.run_id);
    family(out, "powertrain_run_epoch", "gauge", "Current epoch of the run (1-based; 0 before the first epoch or for a measure run).");
    out += fmt::format("powertrain_run_epoch{{{}}} {}\n", run, s.epoch);
  }
  return out;
}

}  // namespace powertrain
