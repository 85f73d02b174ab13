// A recorded power trace (CSV: t_s,component,power_w) played back as an energy source.
#include "powertrain/energy/replay.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "util/text.h"

namespace powertrain {

using util::printable;
using util::trim;

namespace {

ComponentKind kind_of(const std::string& component) {
  std::string prefix = component.substr(0, component.find(':'));
  if (prefix == "gpu") return ComponentKind::gpu;
  if (prefix == "cpu_package") return ComponentKind::cpu_package;
  if (prefix == "dram") return ComponentKind::dram;
  if (prefix == "cpu_estimate") return ComponentKind::cpu_estimate;
  return ComponentKind::other;
}

}  // namespace

PowerTrace parse_power_trace(std::istream& in, const std::string& origin) {
  constexpr size_t kMaxLineBytes = 1 << 16;
  PowerTrace points;
  std::string line;
  int64_t line_no = 0;
  bool header_seen = false;
  auto where = [&] { return "power trace " + origin + ":" + std::to_string(line_no); };
  for (;;) {
    const util::LineRead got = util::read_line(in, line, kMaxLineBytes);
    if (got == util::LineRead::end) break;
    ++line_no;
    if (got == util::LineRead::too_long) {
      throw std::runtime_error(where() + ": the line is longer than " + std::to_string(kMaxLineBytes) + " bytes ('" +
                               printable(line, 60) + "'): is this a power trace (t_s,component,power_w)?");
    }
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    if (!header_seen) {
      if (line != "t_s,component,power_w") {
        throw std::runtime_error(where() + ": expected the header 't_s,component,power_w', found '" + printable(line) + "'");
      }
      header_seen = true;
      continue;
    }
    std::stringstream ss(line);
    std::string t_str, comp, p_str;
    std::getline(ss, t_str, ',');
    std::getline(ss, comp, ',');
    std::getline(ss, p_str, ',');
    char* end = nullptr;
    double t = std::strtod(t_str.c_str(), &end);
    bool t_ok = end != t_str.c_str() && *end == '\0' && std::isfinite(t) && t >= 0;
    double p = std::strtod(p_str.c_str(), &end);
    bool p_ok = end != p_str.c_str() && *end == '\0' && std::isfinite(p) && p >= 0;
    comp = trim(comp);
    if (!t_ok || !p_ok || comp.empty()) {
      throw std::runtime_error(where() + ": expected 't_s,component,power_w' with t_s >= 0 and power_w >= 0, found '" +
                               printable(line) + "'");
    }
    auto& pts = points[comp];
    if (!pts.empty() && t < pts.back().first) {
      throw std::runtime_error(where() + ": time goes backwards for " + printable(comp, 60) + " (sort the trace by t_s)");
    }
    pts.emplace_back(t, p);
  }
  if (!header_seen || points.empty()) {
    throw std::runtime_error("power trace " + origin +
                             " holds no samples (expected a header 't_s,component,power_w' and rows)");
  }
  return points;
}

ReplaySource::ReplaySource(const std::string& path, std::function<double()> now_s)
    : path_(path), now_s_(std::move(now_s)) {
  if (!now_s_) {
    now_s_ = [] { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); };
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    throw std::runtime_error("power trace " + path + " is a directory: pass the trace's CSV file (t_s,component,power_w)");
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read power trace " + path + ": no such file or no permission");
  points_ = parse_power_trace(f, path);
}

std::vector<SensorInfo> ReplaySource::sensors() const {
  std::vector<SensorInfo> out;
  for (const auto& [comp, pts] : points_) {
    out.push_back(SensorInfo{comp, "replay", "recorded trace " + path_, true,
                             std::to_string(pts.size()) + " points over " + std::to_string(pts.back().first) + " s"});
  }
  return out;
}

double ReplaySource::power_at_w(const std::string& component, double t_s) const {
  auto it = points_.find(component);
  if (it == points_.end()) return NAN;
  const auto& pts = it->second;
  auto up = std::upper_bound(pts.begin(), pts.end(), t_s, [](double t, const std::pair<double, double>& p) { return t < p.first; });
  if (up == pts.begin()) return pts.front().second;
  return std::prev(up)->second;
}

std::vector<Reading> ReplaySource::read() {
  double now = now_s_();
  if (t0_s_ < 0) t0_s_ = now;
  std::vector<Reading> out;
  for (const auto& [comp, pts] : points_) {
    Reading r;
    r.component = comp;
    r.kind = kind_of(comp);
    r.power_w = power_at_w(comp, now - t0_s_);
    out.push_back(r);
  }
  return out;
}

std::string ReplaySource::note(const std::string& component) const {
  return "replayed from " + path_;
}

}  // namespace powertrain
