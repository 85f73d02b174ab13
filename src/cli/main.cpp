// powertrain: the command-line entry point. Subcommands live in their own files.
//
// This executable links neither LibTorch nor a web server, so measuring, reports and
// simulated searches start in milliseconds. The commands that train (train, lr-find, study,
// and tune or worker on a real-training study) are run by the training engine,
// powertrain-train, and `serve` by powertrain-serve: this process becomes them (exec: same
// pid, signals and terminal; docs/architecture.md).
#include <CLI/CLI.hpp>

#include <string>

#include "cli/app.h"
#include "cli/commands.h"

namespace {

// The commands of the other programs as `powertrain --help` lists them; never parsed here
// (main hands them over first), so their options are those programs'.
void add_handed_over_entries(CLI::App& app) {
  const char* entries[][2] = {
      {"train", "Train one model from a config, with energy per epoch"},
      {"lr-find", "Learning-rate range test: sweep the LR over mini-batches and suggest a max LR"},
      {"study", "Reproduce a research experiment on this machine (docs/studies.md)"},
      {"serve", "Serve a read-only web dashboard of the store: runs (live power while they train), studies, devices, /metrics"},
  };
  for (const auto& [name, what] : entries) {
    CLI::App* cmd = app.add_subcommand(name, what);
    cmd->allow_extras();
    cmd->callback([] {});  // not reached
  }
}

}  // namespace

int main(int argc, char** argv) {
  powertrain::cli::keep_command_line(argv);
  // The subcommand is the first word that is not an option.
  for (int i = 1; i < argc; ++i) {
    if (argv[i][0] == '-') continue;
    using powertrain::cli::exec_program;
    const std::string command = argv[i];
    if (powertrain::cli::is_training_command(command)) return exec_program(powertrain::cli::kTrainingEngine, "powertrain " + command);
    if (command == "serve") return exec_program(powertrain::cli::kDashboard, "powertrain serve");
    break;
  }
  return powertrain::cli::run_cli(argc, argv, [](CLI::App& app, int& exit_code, const powertrain::cli::Trailing& trailing) {
    using namespace powertrain::cli;
    add_measure_command(app, exit_code, trailing);
    add_devices_command(app, exit_code);
    add_grids_command(app, exit_code);
    add_handed_over_entries(app);
    add_tune_command(app, exit_code, nullptr);
    add_export_command(app, exit_code);
    add_worker_command(app, exit_code, nullptr);
    add_report_command(app, exit_code);
    add_advise_command(app, exit_code);
  });
}
