// util/stop_signal.h: stop long work cleanly on Ctrl-C or SIGTERM (header-only).
#pragma once

#include <signal.h>

#include <atomic>

namespace powertrain::util {

// While alive, the first SIGINT (Ctrl-C) or SIGTERM (kill, `timeout`, a batch scheduler or
// `docker stop` ending the job) sets stop_requested(): training stops after the current step
// and keeps what it did, so the run ends `interrupted` instead of staying `running` in the
// store. A second one ends the process at once. The previous handlers are restored when it
// dies. One at a time.
class StopOnSignal {
 public:
  StopOnSignal();
  ~StopOnSignal();
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;
  // The exit code for a stop it caused: 128 + the signal (130 for SIGINT, 143 for SIGTERM).
  static int exit_code();
  const std::atomic<bool>* stop_requested() const;
};

namespace stop_signal_detail {
inline std::atomic<bool> g_stop{false};
inline std::atomic<int> g_stop_signal{0};
inline struct sigaction g_previous_sigint {}, g_previous_sigterm {};

inline void on_stop_signal(int sig) {
  if (g_stop.load()) {  // a second one: stop now
    signal(sig, SIG_DFL);
    raise(sig);
  }
  g_stop_signal.store(sig);
  g_stop.store(true);
}
}  // namespace stop_signal_detail

inline StopOnSignal::StopOnSignal() {
  using namespace stop_signal_detail;
  g_stop.store(false);
  g_stop_signal.store(0);
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &g_previous_sigint);
  sigaction(SIGTERM, &sa, &g_previous_sigterm);
}

inline StopOnSignal::~StopOnSignal() {
  using namespace stop_signal_detail;
  sigaction(SIGINT, &g_previous_sigint, nullptr);
  sigaction(SIGTERM, &g_previous_sigterm, nullptr);
}

inline int StopOnSignal::exit_code() {
  using namespace stop_signal_detail;
  const int sig = g_stop_signal.load();
  return 128 + (sig > 0 ? sig : SIGINT);
}

inline const std::atomic<bool>* StopOnSignal::stop_requested() const { return &stop_signal_detail::g_stop; }

}  // namespace powertrain::util
