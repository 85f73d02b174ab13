// Dashboard: routes of `powertrain serve` on cpp-httplib, its limits, headers and the
// Server-Sent Events of live runs. The pages themselves are in pages.cpp.
#include "powertrain/serve/dashboard.h"

#include <httplib.h>
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <thread>

#include "powertrain/interop/run_json.h"
#include "powertrain/report/document.h"
#include "powertrain/store/store.h"
#include "powertrain/store/study_log.h"
#include "serve/assets.h"
#include "serve/guarded_server.h"
#include "serve/pages.h"

namespace powertrain {

using serve::Answer;
using serve::error_page;

namespace {

constexpr size_t kMaxNameChars = 100;  // the run-name filter
constexpr int kMaxSamplesPerAnswer = 5000;

bool is_loopback(const std::string& host) { return host == "127.0.0.1" || host == "::1" || host == "localhost"; }

// Returns the id in `text` (digits only, at most 18), or -1.
int64_t parse_id(const std::string& text) {
  if (text.empty() || text.size() > 18) return -1;
  for (char c : text) if (c < '0' || c > '9') return -1;
  return std::stoll(text);
}

// A request parameter that is wrong: answered 400 with this text.
struct BadRequest {
  std::string message;
};

std::string param(const httplib::Request& req, const char* key, size_t max_chars) {
  if (!req.has_param(key)) return "";
  std::string v = req.get_param_value(key);
  if (v.size() > max_chars) {
    throw BadRequest{fmt::format("the parameter '{}' is longer than {} characters: shorten it", key, max_chars)};
  }
  return v;
}

std::string one_of(const httplib::Request& req, const char* key, const std::vector<std::string>& allowed) {
  std::string v = param(req, key, 40);
  if (v.empty()) return v;
  for (const auto& a : allowed) if (v == a) return v;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  throw BadRequest{fmt::format("the parameter '{}' must be one of {} (or empty)", key, list)};
}

int limit_param(const httplib::Request& req, int fallback, int max_rows) {
  std::string v = param(req, "limit", 12);
  if (v.empty()) return fallback;
  int64_t n = parse_id(v);
  if (n < 1) throw BadRequest{fmt::format("the parameter 'limit' must be a whole number from 1 to {}", max_rows)};
  return static_cast<int>(std::min<int64_t>(n, max_rows));
}

double seconds_param(const httplib::Request& req, const char* key) {
  std::string v = param(req, key, 32);
  if (v.empty()) return -1e300;
  char* end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (end == v.c_str() || *end != '\0' || !std::isfinite(d)) {
    throw BadRequest{fmt::format("the parameter '{}' must be a number of seconds", key)};
  }
  return d;
}

RunFilter run_filter(const httplib::Request& req, int max_rows) {
  RunFilter f;
  f.name_contains = param(req, "name", kMaxNameChars);
  f.kind = one_of(req, "kind", {"measure", "train", "trial"});
  std::vector<std::string> statuses;
  for (RunStatus s : run_statuses()) statuses.push_back(run_status_name(s));
  if (std::string status = one_of(req, "status", statuses); !status.empty()) f.status = run_status_from_name(status);
  f.limit = limit_param(req, 100, max_rows);
  return f;
}

void set_header_once(httplib::Response& res, const char* key, const char* value) {
  if (!res.has_header(key)) res.set_header(key, value);
}

// Headers every answer carries.
void secure(httplib::Response& res) {
  set_header_once(res, "Content-Security-Policy",
                  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  set_header_once(res, "X-Content-Type-Options", "nosniff");
  set_header_once(res, "X-Frame-Options", "DENY");
  set_header_once(res, "Referrer-Policy", "no-referrer");
  set_header_once(res, "Cache-Control", "no-store");
}

void send(httplib::Response& res, const Answer& a) {
  res.status = a.status;
  res.set_content(a.body, a.content_type.c_str());
}

bool wants_json(const httplib::Request& req) { return req.path.rfind("/api/", 0) == 0; }

Answer error_answer(const httplib::Request& req, int status, const std::string& message) {
  if (wants_json(req)) {
    Answer a;
    a.status = status;
    a.content_type = "application/json";
    a.body = nlohmann::json{{"error", message}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return a;
  }
  return error_page(status, message);
}

// The guard's limits from the options: page requests get workers beside the event streams.
serve::GuardLimits guard_limits(const DashboardOptions& o) {
  serve::GuardLimits g;
  g.head_timeout_s = o.header_timeout_s;
  g.max_waiting = static_cast<size_t>(std::max(o.max_idle_connections, 1));
  g.workers = static_cast<size_t>(std::max(o.max_streams, 0)) + 8;
  return g;
}

}  // namespace

struct Dashboard::Impl {
  explicit Impl(DashboardOptions options) : o(std::move(options)), svr(guard_limits(o)) {}
  DashboardOptions o;
  serve::GuardedServer svr;
  int port = -1;
  std::atomic<bool> stopping{false};
  std::atomic<bool> stop_sent{false};
  std::atomic<int> streams{0};
  std::mutex sensors_mu;

  // Sends what `fn()` answers; a bad parameter is 400, an unreadable `source` 503.
  template <class Fn>
  void guarded(const httplib::Request& req, httplib::Response& res, const char* source, Fn fn) {
    try {
      send(res, fn());
    } catch (const BadRequest& e) {
      send(res, error_answer(req, 400, e.message));
    } catch (const StoreError& e) {
      send(res, error_answer(req, 503, std::string(source) + " cannot be read: " + e.what()));
    } catch (const std::exception& e) {
      send(res, error_answer(req, 500, std::string("internal error: ") + e.what()));
    }
  }

  // Runs `fn(store)` with a fresh read-only connection.
  template <class Fn>
  void with_store(const httplib::Request& req, httplib::Response& res, Fn fn) {
    guarded(req, res, "the store", [&] {
      Store store = Store::open_read_only(o.db_path);
      return fn(store);
    });
  }

  // The studies shown: the store's, or a shared study log's (--storage).
  struct Studies {
    std::string where;
    std::function<std::vector<StudyRecord>(int)> list;
    serve::TrialsOf trials;
    std::function<std::optional<StudyRecord>(int64_t)> by_id;
  };

  template <class Fn>
  void with_studies(const httplib::Request& req, httplib::Response& res, Fn fn) {
    if (o.storage_url.empty()) {
      with_store(req, res, [&](const Store& s) {
        Studies st{"the store " + o.db_path, [&s](int n) { return s.studies(n); },
                   [&s](int64_t id) { return s.trials(id); }, [&s](int64_t id) { return s.study_by_id(id); }};
        return fn(st);
      });
      return;
    }
    guarded(req, res, "the study log", [&] {
      std::shared_ptr<StudyLog> log = StudyLog::open_read_only(o.storage_url);
      auto find = [log](int64_t id) -> std::optional<StudyRecord> {
        for (const StudyRecord& s : log->studies(1 << 30)) if (s.id == id) return s;
        return std::nullopt;
      };
      Studies st{"the study log " + log->where(), [log](int n) { return log->studies(n); },
                 [log](int64_t id) { return log->trials(id); }, find};
      return fn(st);
    });
  }

  void routes();
  void events(const httplib::Request& req, httplib::Response& res, int64_t run_id);
};

Dashboard::Dashboard(DashboardOptions options) {
  if (options.port < 0 || options.port > 65535) {
    throw DashboardError(fmt::format("--port {} is not a TCP port: use 1..65535, or 0 for any free port", options.port));
  }
  if (options.host.empty()) throw DashboardError("--host is empty: use 127.0.0.1 (this machine only) or an address to listen on");
  if (!(options.header_timeout_s > 0)) throw DashboardError("the header timeout must be more than 0 s");
  impl_ = std::make_unique<Impl>(std::move(options));
  DashboardOptions& o = impl_->o;
  if (o.max_rows < 1) o.max_rows = 1;
  Store::open_read_only(o.db_path);  // fails now, with the fix, rather than on every page
  if (!o.storage_url.empty()) StudyLog::open_read_only(o.storage_url);
  impl_->routes();
}

Dashboard::~Dashboard() { stop(); }

void Dashboard::Impl::routes() {
  // Threads (serve::GuardedServer): page requests plus up to max_streams long-lived event
  // streams; connections still sending their request head wait in one thread apart.
  svr.set_payload_max_length(4096);
  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, which would let a second
  // dashboard bind the same port and silently take half of the requests.
  svr.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  svr.set_read_timeout(10, 0);
  svr.set_keep_alive_max_count(100);

  svr.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (req.method != "GET" && req.method != "HEAD") {
      res.set_header("Allow", "GET, HEAD");
      send(res, error_answer(req, 405, "the dashboard is read-only: only GET and HEAD are answered"));
      return httplib::Server::HandlerResponse::Handled;
    }
    size_t q = req.target.find('?');
    if (q != std::string::npos && req.target.size() - q - 1 > o.max_query_chars) {
      send(res, error_answer(req, 414, fmt::format("the query string is longer than {} characters", o.max_query_chars)));
      return httplib::Server::HandlerResponse::Handled;
    }
    // On loopback, answer only requests addressed to loopback: a web page elsewhere cannot
    // read the dashboard by pointing its own host name at 127.0.0.1 (DNS rebinding).
    if (is_loopback(o.host)) {
      std::string host = req.get_header_value("Host");
      std::string name = host;
      if (!name.empty() && name[0] == '[') name = name.substr(0, name.find(']') + 1);
      else name = name.substr(0, name.rfind(':'));
      if (name != "127.0.0.1" && name != "localhost" && name != "[::1]") {
        send(res, error_answer(req, 421, "this dashboard answers only requests to 127.0.0.1 or localhost"));
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  svr.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) { secure(res); });
  svr.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.body.empty()) {
      std::string msg = res.status == 404 ? "There is no such page." : fmt::format("The request was refused (HTTP {}).", res.status);
      send(res, error_answer(req, res.status, msg));
    }
    secure(res);
  });

  svr.Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/runs"); });
  svr.Get("/runs", [this](const httplib::Request& req, httplib::Response& res) {
    with_store(req, res, [&](const Store& s) { return serve::runs_page(s, run_filter(req, o.max_rows)); });
  });
  svr.Get(R"(/runs/([0-9]{1,18}))", [this](const httplib::Request& req, httplib::Response& res) {
    with_store(req, res, [&](const Store& s) { return serve::run_page(s, parse_id(req.matches[1])); });
  });
  svr.Get(R"(/runs/([0-9]{1,18})/report)", [this](const httplib::Request& req, httplib::Response& res) {
    with_store(req, res, [&](const Store& s) { return serve::run_report_page(s, parse_id(req.matches[1])); });
  });
  svr.Get("/compare", [this](const httplib::Request& req, httplib::Response& res) {
    with_store(req, res, [&](const Store& s) {
      int64_t a = parse_id(param(req, "a", 18)), b = parse_id(param(req, "b", 18));
      if (a < 0 || b < 0) throw BadRequest{"compare needs two run ids: /compare?a=ID&b=ID (tick two runs on the runs page)"};
      return serve::compare_page(s, a, b);
    });
  });
  svr.Get("/studies", [this](const httplib::Request& req, httplib::Response& res) {
    with_studies(req, res, [&](Studies& st) {
      return serve::studies_page(st.list(limit_param(req, 100, o.max_rows)), st.trials, st.where);
    });
  });
  svr.Get(R"(/studies/([0-9]{1,18}))", [this](const httplib::Request& req, httplib::Response& res) {
    with_studies(req, res, [&](Studies& st) {
      int64_t id = parse_id(req.matches[1]);
      return serve::study_page(st.by_id(id), id, st.trials);
    });
  });
  svr.Get("/devices", [this](const httplib::Request& req, httplib::Response& res) {
    std::vector<SensorInfo> now;
    if (o.sensors_now) {
      std::lock_guard<std::mutex> lock(sensors_mu);  // sensor libraries are not thread-safe
      now = o.sensors_now();
    }
    with_store(req, res, [&](const Store& s) { return serve::devices_page(s, now, o.max_rows); });
  });
  svr.Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
    with_store(req, res, [&](const Store& s) { return serve::metrics(s); });
  });
  svr.Get("/api/runs", [this](const httplib::Request& req, httplib::Response& res) {
    with_store(req, res, [&](const Store& s) { return serve::api_runs(s, run_filter(req, o.max_rows)); });
  });
  svr.Get(R"(/api/runs/([0-9]{1,18}))", [this](const httplib::Request& req, httplib::Response& res) {
    with_store(req, res, [&](const Store& s) { return serve::api_run(s, parse_id(req.matches[1])); });
  });
  svr.Get(R"(/api/runs/([0-9]{1,18})/samples)", [this](const httplib::Request& req, httplib::Response& res) {
    with_store(req, res, [&](const Store& s) {
      return serve::api_samples(s, parse_id(req.matches[1]), seconds_param(req, "after_s"), kMaxSamplesPerAnswer);
    });
  });
  svr.Get(R"(/api/runs/([0-9]{1,18})/events)", [this](const httplib::Request& req, httplib::Response& res) {
    events(req, res, parse_id(req.matches[1]));
  });
  svr.Get("/api/studies", [this](const httplib::Request& req, httplib::Response& res) {
    with_studies(req, res, [&](Studies& st) { return serve::api_studies(st.list(limit_param(req, 100, o.max_rows))); });
  });
  svr.Get(R"(/static/([A-Za-z0-9._-]{1,64}))", [](const httplib::Request& req, httplib::Response& res) {
    const std::string name = req.matches[1];
    if (name == "report.css") {
      res.set_content(report::Document::css(), "text/css; charset=utf-8");
      return;
    }
    const serve::Asset* a = serve::find_asset(name);  // exact names only: "..", "x/../y" never match
    if (!a) {
      send(res, error_page(404, "There is no such file."));
      return;
    }
    res.set_content(std::string(a->data), std::string(a->content_type).c_str());
    res.set_header("Cache-Control", "no-cache");
  });
}

// Server-Sent Events of one run: new samples, new epochs, and its status once it is no
// longer running (then the stream ends). The client passes what it has (after_s,
// after_epoch); a reconnecting browser may get some samples again and drops them.
void Dashboard::Impl::events(const httplib::Request& req, httplib::Response& res, int64_t run_id) {
  struct Stream {
    std::unique_ptr<Store> store;
    int64_t run_id = 0;
    double after_s = -1e300;
    int after_epoch = 0;
    double started_s = 0;
    double last_sent_s = 0;
    bool first = true;
  };
  auto st = std::make_shared<Stream>();
  try {
    st->store = std::make_unique<Store>(Store::open_read_only(o.db_path));
    if (!st->store->run(run_id)) {
      send(res, error_answer(req, 404, fmt::format("no run {} in this store", run_id)));
      return;
    }
    st->after_s = seconds_param(req, "after_s");
    std::string e = param(req, "after_epoch", 9);
    st->after_epoch = e.empty() ? 0 : static_cast<int>(std::max<int64_t>(0, parse_id(e)));
  } catch (const BadRequest& e) {
    send(res, error_answer(req, 400, e.message));
    return;
  } catch (const StoreError& e) {
    send(res, error_answer(req, 503, std::string("the store cannot be read: ") + e.what()));
    return;
  }
  if (streams.fetch_add(1) >= o.max_streams) {
    streams.fetch_sub(1);
    res.set_header("Retry-After", "10");
    send(res, error_answer(req, 503, fmt::format("{} live streams are open already: close a tab or try again later", o.max_streams)));
    return;
  }
  st->run_id = run_id;
  auto clock_s = [] { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); };
  st->started_s = st->last_sent_s = clock_s();
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Accel-Buffering", "no");
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, st, clock_s](size_t, httplib::DataSink& sink) {
        auto write = [&](const std::string& s) { return sink.write(s.data(), s.size()); };
        if (st->first) {
          st->first = false;
          if (!write("retry: 3000\n\n")) return false;
        }
        try {
          std::optional<RunRecord> run = st->store->run(st->run_id);
          if (!run) { sink.done(); return true; }
          // Samples (in pages of kMaxSamplesPerAnswer), then epochs, then the status.
          std::vector<PowerSample> fresh = st->store->samples_after(st->run_id, st->after_s, kMaxSamplesPerAnswer);
          if (!fresh.empty()) {
            nlohmann::json arr = nlohmann::json::array();
            for (const PowerSample& s : fresh) arr.push_back(serve::sample_json(s));
            st->after_s = fresh.back().t_s;
            if (!write("event: samples\ndata: " + nlohmann::json{{"samples", arr}}.dump() + "\n\n")) return false;
            st->last_sent_s = clock_s();
          }
          for (const EpochRecord& e : st->store->epochs(st->run_id)) {
            if (e.epoch <= st->after_epoch) continue;
            st->after_epoch = e.epoch;
            if (!write("event: epoch\ndata: " + epoch_json(e).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n")) return false;
            st->last_sent_s = clock_s();
          }
          if (run->status != RunStatus::running && static_cast<int>(fresh.size()) < kMaxSamplesPerAnswer) {
            write("event: status\ndata: " + nlohmann::json{{"status", run_status_name(run->status)}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n");
            sink.done();
            return true;
          }
        } catch (const std::exception& e) {
          write("event: failure\ndata: " + nlohmann::json{{"error", e.what()}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n");
          sink.done();
          return true;
        }
        if (clock_s() - st->started_s > o.stream_max_s || stopping.load()) {
          sink.done();  // the browser reconnects with what it has
          return true;
        }
        if (clock_s() - st->last_sent_s > 5) {
          if (!write(": keep-alive\n\n")) return false;
          st->last_sent_s = clock_s();
        }
        // Wait for the next poll, in short steps so stop() is prompt.
        for (double waited = 0; waited < o.poll_s && !stopping.load(); waited += 0.05) {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return true;
      },
      [this](bool) { streams.fetch_sub(1); });
}

int Dashboard::bind() {
  Impl& d = *impl_;
  if (d.port > 0) return d.port;
  if (d.o.port == 0) {
    d.port = d.svr.bind_to_any_port(d.o.host);
  } else {
    d.port = d.svr.bind_to_port(d.o.host, d.o.port) ? d.o.port : -1;
  }
  if (d.port <= 0) {
    d.port = -1;
    throw DashboardError(fmt::format("cannot listen on {}:{} (in use, or not an address of this machine): "
                                     "pass another --port (0 picks a free one) or --host",
                                     d.o.host, d.o.port));
  }
  return d.port;
}

void Dashboard::serve() {
  if (impl_->port <= 0) bind();
  if (impl_->stopping.load()) return;
  impl_->svr.start();
  impl_->svr.listen_after_bind();
  impl_->svr.finish();  // closes waiting connections; event streams end on `stopping`
}

std::string Dashboard::answer(const std::string& request) { return impl_->svr.answer(request); }

void Dashboard::stop() {
  if (!impl_) return;
  impl_->stopping.store(true);
  // httplib's stop() is for a listening server, once.
  if (impl_->svr.is_running() && !impl_->stop_sent.exchange(true)) impl_->svr.stop();
}

std::string Dashboard::url() const {
  const std::string& h = impl_->o.host;
  std::string host = h.find(':') != std::string::npos ? "[" + h + "]" : h;
  return fmt::format("http://{}:{}/", host, impl_->port);
}

}  // namespace powertrain
