// Loads the PostgreSQL study log (libpowertrain_postgres.so) on first use: looked for at
// $POWERTRAIN_POSTGRES_MODULE, then lib/powertrain/ beside the running program's bin/, then
// where it is installed, then the build tree.
#include <dlfcn.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "store/study_log_postgres.h"
#include "util/companion.h"

#ifndef POWERTRAIN_POSTGRES_MODULE_DIRS
#define POWERTRAIN_POSTGRES_MODULE_DIRS ""
#endif

namespace powertrain {

namespace {

constexpr const char* kModule = "libpowertrain_postgres.so";
using OpenFn = StudyLog* (*)(const std::string* url, bool read_only);

struct Module {
  OpenFn open = nullptr;
  std::string error;  // why open is null
};

std::vector<std::string> candidates() {
  std::vector<std::string> dirs = {"../lib/powertrain"};
  const std::string compiled_in = POWERTRAIN_POSTGRES_MODULE_DIRS;  // "DIR:DIR"
  for (size_t start = 0; start < compiled_in.size();) {
    size_t end = compiled_in.find(':', start);
    if (end == std::string::npos) end = compiled_in.size();
    dirs.push_back(compiled_in.substr(start, end - start));
    start = end + 1;
  }
  return util::companion_candidates("POWERTRAIN_POSTGRES_MODULE", dirs, kModule);
}

Module load() {
#ifndef POWERTRAIN_WITH_POSTGRES
  return {nullptr,
          "this powertrain was built without PostgreSQL support: install libpqxx-dev (scripts/install-deps.sh "
          "does) and rebuild, or use sqlite:FILE storage"};
#else
  std::string looked;
  for (const std::string& path : candidates()) {
    if (access(path.c_str(), R_OK) != 0) {
      looked += (looked.empty() ? "" : ", ") + path;
      continue;
    }
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* why = dlerror();
      return {nullptr, std::string("PostgreSQL support does not load (") + (why ? why : path) +
                           "): install libpqxx (apt install libpqxx-6.4), or use sqlite:FILE storage"};
    }
    if (auto fn = reinterpret_cast<OpenFn>(dlsym(handle, "powertrain_open_postgres_log"))) return {fn, ""};
    return {nullptr, path + " is not powertrain's PostgreSQL module (no powertrain_open_postgres_log)"};
  }
  return {nullptr, std::string("PostgreSQL support is not installed: ") + kModule + " not found (looked at " + looked +
                       "); reinstall powertrain, set POWERTRAIN_POSTGRES_MODULE, or use sqlite:FILE storage"};
#endif
}

const Module& module() {
  static const Module m = load();
  return m;
}

}  // namespace

bool postgres_log_available() { return module().open != nullptr; }

std::unique_ptr<StudyLog> open_postgres_log(const std::string& url, bool read_only) {
  const Module& m = module();
  if (!m.open) throw StoreError("cannot open " + redact_url(url) + ": " + m.error);
  return std::unique_ptr<StudyLog>(m.open(&url, read_only));
}

}  // namespace powertrain
