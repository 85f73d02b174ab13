// The meter: a sampler thread, edge reads, and window energies (counter difference or Eq. 1).
#include "powertrain/energy/meter.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace powertrain {

// ---- Measurement ---------------------------------------------------------------------

double Measurement::total_energy_j() const {
  double sum = 0;
  bool any = false;
  for (const auto& c : components) {
    if (std::isfinite(c.energy_j)) { sum += c.energy_j; any = true; }
  }
  return any ? sum : NAN;
}

double Measurement::total_uncertainty_j() const {
  double sq = 0;
  bool any = false;
  for (const auto& c : components) {
    if (std::isfinite(c.uncertainty_j)) { sq += c.uncertainty_j * c.uncertainty_j; any = true; }
  }
  return any ? std::sqrt(sq) : NAN;
}

Provenance Measurement::total_provenance() const {
  if (components.empty()) return Provenance::missing;
  Provenance p = Provenance::measured_counter;
  for (const auto& c : components) p = provenance_weakest(p, c.provenance);
  return p;
}

double Measurement::avg_power_w() const {
  return duration_s > 0 ? total_energy_j() / duration_s : NAN;
}

// ---- Integration rules -----------------------------------------------------------------

double energy_eq1_j(const std::vector<double>& power_w, double duration_s) {
  if (power_w.empty()) return NAN;
  double sum = 0;
  for (double p : power_w) sum += p;
  return sum / static_cast<double>(power_w.size()) * duration_s;
}

double energy_trapezoid_j(const std::vector<std::pair<double, double>>& pts) {
  if (pts.size() < 2) return NAN;
  double e = 0;
  for (size_t i = 1; i < pts.size(); ++i) {
    e += 0.5 * (pts[i].second + pts[i - 1].second) * (pts[i].first - pts[i - 1].first);
  }
  return e;
}

std::vector<PowerSample> downsample(const std::vector<PowerSample>& samples, double bucket_s) {
  if (bucket_s <= 0) return samples;
  struct Acc { double t_sum = 0, p_sum = 0; int n = 0; };
  std::vector<PowerSample> out;
  std::vector<std::string> order;
  std::map<std::string, std::map<long long, Acc>> acc;
  for (const auto& s : samples) {
    if (!std::isfinite(s.power_w)) continue;
    if (!acc.count(s.component)) order.push_back(s.component);
    auto& a = acc[s.component][static_cast<long long>(std::floor(s.t_s / bucket_s))];
    a.t_sum += s.t_s; a.p_sum += s.power_w; ++a.n;
  }
  for (const auto& comp : order) {
    for (const auto& [bucket, a] : acc[comp]) {
      out.push_back(PowerSample{a.t_sum / a.n, comp, a.p_sum / a.n});
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const PowerSample& a, const PowerSample& b) { return a.t_s < b.t_s; });
  return out;
}

// ---- Meter -----------------------------------------------------------------------------

namespace {

// Every reading of one component, in time order (sampler and edge reads alike).
struct Timeline {
  std::string component;
  ComponentKind kind = ComponentKind::other;
  size_t source = 0;               // index into Impl::sources
  bool counter = false;            // decided by the first reading
  std::vector<double> t_s;
  std::vector<double> energy_j;    // counters only
  std::vector<double> power_w;     // measured, or counter difference since the last anchor
  double anchor_t_s = NAN, anchor_energy_j = NAN;
};

struct OpenWindow {
  int id;
  int parent_id;
  std::string name;
  double start_s;
  double start_unix_s;
  std::vector<size_t> begin_index;  // per timeline: first reading of the window (SIZE_MAX: none yet)
};

double unix_now_s() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

struct Meter::Impl {
  std::vector<std::unique_ptr<EnergySource>> sources;
  MeterOptions opt;
  double t0_s = 0;
  double min_power_dt_s = 0.05;  // shortest interval over which a counter yields a power sample

  mutable std::mutex mu;
  std::vector<Timeline> timelines;
  std::vector<OpenWindow> open;
  std::vector<Measurement> finished;
  IdleBaseline baseline;
  int next_id = 0;

  std::thread sampler;
  std::condition_variable cv;
  bool stopping = false;

  double clock() const { return opt.clock_s_(); }

  size_t timeline_index(const Reading& r, size_t source) {
    for (size_t i = 0; i < timelines.size(); ++i) if (timelines[i].component == r.component) return i;
    Timeline tl;
    tl.component = r.component;
    tl.kind = r.kind;
    tl.source = source;
    tl.counter = std::isfinite(r.energy_j);
    timelines.push_back(std::move(tl));
    return timelines.size() - 1;
  }

  // Reads every source once and appends to the timelines. Returns the time of the read
  // on the meter's clock. Caller holds mu.
  double read_all_locked() {
    double t = clock() - t0_s;
    for (size_t s = 0; s < sources.size(); ++s) {
      std::vector<Reading> readings;
      try { readings = sources[s]->read(); } catch (...) { continue; }
      for (const auto& r : readings) {
        if (!r.ok) continue;
        Timeline& tl = timelines[timeline_index(r, s)];
        if (tl.counter && !std::isfinite(r.energy_j)) continue;
        if (!tl.counter && !std::isfinite(r.power_w)) continue;
        double p = r.power_w;
        if (tl.counter) {
          if (std::isfinite(tl.anchor_t_s) && t - tl.anchor_t_s >= min_power_dt_s) {
            p = (r.energy_j - tl.anchor_energy_j) / (t - tl.anchor_t_s);
            tl.anchor_t_s = t; tl.anchor_energy_j = r.energy_j;
          } else if (!std::isfinite(tl.anchor_t_s)) {
            tl.anchor_t_s = t; tl.anchor_energy_j = r.energy_j;
            p = NAN;
          } else {
            p = NAN;
          }
        }
        tl.t_s.push_back(t);
        tl.energy_j.push_back(tl.counter ? r.energy_j : NAN);
        tl.power_w.push_back(p);
      }
    }
    return t;
  }

  double edge_read_locked() {
    if (opt.on_edge_) opt.on_edge_();
    return read_all_locked();
  }

  ComponentMeasurement measure_component(const Timeline& tl, size_t b, double start_s, double end_s) const {
    ComponentMeasurement c;
    c.component = tl.component;
    c.kind = tl.kind;
    c.source = sources[tl.source]->name();
    c.note = sources[tl.source]->note(tl.component);
    double duration_s = end_s - start_s;
    // Readings of the window: from its begin edge to its end edge.
    size_t first = b;
    if (first == SIZE_MAX) {
      first = static_cast<size_t>(std::lower_bound(tl.t_s.begin(), tl.t_s.end(), start_s) - tl.t_s.begin());
    }
    size_t last = static_cast<size_t>(std::upper_bound(tl.t_s.begin(), tl.t_s.end(), end_s) - tl.t_s.begin());
    c.samples = last > first ? static_cast<int>(last - first) : 0;
    if (c.samples == 0) {
      c.provenance = Provenance::missing;
      c.note = "no reading of " + tl.component + " inside the window";
      return c;
    }
    double peak = NAN;
    if (tl.counter) {
      if (c.samples < 2) {
        c.provenance = Provenance::missing;
        c.note = "only one counter reading inside the window";
        return c;
      }
      c.energy_j = tl.energy_j[last - 1] - tl.energy_j[first];
      double res = sources[tl.source]->counter_resolution_j(tl.component);
      c.uncertainty_j = res > 0 ? 2 * res : NAN;
      for (size_t i = first + 1; i < last; ++i) {
        if (std::isfinite(tl.power_w[i]) && !(tl.power_w[i] <= peak)) peak = tl.power_w[i];
      }
      c.provenance = Provenance::measured_counter;
    } else {
      std::vector<double> powers;
      std::vector<std::pair<double, double>> pts;
      double pmin = std::numeric_limits<double>::infinity(), pmax = -pmin, max_gap = 0;
      for (size_t i = first; i < last; ++i) {
        powers.push_back(tl.power_w[i]);
        pts.emplace_back(tl.t_s[i], tl.power_w[i]);
        pmin = std::min(pmin, tl.power_w[i]);
        pmax = std::max(pmax, tl.power_w[i]);
        if (i > first) max_gap = std::max(max_gap, tl.t_s[i] - tl.t_s[i - 1]);
      }
      max_gap = std::max({max_gap, pts.front().first - start_s, end_s - pts.back().first});
      c.energy_j = energy_eq1_j(powers, duration_s);  // Eq. 1 of research.md
      peak = pmax;
      if (tl.kind == ComponentKind::cpu_estimate) {
        c.provenance = Provenance::estimated;  // the model's error cannot be bounded
      } else {
        c.provenance = Provenance::integrated_power;
        double trap = energy_trapezoid_j(pts);
        double rule_gap = std::isfinite(trap) ? std::fabs(c.energy_j - trap) : 0.0;
        c.uncertainty_j = rule_gap + 0.5 * max_gap * (pmax - pmin);
      }
    }
    c.peak_power_w = peak;
    c.avg_power_w = duration_s > 0 ? c.energy_j / duration_s : NAN;
    auto it = baseline.power_w.find(tl.component);
    if (it != baseline.power_w.end()) {
      c.idle_power_w = it->second;
      c.static_energy_j = it->second * duration_s;
      c.dynamic_energy_j = c.energy_j - c.static_energy_j;
    }
    return c;
  }

  Measurement close_top_locked(double end_s) {
    OpenWindow w = std::move(open.back());
    open.pop_back();
    Measurement m;
    m.id = w.id;
    m.parent_id = w.parent_id;
    m.name = w.name;
    m.start_s = w.start_s;
    m.start_unix_s = w.start_unix_s;
    m.duration_s = end_s - w.start_s;
    for (size_t i = 0; i < timelines.size(); ++i) {
      size_t b = i < w.begin_index.size() ? w.begin_index[i] : SIZE_MAX;
      m.components.push_back(measure_component(timelines[i], b, w.start_s, end_s));
    }
    finished.push_back(m);
    return m;
  }

  void sampler_loop() {
    using clock = std::chrono::steady_clock;
    auto period = std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(opt.interval_s_));
    auto next = clock::now() + period;
    std::unique_lock<std::mutex> lock(mu);
    while (!stopping) {
      if (cv.wait_until(lock, next, [&] { return stopping; })) break;
      read_all_locked();
      next += period;
      auto now = clock::now();
      if (next < now) next = now + period;  // fell behind (suspended machine): do not burst
    }
  }
};

Meter::Meter(std::vector<std::unique_ptr<EnergySource>> sources, MeterOptions opt) : impl_(new Impl) {
  impl_->sources = std::move(sources);
  impl_->opt = std::move(opt);
  if (!impl_->opt.clock_s_) {
    impl_->opt.clock_s_ = [] {
      return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    };
  }
  if (impl_->opt.interval_s_ > 0) impl_->min_power_dt_s = 0.5 * impl_->opt.interval_s_;
  impl_->t0_s = impl_->clock();
}

Meter::~Meter() { stop(); }

void Meter::start() {
  if (impl_->opt.interval_s_ <= 0 || impl_->sampler.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = false;
    impl_->read_all_locked();
  }
  impl_->sampler = std::thread([this] { impl_->sampler_loop(); });
}

void Meter::stop() {
  if (!impl_->sampler.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  impl_->sampler.join();
}

Meter::WindowId Meter::begin(const std::string& name) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  double t = impl_->edge_read_locked();
  OpenWindow w;
  w.id = impl_->next_id++;
  w.parent_id = impl_->open.empty() ? -1 : impl_->open.back().id;
  w.name = name;
  w.start_unix_s = unix_now_s();
  w.start_s = t;
  for (const auto& tl : impl_->timelines) {
    // The begin edge reading, if this component answered it; else found by time at the end.
    bool answered = !tl.t_s.empty() && tl.t_s.back() == t;
    w.begin_index.push_back(answered ? tl.t_s.size() - 1 : SIZE_MAX);
  }
  impl_->open.push_back(std::move(w));
  return impl_->open.back().id;
}

Measurement Meter::end(WindowId id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = std::find_if(impl_->open.begin(), impl_->open.end(), [&](const OpenWindow& w) { return w.id == id; });
  if (it == impl_->open.end()) throw std::logic_error("Meter::end: window " + std::to_string(id) + " is not open");
  double end_s = impl_->edge_read_locked();
  Measurement m;
  while (true) {
    bool target = impl_->open.back().id == id;
    m = impl_->close_top_locked(end_s);
    if (target) break;
  }
  return m;
}

void Meter::sample_now() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->read_all_locked();
}

IdleBaseline Meter::measure_idle(double seconds) {
  IdleBaseline b;
  int id = begin("idle baseline");
  if (impl_->opt.interval_s_ > 0 && impl_->sampler.joinable()) {
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  } else {
    // No sampler thread: sample ten times across the period ourselves.
    for (int i = 0; i < 10; ++i) {
      std::this_thread::sleep_for(std::chrono::duration<double>(seconds / 10));
      sample_now();
    }
  }
  Measurement m = end(id);
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->finished.pop_back();  // the baseline is not one of the user's windows
  b.duration_s = m.duration_s;
  for (const auto& c : m.components) {
    if (std::isfinite(c.avg_power_w)) b.power_w[c.component] = c.avg_power_w;
  }
  impl_->baseline = b;
  return b;
}

void Meter::set_idle_baseline(const IdleBaseline& b) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->baseline = b;
}

std::vector<PowerSample> Meter::samples() const { return samples_since(-INFINITY); }

std::vector<PowerSample> Meter::samples_since(double t_s) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<PowerSample> out;
  for (const auto& tl : impl_->timelines) {
    // Readings are appended in time order: the first one at or after t_s by bisection.
    size_t first = static_cast<size_t>(std::lower_bound(tl.t_s.begin(), tl.t_s.end(), t_s) - tl.t_s.begin());
    for (size_t i = first; i < tl.t_s.size(); ++i) {
      if (std::isfinite(tl.power_w[i])) out.push_back(PowerSample{tl.t_s[i], tl.component, tl.power_w[i]});
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const PowerSample& a, const PowerSample& b) { return a.t_s < b.t_s; });
  return out;
}

std::vector<SensorInfo> Meter::sensors() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<SensorInfo> out;
  for (const auto& s : impl_->sources) {
    auto v = s->sensors();
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

std::vector<Measurement> Meter::finished() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->finished;
}

std::vector<std::string> Meter::components() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<std::string> out;
  for (const auto& tl : impl_->timelines) out.push_back(tl.component);
  return out;
}

double Meter::now_s() const { return impl_->clock() - impl_->t0_s; }

}  // namespace powertrain
