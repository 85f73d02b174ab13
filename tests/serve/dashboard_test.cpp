// The dashboard over real sockets against a real SQLite store: pages, JSON, live events,
// /metrics parsed strictly, and hostile requests (traversal, huge queries, injection,
// unknown routes and methods, foreign Host headers) answered safely. Requests are written
// byte for byte to a TCP socket, so nothing normalises them on the way.
#include "store/sqlite.h"
#include "powertrain/serve/dashboard.h"


#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "advise/store_fixtures.h"
#include "powertrain/store/store.h"
#include "support/http_client.h"
#include "support/prometheus_parser.h"
#include "support/test_support.h"

namespace powertrain::test {
namespace {

const std::string kHostile = "<script>alert(\"x\")</script> & 'q'";

double unix_now_s() { return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count(); }

class DashboardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db = dir.path() + "/store.db";
    Store store = Store::open(db);
    // A finished run with a hostile name, a running one with live samples and epochs.
    finished_id = add_train_run(store, kHostile, train_config(64, 0.01), {0.7, 0.8}, {10.0, 12.0});
    RunRecord run;
    run.kind = "train";
    run.name = "live-run";
    run.started_at_unix_s = unix_now_s() - 12;  // its samples (0.5 .. 11.5 s) are fresh: it still writes
    SensorInfo cpu{"cpu_estimate", "estimate", "Test CPU (estimate)", true, "utilisation x TDP"};
    running_id = store.begin_run(run, HostInfo{}, {cpu});
    std::vector<PowerSample> samples;
    for (int i = 0; i < 12; ++i) samples.push_back({0.5 + i, "cpu_estimate", 20.0 + i});
    store.append_samples(running_id, samples);
    EpochRecord e;
    e.epoch = 1;
    e.val_metric = 0.5;
    e.energy_j = 100;
    e.energy_provenance = Provenance::estimated;
    store.record_epoch(running_id, e);
    RunRecord measured;
    measured.kind = "measure";
    measured.name = "sleep";
    measure_id = store.begin_run(measured, HostInfo{}, {cpu});
    measured.status = RunStatus::completed;
    store.finish_run(measure_id, measured, {}, samples);
    // A measured Python script that sent its epochs through the event channel.
    RunRecord script;
    script.kind = "measure";
    script.name = "train.py";
    script_id = store.begin_run(script, HostInfo{}, {cpu});
    store.record_epoch(script_id, e);
    script.status = RunStatus::completed;
    store.finish_run(script_id, script, {}, samples);
    study_id = add_tune_study(store, "search-" + kHostile);
    regime_id = add_study(store, "regime-study", "regime", regime_result());

    DashboardOptions o;
    o.db_path = db;
    o.port = 0;
    o.poll_s = 0.1;
    o.sensors_now = [] { return std::vector<SensorInfo>{{"cpu_estimate", "estimate", "now-cpu", true, "fine"}}; };
    dash = std::make_unique<Dashboard>(o);
    port = dash->bind();
    server = std::thread([this] { dash->serve(); });
    for (int i = 0; i < 100 && get(port, "/runs").status != 200; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  void TearDown() override {
    dash->stop();
    server.join();
  }

  TempDir dir;
  std::string db;
  int64_t finished_id = 0, running_id = 0, measure_id = 0, script_id = 0, study_id = 0, regime_id = 0;
  std::unique_ptr<Dashboard> dash;
  int port = 0;
  std::thread server;
};

TEST_F(DashboardTest, PagesListRunsStudiesAndDevicesWithStoredTextEscaped) {
  Reply runs = get(port, "/runs");
  ASSERT_EQ(runs.status, 200) << runs.head;
  EXPECT_NE(runs.head.find("Content-Type: text/html"), std::string::npos);
  EXPECT_NE(runs.body.find("data-run-id=\"" + std::to_string(running_id) + "\""), std::string::npos);
  EXPECT_NE(runs.body.find("data-run-id=\"" + std::to_string(finished_id) + "\""), std::string::npos);
  // The hostile run name is shown, escaped, never as markup.
  EXPECT_EQ(runs.body.find("<script>alert"), std::string::npos);
  EXPECT_NE(runs.body.find("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;"), std::string::npos) << runs.body;

  Reply run = get(port, "/runs/" + std::to_string(running_id));
  ASSERT_EQ(run.status, 200);
  EXPECT_NE(run.body.find("id=\"power-chart\""), std::string::npos);
  EXPECT_NE(run.body.find("data-status=\"running\""), std::string::npos);
  EXPECT_NE(run.body.find("id=\"epoch-energy-chart\""), std::string::npos);
  Reply measured = get(port, "/runs/" + std::to_string(measure_id));
  ASSERT_EQ(measured.status, 200);
  EXPECT_NE(measured.body.find("id=\"power-chart\""), std::string::npos);
  EXPECT_EQ(measured.body.find("id=\"epoch-energy-chart\""), std::string::npos);  // a command has no epochs
  Reply script = get(port, "/runs/" + std::to_string(script_id));
  ASSERT_EQ(script.status, 200);
  EXPECT_NE(script.body.find("id=\"epoch-energy-chart\""), std::string::npos);  // unless it reported some
  Reply report = get(port, "/runs/" + std::to_string(finished_id) + "/report");
  ASSERT_EQ(report.status, 200);
  EXPECT_NE(report.body.find("<svg"), std::string::npos);
  EXPECT_EQ(report.body.find("<script>alert"), std::string::npos);

  Reply compare = get(port, "/compare?a=" + std::to_string(finished_id) + "&b=" + std::to_string(running_id));
  ASSERT_EQ(compare.status, 200);
  EXPECT_NE(compare.body.find("id=\"compare-table\""), std::string::npos);

  Reply studies = get(port, "/studies");
  ASSERT_EQ(studies.status, 200);
  EXPECT_NE(studies.body.find("data-study-id=\"" + std::to_string(study_id) + "\""), std::string::npos);
  EXPECT_EQ(studies.body.find("<script>alert"), std::string::npos);
  Reply search = get(port, "/studies/" + std::to_string(study_id));
  ASSERT_EQ(search.status, 200);
  EXPECT_NE(search.body.find("<svg"), std::string::npos);       // Pareto front
  EXPECT_NE(search.body.find("id=\"rungs\""), std::string::npos);  // budgets 3 and 9
  EXPECT_EQ(search.body.find("<script>alert"), std::string::npos);
  Reply regime = get(port, "/studies/" + std::to_string(regime_id));
  ASSERT_EQ(regime.status, 200);
  EXPECT_NE(regime.body.find("<svg"), std::string::npos);  // the batch size x learning rate heatmap

  Reply devices = get(port, "/devices");
  ASSERT_EQ(devices.status, 200);
  EXPECT_NE(devices.body.find("now-cpu"), std::string::npos);
  EXPECT_NE(devices.body.find("Test CPU (estimate)"), std::string::npos);

  Reply root = get(port, "/");
  EXPECT_EQ(root.status, 302);
  EXPECT_NE(root.head.find("Location: /runs"), std::string::npos);
}

TEST_F(DashboardTest, EveryAnswerCarriesTheSecurityHeaders) {
  for (const char* target : {"/runs", "/api/runs", "/static/app.js", "/nope", "/runs?limit=x"}) {
    Reply r = get(port, target);
    EXPECT_NE(r.head.find("Content-Security-Policy: default-src 'self'; script-src 'self'"), std::string::npos) << target << r.head;
    EXPECT_NE(r.head.find("X-Content-Type-Options: nosniff"), std::string::npos) << target;
    EXPECT_NE(r.head.find("X-Frame-Options: DENY"), std::string::npos) << target;
  }
}

TEST_F(DashboardTest, FilterValuesAreDataNotSql) {
  auto ids = [&](const std::string& query) {
    Reply r = get(port, "/api/runs" + query);
    EXPECT_EQ(r.status, 200) << query << r.body;
    std::vector<int64_t> out;
    nlohmann::json j = nlohmann::json::parse(r.body);
    for (const auto& run : j["runs"]) out.push_back(run["id"].get<int64_t>());
    return out;
  };
  EXPECT_EQ(ids("").size(), 4u);
  EXPECT_EQ(ids("?name=live"), std::vector<int64_t>{running_id});
  EXPECT_EQ(ids("?status=running"), std::vector<int64_t>{running_id});
  EXPECT_TRUE(ids("?name=%27%20OR%201%3D1%20--").empty());  // ' OR 1=1 --
  EXPECT_TRUE(ids("?name=%25").empty());                     // % is a character, not a wildcard
  EXPECT_TRUE(ids("?name=_").empty());
  EXPECT_EQ(ids("?limit=1").size(), 1u);
  EXPECT_EQ(ids("?limit=999999999").size(), 4u);  // clamped to max_rows
  EXPECT_EQ(get(port, "/api/runs?kind=train%27%20OR%20%271%27%3D%271").status, 400);
  EXPECT_EQ(get(port, "/api/runs?limit=-1").status, 400);
  EXPECT_EQ(get(port, "/api/runs?limit=1e9").status, 400);
  Reply long_name = get(port, "/runs?name=" + std::string(150, 'a'));
  EXPECT_EQ(long_name.status, 400);
  EXPECT_NE(long_name.body.find("longer than 100 characters"), std::string::npos);
  // The store is intact.
  Store store = Store::open(db);
  EXPECT_EQ(store.runs(10).size(), 4u);
}

TEST_F(DashboardTest, HostileRequestsAreAnsweredSafely) {
  const std::vector<std::string> traversal = {
      "/static/../CMakeLists.txt",       "/static/..%2fCMakeLists.txt",      "/static/%2e%2e%2fCMakeLists.txt",
      "/static/%2e%2e/%2e%2e/etc/passwd", "/%2e%2e/%2e%2e/etc/passwd",        "/../../etc/passwd",
      "/static/..",                       "/static/.",                         "/static/",
      "/static/%252e%252e%252fCMakeLists.txt", "/static/app.js%00.txt",      "/static//etc/passwd",
      "/static/..\\..\\CMakeLists.txt",   "/runs/../../etc/passwd",            "//etc/passwd"};
  for (const auto& t : traversal) {
    Reply r = get(port, t);
    EXPECT_TRUE(r.status == 404 || r.status == 400) << t << " -> " << r.status;
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << t;
    EXPECT_EQ(r.body.find("cmake_minimum_required"), std::string::npos) << t;
  }
  // Unknown routes and ids.
  for (const char* t : {"/nope", "/runs/abc", "/runs/999999", "/studies/999999", "/api/runs/999999", "/runs/1/../../x",
                        "/runs/99999999999999999999999"}) {
    Reply r = get(port, t);
    EXPECT_EQ(r.status, 404) << t;
  }
  // The 404 page does not echo the request.
  Reply echo = get(port, "/%3Cscript%3Ealert(1)%3C/script%3E");
  EXPECT_EQ(echo.status, 404);
  EXPECT_EQ(echo.body.find("<script>alert(1)"), std::string::npos);
  // Huge query strings: refused by the dashboard (over 2048) or by the HTTP parser (8 KiB).
  EXPECT_EQ(get(port, "/runs?name=" + std::string(3000, 'a')).status, 414);
  Reply huge = raw(port, "GET /runs?name=" + std::string(100000, 'a') + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 1);
  EXPECT_TRUE(huge.status == 414 || huge.status == 400 || huge.status == 0) << huge.status;
  // Many parameters.
  std::string many = "/runs?";
  for (int i = 0; i < 500; ++i) many += "k" + std::to_string(i) + "=v&";
  EXPECT_EQ(get(port, many).status, 414);
  // Only GET and HEAD.
  for (const char* m : {"POST", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
    Reply r = raw(port, std::string(m) + " /runs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(r.status, 405) << m;
  }
  Reply head = raw(port, "HEAD /runs HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  // A page elsewhere that resolves its own name to 127.0.0.1 (DNS rebinding) gets nothing.
  EXPECT_EQ(get(port, "/api/runs", "evil.example").status, 421);
  EXPECT_EQ(get(port, "/api/runs", "evil.example:" + std::to_string(port)).status, 421);
  EXPECT_EQ(get(port, "/api/runs", "localhost:" + std::to_string(port)).status, 200);
  // Garbage is not a request.
  Reply garbage = raw(port, "\x01\x02 garbage\r\n\r\n", 1);
  EXPECT_TRUE(garbage.status == 400 || garbage.status == 0) << garbage.status;
  // And the server still answers.
  EXPECT_EQ(get(port, "/runs").status, 200);
}

TEST_F(DashboardTest, StaticFilesComeFromTheBinary) {
  Reply app = get(port, "/static/app.js");
  ASSERT_EQ(app.status, 200);
  EXPECT_NE(app.head.find("Content-Type: text/javascript"), std::string::npos);
  EXPECT_EQ(app.body, read_file(std::string(POWERTRAIN_SOURCE_DIR) + "/web/app.js"));
  Reply uplot = get(port, "/static/uPlot.iife.min.js");
  ASSERT_EQ(uplot.status, 200);
  EXPECT_NE(uplot.body.find("uPlot"), std::string::npos);
  EXPECT_EQ(get(port, "/static/report.css").status, 200);
  EXPECT_EQ(get(port, "/static/package.json").status, 404);  // only the assets
}

TEST_F(DashboardTest, JsonApiGivesSamplesAfterATimeAndNullForUnknown) {
  Reply r = get(port, "/api/runs/" + std::to_string(running_id));
  ASSERT_EQ(r.status, 200);
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["run"]["status"], "running");
  EXPECT_TRUE(j["run"]["energy_j"].is_null());  // unknown until the run ends, never 0
  EXPECT_TRUE(j["run"]["duration_s"].is_null());
  ASSERT_EQ(j["epochs"].size(), 1u);
  EXPECT_TRUE(j["epochs"][0]["train_loss"].is_null());
  EXPECT_EQ(j["components"], nlohmann::json::array({"cpu_estimate"}));

  auto samples = nlohmann::json::parse(get(port, "/api/runs/" + std::to_string(running_id) + "/samples?after_s=5.5").body);
  ASSERT_EQ(samples["samples"].size(), 6u);  // t = 6.5 ... 11.5
  EXPECT_DOUBLE_EQ(samples["samples"][0]["t_s"].get<double>(), 6.5);
  EXPECT_FALSE(samples["more"].get<bool>());
  EXPECT_EQ(get(port, "/api/runs/" + std::to_string(running_id) + "/samples?after_s=abc").status, 400);
  Reply missing = get(port, "/api/runs/999");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.head.find("application/json"), std::string::npos);
}

TEST_F(DashboardTest, MetricsParseStrictlyAndDescribeTheRunningRun) {
  Reply r = get(port, "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.head.find("Content-Type: text/plain; version=0.0.4"), std::string::npos);
  std::vector<Sample> samples = parse_exposition(r.body);
  double power = NAN, energy = NAN, run = NAN, epoch = NAN;
  for (const auto& s : samples) {
    if (s.name == "powertrain_power_watts" && s.labels.at("component") == "cpu_estimate") power = s.value;
    if (s.name == "powertrain_energy_joules_total" && s.labels.at("component") == "cpu_estimate") energy = s.value;
    if (s.name == "powertrain_run_id") run = s.value;
    if (s.name == "powertrain_run_epoch") epoch = s.value;
  }
  EXPECT_DOUBLE_EQ(power, 31.0);                   // the latest sample
  EXPECT_NEAR(energy, (20.0 + 31.0) / 2 * 11, 1e-9);  // trapezoid over 11 s
  EXPECT_EQ(run, static_cast<double>(running_id));
  EXPECT_EQ(epoch, 2.0);  // one epoch stored: the second is in progress
}

// A run left `running` by a process that died (SIGKILL, a crash) is newer than the live one
// here: /metrics skips it (never repeats its last reading as current), its page says so.
TEST_F(DashboardTest, ARunThatStoppedWritingIsNotReportedAsCurrent) {
  int64_t dead_id = 0;
  {
    Store store = Store::open(db);
    RunRecord dead;
    dead.kind = "train";
    dead.name = "killed";
    dead.started_at_unix_s = unix_now_s() - 2 * 3600;
    dead_id = store.begin_run(dead, HostInfo{}, {});
    store.append_samples(dead_id, {{0.5, "cpu_estimate", 99.0}, {1.5, "cpu_estimate", 99.0}});
  }
  ASSERT_GT(dead_id, running_id);
  auto run_id_in_metrics = [&] {
    Reply r = get(port, "/metrics");
    EXPECT_EQ(r.status, 200);
    double id = NAN;
    if (r.body.empty()) return id;  // no run in progress: nothing, not zeros
    for (const auto& s : parse_exposition(r.body)) {
      if (s.name == "powertrain_run_id") id = s.value;
      if (s.name == "powertrain_power_watts") {
        EXPECT_NE(s.value, 99.0) << "the dead run's last reading";
      }
    }
    return id;
  };
  EXPECT_EQ(run_id_in_metrics(), static_cast<double>(running_id));

  std::string dead_page = get(port, "/runs/" + std::to_string(dead_id)).body;
  EXPECT_NE(dead_page.find("nothing written for 2 h"), std::string::npos) << dead_page;
  EXPECT_NE(dead_page.find("probably ended without closing the run"), std::string::npos);
  EXPECT_EQ(dead_page.find("live: updates arrive"), std::string::npos);
  std::string live_page = get(port, "/runs/" + std::to_string(running_id)).body;
  EXPECT_NE(live_page.find("live: updates arrive"), std::string::npos);
  EXPECT_EQ(live_page.find("nothing written for"), std::string::npos);

  {  // the live run ends: nothing is current, the dead run is still not reported
    Store store = Store::open(db);
    RunRecord done;
    done.kind = "train";
    done.name = "live-run";
    done.status = RunStatus::completed;
    store.finish_run(running_id, done, {}, {});
  }
  EXPECT_TRUE(std::isnan(run_id_in_metrics()));
}

TEST_F(DashboardTest, LiveEventsArriveWhileTheRunGoesOnAndEndWithItsStatus) {
  std::string events;
  std::thread reader([&] {
    Reply r = raw(port, "GET /api/runs/" + std::to_string(running_id) +
                            "/events?after_s=11.5&after_epoch=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                  30);
    events = r.head + "\r\n\r\n" + r.body;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  {
    Store store = Store::open(db);  // the trainer's side: new samples, an epoch, the end
    store.append_samples(running_id, {{12.5, "cpu_estimate", 40.0}});
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    EpochRecord e;
    e.epoch = 2;
    e.val_metric = 0.75;
    e.energy_j = 110;
    store.record_epoch(running_id, e);
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    RunRecord done;
    done.kind = "train";
    done.name = "live-run";
    done.status = RunStatus::completed;
    done.energy_j = 210;
    done.energy_provenance = Provenance::estimated;
    store.finish_run(running_id, done, {}, {{0.5, "cpu_estimate", 20.0}});
  }
  reader.join();
  EXPECT_NE(events.find("Content-Type: text/event-stream"), std::string::npos) << events;
  size_t samples = events.find("event: samples");
  size_t epoch = events.find("event: epoch");
  size_t status = events.find("event: status");
  ASSERT_NE(samples, std::string::npos) << events;
  ASSERT_NE(epoch, std::string::npos) << events;
  ASSERT_NE(status, std::string::npos) << events;
  EXPECT_LT(samples, epoch);
  EXPECT_LT(epoch, status);
  EXPECT_NE(events.find("\"t_s\":12.5"), std::string::npos);
  EXPECT_EQ(events.find("\"t_s\":11.5"), std::string::npos);  // only what is new
  EXPECT_NE(events.find("\"epoch\":2"), std::string::npos);
  EXPECT_EQ(events.find("\"epoch\":1,"), std::string::npos);
  EXPECT_NE(events.find("{\"status\":\"completed\"}"), std::string::npos);
}

TEST_F(DashboardTest, ServingNeverChangesTheStore) {
  auto snapshot = [&] { return read_file(db); };
  {
    Store s = Store::open(db);  // checkpoint the WAL so the main file holds everything
    sqlite3_wal_checkpoint_v2(StoreConnection::of(s), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  }
  std::string before = snapshot();
  for (const char* t : {"/runs", "/runs/1", "/runs/2", "/runs/1/report", "/studies", "/studies/1", "/studies/2", "/devices",
                        "/metrics", "/api/runs", "/api/runs/2/samples", "/compare?a=1&b=2"}) {
    EXPECT_LT(get(port, t).status, 500) << t;
  }
  EXPECT_EQ(snapshot(), before);
}

// ---- Slow and hostile connections ---------------------------------------------------------

// A client that connected and sent `bytes`, then goes quiet (a slow client); the socket.
int open_partial(int port, const std::string& bytes) {
  int fd = connect_loopback(port);
  EXPECT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
  return fd;
}

// Waits until the server closes `fd` (end of stream or reset), giving up after `max_s`
// (a safety net, not a measure). Returns true when it was closed; `got` is what it sent.
bool wait_closed(int fd, double max_s, std::string* got = nullptr) {
  timeval tv{0, 100000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  auto t0 = std::chrono::steady_clock::now();
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      if (got) got->append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) return true;
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > max_s) return false;
  }
}

// True while the server keeps `fd` open (nothing to read, no end of stream).
bool still_open(int fd) {
  char c;
  ssize_t n = ::recv(fd, &c, 1, MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

size_t count_of(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// A second dashboard on the fixture's store with other limits, served until it goes out of scope.
struct ServedDashboard {
  ServedDashboard(DashboardOptions o) : dash(o) {
    port = dash.bind();
    thread = std::thread([this] { dash.serve(); });
    for (int i = 0; i < 100 && get(port, "/runs").status != 200; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ~ServedDashboard() {
    dash.stop();
    thread.join();
  }
  Dashboard dash;
  int port = 0;
  std::thread thread;
};

// Slowloris: 40 clients trickle a request head one byte at a time. httplib gave each a
// thread of its 24 for as long as it kept trickling (its read timeout restarts with every
// byte), so every other request waited forever. Now they wait apart, in one thread.
TEST_F(DashboardTest, SlowClientsCannotStarveOtherRequests) {
  std::vector<int> slow;
  for (int i = 0; i < 40; ++i) slow.push_back(open_partial(port, "GET /runs HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "));
  std::atomic<bool> done{false};
  std::thread trickle([&] {
    while (!done.load()) {
      for (int fd : slow) (void)::send(fd, "a", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
      std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the attackers' pace, not a wait on the server
    }
  });
  Reply page = get(port, "/runs");
  Reply api = get(port, "/api/runs");
  done.store(true);
  trickle.join();
  EXPECT_EQ(page.status, 200) << page.head;
  EXPECT_EQ(api.status, 200) << api.head;
  for (int fd : slow) ::close(fd);
}

// Connections that never finish their head: beyond max_idle_connections the one waiting
// longest is closed at once; every one is closed at the header deadline; neither blocks
// a normal request.
TEST_F(DashboardTest, WaitingConnectionsAreCappedAndTheirHeadsHaveADeadline) {
  {
    DashboardOptions o;
    o.db_path = db;
    o.port = 0;
    o.header_timeout_s = 600;  // only the cap closes anything here
    o.max_idle_connections = 4;
    ServedDashboard served(o);
    std::vector<int> fds;
    for (int i = 0; i < 10; ++i) fds.push_back(open_partial(served.port, "GET /runs HTTP/1.1\r\nHost: "));
    for (int i = 0; i < 6; ++i) {
      std::string got;
      EXPECT_TRUE(wait_closed(fds[i], 30, &got)) << "connection " << i;
      EXPECT_TRUE(got.empty() || got.rfind("HTTP/1.1 408", 0) == 0) << got;
    }
    // The four newest still wait: the cap closed only what it had to. A normal request
    // takes the place of the one waiting longest, and is answered.
    for (int i = 6; i < 10; ++i) EXPECT_TRUE(still_open(fds[i])) << "connection " << i;
    EXPECT_EQ(get(served.port, "/runs").status, 200);
    EXPECT_TRUE(wait_closed(fds[6], 30));
    for (int i = 7; i < 10; ++i) EXPECT_TRUE(still_open(fds[i])) << "connection " << i;
    for (int fd : fds) ::close(fd);
  }
  DashboardOptions o;
  o.db_path = db;
  o.port = 0;
  o.header_timeout_s = 0.5;
  ServedDashboard served(o);
  int fd = open_partial(served.port, "GET /runs HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  std::string got;
  EXPECT_TRUE(wait_closed(fd, 30, &got));
  EXPECT_TRUE(got.empty() || got.rfind("HTTP/1.1 408", 0) == 0) << got;
  ::close(fd);
  EXPECT_EQ(get(served.port, "/runs").status, 200);
}

// A body the dashboard does not read is never taken for the next request on the connection
// (request smuggling); pipelined requests without bodies are each answered.
TEST_F(DashboardTest, AnUnreadBodyIsNeverTheNextRequest) {
  const std::string smuggled = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  for (const char* method : {"GET", "POST"}) {
    Reply r = raw(port, std::string(method) + " /runs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
                            std::to_string(smuggled.size()) + "\r\n\r\n" + smuggled);
    EXPECT_EQ(count_of(r.head + r.body, "HTTP/1.1 "), 1u) << method << "\n" << r.head;
  }
  Reply two = raw(port, "GET /runs HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                        "GET /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(count_of(two.head + two.body, "HTTP/1.1 200"), 2u) << two.head;
}

// The same answers without a socket (what the fuzz target drives).
TEST_F(DashboardTest, AnswerRunsARawRequestWithoutASocket) {
  std::string page = dash->answer("GET /runs HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  EXPECT_EQ(page.rfind("HTTP/1.1 200", 0), 0u) << page.substr(0, 200);
  EXPECT_NE(page.find("Content-Security-Policy"), std::string::npos);
  EXPECT_EQ(dash->answer("GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").rfind("HTTP/1.1 404", 0), 0u);
  EXPECT_EQ(dash->answer("\x01\x02\r\n\r\n").rfind("HTTP/1.1 400", 0), 0u);
}

TEST(Dashboard, RefusesAMissingStoreAndABusyPortWithTheFix) {
  TempDir dir;
  DashboardOptions o;
  o.db_path = dir.path() + "/none.db";
  try {
    Dashboard d(o);
    FAIL() << "a missing store was accepted";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("train or measure something first"), std::string::npos) << e.what();
  }
  EXPECT_NE(::access(o.db_path.c_str(), F_OK), 0);  // nothing created

  o.db_path = dir.path() + "/s.db";
  Store::open(o.db_path);
  o.port = 0;
  Dashboard first(o);
  int port = first.bind();
  o.port = port;
  Dashboard second(o);
  try {
    second.bind();
    FAIL() << "bound twice to port " << port;
  } catch (const DashboardError& e) {
    EXPECT_NE(std::string(e.what()).find("pass another --port"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace powertrain::test
