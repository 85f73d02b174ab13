// Measure any command: sensors, meter, the child process with forwarded signals, the run record.
#include "powertrain/measure/command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>

#include "powertrain/measure/events.h"
#include "powertrain/store/run_recorder.h"

extern char** environ;

namespace powertrain {

namespace {

// The child being measured; the signal handler forwards to it.
std::atomic<pid_t> g_child{0};
std::atomic<int> g_forwarded_signal{0};

void forward_signal(int sig, siginfo_t* info, void*) {
  // A terminal's Ctrl-C already reaches the child (same process group): forward only
  // signals sent to powertrain alone (kill, systemd, a job scheduler).
  pid_t child = g_child.load();
  if (child > 0 && info && (info->si_code == SI_USER || info->si_code == SI_QUEUE)) kill(child, sig);
  g_forwarded_signal.store(sig);
}

// While alive, SIGINT, SIGTERM, SIGHUP and SIGQUIT are forwarded to the child.
class ForwardSignals {
 public:
  ForwardSignals() {
    g_forwarded_signal.store(0);
    struct sigaction sa {};
    sa.sa_sigaction = forward_signal;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < kSignals.size(); ++i) sigaction(kSignals[i], &sa, &previous_[i]);
  }
  ~ForwardSignals() {
    g_child.store(0);
    for (size_t i = 0; i < kSignals.size(); ++i) sigaction(kSignals[i], &previous_[i], nullptr);
  }
  ForwardSignals(const ForwardSignals&) = delete;
  ForwardSignals& operator=(const ForwardSignals&) = delete;

 private:
  static constexpr std::array<int, 4> kSignals = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
  std::array<struct sigaction, 4> previous_{};
};

// The environment of the command: ours, with the event channel's variables set to
// `events_fd` (or removed when it is -1). Built before fork: the child only calls exec.
std::vector<std::string> child_environment(int events_fd) {
  std::vector<std::string> env;
  const std::string fd_var = std::string(kEventsFdVariable) + "=";
  const std::string version_var = std::string(kEventsVersionVariable) + "=";
  for (char** e = environ; e && *e; ++e) {
    std::string v = *e;
    if (v.rfind(fd_var, 0) == 0 || v.rfind(version_var, 0) == 0) continue;
    env.push_back(std::move(v));
  }
  if (events_fd >= 0) {
    env.push_back(fd_var + std::to_string(events_fd));
    env.push_back(version_var + std::to_string(kEventsVersion));
  }
  return env;
}

// Starts argv with `events_fd` (-1: none) left open across exec; returns the pid. Throws
// CommandError when exec failed (reported by the child through a close-on-exec pipe).
pid_t spawn(const std::vector<std::string>& argv, int events_fd) {
  std::vector<std::string> env = child_environment(events_fd);
  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) throw CommandError("cannot run '" + argv[0] + "': " + std::strerror(errno));
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(pipefd[0]);
    close(pipefd[1]);
    throw CommandError("cannot run '" + argv[0] + "': " + std::strerror(e));
  }
  if (pid == 0) {
    close(pipefd[0]);
    struct sigaction sa {};
    sa.sa_handler = SIG_DFL;
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaction(s, &sa, nullptr);
    if (events_fd >= 0) fcntl(events_fd, F_SETFD, 0);  // the channel's write end stays open in the command
    execvpe(args[0], args.data(), envp.data());
    int e = errno;
    ssize_t w = write(pipefd[1], &e, sizeof e);
    (void)w;
    _exit(127);
  }
  close(pipefd[1]);
  int e = 0;
  ssize_t n;
  while ((n = read(pipefd[0], &e, sizeof e)) < 0 && errno == EINTR) {}
  close(pipefd[0]);
  if (n == static_cast<ssize_t>(sizeof e)) {
    waitpid(pid, nullptr, 0);
    throw CommandError("cannot run '" + argv[0] + "': " + std::strerror(e));
  }
  return pid;
}

// Reads what is in `fd` now into `sink`; returns false at the end of the stream (every
// writer closed it). `fd` is non-blocking.
bool read_events(int fd, EventSink& sink) {
  char buffer[65536];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n > 0) {
      sink.feed(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

// Waits for the command while reading its events as they come: poll on the channel and on
// a pidfd (or, on kernels without pidfd, a 10 ms tick). When the command ended, what it
// wrote last is read, and a channel a leftover grandchild still holds is let go.
int wait_reading_events(pid_t pid, int events_fd, EventSink& sink) {
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  int status = 0;
  bool channel_open = true;
  for (;;) {
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid || (w < 0 && errno != EINTR)) break;
    struct pollfd fds[2];
    nfds_t n = 0;
    if (channel_open) fds[n++] = {events_fd, POLLIN, 0};
    if (pidfd >= 0) fds[n++] = {pidfd, POLLIN, 0};
    int timeout_ms = pidfd >= 0 ? -1 : 10;
    if (n == 0) {  // no pidfd and the channel closed: a plain wait
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
      break;
    }
    if (poll(fds, n, timeout_ms) < 0 && errno != EINTR) break;
    if (channel_open && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) channel_open = read_events(events_fd, sink);
  }
  if (channel_open) read_events(events_fd, sink);
  if (pidfd >= 0) close(pidfd);
  return status;
}

}  // namespace

std::string default_run_name(const std::vector<std::string>& argv) {
  if (argv.empty()) return "";
  auto base = [](const std::string& p) { return p.substr(p.find_last_of('/') == std::string::npos ? 0 : p.find_last_of('/') + 1); };
  const std::string program = base(argv[0]);
  static const char* const interpreters[] = {"python", "sh", "bash", "node", "Rscript", "julia", "ruby", "perl"};
  bool interpreter = false;
  for (const char* i : interpreters) interpreter = interpreter || program.rfind(i, 0) == 0;
  if (interpreter && argv.size() > 1 && !argv[1].empty() && argv[1][0] != '-') return base(argv[1]);
  return argv[0];
}

std::string resolve_command(const std::string& name) {
  auto executable = [](const std::string& p) {
    struct stat st;
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
  };
  if (name.empty()) return "";
  if (name.find('/') != std::string::npos) return executable(name) ? name : "";
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    std::string dir = p.substr(start, end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (executable(candidate)) return candidate;
    start = end + 1;
  }
  return "";
}

std::string shell_quote(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    if (!a.empty() &&
        a.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == std::string::npos) {
      out += a;
    } else {
      out += '\'';
      for (char ch : a) {
        if (ch == '\'') out += "'\\''";
        else out += ch;
      }
      out += '\'';
    }
  }
  return out;
}

CommandResult measure_command(const CommandOptions& o) {
  auto say = [&](const std::string& m) { if (o.say) o.say(m); };
  if (o.argv.empty()) throw CommandError("no command given");
  if (resolve_command(o.argv[0]).empty()) {
    throw CommandError("cannot run '" + o.argv[0] + "': not found or not executable (check the name and PATH)");
  }
  CommandResult r;
  auto sources = discover_sources(o.sensors, &r.warnings);
  for (const auto& w : r.warnings) say(w);
  Meter meter(std::move(sources), MeterOptions().interval_s(o.interval_s));
  r.sensors = meter.sensors();
  meter.start();
  if (o.idle_baseline_s > 0) {
    say(fmt::format("measuring the idle baseline for {:.1f} s (keep the machine quiet)", o.idle_baseline_s));
    r.idle = meter.measure_idle(o.idle_baseline_s);
  }

  RunStart start;
  start.kind = "measure";
  start.name = o.name.empty() ? default_run_name(o.argv) : o.name;
  start.command = shell_quote(o.argv);
  start.grid = o.grid;
  start.pue = o.pue;
  start.sample_bucket_s = o.sample_bucket_s;

  // The event channel: the command writes to channel[1] (its number in POWERTRAIN_EVENTS_FD);
  // this process reads channel[0], non-blocking, and closes its copy of channel[1] once the
  // command has started.
  int channel[2] = {-1, -1};
  if (o.events && pipe2(channel, O_CLOEXEC | O_NONBLOCK) != 0) {
    say(std::string("no event channel for the command (") + std::strerror(errno) + "): it is measured as a whole");
    channel[0] = channel[1] = -1;
  }
  if (channel[1] >= 0) fcntl(channel[1], F_SETFL, 0);  // the command's end blocks, as a pipe normally does
  struct ChannelCloser {
    int* fds;
    ~ChannelCloser() { for (int i = 0; i < 2; ++i) if (fds[i] >= 0) close(fds[i]); }
  } closer{channel};

  ForwardSignals forwarding;
  const int window = meter.begin("run");
  const pid_t pid = spawn(o.argv, channel[1]);
  g_child.store(pid);
  if (channel[1] >= 0) {
    close(channel[1]);
    channel[1] = -1;
  }
  // The running row and the live timeline; a store that cannot be written is reported and
  // the command still runs (its energy is returned but not stored).
  RunRecorder recorder(o.store, meter, start, say);
  bool epoch_store_failed = false;
  std::map<int, EpochRecord> epochs;
  EventSink sink(meter, [&](const EpochRecord& e) {
    epochs[e.epoch] = e;
    try {
      recorder.epoch(e);
    } catch (const StoreError& err) {
      if (!epoch_store_failed) say(std::string("the command's epochs are not stored: ") + err.what());
      epoch_store_failed = true;
    }
  });
  int status = 0;
  if (channel[0] >= 0) {
    status = wait_reading_events(pid, channel[0], sink);
  } else {
    while (waitpid(pid, &status, 0) < 0) {
      if (errno != EINTR) break;
    }
  }
  sink.finish();
  g_child.store(0);
  r.measurement = meter.end(window);
  meter.stop();
  if (sink.summary().lines > 0) {
    r.events = sink.summary();
    if (r.events->problem_count() > 0) say("the command's events: " + describe_events(*r.events));
  }
  for (const auto& m : meter.finished()) {
    if (m.parent_id >= 0) r.windows.push_back(m);
  }
  for (auto& [n, e] : epochs) r.epochs.push_back(e);

  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  const bool interrupted = WIFSIGNALED(status) || g_forwarded_signal.load() != 0;
  r.status = interrupted ? RunStatus::interrupted : (r.exit_code == 0 ? RunStatus::completed : RunStatus::failed);
  r.carbon = carbon_from_energy(r.measurement.total_energy_j(), o.grid, o.pue);
  RunDetails details;
  details.interval_s = o.interval_s;
  details.warnings = r.warnings;
  details.idle_baseline = r.idle;
  details.events = r.events;
  r.run_id = recorder.run_id();
  try {
    recorder.finish(r.status, r.exit_code, r.measurement, details);
  } catch (const StoreError& e) {
    say(e.what());
    r.run_id = 0;
  }
  return r;
}

}  // namespace powertrain
