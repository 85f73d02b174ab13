// LiveSamples: appends a running run's complete 1-s power buckets to the store.
#include "powertrain/store/live.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "powertrain/store/store.h"

namespace powertrain {

struct LiveSamples::Impl {
  std::string path;
  int64_t run_id = 0;
  std::function<std::vector<PowerSample>(double since_s)> read;
  double bucket_s = 1.0;
  double every_s = 1.0;
  std::function<void(const std::string&)> on_error;

  std::mutex mu;  // guards stopping and the writes
  std::condition_variable cv;
  bool stopping = false;
  bool failed = false;
  std::unique_ptr<Store> store;                 // opened on the first write
  std::map<std::string, long long> written;     // component -> last bucket written
  double from_s = -INFINITY;                    // read from here: the oldest unwritten bucket
  std::thread thread;

  size_t flush_locked() {
    if (failed || path.empty() || path == ":memory:") return 0;
    try {
      // Only the readings of buckets not written yet: the cost stays that of the new data
      // however long the run.
      std::vector<PowerSample> fresh_readings = read(from_s);
      if (fresh_readings.empty()) return 0;
      // The newest reading's bucket may still grow: write only the buckets before it.
      std::map<std::string, long long> open_bucket, first_bucket;
      for (const auto& s : fresh_readings) {
        long long b = static_cast<long long>(std::floor(s.t_s / bucket_s));
        auto it = open_bucket.find(s.component);
        if (it == open_bucket.end() || b > it->second) open_bucket[s.component] = b;
        auto f = first_bucket.find(s.component);
        if (f == first_bucket.end() || b < f->second) first_bucket[s.component] = b;
      }
      std::vector<PowerSample> fresh;
      for (const auto& s : downsample(fresh_readings, bucket_s)) {
        long long b = static_cast<long long>(std::floor(s.t_s / bucket_s));
        if (b >= open_bucket[s.component]) continue;
        auto w = written.find(s.component);
        if (w != written.end() && b <= w->second) continue;
        fresh.push_back(s);
      }
      if (!fresh.empty()) {
        if (!store) store = std::make_unique<Store>(Store::open(path));
        store->append_samples(run_id, fresh);
        for (const auto& s : fresh) {
          long long b = static_cast<long long>(std::floor(s.t_s / bucket_s));
          if (!written.count(s.component) || b > written[s.component]) written[s.component] = b;
        }
      }
      // Next time, start at the earliest bucket some component has not written.
      double next = INFINITY;
      for (const auto& [c, first] : first_bucket) {
        auto w = written.find(c);
        long long b = w != written.end() ? w->second + 1 : first;
        next = std::min(next, static_cast<double>(b) * bucket_s);
      }
      if (std::isfinite(next)) from_s = next;
      return fresh.size();
    } catch (const std::exception& e) {
      failed = true;
      if (on_error) on_error(std::string("live power samples are no longer written (") + e.what() + "); the run goes on");
      return 0;
    }
  }
};

LiveSamples::LiveSamples(std::string store_path, int64_t run_id,
                         std::function<std::vector<PowerSample>(double since_s)> read_samples,
                         double bucket_s, double every_s, std::function<void(const std::string&)> on_error)
    : impl_(std::make_unique<Impl>()) {
  impl_->path = std::move(store_path);
  impl_->run_id = run_id;
  impl_->read = std::move(read_samples);
  impl_->bucket_s = bucket_s > 0 ? bucket_s : 1.0;
  impl_->every_s = every_s > 0 ? every_s : 1.0;
  impl_->on_error = std::move(on_error);
  if (impl_->path.empty() || impl_->path == ":memory:" || run_id <= 0) return;
  Impl* p = impl_.get();
  p->thread = std::thread([p] {
    std::unique_lock<std::mutex> lock(p->mu);
    while (!p->stopping) {
      p->cv.wait_for(lock, std::chrono::duration<double>(p->every_s), [p] { return p->stopping; });
      if (p->stopping) break;
      p->flush_locked();
    }
  });
}

LiveSamples::~LiveSamples() { stop(); }

void LiveSamples::stop() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
}

size_t LiveSamples::flush() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->flush_locked();
}

}  // namespace powertrain
