// `powertrain report RUN|STUDY`: a stored run, research study or search study as an HTML
// report (charts and tables), Markdown, CSV (the main table) or JSON. The work is in
// src/report/ (run_report.cpp, search_report.cpp, study_report.cpp); this resolves the
// target and writes the output.
#include <CLI/CLI.hpp>
#include <sys/stat.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>

#include "cli/commands.h"
#include "cli/output.h"
#include "powertrain/report/reports.h"
#include "powertrain/store/store.h"
#include "powertrain/study/results.h"

namespace powertrain::cli {

namespace {

struct ReportOptions {
  std::string target;     // run id or study name
  std::string format;     // html, md, csv, json, text; empty = from --out, else text + HTML file
  std::string out;        // output file, "-" = stdout
  std::string db;         // run store; default ./powertrain.db, env POWERTRAIN_DB
};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool all_digits(const std::string& s) {
  if (s.empty() || s.size() > 18) return false;
  for (char c : s) if (c < '0' || c > '9') return false;
  return true;
}

// Returns a file name for `target`: letters, digits, '.', '-' and '_' kept, others '_'.
std::string file_stem(const std::string& target) {
  std::string out;
  for (char c : target) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    out += ok ? c : '_';
  }
  if (out.empty() || out[0] == '.') out = "_" + out;
  return out;
}

std::string existing_targets(const Store& store) {
  std::string runs, studies;
  for (const auto& r : store.runs(5)) runs += (runs.empty() ? "" : ", ") + std::to_string(r.id);
  for (const auto& s : store.studies(5)) studies += (studies.empty() ? "" : ", ") + s.name + " (" + s.kind + ")";
  return "newest runs: " + (runs.empty() ? std::string("none") : runs) + "; studies: " + (studies.empty() ? std::string("none") : studies);
}

int report_main(ReportOptions o) {
  std::string db = store_path(o.db);
  // The format: given, or from --out's extension, or (neither) text on stdout plus HTML.
  bool text_and_html = false;
  if (o.format.empty()) {
    if (o.out.empty()) text_and_html = true;
    else if (ends_with(o.out, ".md")) o.format = "md";
    else if (ends_with(o.out, ".csv")) o.format = "csv";
    else if (ends_with(o.out, ".json")) o.format = "json";
    else if (ends_with(o.out, ".txt") || o.out == "-") o.format = "text";
    else o.format = "html";
  }
  const std::string stem = "report-" + file_stem(o.target);
  if (text_and_html) o.out = stem + ".html";
  else if (o.out.empty()) o.out = o.format == "html" ? stem + ".html" : "-";
  if (std::string why = check_output_path(o.out); !why.empty()) {
    std::cerr << "powertrain report: --out " << o.out << ": " << why << "\n";
    return 2;
  }

  struct stat st;
  if (::stat(db.c_str(), &st) != 0) {
    std::cerr << "powertrain report: no run store at " << db
              << " (pass --db PATH, or set POWERTRAIN_DB, to the file `powertrain measure`/`train`/`tune`/`study` wrote)\n";
    return 2;
  }
  report::Report rep;
  try {
    Store store = Store::open(db);
    std::optional<StudyRecord> study;
    bool is_run = false;
    if (all_digits(o.target)) {
      is_run = store.run(std::stoll(o.target)).has_value();
      if (!is_run) study = store.study(o.target);
      if (!is_run && !study) {
        std::cerr << "powertrain report: no run with id " << o.target << " in " << db << " (check the id and --db; "
                  << existing_targets(store) << ")\n";
        return 2;
      }
    } else {
      study = store.study(o.target);
      if (!study) {
        std::cerr << "powertrain report: no study named '" << o.target << "' in " << db << " (check the name and --db; "
                  << existing_targets(store) << ")\n";
        return 2;
      }
    }
    if (is_run) {
      rep = report::run_report(store, std::stoll(o.target));
    } else if (study->kind == "tune") {
      rep = report::search_report(*study, store.trials(study->id));
    } else {
      if (study->result_json.empty()) {
        std::cerr << "powertrain report: study '" << study->name << "' (" << study->kind << ") has no result yet (status "
                  << study_status_name(study->status) << "): its report is written when it finishes; its runs have reports of their own "
                  << "(powertrain report RUN_ID)\n";
        return 2;
      }
      std::optional<AnyStudyResult> result = study_result_of(*study);
      if (!result) {
        std::cerr << "powertrain report: study '" << study->name << "' has a result that is not valid JSON in " << db << "\n";
        return 1;
      }
      rep = report::study_report(*result);
    }
  } catch (const StoreError& e) {
    std::cerr << "powertrain report: " << e.what() << "\n";
    return 2;
  } catch (const report::ReportError& e) {
    std::cerr << "powertrain report: " << e.what() << "\n";
    return 2;
  }

  std::string text;
  if (text_and_html || o.format == "html") text = rep.document.html();
  else if (o.format == "md") text = rep.document.markdown();
  else if (o.format == "csv") text = rep.tables.empty() ? std::string() : report::csv(rep.tables.front());
  else if (o.format == "json") text = rep.data.dump(2) + "\n";
  else text = rep.text();
  std::string err;
  if (!write_output(o.out, text, err)) {
    std::cerr << "powertrain report: " << err << "\n";
    return 2;
  }
  if (text_and_html) {
    std::cout << rep.text();
    std::cerr << "powertrain report: wrote " << o.out << " (charts and tables; open it in a browser)\n";
  } else if (o.out != "-") {
    std::cerr << "powertrain report: wrote " << o.out << "\n";
  }
  return 0;
}

}  // namespace

void add_report_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ReportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "report",
      "Report a stored run or study: charts and tables as one HTML file, or Markdown, CSV, JSON. Without --format and --out, "
      "prints the tables and writes report-TARGET.html");
  cmd->add_option("target", o->target, "run id (as `powertrain measure`/`train` print it) or study name")->required();
  cmd->add_option("--format", o->format,
                  "html (one self-contained file), md, csv (the main table), json (the stored run or study result) or text; "
                  "default from --out's extension (html otherwise)")
      ->check(CLI::IsMember({"html", "md", "csv", "json", "text"}));
  cmd->add_option("--out", o->out, "output file, '-' for stdout; written whole or not at all (default report-TARGET.html for html, "
                                   "stdout otherwise)");
  cmd->add_option("--db", o->db, "run store (SQLite file; default ./powertrain.db, env POWERTRAIN_DB)");
  cmd->callback([o, &exit_code] { exit_code = report_main(*o); });
}

}  // namespace powertrain::cli
