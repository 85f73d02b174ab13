// The report of one stored run: facts, energy per component, power over time and, for a
// training run, its epochs (docs/reports.md, "Run report").
#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "powertrain/interop/run_json.h"
#include "powertrain/measure/events.h"
#include "powertrain/report/chart.h"
#include "powertrain/report/reports.h"
#include "report/report_parts.h"
#include "util/json.h"

namespace powertrain {
namespace report {

using namespace parts;

namespace {

// Averages samples into at most `max_points` buckets of equal time, for a readable line.
void thin(std::vector<double>& x, std::vector<double>& y, size_t max_points) {
  if (x.size() <= max_points || x.empty()) return;
  double lo = x.front(), hi = x.back();
  if (!(hi > lo)) return;
  std::vector<double> sx(max_points, 0.0), sy(max_points, 0.0), n(max_points, 0.0);
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(y[i])) continue;
    size_t b = std::min(max_points - 1, static_cast<size_t>((x[i] - lo) / (hi - lo) * static_cast<double>(max_points)));
    sx[b] += x[i];
    sy[b] += y[i];
    n[b] += 1.0;
  }
  x.clear();
  y.clear();
  for (size_t b = 0; b < max_points; ++b) {
    if (n[b] > 0) {
      x.push_back(sx[b] / n[b]);
      y.push_back(sy[b] / n[b]);
    }
  }
}


}  // namespace

Report run_report(const Store& store, int64_t run_id) {
  std::optional<RunExport> ex = run_export_load(store, run_id);
  if (!ex) throw ReportError("no run with id " + std::to_string(run_id) + " in " + store.path());
  const RunRecord& run = ex->run;
  Origin origin = origin_of(run.energy_provenance);
  Builder b("Run " + std::to_string(run.id) + (run.name.empty() ? "" : ": " + run.name));

  std::vector<std::pair<std::string, std::string>> facts = {{"run", std::to_string(run.id)}, {"kind", run.kind},
                                                            {"status", run_status_name(run.status)}};
  if (run.exit_code) facts.push_back({"exit code", std::to_string(*run.exit_code)});
  if (!run.command.empty()) facts.push_back({"command", run.command});
  if (!run.details.config_json.empty()) {
    std::string cfg = util::parse_or(run.details.config_json, run.details.config_json).dump();
    facts.push_back({"config", cfg.size() > 400 ? cfg.substr(0, 397) + "..." : cfg});
  }
  if (!run.details.error.empty()) facts.push_back({"error", run.details.error});
  if (run.details.events) {
    // What the command reported through the event channel (docs/events.md).
    const ChildEvents& ev = *run.details.events;
    facts.push_back({"events", describe_events(ev)});
    std::string metrics;
    for (const auto& [k, v] : ev.run_metrics) metrics += (metrics.empty() ? "" : ", ") + k + " " + short_number(v);
    if (!metrics.empty()) facts.push_back({"run metrics", metrics});
  }
  std::string devices;
  for (const auto& d : ex->devices) {
    if (!d.working) continue;
    devices += (devices.empty() ? "" : "; ") + d.component + " " + d.description;
  }
  facts.push_back({"devices", devices.empty() ? "n/a" : devices});
  if (ex->host) {
    const HostInfo& h = *ex->host;
    facts.push_back({"host", h.hostname + (h.cpu_model.empty() ? "" : ", " + h.cpu_model) +
                                 (h.cpu_cores > 0 ? ", " + std::to_string(h.cpu_cores) + " CPUs" : "") +
                                 (h.os.empty() ? "" : ", " + h.os)});
  }
  facts.push_back({"date", date_text(run.started_at_unix_s)});
  facts.push_back({"duration", format_duration_s(run.duration_s)});
  std::string energy = with_origin(format_energy_j(run.energy_j), origin);
  if (std::isfinite(run.energy_j) && std::isfinite(run.energy_uncertainty_j) && run.energy_uncertainty_j > 0) {
    energy += " ± " + format_energy_j(run.energy_uncertainty_j);
  }
  facts.push_back({"total energy", energy + " (" + provenance_text(run.energy_provenance) + ")"});
  facts.push_back({"average power", with_origin(format_power_w(run.energy_j / run.duration_s), origin)});
  std::string co2 = std::isfinite(run.co2e_g) ? format_si(run.co2e_g, "g") + " CO2e" : "n/a";
  if (std::isfinite(run.co2e_g)) {
    co2 += fmt::format(" (grid {}, {} g/kWh, PUE {}; from the {} energy)", run.grid.empty() ? "?" : run.grid,
                       short_number(run.carbon_intensity_g_per_kwh), short_number(run.pue), origin_name(origin));
  }
  facts.push_back({"carbon", co2});
  b.doc().facts(facts);

  // Energy per component.
  std::vector<RunComponentTotal> totals = run_component_totals(*ex);
  std::map<std::string, Origin> component_origin;
  Table comp;
  comp.title = "Energy per component";
  comp.columns = {"component", "kind", "energy", "time", "average power", "provenance", "note"};
  comp.numeric = {false, false, true, true, true, false, false};
  for (const auto& c : totals) {
    Origin co = origin_of(c.provenance);
    component_origin[c.component] = co;
    comp.rows.push_back({c.component, component_kind_name(c.kind), with_origin(format_energy_j(c.energy_j), co),
                         format_duration_s(c.duration_s), with_origin(format_power_w(c.energy_j / c.duration_s), co),
                         provenance_name(c.provenance), c.note});
  }

  // Power over time per component.
  std::vector<PowerSample> samples = store.samples(run_id);
  LineChart power;
  power.title = "Power over time";
  power.x_label = "time since the meter started (s)";
  power.y_label = "power (W)";
  power.y_from_zero = true;
  std::map<std::string, size_t> series_of;
  for (const auto& s : samples) {
    auto it = series_of.find(s.component);
    if (it == series_of.end()) {
      it = series_of.emplace(s.component, power.series.size()).first;
      Series se;
      se.name = s.component;
      auto o = component_origin.find(s.component);
      se.origin = o == component_origin.end() ? Origin::measured : o->second;
      power.series.push_back(se);
    }
    power.series[it->second].x.push_back(s.t_s);
    power.series[it->second].y.push_back(s.power_w);
  }
  for (auto& s : power.series) thin(s.x, s.y, 600);
  size_t epoch_windows = 0;
  for (const auto& w : ex->windows) if (w.parent_id != -1 && w.name.rfind("epoch", 0) == 0) ++epoch_windows;
  if (epoch_windows <= 30) {
    for (const auto& w : ex->windows) {
      if (w.parent_id == -1 || w.name.rfind("epoch", 0) != 0 || !std::isfinite(w.start_s + w.duration_s)) continue;
      power.vlines.push_back({w.start_s + w.duration_s, "end of " + w.name});
    }
  }
  b.doc().heading("Power");
  b.doc().chart(svg(power), samples.empty() ? "No power samples were stored for this run."
                                            : "Power of each component over the run (averaged to at most 600 points per "
                                              "component); vertical lines mark the ends of epochs.");
  b.table(comp, ex->epochs.empty());

  if (!ex->epochs.empty()) {
    BarChart eb;
    eb.title = "Energy per epoch";
    eb.value_label = "energy (J)";
    LineChart metric, loss;
    metric.title = "Validation metric per epoch";
    metric.x_label = "epoch";
    metric.y_label = "validation metric";
    loss.title = "Loss per epoch";
    loss.x_label = "epoch";
    loss.y_label = "loss";
    Series vm{"validation metric", {}, {}, Origin::measured}, tl{"training loss", {}, {}, Origin::measured},
        vl{"validation loss", {}, {}, Origin::measured};
    Table t;
    t.title = "Epochs";
    t.columns = {"epoch", "train loss", "val loss", "val metric", "lr", "time", "energy", "avg power", "samples/s", "provenance"};
    t.numeric = {true, true, true, true, true, true, true, true, true, false};
    for (const auto& e : ex->epochs) {
      Origin eo = origin_of(e.energy_provenance);
      if (!std::isfinite(e.energy_j)) eo = Origin::missing;
      eb.labels.push_back("epoch " + std::to_string(e.epoch));
      eb.values.push_back(e.energy_j);
      eb.value_text.push_back(format_energy_j(e.energy_j));
      eb.origins.push_back(eo);
      double x = e.epoch;
      vm.x.push_back(x);
      vm.y.push_back(e.val_metric);
      tl.x.push_back(x);
      tl.y.push_back(e.train_loss);
      vl.x.push_back(x);
      vl.y.push_back(e.val_loss);
      std::string energy_cell = with_origin(format_energy_j(e.energy_j), eo);
      if (std::isfinite(e.energy_j) && std::isfinite(e.energy_uncertainty_j) && e.energy_uncertainty_j > 0) {
        energy_cell += " ± " + format_energy_j(e.energy_uncertainty_j);
      }
      t.rows.push_back({std::to_string(e.epoch), format_number(e.train_loss, 4), format_number(e.val_loss, 4),
                        format_number(e.val_metric, 4), short_number(e.lr), format_duration_s(e.duration_s), energy_cell,
                        with_origin(format_power_w(e.avg_power_w), eo), format_number(e.samples_per_s, 3),
                        provenance_text(e.energy_provenance)});
    }
    metric.series.push_back(vm);
    loss.series.push_back(tl);
    loss.series.push_back(vl);
    b.doc().heading("Epochs");
    b.doc().chart(svg(eb), "Energy of each epoch (counter difference or Eq. 1: mean power x epoch time).");
    b.doc().chart(svg(metric), "Validation metric (accuracy for classifiers) after each epoch.");
    b.doc().chart(svg(loss), "Training and validation loss after each epoch.");
    b.table(t, true);
  }
  return b.take(run_json(*ex));
}

Document run_document(const Store& store, int64_t run_id) { return run_report(store, run_id).document; }

}  // namespace report
}  // namespace powertrain
