// powertrain/search/lock.h: one process at a time drives a study of a store (`powertrain
// tune`, new or --resume); a second is refused at once, naming the holder. Workers share a
// study through their own claims (worker.h) and take no such lock.
//
// The lock is a POSIX record lock on one byte (chosen by the study's name) of a file beside
// the store, `<store>.lock`: the kernel releases it when the holder exits, however it exits
// (kill -9 included), so a crashed study never stays locked. The file is removed again when
// no study of the store is locked.
//
// Example:
//   auto lock = powertrain::search::StudyLock::acquire("powertrain.db", "resnet-sm2");  // throws StudyBusyError
//   ... run the study ...
//   // the destructor releases it
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include "powertrain/train/config.h"

namespace powertrain::search {

// Another process drives the study; what() names it (pid and command line) and the fix.
// Bad input, not a failure: commands exit 2.
class StudyBusyError : public ConfigError {
 public:
  using ConfigError::ConfigError;
};

class StudyLock {
 public:
  // Locks `study` of the store at `db`. Throws StudyBusyError when another process holds
  // it, ConfigError when the lock file cannot be made.
  static std::unique_ptr<StudyLock> acquire(const std::string& db, const std::string& study);
  ~StudyLock();
  StudyLock(const StudyLock&) = delete;
  StudyLock& operator=(const StudyLock&) = delete;

 private:
  StudyLock(int fd, std::string path, long long byte) : fd_(fd), path_(std::move(path)), byte_(byte) {}
  int fd_;
  std::string path_;
  long long byte_;
};

}  // namespace powertrain::search
