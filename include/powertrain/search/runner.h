// powertrain/search/runner.h: runs a search study, new or resumed, in one process or a
// trial at a time for a worker.
//
// A runner owns the study's objective (real training: the dataset and the live models of
// the configurations; simulation: the traces) for its whole life, and a strategy and tuner
// that are rebuilt from the study's log on every replay(): a search's state is never saved
// as such, only the log of what it asked and was told (store/trial_log.h). run() is the
// one-process loop of `powertrain tune`; ask()/evaluate() are what `powertrain worker`
// (worker.h) calls between the claims it makes under the study's lock.
//
// Example:
//   auto spec = powertrain::search::read_study_file("study.json");
//   powertrain::search::RunnerOptions o;
//   o.training = make_training_objective;   // from the training engine
//   powertrain::search::StudyRunner runner(spec, o);
//   powertrain::MemoryTrialLog log;
//   runner.run(log);
//   powertrain::search::SearchSummary s = runner.summary();
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "powertrain/energy/source.h"
#include "powertrain/search/spec.h"
#include "powertrain/search/summary.h"
#include "powertrain/store/trial_log.h"
#include "powertrain/tune/strategy.h"
#include "powertrain/tune/tuner.h"

namespace powertrain::search {

// Thrown when a study cannot go on: its log does not replay, a worker's trial failed too
// often. what() says why and what to do.
class SearchError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Makes the objective of a real-training study: the training engine's TrainingObjective
// (train/tune_objective.h). The caller provides it, so this layer needs no LibTorch.
using TrainingObjectiveFactory = std::function<std::unique_ptr<tune::Objective>(
    const TrainConfig& base, const DiscoverOptions& sensors, const std::function<void(const std::string&)>& say)>;

struct RunnerOptions {
  DiscoverOptions sensors;                         // energy sensors (real training)
  std::function<void(const std::string&)> say;     // setup facts for the user (nullptr: silent)
  TrainingObjectiveFactory training;               // required for real-training studies
  std::string states_dir;                          // real training: keep configuration states here ("" = none)
};

class StudyRunner {
 public:
  // Builds the objective (real training loads the dataset now). Throws ConfigError when a
  // real-training study has no TrainingObjectiveFactory or its states directory cannot be made.
  StudyRunner(StudySpec spec, RunnerOptions options);
  ~StudyRunner();
  StudyRunner(const StudyRunner&) = delete;
  StudyRunner& operator=(const StudyRunner&) = delete;

  const StudySpec& spec() const;
  // Returns one line that says what the study searches and what it minimises.
  std::string description() const;
  // Returns the states directory in use ("" when configuration states are not kept).
  const std::string& states_dir() const;

  // Rebuilds the search from `events` through a fresh strategy and tuner: nothing is trained
  // and no energy is counted again. Throws SearchError when an event is not what the
  // strategy asks now (a log written by another powertrain version, or by workers).
  void replay(const std::vector<TrialEvent>& events);

  // Runs in this process: replays `log`, then asks, trains and tells until the strategy ends,
  // the energy budget is spent or `*stop` becomes true (checked between trials). Each
  // finished trial is appended to `log`, then given to `on_trial`, before the next starts.
  // Returns how the search stands when it returns.
  Ending run(TrialLog& log, const std::function<void(const StoredTrial&)>& on_trial = {},
             const std::atomic<bool>* stop = nullptr);

  // For workers. Returns the strategy's next trial (nullopt: none until others are told,
  // or the strategy has ended).
  std::optional<tune::Trial> ask();
  // Trains `trial` and returns it with this runner's search totals after it.
  StoredTrial evaluate(const tune::Trial& trial);
  // True once the strategy will never ask again; true once the energy budget is spent.
  bool strategy_finished() const;
  bool budget_spent() const;
  double search_energy_j() const;
  double search_duration_s() const;
  // The trials told so far (replayed and run), in order.
  const std::vector<StoredTrial>& trials() const;

  // Returns the study as it stands, as told to its strategy so far; `ending` says why it stopped.
  SearchSummary summary(Ending ending) const;
  // Real training: returns the chosen configuration as a training config (JSON text, named
  // after the study), or "" when nothing was chosen or the study is simulated.
  std::string chosen_train_config() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Runs `runner` in this process as `powertrain tune` does: in study `study_id` of `store`
// (its stored trials replayed first, each new trial stored before the next; the study marked
// finished, interrupted, or failed when its log does not replay), or in memory when `store`
// is null. A study that ends (not interrupted) has its states directory removed. Returns
// how it ended; rethrows SearchError.
Ending run_in_store(StudyRunner& runner, Store* store, int64_t study_id, const std::function<void(const StoredTrial&)>& on_trial,
                    const std::atomic<bool>* stop);

// Where a real-training study keeps its configurations' states unless told: beside the
// SQLite file (`FILE.states/STUDY`), or `powertrain-states/STUDY` in the current directory
// for a PostgreSQL study (workers on other machines pass a shared directory).
std::string default_states_dir(const std::string& storage, const std::string& study);
// Removes a finished study's states directory (and its parent when that is left empty).
void remove_states_dir(const std::string& dir);

}  // namespace powertrain::search
