// powertrain/store/store.h: the run store, an SQLite file (WAL, transactions, migrations).
//
// A run is inserted with status "running" when it starts and completed in one
// transaction when it ends (windows, downsampled power samples, totals), so a crash
// leaves either the running row or the whole run, never half of one. While it runs, its
// power samples may be appended (LiveSamples, live.h) so a dashboard can chart it; the
// final write replaces them with the whole timeline. The schema has a
// version (PRAGMA user_version) and forward migrations applied on open.
//
// Example:
//   auto store = powertrain::Store::open("powertrain.db");
//   int64_t id = store.begin_run(run, powertrain::host_info_collect(), meter.sensors());
//   ...
//   store.finish_run(id, run, meter.finished(), powertrain::downsample(meter.samples(), 1.0));
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "powertrain/energy/meter.h"
#include "powertrain/energy/source.h"
#include "powertrain/store/run_details.h"
#include "powertrain/store/trial.h"

struct sqlite3;

namespace powertrain {

// Thrown for every store problem; what() names the file and the fix.
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The store was locked by another process for longer than the wait (5 s per statement);
// trying again later may succeed (RunRecorder does, so a training never fails on it).
class StoreBusyError : public StoreError {
 public:
  using StoreError::StoreError;
};

struct HostInfo {
  std::string hostname;
  std::string os;            // e.g. "Debian GNU/Linux 12 (bookworm)"
  std::string kernel;        // uname -r
  std::string cpu_model;     // /proc/cpuinfo model name
  int cpu_cores = 0;         // logical CPUs online
  double memory_gib = NAN;   // MemTotal
};

// Returns facts about this machine (never throws; unknown fields stay empty/NaN).
HostInfo host_info_collect();

// How a run stands or ended.
enum class RunStatus {
  running,         // started; its final row is not written yet (or its process died)
  completed,       // ran to its end (training: to its maximum of epochs)
  early_stopped,   // training stopped by early stopping (patience)
  target_reached,  // training stopped at its target metric
  diverged,        // training stopped because the loss became non-finite or exploded
  interrupted,     // stopped by a signal (Ctrl-C, SIGTERM); what it did is kept
  failed,          // an error ended it (the measured command failed, or training threw)
};
// Returns the status's stored name: "running", "completed", "early_stopped", ...
const char* run_status_name(RunStatus s);
// Returns the status named `name`, or nullopt for a name no status has.
std::optional<RunStatus> run_status_from_name(const std::string& name);
// Every run status, in declaration order (filters, menus).
const std::vector<RunStatus>& run_statuses();

// How a study stands.
enum class StudyStatus { running, finished, failed, interrupted };
// Returns "running", "finished", "failed" or "interrupted".
const char* study_status_name(StudyStatus s);
// Returns the status named `name`, or nullopt.
std::optional<StudyStatus> study_status_from_name(const std::string& name);

// How one worker's claim on a trial stands (powertrain worker, study_log.h).
enum class ClaimState { running, done, failed };
// Returns "running", "done" or "failed".
const char* claim_state_name(ClaimState s);
// Returns the state named `name`, or nullopt.
std::optional<ClaimState> claim_state_from_name(const std::string& name);

struct RunRecord {
  int64_t id = 0;                    // assigned by the store
  std::string kind = "measure";      // "measure"; later "train", "trial"
  std::string name;
  std::string command;               // the measured command line, shell-quoted
  double started_at_unix_s = NAN;
  double duration_s = NAN;
  RunStatus status = RunStatus::running;
  std::optional<int> exit_code;      // the child's exit code (128+signal when killed)
  double energy_j = NAN;             // total of the run window, NaN when unknown
  double energy_uncertainty_j = NAN;
  Provenance energy_provenance = Provenance::missing;
  std::string grid;                  // carbon grid code
  double carbon_intensity_g_per_kwh = NAN;
  double pue = 1.0;
  double co2e_g = NAN;
  RunDetails details;                // how it was set up, what it ended with (run_details.h)
};

// One epoch of a training run, written as soon as the epoch ends.
struct EpochRecord {
  int epoch = 0;                      // 1-based
  double train_loss = NAN;
  double val_loss = NAN;
  double val_metric = NAN;            // accuracy in [0,1] for classifiers
  double lr = NAN;                    // learning rate at the end of the epoch
  double duration_s = NAN;
  double energy_j = NAN;              // counter difference or Eq. 1; NaN when unknown
  double energy_uncertainty_j = NAN;
  Provenance energy_provenance = Provenance::missing;
  double avg_power_w = NAN;
  double samples_per_s = NAN;         // training throughput
  double loss_scale = NAN;            // fp16 loss scale at the end of the epoch
  int64_t skipped_steps = 0;          // optimizer steps skipped for overflow (fp16)
  bool diverged = false;              // the loss became non-finite or exploded in this epoch
  std::map<std::string, double> metrics;  // extra metrics by name (e.g. the second head's accuracy)
};

// A hyperparameter study: its name, what it searches (JSON, written by the tune module)
// and whether it is running or finished.
struct StudyRecord {
  int64_t id = 0;
  std::string name;
  std::string spec_json;
  StudyStatus status = StudyStatus::running;
  std::string kind = "tune";  // tune (a search), or a research study: regime, precision, ...
  std::string result_json;  // the finished study's result ("" until set)
  double created_at_unix_s = NAN;
};

// Which runs Store::runs(filter) returns; empty fields match everything.
struct RunFilter {
  std::string name_contains;   // substring of the run name (matched literally, no wildcards)
  std::string kind;            // exact: measure, train, trial
  std::optional<RunStatus> status;  // exact; nullopt matches every status
  int limit = 100;             // at most this many, newest first
};

// A sensor seen in stored runs (the devices page of the dashboard).
struct RecordedDevice {
  SensorInfo sensor;           // component, source, description, working, detail of the newest run
  int64_t runs = 0;            // how many runs recorded it
  int64_t last_run_id = 0;
};

// A whole stored run, as one read gives it.
struct StoredRun {
  RunRecord run;
  std::optional<HostInfo> host;
  std::vector<SensorInfo> devices;
  std::vector<Measurement> windows;   // id and parent_id are row ids
  std::vector<EpochRecord> epochs;
  std::vector<PowerSample> samples;   // oldest first
};

class Store {
 public:
  // Opens (creating if needed) the store at `path` and migrates it to the current
  // schema. Throws StoreError naming the path and the fix when it cannot be opened or
  // written (missing directory, no permission, not an SQLite file, newer schema).
  static Store open(const std::string& path);
  ~Store();
  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;

  // Opens an existing store as open() does, but never creates one: throws StoreError naming
  // the path and the fix when there is no file there (a command that continues something
  // stored leaves no empty store behind).
  static Store open_existing(const std::string& path);

  // Opens an existing store for reading only (PRAGMA query_only): nothing is created,
  // migrated or written. Throws StoreError naming the path and the fix when the file is
  // missing, not a powertrain store, or of another schema version than this build's.
  static Store open_read_only(const std::string& path);

  // What commands that only read (report, export, advise) use: open_read_only() when the
  // file has this build's schema; a store of an older schema is migrated first, as
  // open_existing() does (one transaction), since reading it needs the current tables.
  static Store open_for_reading(const std::string& path);

  // Returns the schema version of the open file.
  int schema_version() const;
  // Returns the current schema version this build writes.
  static int current_schema_version();
  const std::string& path() const { return path_; }
  // Whether open() made the file (it did not exist before).
  bool created() const { return created_; }
  // Removes the store at `path` (and its -wal and -shm files) when it holds no run and no
  // study: what a command that created it and then failed leaves. Returns whether it did;
  // never throws (a file that is not a readable store is left alone).
  static bool remove_if_unused(const std::string& path);

  // Inserts the run as "running" with its host and sensors, in one transaction.
  // Returns the run id.
  int64_t begin_run(const RunRecord& run, const HostInfo& host, const std::vector<SensorInfo>& sensors);
  // Writes the final run row, its windows (with component energies) and samples, in one
  // transaction. Window parent ids are mapped from meter ids to row ids.
  void finish_run(int64_t run_id, const RunRecord& run, const std::vector<Measurement>& windows,
                  const std::vector<PowerSample>& samples);

  // Appends power samples of a running run, in one transaction (live charts). finish_run
  // later replaces every sample of the run.
  void append_samples(int64_t run_id, const std::vector<PowerSample>& samples);

  // Returns the run with `id`, or nullopt.
  std::optional<RunRecord> run(int64_t id) const;
  // Returns the newest runs first, at most `limit`.
  std::vector<RunRecord> runs(int limit = 100) const;
  // Returns the runs matching `filter`, newest first.
  std::vector<RunRecord> runs(const RunFilter& filter) const;
  // Returns the windows of a run with their components, in id order. Measurement::id
  // and parent_id are row ids.
  std::vector<Measurement> windows(int64_t run_id) const;
  // Returns the stored samples of a run, oldest first.
  std::vector<PowerSample> samples(int64_t run_id) const;
  // Returns the stored samples of a run with t_s > after_s, oldest first, at most `limit`.
  std::vector<PowerSample> samples_after(int64_t run_id, double after_s, int limit) const;
  // Returns the t_s of a run's newest stored sample, NaN when it has none.
  double last_sample_t_s(int64_t run_id) const;
  // Returns the sensors recorded for a run.
  std::vector<SensorInfo> devices(int64_t run_id) const;
  // Returns every sensor recorded by any run (one per source and component), newest first.
  std::vector<RecordedDevice> recorded_devices(int limit = 200) const;

  // Writes (or replaces) one epoch of a run, in its own transaction.
  void record_epoch(int64_t run_id, const EpochRecord& epoch);
  // Returns the epochs of a run in order.
  std::vector<EpochRecord> epochs(int64_t run_id) const;

  // Creates a study; throws StoreError (naming --resume) when the name exists.
  int64_t create_study(const std::string& name, const std::string& spec_json, const std::string& kind = "tune");
  // Returns the study named `name`, or nullopt.
  std::optional<StudyRecord> study(const std::string& name) const;
  // Appends finished search trial number `seq` (0, 1, ...) of a study, in its own
  // transaction. A trial already stored under that number is refused (StoreError): nothing
  // is counted twice.
  void record_trial(int64_t study_id, int64_t seq, const StoredTrial& trial);
  // Returns the finished trials of a search study, in order. Throws StoreError when a
  // stored trial is malformed.
  std::vector<StoredTrial> trials(int64_t study_id) const;
  // The number of rows a study has (its trials, or a research study's runs).
  int64_t study_row_count(int64_t study_id) const;
  // A research study's rows, each a record of its own (powertrain/study/<kind>.h), as JSON
  // text: appends row `seq` (refused when taken), and returns the rows in order. A search
  // study's rows are StoredTrials: use record_trial() and trials().
  void record_study_row(int64_t study_id, int64_t seq, const std::string& row_json, double energy_j, double metric);
  std::vector<std::string> study_rows(int64_t study_id) const;
  void set_study_status(int64_t study_id, StudyStatus status);
  // Stores a finished study's result (JSON) and marks it finished.
  void set_study_result(int64_t study_id, const std::string& result_json);
  // Returns the study with `id`, or nullopt.
  std::optional<StudyRecord> study_by_id(int64_t id) const;
  // The stored studies, newest first.
  std::vector<StudyRecord> studies(int limit = 100) const;

  // Returns the whole run with `id` read in one snapshot (row, host, sensors, windows,
  // epochs, samples), or nullopt.
  std::optional<StoredRun> load_run(int64_t id) const;
  // Returns the machine run `run_id` was recorded on, or nullopt (no such run, or no host).
  std::optional<HostInfo> host_of_run(int64_t run_id) const;

 private:
  friend struct StoreConnection;  // the store's own files (src/store) reach the connection
  Store() = default;
  sqlite3* db_ = nullptr;
  std::string path_;
  bool created_ = false;
};

}  // namespace powertrain
