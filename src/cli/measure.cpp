// `powertrain measure -- CMD ARGS...`: run any command, measure its energy, store the run.
#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "powertrain/store/run_recorder.h"
#include "powertrain/energy/carbon.h"
#include "powertrain/energy/meter.h"
#include "powertrain/store/store.h"

namespace powertrain::cli {

namespace {

struct MeasureOptions {
  SensorOptions sensors;
  std::vector<std::string> command;
  std::string db;                 // --db
  bool no_store = false;
  std::string name;
  double interval_ms = 100;
  double idle_baseline_s = 0;
  std::string grid;               // --grid
  double grid_g_per_kwh = NAN;    // --grid-g-per-kwh
  std::string carbon_table;
  double pue = 1.0;
  std::string json_path;
  std::string csv_path;
  double sample_bucket_s = 1.0;
  bool quiet = false;
};

// The child being measured; signal handlers forward to it.
std::atomic<pid_t> g_child{0};
std::atomic<int> g_forwarded_signal{0};

void forward_signal(int sig, siginfo_t* info, void*) {
  // A terminal's Ctrl-C already reaches the child (same process group): forward only
  // signals sent to powertrain alone (kill, systemd, a job scheduler).
  pid_t child = g_child.load();
  if (child > 0 && info && (info->si_code == SI_USER || info->si_code == SI_QUEUE)) {
    kill(child, sig);
  }
  g_forwarded_signal.store(sig);
}

// Returns the path `name` resolves to through PATH, or "" if it is not an executable.
std::string resolve_command(const std::string& name) {
  auto executable = [](const std::string& p) {
    struct stat st;
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
  };
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
    if (!a.empty() && a.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == std::string::npos) {
      out += a;
    } else {
      out += '\'';
      for (char ch : a) { if (ch == '\'') out += "'\\''"; else out += ch; }
      out += '\'';
    }
  }
  return out;
}

// Starts argv; returns the pid, or -1 with `error` set when exec failed.
pid_t spawn(const std::vector<std::string>& argv, std::string& error) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) { error = std::strerror(errno); return -1; }
  pid_t pid = fork();
  if (pid < 0) { error = std::strerror(errno); return -1; }
  if (pid == 0) {
    close(pipefd[0]);
    struct sigaction sa{};
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
    error = std::strerror(e);
    return -1;
  }
  return pid;
}

int fail(const std::string& msg) {
  std::cerr << "powertrain measure: " << msg << "\n";
  return 2;
}

int run_measure(const MeasureOptions& o) {
  // 1. Validate everything before anything is written or started.
  if (o.command.empty()) return fail("no command given. Usage: powertrain measure [OPTIONS] -- CMD [ARGS...]");
  std::string resolved = resolve_command(o.command[0]);
  if (resolved.empty()) {
    std::cerr << "powertrain measure: cannot run '" << o.command[0]
              << "': not found or not executable (check the name and PATH)\n";
    return 127;
  }
  for (const auto& [flag, path] : {std::pair<const char*, std::string>{"--json", o.json_path}, {"--csv", o.csv_path}}) {
    if (std::string why = check_output_path(path); !why.empty()) return fail(std::string(flag) + " " + path + ": " + why);
  }
  CarbonTable table;
  try {
    table = o.carbon_table.empty() ? CarbonTable::builtin() : CarbonTable::load(o.carbon_table);
  } catch (const std::exception& e) {
    return fail(std::string(e.what()) + " (fix the file or drop --carbon-table)");
  }
  std::string grid_code = o.grid;
  if (grid_code.empty()) {
    const char* env = std::getenv("POWERTRAIN_GRID");
    grid_code = env && *env ? env : "WORLD";
  }
  GridIntensity grid;
  if (const GridIntensity* g = table.find(grid_code)) {
    grid = *g;
  } else if (!std::isfinite(o.grid_g_per_kwh)) {
    return fail("unknown grid '" + grid_code + "': use an ISO country code listed by 'powertrain grids', or give --grid-g-per-kwh");
  } else {
    grid.code = grid_code;
    grid.name = grid_code;
  }
  if (std::isfinite(o.grid_g_per_kwh)) {
    grid.g_per_kwh = o.grid_g_per_kwh;
    grid.source = "given with --grid-g-per-kwh";
    grid.year = 0;
  }

  // 2. Sensors (a bad replay file is bad input too), then the store, then the meter.
  std::vector<std::string> warnings;
  std::vector<std::unique_ptr<EnergySource>> sources;
  try {
    sources = discover_sources(discover_options(o.sensors), &warnings);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  std::optional<Store> store;
  std::string db = store_path(o.db);
  if (!open_store("powertrain measure", db, o.no_store, store)) return 2;

  for (const auto& w : warnings) std::cerr << "powertrain: " << w << "\n";
  Meter meter(std::move(sources), MeterOptions().interval_s(o.interval_ms / 1000.0));
  meter.start();
  nlohmann::json idle_json = nullptr;
  if (o.idle_baseline_s > 0) {
    if (!o.quiet) std::cerr << fmt::format("powertrain: measuring the idle baseline for {:.1f} s (keep the machine quiet)\n", o.idle_baseline_s);
    IdleBaseline b = meter.measure_idle(o.idle_baseline_s);
    idle_json = {{"duration_s", b.duration_s}, {"power_w", b.power_w}};
  }

  // 3. Run the command, forwarding signals sent to us.
  struct sigaction sa{}, old_int{}, old_term{}, old_hup{}, old_quit{};
  sa.sa_sigaction = forward_signal;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  sigaction(SIGHUP, &sa, &old_hup);
  sigaction(SIGQUIT, &sa, &old_quit);

  RunStart start;
  start.kind = "measure";
  start.name = o.name.empty() ? o.command[0] : o.name;
  start.command = shell_quote(o.command);
  start.grid = grid;
  start.pue = o.pue;
  start.sample_bucket_s = o.sample_bucket_s;

  int window = meter.begin("run");
  std::string spawn_error;
  pid_t pid = spawn(o.command, spawn_error);
  if (pid < 0) {
    std::cerr << "powertrain measure: cannot run '" << o.command[0] << "': " << spawn_error << "\n";
    return 127;
  }
  g_child.store(pid);
  // The running row and the live timeline; a store that cannot be written is reported and
  // the command still runs (its energy is printed but not stored).
  RunRecorder recorder(store ? &*store : nullptr, meter, start, [](const std::string& m) { std::cerr << "powertrain: " << m << "\n"; });
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) break;
  }
  g_child.store(0);
  Measurement m = meter.end(window);
  meter.stop();
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  sigaction(SIGHUP, &old_hup, nullptr);
  sigaction(SIGQUIT, &old_quit, nullptr);

  int exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  bool interrupted = WIFSIGNALED(status) || g_forwarded_signal.load() != 0;

  // 4. Record and report.
  CarbonEstimate carbon = carbon_from_energy(m.total_energy_j(), grid, o.pue);
  const RunStatus run_status = interrupted ? RunStatus::interrupted : (exit_code == 0 ? RunStatus::completed : RunStatus::failed);
  nlohmann::json meta = {{"interval_s", o.interval_ms / 1000.0}, {"warnings", warnings}, {"idle_baseline", idle_json}};
  int64_t run_id = recorder.run_id();
  try {
    recorder.finish(run_status, exit_code, m, meta.dump());
  } catch (const StoreError& e) {
    std::cerr << "powertrain: " << e.what() << "\n";
    run_id = 0;
  }
  const std::string command_text = shell_quote(o.command);

  if (!o.quiet) {
    std::string out = fmt::format("\npowertrain: measured `{}`: {} after {}\n", command_text,
                                  run_status_name(run_status) + (WIFSIGNALED(status) ? fmt::format(" (signal {})", WTERMSIG(status))
                                                                    : fmt::format(" (exit code {})", exit_code)),
                                  fmt_duration(m.duration_s));
    out += summary_table(m);
    if (std::isfinite(carbon.co2e_g)) {
      out += fmt::format("  {:<16} {} CO2e = {} by car, {:.2g} smartphone charges\n", "carbon", fmt_mass_g(carbon.co2e_g),
                         fmt_distance_km(carbon.car_km), carbon.smartphone_charges);
      out += fmt::format("  {:<16} grid {} {:.0f} g/kWh ({}{}), PUE {:.2f}\n", "", grid.code, grid.g_per_kwh, grid.source,
                         grid.year ? ", " + std::to_string(grid.year) : "", o.pue);
    } else {
      out += fmt::format("  {:<16} unknown (no energy could be measured)\n", "carbon");
    }
    for (const auto& c : m.components) {
      if (c.provenance == Provenance::estimated || c.provenance == Provenance::missing) {
        out += fmt::format("  note: {}: {}\n", c.component, c.note);
      }
    }
    if (store && run_id > 0) out += fmt::format("  stored as run {} in {}\n", run_id, db);
    std::cerr << out << std::flush;
  }
  if (!o.json_path.empty()) {
    nlohmann::json sensors = nlohmann::json::array();
    for (const auto& s : meter.sensors()) sensors.push_back(to_json(s));
    nlohmann::json j = {{"schema", "powertrain.measure/1"},
                        {"run_id", run_id > 0 ? nlohmann::json(run_id) : nlohmann::json(nullptr)},
                        {"db", store ? nlohmann::json(db) : nlohmann::json(nullptr)},
                        {"command", o.command},
                        {"status", run_status_name(run_status)},
                        {"exit_code", exit_code},
                        {"measurement", to_json(m)},
                        {"carbon", to_json(carbon, grid)},
                        {"idle_baseline", idle_json},
                        {"sensors", sensors},
                        {"warnings", warnings}};
    std::string err;
    if (!write_output(o.json_path, j.dump(2) + "\n", err)) std::cerr << "powertrain: " << err << "\n";
  }
  if (!o.csv_path.empty()) {
    std::string err;
    if (!write_output(o.csv_path, measurement_csv(m, run_id, exit_code), err)) std::cerr << "powertrain: " << err << "\n";
  }
  return exit_code;
}

}  // namespace

void add_measure_command(CLI::App& app, int& exit_code, const Trailing& trailing) {
  auto opt = std::make_shared<MeasureOptions>();
  CLI::App* cmd = app.add_subcommand("measure", "Run a command and measure the energy it uses (e.g. powertrain measure -- python train.py)");
  add_sensor_options(cmd, opt->sensors);
  cmd->add_option("--db", opt->db, "run store (SQLite file; default ./powertrain.db, env POWERTRAIN_DB)");
  cmd->add_flag("--no-store", opt->no_store, "do not store the run");
  cmd->add_option("--name", opt->name, "name of the run (default: the command)");
  cmd->add_option("--interval-ms", opt->interval_ms, "sampling interval in ms (default 100)")->check(CLI::Range(1.0, 60000.0));
  cmd->add_option("--idle-baseline-s", opt->idle_baseline_s, "measure the machine at rest for this many s first, to split static from dynamic energy")
      ->check(CLI::Range(0.0, 3600.0));
  cmd->add_option("--grid", opt->grid, "grid for CO2e: ISO country code (default WORLD; env POWERTRAIN_GRID; see 'powertrain grids')");
  cmd->add_option("--grid-g-per-kwh", opt->grid_g_per_kwh, "carbon intensity in g CO2e/kWh, overriding the table")->check(CLI::Range(0.0, 2000.0));
  cmd->add_option("--carbon-table", opt->carbon_table, "CSV table of grid intensities (code,name,g_per_kwh,source,year)")->check(CLI::ExistingFile);
  cmd->add_option("--pue", opt->pue, "data-centre power usage effectiveness (default 1.0; Carbontracker uses 1.58)")->check(CLI::Range(1.0, 3.0));
  cmd->add_option("--json", opt->json_path, "write the measurement as JSON to FILE ('-' for stdout)");
  cmd->add_option("--csv", opt->csv_path, "write the measurement as CSV to FILE ('-' for stdout)");
  cmd->add_option("--sample-bucket-s", opt->sample_bucket_s, "stored power samples are averaged over buckets of this many s (default 1)")
      ->check(CLI::Range(0.0, 3600.0));
  cmd->add_flag("-q,--quiet", opt->quiet, "print no summary");
  cmd->prefix_command();  // everything from the command's name on belongs to the command
  cmd->footer("Everything after -- (or from the first non-option word on) is the command and its arguments.");
  cmd->callback([opt, cmd, &exit_code, &trailing] {
    // `powertrain measure [OPTIONS] -- CMD ARGS`: main() cut the words after `--` off;
    // `powertrain measure [OPTIONS] CMD ARGS`: CLI11 leaves them in remaining().
    // When the command began before the `--`, that `--` is one of its own arguments.
    opt->command = cmd->remaining();
    if (!opt->command.empty() && opt->command[0].size() > 1 && opt->command[0][0] == '-') {
      std::cerr << "powertrain measure: unknown option '" << opt->command[0]
                << "'. Run 'powertrain measure --help' for the options; put the command after --\n";
      exit_code = 2;
      return;
    }
    if (!opt->command.empty() && trailing.present) opt->command.push_back("--");
    opt->command.insert(opt->command.end(), trailing.words.begin(), trailing.words.end());
    exit_code = run_measure(*opt);
  });
}

}  // namespace powertrain::cli
