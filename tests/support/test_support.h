// Helpers shared by the tests: temporary directories, files, and running the CLI.
#pragma once

#include <sys/types.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

namespace powertrain::test {

// A directory under $TMPDIR, removed (recursively) when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // Returns path()/rel.
  std::string file(const std::string& rel) const { return path_ + "/" + rel; }
 private:
  std::string path_;
};

// Sets (or unsets, with nullopt) an environment variable for the object's lifetime.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::optional<std::string>& value) : name_(name) {
    const char* old = std::getenv(name);
    if (old) old_ = std::string(old);
    if (value) setenv(name, value->c_str(), 1);
    else unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_) setenv(name_.c_str(), old_->c_str(), 1);
    else unsetenv(name_.c_str());
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
 private:
  std::string name_;
  std::optional<std::string> old_;
};

// Writes `text` to `path`, creating parent directories. Throws on failure.
void write_file(const std::string& path, const std::string& text);
// Returns the contents of `path`. Throws on failure.
std::string read_file(const std::string& path);

// Result of running a program.
struct RunResult {
  int exit_code = -1;        // exit status, or 128+signal when killed
  std::string out;           // stdout
  std::string err;           // stderr
};

// Runs `argv` (argv[0] looked up in PATH) with extra environment `env` ("K=V") and
// `stdin_text` on its standard input (/dev/null when empty); returns its exit code and output.
RunResult run_program(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
                      const std::string& stdin_text = "");

// Starts `argv` (argv[0] a path) in the background with extra environment `env`, its stdout
// and stderr written to `log` ("" = /dev/null), in a process group of its own when
// `own_group` (so that a signal to the group reaches its children). Returns the pid.
pid_t start_program(const std::vector<std::string>& argv, const std::string& log = "",
                    const std::vector<std::string>& env = {}, bool own_group = false);
// Waits for a started program; returns its exit code, or 128 + the signal that killed it.
int wait_program(pid_t pid);

#ifdef POWERTRAIN_SOURCE_DIR
// The Zeus NSDI'23 traces live in the project's shared/ folder beside the checkout (CI has
// it); tests that need them skip, saying where they looked, when it is absent.
inline std::string zeus_traces_dir() { return std::string(POWERTRAIN_SOURCE_DIR) + "/../shared/data/zeus-nsdi23"; }
inline bool have_zeus_traces() {
  try {
    read_file(zeus_traces_dir() + "/summary_train.csv");
    return true;
  } catch (...) {
    return false;
  }
}
#define SKIP_WITHOUT_TRACES() \
  if (!::powertrain::test::have_zeus_traces()) GTEST_SKIP() << "no Zeus traces at " << ::powertrain::test::zeus_traces_dir()
#endif

}  // namespace powertrain::test
