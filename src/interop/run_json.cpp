// A stored run gathered from the store (RunExport) and written as "powertrain.run/1" JSON.
#include "powertrain/interop/run_json.h"

#include "util/json.h"

#include <cmath>
#include <map>

namespace powertrain {

namespace {

using util::num;



}  // namespace

nlohmann::json epoch_json(const EpochRecord& e) {
  return {{"epoch", e.epoch},
          {"train_loss", num(e.train_loss)},
          {"val_loss", num(e.val_loss)},
          {"val_metric", num(e.val_metric)},
          {"lr", num(e.lr)},
          {"duration_s", num(e.duration_s)},
          {"energy_j", num(e.energy_j)},
          {"energy_uncertainty_j", num(e.energy_uncertainty_j)},
          {"energy_provenance", provenance_name(e.energy_provenance)},
          {"avg_power_w", num(e.avg_power_w)},
          {"samples_per_s", num(e.samples_per_s)},
          {"loss_scale", num(e.loss_scale)},
          {"skipped_steps", e.skipped_steps},
          {"metrics", epoch_metrics_to_json(e.diverged, e.metrics)}};
}

nlohmann::json component_json(const ComponentMeasurement& c) {
  return {{"component", c.component},
          {"kind", component_kind_name(c.kind)},
          {"source", c.source},
          {"energy_j", num(c.energy_j)},
          {"uncertainty_j", num(c.uncertainty_j)},
          {"avg_power_w", num(c.avg_power_w)},
          {"peak_power_w", num(c.peak_power_w)},
          {"idle_power_w", num(c.idle_power_w)},
          {"static_energy_j", num(c.static_energy_j)},
          {"dynamic_energy_j", num(c.dynamic_energy_j)},
          {"samples", c.samples},
          {"provenance", provenance_name(c.provenance)},
          {"note", c.note}};
}

nlohmann::json measurement_json(const Measurement& m) {
  nlohmann::json comps = nlohmann::json::array();
  for (const auto& c : m.components) comps.push_back(component_json(c));
  return {{"name", m.name},
          {"start_unix_s", num(m.start_unix_s)},
          {"duration_s", num(m.duration_s)},
          {"energy_j", num(m.total_energy_j())},
          {"uncertainty_j", num(m.total_uncertainty_j())},
          {"avg_power_w", num(m.avg_power_w())},
          {"provenance", provenance_name(m.total_provenance())},
          {"components", comps}};
}

nlohmann::json sensor_json(const SensorInfo& s) {
  return {{"component", s.component}, {"source", s.source}, {"description", s.description},
          {"working", s.working}, {"detail", s.detail}};
}

nlohmann::json carbon_json(const CarbonEstimate& c, const GridIntensity& grid) {
  return {{"grid", grid.code},
          {"grid_name", grid.name},
          {"g_per_kwh", grid.g_per_kwh},
          {"grid_source", grid.source},
          {"grid_year", grid.year},
          {"pue", c.pue},
          {"facility_energy_kwh", num(c.facility_energy_kwh)},
          {"co2e_g", num(c.co2e_g)},
          {"car_km", num(c.car_km)},
          {"smartphone_charges", num(c.smartphone_charges)},
          {"equivalent_sources", Equivalents::sources()}};
}

nlohmann::json devices_json(const std::vector<SensorInfo>& sensors, const std::vector<std::string>& warnings) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& s : sensors) {
    nlohmann::json j = sensor_json(s);
    j["used_by_measure"] = s.used;
    arr.push_back(j);
  }
  return {{"schema", "powertrain.devices/1"}, {"sensors", arr}, {"warnings", warnings}};
}

nlohmann::json grids_json(const CarbonTable& table) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& g : table.entries()) {
    arr.push_back({{"code", g.code}, {"name", g.name}, {"g_per_kwh", g.g_per_kwh}, {"source", g.source}, {"year", g.year}});
  }
  return arr;
}

nlohmann::json command_result_json(const CommandOptions& o, const CommandResult& r, const std::string& db) {
  nlohmann::json sensors = nlohmann::json::array();
  for (const auto& s : r.sensors) sensors.push_back(sensor_json(s));
  nlohmann::json idle = nullptr;
  if (r.idle) idle = {{"duration_s", r.idle->duration_s}, {"power_w", r.idle->power_w}};
  nlohmann::json windows = nlohmann::json::array(), epochs = nlohmann::json::array(), events = nullptr;
  for (const auto& w : r.windows) windows.push_back(measurement_json(w));
  for (const auto& e : r.epochs) epochs.push_back(epoch_json(e));
  if (r.events) events = child_events_to_json(*r.events);
  return {{"schema", "powertrain.measure/1"},
          {"run_id", r.run_id > 0 ? nlohmann::json(r.run_id) : nlohmann::json(nullptr)},
          {"db", db.empty() ? nlohmann::json(nullptr) : nlohmann::json(db)},
          {"command", o.argv},
          {"status", run_status_name(r.status)},
          {"exit_code", r.exit_code},
          {"measurement", measurement_json(r.measurement)},
          {"carbon", carbon_json(r.carbon, o.grid)},
          {"idle_baseline", idle},
          {"windows", windows},
          {"epochs", epochs},
          {"events", events},
          {"sensors", sensors},
          {"warnings", r.warnings}};
}

std::optional<RunExport> run_export_load(const Store& store, int64_t run_id) {
  return store.load_run(run_id);
}

std::vector<RunComponentTotal> run_component_totals(const RunExport& run) {
  std::vector<RunComponentTotal> out;
  std::map<std::string, size_t> index;
  for (const auto& w : run.windows) {
    if (w.parent_id >= 0) continue;  // nested windows are already inside their parent
    for (const auto& c : w.components) {
      auto it = index.find(c.component);
      if (it == index.end()) {
        RunComponentTotal t;
        t.component = c.component;
        t.kind = c.kind;
        t.provenance = c.provenance;
        index[c.component] = out.size();
        out.push_back(t);
        it = index.find(c.component);
      }
      RunComponentTotal& t = out[it->second];
      if (std::isfinite(c.energy_j)) t.energy_j = std::isfinite(t.energy_j) ? t.energy_j + c.energy_j : c.energy_j;
      if (std::isfinite(w.duration_s)) t.duration_s = std::isfinite(t.duration_s) ? t.duration_s + w.duration_s : w.duration_s;
      t.provenance = provenance_weakest(t.provenance, c.provenance);
      if (t.note.empty()) t.note = c.note;
    }
  }
  return out;
}

nlohmann::json run_json(const RunExport& r) {
  const RunRecord& run = r.run;
  nlohmann::json host = nullptr;
  if (r.host) {
    host = {{"hostname", r.host->hostname}, {"os", r.host->os},
            {"kernel", r.host->kernel},     {"cpu_model", r.host->cpu_model},
            {"cpu_cores", r.host->cpu_cores}, {"memory_gib", num(r.host->memory_gib)}};
  }
  nlohmann::json devices = nlohmann::json::array();
  for (const auto& d : r.devices) devices.push_back(sensor_json(d));
  nlohmann::json windows = nlohmann::json::array();
  for (const auto& w : r.windows) {
    nlohmann::json j = measurement_json(w);  // a stored window: its row ids and start on the run's clock too
    j["id"] = w.id;
    j["parent_id"] = w.parent_id >= 0 ? nlohmann::json(w.parent_id) : nlohmann::json(nullptr);
    j["start_s"] = num(w.start_s);
    windows.push_back(j);
  }
  nlohmann::json epochs = nlohmann::json::array();
  for (const auto& e : r.epochs) epochs.push_back(epoch_json(e));
  return {{"schema", "powertrain.run/1"},
          {"run",
           {{"id", run.id},
            {"kind", run.kind},
            {"name", run.name},
            {"command", run.command},
            {"started_at_unix_s", num(run.started_at_unix_s)},
            {"duration_s", num(run.duration_s)},
            {"status", run_status_name(run.status)},
            {"exit_code", run.exit_code ? nlohmann::json(*run.exit_code) : nlohmann::json(nullptr)},
            {"energy_j", num(run.energy_j)},
            {"energy_uncertainty_j", num(run.energy_uncertainty_j)},
            {"energy_provenance", provenance_name(run.energy_provenance)},
            {"grid", run.grid},
            {"carbon_intensity_g_per_kwh", num(run.carbon_intensity_g_per_kwh)},
            {"pue", num(run.pue)},
            {"co2e_g", num(run.co2e_g)},
            {"meta", run_details_to_json(run.details)}}},
          {"host", host},
          {"devices", devices},
          {"windows", windows},
          {"epochs", epochs}};
}

}  // namespace powertrain
