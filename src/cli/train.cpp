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
  // lr-find
  double start_lr = 1e-6, end_lr = 1.0;
  int steps = 100;
};


std::string command_line(const std::string& sub, const TrainOptions& o) {
  std::string c = "powertrain " + sub + " " + o.config;
  for (const auto& s : o.overrides) c += " --set " + s;
  return c;
}

// Opens the store unless --no-store; on failure prints why and returns false.
bool open_train_store(const TrainOptions& o, std::optional<Store>& store, std::string& db) {
  db = store_path(o.db);
  return open_store("powertrain", db, o.no_store, store);
}

int run_train(const TrainOptions& o) {
  TrainConfig cfg;
  try {
    cfg = load_train_config(o.config, o.overrides);
  } catch (const ConfigError& e) {
    std::cerr << "powertrain train: " << e.what() << "\n";
    return 2;
  }
  if (std::string why = check_output_path(o.json_path); !why.empty()) {
    std::cerr << "powertrain train: --json " << o.json_path << ": " << why << "\n";
    return 2;
  }
  std::optional<Store> store;
  std::string db;
  if (!open_train_store(o, store, db)) return 2;

  bool terminal = stderr_is_terminal() && !o.quiet;
  ProgressBar bar(terminal);
  TrainHooks hooks;
  hooks.store = store ? &*store : nullptr;
  hooks.command = command_line("train", o);
  hooks.sensors = discover_options(o.sensors);
  hooks.print_summary = o.summary;
  hooks.on_message = [&](const std::string& m) { if (!o.quiet) { bar.clear(); std::cerr << m << "\n"; } };
  bool header = false;
  hooks.on_step = [&](const TrainProgress& p) {
    bar.update(fmt::format("epoch {}/{}", p.epoch, p.max_epochs), p.step, p.steps_per_epoch, p.elapsed_s,
               fmt::format("loss {:.4f}", p.loss));
  };
  hooks.on_epoch = [&](const EpochRecord& e) {
    if (o.quiet) return;
    bar.clear();
    std::cerr << (header ? "" : epoch_header()) << epoch_line(e);
    header = true;
  };
  auto stop_signal = std::make_unique<StopOnSignal>();  // until the training ends (also on error returns)
  hooks.stop_requested = stop_signal->stop_requested();

  TrainResult r;
  try {
    r = train_model(cfg, hooks);
  } catch (const ConfigError& e) {
    std::cerr << "powertrain train: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    bar.clear();
    std::cerr << "powertrain train: " << e.what() << "\n";
    return 1;
  }
  stop_signal.reset();  // restore SIGINT and SIGTERM before printing

  if (!o.quiet) std::cerr << train_summary_text(cfg, r, store ? db : "");
  if (std::string err; !o.json_path.empty() && !write_output(o.json_path, train_result_json(cfg, r).dump(2) + "\n", err)) {
    std::cerr << "powertrain: " << err << "\n";
  }
  if (r.status == RunStatus::interrupted) return StopOnSignal::exit_code();  // 130 after Ctrl-C, 143 after SIGTERM
  return r.status == RunStatus::diverged ? 1 : 0;
}

int run_lr_find(const TrainOptions& o) {
  TrainConfig cfg;
  try {
    cfg = load_train_config(o.config, o.overrides);
  } catch (const ConfigError& e) {
    std::cerr << "powertrain lr-find: " << e.what() << "\n";
    return 2;
  }
  std::optional<Store> store;
  std::string db;
  if (!open_train_store(o, store, db)) return 2;
  ProgressBar bar(stderr_is_terminal() && !o.quiet);
  TrainHooks hooks;
  hooks.store = store ? &*store : nullptr;
  hooks.command = command_line("lr-find", o);
  hooks.sensors = discover_options(o.sensors);
  hooks.on_message = [&](const std::string& m) { if (!o.quiet) std::cerr << m << "\n"; };
  hooks.on_step = [&](const TrainProgress& p) {
    bar.update("lr-find", p.step, p.steps_per_epoch, 0, fmt::format("loss {:.4f}", p.loss));
  };
  LrFindSpec spec;
  spec.start_lr = o.start_lr;
  spec.end_lr = o.end_lr;
  spec.steps = o.steps;
  LrFindResult r;
  try {
    r = lr_find(cfg, spec, hooks);
  } catch (const ConfigError& e) {
    std::cerr << "powertrain lr-find: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    bar.clear();
    std::cerr << "powertrain lr-find: " << e.what() << "\n";
    return 1;
  }
  bar.clear();
  std::cout << lr_find_text(r, store ? db : "");
  return 0;
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
  cmd->callback([o, &exit_code] { exit_code = run_train(*o); });
}

void add_lr_find_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<TrainOptions>();
  CLI::App* cmd = app.add_subcommand("lr-find", "Learning-rate range test: sweep the LR over mini-batches and suggest a max LR");
  add_common(cmd, *o);
  cmd->add_option("--start-lr", o->start_lr, "first learning rate (default 1e-6)")->check(CLI::PositiveNumber);
  cmd->add_option("--end-lr", o->end_lr, "last learning rate (default 1)")->check(CLI::PositiveNumber);
  cmd->add_option("--steps", o->steps, "mini-batches in the sweep (default 100)")->check(CLI::Range(5, 100000));
  cmd->callback([o, &exit_code] { exit_code = run_lr_find(*o); });
}

}  // namespace powertrain::cli
