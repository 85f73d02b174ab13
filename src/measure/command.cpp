// Measure any command: sensors, meter, the child process with forwarded signals, the run record.
#include "powertrain/measure/command.h"

#include <fcntl.h>
#include <signal.h>
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

#include "powertrain/store/run_recorder.h"

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

// Starts argv; returns the pid. Throws CommandError when exec failed (reported by the child
// through a close-on-exec pipe).
pid_t spawn(const std::vector<std::string>& argv) {
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
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
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

}  // namespace

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
  start.name = o.name.empty() ? o.argv[0] : o.name;
  start.command = shell_quote(o.argv);
  start.grid = o.grid;
  start.pue = o.pue;
  start.sample_bucket_s = o.sample_bucket_s;

  ForwardSignals forwarding;
  const int window = meter.begin("run");
  const pid_t pid = spawn(o.argv);
  g_child.store(pid);
  // The running row and the live timeline; a store that cannot be written is reported and
  // the command still runs (its energy is returned but not stored).
  RunRecorder recorder(o.store, meter, start, say);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) break;
  }
  g_child.store(0);
  r.measurement = meter.end(window);
  meter.stop();

  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  const bool interrupted = WIFSIGNALED(status) || g_forwarded_signal.load() != 0;
  r.status = interrupted ? RunStatus::interrupted : (r.exit_code == 0 ? RunStatus::completed : RunStatus::failed);
  r.carbon = carbon_from_energy(r.measurement.total_energy_j(), o.grid, o.pue);
  RunDetails details;
  details.interval_s = o.interval_s;
  details.warnings = r.warnings;
  details.idle_baseline = r.idle;
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
