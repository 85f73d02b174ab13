// powertrain: the command-line entry point. Subcommands live in their own files.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/output.h"
#include "powertrain/train/config.h"

namespace powertrain::cli {

void add_sensor_options(CLI::App* cmd, SensorOptions& opt) {
  cmd->add_option("--nvml-library", opt.nvml_library,
                  "NVML library to load (default libnvidia-ml.so.1; env POWERTRAIN_NVML_LIBRARY)");
  cmd->add_option("--powercap-root", opt.powercap_root,
                  "RAPL powercap tree (default /sys/class/powercap; env POWERTRAIN_POWERCAP_ROOT)");
  cmd->add_option("--cpu-tdp-w", opt.cpu_tdp_w, "CPU TDP in W for the estimate where RAPL is unreadable")
      ->check(powertrain::cli::finite_range(1.0, 2000.0));
  cmd->add_option("--replay", opt.replay_file, "use a recorded power trace (CSV t_s,component,power_w) as the only source")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--no-gpu", opt.no_gpu, "do not look for NVIDIA GPUs");
}

DiscoverOptions discover_options(const SensorOptions& opt) {
  DiscoverOptions d = discover_options_from_env(DiscoverOptions{});
  if (!opt.nvml_library.empty()) d.nvml_library = opt.nvml_library;
  if (!opt.powercap_root.empty()) d.powercap_root = opt.powercap_root;
  if (std::isfinite(opt.cpu_tdp_w)) d.cpu_tdp_w = opt.cpu_tdp_w;
  d.replay_file = opt.replay_file;
  d.use_nvml = !opt.no_gpu;
  return d;
}

}  // namespace powertrain::cli

int main(int argc, char** argv) {
  CLI::App app{"powertrain: measure, and cut, the energy of deep-learning training"};
  app.set_version_flag("--version", "powertrain " POWERTRAIN_VERSION);
  app.require_subcommand(1);
  // Words after the first `--` are a command to run (measure): CLI11 never sees them.
  powertrain::cli::Trailing trailing;
  int cli_argc = argc;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--") {
      cli_argc = i;
      trailing.present = true;
      trailing.words.assign(argv + i + 1, argv + argc);
      break;
    }
  }
  int exit_code = 0;
  powertrain::cli::add_measure_command(app, exit_code, trailing);
  powertrain::cli::add_devices_command(app, exit_code);
  powertrain::cli::add_grids_command(app, exit_code);
  powertrain::cli::add_train_command(app, exit_code);
  powertrain::cli::add_lr_find_command(app, exit_code);
  powertrain::cli::add_tune_command(app, exit_code);
  powertrain::cli::add_study_command(app, exit_code);
  powertrain::cli::add_export_command(app, exit_code);
  powertrain::cli::add_worker_command(app, exit_code);
  powertrain::cli::add_report_command(app, exit_code);
  powertrain::cli::add_advise_command(app, exit_code);
  powertrain::cli::add_serve_command(app, exit_code);
  int code = [&] {
    try {
      app.parse(cli_argc, argv);
    } catch (const CLI::CallForHelp& e) {
      return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
      return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
      return app.exit(e);
    } catch (const CLI::ParseError& e) {
      std::fprintf(stderr, "powertrain: %s\nRun 'powertrain --help' (or 'powertrain SUBCOMMAND --help') for usage.\n", e.what());
      return 2;
    } catch (const powertrain::ConfigError& e) {  // bad input a command did not catch itself
      std::fprintf(stderr, "powertrain: %s\n", e.what());
      return 2;
    } catch (const std::exception& e) {
      // A command lets through only what it did not expect: say what, rather than abort (134).
      std::fprintf(stderr, "powertrain: unexpected error: %s\n", e.what());
      return 1;
    }
    return exit_code;
  }();
  if (code != 0) powertrain::cli::remove_unused_new_stores();  // a failed command leaves no empty store
  return code;
}
