// The event channel's reader: lines from a measured program become meter windows, epochs
// and metrics; every line that cannot be used is counted, never fatal (docs/events.md).
#include "powertrain/measure/events.h"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <vector>

namespace powertrain {

namespace {

constexpr size_t kMaxNameBytes = 200;
constexpr size_t kMaxMetricNameBytes = 64;
constexpr int kMaxEpoch = 1000000;

// The problems, as counted and reported.
constexpr const char* kUnknown = "unknown event";
constexpr const char* kMalformed = "malformed line";
constexpr const char* kTooLong = "line too long";
constexpr const char* kNotOpen = "end of a window that is not open";
constexpr const char* kNeverClosed = "window never closed";
constexpr const char* kClosedByOuter = "window closed by an enclosing window's end";
constexpr const char* kOverLimit = "window over the limit";
constexpr const char* kTooDeep = "window nested too deeply";
constexpr const char* kBadMetric = "bad metric";
constexpr const char* kMetricTarget = "metric for no epoch of the run";
constexpr const char* kEpochRepeated = "epoch repeated";

bool printable(const std::string& s) {
  for (unsigned char c : s) if (c < 0x20 || c == 0x7f) return false;
  return true;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(' ');
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(' ');
  return s.substr(b, e - b + 1);
}

// "epoch N" with N in 1..kMaxEpoch; nullopt for any other name.
std::optional<int> epoch_number(const std::string& name) {
  if (name.rfind("epoch ", 0) != 0) return std::nullopt;
  std::string n = name.substr(6);
  if (n.empty() || n.size() > 7 || n.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  int v = std::atoi(n.c_str());
  if (v < 1 || v > kMaxEpoch) return std::nullopt;
  return v;
}

bool metric_name_ok(const std::string& s) {
  if (s.empty() || s.size() > kMaxMetricNameBytes) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' ||
              c == '/' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// Sets a metric on an epoch: the well-known names fill the epoch's columns, others its map.
void set_metric(EpochRecord& e, const std::string& name, double value) {
  if (name == "train_loss" || name == "loss") e.train_loss = value;
  else if (name == "val_loss") e.val_loss = value;
  else if (name == "val_accuracy" || name == "val_metric" || name == "accuracy") e.val_metric = value;
  else if (name == "lr") e.lr = value;
  else if (name == "samples_per_s") e.samples_per_s = value;
  else e.metrics[name] = value;
}

}  // namespace

struct EventSink::Impl {
  Meter& meter;
  std::function<void(const EpochRecord&)> on_epoch;
  EventLimits limits;
  ChildEvents summary;

  struct Open {
    std::string name;
    int window = -1;             // meter window; -1 when ignored (over a limit)
    std::optional<EpochRecord> epoch;
  };
  std::vector<Open> stack;
  size_t real_open = 0;  // windows of `stack` open in the meter
  std::map<int, EpochRecord> finished_epochs;  // by number, for metrics sent after the end
  int64_t line_no = 0;
  std::string partial;
  bool skipping = false;  // inside a line that is too long
  bool finished = false;
  std::optional<Measurement> last_ended;  // by the last line

  Impl(Meter& m, std::function<void(const EpochRecord&)> f, EventLimits l) : meter(m), on_epoch(std::move(f)), limits(l) {}

  void problem(const char* kind, const std::string& what) {
    ++summary.problems[kind];
    if (summary.examples.size() < limits.max_examples) {
      std::string shown = what.size() > 60 ? what.substr(0, 57) + "..." : what;
      summary.examples.push_back(fmt::format("line {}: {} ('{}')", line_no, kind, shown));
    }
  }

  void close_top(bool counted_as_problem, const char* kind, const std::string& line) {
    Open o = std::move(stack.back());
    stack.pop_back();
    if (o.window < 0) return;
    --real_open;
    if (counted_as_problem) problem(kind, o.name.empty() ? line : o.name);
    Measurement m = meter.end(o.window);
    if (!counted_as_problem) last_ended = m;
    if (!o.epoch) return;
    EpochRecord& e = *o.epoch;
    e.duration_s = m.duration_s;
    e.energy_j = m.total_energy_j();
    e.energy_uncertainty_j = m.total_uncertainty_j();
    e.energy_provenance = m.total_provenance();
    e.avg_power_w = m.avg_power_w();
    if (finished_epochs.count(e.epoch)) problem(kEpochRepeated, o.name);
    finished_epochs[e.epoch] = e;
    if (on_epoch) on_epoch(e);
  }

  void begin(const std::string& name, const std::string& line) {
    if (name.empty() || name.size() > kMaxNameBytes || !printable(name)) {
      problem(kMalformed, line);
      return;
    }
    ++summary.windows;
    Open o;
    o.name = name;
    if (summary.windows > limits.max_windows) {
      problem(kOverLimit, name);
    } else if (real_open >= limits.max_depth) {
      problem(kTooDeep, name);
    } else {
      o.window = meter.begin(name);
      ++real_open;
      if (auto n = epoch_number(name)) {
        ++summary.epochs;
        o.epoch = EpochRecord{};
        o.epoch->epoch = *n;
      }
    }
    stack.push_back(std::move(o));
  }

  void end(const std::string& name, const std::string& line) {
    for (size_t i = stack.size(); i-- > 0;) {
      if (stack[i].name != name) continue;
      while (stack.size() > i + 1) close_top(true, kClosedByOuter, line);
      close_top(false, "", line);
      return;
    }
    problem(kNotOpen, line);
  }

  void metric(const std::string& rest, const std::string& line) {
    size_t sp1 = rest.find(' ');
    std::string name = rest.substr(0, sp1);
    std::string value_text, target;
    if (sp1 != std::string::npos) {
      size_t sp2 = rest.find(' ', sp1 + 1);
      value_text = rest.substr(sp1 + 1, sp2 == std::string::npos ? std::string::npos : sp2 - sp1 - 1);
      if (sp2 != std::string::npos) target = trim(rest.substr(sp2 + 1));
    }
    char* end = nullptr;
    errno = 0;
    double value = value_text.empty() ? NAN : std::strtod(value_text.c_str(), &end);
    if (!metric_name_ok(name) || value_text.empty() || end == nullptr || *end != '\0' || errno == ERANGE || !std::isfinite(value)) {
      problem(kBadMetric, line);
      return;
    }
    if (target.empty()) {
      for (size_t i = stack.size(); i-- > 0;) {
        if (stack[i].epoch) {
          set_metric(*stack[i].epoch, name, value);
          ++summary.metrics;
          return;
        }
      }
      summary.run_metrics[name] = value;
      ++summary.metrics;
      return;
    }
    std::optional<int> n = epoch_number(target);
    if (!n) {
      problem(kMetricTarget, line);
      return;
    }
    for (size_t i = stack.size(); i-- > 0;) {
      if (stack[i].epoch && stack[i].epoch->epoch == *n) {
        set_metric(*stack[i].epoch, name, value);
        ++summary.metrics;
        return;
      }
    }
    auto it = finished_epochs.find(*n);
    if (it == finished_epochs.end()) {
      problem(kMetricTarget, line);
      return;
    }
    set_metric(it->second, name, value);
    ++summary.metrics;
    if (on_epoch) on_epoch(it->second);
  }

  void apply(std::string line) {
    last_ended.reset();
    ++line_no;
    ++summary.lines;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (trim(line).empty()) return;
    size_t sp = line.find(' ');
    std::string verb = line.substr(0, sp);
    std::string rest = sp == std::string::npos ? "" : trim(line.substr(sp + 1));
    if (verb == "begin") begin(rest, line);
    else if (verb == "end") end(rest, line);
    else if (verb == "metric") metric(rest, line);
    else problem(kUnknown, line);
  }

  void feed(const char* data, size_t size) {
    size_t start = 0;
    while (start < size) {
      const void* nl = std::memchr(data + start, '\n', size - start);
      size_t stop = nl ? static_cast<size_t>(static_cast<const char*>(nl) - data) : size;
      if (!skipping) {
        partial.append(data + start, stop - start);
        if (partial.size() > limits.max_line_bytes) {
          ++line_no;
          ++summary.lines;
          problem(kTooLong, partial.substr(0, 60));  // the line is counted now; its rest is skipped
          partial.clear();
          skipping = true;
        }
      }
      if (!nl) break;
      if (skipping) {
        skipping = false;
      } else {
        std::string line;
        line.swap(partial);
        apply(std::move(line));
      }
      start = stop + 1;
    }
  }
};

EventSink::EventSink(Meter& meter, std::function<void(const EpochRecord&)> on_epoch, EventLimits limits)
    : impl_(std::make_unique<Impl>(meter, std::move(on_epoch), limits)) {}

EventSink::~EventSink() = default;

void EventSink::feed(const char* data, size_t size) {
  if (!impl_->finished) impl_->feed(data, size);
}

void EventSink::finish() {
  if (impl_->finished) return;
  if (!impl_->skipping && !impl_->partial.empty()) {
    std::string line;
    line.swap(impl_->partial);
    impl_->apply(std::move(line));
  }
  while (!impl_->stack.empty()) impl_->close_top(true, kNeverClosed, "");
  impl_->finished = true;
}

const ChildEvents& EventSink::summary() const { return impl_->summary; }

const Measurement* EventSink::last_ended() const { return impl_->last_ended ? &*impl_->last_ended : nullptr; }

std::string describe_events(const ChildEvents& e) {
  std::string out = fmt::format("{} window{} ({} epoch{}), {} metric{}", e.windows, e.windows == 1 ? "" : "s", e.epochs,
                                e.epochs == 1 ? "" : "s", e.metrics, e.metrics == 1 ? "" : "s");
  int64_t n = e.problem_count();
  if (n == 0) return out;
  out += fmt::format("; {} problem{} ignored:", n, n == 1 ? "" : "s");
  bool first = true;
  for (const auto& [kind, count] : e.problems) {
    out += fmt::format("{} {} {}", first ? "" : ",", count, kind);
    first = false;
  }
  if (!e.examples.empty()) out += " (first: " + e.examples.front() + ")";
  return out;
}

}  // namespace powertrain
