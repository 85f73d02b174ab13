// The report of a search study (`powertrain tune`): its trials, the Pareto front of metric
// against configuration energy, the cumulative search energy (docs/reports.md, "Search
// study report").
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "powertrain/report/chart.h"
#include "powertrain/report/reports.h"
#include "powertrain/report/search_text.h"
#include "powertrain/search/spec.h"
#include "powertrain/store/trial.h"
#include "report/report_parts.h"

namespace powertrain {
namespace report {

using namespace parts;

std::vector<size_t> pareto_front(const std::vector<double>& energy_j, const std::vector<double>& metric) {
  std::vector<size_t> idx;
  size_t n = std::min(energy_j.size(), metric.size());
  for (size_t i = 0; i < n; ++i) if (std::isfinite(energy_j[i]) && std::isfinite(metric[i])) idx.push_back(i);
  // Cheapest first (higher metric first among equal energies); a point is on the front
  // when its metric beats every cheaper point's.
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
    if (energy_j[a] != energy_j[b]) return energy_j[a] < energy_j[b];
    return metric[a] > metric[b];
  });
  std::vector<size_t> front;
  double best = -INFINITY;
  for (size_t i : idx) {
    if (metric[i] > best) {
      front.push_back(i);
      best = metric[i];
    }
  }
  return front;
}

namespace {
std::string config_text(const tune::Config& c) { return c.empty() ? std::string("?") : tune::config_text(c, ", "); }
}  // namespace

Report search_report(const StudyRecord& study, const std::vector<StoredTrial>& trials) {
  json spec = json::parse(study.spec_json, nullptr, false);
  // Each energy carries its trial's provenance; trials stored before provenance was kept
  // are simulated in a simulated study and of unknown origin otherwise.
  const bool simulated = search::stored_spec_simulated(spec);
  auto origin_of_trial = [&](const StoredTrial& t) {
    if (t.energy_provenance == Provenance::missing && simulated) return Origin::simulated;
    return origin_of(t.energy_provenance);
  };
  std::vector<Provenance> provenances;
  for (const auto& t : trials) provenances.push_back(simulated && t.energy_provenance == Provenance::missing ? Provenance::simulated : t.energy_provenance);
  const Origin origin = trials.empty() ? Origin::missing : origin_of(provenance_weakest(provenances));

  std::vector<double> energy, metric;
  for (const auto& t : trials) {
    energy.push_back(t.record.result.energy_j);
    metric.push_back(t.record.result.metric);
  }
  std::vector<size_t> front = pareto_front(energy, metric);
  std::vector<bool> on_front(trials.size(), false);
  for (size_t i : front) on_front[i] = true;

  Builder b("Search '" + study.name + "'");
  std::vector<std::pair<std::string, std::string>> facts = {{"study", study.name}, {"kind", study.kind}, {"status", study_status_name(study.status)},
                                                            {"created", date_text(study.created_at_unix_s)}};
  for (auto& f : search::stored_spec_facts(spec)) facts.push_back(std::move(f));
  facts.push_back({"trials", std::to_string(trials.size())});
  double search_total = 0;
  bool total_known = !trials.empty();
  for (const auto& t : trials) {
    double e = t.record.trial_energy_j;
    if (std::isfinite(e)) search_total += e; else total_known = false;
  }
  facts.push_back({"search energy", with_origin(format_energy_j(total_known ? search_total : NAN), origin) + " (" +
                                        origin_name(total_known ? origin : Origin::missing) + ")"});

  // Best: the lowest estimated energy to the target among the trials that reached it,
  // else among all, else the highest metric.
  int best = -1;
  for (int pass = 0; pass < 2 && best < 0; ++pass) {
    for (size_t i = 0; i < trials.size(); ++i) {
      if (pass == 0 && !trials[i].record.result.reached_target) continue;
      double eta = trials[i].record.config_eta_j;
      if (std::isfinite(eta) && (best < 0 || eta < trials[static_cast<size_t>(best)].record.config_eta_j)) best = static_cast<int>(i);
    }
  }
  if (best < 0) {
    for (size_t i = 0; i < trials.size(); ++i) {
      if (std::isfinite(metric[i]) && (best < 0 || metric[i] > metric[static_cast<size_t>(best)])) best = static_cast<int>(i);
    }
  }
  if (best >= 0) {
    const StoredTrial& t = trials[static_cast<size_t>(best)];
    const Origin o = origin_of_trial(t);
    facts.push_back({"best configuration", config_text(t.record.trial.config) +
                                               fmt::format(" (trial {}: metric {}, energy to target {}, config energy {})", t.record.trial.id,
                                                           format_number(t.record.result.metric, 4),
                                                           with_origin(format_energy_j(t.record.config_eta_j), o),
                                                           with_origin(format_energy_j(t.record.result.energy_j), o))});
  } else {
    facts.push_back({"best configuration", "n/a (no trial with a finite metric)"});
  }
  facts.push_back({"Pareto front", std::to_string(front.size()) + " of " + std::to_string(trials.size()) + " trials"});
  b.doc().facts(facts);

  double mx = 0;
  for (double e : energy) if (std::isfinite(e)) mx = std::max(mx, e);
  EnergyScale es = energy_scale(mx);
  ScatterChart sc;
  sc.title = "Metric against configuration energy";
  sc.x_label = std::string("configuration energy (") + es.unit + ")";
  sc.y_label = "metric";
  sc.origin = origin;
  for (size_t i = 0; i < trials.size(); ++i) {
    ScatterChart::Point p;
    p.x = energy[i] / es.divisor;
    p.y = metric[i];
    p.label = "trial " + std::to_string(trials[i].record.trial.id);
    p.highlight = on_front[i];
    sc.points.push_back(p);
  }
  b.doc().heading("Trials");
  b.doc().chart(svg(sc), "Each trial's metric against the energy its configuration used; the Pareto front (no other trial has a "
                         "higher metric for less energy) is highlighted.");
  LineChart cum;
  cum.title = "Cumulative search energy";
  cum.x_label = "trials";
  double cmx = 0;
  for (const auto& t : trials) if (std::isfinite(t.record.search_energy_j)) cmx = std::max(cmx, t.record.search_energy_j);
  EnergyScale cs = energy_scale(std::max(cmx, search_total));
  cum.y_label = std::string("search energy (") + cs.unit + ")";
  cum.y_from_zero = true;
  Series s;
  s.name = "search energy";
  s.origin = origin;
  double running = 0;
  for (size_t i = 0; i < trials.size(); ++i) {
    double e = trials[i].record.trial_energy_j;
    running += std::isfinite(e) ? e : 0.0;
    double stored = trials[i].record.search_energy_j;
    s.x.push_back(static_cast<double>(i + 1));
    s.y.push_back((std::isfinite(stored) ? stored : running) / cs.divisor);
  }
  cum.series.push_back(s);
  b.doc().chart(svg(cum), "Energy the search had spent after each trial.");

  Table t;
  t.title = "Trials";
  t.columns = {"trial", "config", "budget", "epochs", "metric", "config energy", "energy to target", "trial energy", "search energy",
               "target", "Pareto"};
  t.numeric = {true, false, true, false, true, true, true, true, true, false, false};
  json trial_data = json::array();
  for (size_t i = 0; i < trials.size(); ++i) {
    const tune::TrialRecord& x = trials[i].record;
    const Origin o = origin_of_trial(trials[i]);
    // A probe trains no epoch: its budget cell says so, and its metric cell gives what it measured.
    std::string metric_cell = x.trial.probe ? format_number(x.result.energy_per_sample_j * 1000.0, 3) + " mJ/sample"
                                            : format_number(metric[i], 4);
    if (!x.result.lr_instability.empty()) metric_cell += "; " + lr_sweep_text(x.result.lr_instability);
    t.rows.push_back({std::to_string(x.trial.id), config_text(x.trial.config),
                      x.trial.probe ? std::string("probe") : format_number(x.trial.budget, 4),
                      std::to_string(x.from_epoch) + " -> " + std::to_string(x.to_epoch), metric_cell,
                      with_origin(format_energy_j(energy[i]), o), with_origin(format_energy_j(x.config_eta_j), o),
                      with_origin(format_energy_j(x.trial_energy_j), o), with_origin(format_energy_j(x.search_energy_j), o),
                      x.result.reached_target ? "reached" : "", on_front[i] ? "front" : ""});
    trial_data.push_back(trial_to_json(trials[i]));
  }
  t.note = std::string("Energies are ") + origin_name(origin) + (origin == Origin::simulated ? " (replayed from recorded traces)." : ".");
  if (std::any_of(trials.begin(), trials.end(), [](const StoredTrial& x) { return x.record.trial.probe; }))
    t.note += " A probe trial ran a few iterations to measure the energy per sample, before any epoch; its energy is the search's, not the configuration's.";
  if (std::any_of(trials.begin(), trials.end(), [](const StoredTrial& x) { return !x.record.result.lr_instability.empty(); }))
    t.note += " Its steps also swept the learning rates of its batch size, rising (LR ok: the loss kept falling; a number: "
              "how far it rose above the best so far, 1 = diverged at 4x); SM2 drops the diverged ones before exploring.";
  b.table(t, true);
  json data = {{"study", {{"name", study.name}, {"kind", study.kind}, {"status", study_status_name(study.status)}, {"spec", spec}}},
               {"trials", trial_data}};
  if (!study.result_json.empty()) data["result"] = json::parse(study.result_json, nullptr, false);
  return b.take(data);
}

Document search_document(const StudyRecord& study, const std::vector<StoredTrial>& trials) {
  return search_report(study, trials).document;
}

}  // namespace report
}  // namespace powertrain
