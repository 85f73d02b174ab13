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
#include "powertrain/interop/run_json.h"
#include "powertrain/report/format.h"
#include "powertrain/store/store.h"
#include "powertrain/train/trainer.h"
#include "util/json.h"

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

std::string fmt_metric(double v) { return std::isfinite(v) ? report::format_percent(100 * v, 2) : "n/a"; }
std::string energy(double j) { return report::format_energy_j(j); }

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
    if (!header) {
      std::cerr << fmt::format("{:>5} {:>10} {:>10} {:>9} {:>9} {:>8} {:>10} {:>9}  {}\n", "epoch", "train loss", "val loss",
                               "val acc", "lr", "time", "energy", "power", "provenance");
      header = true;
    }
    std::cerr << fmt::format("{:>5} {:>10.4f} {:>10.4f} {:>9} {:>9.3g} {:>7.2f}s {:>10} {:>9}  {}\n", e.epoch, e.train_loss,
                             e.val_loss, fmt_metric(e.val_metric), e.lr, e.duration_s, energy(e.energy_j),
                             report::format_power_w(e.avg_power_w), provenance_name(e.energy_provenance));
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

  if (!o.quiet) {
    std::string out = fmt::format("\npowertrain: trained '{}': {} after {} epochs ({})\n", cfg.name, run_status_name(r.status), r.epochs_run, r.stop_reason);
    out += fmt::format("  best epoch       {} (val acc {}, val loss {:.4f}); test acc {}\n", r.best_epoch, fmt_metric(r.best_val_metric),
                       r.best_val_loss, fmt_metric(r.test_metric));
    out += fmt::format("  energy           {} total, {} to the best epoch ({}{})\n", energy(r.energy_j), energy(r.energy_to_best_j),
                       provenance_name(r.energy_provenance),
                       std::isfinite(r.energy_uncertainty_j) ? ", +-" + energy(r.energy_uncertainty_j) : std::string());
    out += fmt::format("  carbon           {} CO2e (grid {}, PUE {:.2f})\n", report::format_si(r.co2e_g, "g"), cfg.energy.grid, cfg.energy.pue);
    out += fmt::format("  time             {}, {:.0f} samples/s on {} ({} threads, {})\n", report::format_duration_s(r.duration_s), r.samples_per_s,
                       r.device, r.threads, r.precision);
    if (!r.checkpoint_path.empty()) out += "  checkpoint       " + r.checkpoint_path + " (best epoch)\n";
    if (store) out += fmt::format("  stored as run {} in {}\n", r.run_id, db);
    std::cerr << out;
  }
  if (!o.json_path.empty()) {
    using util::num;
    nlohmann::json epochs = nlohmann::json::array();
    for (const auto& e : r.epochs) epochs.push_back(epoch_json(e));
    nlohmann::json j = {{"schema", "powertrain.train/1"},
                        {"run_id", r.run_id > 0 ? nlohmann::json(r.run_id) : nlohmann::json(nullptr)},
                        {"name", cfg.name},
                        {"status", run_status_name(r.status)},
                        {"stop_reason", r.stop_reason},
                        {"epochs_run", r.epochs_run},
                        {"best_epoch", r.best_epoch},
                        {"best_val_metric", num(r.best_val_metric)},
                        {"best_val_loss", num(r.best_val_loss)},
                        {"test_metric", num(r.test_metric)},
                        {"test_loss", num(r.test_loss)},
                        {"energy_j", num(r.energy_j)},
                        {"energy_to_best_j", num(r.energy_to_best_j)},
                        {"energy_provenance", provenance_name(r.energy_provenance)},
                        {"co2e_g", num(r.co2e_g)},
                        {"duration_s", num(r.duration_s)},
                        {"samples_per_s", num(r.samples_per_s)},
                        {"parameters", r.parameters},
                        {"device", r.device},
                        {"precision", r.precision},
                        {"threads", r.threads},
                        {"epochs", epochs},
                        {"run_energy", measurement_json(r.run_energy)}};
    std::string err;
    if (!write_output(o.json_path, j.dump(2) + "\n", err)) std::cerr << "powertrain: " << err << "\n";
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
  std::cout << fmt::format("{:>12} {:>10} {:>10}\n", "lr", "loss", "smoothed");
  size_t every = std::max<size_t>(1, r.lr.size() / 20);
  for (size_t i = 0; i < r.lr.size(); i += every) {
    std::cout << fmt::format("{:>12.3g} {:>10.4f} {:>10.4f}\n", r.lr[i], r.loss[i], r.smoothed_loss[i]);
  }
  std::cout << fmt::format("\nsuggested max LR {:.3g} (steepest descent of the loss); lowest loss at LR {:.3g}{}\n", r.suggested_lr,
                           r.min_loss_lr, r.stopped_early ? "; the loss diverged after that" : "");
  std::cout << fmt::format("the sweep cost {} ({}) over {}\n", energy(r.energy.total_energy_j()),
                           provenance_name(r.energy.total_provenance()), report::format_duration_s(r.energy.duration_s));
  std::cout << fmt::format("use it with: --set schedule.type=one_cycle --set schedule.max_lr={:.3g}\n", r.suggested_lr);
  if (store) std::cout << fmt::format("stored as run {} in {}\n", r.run_id, db);
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
