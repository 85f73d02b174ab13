// host_info_collect(): facts about this machine for the hosts table (never throws).
#include <sys/utsname.h>
#include <unistd.h>

#include <climits>
#include <fstream>
#include <string>

#include "powertrain/store/store.h"

namespace powertrain {
namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// Returns the value of KEY=VALUE in an os-release file, quotes and escapes removed.
std::string os_release_value(const std::string& file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size() + 1, key + "=") != 0) continue;
    std::string v = trim(line.substr(key.size() + 1));
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
      v = v.substr(1, v.size() - 2);
    }
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i] == '\\' && i + 1 < v.size()) ++i;
      out += v[i];
    }
    return out;
  }
  return "";
}

// Returns the value of the first "key : value" line of /proc/cpuinfo whose key is `key`.
std::string cpuinfo_value(const std::string& key) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    if (trim(line.substr(0, colon)) == key) return trim(line.substr(colon + 1));
  }
  return "";
}

// Returns MemTotal from /proc/meminfo in GiB, or NaN.
double mem_total_gib() {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, 9, "MemTotal:") != 0) continue;
    try {
      double kib = std::stod(line.substr(9));  // "MemTotal:  131072000 kB"
      return kib / (1024.0 * 1024.0);
    } catch (...) {
      return NAN;
    }
  }
  return NAN;
}

}  // namespace

HostInfo host_info_collect() {
  HostInfo h;
  try {
    char name[HOST_NAME_MAX + 1] = {};
    if (gethostname(name, sizeof name - 1) == 0) h.hostname = name;

    h.os = os_release_value("/etc/os-release", "PRETTY_NAME");
    if (h.os.empty()) h.os = os_release_value("/usr/lib/os-release", "PRETTY_NAME");
    struct utsname u {};
    if (uname(&u) == 0) {
      h.kernel = u.release;
      if (h.os.empty()) h.os = u.sysname;
    }

    // x86 has "model name"; many ARM kernels give only "Hardware" or "Processor".
    for (const char* key : {"model name", "Hardware", "Processor", "cpu model", "cpu"}) {
      h.cpu_model = cpuinfo_value(key);
      if (!h.cpu_model.empty()) break;
    }

    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    h.cpu_cores = cores > 0 ? static_cast<int>(cores) : 0;
    h.memory_gib = mem_total_gib();
  } catch (...) {
    // Out of memory while reading small files: return what was found.
  }
  return h;
}

}  // namespace powertrain
