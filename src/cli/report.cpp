// `powertrain report RUN|STUDY`: a stored run, research study or search study as an HTML
// report (charts and tables), Markdown, CSV (the main table) or JSON. The work is in
// src/report/ (report_of.cpp finds what the target names); this writes the output.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>

#include "cli/commands.h"
#include "cli/output.h"
#include "powertrain/report/reports.h"
#include "powertrain/store/store.h"

namespace powertrain::cli {

namespace {

struct ReportOptions {
  std::string target;     // run id or study name
  std::string format;     // html, md, csv, json, text; empty = from --out, else text + HTML file
  std::string out;        // output file, "-" = stdout
  std::string db;         // run store; default ./powertrain.db, env POWERTRAIN_DB
};

int report_main(ReportOptions o) {
  const char* who = "powertrain report";
  // The format: given, or from --out's extension, or (neither) text on stdout plus HTML.
  const bool text_and_html = o.format.empty() && o.out.empty();
  if (o.format.empty()) o.format = text_and_html ? "html" : report::format_for_path(o.out);
  if (o.out.empty()) o.out = o.format == "html" ? report::default_report_path(o.target) : "-";
  int code = 0;
  if (!check_output_option(who, "--out", o.out, code)) return code;
  std::optional<Store> store = open_existing_store(who, store_path(o.db));
  if (!store) return 2;
  report::Report rep;
  try {
    rep = report::report_of(*store, o.target);
  } catch (const std::exception& e) {  // ReportError (what the target names) or StoreError
    std::cerr << who << ": " << e.what() << "\n";
    return 2;
  }
  if (std::string err; !write_output(o.out, report::render(rep, o.format), err)) {
    std::cerr << who << ": " << err << "\n";
    return 2;
  }
  if (text_and_html) {
    std::cout << rep.text();
    std::cerr << who << ": wrote " << o.out << " (charts and tables; open it in a browser)\n";
  } else if (o.out != "-") {
    std::cerr << who << ": wrote " << o.out << "\n";
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
