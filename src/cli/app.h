// Private to the CLI: what both executables share: the command line's parsing and errors
// (run_cli), the sensor options, and the hand-over of commands to the installation's other
// programs (docs/architecture.md "One command, three executables").
#pragma once

#include <functional>
#include <string>

#include "cli/commands.h"

namespace CLI { class App; }

namespace powertrain::cli {

// Adds subcommands to `app`; `exit_code` receives the code of the one that ran, `trailing`
// holds the words after `--` (measure's command).
using Registrar = std::function<void(CLI::App& app, int& exit_code, const Trailing& trailing)>;

// Parses the command line, runs the chosen subcommand and returns the process's exit code:
// the command's own, 2 for a command line or input it refuses, 1 for an unexpected error.
// Keeps argv for exec_program.
int run_cli(int argc, char** argv, const Registrar& add_commands);

// The commands that train, run by the training engine: train, lr-find, study (tune and
// worker hand over only studies that train real models).
bool is_training_command(const std::string& name);

// The other programs of an installation, which `powertrain` becomes (exec: same pid,
// arguments, environment, signals and terminal) for the commands that need what it does not
// load: LibTorch (powertrain-train, its own package) or the web server (powertrain-serve).
struct Program {
  const char* name;     // file name: found beside this executable (the build tree), else in
                        // ../libexec/powertrain/ from it (an installation)
  const char* env;      // environment variable that overrides where it is
  const char* install;  // what to do when it is missing
};
extern const Program kTrainingEngine;  // powertrain-train
extern const Program kDashboard;       // powertrain-serve

// Keeps the command line for exec_program (run_cli does too).
void keep_command_line(char** argv);
// Where `p` is; "" when it is not found.
std::string program_path(const Program& p);
// Replaces this process with `p`, same arguments. Returns only when it cannot: prints
// `who`, what is missing and how to install it; returns 127 (a command that is not there).
int exec_program(const Program& p, const std::string& who);

}  // namespace powertrain::cli
