// `powertrain train CONFIG` and `powertrain lr-find CONFIG`: train one model (or sweep the
// learning rate) with energy per epoch, and store the run.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <atomic>
#include <iostream>
#include <memory>
#include <optional>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/progress.h"
#include "powertrain/store/store.h"
#include "powertrain/train/summary.h"
#include "powertrain/train/trainer.h"

namespace powertrain::cli {

namespace {

struct TrainOptions {
  SensorOptions sensors;
  std::string config;
  std::vector<std::string> overrides;  // --set key=value
  std::string db;
  bool no_store = false;
  std::string json_path;
  bool quiet = false;
  bool summary = false;
  LrFindSpec sweep;                    // lr-find: --start-lr, --end-lr, --steps
};

// `powertrain train` (lr_find false) and `powertrain lr-find`: load the config, open the
// store, train with a progress bar and per-epoch lines, stop cleanly on Ctrl-C, print.
int run_training(const TrainOptions& o, bool sweep) {
  const std::string who = sweep ? "powertrain lr-find" : "powertrain train";
  TrainConfig cfg;
  try {
    cfg = load_train_config(o.config, o.overrides);
  } catch (const ConfigError& e) {
    std::cerr << who << ": " << e.what() << "\n";
    return 2;
  }
  int code = 0;
  if (!check_output_option(who.c_str(), "--json", o.json_path, code)) return code;
  std::optional<Store> store;
  const std::string db = store_path(o.db);
  if (!open_store(who, db, o.no_store, store)) return 2;

  ProgressBar bar(stderr_is_terminal() && !o.quiet);
  TrainHooks hooks;
  hooks.store = store ? &*store : nullptr;
  hooks.command = (sweep ? "powertrain lr-find " : "powertrain train ") + o.config;
  for (const auto& s : o.overrides) hooks.command += " --set " + s;
  hooks.sensors = discover_options(o.sensors);
  hooks.print_summary = o.summary;
  hooks.on_message = [&](const std::string& m) { if (!o.quiet) { bar.clear(); std::cerr << m << "\n"; } };
  hooks.on_step = [&](const TrainProgress& p) {
    bar.update(sweep ? std::string("lr-find") : fmt::format("epoch {}/{}", p.epoch, p.max_epochs), p.step, p.steps_per_epoch,
               p.elapsed_s, fmt::format("loss {:.4f}", p.loss));
  };
  bool header = false;
  hooks.on_epoch = [&](const EpochRecord& e) {
    if (o.quiet) return;
    bar.clear();
    std::cerr << (header ? "" : epoch_header()) << epoch_line(e);
    header = true;
  };
  auto stop_signal = std::make_unique<StopOnSignal>();  // until the training ends (also on error returns)
  hooks.stop_requested = stop_signal->stop_requested();
  TrainResult r;
  LrFindResult swept;
  try {
    if (sweep) swept = lr_find(cfg, o.sweep, hooks);
    else r = train_model(cfg, hooks);
  } catch (const ConfigError& e) {
    bar.clear();
    std::cerr << who << ": " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    bar.clear();
    std::cerr << who << ": " << e.what() << "\n";
    return 1;
  }
  stop_signal.reset();  // restore SIGINT and SIGTERM before printing
  bar.clear();
  if (sweep) {
    std::cout << lr_find_text(swept, store ? db : "");
    return 0;
  }
  if (!o.quiet) std::cerr << train_summary_text(cfg, r, store ? db : "");
  if (std::string err; !o.json_path.empty() && !write_output(o.json_path, train_result_json(cfg, r).dump(2) + "\n", err)) {
    std::cerr << "powertrain: " << err << "\n";
  }
  if (r.status == RunStatus::interrupted) return StopOnSignal::exit_code();  // 130 after Ctrl-C, 143 after SIGTERM
  return r.status == RunStatus::diverged ? 1 : 0;
}

void add_common(CLI::App* cmd, TrainOptions& o) {
  cmd->add_option("config", o.config, "training config (JSON; see docs/train.md and examples/)")->required();
  cmd->add_option("--set", o.overrides, "override a config key, e.g. --set optimizer.lr=0.01 (repeatable)");
  cmd->add_option("--db", o.db, "run store (SQLite file; default ./powertrain.db, env POWERTRAIN_DB)");
  cmd->add_flag("--no-store", o.no_store, "do not store the run");
  cmd->add_flag("-q,--quiet", o.quiet, "print no progress or summary");
  add_sensor_options(cmd, o.sensors);
}

}  // namespace

void add_train_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<TrainOptions>();
  CLI::App* cmd = app.add_subcommand("train", "Train one model from a config, with energy per epoch");
  add_common(cmd, *o);
  cmd->add_option("--json", o->json_path, "write the result as JSON to FILE ('-' for stdout)");
  cmd->add_flag("--summary", o->summary, "print the model's layers, output shapes and parameter counts first");
  cmd->callback([o, &exit_code] { exit_code = run_training(*o, false); });
}

void add_lr_find_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<TrainOptions>();
  CLI::App* cmd = app.add_subcommand("lr-find", "Learning-rate range test: sweep the LR over mini-batches and suggest a max LR");
  add_common(cmd, *o);
  cmd->add_option("--start-lr", o->sweep.start_lr, "first learning rate (default 1e-6)")->check(finite_range(1e-12, 1e6));
  cmd->add_option("--end-lr", o->sweep.end_lr, "last learning rate (default 1)")->check(finite_range(1e-12, 1e6));
  cmd->add_option("--steps", o->sweep.steps, "mini-batches in the sweep (default 100)")->check(CLI::Range(5, 100000));
  cmd->callback([o, &exit_code] { exit_code = run_training(*o, true); });
}

}  // namespace powertrain::cli
