// Fuzz target: the dashboard's routes and query strings (Dashboard::answer, include/
// powertrain/serve/dashboard.h): each input is one request, through httplib's parsing, the
// dashboard's limits, routes, pages and JSON, on a small store made once. An input that
// holds a blank line ("\r\n\r\n") is sent as raw bytes; otherwise its first line is the
// target (path and query, e.g. /runs?name=x&limit=5, or "HEAD /runs") and the other lines
// are extra headers. Every request must get an HTTP answer; none may crash, and none may
// be a 500 (an exception the dashboard did not expect).
#include <cstdint>
#include <memory>
#include <string>

#include "fuzz/fuzz_util.h"
#include "powertrain/serve/dashboard.h"
#include "powertrain/store/store.h"

namespace {

std::unique_ptr<powertrain::Dashboard> dashboard;

// A store with a finished and a running training run (samples, epochs), a measured
// command and a study with trials: every page has something to show.
void make_store(const std::string& path) {
  powertrain::Store store = powertrain::Store::open(path);
  powertrain::SensorInfo cpu{"cpu_estimate", "estimate", "CPU <script>", true, "utilisation x TDP"};
  for (int i = 0; i < 3; ++i) {
    powertrain::RunRecord run;
    run.kind = i == 2 ? "measure" : "train";
    run.name = i == 0 ? "run \"<b>&'" : "run " + std::to_string(i);
    run.started_at_unix_s = 1.7e9 + i;
    int64_t id = store.begin_run(run, powertrain::HostInfo{}, {cpu});
    std::vector<powertrain::PowerSample> samples;
    for (int t = 0; t < 5; ++t) samples.push_back({0.5 + t, "cpu_estimate", 20.0 + t});
    store.append_samples(id, samples);
    powertrain::EpochRecord e;
    e.epoch = 1;
    e.val_metric = 0.5;
    e.energy_j = 100;
    e.energy_provenance = powertrain::Provenance::estimated;
    if (run.kind == "train") store.record_epoch(id, e);
    if (i != 1) {
      run.status = powertrain::RunStatus::completed;
      store.finish_run(id, run, {}, samples);
    }
  }
  int64_t study = store.create_study("search", R"({"strategy": "sm2"})");
  store.record_study_row(study, 1, R"({"config": {"batch_size": 32}, "budget": 3, "energy_j": 10, "metric": 0.5})", 10, 0.5);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const std::string db = powertrain::fuzz::scratch_dir() + "/dashboard.db";
  make_store(db);
  powertrain::DashboardOptions o;
  o.db_path = db;
  o.port = 0;
  o.poll_s = 0;          // an event stream answers once...
  o.stream_max_s = 0;    // ...and ends
  dashboard = std::make_unique<powertrain::Dashboard>(o);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = powertrain::fuzz::text_of(data, size);
  std::string request;
  if (text.find("\r\n\r\n") != std::string::npos) {
    request = text;
  } else {
    const size_t end = text.find('\n');
    std::string target = text.substr(0, end);
    std::string method = "GET";
    if (target.rfind("HEAD ", 0) == 0) {
      method = "HEAD";
      target = target.substr(5);
    }
    request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    if (end != std::string::npos) {
      size_t pos = end + 1;
      while (pos < text.size()) {
        size_t next = text.find('\n', pos);
        request += text.substr(pos, next == std::string::npos ? std::string::npos : next - pos) + "\r\n";
        pos = next == std::string::npos ? text.size() : next + 1;
      }
    }
    request += "\r\n";
  }
  const std::string answer = dashboard->answer(request);
  if (answer.rfind("HTTP/1.1 ", 0) != 0 && !answer.empty()) __builtin_trap();
  if (answer.rfind("HTTP/1.1 500", 0) == 0) __builtin_trap();
  return 0;
}
