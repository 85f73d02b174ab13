// The dashboard's pages and JSON answers. Every stored string goes through escape_html
// (HTML) or nlohmann::json (JSON); nothing from the request reaches SQL but as a bound
// parameter (Store's methods).
#include "serve/pages.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <map>
#include <set>

#include "powertrain/interop/prometheus.h"
#include "powertrain/interop/run_json.h"
#include "powertrain/report/document.h"
#include "powertrain/report/format.h"
#include "powertrain/report/reports.h"
#include "powertrain/study/results.h"

namespace powertrain::serve {

using nlohmann::json;
using report::escape_html;

namespace {

json num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

std::string esc(const std::string& s) { return escape_html(s); }

// Seconds since a running run last wrote a power sample (since it started, before its first),
// NaN when its start is unknown.
double silent_for_s(const Store& store, const RunRecord& r) {
  if (!std::isfinite(r.started_at_unix_s)) return NAN;
  const double last_t_s = store.last_sample_t_s(r.id);
  const double wrote_unix_s = r.started_at_unix_s + (std::isfinite(last_t_s) ? std::max(last_t_s, 0.0) : 0.0);
  const double now_unix_s = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  return now_unix_s - wrote_unix_s;
}

bool stopped_writing(const Store& store, const RunRecord& r) {
  const double silent_s = silent_for_s(store, r);
  return std::isfinite(silent_s) && silent_s > kSilentAfter_s;
}

// "2026-11-23 17:40 UTC", or "n/a".
std::string date_text(double unix_s) {
  if (!std::isfinite(unix_s)) return "n/a";
  std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

// Energy with its origin ("1.2 kJ (est.)"), or "n/a" when unknown.
std::string energy_text(double energy_j, Provenance provenance) {
  if (!std::isfinite(energy_j)) return std::string("n/a (") + provenance_name(provenance) + ")";
  return report::with_origin(report::format_energy_j(energy_j), report::origin_of(provenance));
}

std::string duration_text(double s) { return std::isfinite(s) ? report::format_duration_s(s) : "n/a"; }

std::string co2_text(double g) { return std::isfinite(g) ? report::format_si(g, "g") : "n/a"; }

std::string facts_html(const std::vector<std::pair<std::string, std::string>>& items) {
  std::string out = "<dl class=\"facts\">";
  for (const auto& [k, v] : items) out += "<dt>" + esc(k) + "</dt><dd>" + esc(v) + "</dd>";
  return out + "</dl>\n";
}

std::string status_badge(const std::string& status) {
  std::string cls;
  for (char c : status) cls += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
  return "<span class=\"status status-" + cls + "\">" + esc(status) + "</span>";
}

json parse_or_empty(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  return j.is_discarded() ? json::object() : j;
}

Answer html(int status, std::string body) {
  Answer a;
  a.status = status;
  a.body = std::move(body);
  return a;
}

Answer json_answer(const json& j, int status = 200) {
  Answer a;
  a.status = status;
  a.content_type = "application/json";
  a.body = j.dump(-1, ' ', false, json::error_handler_t::replace);
  return a;
}

const char* const kEpochHeader =
    "<thead><tr><th class=\"num\">epoch</th><th class=\"num\">train loss</th><th class=\"num\">val loss</th>"
    "<th class=\"num\">val metric</th><th class=\"num\">lr</th><th class=\"num\">duration s</th>"
    "<th class=\"num\">energy J</th><th>provenance</th><th class=\"num\">avg power W</th>"
    "<th class=\"num\" title=\"the run's training energy when it stops, forecast after this epoch (docs/train.md)\">forecast J</th></tr></thead>";

}  // namespace

std::string page(const std::string& title, const std::string& active, const std::string& body) {
  auto link = [&](const char* href, const char* key, const char* text) {
    return fmt::format("<a href=\"{}\"{}>{}</a>", href, active == key ? " class=\"active\" aria-current=\"page\"" : "", text);
  };
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>" + esc(title) + " - powertrain</title>\n"
      "<link rel=\"stylesheet\" href=\"/static/report.css\">\n"
      "<link rel=\"stylesheet\" href=\"/static/uPlot.min.css\">\n"
      "<link rel=\"stylesheet\" href=\"/static/style.css\">\n"
      "<script src=\"/static/uPlot.iife.min.js\" defer></script>\n"
      "<script src=\"/static/app.js\" defer></script>\n"
      "</head>\n<body>\n<nav class=\"top\"><span class=\"brand\">powertrain</span>";
  out += link("/runs", "runs", "Runs") + link("/studies", "studies", "Studies") + link("/devices", "devices", "Devices") +
         link("/metrics", "metrics", "Metrics");
  out += "</nav>\n<main>\n" + body + "</main>\n</body>\n</html>\n";
  return out;
}

Answer error_page(int status, const std::string& message) {
  return html(status, page(fmt::format("{}", status), "",
                           fmt::format("<h1>{}</h1>\n<p>{}</p>\n<p><a href=\"/runs\">Runs</a> · <a href=\"/studies\">Studies</a>"
                                       " · <a href=\"/devices\">Devices</a></p>\n",
                                       status, esc(message))));
}

// ---- runs --------------------------------------------------------------------------------

Answer runs_page(const Store& store, const RunFilter& f) {
  std::vector<RunRecord> runs = store.runs(f);
  std::string body = "<h1>Runs</h1>\n<form id=\"filter\" method=\"get\" action=\"/runs\">";
  body += "<label>name <input type=\"search\" name=\"name\" maxlength=\"100\" value=\"" + esc(f.name_contains) + "\"></label>";
  auto select = [&](const char* name, const std::string& current, std::vector<const char*> options) {
    std::string s = fmt::format("<label>{} <select name=\"{}\"><option value=\"\">any</option>", name, name);
    for (const char* o : options) {
      s += fmt::format("<option{}>{}</option>", current == o ? " selected" : "", o);
    }
    return s + "</select></label>";
  };
  body += select("kind", f.kind, {"measure", "train", "trial"});
  std::vector<const char*> statuses;
  for (RunStatus s : run_statuses()) statuses.push_back(run_status_name(s));
  body += select("status", f.status ? run_status_name(*f.status) : "", statuses);
  body += fmt::format("<label>limit <input type=\"number\" name=\"limit\" min=\"1\" max=\"500\" value=\"{}\"></label>", f.limit);
  body += "<button type=\"submit\">Filter</button></form>\n";
  if (runs.empty()) {
    body += "<p class=\"empty\">No runs match. Runs appear here as <code>powertrain train</code> or "
            "<code>powertrain measure</code> record them.</p>\n";
    return html(200, page("Runs", "runs", body));
  }
  body += "<p><button id=\"compare-button\" type=\"button\" disabled>Compare two selected runs</button></p>\n";
  body += "<div class=\"table-wrap\"><table id=\"runs\"><thead><tr><th>compare</th><th class=\"num\">id</th><th>name</th><th>kind</th>"
          "<th>status</th><th>started</th><th class=\"num\">duration</th><th class=\"num\">energy</th><th>provenance</th>"
          "<th class=\"num\">CO2e</th></tr></thead><tbody>\n";
  for (const RunRecord& r : runs) {
    body += fmt::format(
        "<tr data-run-id=\"{0}\"><td><input type=\"checkbox\" name=\"compare\" value=\"{0}\" aria-label=\"compare run {0}\"></td>"
        "<td class=\"num\"><a href=\"/runs/{0}\">{0}</a></td><td><a href=\"/runs/{0}\">{1}</a></td><td>{2}</td><td>{3}</td>"
        "<td>{4}</td><td class=\"num\">{5}</td><td class=\"num\">{6}</td><td>{7}</td><td class=\"num\">{8}</td></tr>\n",
        r.id, esc(r.name.empty() ? "(unnamed)" : r.name), esc(r.kind), status_badge(run_status_name(r.status)), esc(date_text(r.started_at_unix_s)),
        r.status == RunStatus::running ? "running" : esc(duration_text(r.duration_s)),
        r.status == RunStatus::running ? "at the end" : esc(energy_text(r.energy_j, r.energy_provenance)),
        r.status == RunStatus::running ? "" : esc(provenance_name(r.energy_provenance)), r.status == RunStatus::running ? "" : esc(co2_text(r.co2e_g)));
  }
  body += "</tbody></table></div>\n";
  if (static_cast<int>(runs.size()) == f.limit) {
    body += fmt::format("<p class=\"note\">Showing the newest {} runs; narrow the filter or raise the limit.</p>\n", f.limit);
  }
  return html(200, page("Runs", "runs", body));
}

namespace {

std::vector<std::pair<std::string, std::string>> run_facts(const Store& store, const RunRecord& r) {
  std::vector<std::pair<std::string, std::string>> facts = {
      {"run", std::to_string(r.id)}, {"name", r.name.empty() ? "(unnamed)" : r.name}, {"kind", r.kind}};
  if (!r.command.empty()) facts.push_back({"command", r.command});
  facts.push_back({"started", date_text(r.started_at_unix_s)});
  facts.push_back({"duration", r.status == RunStatus::running ? "running" : duration_text(r.duration_s)});
  facts.push_back({"energy", r.status == RunStatus::running ? "when the run ends (per epoch below)" : energy_text(r.energy_j, r.energy_provenance)});
  facts.push_back({"CO2e", r.status == RunStatus::running ? "when the run ends"
                                                  : co2_text(r.co2e_g) + (r.grid.empty() ? "" : " (grid " + r.grid + ", PUE " +
                                                                                                    report::format_number(r.pue) + ")")});
  std::string devices;
  for (const SensorInfo& s : store.devices(r.id)) {
    if (!s.working) continue;
    devices += (devices.empty() ? "" : "; ") + s.component + " (" + s.source + (s.description.empty() ? "" : ", " + s.description) + ")";
  }
  facts.push_back({"sensors", devices.empty() ? "none working: energy is missing" : devices});
  if (const auto& o = r.details.outcome) {
    if (!o->stop_reason.empty()) facts.push_back({"stopped", o->stop_reason});
    if (std::isfinite(o->best_val_metric)) facts.push_back({"best val metric", report::format_number(o->best_val_metric, 4)});
    if (std::isfinite(o->test_metric)) facts.push_back({"test metric", report::format_number(o->test_metric, 4)});
  }
  if (!r.details.error.empty()) facts.push_back({"error", r.details.error});
  if (r.exit_code) facts.push_back({"exit code", std::to_string(*r.exit_code)});
  return facts;
}

}  // namespace

Answer run_page(const Store& store, int64_t run_id) {
  std::optional<RunRecord> r = store.run(run_id);
  if (!r) return error_page(404, fmt::format("There is no run {} in this store.", run_id));
  std::string title = fmt::format("Run {}: {}", r->id, r->name.empty() ? "(unnamed)" : r->name);
  std::string body = fmt::format("<section id=\"run\" data-run-id=\"{}\" data-status=\"{}\">\n", r->id, run_status_name(r->status));
  body += "<h1>" + esc(title) + "</h1>\n";
  body += "<p>Status: <span id=\"run-status\">" + esc(run_status_name(r->status)) + "</span>";
  if (r->status == RunStatus::running && stopped_writing(store, *r)) {
    body += fmt::format(" <span class=\"stale\">(nothing written for {}: its process probably ended without closing the run, "
                        "e.g. SIGKILL or a crash; what it wrote is kept)</span>",
                        esc(duration_text(silent_for_s(store, *r))));
  } else if (r->status == RunStatus::running) {
    body += " <span class=\"live\">(live: updates arrive as the run goes on)</span>";
  }
  body += fmt::format(" · <a href=\"/runs/{}/report\">full report</a> · <a href=\"/api/runs/{}\">JSON</a></p>\n", r->id, r->id);
  body += facts_html(run_facts(store, *r));
  body += "<h2>Power</h2>\n<div id=\"power-chart\" class=\"chart\" data-points=\"0\"></div>\n"
          "<p class=\"note\">Power per component, averaged per second; estimated components are a model, not a reading.</p>\n";
  // A measured command has epochs only when it reports them through the event channel
  // (docs/events.md): shown when it has some, or while it runs (they may still come).
  if (r->kind != "measure" || r->status == RunStatus::running || !store.epochs(run_id).empty()) {
    body += "<h2>Energy per epoch</h2>\n<div id=\"epoch-energy-chart\" class=\"chart\" data-points=\"0\"></div>\n";
    body += "<h2>Validation metric and loss</h2>\n<div id=\"metric-chart\" class=\"chart\" data-points=\"0\"></div>\n";
    body += "<h2>Epochs</h2>\n<div class=\"table-wrap\"><table id=\"epochs\">" + std::string(kEpochHeader) +
            "<tbody></tbody></table></div>\n";
  }
  // The windows of a finished run (what measure and train split it into).
  std::vector<Measurement> windows = store.windows(run_id);
  if (!windows.empty()) {
    body += "<h2>Windows</h2>\n<div class=\"table-wrap\"><table id=\"windows\"><thead><tr><th>window</th><th class=\"num\">duration</th>"
            "<th class=\"num\">energy</th><th>provenance</th><th class=\"num\">avg power</th></tr></thead><tbody>\n";
    for (const Measurement& m : windows) {
      std::string prov = provenance_name(m.total_provenance());
      body += fmt::format("<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td></tr>\n",
                          esc(m.name), esc(duration_text(m.duration_s)), esc(energy_text(m.total_energy_j(), m.total_provenance())), esc(prov),
                          std::isfinite(m.avg_power_w()) ? esc(report::format_power_w(m.avg_power_w())) : "n/a");
    }
    body += "</tbody></table></div>\n";
  }
  body += "<noscript><p>The charts need JavaScript; the <a href=\"/runs/" + std::to_string(r->id) +
          "/report\">full report</a> has them as images.</p></noscript>\n</section>\n";
  return html(200, page(title, "runs", body));
}

Answer run_report_page(const Store& store, int64_t run_id) {
  if (!store.run(run_id)) return error_page(404, fmt::format("There is no run {} in this store.", run_id));
  report::Document doc = report::run_document(store, run_id);
  return html(200, page(doc.title(), "runs", doc.body_html()));
}

Answer compare_page(const Store& store, int64_t a, int64_t b) {
  std::optional<RunRecord> ra = store.run(a), rb = store.run(b);
  if (!ra || !rb) return error_page(404, fmt::format("There is no run {} in this store.", !ra ? a : b));
  auto epochs_a = store.epochs(a), epochs_b = store.epochs(b);
  auto summary = [](const std::vector<EpochRecord>& es) {
    double best = NAN, energy = 0;
    bool known = !es.empty();
    for (const auto& e : es) {
      if (std::isfinite(e.val_metric) && !(e.val_metric <= best)) best = e.val_metric;
      if (std::isfinite(e.energy_j)) energy += e.energy_j; else known = false;
    }
    return std::pair<double, double>{best, known ? energy / static_cast<double>(es.size()) : NAN};
  };
  auto [best_a, per_epoch_a] = summary(epochs_a);
  auto [best_b, per_epoch_b] = summary(epochs_b);
  std::vector<std::array<std::string, 3>> rows = {
      {"name", ra->name, rb->name},
      {"kind", ra->kind, rb->kind},
      {"status", run_status_name(ra->status), run_status_name(rb->status)},
      {"started", date_text(ra->started_at_unix_s), date_text(rb->started_at_unix_s)},
      {"duration", duration_text(ra->duration_s), duration_text(rb->duration_s)},
      {"energy", energy_text(ra->energy_j, ra->energy_provenance), energy_text(rb->energy_j, rb->energy_provenance)},
      {"CO2e", co2_text(ra->co2e_g), co2_text(rb->co2e_g)},
      {"epochs", std::to_string(epochs_a.size()), std::to_string(epochs_b.size())},
      {"mean energy per epoch", energy_text(per_epoch_a, epochs_a.empty() ? Provenance::missing : epochs_a.back().energy_provenance),
       energy_text(per_epoch_b, epochs_b.empty() ? Provenance::missing : epochs_b.back().energy_provenance)},
      {"best val metric", std::isfinite(best_a) ? report::format_number(best_a, 4) : "n/a",
       std::isfinite(best_b) ? report::format_number(best_b, 4) : "n/a"},
  };
  if (std::isfinite(ra->energy_j) && std::isfinite(rb->energy_j) && ra->energy_j > 0) {
    rows.push_back({"energy ratio", "1", report::format_number(rb->energy_j / ra->energy_j, 3) + "x"});
  }
  // Configuration differences (training runs keep their config in their details).
  if (!ra->details.config_json.empty() && !rb->details.config_json.empty()) {
    json fa = parse_or_empty(ra->details.config_json).flatten(), fb = parse_or_empty(rb->details.config_json).flatten();
    std::set<std::string> keys;
    for (auto it = fa.begin(); it != fa.end(); ++it) keys.insert(it.key());
    for (auto it = fb.begin(); it != fb.end(); ++it) keys.insert(it.key());
    for (const auto& k : keys) {
      std::string va = fa.contains(k) ? fa[k].dump() : "-", vb = fb.contains(k) ? fb[k].dump() : "-";
      if (va != vb) rows.push_back({"config " + k, va, vb});
    }
  }
  std::string title = fmt::format("Compare run {} and run {}", a, b);
  std::string body = fmt::format("<section id=\"compare\" data-run-a=\"{}\" data-run-b=\"{}\">\n<h1>{}</h1>\n", a, b, esc(title));
  body += fmt::format("<div class=\"table-wrap\"><table id=\"compare-table\"><thead><tr><th></th><th><a href=\"/runs/{0}\">run {0}</a></th>"
                      "<th><a href=\"/runs/{1}\">run {1}</a></th></tr></thead><tbody>\n",
                      a, b);
  for (const auto& row : rows) {
    body += "<tr><th>" + esc(row[0]) + "</th><td>" + esc(row[1]) + "</td><td>" + esc(row[2]) + "</td></tr>\n";
  }
  body += "</tbody></table></div>\n";
  body += "<h2>Energy per epoch</h2>\n<div id=\"compare-energy-chart\" class=\"chart\" data-points=\"0\"></div>\n";
  body += "<h2>Validation metric per epoch</h2>\n<div id=\"compare-metric-chart\" class=\"chart\" data-points=\"0\"></div>\n";
  body += "</section>\n";
  return html(200, page(title, "runs", body));
}

// ---- studies -----------------------------------------------------------------------------

Answer studies_page(const std::vector<StudyRecord>& studies, const TrialsOf& trials_of, const std::string& where) {
  std::string body = "<h1>Studies</h1>\n<p class=\"note\">From " + esc(where) + ".</p>\n";
  if (studies.empty()) {
    body += "<p class=\"empty\">No studies yet. <code>powertrain tune</code> (searches) and <code>powertrain study</code> "
            "(regime, precision, pretrain, ...) record them here.</p>\n";
    return html(200, page("Studies", "studies", body));
  }
  body += "<div class=\"table-wrap\"><table id=\"studies\"><thead><tr><th class=\"num\">id</th><th>name</th><th>kind</th>"
          "<th>status</th><th>created</th><th class=\"num\">trials</th></tr></thead><tbody>\n";
  for (const StudyRecord& s : studies) {
    size_t trials = s.kind == "tune" ? trials_of(s.id).size() : 0;
    body += fmt::format(
        "<tr data-study-id=\"{0}\"><td class=\"num\"><a href=\"/studies/{0}\">{0}</a></td><td><a href=\"/studies/{0}\">{1}</a></td>"
        "<td>{2}</td><td>{3}</td><td>{4}</td><td class=\"num\">{5}</td></tr>\n",
        s.id, esc(s.name), esc(s.kind), status_badge(study_status_name(s.status)), esc(date_text(s.created_at_unix_s)),
        s.kind == "tune" ? std::to_string(trials) : "");
  }
  body += "</tbody></table></div>\n";
  return html(200, page("Studies", "studies", body));
}

namespace {

// Trials per budget (successive halving's rungs): how many, the best metric, their energy.
std::string rungs_html(const std::vector<StoredTrial>& trials) {
  struct Rung { int trials = 0; double best = NAN; double energy_j = 0; bool energy_known = true; std::vector<Provenance> provenance; };
  std::map<double, Rung> rungs;
  for (const StoredTrial& t : trials) {
    double budget = t.record.trial.budget;
    if (!std::isfinite(budget)) continue;
    Rung& r = rungs[budget];
    ++r.trials;
    double m = t.record.result.metric, e = t.record.trial_energy_j;
    if (std::isfinite(m) && !(m <= r.best)) r.best = m;
    if (std::isfinite(e)) r.energy_j += e; else r.energy_known = false;
    r.provenance.push_back(t.energy_provenance);
  }
  if (rungs.size() < 2) return "";
  std::string out = "<h2>Rungs</h2>\n<div class=\"table-wrap\"><table id=\"rungs\"><thead><tr><th class=\"num\">budget</th>"
                    "<th class=\"num\">trials</th><th class=\"num\">best metric</th><th class=\"num\">energy of the rung</th>"
                    "</tr></thead><tbody>\n";
  for (const auto& [budget, r] : rungs) {
    out += fmt::format("<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
                       esc(report::format_number(budget, 4)), r.trials,
                       std::isfinite(r.best) ? esc(report::format_number(r.best, 4)) : "n/a",
                       r.energy_known ? esc(report::with_origin(report::format_energy_j(r.energy_j),
                                                                report::origin_of(provenance_weakest(r.provenance))))
                                      : "n/a");
  }
  return out + "</tbody></table></div>\n<p class=\"note\">A rung is the trials run at one budget (epochs or joules); "
               "successive halving promotes the best of each rung to the next.</p>\n";
}

}  // namespace

Answer study_page(const std::optional<StudyRecord>& s, int64_t study_id, const TrialsOf& trials_of) {
  if (!s) return error_page(404, fmt::format("There is no study {} here.", study_id));
  std::string body;
  if (s->kind == "tune") {
    std::vector<StoredTrial> trials = trials_of(s->id);
    std::string doc = report::search_document(*s, trials).body_html();
    // The rungs go after the document's facts.
    size_t after_facts = doc.find("</dl>");
    std::string rungs = rungs_html(trials);
    if (after_facts != std::string::npos) doc.insert(after_facts + 5, "\n" + rungs); else doc += rungs;
    body = doc;
  } else if (!s->result_json.empty()) {
    std::optional<AnyStudyResult> result = study_result_of(*s);
    if (!result) return error_page(500, "The stored result of study " + s->name + " is not valid JSON.");
    body = report::study_document(*result).body_html();
  } else {
    body = "<h1>" + esc(s->name) + "</h1>\n" +
           facts_html({{"kind", s->kind}, {"status", study_status_name(s->status)}, {"created", date_text(s->created_at_unix_s)}}) +
           "<p>This study has no result yet: its report appears when it finishes.</p>\n";
  }
  return html(200, page(s->name, "studies", "<section id=\"study\" data-study-id=\"" + std::to_string(s->id) + "\">\n" + body + "</section>\n"));
}

// ---- devices -----------------------------------------------------------------------------

Answer devices_page(const Store& store, const std::vector<SensorInfo>& now, int limit) {
  std::string body = "<h1>Devices</h1>\n<h2>This machine, now</h2>\n";
  body += "<div class=\"table-wrap\"><table id=\"devices-now\"><thead><tr><th>source</th><th>component</th><th>status</th>"
          "<th>description</th><th>details</th></tr></thead><tbody>\n";
  for (const SensorInfo& s : now) {
    body += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n", esc(s.source),
                        esc(s.component.empty() ? "-" : s.component), s.working ? "working" : "unavailable", esc(s.description),
                        esc(s.detail));
  }
  if (now.empty()) body += "<tr><td colspan=\"5\">no sensor information</td></tr>\n";
  body += "</tbody></table></div>\n<p class=\"note\">What <code>powertrain devices</code> shows: every sensor, working or not, "
          "and why. Without a working counter, energy is estimated or missing, and says so.</p>\n";
  body += "<h2>Recorded in the store</h2>\n";
  std::vector<RecordedDevice> recorded = store.recorded_devices(limit);
  body += "<div class=\"table-wrap\"><table id=\"devices-recorded\"><thead><tr><th>source</th><th>component</th>"
          "<th>description</th><th>working</th><th class=\"num\">runs</th><th class=\"num\">last run</th></tr></thead><tbody>\n";
  for (const RecordedDevice& d : recorded) {
    body += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td>"
                        "<td class=\"num\"><a href=\"/runs/{}\">{}</a></td></tr>\n",
                        esc(d.sensor.source), esc(d.sensor.component.empty() ? "-" : d.sensor.component), esc(d.sensor.description),
                        d.sensor.working ? "yes" : "no", d.runs, d.last_run_id, d.last_run_id);
  }
  if (recorded.empty()) body += "<tr><td colspan=\"6\">no runs recorded yet</td></tr>\n";
  body += "</tbody></table></div>\n";
  return html(200, page("Devices", "devices", body));
}

// ---- JSON --------------------------------------------------------------------------------

json run_json(const RunRecord& r) {
  return {{"id", r.id},
          {"name", r.name},
          {"kind", r.kind},
          {"status", run_status_name(r.status)},
          {"command", r.command},
          {"started_at_unix_s", num(r.started_at_unix_s)},
          {"duration_s", num(r.duration_s)},
          {"energy_j", num(r.energy_j)},
          {"energy_uncertainty_j", num(r.energy_uncertainty_j)},
          {"energy_provenance", r.energy_provenance},
          {"co2e_g", num(r.co2e_g)},
          {"grid", r.grid},
          {"pue", num(r.pue)},
          {"exit_code", r.exit_code ? json(*r.exit_code) : json(nullptr)}};
}


json sample_json(const PowerSample& s) { return {{"t_s", num(s.t_s)}, {"component", s.component}, {"power_w", num(s.power_w)}}; }

Answer api_runs(const Store& store, const RunFilter& filter) {
  json runs = json::array();
  for (const RunRecord& r : store.runs(filter)) runs.push_back(run_json(r));
  return json_answer({{"runs", runs}});
}

Answer api_run(const Store& store, int64_t run_id) {
  std::optional<RunRecord> r = store.run(run_id);
  if (!r) return json_answer({{"error", fmt::format("no run {} in this store", run_id)}}, 404);
  json epochs = json::array();
  for (const EpochRecord& e : store.epochs(run_id)) epochs.push_back(epoch_json(e));
  json components = json::array();
  for (const SensorInfo& s : store.devices(run_id)) {
    if (s.working && !s.component.empty()) components.push_back(s.component);
  }
  return json_answer({{"run", run_json(*r)}, {"epochs", epochs}, {"components", components}});
}

Answer api_samples(const Store& store, int64_t run_id, double after_s, int limit) {
  std::optional<RunRecord> r = store.run(run_id);
  if (!r) return json_answer({{"error", fmt::format("no run {} in this store", run_id)}}, 404);
  std::vector<PowerSample> samples = store.samples_after(run_id, after_s, limit + 1);
  bool more = static_cast<int>(samples.size()) > limit;
  if (more) samples.resize(static_cast<size_t>(limit));
  json arr = json::array();
  for (const PowerSample& s : samples) arr.push_back(sample_json(s));
  return json_answer({{"run_id", run_id}, {"status", run_status_name(r->status)}, {"samples", arr}, {"more", more}});
}

Answer api_studies(const std::vector<StudyRecord>& studies) {
  json arr = json::array();
  for (const StudyRecord& s : studies) {
    arr.push_back({{"id", s.id}, {"name", s.name}, {"kind", s.kind}, {"status", study_status_name(s.status)}, {"created_at_unix_s", num(s.created_at_unix_s)}});
  }
  return json_answer({{"studies", arr}});
}

Answer metrics(const Store& store) {
  PrometheusSnapshot snap;
  RunFilter running;
  running.status = RunStatus::running;
  running.limit = 50;
  std::optional<RunRecord> current;  // the newest running run that still writes
  for (const RunRecord& r : store.runs(running)) {
    if (!stopped_writing(store, r)) {
      current = r;
      break;
    }
  }
  if (current) {
    const RunRecord& r = *current;
    snap.run_id = r.id;
    snap.run_name = r.name;
    snap.run_kind = r.kind;
    if (r.kind == "train") snap.epoch = static_cast<int>(store.epochs(r.id).size()) + 1;  // the one in progress
    std::map<std::string, std::string> kind_of, source_of;
    for (const SensorInfo& s : store.devices(r.id)) source_of[s.component] = s.source;
    std::map<std::string, std::vector<std::pair<double, double>>> series;
    std::vector<std::string> order;
    for (const PowerSample& s : store.samples(r.id)) {
      if (!series.count(s.component)) order.push_back(s.component);
      if (std::isfinite(s.power_w)) series[s.component].push_back({s.t_s, s.power_w});
    }
    for (const std::string& c : order) {
      PrometheusComponent pc;
      pc.component = c;
      pc.kind = c.rfind("gpu", 0) == 0 ? "gpu" : c.rfind("cpu_package", 0) == 0 ? "cpu_package"
              : c.rfind("dram", 0) == 0 ? "dram" : c == "cpu_estimate" ? "cpu_estimate" : "other";
      const auto& pts = series[c];
      pc.power_w = pts.empty() ? NAN : pts.back().second;
      pc.energy_j = energy_trapezoid_j(pts);
      pc.provenance = source_of[c] == "estimate" || pc.kind == "cpu_estimate" ? "estimated" : "integrated_power";
      snap.components.push_back(pc);
    }
  }
  Answer a;
  a.content_type = "text/plain; version=0.0.4; charset=utf-8";
  a.body = prometheus_text(snap);
  return a;
}

}  // namespace powertrain::serve
