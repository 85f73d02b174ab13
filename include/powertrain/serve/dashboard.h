// powertrain/serve/dashboard.h: the read-only web dashboard of a store (`powertrain serve`).
//
// Pages: runs (list, filter, compare two), a run (power chart that updates while it
// trains, energy per epoch, metric curve), studies (trials, rungs, Pareto front, regime
// heatmap, break-even curve: the study reports of src/report), devices; a JSON API the
// pages' script reads (/api/...), Server-Sent Events for live runs, and /metrics in
// Prometheus' text format. The store is opened read-only (PRAGMA query_only) for every
// request, so the dashboard never changes it and sees what trainers commit.
//
// Slow clients cannot starve it: a connection takes a worker thread only once its request
// head has arrived whole, within header_timeout_s, and at most max_idle_connections wait
// for theirs at once (src/serve/guarded_server.h).
//
// Safe by default: bound to 127.0.0.1 (another address is explicit), only GET and HEAD,
// static files from a fixed table compiled into the binary (no file system path is ever
// built from a request), every stored string escaped, every SQL value a bound parameter,
// query sizes and result counts bounded, a Host check against DNS rebinding on loopback,
// and a Content-Security-Policy that allows only the dashboard's own scripts.
//
// Example:
//   powertrain::DashboardOptions o;
//   o.db_path = "powertrain.db";
//   o.port = 0;                              // any free port
//   powertrain::Dashboard d(o);              // throws StoreError when the store is unreadable
//   std::cout << d.bind() << "\n";           // the port
//   std::thread t([&] { d.serve(); });       // until d.stop()
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "powertrain/energy/source.h"

namespace powertrain {

// Thrown when the dashboard cannot start (address in use, bad options); what() says why.
class DashboardError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct DashboardOptions {
  std::string db_path;                 // the SQLite store, opened read-only
  std::string storage_url;             // optional shared study log (postgresql://...): its studies are listed too
  std::string host = "127.0.0.1";      // listen address; anything but loopback must be asked for
  int port = 8050;                     // 0: any free port (bind() returns it)
  int max_rows = 500;                  // the most rows a page or an API answer lists
  size_t max_query_chars = 2048;       // a longer query string is refused (414)
  double poll_s = 1.0;                 // live updates: how often an event stream reads the store
  double stream_max_s = 300;           // an event stream ends after this long; the browser reconnects
  int max_streams = 16;                // event streams at once (more get 503)
  double header_timeout_s = 10;        // a request's line and headers must arrive whole within this
  int max_idle_connections = 128;      // connections still sending a request (or idle between two) at once;
                                       // beyond, the one waiting longest is closed. Neither costs a thread.
  std::function<std::vector<SensorInfo>()> sensors_now;  // "this machine now" on /devices (may be empty)
};

class Dashboard {
 public:
  // Checks the options and that the store opens read-only. Throws StoreError (store) or
  // DashboardError (options).
  explicit Dashboard(DashboardOptions options);
  ~Dashboard();
  Dashboard(const Dashboard&) = delete;
  Dashboard& operator=(const Dashboard&) = delete;

  // Binds the listening socket; returns the port. Throws DashboardError naming the address
  // and the fix when it cannot bind.
  int bind();
  // Serves requests until stop() (bind() first). Returns when stopped.
  void serve();
  // Stops serve() and ends open event streams; before serve(), makes it return at once.
  // Safe from another thread. (A stop in the instant serve() starts listening can be
  // missed: a signal watcher calls it until serve() has returned.)
  void stop();
  // "http://HOST:PORT/" once bound.
  std::string url() const;
  // Returns the raw HTTP response to one raw request (bytes as a client sends them), run
  // through the same parsing, routes, limits and headers as a connection's, without a
  // socket. For tests and the fuzz target (fuzz/dashboard_fuzz.cpp).
  std::string answer(const std::string& request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace powertrain
