// One measurement as a terminal table and as CSV.
#include "powertrain/report/measurement.h"

#include <fmt/format.h>

#include <cmath>

#include "powertrain/measure/events.h"
#include "powertrain/report/document.h"
#include "powertrain/report/format.h"

namespace powertrain {
namespace report {

std::string measurement_table(const Measurement& m) {
  std::string out = fmt::format("  {:<16} {:>12} {:>10} {:>10}  {}\n", "component", "energy", "avg power", "peak power", "provenance");
  for (const auto& c : m.components) {
    std::string prov = provenance_name(c.provenance);
    if (std::isfinite(c.uncertainty_j)) prov += " (+-" + format_energy_j(c.uncertainty_j) + ")";
    out += fmt::format("  {:<16} {:>12} {:>10} {:>10}  {}\n", c.component, format_energy_j(c.energy_j), format_power_w(c.avg_power_w),
                       format_power_w(c.peak_power_w), prov);
    if (std::isfinite(c.idle_power_w)) {
      out += fmt::format("  {:<16} {:>12} static (idle {}), {} dynamic\n", "", format_energy_j(c.static_energy_j),
                         format_power_w(c.idle_power_w), format_energy_j(c.dynamic_energy_j));
    }
  }
  std::string total_prov = provenance_name(m.total_provenance());
  if (m.components.size() > 1) total_prov += " (weakest of the components)";
  out += fmt::format("  {:<16} {:>12} {:>10} {:>10}  {}\n", "total", format_energy_j(m.total_energy_j()), format_power_w(m.avg_power_w()),
                     "", total_prov);
  return out;
}

std::string measurement_csv(const Measurement& m, int64_t run_id, int exit_code) {
  auto number = [](double v) { return std::isfinite(v) ? fmt::format("{:.6g}", v) : std::string(); };
  Table t;
  t.columns = {"run_id", "window",       "component",   "kind",         "source",     "duration_s",
               "energy_j", "uncertainty_j", "avg_power_w", "peak_power_w", "provenance", "exit_code"};
  const std::string run = run_id > 0 ? std::to_string(run_id) : "";
  for (const auto& c : m.components) {
    t.rows.push_back({run, m.name, c.component, component_kind_name(c.kind), c.source, number(m.duration_s), number(c.energy_j),
                      number(c.uncertainty_j), number(c.avg_power_w), number(c.peak_power_w), provenance_name(c.provenance),
                      std::to_string(exit_code)});
  }
  t.rows.push_back({run, m.name, "total", "total", "", number(m.duration_s), number(m.total_energy_j()), number(m.total_uncertainty_j()),
                    number(m.avg_power_w()), "", provenance_name(m.total_provenance()), std::to_string(exit_code)});
  return csv(t);
}

std::string command_summary_text(const CommandOptions& o, const CommandResult& r, const std::string& db) {
  const GridIntensity& grid = o.grid;
  const Measurement& m = r.measurement;
  std::string out = fmt::format("\npowertrain: measured `{}`: {} after {}\n", shell_quote(o.argv),
                                run_status_name(r.status) + (r.signal ? fmt::format(" (signal {})", r.signal)
                                                                      : fmt::format(" (exit code {})", r.exit_code)),
                                format_duration_s(m.duration_s));
  out += measurement_table(m);
  if (std::isfinite(r.carbon.co2e_g)) {
    out += fmt::format("  {:<16} {} CO2e = {} by car, {:.2g} smartphone charges\n", "carbon", format_si(r.carbon.co2e_g, "g"),
                       format_si(r.carbon.car_km * 1000, "m"), r.carbon.smartphone_charges);
    out += fmt::format("  {:<16} grid {} {:.0f} g/kWh ({}{}), PUE {:.2f}\n", "", grid.code, grid.g_per_kwh, grid.source,
                       grid.year ? ", " + std::to_string(grid.year) : "", o.pue);
  } else {
    out += fmt::format("  {:<16} unknown (no energy could be measured)\n", "carbon");
  }
  for (const auto& c : m.components) {
    if (c.provenance == Provenance::estimated || c.provenance == Provenance::missing) {
      out += fmt::format("  note: {}: {}\n", c.component, c.note);
    }
  }
  if (r.events) {
    out += fmt::format("  {:<16} {}\n", "events", describe_events(*r.events));
    for (const auto& e : r.epochs) {
      out += fmt::format("  {:<16} {} in {}{}{}\n", fmt::format("epoch {}", e.epoch), format_energy_j(e.energy_j), format_duration_s(e.duration_s),
                         std::isfinite(e.train_loss) ? fmt::format(", loss {:.4g}", e.train_loss) : "",
                         std::isfinite(e.val_metric) ? fmt::format(", accuracy {:.4g}", e.val_metric) : "");
    }
  }
  if (r.run_id > 0) out += fmt::format("  stored as run {} in {}\n", r.run_id, db);
  return out;
}

std::string sensor_table(const std::vector<SensorInfo>& sensors, const std::vector<std::string>& warnings) {
  std::string out = fmt::format("{:<9} {:<15} {:<12} {}\n", "source", "component", "status", "details");
  bool any_used = false;
  for (const auto& s : sensors) {
    any_used = any_used || s.used;
    const std::string status = !s.working ? "unavailable" : (s.used ? "used" : "working");
    const std::string what = s.description.empty() ? s.detail : s.description + ": " + s.detail;
    out += fmt::format("{:<9} {:<15} {:<12} {}\n", s.source, s.component.empty() ? "-" : s.component, status, what);
  }
  for (const auto& w : warnings) out += "\nnote: " + w + "\n";
  if (!any_used) out += "\nno sensor works: 'powertrain measure' would report energy as unknown\n";
  return out;
}

std::string grid_table(const CarbonTable& table) {
  std::string out = fmt::format("{:<6} {:<20} {:>9}  {}\n", "code", "name", "g/kWh", "source (year)");
  for (const auto& g : table.entries()) {
    out += fmt::format("{:<6} {:<20} {:>9.0f}  {} ({})\n", g.code, g.name, g.g_per_kwh, g.source, g.year);
  }
  return out + "\nCO2e = energy x PUE x intensity. Everyday equivalents: " + Equivalents::sources() + "\n";
}

}  // namespace report
}  // namespace powertrain
