// powertrain/measure/command.h: the energy of any command, the one library call behind
// `powertrain measure -- CMD ARGS`.
//
// measure_command() discovers the sensors, starts the meter, optionally measures the idle
// baseline, starts the command (a command that cannot be executed is reported, not
// measured), records the run as it happens (RunRecorder: running row, live power timeline,
// final write), forwards SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to this process alone to
// the command (a terminal's Ctrl-C already reaches the command's process group, so it is not
// sent twice), waits for the command, and returns its measurement and exit status.
// The command may open windows, epochs and metrics of its own through the event channel
// (POWERTRAIN_EVENTS_FD, docs/events.md; measure/events.h): they are measured by this
// meter, stored with the run as they end, and returned.
//
// Example:
//   powertrain::CommandOptions o;
//   o.argv = {"python3", "train.py"};
//   o.grid = *powertrain::CarbonTable::builtin().find("DE");
//   powertrain::CommandResult r = powertrain::measure_command(o);
//   std::cout << r.measurement.total_energy_j() << " J, exit " << r.exit_code << "\n";
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "powertrain/energy/carbon.h"
#include "powertrain/energy/meter.h"
#include "powertrain/energy/source.h"
#include "powertrain/store/run_details.h"
#include "powertrain/store/store.h"

namespace powertrain {

// Thrown when the command cannot be started (not found, not executable, exec failed);
// what() names the command and why. Shells exit 127 for this.
class CommandError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CommandOptions {
  std::vector<std::string> argv;        // the command and its arguments (argv[0] looked up in PATH)
  std::string name;                     // the run's name ("" = argv[0])
  DiscoverOptions sensors;
  double interval_s = 0.1;              // sampling interval
  double idle_baseline_s = 0;           // > 0: measure the machine at rest this long first
  GridIntensity grid;                   // for CO2e
  double pue = 1.0;
  double sample_bucket_s = 1.0;         // stored power timeline resolution
  Store* store = nullptr;               // record the run here (nullptr: not stored)
  bool events = true;                   // open the event channel (POWERTRAIN_EVENTS_FD, docs/events.md)
  std::function<void(const std::string&)> say;  // warnings, store problems, the idle baseline (nullptr: silent)
};

struct CommandResult {
  int exit_code = 0;                    // the command's exit code, or 128 + the signal that killed it
  int signal = 0;                       // the signal that killed it, 0 when it exited
  RunStatus status = RunStatus::completed;  // completed (exit 0), failed, or interrupted (a signal)
  Measurement measurement;              // the "run" window
  CarbonEstimate carbon;
  int64_t run_id = 0;                   // 0 when not stored
  std::vector<SensorInfo> sensors;
  std::vector<std::string> warnings;    // from sensor discovery
  std::optional<IdleBaseline> idle;
  std::optional<ChildEvents> events;    // what the command sent through the event channel (none: it sent nothing)
  std::vector<Measurement> windows;     // the command's own windows, in the order they ended
  std::vector<EpochRecord> epochs;      // its epochs ("epoch N" windows with their metrics), by number
};

// Returns the path `name` resolves to through PATH (a name with a '/' as it is), or "" when
// it is not an executable file.
std::string resolve_command(const std::string& name);
// Returns the name a run of argv gets by default: the script for an interpreter
// (`python3 train.py` -> "train.py"), else argv[0].
std::string default_run_name(const std::vector<std::string>& argv);
// Returns argv as one shell-quoted line (for messages and the stored run).
std::string shell_quote(const std::vector<std::string>& argv);

// Runs and measures the command. Throws CommandError when it cannot be started (nothing is
// stored then), std::runtime_error when the sensors cannot be set up (a bad replay file).
// A store that cannot be written is reported through `say` and the command still runs.
CommandResult measure_command(const CommandOptions& options);

}  // namespace powertrain
