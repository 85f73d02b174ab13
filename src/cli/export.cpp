// `powertrain export`: a stored run as CodeCarbon's emissions.csv or JSON, a stored study
// as an Optuna storage file. The work is in the interop module; this parses and reports.
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/output.h"
#include "powertrain/interop/codecarbon.h"
#include "powertrain/interop/optuna.h"
#include "powertrain/interop/run_json.h"
#include "powertrain/store/store.h"

namespace powertrain::cli {

namespace {

struct ExportOptions {
  std::string db;                 // run store; default ./powertrain.db, env POWERTRAIN_DB
  int64_t run_id = 0;
  std::string format = "codecarbon";
  std::string out = "-";
  std::string project_name = "powertrain";
  std::string experiment_id;
  std::string study;
  std::string optuna;
  std::string objective = "metric-energy";
  std::string metric_direction = "auto";
  bool force = false;
};

int export_run(const ExportOptions& o) {
  if (std::string why = check_output_path(o.out); !why.empty()) {
    std::cerr << "powertrain export run: --out " << o.out << ": " << why << "\n";
    return 2;
  }
  std::string db = store_path(o.db);
  std::optional<Store> store = open_existing_store("powertrain export run", db);
  if (!store) return 2;
  std::optional<RunExport> run;
  try {
    run = run_export_load(*store, o.run_id);
  } catch (const StoreError& e) {
    std::cerr << "powertrain export run: " << e.what() << "\n";
    return 2;
  }
  if (!run) {
    std::string ids;
    for (const auto& r : store->runs(5)) ids += (ids.empty() ? "" : ", ") + std::to_string(r.id);
    std::cerr << "powertrain export run: no run with id " << o.run_id << " in " << db << " (check the id and --db; "
              << (ids.empty() ? std::string("the store has no runs") : "its newest runs: " + ids) << ")\n";
    return 2;
  }
  std::string text;
  if (o.format == "codecarbon") {
    CodeCarbonOptions cc = CodeCarbonOptions().project_name(o.project_name).experiment_id(o.experiment_id);
    text = codecarbon_csv(*run, cc);
    for (const auto& c : codecarbon_row(*run, cc).caveats) {
      std::cerr << "powertrain export run: note: " << c << " (emissions.csv has no provenance column; "
                << "--format json keeps it)\n";
    }
  } else {
    text = run_json(*run).dump(2) + "\n";
  }
  std::string err;
  if (!write_output(o.out, text, err)) {
    std::cerr << "powertrain export run: " << err << "\n";
    return 1;
  }
  return 0;
}

int export_study(const ExportOptions& o) {
  std::string db = store_path(o.db);
  std::optional<Store> store = open_existing_store("powertrain export study", db);
  if (!store) return 2;
  OptunaExportOptions opt;
  opt.objective(o.objective == "loss" ? OptunaObjective::loss : OptunaObjective::metric_energy).replace(o.force);
  if (o.metric_direction != "auto") opt.maximize_metric(o.metric_direction == "maximize");
  try {
    OptunaExportResult r = optuna_export_study(*store, o.study, o.optuna, opt);
    std::cerr << "powertrain export study: " << optuna_export_text(r, o.study, o.optuna);
  } catch (const std::exception& e) {  // InteropError, StoreError
    std::cerr << "powertrain export study: " << e.what() << "\n";
    return 2;
  }
  return 0;
}

}  // namespace

void add_export_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ExportOptions>();
  CLI::App* cmd = app.add_subcommand("export", "Export a stored run (CodeCarbon emissions.csv, JSON) or study (Optuna storage)");
  cmd->require_subcommand(1);

  CLI::App* run = cmd->add_subcommand("run", "Export run ID as CodeCarbon's emissions.csv row or as JSON");
  run->add_option("id", o->run_id, "run id (as `powertrain measure` prints it)")->required()->check(CLI::PositiveNumber);
  run->add_option("--format", o->format, "codecarbon (emissions.csv: header and one row) or json (powertrain.run/1); default codecarbon")
      ->check(CLI::IsMember({"codecarbon", "json"}));
  run->add_option("--out", o->out, "output file, '-' for stdout (default); written whole or not at all");
  run->add_option("--db", o->db, "run store (SQLite file; default ./powertrain.db, env POWERTRAIN_DB)");
  run->add_option("--project-name", o->project_name, "CodeCarbon's project_name column (default powertrain)");
  run->add_option("--experiment-id", o->experiment_id, "CodeCarbon's experiment_id column (default empty)");
  run->callback([o, &exit_code] { exit_code = export_run(*o); });

  CLI::App* study = cmd->add_subcommand("study", "Export study NAME into a new Optuna storage file (SQLite)");
  study->add_option("name", o->study, "study name (as `powertrain tune` prints it)")->required();
  study->add_option("--optuna", o->optuna, "the Optuna storage file to create (open with storage=\"sqlite:///FILE\")")->required();
  study->add_option("--db", o->db, "run store (SQLite file; default ./powertrain.db, env POWERTRAIN_DB)");
  study->add_option("--objective", o->objective,
                    "metric-energy (two objectives: the metric and the config's energy in J; default) or loss (the loss the "
                    "strategy minimised)")
      ->check(CLI::IsMember({"metric-energy", "loss"}));
  study->add_option("--metric-direction", o->metric_direction, "auto (from the study's definition; default), maximize or minimize")
      ->check(CLI::IsMember({"auto", "maximize", "minimize"}));
  study->add_flag("--force", o->force, "replace the file if it exists");
  study->callback([o, &exit_code] { exit_code = export_study(*o); });
}

}  // namespace powertrain::cli
