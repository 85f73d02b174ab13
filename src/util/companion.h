// Private helper: where powertrain finds its companion files (the training engine
// powertrain-train, the dashboard powertrain-serve, the PostgreSQL module): an environment
// variable names the file outright; otherwise it is looked for in a list of directories,
// relative ones taken from the running program's own directory (so an installed tree can
// be moved).
//
// Example:
//   std::string engine = util::find_companion("POWERTRAIN_ENGINE", {".", "../libexec/powertrain"},
//                                             "powertrain-train", X_OK);   // "" when none
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace powertrain::util {

// Returns the directory of the running program, "" when /proc/self/exe cannot be read.
inline std::string self_dir() {
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return "";
  std::string dir(self, static_cast<size_t>(n));
  return dir.erase(dir.rfind('/'));
}

// Returns the paths to try for `name`, in order: the value of `env` alone when it is set and
// not empty; else DIR/name for each of `dirs` (a relative DIR from self_dir()).
inline std::vector<std::string> companion_candidates(const char* env, const std::vector<std::string>& dirs,
                                                     const std::string& name) {
  if (const char* value = env ? std::getenv(env) : nullptr; value && *value) return {value};
  std::vector<std::string> paths;
  const std::string self = self_dir();
  for (const std::string& dir : dirs) {
    if (dir.empty()) continue;
    if (dir[0] == '/') {
      paths.push_back(dir + "/" + name);
    } else if (!self.empty()) {
      paths.push_back(dir == "." ? self + "/" + name : self + "/" + dir + "/" + name);
    }
  }
  return paths;
}

// Returns the value of `env` when set (unchecked: using it then says what is wrong with it),
// else the first candidate that access(path, mode) allows, else "".
inline std::string find_companion(const char* env, const std::vector<std::string>& dirs, const std::string& name,
                                  int mode) {
  if (const char* value = env ? std::getenv(env) : nullptr; value && *value) return value;
  for (const std::string& path : companion_candidates(nullptr, dirs, name)) {
    if (access(path.c_str(), mode) == 0) return path;
  }
  return "";
}

}  // namespace powertrain::util
