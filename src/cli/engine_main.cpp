// powertrain-train: the training engine's executable (LibTorch). `powertrain train ...`,
// `lr-find`, `study`, and `tune` or `worker` on a real-training study become this process
// (src/cli/main.cpp); it is not meant to be run by name, and it has only those commands.
#include <CLI/CLI.hpp>

#include "cli/app.h"
#include "cli/commands.h"
#include "powertrain/train/tune_objective.h"

int main(int argc, char** argv) {
  return powertrain::cli::run_cli(argc, argv, [](CLI::App& app, int& exit_code, const powertrain::cli::Trailing&) {
    using namespace powertrain::cli;
    add_train_command(app, exit_code);
    add_lr_find_command(app, exit_code);
    add_tune_command(app, exit_code, powertrain::make_training_objective);
    add_study_command(app, exit_code);
    add_worker_command(app, exit_code, powertrain::make_training_objective);
  });
}
