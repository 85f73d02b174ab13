// RAPL energy source: finds the package and DRAM zones of the Linux powercap tree, keeps
// their energy_uj files open, reads them with pread() from offset 0 (a few µs each) and
// unwraps the counters at max_energy_range_uj.
#include "powertrain/energy/rapl.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>

namespace powertrain {
namespace {

constexpr double kMicrojoulesPerJoule = 1e6;  // divide (exact for whole joules), not multiply by 1e-6

// Parses a powercap zone id (hexadecimal: the kernel names zones "%s:%x").
bool parse_zone_id(const std::string& s, int* id) {
  if (s.empty() || s.size() > 6) return false;
  int v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else return false;
    v = v * 16 + d;
  }
  *id = v;
  return true;
}

// Parses "intel-rapl:N" (sub_id = -1) or "intel-rapl:N:M". Rejects "intel-rapl-mmio:N"
// (the MMIO interface duplicates the package domain) and the control type "intel-rapl".
bool parse_zone_dir(const std::string& dir, int* top_id, int* sub_id) {
  static const std::string prefix = "intel-rapl:";
  if (dir.compare(0, prefix.size(), prefix) != 0) return false;
  std::string rest = dir.substr(prefix.size());
  std::string::size_type colon = rest.find(':');
  if (colon == std::string::npos) {
    *sub_id = -1;
    return parse_zone_id(rest, top_id);
  }
  return parse_zone_id(rest.substr(0, colon), top_id) && parse_zone_id(rest.substr(colon + 1), sub_id);
}

// Parses a decimal unsigned integer followed only by whitespace.
bool parse_u64(const char* begin, const char* end, uint64_t* out) {
  uint64_t v = 0;
  const char* p = begin;
  if (p == end || *p < '0' || *p > '9') return false;
  for (; p != end && *p >= '0' && *p <= '9'; ++p) {
    uint64_t d = static_cast<uint64_t>(*p - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
  }
  for (; p != end; ++p) {
    if (*p != '\n' && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\0') return false;
  }
  *out = v;
  return true;
}

// Reads a small text file (a sysfs attribute). Returns 0 or an errno value.
int read_small_file(const std::string& path, std::string* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  char buf[256];
  ssize_t n;
  do { n = ::read(fd, buf, sizeof buf); } while (n < 0 && errno == EINTR);
  int err = n < 0 ? errno : 0;
  ::close(fd);
  if (err) return err;
  out->assign(buf, static_cast<size_t>(n));
  while (!out->empty() && (out->back() == '\n' || out->back() == ' ' || out->back() == '\r')) out->pop_back();
  return 0;
}

// Reads a counter from an open sysfs file; pread at offset 0 makes sysfs regenerate the
// value. Returns 0 or an errno value (EINVAL when the text is not a number).
int pread_u64(int fd, uint64_t* out) {
  char buf[32];
  ssize_t n;
  do { n = ::pread(fd, buf, sizeof buf, 0); } while (n < 0 && errno == EINTR);
  if (n < 0) return errno;
  return parse_u64(buf, buf + n, out) ? 0 : EINVAL;
}

std::string errno_text(int err) { return std::strerror(err); }

// Formats a duration or an energy for people: whole units from 100 up, else 3 digits.
std::string format_amount(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, v >= 100.0 ? "%.0f" : "%.3g", v);
  return buf;
}

bool is_permission_error(int err) { return err == EACCES || err == EPERM; }

const char* const kPermissionReason =
    "permission denied (since Linux 5.10 RAPL energy counters are readable by root only, "
    "CVE-2020-8694)";

// One powercap zone found under the root, summed or not.
struct Zone {
  std::string dir;                  // e.g. "intel-rapl:0:1"
  std::string path;                 // root + "/" + dir
  int top_id = 0;                   // N of intel-rapl:N[:M]
  int sub_id = -1;                  // M, or -1 for a top-level zone
  std::string zone_name;            // contents of `name`: "package-0", "dram", "core", "psys"
  std::string component;            // "cpu_package:0", "dram:0"; "core:0" etc. for skipped zones
  ComponentKind kind = ComponentKind::other;
  bool summed = false;              // a package or a package's dram zone
  bool working = false;             // summed and its energy_uj readable
  std::string detail;
  int fd = -1;                      // energy_uj, open while working
  uint64_t range_uj = 0;            // max_energy_range_uj: the counter wraps to 0 past this
  uint64_t last_raw_uj = 0;         // last value read from energy_uj
  uint64_t offset_uj = 0;           // sum of the wraps seen so far
};

}  // namespace

struct RaplSource::Impl {
  std::string root;
  std::string root_problem;         // non-empty when the root cannot be scanned
  std::vector<Zone> zones;          // sorted by (top_id, sub_id)
  std::string denied_path;          // first energy_uj refused for lack of permission

  ~Impl() {
    for (auto& z : zones) if (z.fd >= 0) ::close(z.fd);
  }

  void scan();
  void classify(Zone& z) const;
  void open_counter(Zone& z);
};

void RaplSource::Impl::scan() {
  DIR* d = ::opendir(root.c_str());
  if (!d) {
    int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      root_problem = "no RAPL powercap tree at " + root +
                     " (not an Intel/AMD CPU, a VM, or the intel_rapl driver is not loaded)";
    } else {
      root_problem = "cannot list " + root + ": " + errno_text(err);
    }
    return;
  }
  while (dirent* e = ::readdir(d)) {
    Zone z;
    z.dir = e->d_name;
    // Entries are symlinks in /sys/class/powercap and directories in fakes: check the name only.
    if (!parse_zone_dir(z.dir, &z.top_id, &z.sub_id)) continue;
    z.path = root + "/" + z.dir;
    zones.push_back(std::move(z));
  }
  ::closedir(d);
  if (zones.empty()) {
    root_problem = "no RAPL powercap tree at " + root +
                   " (not an Intel/AMD CPU, a VM, or the intel_rapl driver is not loaded)";
    return;
  }
  std::sort(zones.begin(), zones.end(), [](const Zone& a, const Zone& b) {
    return a.top_id != b.top_id ? a.top_id < b.top_id : a.sub_id < b.sub_id;
  });
  for (auto& z : zones) {
    int err = read_small_file(z.path + "/name", &z.zone_name);
    if (err) z.detail = "cannot read " + z.path + "/name: " + errno_text(err);
  }
  for (auto& z : zones) {
    if (!z.detail.empty()) continue;
    classify(z);
    if (z.summed) open_counter(z);
  }
  // Two zones must never report the same component id.
  for (size_t i = 0; i < zones.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (zones[i].summed && zones[j].summed && zones[i].component == zones[j].component) {
        zones[i].summed = false;
        zones[i].working = false;
        if (zones[i].fd >= 0) { ::close(zones[i].fd); zones[i].fd = -1; }
        zones[i].detail = "skipped: same component id as " + zones[j].dir;
        break;
      }
    }
  }
}

void RaplSource::Impl::classify(Zone& z) const {
  static const std::string package_prefix = "package-";
  const std::string& n = z.zone_name;
  if (z.sub_id < 0) {
    if (n.compare(0, package_prefix.size(), package_prefix) == 0 && n.size() > package_prefix.size()) {
      // "package-0", or "package-0-die-1" on multi-die parts (each die is its own domain).
      z.component = "cpu_package:" + n.substr(package_prefix.size());
      z.kind = ComponentKind::cpu_package;
      z.summed = true;
    } else if (n == "psys") {
      z.component = "psys";
      z.detail = "skipped: contains the package";
    } else {
      z.component = n;
      z.detail = "skipped: unknown RAPL zone, not summed";
    }
    return;
  }
  // A subzone: name it after its package.
  std::string package_id = std::to_string(z.top_id);
  for (const auto& p : zones) {
    if (p.sub_id < 0 && p.top_id == z.top_id &&
        p.zone_name.compare(0, package_prefix.size(), package_prefix) == 0 &&
        p.zone_name.size() > package_prefix.size()) {
      package_id = p.zone_name.substr(package_prefix.size());
    }
  }
  z.component = n + ":" + package_id;
  if (n == "dram") {
    z.kind = ComponentKind::dram;
    z.summed = true;
  } else if (n == "core" || n == "uncore") {
    z.detail = "skipped: overlaps the package domain";
  } else {
    z.detail = "skipped: unknown RAPL subzone, not summed";
  }
}

void RaplSource::Impl::open_counter(Zone& z) {
  std::string range_text;
  int err = read_small_file(z.path + "/max_energy_range_uj", &range_text);
  if (err) {
    z.detail = "cannot read " + z.path + "/max_energy_range_uj: " + errno_text(err);
    return;
  }
  if (!parse_u64(range_text.data(), range_text.data() + range_text.size(), &z.range_uj) || z.range_uj == 0) {
    z.detail = "bad max_energy_range_uj in " + z.path + ": '" + range_text + "'";
    return;
  }
  const std::string counter_path = z.path + "/energy_uj";
  z.fd = ::open(counter_path.c_str(), O_RDONLY | O_CLOEXEC);
  err = z.fd < 0 ? errno : pread_u64(z.fd, &z.last_raw_uj);
  if (err) {
    if (z.fd >= 0) { ::close(z.fd); z.fd = -1; }
    if (is_permission_error(err)) {
      z.detail = "cannot read " + counter_path + ": " + kPermissionReason;
      if (denied_path.empty()) denied_path = counter_path;
    } else {
      z.detail = "cannot read " + counter_path + ": " + errno_text(err);
    }
    return;
  }
  z.working = true;
  const double range_j = static_cast<double>(z.range_uj) / kMicrojoulesPerJoule;
  z.detail = "energy counter in uJ, wraps after " + format_amount(range_j) + " J (" +
             format_amount(range_j / 400.0) + " s at 400 W)";
}

RaplSource::RaplSource(const std::string& powercap_root) : impl_(std::make_unique<Impl>()) {
  impl_->root = powercap_root;
  while (impl_->root.size() > 1 && impl_->root.back() == '/') impl_->root.pop_back();
  impl_->scan();
}

RaplSource::~RaplSource() = default;

std::vector<SensorInfo> RaplSource::sensors() const {
  std::vector<SensorInfo> out;
  if (!impl_->root_problem.empty()) {
    SensorInfo s;
    s.source = "rapl";
    s.description = "RAPL";
    s.working = false;
    s.detail = impl_->root_problem;
    out.push_back(std::move(s));
    return out;
  }
  for (const auto& z : impl_->zones) {
    SensorInfo s;
    s.component = z.component.empty() ? z.dir : z.component;
    s.source = "rapl";
    s.description = (z.zone_name.empty() ? std::string("?") : z.zone_name) + " (" + z.dir + ")";
    s.working = z.working;
    s.detail = z.detail;
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<Reading> RaplSource::read() {
  std::vector<Reading> out;
  out.reserve(impl_->zones.size());
  for (auto& z : impl_->zones) {
    if (!z.working) continue;
    Reading r;
    r.component = z.component;
    r.kind = z.kind;
    uint64_t raw_uj = 0;
    if (pread_u64(z.fd, &raw_uj) != 0) {
      r.ok = false;
    } else {
      if (raw_uj < z.last_raw_uj) z.offset_uj += z.range_uj;  // wrapped since the last read
      z.last_raw_uj = raw_uj;
      r.energy_j = static_cast<double>(raw_uj + z.offset_uj) / kMicrojoulesPerJoule;
    }
    out.push_back(std::move(r));
  }
  return out;
}

double RaplSource::counter_resolution_j(const std::string& component) const {
  for (const auto& z : impl_->zones) {
    if (z.summed && z.component == component) return 1.0 / kMicrojoulesPerJoule;
  }
  return 0.0;
}

double RaplSource::wrap_period_s(double max_power_w) const {
  double shortest_s = std::numeric_limits<double>::infinity();
  if (!(max_power_w > 0.0)) return shortest_s;
  for (const auto& z : impl_->zones) {
    if (!z.working) continue;
    shortest_s = std::min(shortest_s, static_cast<double>(z.range_uj) / kMicrojoulesPerJoule / max_power_w);
  }
  return shortest_s;
}

bool RaplSource::permission_denied() const { return !impl_->denied_path.empty(); }

std::string RaplSource::permission_help() const {
  if (impl_->denied_path.empty()) return "";
  const std::string& root = impl_->root;
  return "cannot read " + impl_->denied_path + ": " + kPermissionReason +
         ". Grant read access until reboot: sudo chmod a+r " + root + "/intel-rapl:*/energy_uj"
         " -- or permanently with a udev rule: echo 'ACTION==\"add\", SUBSYSTEM==\"powercap\", "
         "KERNEL==\"intel-rapl:*\", RUN+=\"/bin/chmod a+r /sys%p/energy_uj\"' | "
         "sudo tee /etc/udev/rules.d/99-powertrain-rapl.rules && sudo udevadm control --reload && "
         "sudo udevadm trigger --subsystem-match=powercap --action=add"
         " (either lets every local user read the counters, the power side channel that "
         "CVE-2020-8694 closed).";
}

}  // namespace powertrain
