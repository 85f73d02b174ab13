// What both executables share: parsing and errors, sensor options, and handing training
// commands to the training engine.
#include "cli/app.h"

#include <CLI/CLI.hpp>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "cli/output.h"
#include "powertrain/train/config.h"
#include "util/companion.h"

#ifndef POWERTRAIN_LIBEXEC_FROM_BINDIR
#define POWERTRAIN_LIBEXEC_FROM_BINDIR "../libexec/powertrain"
#endif

namespace powertrain::cli {

namespace {
char** g_argv = nullptr;  // the command line as given, for exec_program
}  // namespace

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

bool is_training_command(const std::string& name) {
  return name == "train" || name == "lr-find" || name == "study";
}

const Program kTrainingEngine{
    "powertrain-train", "POWERTRAIN_ENGINE",
    "this needs the training engine (LibTorch), which is not installed here. Install it: apt install powertrain-train "
    "(the .deb beside powertrain's), or build powertrain with LibTorch (scripts/build.sh). Measuring, reports, "
    "the dashboard and simulated searches work without it"};
const Program kDashboard{"powertrain-serve", "POWERTRAIN_SERVE",
                         "the dashboard's program is missing from this installation: reinstall powertrain"};

std::string program_path(const Program& p) {
  return util::find_companion(p.env, {".", POWERTRAIN_LIBEXEC_FROM_BINDIR}, p.name, X_OK);
}

void keep_command_line(char** argv) { g_argv = argv; }

int exec_program(const Program& p, const std::string& who) {
  const std::string path = program_path(p);
  if (!path.empty() && g_argv) {
    std::fflush(nullptr);
    execv(path.c_str(), g_argv);
  }
  const std::string why = path.empty() ? std::string(p.name) + " not found beside this powertrain or in " POWERTRAIN_LIBEXEC_FROM_BINDIR
                                       : path + ": " + std::strerror(errno);
  std::fprintf(stderr, "%s: %s (%s).\n", who.c_str(), p.install, why.c_str());
  return 127;
}

int run_cli(int argc, char** argv, const Registrar& add_commands) {
  keep_command_line(argv);
  CLI::App app{"powertrain: measure, and cut, the energy of deep-learning training"};
  app.set_version_flag("--version", "powertrain " POWERTRAIN_VERSION);
  app.require_subcommand(1);
  // Words after the first `--` are a command to run (measure): CLI11 never sees them.
  Trailing trailing;
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
  add_commands(app, exit_code, trailing);
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
    } catch (const ConfigError& e) {  // bad input a command did not catch itself
      std::fprintf(stderr, "powertrain: %s\n", e.what());
      return 2;
    } catch (const std::exception& e) {
      // A command lets through only what it did not expect: say what, rather than abort (134).
      std::fprintf(stderr, "powertrain: unexpected error: %s\n", e.what());
      return 1;
    }
    return exit_code;
  }();
  if (code != 0) remove_unused_new_stores();  // a failed command leaves no empty store
  return code;
}

}  // namespace powertrain::cli
