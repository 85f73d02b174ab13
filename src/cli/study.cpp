// `powertrain study KIND`: reproduce one of the research's experiments (the kinds of the
// study registry) on this machine; print its report's tables, store it, write its report.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <atomic>
#include <iostream>
#include <memory>
#include <optional>

#include "cli/commands.h"
#include "cli/output.h"
#include "powertrain/report/reports.h"
#include "powertrain/store/store.h"
#include "powertrain/study/registry.h"
#include "powertrain/train/config.h"

namespace powertrain::cli {

namespace {

struct StudyCliOptions {
  std::string kind;
  StudyOptions common;        // bound to the flags every study takes
  StudyKindOptions per_kind;  // bound to the first study that takes a flag; copied to the others below
  SensorOptions sensors;
  std::string db;
  bool no_store = false;
  std::string json_path;
  bool quiet = false;
  std::string report;         // HTML report path ("" = STUDY-NAME.html)
  bool no_report = false;
};

std::string command_line(const StudyCliOptions& o) {
  std::string c = "powertrain study " + o.kind + " --scale " + o.common.scale;
  if (o.common.seeds > 0) c += " --seeds " + std::to_string(o.common.seeds);
  for (const auto& s : o.common.overrides) c += " --set " + s;
  return c;
}

int run_study_command(const StudyCliOptions& o) {
  const std::string who = "powertrain study " + o.kind;
  int code = 0;
  if (!check_output_option(who.c_str(), "--json", o.json_path, code)) return code;
  // The report's directory is checked before the study trains, not after it.
  if (!o.no_report && !check_output_option(who.c_str(), "--report", o.report.empty() ? "./NAME.html" : o.report, code))
    return code;
  std::optional<Store> store;
  std::string db = store_path(o.db);
  if (!open_store(who, db, o.no_store, store)) return 2;

  StudyOptions so = o.common;
  so.sensors = discover_options(o.sensors);
  so.command = command_line(o);
  if (!o.quiet) so.say = [](const std::string& line) { std::cerr << line << "\n"; };
  // Each flag goes to the studies that take it (docs/studies.md).
  StudyKindOptions per_kind = o.per_kind;
  per_kind.search.batch_sizes = per_kind.regime.batch_sizes;
  per_kind.search.learning_rates = per_kind.regime.learning_rates;
  per_kind.recipe.batch_sizes = per_kind.regime.batch_sizes;
  per_kind.recipe.max_lrs = per_kind.regime.learning_rates;  // recipe: the one-cycle's peak
  per_kind.superconvergence.target = per_kind.search.target = per_kind.precision.target;
  if (std::isfinite(per_kind.precision.target)) per_kind.recipe.target = per_kind.precision.target;  // recipe: test accuracy

  auto stop_signal = std::make_unique<StopOnSignal>();  // until the training ends (also on error returns)
  so.stop_requested = stop_signal->stop_requested();
  std::optional<AnyStudyResult> result;
  try {
    result = run_study(o.kind, so, per_kind, store ? &*store : nullptr);
  } catch (const StudyInterrupted& e) {
    std::cerr << who << ": " << e.what() << "\n";
    return StopOnSignal::exit_code();
  } catch (const StudyError& e) {
    std::cerr << who << ": " << e.what() << "\n";
    return 2;
  } catch (const ConfigError& e) {
    std::cerr << who << ": " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << who << ": " << e.what() << "\n";
    return 1;
  }
  stop_signal.reset();  // restore SIGINT and SIGTERM before printing

  // With --json - the JSON owns stdout, so the tables go to stderr.
  const bool json_on_stdout = o.json_path == "-";
  const StudyHeader& header = study_header(*result);
  if (!o.quiet || !json_on_stdout) {
    std::string text = "\n" + report::study_report(*result).text();
    if (store) text += fmt::format("stored as study '{}' (id {}) in {}\n", header.name, header.study_id, db);
    (json_on_stdout ? std::cerr : std::cout) << text;
  }
  if (!o.json_path.empty()) {
    std::string err;
    if (!write_output(o.json_path, nlohmann::json(*result).dump(2) + "\n", err)) {
      std::cerr << who << ": " << err << "\n";
      return 1;
    }
  }
  // Every study ends with its report: charts and tables in one self-contained HTML file.
  if (!o.no_report) {
    std::string path = o.report.empty() ? (header.name.empty() ? o.kind : header.name) + ".html" : o.report;
    try {
      report::write_study_report(*result, path);
      (json_on_stdout ? std::cerr : std::cout) << "report written to " << path << "\n";
    } catch (const std::exception& e) {
      std::cerr << who << ": the study is stored, but its report could not be written: " << e.what()
                << " (write it later with: powertrain report " << header.name << ")\n";
      return 1;
    }
  }
  return 0;
}

}  // namespace

void add_study_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<StudyCliOptions>();
  std::string kinds, kind_lines;
  for (const auto& k : study_kinds()) {
    kinds += (kinds.empty() ? "" : ", ") + k.name;
    kind_lines += "\n  " + k.name + ": " + k.description;
  }
  CLI::App* cmd = app.add_subcommand("study", "Reproduce a research experiment on this machine: " + kinds + " (docs/studies.md)");
  cmd->add_option("kind", o->kind, "the study, one of:" + kind_lines)->required()->check(CLI::IsMember(study_kind_names()));
  cmd->add_option("--scale", o->common.scale, "tiny (seconds), small (minutes on a CPU; default), full (research scale, GPU)")
      ->check(CLI::IsMember({"tiny", "small", "full"}));
  cmd->add_option("--seeds", o->common.seeds, "repetitions of every run (default: the scale's)")->check(CLI::Range(1, 100));
  cmd->add_option("--data", o->common.data_path, "Fashion-MNIST directory (idx files; default /usr/share/datasets/fashion-mnist)");
  cmd->add_option("--db", o->db, "run store (SQLite file; default ./powertrain.db, env POWERTRAIN_DB)");
  cmd->add_flag("--no-store", o->no_store, "do not store the study or its runs");
  cmd->add_option("--name", o->common.name, "study name in the store (default KIND-DATE-TIME)");
  cmd->add_option("--json", o->json_path, "write the result as JSON to FILE ('-' for stdout)");
  cmd->add_option("--threads", o->common.threads, "LibTorch CPU threads (default min(2, CPUs))")->check(CLI::Range(1, 1024));
  cmd->add_option("--set", o->common.overrides, "override a key of every run's config, e.g. --set model.type=cnn (repeatable)");
  cmd->add_option("--batch-sizes", o->per_kind.regime.batch_sizes, "regime, search, recipe: batch sizes (default 64,256,1024,4096; search, recipe: the scale's)")->delimiter(',');
  cmd->add_option("--lrs", o->per_kind.regime.learning_rates, "regime, search: learning rates (default 0.1,0.01,0.001,0.0001; search: the scale's); recipe: one-cycle peaks")->delimiter(',');
  cmd->add_option("--tolerance", o->per_kind.precision.tolerance, "precision: accuracy loss vs fp32 that is flagged (absolute; default 0.01)")
      ->check(finite_range(0.0, 1.0));
  cmd->add_option("--target", o->per_kind.precision.target, "precision, superconvergence, search: target validation accuracy (default derived); recipe: target test accuracy (default 0.9)")
      ->check(finite_range(0.0, 1.0));
  cmd->add_option("--report", o->report, "write the HTML report here (default NAME.html in this directory)");
  cmd->add_flag("--no-report", o->no_report, "write no HTML report");
  cmd->add_option("--traces", o->per_kind.search.trace_dir, "search: also run the strategies on the Zeus GPU traces in DIR (e.g. ../shared/data/zeus-nsdi23)");
  cmd->add_option("--alpha", o->per_kind.multitask.alpha, "multitask: weight of the auxiliary task's loss (default 0.5)")->check(finite_range(1e-9, 1e6));
  cmd->add_flag("-q,--quiet", o->quiet, "print no progress (and no tables when --json -)");
  cmd->add_flag("-v,--verbose", o->common.verbose, "also print each run's setup (data, model, device)");
  add_sensor_options(cmd, o->sensors);
  cmd->callback([o, &exit_code] { exit_code = run_study_command(*o); });
}

}  // namespace powertrain::cli
