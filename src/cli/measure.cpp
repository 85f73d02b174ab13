// `powertrain measure -- CMD ARGS...`: run any command, measure its energy, store the run.
#include <CLI/CLI.hpp>

#include <cmath>
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "powertrain/energy/carbon.h"
#include "powertrain/interop/run_json.h"
#include "powertrain/measure/command.h"
#include "powertrain/report/measurement.h"
#include "powertrain/store/store.h"

namespace powertrain::cli {

namespace {

struct MeasureOptions {
  CommandOptions run;             // --name, --idle-baseline-s, --pue, --sample-bucket-s bind here
  SensorOptions sensors;
  std::vector<std::string> command;
  std::string db;                 // --db
  bool no_store = false;
  double interval_ms = 100;
  GridChoice grid;                // --grid, --carbon-table, --grid-g-per-kwh
  std::string json_path;
  std::string csv_path;
  bool quiet = false;
};

int fail(const std::string& msg) {
  std::cerr << "powertrain measure: " << msg << "\n";
  return 2;
}

int run_measure(const MeasureOptions& o) {
  // 1. Check everything before anything is written or started.
  if (o.command.empty()) return fail("no command given. Usage: powertrain measure [OPTIONS] -- CMD [ARGS...]");
  if (resolve_command(o.command[0]).empty()) {
    std::cerr << "powertrain measure: cannot run '" << o.command[0] << "': not found or not executable (check the name and PATH)\n";
    return 127;
  }
  int code = 0;
  if (!check_output_option("powertrain measure", "--json", o.json_path, code) ||
      !check_output_option("powertrain measure", "--csv", o.csv_path, code)) {
    return code;
  }
  CommandOptions c = o.run;
  try {
    c.grid = resolve_grid(o.grid);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  c.argv = o.command;
  c.interval_s = o.interval_ms / 1000.0;
  c.sensors = discover_options(o.sensors);
  c.say = [&](const std::string& m) { if (!o.quiet || m.find("idle baseline") == std::string::npos) std::cerr << "powertrain: " << m << "\n"; };
  try {
    discover_sources(c.sensors);  // a bad replay file is bad input, found before the store is opened
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  std::optional<Store> store;
  const std::string db = store_path(o.db);
  if (!open_store("powertrain measure", db, o.no_store, store)) return 2;
  c.store = store ? &*store : nullptr;

  // 2. Run and measure it.
  CommandResult r;
  try {
    r = measure_command(c);
  } catch (const CommandError& e) {
    std::cerr << "powertrain measure: " << e.what() << "\n";
    return 127;
  } catch (const std::exception& e) {
    return fail(e.what());
  }

  // 3. Print and write.
  if (!o.quiet) std::cerr << report::command_summary_text(c, r, db) << std::flush;
  std::string err;
  if (!o.json_path.empty()) {
    nlohmann::json j = command_result_json(c, r, store ? db : "");
    if (!write_output(o.json_path, j.dump(2) + "\n", err)) std::cerr << "powertrain: " << err << "\n";
  }
  if (!o.csv_path.empty() && !write_output(o.csv_path, report::measurement_csv(r.measurement, r.run_id, r.exit_code), err)) {
    std::cerr << "powertrain: " << err << "\n";
  }
  return r.exit_code;
}

}  // namespace

void add_measure_command(CLI::App& app, int& exit_code, const Trailing& trailing) {
  auto opt = std::make_shared<MeasureOptions>();
  CLI::App* cmd = app.add_subcommand("measure", "Run a command and measure the energy it uses (e.g. powertrain measure -- python train.py)");
  add_sensor_options(cmd, opt->sensors);
  cmd->add_option("--db", opt->db, "run store (SQLite file; default ./powertrain.db, env POWERTRAIN_DB)");
  cmd->add_flag("--no-store", opt->no_store, "do not store the run");
  cmd->add_option("--name", opt->run.name, "name of the run (default: the command; for an interpreter such as python3, its script)");
  cmd->add_option("--interval-ms", opt->interval_ms, "sampling interval in ms (default 100)");
  cmd->add_option("--idle-baseline-s", opt->run.idle_baseline_s, "measure the machine at rest for this many s first, to split static from dynamic energy");
  cmd->add_option("--grid", opt->grid.code, "grid for CO2e: ISO country code (default WORLD; env POWERTRAIN_GRID; see 'powertrain grids')");
  cmd->add_option("--grid-g-per-kwh", opt->grid.g_per_kwh, "carbon intensity in g CO2e/kWh, overriding the table");
  cmd->add_option("--carbon-table", opt->grid.table_path, "CSV table of grid intensities (code,name,g_per_kwh,source,year)")->check(CLI::ExistingFile);
  cmd->add_option("--pue", opt->run.pue, "data-centre power usage effectiveness (default 1.0; Carbontracker uses 1.58)");
  cmd->add_option("--json", opt->json_path, "write the measurement as JSON to FILE ('-' for stdout)");
  cmd->add_option("--csv", opt->csv_path, "write the measurement as CSV to FILE ('-' for stdout)");
  cmd->add_option("--sample-bucket-s", opt->run.sample_bucket_s, "stored power samples are averaged over buckets of this many s (default 1)");
  cmd->add_flag("--no-events", [opt](int64_t) { opt->run.events = false; },
                "do not open the event channel (POWERTRAIN_EVENTS_FD) through which the command can report its own windows and epochs");
  cmd->add_flag("-q,--quiet", opt->quiet, "print no summary");
  cmd->prefix_command();  // everything from the command's name on belongs to the command
  cmd->footer("Everything after -- (or from the first non-option word on) is the command and its arguments.");
  cmd->callback([opt, cmd, &exit_code, &trailing] {
    // `powertrain measure [OPTIONS] -- CMD ARGS`: main() cut the words after `--` off;
    // `powertrain measure [OPTIONS] CMD ARGS`: CLI11 leaves them in remaining().
    // When the command began before the `--`, that `--` is one of its own arguments.
    opt->command = cmd->remaining();
    if (!opt->command.empty() && opt->command[0].size() > 1 && opt->command[0][0] == '-') {
      std::cerr << "powertrain measure: unknown option '" << opt->command[0]
                << "'. Run 'powertrain measure --help' for the options; put the command after --\n";
      exit_code = 2;
      return;
    }
    if (!opt->command.empty() && trailing.present) opt->command.push_back("--");
    opt->command.insert(opt->command.end(), trailing.words.begin(), trailing.words.end());
    const char* who = "powertrain measure";
    if (!check_number(who, "--interval-ms", opt->interval_ms, 1, 60000, exit_code) ||
        !check_number(who, "--idle-baseline-s", opt->run.idle_baseline_s, 0, 3600, exit_code) ||
        !check_number(who, "--pue", opt->run.pue, 1, 3, exit_code) ||
        !check_number(who, "--sample-bucket-s", opt->run.sample_bucket_s, 0, 3600, exit_code) ||
        (cmd->count("--grid-g-per-kwh") > 0 && !check_number(who, "--grid-g-per-kwh", opt->grid.g_per_kwh, 0, 2000, exit_code))) {
      return;
    }
    exit_code = run_measure(*opt);
  });
}

}  // namespace powertrain::cli
