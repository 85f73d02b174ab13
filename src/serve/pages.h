// Private to serve: the dashboard's HTML pages and JSON answers, built from a read-only
// store. Pure functions of the store and the request's parameters (no sockets), so they
// are tested directly; dashboard.cpp maps routes onto them.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "powertrain/energy/source.h"
#include "powertrain/store/store.h"

namespace powertrain::serve {

// An answer: HTTP status, content type, body.
struct Answer {
  int status = 200;
  std::string content_type = "text/html; charset=utf-8";
  std::string body;
};

// Returns `title` and `body` inside the dashboard's page (head, navigation). `active` is
// the navigation entry to mark: "runs", "studies", "devices" or "".
std::string page(const std::string& title, const std::string& active, const std::string& body);
// An HTML error page with `status` and a plain-text message (escaped).
Answer error_page(int status, const std::string& message);

Answer runs_page(const Store& store, const RunFilter& filter);
Answer run_page(const Store& store, int64_t run_id);
// The run's full report (src/report) inside the dashboard's layout.
Answer run_report_page(const Store& store, int64_t run_id);
Answer compare_page(const Store& store, int64_t a, int64_t b);
// `shared` are the studies of a shared study log (--storage), listed after the store's.
// Studies come from the store or from a shared study log (--storage): the pages get them
// as data. `trials(id)` returns a search study's stored trials; `where` names the source.
using TrialsOf = std::function<std::vector<StoredTrial>(int64_t study_id)>;
Answer studies_page(const std::vector<StudyRecord>& studies, const TrialsOf& trials, const std::string& where);
Answer study_page(const std::optional<StudyRecord>& study, int64_t study_id, const TrialsOf& trials);
Answer devices_page(const Store& store, const std::vector<SensorInfo>& now, int limit);

// JSON API.
nlohmann::json run_json(const RunRecord& r);
nlohmann::json sample_json(const PowerSample& s);
Answer api_runs(const Store& store, const RunFilter& filter);
Answer api_run(const Store& store, int64_t run_id);
// At most `limit` samples with t_s > after_s; "more" tells whether there are others.
Answer api_samples(const Store& store, int64_t run_id, double after_s, int limit);
Answer api_studies(const std::vector<StudyRecord>& studies);
// A `running` run that has written no power sample for this long (LiveSamples writes about
// once a second) is taken to have ended without closing its run (SIGKILL, a crash, a power
// cut): its page says so and /metrics leaves it out rather than repeat its last reading.
constexpr double kSilentAfter_s = 60;

// Prometheus text of the newest running run that still writes (power = its latest live
// sample, energy = the integral of its live samples, epoch = the one in progress).
Answer metrics(const Store& store);

}  // namespace powertrain::serve
