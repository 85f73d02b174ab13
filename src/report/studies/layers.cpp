// The layers study's section: energy per forward + backward pass per layer type, and the
// width sweep (accuracy against training energy, where returns diminish).
#include <algorithm>
#include <cmath>

#include "report/studies/sections.h"

namespace powertrain {
namespace report {
namespace studies {

void layers_section(Builder& b, const LayersResult& r) {
  begin(b, r.header, r.runs.size());
  const Origin o = origin_of(r.header.energy_provenance);
  BarChart bars;
  bars.title = "Energy per layer type";
  bars.value_label = "energy per forward + backward pass (J)";
  Table t;
  t.title = "Layer types (same input tensor)";
  t.columns = {"layer", "description", "parameters", "time/pass (fwd+bwd)", "energy/pass (fwd+bwd)", "energy share", "provenance"};
  t.numeric = {false, false, true, true, true, true, false};
  for (const auto& c : r.layer_costs) {
    const LayerPhaseRow& fb = c.forward_backward;
    const Origin lo = origin_of(fb.energy_provenance);
    const double e = fb.energy_per_pass_j;
    bars.labels.push_back(c.layer);
    bars.values.push_back(e);
    bars.value_text.push_back(format_energy_j(e));
    bars.origins.push_back(std::isfinite(e) ? lo : Origin::missing);
    t.rows.push_back({c.layer, c.description, std::to_string(c.parameters), format_duration_s(fb.time_per_pass_s), energy_text(e, lo),
                      format_percent(100.0 * c.energy_share), parts::provenance_text(fb.energy_provenance)});
  }
  b.doc().heading("Energy per layer type");
  b.doc().chart(svg(bars), "Energy of one forward and backward pass of each layer type on the same input.");
  b.table(t, true);

  ScatterChart sc;
  sc.title = "Width sweep: accuracy against training energy";
  double mx = 0;
  for (const auto& w : r.widths) if (std::isfinite(w.stats.energy_j.mean)) mx = std::max(mx, w.stats.energy_j.mean);
  const parts::EnergyScale es = parts::energy_scale(mx);
  sc.x_label = std::string("training energy (") + es.unit + ")";
  sc.y_label = "best validation accuracy";
  sc.highlight_name = "widths (in order)";
  sc.origin = o;
  Table wt;
  wt.title = "Width sweep (mean ± std over seeds)";
  wt.columns = {"width", "parameters", "epochs", "energy/epoch", "energy", "best val acc", "test acc"};
  wt.numeric = {true, true, true, true, true, true, true};
  for (const auto& w : r.widths) {
    const Origin wo = origin_of(w.stats.energy_provenance);
    ScatterChart::Point p;
    p.x = w.stats.energy_j.mean / es.divisor;
    p.y = w.stats.best_val_accuracy.mean;
    p.label = "width " + std::to_string(w.width);
    p.highlight = true;
    sc.points.push_back(p);
    wt.rows.push_back({std::to_string(w.width), w.parameters > 0 ? std::to_string(w.parameters) : "n/a", plus_minus(w.stats.epochs, epochs_text),
                       plus_minus(w.stats.energy_per_epoch_j, format_energy_j, wo), plus_minus(w.stats.energy_j, format_energy_j, wo),
                       plus_minus(w.stats.best_val_accuracy, number_text), plus_minus(w.stats.test_accuracy, number_text)});
  }
  b.doc().heading("Width sweep");
  b.doc().chart(svg(sc), "Best validation accuracy against training energy, one point per width (" +
                             (r.width_key.empty() ? std::string("width") : r.width_key) + ").");
  if (!r.diminishing_returns.reason.empty()) b.doc().paragraph("Diminishing returns: " + r.diminishing_returns.reason + ".");
  b.table(wt);

  std::vector<RunLine> lines;
  for (const auto& x : r.runs) {
    lines.push_back({{std::to_string(x.width), parts::short_number(x.width_factor), std::to_string(x.seed)}, &x.run});
  }
  runs_section(b, {"width", "width factor", "seed"}, {true, true, true}, lines);
}

}  // namespace studies
}  // namespace report
}  // namespace powertrain
