// The reports of stored runs, research studies and search studies: what each shows is in
// docs/reports.md. Missing keys are left out or shown as "n/a", never as 0.
#include "powertrain/report/reports.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <set>

#include <fmt/format.h>

#include "powertrain/interop/run_json.h"
#include "powertrain/report/chart.h"

namespace powertrain {
namespace report {

namespace {

using json = nlohmann::json;

// ---- reading JSON -------------------------------------------------------------------

// Returns j[key] as a number, NaN when absent, null or not a number.
double jnum(const json& j, const std::string& key) {
  if (!j.is_object()) return NAN;
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : NAN;
}
std::string jstr(const json& j, const std::string& key, const std::string& missing = "") {
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
const json& jarr(const json& j, const std::string& key) {
  static const json empty = json::array();
  const json& v = jget(j, key);
  return v.is_array() ? v : empty;
}
// Returns element i of a numeric array (NaN when absent or null).
double jat(const json& arr, size_t i) { return arr.is_array() && i < arr.size() && arr[i].is_number() ? arr[i].get<double>() : NAN; }

// Returns format_number(v, 3) without trailing zeros after the point: 0.01, 2.5, 64.
std::string short_number(double v) {
  std::string s = format_number(v, 3);
  if (s.find('.') == std::string::npos || s.find('e') != std::string::npos) return s;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

// The energy unit for a set of values in J: kJ from 10 kJ up, MJ from 10 MJ.
struct EnergyScale {
  double divisor = 1.0;
  const char* unit = "J";
};
EnergyScale energy_scale(double max_j) {
  if (max_j >= 1e7) return {1e6, "MJ"};
  if (max_j >= 1e4) return {1e3, "kJ"};
  return {1.0, "J"};
}

// A scalar JSON value as text, formatted by what its key says it is.
std::string cell(const std::string& key, const json& v, Origin origin = Origin::measured) {
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

// "mean ± std" of summary key `key` (std from `<key>_std` when known).
std::string pm(const json& s, const std::string& key, Origin origin = Origin::measured) {
  const json& v = jget(s, key);
  std::string out = cell(key, v, Origin::measured);
  if (out == "n/a") return out;
  double sd = jnum(s, key + "_std");
  if (std::isfinite(sd)) out += " ± " + cell(key, json(sd), Origin::measured);
  return with_origin(out, origin);
}

// "(k/n runs)" after a to-target value when not every run reached the target.
std::string to_target(const json& s, const std::string& key, Origin origin) {
  std::string out = pm(s, key, origin);
  double reached = jnum(s, "target_reached_runs"), runs = jnum(s, "runs");
  if (std::isfinite(reached) && std::isfinite(runs) && reached < runs) out += fmt::format(" ({}/{} runs)", reached, runs);
  return out;
}

// ---- generic tables -----------------------------------------------------------------

// Keys every element of a study's `runs` has (docs/studies.md); the other scalar keys name
// the variant (batch_size, learning_rate, seed, variant, ...).
const std::set<std::string>& common_run_keys() {
  static const std::set<std::string> keys = {
      "seq", "status", "stop_reason", "epochs", "best_epoch", "best_val_accuracy", "best_val_loss", "test_accuracy", "energy_j",
      "energy_per_epoch_j", "energy_to_best_j", "energy_provenance", "run_energy_j", "duration_s", "duration_per_epoch_s",
      "avg_power_w", "samples_per_s", "precision", "device", "parameters", "trainable_parameters", "run_id", "epoch_rows",
      "epochs_to_target", "energy_to_target_j", "step", "name"};
  return keys;
}

// The runs of a study: the variant's labels, then status, epochs, accuracy, energy (with
// each run's provenance), time, power and the run id (`powertrain report RUN_ID`).
Table runs_table(const json& runs) {
  Table t;
  t.title = "Runs";
  std::vector<std::string> labels;
  bool precision_varies = false;
  std::string first_precision;
  for (const auto& r : runs) {
    if (!r.is_object()) continue;
    for (auto it = r.begin(); it != r.end(); ++it) {
      if (it->is_structured() || common_run_keys().count(it.key())) continue;
      if (std::find(labels.begin(), labels.end(), it.key()) == labels.end()) labels.push_back(it.key());
    }
    std::string p = jstr(r, "precision");
    if (first_precision.empty()) first_precision = p;
    else if (p != first_precision) precision_varies = true;
  }
  if (precision_varies) labels.insert(labels.begin(), "precision");
  t.columns = {"#"};
  t.numeric = {true};
  for (const auto& l : labels) {
    t.columns.push_back(l);
    bool numeric = false;
    for (const auto& r : runs) {
      const json& v = jget(r, l);
      if (!v.is_null()) { numeric = v.is_number(); break; }
    }
    t.numeric.push_back(numeric);
  }
  const std::vector<std::pair<std::string, std::string>> fixed = {
      {"status", "status"},          {"epochs", "epochs"},     {"best_val_accuracy", "best val acc"},
      {"test_accuracy", "test acc"}, {"energy_j", "energy"},   {"energy_per_epoch_j", "energy/epoch"},
      {"duration_s", "time"},        {"avg_power_w", "power"}, {"energy_provenance", "provenance"},
      {"run_id", "run"}};
  for (const auto& [key, name] : fixed) {
    t.columns.push_back(name);
    t.numeric.push_back(key != "status" && key != "energy_provenance");
  }
  size_t i = 0;
  for (const auto& r : runs) {
    if (!r.is_object()) continue;
    Origin o = origin_of(jstr(r, "energy_provenance", "missing"));
    std::vector<std::string> row = {r.contains("seq") ? cell("seq", r["seq"]) : std::to_string(i)};
    for (const auto& l : labels) row.push_back(cell(l, jget(r, l)));
    for (const auto& [key, name] : fixed) {
      (void)name;
      bool energy = key == "energy_j" || key == "energy_per_epoch_j";
      row.push_back(cell(key, jget(r, key), energy ? o : Origin::measured));
    }
    t.rows.push_back(row);
    ++i;
  }
  t.note = "Energies are training energies (sum of the epochs); \"(est.)\" = estimated from a model, \"n/a\" = unknown. "
           "`powertrain report RUN` shows one run.";
  return t;
}

// A table of an array of objects: one column per scalar key (first seen order, at most 16).
Table objects_table(const std::string& title, const json& items, Origin origin) {
  Table t;
  t.title = title;
  for (const auto& r : items) {
    if (!r.is_object()) continue;
    for (auto it = r.begin(); it != r.end(); ++it) {
      if (it->is_structured() || t.columns.size() >= 16) continue;
      if (std::find(t.columns.begin(), t.columns.end(), it.key()) == t.columns.end()) {
        t.columns.push_back(it.key());
        t.numeric.push_back(it->is_number());
      }
    }
  }
  for (const auto& r : items) {
    if (!r.is_object()) continue;
    std::vector<std::string> row;
    for (const auto& c : t.columns) row.push_back(cell(c, jget(r, c), origin));
    t.rows.push_back(row);
  }
  return t;
}

// ---- documents ----------------------------------------------------------------------

// Builds a Report: every table goes into the document and into Report::tables.
class Builder {
 public:
  explicit Builder(std::string title) { r_.document = Document(std::move(title)); }
  Document& doc() { return r_.document; }
  void table(const Table& t, bool main = false) {
    r_.document.table(t);
    if (main) r_.tables.insert(r_.tables.begin(), t);
    else r_.tables.push_back(t);
  }
  void findings(const json& f) {
    if (!f.is_array() || f.empty()) return;
    r_.document.heading("Findings");
    for (const auto& line : f) {
      std::string s = line.is_string() ? line.get<std::string>() : line.dump();
      r_.document.paragraph(s);
      r_.findings.push_back(s);
    }
  }
  Report take(json data) {
    r_.data = std::move(data);
    return std::move(r_);
  }

 private:
  Report r_;
};

std::string date_text(double unix_s) {
  if (!std::isfinite(unix_s)) return "n/a";
  std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  if (!gmtime_r(&t, &tm)) return "n/a";
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}


std::string provenance_text(const std::string& provenance) {
  Origin o = origin_of(provenance);
  if (o == Origin::missing) return "missing";
  return provenance == origin_name(o) ? provenance : std::string(origin_name(o)) + " (" + provenance + ")";
}

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

// A bar chart of one summary field per element of `items` (label from `label_key`).
BarChart summary_bars(const std::string& title, const json& items, const std::string& label_key, const std::string& key,
                      const std::string& value_label, bool energy) {
  BarChart b;
  b.title = title;
  b.value_label = value_label;
  for (const auto& s : items) {
    b.labels.push_back(jstr(s, label_key, "?"));
    double v = jnum(s, key);
    Origin o = energy ? origin_of(jstr(s, "energy_provenance", "missing")) : Origin::measured;
    if (!std::isfinite(v)) o = Origin::missing;
    b.values.push_back(v);
    b.origins.push_back(o);
    std::string text = energy ? format_energy_j(v) : short_number(v);
    double sd = jnum(s, key + "_std");
    if (std::isfinite(v) && std::isfinite(sd)) text += " ± " + (energy ? format_energy_j(sd) : short_number(sd));
    b.value_text.push_back(text);
  }
  return b;
}

void study_facts(Builder& b, const json& r) {
  const json& scale = jget(r, "scale");
  const json& inputs = jget(r, "inputs");
  Origin o = origin_of(jstr(r, "energy_provenance", "missing"));
  std::vector<std::pair<std::string, std::string>> facts = {
      {"study", jstr(r, "kind", "?")},
      {"name", jstr(r, "name", "n/a")},
      {"schema", jstr(r, "schema", "n/a")},
  };
  if (scale.is_object()) facts.push_back({"scale", jstr(scale, "name", "n/a")});
  if (inputs.is_object() && inputs.contains("seeds")) facts.push_back({"seeds", cell("seeds", inputs["seeds"])});
  if (inputs.is_object() && inputs.contains("threads")) facts.push_back({"threads", cell("threads", inputs["threads"])});
  facts.push_back({"device", jstr(r, "device", "n/a")});
  facts.push_back({"runs", std::to_string(jarr(r, "runs").size())});
  facts.push_back({"energy provenance", provenance_text(jstr(r, "energy_provenance", "missing"))});
  facts.push_back({"energy of the whole study", with_origin(format_energy_j(jnum(r, "study_energy_j")), o)});
  b.doc().facts(facts);
}

// ---- the research studies -----------------------------------------------------------

void regime_body(Builder& b, const json& r, Origin o) {
  const json& t = jget(r, "tables");
  const json& bs = jarr(t, "batch_sizes");
  const json& lrs = jarr(t, "learning_rates");
  std::vector<std::string> rows, cols;
  for (const auto& v : bs) rows.push_back(cell("batch_size", v));
  for (const auto& v : lrs) cols.push_back(v.is_number() ? short_number(v.get<double>()) : "?");
  auto matrix = [&](const std::string& key) {
    std::vector<double> out;
    const json& m = jget(t, key);
    for (size_t i = 0; i < rows.size(); ++i) {
      for (size_t j = 0; j < cols.size(); ++j) out.push_back(m.is_array() && i < m.size() ? jat(m[i], j) : NAN);
    }
    return out;
  };
  auto heat = [&](const std::string& key, const std::string& title, bool energy, const std::string& caption) {
    Heatmap h;
    h.title = title;
    h.row_label = "batch size";
    h.col_label = "learning rate";
    h.rows = rows;
    h.cols = cols;
    h.values = matrix(key);
    double mx = 0;
    for (double v : h.values) if (std::isfinite(v)) mx = std::max(mx, v);
    if (energy) {
      EnergyScale s = energy_scale(mx);
      for (double& v : h.values) v /= s.divisor;
      h.unit = s.unit;
      h.origin = o;
      for (double v : h.values) h.cell_text.push_back(format_number(v, 3));
    } else {
      h.unit = "epochs";
      for (double v : h.values) h.cell_text.push_back(format_number(v, 3));
    }
    b.doc().chart(svg(h), caption);
  };
  b.doc().heading("Batch size x learning rate");
  heat("energy_per_epoch_j", "Average energy per epoch", true, "Average energy per epoch (Eq. 1: mean power x epoch time); lowest framed.");
  heat("epochs", "Epochs to early stopping", false, "Epochs until early stopping; fewest framed.");
  heat("energy_j", "Total training energy", true, "Total training energy (sum over the epochs); lowest framed.");

  // Percentage of the most expensive setup, cheapest first.
  const json& pw = jget(t, "percent_of_worst");
  struct Bar { std::string label; double value; };
  std::vector<Bar> bars;
  for (size_t i = 0; i < rows.size(); ++i) {
    for (size_t j = 0; j < cols.size(); ++j) {
      bars.push_back({"bs " + rows[i] + ", lr " + cols[j], pw.is_array() && i < pw.size() ? jat(pw[i], j) : NAN});
    }
  }
  std::stable_sort(bars.begin(), bars.end(), [](const Bar& a, const Bar& c) {
    if (!std::isfinite(a.value)) return false;
    if (!std::isfinite(c.value)) return true;
    return a.value < c.value;
  });
  BarChart pc;
  pc.title = "Total energy as a percentage of the most expensive setup";
  pc.value_label = "% of the worst setup";
  for (const auto& bar : bars) {
    pc.labels.push_back(bar.label);
    pc.values.push_back(bar.value);
    pc.value_text.push_back(format_percent(bar.value));
    pc.origins.push_back(std::isfinite(bar.value) ? o : Origin::missing);
  }
  b.doc().chart(svg(pc), "Total training energy of each setup as a percentage of the most expensive one, cheapest first.");

  const json& best = jget(r, "best");
  const json& worst = jget(r, "worst");
  if (best.is_object()) {
    b.doc().facts({{"cheapest accurate setup", fmt::format("batch size {}, learning rate {}: {} ({} of the worst), val acc {}",
                                                          cell("batch_size", jget(best, "batch_size")),
                                                          cell("learning_rate", jget(best, "learning_rate")),
                                                          cell("energy_j", jget(best, "energy_j"), o),
                                                          format_percent(jnum(best, "percent_of_worst")),
                                                          cell("best_val_accuracy", jget(best, "best_val_accuracy")))},
                   {"most expensive setup", fmt::format("batch size {}, learning rate {}: {}, val acc {}",
                                                       cell("batch_size", jget(worst, "batch_size")),
                                                       cell("learning_rate", jget(worst, "learning_rate")),
                                                       cell("energy_j", jget(worst, "energy_j"), o),
                                                       cell("best_val_accuracy", jget(worst, "best_val_accuracy")))}});
  }

  Table s;
  s.title = "Setups (mean over seeds)";
  s.columns = {"batch size", "learning rate", "energy/epoch", "epochs", "energy", "% of worst", "best val acc", "provenance"};
  s.numeric = {true, true, true, true, true, true, true, false};
  for (const auto& x : jarr(r, "setups")) {
    Origin so = origin_of(jstr(x, "energy_provenance", jstr(r, "energy_provenance", "missing")));
    s.rows.push_back({cell("batch_size", jget(x, "batch_size")),
                      jget(x, "learning_rate").is_number() ? short_number(jnum(x, "learning_rate")) : "n/a",
                      pm(x, "energy_per_epoch_j", so), pm(x, "epochs"), pm(x, "energy_j", so),
                      format_percent(jnum(x, "percent_of_worst")), pm(x, "best_val_accuracy"),
                      provenance_text(jstr(x, "energy_provenance", "missing"))});
  }
  b.table(s, true);
}

void precision_body(Builder& b, const json& r) {
  const json& summary = jarr(r, "summary");
  b.doc().heading("Energy per precision");
  b.doc().chart(svg(summary_bars("Energy per epoch", summary, "precision", "energy_per_epoch_j", "energy per epoch (J)", true)),
                "Mean energy per epoch of each precision (± sample standard deviation over seeds).");
  b.doc().chart(svg(summary_bars("Energy to the target accuracy", summary, "precision", "energy_to_target_j",
                                 "energy to target (J)", true)),
                "Cumulative epoch energy up to the first epoch that reaches the target validation accuracy " +
                    format_number(jnum(r, "target_val_accuracy"), 4) + " (" + jstr(r, "target_source", "n/a") + ").");
  Table t;
  t.title = "Precisions (mean ± std over seeds)";
  t.columns = {"precision", "runs", "best val acc", "change vs fp32", "accuracy", "time/epoch", "power", "energy/epoch",
               "epochs to target", "energy to target", "speedup vs fp32", "energy/epoch vs fp32", "energy to target vs fp32"};
  t.numeric = {false, true, true, true, false, true, true, true, true, true, true, true, true};
  for (const auto& s : summary) {
    Origin o = origin_of(jstr(s, "energy_provenance", "missing"));
    double change = jnum(s, "accuracy_change_vs_fp32");
    auto ratio = [&](const char* key) {
      double v = jnum(s, key);
      return std::isfinite(v) ? format_number(v, 3) + "x" : std::string("n/a");
    };
    t.rows.push_back({jstr(s, "precision", "?"), cell("runs", jget(s, "runs")), pm(s, "best_val_accuracy"),
                      std::isfinite(change) ? fmt::format("{:+.2f} points", 100.0 * change) : "n/a",
                      jget(s, "accuracy_loss_flag").is_boolean() && s["accuracy_loss_flag"].get<bool>() ? "LOSS" : "ok",
                      pm(s, "duration_per_epoch_s"), cell("avg_power_w", jget(s, "avg_power_w")), pm(s, "energy_per_epoch_j", o),
                      to_target(s, "epochs_to_target", Origin::measured), to_target(s, "energy_to_target_j", o),
                      ratio("speedup_vs_fp32"), ratio("energy_per_epoch_ratio_vs_fp32"), ratio("energy_to_target_ratio_vs_fp32")});
  }
  t.note = "LOSS: the mean best validation accuracy is more than the tolerance below fp32's; confirm with fp32 before release.";
  b.table(t, true);
  const json& skipped = jarr(r, "skipped");
  for (const auto& s : skipped) b.doc().paragraph("Skipped " + jstr(s, "precision", "?") + ": " + jstr(s, "reason", "no reason given"));
}

void superconvergence_body(Builder& b, const json& r, Origin o) {
  const json& lf = jget(r, "lr_find");
  LineChart c;
  c.title = "LR range test";
  c.x_label = "learning rate";
  c.y_label = "smoothed training loss";
  c.log_x = true;
  Series s;
  s.name = "smoothed loss";
  for (const auto& v : jarr(lf, "lr")) s.x.push_back(v.is_number() ? v.get<double>() : NAN);
  for (const auto& v : jarr(lf, "smoothed_loss")) s.y.push_back(v.is_number() ? v.get<double>() : NAN);
  c.series.push_back(s);
  double max_lr = jnum(r, "max_lr");
  if (std::isfinite(max_lr) && max_lr > 0) c.vlines.push_back({max_lr, "max_lr " + short_number(max_lr)});
  b.doc().heading("Learning-rate range test");
  b.doc().chart(svg(c), "Smoothed loss while the learning rate grows exponentially; the chosen max_lr (" + short_number(max_lr) +
                            ", steepest descent) is marked. The test used " +
                            with_origin(format_energy_j(jnum(lf, "energy_j")), origin_of(jstr(lf, "energy_provenance", "missing"))) +
                            ".");
  BarChart bars;
  bars.title = "Energy to the target accuracy";
  bars.value_label = "energy to target (J)";
  for (const auto& x : jarr(r, "summary")) {
    Origin so = origin_of(jstr(x, "energy_provenance", "missing"));
    std::string variant = jstr(x, "variant", "?");
    double v = jnum(x, "energy_to_target_j");
    bars.labels.push_back(variant == "one_cycle" ? "one-cycle" : variant);
    bars.values.push_back(v);
    bars.value_text.push_back(format_energy_j(v));
    bars.origins.push_back(std::isfinite(v) ? so : Origin::missing);
    double w = jnum(x, "energy_to_target_with_lr_find_j");
    if (std::isfinite(w)) {
      bars.labels.push_back(variant + " + range test");
      bars.values.push_back(w);
      bars.value_text.push_back(format_energy_j(w));
      bars.origins.push_back(so);
    }
  }
  b.doc().heading("One-cycle against a constant learning rate");
  b.doc().chart(svg(bars), "Energy to reach validation accuracy " + format_number(jnum(r, "target_val_accuracy"), 4) + " (" +
                               jstr(r, "target_source", "n/a") + "), AdamW one-cycle vs constant.");
  Table t;
  t.title = "Variants (mean ± std over seeds)";
  t.columns = {"variant", "epochs to target", "energy to target", "with range test", "energy/epoch", "total energy", "best val acc"};
  t.numeric = {false, true, true, true, true, true, true};
  for (const auto& x : jarr(r, "summary")) {
    Origin so = origin_of(jstr(x, "energy_provenance", jstr(r, "energy_provenance", "missing")));
    t.rows.push_back({jstr(x, "variant", "?"), to_target(x, "epochs_to_target", Origin::measured), to_target(x, "energy_to_target_j", so),
                      cell("energy_to_target_with_lr_find_j", jget(x, "energy_to_target_with_lr_find_j"), so),
                      pm(x, "energy_per_epoch_j", so), pm(x, "energy_j", so), pm(x, "best_val_accuracy")});
  }
  (void)o;
  b.table(t, true);
}

void pretrain_body(Builder& b, const json& r, Origin o) {
  const json& c = jget(r, "cumulative");
  const json& reuses = jarr(c, "reuses");
  double mx = 0;
  for (const char* k : {"scratch_j", "pretrain_frozen_j", "pretrain_finetune_j"}) {
    for (const auto& v : jarr(c, k)) if (v.is_number()) mx = std::max(mx, v.get<double>());
  }
  EnergyScale sc = energy_scale(mx);
  LineChart ch;
  ch.title = "Cumulative energy against downstream trainings";
  ch.x_label = "downstream trainings (reuses of the encoder)";
  ch.y_label = std::string("cumulative energy (") + sc.unit + ")";
  ch.y_from_zero = true;
  auto series = [&](const char* key, const char* name) {
    Series s;
    s.name = name;
    s.origin = o;
    const json& ys = jarr(c, key);
    for (size_t i = 0; i < reuses.size(); ++i) {
      s.x.push_back(jat(reuses, i));
      s.y.push_back(jat(ys, i) / sc.divisor);
    }
    ch.series.push_back(s);
  };
  series("scratch_j", "from scratch");
  series("pretrain_frozen_j", "pretrain + frozen");
  series("pretrain_finetune_j", "pretrain + fine-tune");
  const json& be = jget(r, "break_even");
  for (const char* k : {"frozen", "finetune"}) {
    double x = jnum(jget(be, k), "reuses");
    if (std::isfinite(x)) ch.vlines.push_back({x, std::string(k) + " break-even " + short_number(x)});
  }
  b.doc().heading("Break-even of pretraining (Eq. 2)");
  b.doc().chart(svg(ch), "E_enc + n x E_class (with pretraining) against n x E_enc+class (from scratch); break-even points marked.");
  b.doc().facts({{"break-even, frozen encoder", jstr(jget(be, "frozen"), "text", "n/a")},
                 {"break-even, fine-tuned encoder", jstr(jget(be, "finetune"), "text", "n/a")},
                 {"freezing saves", format_percent(100.0 * jnum(jget(r, "freeze_vs_finetune"), "energy_saving_fraction")) +
                                        " of the fine-tuned classifier's energy"}});
  const json& e = jget(r, "energies_j");
  Table t;
  t.title = "Energies of Eq. 2 (mean over seeds)";
  t.columns = {"symbol", "what", "energy", "provenance"};
  t.numeric = {false, false, true, false};
  const std::vector<std::pair<const char*, const char*>> rows = {
      {"E_enc", "autoencoder pretraining"},
      {"E_class_frozen", "classifier on the frozen encoder"},
      {"E_class_finetune", "classifier fine-tuning the encoder"},
      {"E_enc_class", "encoder + classifier from scratch"}};
  for (const auto& [sym, what] : rows) {
    t.rows.push_back({sym, what, with_origin(format_energy_j(jnum(e, sym)), o), origin_name(std::isfinite(jnum(e, sym)) ? o : Origin::missing)});
  }
  b.table(t, true);
  Table s;
  s.title = "Variants (mean ± std over seeds)";
  s.columns = {"variant", "Eq. 2", "epochs", "energy/epoch", "energy", "best val acc"};
  s.numeric = {false, false, true, true, true, true};
  for (const auto& x : jarr(r, "summary")) {
    Origin so = origin_of(jstr(x, "energy_provenance", jstr(r, "energy_provenance", "missing")));
    s.rows.push_back({jstr(x, "variant", "?"), jstr(x, "symbol", ""), pm(x, "epochs"), pm(x, "energy_per_epoch_j", so),
                      pm(x, "energy_j", so), pm(x, "best_val_accuracy")});
  }
  b.table(s);
}

void multitask_body(Builder& b, const json& r, Origin o) {
  const json& summary = jarr(r, "summary");
  b.doc().heading("Variants");
  b.doc().chart(svg(summary_bars("Energy per epoch", summary, "variant", "energy_per_epoch_j", "energy per epoch (J)", true)),
                "Mean energy per epoch: main task alone, auxiliary task alone, both with a shared encoder.");
  b.doc().chart(svg(summary_bars("Epochs to convergence", summary, "variant", "epochs", "epochs", false)),
                "Epochs until early stopping on the validation loss.");
  const json& cmp = jget(r, "comparison");
  Table c;
  c.title = "Separate training against one multitask model";
  c.columns = {"quantity", "value"};
  c.numeric = {false, true};
  c.rows = {{"main + auxiliary trained separately", with_origin(format_energy_j(jnum(cmp, "separate_total_energy_j")), o)},
            {"multitask model", with_origin(format_energy_j(jnum(cmp, "multitask_energy_j")), o)},
            {"saving vs separate", format_percent(100.0 * jnum(cmp, "saving_fraction_vs_separate"))},
            {"cheaper than separate", cell("cheaper_than_separate", jget(cmp, "cheaper_than_separate"))},
            {"cheaper than each alone", cell("cheaper_than_each_alone", jget(cmp, "cheaper_than_each_alone"))}};
  Table s;
  s.title = "Variants (mean ± std over seeds)";
  s.columns = {"variant", "energy/epoch", "epochs", "energy", "main val acc"};
  s.numeric = {false, true, true, true, true};
  for (const auto& x : summary) {
    Origin so = origin_of(jstr(x, "energy_provenance", jstr(r, "energy_provenance", "missing")));
    s.rows.push_back({jstr(x, "variant", "?"), pm(x, "energy_per_epoch_j", so), pm(x, "epochs"), pm(x, "energy_j", so),
                      cell("main_task_val_accuracy", jget(x, "main_task_val_accuracy"))});
  }
  b.table(s, true);
  b.table(c);
}

void layers_body(Builder& b, const json& r, Origin o) {
  const json& costs = jarr(r, "layer_costs");
  BarChart bars;
  bars.title = "Energy per layer type";
  bars.value_label = "energy per forward + backward pass (J)";
  Table t;
  t.title = "Layer types (same input tensor)";
  t.columns = {"layer", "description", "parameters", "time/pass (fwd+bwd)", "energy/pass (fwd+bwd)", "energy share", "provenance"};
  t.numeric = {false, false, true, true, true, true, false};
  for (const auto& c : costs) {
    const json& fb = jget(c, "forward_backward");
    Origin lo = origin_of(jstr(fb, "energy_provenance", jstr(c, "energy_provenance", "missing")));
    double e = jnum(fb, "energy_per_pass_j");
    bars.labels.push_back(jstr(c, "layer", "?"));
    bars.values.push_back(e);
    bars.value_text.push_back(format_energy_j(e));
    bars.origins.push_back(std::isfinite(e) ? lo : Origin::missing);
    t.rows.push_back({jstr(c, "layer", "?"), jstr(c, "description", ""), cell("parameters", jget(c, "parameters")),
                      cell("time_per_pass_s", jget(fb, "time_per_pass_s")), with_origin(format_energy_j(e), lo),
                      format_percent(100.0 * jnum(c, "energy_share")), provenance_text(jstr(fb, "energy_provenance", "missing"))});
  }
  b.doc().heading("Energy per layer type");
  b.doc().chart(svg(bars), "Energy of one forward and backward pass of each layer type on the same input.");
  b.table(t, true);

  const json& widths = jarr(r, "widths");
  ScatterChart sc;
  sc.title = "Width sweep: accuracy against training energy";
  double mx = 0;
  for (const auto& w : widths) if (std::isfinite(jnum(w, "energy_j"))) mx = std::max(mx, jnum(w, "energy_j"));
  EnergyScale es = energy_scale(mx);
  sc.x_label = std::string("training energy (") + es.unit + ")";
  sc.y_label = "best validation accuracy";
  sc.highlight_name = "widths (in order)";
  sc.origin = o;
  Table wt;
  wt.title = "Width sweep (mean ± std over seeds)";
  wt.columns = {"width", "parameters", "epochs", "energy/epoch", "energy", "best val acc", "test acc"};
  wt.numeric = {true, true, true, true, true, true, true};
  for (const auto& w : widths) {
    Origin wo = origin_of(jstr(w, "energy_provenance", jstr(r, "energy_provenance", "missing")));
    ScatterChart::Point p;
    p.x = jnum(w, "energy_j") / es.divisor;
    p.y = jnum(w, "best_val_accuracy");
    p.label = "width " + cell("width", jget(w, "width"));
    p.highlight = true;
    sc.points.push_back(p);
    wt.rows.push_back({cell("width", jget(w, "width")), cell("parameters", jget(w, "parameters")), pm(w, "epochs"),
                       pm(w, "energy_per_epoch_j", wo), pm(w, "energy_j", wo), pm(w, "best_val_accuracy"), pm(w, "test_accuracy")});
  }
  b.doc().heading("Width sweep");
  b.doc().chart(svg(sc), "Best validation accuracy against training energy, one point per width (" + jstr(r, "width_key", "width") + ").");
  const json& dim = jget(r, "diminishing_returns");
  if (dim.is_object()) b.doc().paragraph("Diminishing returns: " + jstr(dim, "reason", "n/a") + ".");
  b.table(wt);
}

}  // namespace

// ---- public -------------------------------------------------------------------------

Origin origin_of(const std::string& provenance) {
  if (provenance == "measured_counter" || provenance == "integrated_power" || provenance == "measured") return Origin::measured;
  if (provenance == "estimated") return Origin::estimated;
  if (provenance == "simulated") return Origin::simulated;
  return Origin::missing;
}

std::string Report::text() const {
  std::string out = document.title() + "\n\n";
  for (const auto& t : tables) out += text_table(t) + "\n";
  for (const auto& f : findings) out += f + "\n";
  return out;
}

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
  json meta = json::parse(run.meta_json, nullptr, false);
  if (meta.is_object() && meta.contains("config")) {
    std::string cfg = meta["config"].dump();
    facts.push_back({"config", cfg.size() > 400 ? cfg.substr(0, 397) + "..." : cfg});
  }
  if (meta.is_object() && meta.contains("error")) facts.push_back({"error", jstr(meta, "error")});
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
    Origin co = origin_of_provenance(c.provenance);
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

// The search study: each strategy's whole search (real training), and the same strategies
// on the GPU traces where the optimum is known.
void search_body(Builder& b, const json& r, Origin o) {
  const json& runs = jarr(r, "runs");
  b.doc().heading("Strategies on the same space");
  b.doc().chart(svg(summary_bars("Energy each search spent", runs, "strategy", "search_energy_j", "search energy (J)", true)),
                "Energy of every trial of each strategy's search, real training on this machine.");
  b.doc().chart(svg(summary_bars("Energy until a trial first reached the target", runs, "strategy", "energy_to_first_target_j",
                                 "energy to the target (J)", true)),
                "Search energy spent when a trial first reached the target accuracy (n/a: never reached).");
  Table t;
  t.title = "Strategies";
  t.columns = {"strategy", "trials", "search energy", "energy to target", "chosen configuration", "its val acc"};
  t.numeric = {false, true, true, true, false, true};
  for (const auto& x : runs) {
    Origin so = origin_of(jstr(x, "energy_provenance", jstr(r, "energy_provenance", "missing")));
    t.rows.push_back({jstr(x, "strategy", "?"), cell("trials", jget(x, "trials")),
                      with_origin(format_energy_j(jnum(x, "search_energy_j")), so),
                      with_origin(format_energy_j(jnum(x, "energy_to_first_target_j")), so),
                      jget(x, "best_config").is_object() ? jget(x, "best_config").dump() : std::string("n/a"),
                      cell("best_val_accuracy", jget(x, "best_val_accuracy"))});
  }
  b.table(t, true);
  const json& sim = jarr(r, "simulated");
  if (!sim.empty()) {
    b.doc().heading("The same strategies on the V100 cifar100 trace (simulated)");
    b.doc().chart(svg(summary_bars("Search energy in optimal training runs", sim, "strategy", "search_energy_optimal_runs",
                                   "optimal training runs", false)),
                  "Energy each search spent, in units of one training run of the optimal configuration.");
    b.table(objects_table("Simulated searches", sim, Origin::simulated));
  }
  (void)o;
}

Report study_report(const nlohmann::json& result) {
  const json& r = result;
  std::string kind = jstr(r, "kind", "unknown");
  Origin o = origin_of(jstr(r, "energy_provenance", "missing"));
  Builder b("Study '" + jstr(r, "name", "?") + "': " + kind);
  study_facts(b, r);
  b.findings(jget(r, "findings"));
  bool main_set = true;
  if (kind == "regime") regime_body(b, r, o);
  else if (kind == "precision") precision_body(b, r);
  else if (kind == "superconvergence") superconvergence_body(b, r, o);
  else if (kind == "pretrain") pretrain_body(b, r, o);
  else if (kind == "multitask") multitask_body(b, r, o);
  else if (kind == "layers") layers_body(b, r, o);
  else if (kind == "search") search_body(b, r, o);
  else {
    main_set = false;
    if (jarr(r, "summary").size() > 0) b.table(objects_table("Summary", r["summary"], o));
  }
  b.doc().heading("Runs");
  b.table(runs_table(jarr(r, "runs")), !main_set);
  return b.take(r);
}

Report search_report(const StudyRecord& study, const std::vector<std::string>& trial_jsons) {
  json spec = json::parse(study.spec_json, nullptr, false);
  Origin origin = spec.is_object() && (spec.contains("simulate") || jstr(spec, "backend") == "zeus-trace") ? Origin::simulated
                                                                                                          : Origin::measured;
  std::vector<json> trials;
  for (const auto& t : trial_jsons) {
    json j = json::parse(t, nullptr, false);
    if (j.is_object()) trials.push_back(std::move(j));
  }
  std::vector<double> energy, metric;
  for (const auto& t : trials) {
    energy.push_back(jnum(t, "config_energy_j"));
    metric.push_back(jnum(t, "metric"));
  }
  std::vector<size_t> front = pareto_front(energy, metric);
  std::vector<bool> on_front(trials.size(), false);
  for (size_t i : front) on_front[i] = true;
  auto config_text = [](const json& t) {
    const json& c = jget(t, "config");
    std::string out;
    if (c.is_object()) {
      for (auto it = c.begin(); it != c.end(); ++it) {
        out += (out.empty() ? "" : ", ") + it.key() + "=" + (it->is_number() ? short_number(it->get<double>()) : jstr(c, it.key()));
      }
    }
    return out.empty() ? std::string("?") : out;
  };

  Builder b("Search '" + study.name + "'");
  std::vector<std::pair<std::string, std::string>> facts = {{"study", study.name}, {"kind", study.kind}, {"status", study_status_name(study.status)},
                                                            {"created", date_text(study.created_at_unix_s)}};
  if (spec.is_object()) {
    for (const char* k : {"backend", "strategy", "gpu", "workload", "simulate", "config_path"}) {
      if (spec.contains(k) && !spec[k].is_null()) facts.push_back({k, jstr(spec, k)});
    }
  }
  facts.push_back({"trials", std::to_string(trials.size())});
  double search_total = 0;
  bool total_known = !trials.empty();
  for (const auto& t : trials) {
    double e = jnum(t, "trial_energy_j");
    if (std::isfinite(e)) search_total += e; else total_known = false;
  }
  facts.push_back({"search energy", with_origin(format_energy_j(total_known ? search_total : NAN), origin) + " (" +
                                        origin_name(total_known ? origin : Origin::missing) + ")"});

  // Best: the lowest estimated energy to the target among the trials that reached it,
  // else among all, else the highest metric.
  int best = -1;
  for (int pass = 0; pass < 2 && best < 0; ++pass) {
    for (size_t i = 0; i < trials.size(); ++i) {
      if (pass == 0 && !(jget(trials[i], "reached_target").is_boolean() && trials[i]["reached_target"].get<bool>())) continue;
      double eta = jnum(trials[i], "config_eta_j");
      if (std::isfinite(eta) && (best < 0 || eta < jnum(trials[static_cast<size_t>(best)], "config_eta_j"))) best = static_cast<int>(i);
    }
  }
  if (best < 0) {
    for (size_t i = 0; i < trials.size(); ++i) {
      if (std::isfinite(metric[i]) && (best < 0 || metric[i] > metric[static_cast<size_t>(best)])) best = static_cast<int>(i);
    }
  }
  if (best >= 0) {
    const json& t = trials[static_cast<size_t>(best)];
    facts.push_back({"best configuration", config_text(t) + fmt::format(" (trial {}: metric {}, energy to target {}, config energy {})",
                                                                         cell("trial", jget(t, "trial")), format_number(jnum(t, "metric"), 4),
                                                                         with_origin(format_energy_j(jnum(t, "config_eta_j")), origin),
                                                                         with_origin(format_energy_j(jnum(t, "config_energy_j")), origin))});
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
    p.label = "trial " + cell("trial", jget(trials[i], "trial"));
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
  for (const auto& t : trials) if (std::isfinite(jnum(t, "search_energy_j"))) cmx = std::max(cmx, jnum(t, "search_energy_j"));
  EnergyScale cs = energy_scale(std::max(cmx, search_total));
  cum.y_label = std::string("search energy (") + cs.unit + ")";
  cum.y_from_zero = true;
  Series s;
  s.name = "search energy";
  s.origin = origin;
  double running = 0;
  for (size_t i = 0; i < trials.size(); ++i) {
    double e = jnum(trials[i], "trial_energy_j");
    running += std::isfinite(e) ? e : 0.0;
    double stored = jnum(trials[i], "search_energy_j");
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
  for (size_t i = 0; i < trials.size(); ++i) {
    const json& x = trials[i];
    t.rows.push_back({cell("trial", jget(x, "trial")), config_text(x), cell("budget", jget(x, "budget")),
                      cell("from_epoch", jget(x, "from_epoch")) + " -> " + cell("to_epoch", jget(x, "to_epoch")),
                      format_number(metric[i], 4), with_origin(format_energy_j(energy[i]), origin),
                      with_origin(format_energy_j(jnum(x, "config_eta_j")), origin),
                      with_origin(format_energy_j(jnum(x, "trial_energy_j")), origin),
                      with_origin(format_energy_j(jnum(x, "search_energy_j")), origin),
                      jget(x, "reached_target").is_boolean() && x["reached_target"].get<bool>() ? "reached" : "",
                      on_front[i] ? "front" : ""});
  }
  t.note = std::string("Energies are ") + origin_name(origin) + (origin == Origin::simulated ? " (replayed from recorded traces)." : ".");
  b.table(t, true);
  json data = {{"study", {{"name", study.name}, {"kind", study.kind}, {"status", study_status_name(study.status)}, {"spec", spec}}},
               {"trials", trials}};
  if (!study.result_json.empty()) data["result"] = json::parse(study.result_json, nullptr, false);
  return b.take(data);
}

Document run_document(const Store& store, int64_t run_id) { return run_report(store, run_id).document; }
Document study_document(const nlohmann::json& result) { return study_report(result).document; }
Document search_document(const StudyRecord& study, const std::vector<std::string>& trial_jsons) {
  return search_report(study, trial_jsons).document;
}

void write_file_atomic(const std::string& path, const std::string& text) {
  size_t slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  std::string tmpl = (slash == std::string::npos ? std::string("./") : path.substr(0, slash + 1)) + ".report-XXXXXX";
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  int fd = ::mkstemp(name.data());
  if (fd < 0) {
    throw ReportError("cannot write " + path + ": " + std::strerror(errno) + " (is " + dir + " an existing, writable directory?)");
  }
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(name.data());
      throw ReportError("cannot write " + path + ": " + std::strerror(err));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  ::fchmod(fd, 0644);
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int err = errno;
    ::unlink(name.data());
    throw ReportError("cannot write " + path + ": " + std::strerror(err));
  }
  if (::rename(name.data(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(name.data());
    throw ReportError("cannot write " + path + ": " + std::strerror(err));
  }
}

std::string write_study_report(const nlohmann::json& result, const std::string& path) {
  write_file_atomic(path, study_report(result).document.html());
  return path;
}

}  // namespace report
}  // namespace powertrain
