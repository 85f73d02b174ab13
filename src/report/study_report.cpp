// The report of a research study (`powertrain study`, docs/reports.md "Research study
// reports"): the parts every study shares, and the section of its kind
// (src/report/studies/<kind>.cpp) picked from its typed result.
#include <cmath>

#include <fmt/format.h>

#include "powertrain/report/reports.h"
#include "report/studies/sections.h"
#include "util/fs.h"

namespace powertrain {
namespace report {

namespace studies {

void begin(Builder& b, const StudyHeader& h, size_t runs) {
  const Origin o = origin_of(h.energy_provenance);
  std::vector<std::pair<std::string, std::string>> facts = {
      {"study", h.kind.empty() ? "?" : h.kind},
      {"name", h.name.empty() ? "n/a" : h.name},
      {"schema", h.schema.empty() ? "n/a" : h.schema},
  };
  if (!h.scale.name.empty()) facts.push_back({"scale", h.scale.name});
  if (h.seeds > 0) facts.push_back({"seeds", std::to_string(h.seeds)});
  if (h.threads > 0) facts.push_back({"threads", std::to_string(h.threads)});
  facts.push_back({"device", h.device.empty() ? "n/a" : h.device});
  facts.push_back({"runs", std::to_string(runs)});
  facts.push_back({"energy provenance", parts::provenance_text(h.energy_provenance)});
  facts.push_back({"energy of the whole study", energy_text(h.study_energy_j, o)});
  b.facts(facts);
  b.findings(h.findings);
}

void runs_section(Builder& b, const std::vector<std::string>& label_columns, const std::vector<bool>& label_numeric,
                  const std::vector<RunLine>& lines) {
  Table t;
  t.title = "Runs";
  t.columns = {"#"};
  t.numeric = {true};
  for (size_t i = 0; i < label_columns.size(); ++i) {
    t.columns.push_back(label_columns[i]);
    t.numeric.push_back(i < label_numeric.size() && label_numeric[i]);
  }
  for (const char* c : {"status", "epochs", "best val acc", "test acc", "energy", "energy/epoch", "time", "power", "provenance", "run"}) {
    t.columns.push_back(c);
    t.numeric.push_back(std::string(c) != "status" && std::string(c) != "provenance");
  }
  for (const auto& line : lines) {
    const RunRow& r = *line.run;
    const Origin o = origin_of(r.energy_provenance);
    std::vector<std::string> row = {std::to_string(r.seq)};
    row.insert(row.end(), line.labels.begin(), line.labels.end());
    row.push_back(r.status ? run_status_name(*r.status) : "n/a");
    row.push_back(std::to_string(r.epochs));
    row.push_back(number_text(r.best_val_accuracy));
    row.push_back(number_text(r.test_accuracy));
    row.push_back(energy_text(r.energy_j, o));
    row.push_back(energy_text(r.energy_per_epoch_j, o));
    row.push_back(format_duration_s(r.duration_s));
    row.push_back(format_power_w(r.avg_power_w));
    row.push_back(provenance_name(r.energy_provenance));
    row.push_back(r.run_id > 0 ? std::to_string(r.run_id) : "n/a");
    t.rows.push_back(row);
  }
  t.note = "Energies are training energies (sum of the epochs); \"(est.)\" = estimated from a model, \"n/a\" = unknown. "
           "`powertrain report RUN` shows one run.";
  b.doc().heading("Runs");
  b.table(t);
}


std::string energy_text(double energy_j, Origin origin) {
  return std::isfinite(energy_j) ? with_origin(format_energy_j(energy_j), origin) : "n/a";
}

std::string number_text(double v) { return format_number(v, 4); }

std::string epochs_text(double epochs) { return parts::short_number(epochs); }

std::string plus_minus(const Stat& s, std::string (*format)(double), Origin origin) {
  if (!std::isfinite(s.mean)) return "n/a";
  std::string out = format(s.mean);
  if (std::isfinite(s.std)) out += " ± " + format(s.std);
  return with_origin(out, origin);
}

std::string to_target_text(const Stat& s, const TargetStats& t, int64_t runs, std::string (*format)(double), Origin origin) {
  std::string out = plus_minus(s, format, origin);
  if (t.target_reached_runs < runs) out += fmt::format(" ({}/{} runs)", t.target_reached_runs, runs);
  return out;
}

BarChart stat_bars(const std::string& title, const std::string& value_label, const std::vector<std::string>& labels,
                   const std::vector<Stat>& values, const std::vector<Origin>& origins, bool energy) {
  BarChart b;
  b.title = title;
  b.value_label = value_label;
  for (size_t i = 0; i < labels.size() && i < values.size(); ++i) {
    const Stat& s = values[i];
    b.labels.push_back(labels[i]);
    b.values.push_back(s.mean);
    b.origins.push_back(!std::isfinite(s.mean) ? Origin::missing : energy && i < origins.size() ? origins[i] : Origin::measured);
    std::string text = energy ? format_energy_j(s.mean) : parts::short_number(s.mean);
    if (std::isfinite(s.mean) && std::isfinite(s.std)) text += " ± " + (energy ? format_energy_j(s.std) : parts::short_number(s.std));
    b.value_text.push_back(text);
  }
  return b;
}

namespace {

// Picks the section of the result's kind.
struct Section {
  Builder& b;
  void operator()(const RegimeResult& r) const { regime_section(b, r); }
  void operator()(const PrecisionResult& r) const { precision_section(b, r); }
  void operator()(const SuperconvergenceResult& r) const { superconvergence_section(b, r); }
  void operator()(const PretrainResult& r) const { pretrain_section(b, r); }
  void operator()(const MultitaskResult& r) const { multitask_section(b, r); }
  void operator()(const SearchResult& r) const { search_section(b, r); }
  void operator()(const LayersResult& r) const { layers_section(b, r); }
  void operator()(const RecipeResult& r) const { recipe_section(b, r); }
  void operator()(const UnknownStudyResult& r) const {
    begin(b, r.header, 0);
    b.doc().paragraph("This version of powertrain has no report section for studies of kind '" + r.header.kind +
                      "'; `powertrain report NAME --format json` shows the stored result.");
  }
};

}  // namespace

}  // namespace studies

Report study_report(const AnyStudyResult& result) {
  const StudyHeader& h = study_header(result);
  parts::Builder b("Study '" + (h.name.empty() ? std::string("?") : h.name) + "': " + (h.kind.empty() ? std::string("unknown") : h.kind));
  std::visit(studies::Section{b}, result);
  return b.take(nlohmann::json(result));
}

Document study_document(const AnyStudyResult& result) { return study_report(result).document; }

std::string write_study_report(const AnyStudyResult& result, const std::string& path) {
  try {
    util::write_file_atomic(path, study_report(result).document.html());
  } catch (const util::FileError& e) {
    throw ReportError(e.what());
  }
  return path;
}

}  // namespace report
}  // namespace powertrain
