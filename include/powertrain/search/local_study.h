// powertrain/search/local_study.h: a search study that this process drives alone in a
// SQLite store, as `powertrain tune` runs it. In order:
//   1. what the study is: a new one from its spec, or a stored one to continue (--resume);
//   2. start(): the study locked against a second process (lock.h), its runner built (real
//      training loads its data and makes its states directory here) and, when new, stored;
//      nothing is stored when any of it fails;
//   3. run(): the stored trials replayed, then trial after trial, each stored before the
//      next; the study marked finished, interrupted or failed, and the states directory of
//      a study that ended removed.
// Workers that share a study through claims use worker.h instead.
//
// Example:
//   search::LocalStudyOptions o;
//   o.db = "powertrain.db";
//   o.resume = "resnet-sm2";
//   search::LocalStudy study(o, std::nullopt);      // reads the stored study
//   study.start();                                  // locks it, builds its runner
//   search::Ending e = study.run(print_trial, &stop);
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "powertrain/search/runner.h"
#include "powertrain/search/spec.h"
#include "powertrain/store/store.h"

namespace powertrain::search {

struct LocalStudyOptions {
  std::string db;            // the SQLite store
  bool no_store = false;     // run in memory: nothing stored, nothing locked
  std::string name;          // a new study's name ("" = default_study_name(spec))
  std::string resume;        // continue this stored study instead
  std::string states_dir;    // real training ("" = default_states_dir(db, name) with a store)
  RunnerOptions runner;      // sensors, say, training (its states_dir comes from the above)
};

class LocalStudy {
 public:
  // Step 1: a new study of `spec`, or, with options.resume, the stored one (its spec is read
  // from the store; `spec` is ignored). Throws ConfigError or StoreError naming the store and
  // the study when there is none or it cannot be read. Nothing is locked or stored yet.
  LocalStudy(LocalStudyOptions options, std::optional<StudySpec> spec);
  ~LocalStudy();
  LocalStudy(const LocalStudy&) = delete;
  LocalStudy& operator=(const LocalStudy&) = delete;

  const StudySpec& spec() const;
  bool resumed() const;
  // The study's name ("" for a new study in memory); store() is null without a store.
  const std::string& name() const;
  Store* store();

  // Step 2. Throws StudyBusyError (another process drives it), ConfigError (bad options or
  // data), StoreError; nothing is stored then. Returns the runner, also runner().
  StudyRunner& start();
  StudyRunner& runner();
  // A resumed study's stored trials, replayed to say where it stands (run() replays again);
  // returns how many there were. Throws SearchError when they do not replay.
  std::size_t replay_stored();
  // Step 3. Returns how the study ended; rethrows SearchError (the study is marked failed).
  Ending run(const std::function<void(const StoredTrial&)>& on_trial, const std::atomic<bool>* stop);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace powertrain::search
