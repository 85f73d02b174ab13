// A stored search trial and its JSON form (the only place its keys are spelled).
#include "powertrain/store/trial.h"

#include <cmath>

#include "powertrain/store/store.h"
#include "util/json.h"

namespace powertrain {

namespace {

using nlohmann::json;

const json& required(const json& j, const char* key) {
  if (!j.is_object()) throw StoreError("a stored trial is not a JSON object");
  auto it = j.find(key);
  if (it == j.end()) throw StoreError(std::string("a stored trial has no \"") + key + "\"");
  return *it;
}

double number(const json& j, const char* key, double if_null) {
  const json& v = required(j, key);
  if (v.is_null()) return if_null;
  if (!v.is_number()) throw StoreError(std::string("a stored trial's \"") + key + "\" is not a number");
  return v.get<double>();
}

bool boolean(const json& j, const char* key) {
  const json& v = required(j, key);
  if (!v.is_boolean()) throw StoreError(std::string("a stored trial's \"") + key + "\" is not true or false");
  return v.get<bool>();
}

// A probe's LR sweep as stored: absent, or [[lr, instability], ...] of finite numbers,
// ascending lr, instability in [0, 1].
std::vector<tune::LrStability> lr_points(const json& j) {
  std::vector<tune::LrStability> points;
  auto it = j.find("lr_instability");
  if (it == j.end()) return points;
  const char* bad = "a stored trial's \"lr_instability\" is not a list of [learning rate, instability] pairs";
  if (!it->is_array()) throw StoreError(bad);
  for (const json& p : *it) {
    if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_number()) throw StoreError(bad);
    tune::LrStability x{p[0].get<double>(), p[1].get<double>()};
    if (!std::isfinite(x.lr) || !(x.instability >= 0 && x.instability <= 1) ||
        (!points.empty() && !(x.lr > points.back().lr)))
      throw StoreError(bad);
    points.push_back(x);
  }
  return points;
}

}  // namespace

json config_to_json(const tune::Config& config) {
  json j = json::object();
  for (const auto& [k, v] : config) {
    j[k] = std::holds_alternative<double>(v) ? json(std::get<double>(v)) : json(std::get<std::string>(v));
  }
  return j;
}

tune::Config config_from_json(const json& j) {
  if (!j.is_object()) throw StoreError("a stored configuration is not a JSON object");
  tune::Config c;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it->is_number()) c[it.key()] = it->get<double>();
    else if (it->is_string()) c[it.key()] = it->get<std::string>();
    else throw StoreError("a stored configuration's \"" + it.key() + "\" is neither a number nor a string");
  }
  return c;
}

json asked_to_json(const tune::Trial& t) {
  json j = {{"trial", t.id}, {"config", config_to_json(t.config)}, {"budget", t.budget}};
  if (t.probe) j["probe"] = true;  // absent for every other trial (and in studies stored before probes)
  return j;
}

tune::Trial asked_from_json(const json& j) {
  tune::Trial t;
  t.id = static_cast<long>(number(j, "trial", NAN));
  t.config = config_from_json(required(j, "config"));
  t.budget = number(j, "budget", NAN);
  t.probe = j.contains("probe") && boolean(j, "probe");
  return t;
}

json trial_to_json(const StoredTrial& s) {
  const tune::TrialRecord& r = s.record;
  json j = asked_to_json(r.trial);
  j["from_epoch"] = r.from_epoch;
  j["to_epoch"] = r.to_epoch;
  j["loss"] = util::num(r.result.loss);  // +inf (failed, stopped) is stored as null
  j["metric"] = util::num(r.result.metric);
  j["config_energy_j"] = util::num(r.result.energy_j);
  j["config_epochs"] = r.result.epochs;
  j["reached_target"] = r.result.reached_target;
  j["stopped_early"] = r.result.stopped_early;
  j["trial_energy_j"] = util::num(r.trial_energy_j);
  j["search_energy_j"] = util::num(r.search_energy_j);
  j["search_duration_s"] = util::num(r.search_duration_s);
  j["config_eta_j"] = util::num(r.config_eta_j);
  if (r.trial.probe) j["energy_per_sample_j"] = util::num(r.result.energy_per_sample_j);
  if (!r.result.lr_instability.empty()) {  // a probe's LR sweep: [[lr, instability], ...]
    json points = json::array();
    for (const auto& p : r.result.lr_instability) points.push_back({util::num(p.lr), util::num(p.instability)});
    j["lr_instability"] = points;
  }
  j["energy_provenance"] = provenance_name(s.energy_provenance);
  return j;
}

StoredTrial trial_from_json(const json& j) {
  StoredTrial s;
  tune::TrialRecord& r = s.record;
  r.trial = asked_from_json(j);
  r.from_epoch = static_cast<int>(number(j, "from_epoch", 0));
  r.to_epoch = static_cast<int>(number(j, "to_epoch", 0));
  r.result.loss = number(j, "loss", INFINITY);
  r.result.metric = number(j, "metric", NAN);
  r.result.energy_j = number(j, "config_energy_j", NAN);
  r.result.epochs = number(j, "config_epochs", 0);
  r.result.reached_target = boolean(j, "reached_target");
  r.result.stopped_early = boolean(j, "stopped_early");
  r.trial_energy_j = number(j, "trial_energy_j", NAN);
  r.search_energy_j = number(j, "search_energy_j", NAN);
  r.search_duration_s = number(j, "search_duration_s", NAN);
  r.config_eta_j = number(j, "config_eta_j", NAN);
  if (r.trial.probe) r.result.energy_per_sample_j = number(j, "energy_per_sample_j", NAN);
  r.result.lr_instability = lr_points(j);
  s.energy_provenance = provenance_from_name(util::text_at(j, "energy_provenance", "missing"));
  return s;
}

}  // namespace powertrain
