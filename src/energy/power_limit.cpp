// power_limit.cpp: a GPU's power limit set through NVML and restored on every way out (see
// power_limit.h).
//
// Every limit set and not yet restored is in one registry. The registry is emptied (each
// limit put back) by the object's destructor, by an atexit hook, and by a watcher thread
// woken through a pipe by SIGINT/SIGTERM/SIGHUP/SIGQUIT: the handler itself only writes the
// signal number to the pipe (async-signal-safe); NVML is called from the watcher, a normal
// thread, which then hands the signal on to whatever disposition it had before.
#include "powertrain/energy/power_limit.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "energy/nvml_library.h"

namespace powertrain {

namespace {

// --- Limits to restore ---

struct Pending {
  nvml::SetUintFn set = nullptr;
  nvml::Device device = nullptr;
  unsigned original_mw = 0;
};

struct Registry {
  std::mutex mutex;
  std::map<unsigned long, Pending> pending;  // by the owning object's id
  unsigned long next_id = 1;
};

// Never destroyed: the atexit hook and the watcher may use it while statics are torn down.
Registry& registry() {
  static Registry* r = new Registry;
  return *r;
}

void restore_all() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  for (const auto& [id, p] : r.pending) p.set(p.device, p.original_mw);
  r.pending.clear();
}

// --- Signals: a handler that writes to a pipe, and a thread that acts on it ---

constexpr std::array<int, 4> kSignals = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

struct SignalWatch {
  std::mutex mutex;  // guards users and the installation; never taken by the watcher
  int users = 0;
  int pipe_fds[2] = {-1, -1};
  std::array<struct sigaction, kSignals.size()> previous{};
  std::thread* watcher = nullptr;
};

SignalWatch& signal_watch() {
  static SignalWatch* w = new SignalWatch;
  return *w;
}

std::atomic<int> g_write_fd{-1};

void on_signal(int sig) {
  const int saved = errno;
  const unsigned char byte = static_cast<unsigned char>(sig);
  const int fd = g_write_fd.load();
  if (fd >= 0) (void)!write(fd, &byte, 1);
  errno = saved;
}

// Does what `sig` did before the handler was installed.
void pass_on(int sig, const struct sigaction& before) {
  if (before.sa_flags & SA_SIGINFO) {
    siginfo_t info{};
    info.si_signo = sig;
    before.sa_sigaction(sig, &info, nullptr);
  } else if (before.sa_handler == SIG_IGN) {
    return;
  } else if (before.sa_handler == SIG_DFL) {
    signal(sig, SIG_DFL);
    raise(sig);  // the default action: the process ends with this signal
  } else {
    before.sa_handler(sig);
  }
}

void watch(int read_fd) {
  SignalWatch& w = signal_watch();
  unsigned char byte = 0;
  while (true) {
    ssize_t n = read(read_fd, &byte, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || byte == 0) return;  // closed, or told to stop
    restore_all();
    for (size_t i = 0; i < kSignals.size(); ++i) {
      if (kSignals[i] == byte) pass_on(byte, w.previous[i]);
    }
  }
}

void start_watching() {
  SignalWatch& w = signal_watch();
  std::lock_guard<std::mutex> lock(w.mutex);
  if (w.users++ > 0) return;
  static std::once_flag at_exit;
  std::call_once(at_exit, [] { std::atexit(restore_all); });
  if (pipe2(w.pipe_fds, O_CLOEXEC) != 0) {
    w.pipe_fds[0] = w.pipe_fds[1] = -1;
    return;  // restored by the destructor and at exit, not on signals
  }
  g_write_fd.store(w.pipe_fds[1]);
  w.watcher = new std::thread(watch, w.pipe_fds[0]);
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < kSignals.size(); ++i) sigaction(kSignals[i], &sa, &w.previous[i]);
}

void stop_watching() {
  SignalWatch& w = signal_watch();
  std::lock_guard<std::mutex> lock(w.mutex);
  if (--w.users > 0 || !w.watcher) return;
  for (size_t i = 0; i < kSignals.size(); ++i) sigaction(kSignals[i], &w.previous[i], nullptr);
  const unsigned char stop = 0;
  (void)!write(w.pipe_fds[1], &stop, 1);
  w.watcher->join();
  delete w.watcher;
  w.watcher = nullptr;
  g_write_fd.store(-1);
  close(w.pipe_fds[0]);
  close(w.pipe_fds[1]);
  w.pipe_fds[0] = w.pipe_fds[1] = -1;
}

std::string watts(double w) { return fmt::format("{:g} W", w); }

}  // namespace

struct GpuPowerLimit::Impl {
  std::unique_ptr<nvml::Library> nvml;
  nvml::SetUintFn set_limit = nullptr;
  nvml::Device device = nullptr;
  std::string component;
  unsigned original_mw = 0, min_mw = 0, max_mw = 0, limit_mw = 0;
  unsigned long id = 0;
  bool watching = false;

  // Sets the limit or throws; registers the original for restoring the first time.
  void apply(double power_limit_w) {
    if (!std::isfinite(power_limit_w) || power_limit_w <= 0) {
      throw PowerLimitError(fmt::format("power limit {} for {} is not a positive number of watts; use a value in {}-{}",
                                        power_limit_w, component, watts(min_mw / 1000.0), watts(max_mw / 1000.0)));
    }
    const double mw = std::round(power_limit_w * 1000.0);
    if (mw < min_mw || mw > max_mw) {
      throw PowerLimitError(fmt::format("power limit {} is outside {}'s range {}-{} (NVML's constraints for this GPU); use a value in it",
                                        watts(power_limit_w), component, watts(min_mw / 1000.0), watts(max_mw / 1000.0)));
    }
    const nvml::Return rc = set_limit(device, static_cast<unsigned>(mw));
    if (rc == nvml::kNoPermission) {
      throw PowerLimitError(fmt::format("setting {}'s power limit needs root ({}); run as root (or ask an administrator to "
                                        "set it with `nvidia-smi -pl`), or leave the power limit unset",
                                        component, nvml->error_text(rc)));
    }
    if (rc != nvml::kSuccess) {
      throw PowerLimitError(fmt::format("could not set {}'s power limit to {}: nvmlDeviceSetPowerManagementLimit: {}",
                                        component, watts(power_limit_w), nvml->error_text(rc)));
    }
    limit_mw = static_cast<unsigned>(mw);
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    if (id == 0) id = r.next_id++;
    r.pending[id] = Pending{set_limit, device, original_mw};
  }
};

GpuPowerLimit::GpuPowerLimit(unsigned cuda_ordinal, double power_limit_w, const std::string& nvml_library)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.component = "gpu:" + std::to_string(cuda_ordinal);
  if (!std::isfinite(power_limit_w) || power_limit_w <= 0) {
    throw PowerLimitError(fmt::format("power limit {} for {} is not a positive number of watts", power_limit_w, m.component));
  }
  m.nvml = std::make_unique<nvml::Library>(nvml_library);
  const auto& visible = m.nvml->visible();
  if (visible.empty()) {
    throw PowerLimitError("cannot set " + m.component + "'s power limit: " + m.nvml->problem() +
                          "; a power limit needs an NVIDIA GPU, or leave it unset");
  }
  if (cuda_ordinal >= visible.size()) {
    throw PowerLimitError(fmt::format("cannot set {}'s power limit: only {} GPU(s) are visible (CUDA_VISIBLE_DEVICES); use gpu:0-{}",
                                      m.component, visible.size(), visible.size() - 1));
  }
  m.device = visible[cuda_ordinal].handle;
  if (!m.device) throw PowerLimitError("cannot set " + m.component + "'s power limit: " + visible[cuda_ordinal].error);
  auto get_limit = m.nvml->function<nvml::GetUintFn>("nvmlDeviceGetPowerManagementLimit");
  auto get_range = m.nvml->function<nvml::GetRangeFn>("nvmlDeviceGetPowerManagementLimitConstraints");
  m.set_limit = m.nvml->function<nvml::SetUintFn>("nvmlDeviceSetPowerManagementLimit");
  if (!get_limit || !get_range || !m.set_limit) {
    throw PowerLimitError(nvml_library + " lacks the power-limit functions (driver too old); leave the power limit unset");
  }
  for (nvml::Return rc : {get_limit(m.device, &m.original_mw), get_range(m.device, &m.min_mw, &m.max_mw)}) {
    if (rc != nvml::kSuccess) {
      throw PowerLimitError(fmt::format("{} cannot report or change its power limit ({}); leave the power limit unset",
                                        m.component, m.nvml->error_text(rc)));
    }
  }
  m.limit_mw = m.original_mw;
  start_watching();
  m.watching = true;
  try {
    m.apply(power_limit_w);
  } catch (...) {
    stop_watching();
    throw;
  }
}

GpuPowerLimit::~GpuPowerLimit() {
  Registry& r = registry();
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    auto it = r.pending.find(impl_->id);
    if (it != r.pending.end()) {
      it->second.set(it->second.device, it->second.original_mw);
      r.pending.erase(it);
    }
  }
  if (impl_->watching) stop_watching();
}

void GpuPowerLimit::set(double power_limit_w) { impl_->apply(power_limit_w); }

std::string GpuPowerLimit::component() const { return impl_->component; }
double GpuPowerLimit::limit_w() const { return impl_->limit_mw / 1000.0; }
double GpuPowerLimit::original_w() const { return impl_->original_mw / 1000.0; }
double GpuPowerLimit::min_w() const { return impl_->min_mw / 1000.0; }
double GpuPowerLimit::max_w() const { return impl_->max_mw / 1000.0; }

}  // namespace powertrain
