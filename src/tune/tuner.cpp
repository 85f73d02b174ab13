// tuner.cpp: the ask/train/tell loop with resumable training, energy accounting,
// targets and the beta early-stop rule.
#include "powertrain/tune/tuner.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace powertrain {
namespace tune {

Tuner::Tuner(Objective& objective, const TunerOptions& options) : objective_(objective), options_(options) {
  auto bad = [](const std::string& what) { throw std::invalid_argument("tuner: " + what); };
  if (options.max_epochs < 1) bad("max_epochs must be >= 1 (got " + std::to_string(options.max_epochs) + ")");
  if (options.loss == LossKind::energy_to_target && std::isnan(options.target_metric))
    bad("loss energy_to_target needs target_metric (set it, or use metric)");
  if (options.loss == LossKind::energy_to_target && options.target_metric == options.unreached_metric)
    bad("target_metric must differ from unreached_metric (progress would be undefined)");
  if (!(options.beta == 0 || options.beta >= 1))
    bad("beta must be 0 (off) or >= 1 (got " + std::to_string(options.beta) + "; Zeus uses 2.0)");
  if (options.beta > 0 && std::isnan(options.target_metric)) bad("beta needs target_metric (set it, or beta = 0)");
  if (options.max_trials < 0) bad("max_trials must be >= 0 (got " + std::to_string(options.max_trials) + ")");
}

bool Tuner::reached(double metric) const {
  if (std::isnan(options_.target_metric)) return false;
  return options_.maximize ? metric >= options_.target_metric : metric <= options_.target_metric;
}

double Tuner::loss(const State& s) const {
  if (s.stopped) return INFINITY;
  if (options_.loss == LossKind::metric) return options_.maximize ? -s.metric : s.metric;
  if (s.reached) return s.eta_j;
  if (s.epochs >= options_.max_epochs) return INFINITY;
  const double progress =
      (s.metric - options_.unreached_metric) / (options_.target_metric - options_.unreached_metric);
  return s.energy_j / std::clamp(progress, 0.001, 1.0);
}

TrialRecord Tuner::evaluate(const Trial& trial) {
  State& s = states_[config_key(trial.config)];
  TrialRecord rec;
  rec.trial = trial;
  rec.from_epoch = s.epochs;
  if (trial.probe) {  // its energy counts for the search, not for the config's energy to target
    rec.to_epoch = s.epochs;
    if (auto out = objective_.probe(trial.config, trial.lr_sweep)) {
      rec.trial_energy_j = out->energy_j;
      search_energy_j_ += out->energy_j;
      search_duration_s_ += out->duration_s;
      rec.result.energy_per_sample_j = out->energy_per_sample_j;
      rec.result.lr_instability = out->lr_instability;
    }
    rec.result.loss = INFINITY;
    rec.result.metric = NAN;
    rec.result.energy_j = s.energy_j;
    rec.result.epochs = s.epochs;
    rec.search_energy_j = search_energy_j_;
    rec.search_duration_s = search_duration_s_;
    return rec;
  }
  auto wants_more = [&]() {
    if (s.stopped || s.epochs >= options_.max_epochs) return false;
    if (s.reached && options_.stop_at_target) return false;
    if (options_.budget_unit == BudgetUnit::joules) return s.energy_j < trial.budget;
    const long target_epochs = std::max(1L, std::lround(trial.budget));
    return s.epochs < target_epochs;
  };
  while (wants_more()) {
    const EpochOutcome out = objective_.train_epoch(trial.config, s.epochs + 1);
    ++s.epochs;
    s.energy_j += out.energy_j;
    s.metric = out.metric;
    rec.trial_energy_j += out.energy_j;
    search_energy_j_ += out.energy_j;
    search_duration_s_ += out.duration_s;
    if (!s.reached && reached(out.metric)) {
      s.reached = true;
      s.eta_j = s.energy_j;
      best_eta_j_ = std::min(best_eta_j_, s.eta_j);
    }
    if (options_.beta > 0 && !s.reached && s.energy_j > options_.beta * best_eta_j_) s.stopped = true;
    if (options_.stop_when_cannot_win && options_.loss == LossKind::energy_to_target && !s.reached &&
        s.energy_j > best_eta_j_)
      s.stopped = true;
  }
  rec.to_epoch = s.epochs;
  if (rec.to_epoch > rec.from_epoch) objective_.trial_done(trial.config, s.epochs);
  rec.result.loss = loss(s);
  rec.result.metric = s.metric;
  rec.result.energy_j = s.energy_j;
  rec.result.epochs = s.epochs;
  rec.result.reached_target = s.reached;
  rec.result.stopped_early = s.stopped;
  rec.search_energy_j = search_energy_j_;
  rec.search_duration_s = search_duration_s_;
  rec.config_eta_j = s.reached ? s.eta_j : NAN;
  return rec;
}

void Tuner::replay(const TrialRecord& record) {
  if (record.trial.probe) {  // a probe changed only the search's totals
    search_energy_j_ = record.search_energy_j;
    search_duration_s_ = record.search_duration_s;
    return;
  }
  State& s = states_[config_key(record.trial.config)];
  s.epochs = record.to_epoch;
  s.energy_j = record.result.energy_j;
  s.metric = record.result.metric;
  s.reached = record.result.reached_target;
  s.eta_j = std::isfinite(record.config_eta_j) ? record.config_eta_j : 0.0;
  s.stopped = record.result.stopped_early;
  if (s.reached) best_eta_j_ = std::min(best_eta_j_, s.eta_j);
  search_energy_j_ = record.search_energy_j;
  search_duration_s_ = record.search_duration_s;
}

std::vector<TrialRecord> Tuner::run(Strategy& strategy, const std::function<bool(const TrialRecord&)>& on_trial) {
  std::vector<TrialRecord> records;
  while (true) {
    if (options_.max_trials > 0 && static_cast<long>(records.size()) >= options_.max_trials) break;
    if (search_energy_j_ >= options_.max_energy_j) break;
    auto trial = strategy.ask();
    if (!trial) break;  // finished (a sequential loop never leaves a rung waiting)
    TrialRecord rec = evaluate(*trial);
    strategy.tell(*trial, rec.result);
    records.push_back(rec);
    if (on_trial && !on_trial(records.back())) break;
  }
  return records;
}

}  // namespace tune
}  // namespace powertrain
