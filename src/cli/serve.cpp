// `powertrain serve`: the read-only web dashboard of a store (src/serve).
#include <CLI/CLI.hpp>

#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <thread>

#include "cli/commands.h"
#include "cli/output.h"
#include "powertrain/serve/dashboard.h"
#include "powertrain/store/store.h"

namespace powertrain::cli {

namespace {

struct ServeOptions {
  std::string db;
  std::string storage;
  std::string host = "127.0.0.1";
  int port = 8050;
  int max_rows = 500;
  double poll_s = 1.0;
  SensorOptions sensors;
};

int run_serve(const ServeOptions& o) {
  const char* who = "powertrain serve";
  DashboardOptions d;
  d.db_path = store_path(o.db);
  d.storage_url = o.storage;
  d.host = o.host;
  d.port = o.port;
  d.max_rows = o.max_rows;
  d.poll_s = o.poll_s;
  DiscoverOptions discover = discover_options(o.sensors);
  d.sensors_now = [discover] {
    try {
      return all_sensors(discover);
    } catch (const std::exception& e) {
      SensorInfo s;
      s.source = "discovery";
      s.detail = e.what();
      return std::vector<SensorInfo>{s};
    }
  };
  std::unique_ptr<Dashboard> dash;
  try {
    dash = std::make_unique<Dashboard>(d);
    dash->bind();
  } catch (const std::exception& e) {
    std::cerr << who << ": " << e.what() << "\n";
    return 2;
  }
  const bool loopback = o.host == "127.0.0.1" || o.host == "::1" || o.host == "localhost";
  std::cout << "powertrain serve: " << dash->url() << " (read-only: " << d.db_path << ")" << std::endl;
  if (!loopback) {
    std::cerr << who << ": listening on " << o.host << ": anyone who can reach this address can read the store "
              << "(no authentication; put it behind a proxy with TLS and a login to share it)\n";
  }
  std::cerr << who << ": Ctrl-C stops it\n";
  // SIGINT and SIGTERM set a flag (other threads, e.g. the BLAS pool's, may receive them);
  // a watcher thread sees it and stops the server, which ends open event streams.
  StopOnSignal stop_signal;
  const std::atomic<bool>* stop = stop_signal.stop_requested();
  std::atomic<bool> served{false};
  Dashboard* dp = dash.get();
  std::thread watcher([dp, stop, &served] {
    while (!served.load() && !stop->load()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    // Until serve() returns: a stop just before it starts listening would otherwise be lost.
    while (!served.load()) {
      dp->stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  dash->serve();
  served.store(true);
  watcher.join();
  std::cerr << who << ": stopped\n";
  return 0;
}

}  // namespace

void add_serve_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "serve", "Serve a read-only web dashboard of the store: runs (live power while they train), studies, devices, /metrics");
  cmd->add_option("--db", o->db, "run store (SQLite file; default ./powertrain.db, env POWERTRAIN_DB); opened read-only");
  cmd->add_option("--storage", o->storage, "also a shared study log (postgresql://USER@HOST[:PORT]/DB, as `powertrain worker` "
                                           "uses): the studies pages show its studies; opened read-only");
  cmd->add_option("--host", o->host, "address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 = every interface, "
                                     "no authentication)");
  cmd->add_option("--port", o->port, "TCP port (default 8050; 0 = any free port, printed at start)")->check(CLI::Range(0, 65535));
  cmd->add_option("--max-rows", o->max_rows, "the most rows a page lists (default 500)")->check(CLI::Range(1, 100000));
  cmd->add_option("--poll-s", o->poll_s, "how often live pages read the store, in s (default 1)")->check(finite_range(0.1, 60.0));
  add_sensor_options(cmd, o->sensors);
  cmd->callback([o, &exit_code] { exit_code = run_serve(*o); });
}

}  // namespace powertrain::cli
