// CPU power estimate for machines without a readable energy counter: TDP (given, looked up
// in the built-in data/cpu_tdp.csv, or a per-core default) scaled by /proc/stat utilisation.
#include "powertrain/energy/estimate.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "energy/builtin_data.h"

namespace powertrain {
namespace {

struct TdpEntry {
  std::string key;        // as written in the table, e.g. "EPYC 7763"
  std::string key_lower;  // for case-insensitive matching
  double tdp_w = NAN;
};

std::string to_lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  const char* ws = " \t\r\n";
  std::string::size_type b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

// Parses "model_substring,tdp_w" lines; skips blank lines, '#' comments, the header and
// malformed lines.
std::vector<TdpEntry> parse_tdp_csv(const char* text) {
  std::vector<TdpEntry> out;
  std::istringstream in(text ? text : "");
  std::string line;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    std::string::size_type comma = line.rfind(',');
    if (comma == std::string::npos) continue;
    TdpEntry e;
    e.key = trim(line.substr(0, comma));
    std::string value = trim(line.substr(comma + 1));
    if (e.key.empty() || value.empty()) continue;
    char* end = nullptr;
    e.tdp_w = std::strtod(value.c_str(), &end);
    if (end == value.c_str() || *end != '\0' || !(e.tdp_w > 0.0)) continue;  // header or bad line
    e.key_lower = to_lower(e.key);
    out.push_back(std::move(e));
  }
  return out;
}

const std::vector<TdpEntry>& tdp_table() {
  static const std::vector<TdpEntry> table = parse_tdp_csv(builtin::cpu_tdp_csv);
  return table;
}

// Returns the entry whose key is the longest one contained in `model`, or nullptr.
const TdpEntry* lookup_tdp(const std::string& model) {
  if (model.empty()) return nullptr;
  const std::string m = to_lower(model);
  const TdpEntry* best = nullptr;
  for (const auto& e : tdp_table()) {
    if (m.find(e.key_lower) != std::string::npos && (!best || e.key_lower.size() > best->key_lower.size())) {
      best = &e;
    }
  }
  return best;
}

// Formats a number without trailing zeros ("10", "12.5", "0.3").
std::string format_g(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// Reads the aggregate "cpu " line of /proc/stat. busy = total - idle - iowait; total sums
// user nice system idle iowait irq softirq steal (guest time is already inside user/nice).
bool read_stat_totals(const std::string& path, unsigned long long* busy, unsigned long long* total) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[512];  // the first line is < 200 bytes
  ssize_t n;
  do { n = ::read(fd, buf, sizeof buf - 1); } while (n < 0 && errno == EINTR);
  ::close(fd);
  if (n <= 0) return false;
  buf[n] = '\0';
  if (std::strncmp(buf, "cpu ", 4) != 0) return false;
  const char* p = buf + 4;
  unsigned long long f[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int fields = 0;
  for (; fields < 8; ++fields) {
    while (*p == ' ') ++p;
    if (*p < '0' || *p > '9') break;
    char* end = nullptr;
    f[fields] = std::strtoull(p, &end, 10);
    p = end;
  }
  if (fields < 4) return false;
  unsigned long long sum = 0;
  for (unsigned long long v : f) sum += v;
  const unsigned long long idle = f[3] + f[4];
  *total = sum;
  *busy = sum >= idle ? sum - idle : 0;
  return true;
}

// Counts the "cpuN" lines of /proc/stat; -1 if it cannot be read.
int count_stat_cpus(const std::string& path) {
  std::ifstream in(path);
  if (!in) return -1;
  int cpus = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > 3 && line.compare(0, 3, "cpu") == 0 && std::isdigit(static_cast<unsigned char>(line[3]))) ++cpus;
  }
  return cpus;
}

// Returns the first "model name" of /proc/cpuinfo, or "".
std::string read_cpu_model(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, 10, "model name") != 0) continue;
    std::string::size_type colon = line.find(':');
    if (colon != std::string::npos) return trim(line.substr(colon + 1));
  }
  return "";
}

}  // namespace

double cpu_tdp_lookup_w(const std::string& model) {
  const TdpEntry* e = lookup_tdp(model);
  return e ? e->tdp_w : NAN;
}

CpuEstimateSource::CpuEstimateSource(const CpuEstimateOptions& opt) : opt_(opt) {
  const std::string stat_path = opt_.proc_root + "/stat";
  cores_ = count_stat_cpus(stat_path);
  unsigned long long busy = 0, total = 0;
  if (cores_ < 0 || !read_stat_totals(stat_path, &busy, &total)) {
    error_ = "cannot read " + stat_path + " (no 'cpu' line)";
    cores_ = std::max(cores_, 0);
  }
  cpu_model_ = read_cpu_model(opt_.proc_root + "/cpuinfo");
  if (std::isfinite(opt_.tdp_w)) {
    tdp_w_ = opt_.tdp_w;
    tdp_origin_ = "given";
  } else if (const TdpEntry* e = lookup_tdp(cpu_model_)) {
    tdp_w_ = e->tdp_w;
    tdp_origin_ = "table: " + e->key;
  } else {
    tdp_w_ = opt_.default_w_per_core * cores_;
    tdp_origin_ = "default: " + std::to_string(cores_) + " cores x " + format_g(opt_.default_w_per_core) + " W/core";
  }
}

std::string CpuEstimateSource::note(const std::string& component) const {
  if (!component.empty() && component != "cpu_estimate") return "";
  return "estimate: power = TDP " + format_g(tdp_w_) + " W (" + tdp_origin_ + ") x (" +
         format_g(opt_.idle_fraction) + " + " + format_g(1.0 - opt_.idle_fraction) +
         " x utilisation from " + opt_.proc_root + "/stat); no energy counter readable";
}

std::vector<SensorInfo> CpuEstimateSource::sensors() const {
  SensorInfo s;
  s.component = "cpu_estimate";
  s.source = "estimate";
  s.description = cpu_model_.empty() ? "CPU (model unknown)" : cpu_model_;
  s.working = error_.empty();
  s.detail = error_.empty() ? note("cpu_estimate") : error_;
  return {s};
}

std::vector<Reading> CpuEstimateSource::read() {
  if (!error_.empty()) return {};
  Reading r;
  r.component = "cpu_estimate";
  r.kind = ComponentKind::cpu_estimate;
  unsigned long long busy = 0, total = 0;
  if (!read_stat_totals(opt_.proc_root + "/stat", &busy, &total)) {
    r.ok = false;
    return {r};
  }
  // Utilisation since the previous read (the first read: since boot). Reads closer than
  // one clock tick per CPU repeat the last value instead of dividing by ~0.
  const unsigned long long min_ticks = static_cast<unsigned long long>(std::max(cores_, 1));
  double utilisation;
  if (!have_prev_) {
    utilisation = total > 0 ? static_cast<double>(busy) / static_cast<double>(total) : 0.0;
    prev_busy_ = busy;
    prev_total_ = total;
    have_prev_ = true;
  } else if (total >= prev_total_ + min_ticks || !std::isfinite(last_utilisation_)) {
    const double d_total = static_cast<double>(total) - static_cast<double>(prev_total_);
    const double d_busy = static_cast<double>(busy) - static_cast<double>(prev_busy_);
    utilisation = d_total > 0.0 ? d_busy / d_total : 0.0;
    prev_busy_ = busy;
    prev_total_ = total;
  } else {
    utilisation = last_utilisation_;
  }
  utilisation = std::clamp(utilisation, 0.0, 1.0);
  last_utilisation_ = utilisation;
  r.power_w = tdp_w_ * (opt_.idle_fraction + (1.0 - opt_.idle_fraction) * utilisation);
  return {r};
}

}  // namespace powertrain
