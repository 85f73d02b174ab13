// A run's details and an epoch's extra metrics as stored: the only place their keys are spelled.
#include "powertrain/store/run_details.h"

#include "util/json.h"

namespace powertrain {

using nlohmann::json;
using util::num;

namespace {

std::vector<double> numbers(const json& j) {
  std::vector<double> out;
  if (!j.is_array()) return out;
  for (const auto& v : j) out.push_back(util::number_or(v));
  return out;
}

json number_list(const std::vector<double>& v) {
  json a = json::array();
  for (double x : v) a.push_back(num(x));
  return a;
}

}  // namespace

json run_details_to_json(const RunDetails& d) {
  json j = json::object();
  if (!d.config_json.empty()) j["config"] = util::parse_or(d.config_json, d.config_json);
  if (d.outcome) {
    const TrainOutcome& o = *d.outcome;
    j["result"] = {{"best_epoch", o.best_epoch},     {"best_val_metric", num(o.best_val_metric)},
                   {"test_metric", num(o.test_metric)}, {"stop_reason", o.stop_reason},
                   {"parameters", o.parameters},      {"device", o.device},
                   {"threads", o.threads},            {"precision", o.precision},
                   {"samples_per_s", num(o.samples_per_s)}};
  }
  if (d.lr_sweep) {
    const LrSweep& s = *d.lr_sweep;
    j["lr"] = number_list(s.lr);
    j["loss"] = number_list(s.loss);
    j["smoothed_loss"] = number_list(s.smoothed_loss);
    j["suggested_lr"] = num(s.suggested_lr);
    j["min_loss_lr"] = num(s.min_loss_lr);
  }
  if (!d.warnings.empty()) j["warnings"] = d.warnings;
  if (!d.error.empty()) j["error"] = d.error;
  if (!std::isnan(d.interval_s)) j["interval_s"] = num(d.interval_s);
  if (d.idle_baseline) j["idle_baseline"] = {{"duration_s", d.idle_baseline->duration_s}, {"power_w", d.idle_baseline->power_w}};
  if (d.events) j["events"] = child_events_to_json(*d.events);
  return j;
}

RunDetails run_details_from_json(const json& j) {
  RunDetails d;
  if (!j.is_object()) return d;
  if (j.contains("config") && !j["config"].is_null()) d.config_json = j["config"].is_string() ? j["config"].get<std::string>() : j["config"].dump();
  if (const json& r = util::value_at(j, "result"); r.is_object()) {
    TrainOutcome o;
    o.best_epoch = static_cast<int>(util::number_at(r, "best_epoch", 0));
    o.best_val_metric = util::number_at(r, "best_val_metric");
    o.test_metric = util::number_at(r, "test_metric");
    o.stop_reason = util::text_at(r, "stop_reason");
    o.parameters = static_cast<int64_t>(util::number_at(r, "parameters", 0));
    o.device = util::text_at(r, "device");
    o.threads = static_cast<int>(util::number_at(r, "threads", 0));
    o.precision = util::text_at(r, "precision");
    o.samples_per_s = util::number_at(r, "samples_per_s");
    d.outcome = o;
  }
  if (j.contains("lr") && j["lr"].is_array()) {
    LrSweep s;
    s.lr = numbers(j["lr"]);
    s.loss = numbers(util::value_at(j, "loss"));
    s.smoothed_loss = numbers(util::value_at(j, "smoothed_loss"));
    s.suggested_lr = util::number_at(j, "suggested_lr");
    s.min_loss_lr = util::number_at(j, "min_loss_lr");
    d.lr_sweep = s;
  }
  if (const json& w = util::value_at(j, "warnings"); w.is_array()) {
    for (const auto& x : w) if (x.is_string()) d.warnings.push_back(x.get<std::string>());
  }
  d.error = util::text_at(j, "error");
  d.interval_s = util::number_at(j, "interval_s");
  if (const json& b = util::value_at(j, "idle_baseline"); b.is_object()) {
    IdleBaseline idle;
    idle.duration_s = util::number_at(b, "duration_s", 0);
    if (const json& p = util::value_at(b, "power_w"); p.is_object()) {
      for (auto it = p.begin(); it != p.end(); ++it) idle.power_w[it.key()] = util::number_or(it.value());
    }
    d.idle_baseline = idle;
  }
  if (const json& e = util::value_at(j, "events"); e.is_object()) {
    ChildEvents ev;
    ev.lines = static_cast<int64_t>(util::number_at(e, "lines", 0));
    ev.windows = static_cast<int64_t>(util::number_at(e, "windows", 0));
    ev.epochs = static_cast<int64_t>(util::number_at(e, "epochs", 0));
    ev.metrics = static_cast<int64_t>(util::number_at(e, "metrics", 0));
    if (const json& p = util::value_at(e, "problems"); p.is_object()) {
      for (auto it = p.begin(); it != p.end(); ++it) ev.problems[it.key()] = static_cast<int64_t>(util::number_or(it.value(), 0));
    }
    if (const json& x = util::value_at(e, "examples"); x.is_array()) {
      for (const auto& v : x) if (v.is_string()) ev.examples.push_back(v.get<std::string>());
    }
    if (const json& m = util::value_at(e, "run_metrics"); m.is_object()) {
      for (auto it = m.begin(); it != m.end(); ++it) ev.run_metrics[it.key()] = util::number_or(it.value());
    }
    d.events = ev;
  }
  return d;
}

json child_events_to_json(const ChildEvents& e) {
  json metrics = json::object();
  for (const auto& [k, v] : e.run_metrics) metrics[k] = num(v);
  return {{"lines", e.lines},         {"windows", e.windows},   {"epochs", e.epochs},          {"metrics", e.metrics},
          {"problems", e.problems},   {"examples", e.examples}, {"run_metrics", metrics}};
}

int64_t ChildEvents::problem_count() const {
  int64_t n = 0;
  for (const auto& [kind, count] : problems) n += count;
  return n;
}

json epoch_metrics_to_json(bool diverged, const std::map<std::string, double>& metrics) {
  json j = json::object();
  if (diverged) j["diverged"] = true;
  for (const auto& [k, v] : metrics) j[k] = num(v);
  return j;
}

void epoch_metrics_from_json(const json& j, bool& diverged, std::map<std::string, double>& metrics) {
  diverged = false;
  metrics.clear();
  if (!j.is_object()) return;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "diverged") diverged = it->is_boolean() && it->get<bool>();
    else metrics[it.key()] = util::number_or(*it);
  }
}

}  // namespace powertrain
