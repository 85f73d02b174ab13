// trace_objective.cpp: a Zeus trace workload as an Objective (seeded run per batch size).
#include "powertrain/tune/trace_objective.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace powertrain {
namespace tune {
namespace {

// SplitMix64: a well-mixed hash of (seed, batch size) to choose a run.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

ZeusObjective::ZeusObjective(const ZeusTrace& trace, const std::string& dataset, std::uint64_t seed, PowerProfile profile)
    : trace_(trace), dataset_(dataset), profile_(profile) {
  if (profile_.enabled && !(profile_.iterations_per_limit >= 1))
    throw std::invalid_argument("Zeus objective: iterations_per_limit must be >= 1");
  if (trace.configs(dataset).empty())
    throw std::invalid_argument("Zeus objective: " + dataset + " has no configurations on " + trace.gpu());
  for (const auto& c : trace.configs(dataset)) {
    if (runs_.count(c.batch_size)) continue;
    const auto runs = trace.runs(dataset, c.batch_size);
    runs_[c.batch_size] = runs[mix(seed * 1000003ULL + static_cast<std::uint64_t>(c.batch_size)) % runs.size()];
  }
}

SearchSpace ZeusObjective::space() const {
  std::set<double> batches, limits;
  for (const auto& c : trace_.configs(dataset_)) {
    batches.insert(c.batch_size);
    limits.insert(c.power_limit_w);
  }
  SearchSpace s;
  s.add_categorical("batch_size", std::vector<Value>(batches.begin(), batches.end()));
  if (!profile_.enabled) s.add_categorical("power_limit_w", std::vector<Value>(limits.begin(), limits.end()));
  return s;
}

TunerOptions ZeusObjective::tuner_options() const {
  const auto& spec = trace_.workload(dataset_);
  TunerOptions o;
  o.maximize = spec.higher_is_better;
  o.max_epochs = spec.max_epochs;
  o.target_metric = spec.target_metric;
  o.unreached_metric = spec.unreached_metric;
  o.loss = LossKind::energy_to_target;
  return o;
}

const TraceConfig& ZeusObjective::trace_config(const Config& config) const {
  const int batch = static_cast<int>(value_number(config.at("batch_size")));
  const auto limit_it = config.find("power_limit_w");
  const TraceConfig* best = nullptr;
  for (const auto& c : trace_.configs(dataset_)) {
    if (c.batch_size != batch) continue;
    if (limit_it == config.end()) {  // profiled: the lowest energy per epoch (= per iteration) of the batch size
      if (!best || c.energy_per_epoch_j() < best->energy_per_epoch_j()) best = &c;
      continue;
    }
    const double limit = value_number(limit_it->second);
    if (!best || std::fabs(c.power_limit_w - limit) < std::fabs(best->power_limit_w - limit)) best = &c;
  }
  if (!best)
    throw std::invalid_argument("Zeus objective: " + dataset_ + " has no batch size " + std::to_string(batch) +
                                " (use the values of space())");
  return *best;
}

EpochOutcome ZeusObjective::train_epoch(const Config& config, int epoch) {
  const TraceConfig& c = trace_config(config);
  EpochOutcome out;
  out.metric = trace_.metric_after(dataset_, c.batch_size, runs_.at(c.batch_size), epoch);
  out.energy_j = c.energy_per_epoch_j();
  out.duration_s = c.time_per_epoch_s;
  if (epoch == 1 && !config.count("power_limit_w")) {
    out.energy_j += profile_extra_energy_j(c.batch_size);
    out.duration_s = std::max(0.0, out.duration_s + profile_extra_time_s(c.batch_size));
  }
  return out;
}

std::optional<ProbeOutcome> ZeusObjective::probe(const Config& config, const std::vector<double>& /*lr_sweep*/) {
  const TraceConfig& c = trace_config(config);
  const int64_t examples = trace_.workload(dataset_).train_examples;
  const double iterations_per_epoch = std::ceil(static_cast<double>(examples) / c.batch_size);
  const double n = std::min<double>(kProbeIterations, iterations_per_epoch);
  ProbeOutcome out;
  out.energy_j = n * c.energy_per_epoch_j() / iterations_per_epoch;
  out.duration_s = n * c.time_per_epoch_s / iterations_per_epoch;
  out.energy_per_sample_j = out.energy_j / std::min<double>(n * c.batch_size, static_cast<double>(examples));
  return out;
}

namespace {

// Sum over the batch size's power limits of n x (per-iteration value at that limit - at the
// chosen one): what the profiled iterations cost above training at the chosen limit.
template <class PerEpoch>
double profile_extra(const ZeusTrace& trace, const std::string& dataset, int batch_size, const TraceConfig& chosen,
                     int iterations_per_limit, PerEpoch per_epoch) {
  const int64_t examples = trace.workload(dataset).train_examples;
  const double iterations = examples > 0 ? std::ceil(static_cast<double>(examples) / batch_size) : 1.0;
  double extra = 0;
  for (const auto& c : trace.configs(dataset)) {
    if (c.batch_size != batch_size) continue;
    extra += iterations_per_limit * (per_epoch(c) - per_epoch(chosen)) / iterations;
  }
  return extra;
}

}  // namespace

double ZeusObjective::profile_extra_energy_j(int batch_size) const {
  if (!profile_.enabled) return 0.0;
  const TraceConfig& chosen = trace_config(Config{{"batch_size", static_cast<double>(batch_size)}});
  return profile_extra(trace_, dataset_, batch_size, chosen, profile_.iterations_per_limit,
                       [](const TraceConfig& c) { return c.energy_per_epoch_j(); });
}

double ZeusObjective::profile_extra_time_s(int batch_size) const {
  if (!profile_.enabled) return 0.0;
  const TraceConfig& chosen = trace_config(Config{{"batch_size", static_cast<double>(batch_size)}});
  return profile_extra(trace_, dataset_, batch_size, chosen, profile_.iterations_per_limit,
                       [](const TraceConfig& c) { return c.time_per_epoch_s; });
}

double ZeusObjective::true_eta_j(const Config& config) const {
  const TraceConfig& c = trace_config(config);
  return trace_.eta_j(dataset_, c.batch_size, c.power_limit_w);
}

}  // namespace tune
}  // namespace powertrain
