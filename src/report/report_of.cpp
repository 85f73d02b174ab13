// `powertrain report TARGET`: which stored run or study a target names, and the report's
// text in each format.
#include <string>

#include "powertrain/report/reports.h"

namespace powertrain {
namespace report {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool all_digits(const std::string& s) {
  if (s.empty() || s.size() > 18) return false;
  for (char c : s) if (c < '0' || c > '9') return false;
  return true;
}

std::string existing_targets(const Store& store) {
  std::string runs, studies;
  for (const auto& r : store.runs(5)) runs += (runs.empty() ? "" : ", ") + std::to_string(r.id);
  for (const auto& s : store.studies(5)) studies += (studies.empty() ? "" : ", ") + s.name + " (" + s.kind + ")";
  return "newest runs: " + (runs.empty() ? std::string("none") : runs) + "; studies: " + (studies.empty() ? std::string("none") : studies);
}

}  // namespace

Report report_of(const Store& store, const std::string& target) {
  if (all_digits(target) && store.run(std::stoll(target))) return run_report(store, std::stoll(target));
  std::optional<StudyRecord> study = store.study(target);
  if (!study) {
    throw ReportError((all_digits(target) ? "no run with id " + target : "no study named '" + target + "'") + " in " + store.path() +
                      " (check it and --db; " + existing_targets(store) + ")");
  }
  if (study->kind == "tune") return search_report(*study, store.trials(study->id));
  if (study->result_json.empty()) {
    throw ReportError("study '" + study->name + "' (" + study->kind + ") has no result yet (status " + study_status_name(study->status) +
                      "): its report is written when it finishes; its runs have reports of their own (powertrain report RUN_ID)");
  }
  std::optional<AnyStudyResult> result = study_result_of(*study);
  if (!result) throw ReportError("study '" + study->name + "' has a result that is not valid JSON in " + store.path());
  return study_report(*result);
}

std::string render(const Report& report, const std::string& format) {
  if (format == "html") return report.document.html();
  if (format == "md") return report.document.markdown();
  if (format == "csv") return report.tables.empty() ? std::string() : csv(report.tables.front());
  if (format == "json") return report.data.dump(2) + "\n";
  if (format == "text") return report.text();
  throw ReportError("unknown report format '" + format + "': use html, md, csv, json or text");
}

std::string format_for_path(const std::string& path) {
  if (ends_with(path, ".md")) return "md";
  if (ends_with(path, ".csv")) return "csv";
  if (ends_with(path, ".json")) return "json";
  if (ends_with(path, ".txt") || path == "-") return "text";
  return "html";
}

std::string default_report_path(const std::string& target) {
  std::string out;
  for (char c : target) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    out += ok ? c : '_';
  }
  if (out.empty() || out[0] == '.') out = "_" + out;
  return "report-" + out + ".html";
}

}  // namespace report
}  // namespace powertrain
