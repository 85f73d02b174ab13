// Private to the CLI: the subcommands and the options they share.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "powertrain/energy/source.h"
#include "powertrain/search/runner.h"

namespace CLI { class App; }

namespace powertrain::cli {

// Sensor options shared by `measure` and `devices`.
struct SensorOptions {
  std::string nvml_library;      // --nvml-library
  std::string powercap_root;     // --powercap-root
  double cpu_tdp_w = NAN;        // --cpu-tdp-w
  std::string replay_file;       // --replay
  bool no_gpu = false;           // --no-gpu
};

// Adds the sensor options to `cmd`.
void add_sensor_options(CLI::App* cmd, SensorOptions& opt);
// Returns discovery options from the environment, then the flags.
DiscoverOptions discover_options(const SensorOptions& opt);

// Each adds its subcommand to `app`; the callback stores the exit code in `exit_code`.
// The words after the first `--` of the command line, which CLI11 never sees.
struct Trailing {
  bool present = false;             // a `--` was given
  std::vector<std::string> words;   // what followed it
};
// `trailing` holds the command to measure when it was given after `--`.
void add_measure_command(CLI::App& app, int& exit_code, const Trailing& trailing);
void add_devices_command(CLI::App& app, int& exit_code);
void add_grids_command(CLI::App& app, int& exit_code);
void add_train_command(CLI::App& app, int& exit_code);
void add_lr_find_command(CLI::App& app, int& exit_code);
// tune and worker: `training` makes the objective of real-training studies (the training
// engine's); without one (the lean powertrain) they hand such a study to the engine.
void add_tune_command(CLI::App& app, int& exit_code, search::TrainingObjectiveFactory training);
void add_study_command(CLI::App& app, int& exit_code);
void add_export_command(CLI::App& app, int& exit_code);
void add_worker_command(CLI::App& app, int& exit_code, search::TrainingObjectiveFactory training);
void add_report_command(CLI::App& app, int& exit_code);
void add_advise_command(CLI::App& app, int& exit_code);
void add_serve_command(CLI::App& app, int& exit_code);

}  // namespace powertrain::cli
