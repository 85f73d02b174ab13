// sm2.cpp: SM2 energy-aware successive halving (exploratory screening, then SH ranked by a
// weighted score of loss, energy and learning-rate instability).
#include "powertrain/tune/sm2.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <variant>

#include "powertrain/tune/random_search.h"

namespace powertrain {
namespace tune {
namespace {

// A probe's LR sweep trains at most this many learning rates (lr_screen.h: more are spread
// geometrically over their range), so each gets a few of the probe's steps.
constexpr std::size_t kMaxSweepPoints = 5;

[[noreturn]] void bad(const std::string& what) { throw std::invalid_argument("sm2: " + what); }

void check(const Sm2Options& o) {
  if (!(o.explore_budget > 0) || !std::isfinite(o.explore_budget))
    bad("explore_budget must be > 0 (got " + std::to_string(o.explore_budget) + ")");
  if (o.keep_per_hardware_group < 0)
    bad("keep_per_hardware_group must be >= 0 (got " + std::to_string(o.keep_per_hardware_group) + ")");
  if (!(o.keep_batch_fraction > 0 && o.keep_batch_fraction <= 1))
    bad("keep_batch_fraction must be in (0, 1] (got " + std::to_string(o.keep_batch_fraction) + ")");
  if (!(o.batch_tolerance >= 0)) bad("batch_tolerance must be >= 0 (got " + std::to_string(o.batch_tolerance) + ")");
  if (!(o.samples_per_epoch >= 0)) bad("samples_per_epoch must be >= 0 (got " + std::to_string(o.samples_per_epoch) + ")");
  if (!(o.probe_max_cost_ratio >= 1) || !std::isfinite(o.probe_max_cost_ratio))
    bad("probe_max_cost_ratio must be >= 1 (got " + std::to_string(o.probe_max_cost_ratio) + ")");
  if (!(o.max_instability >= 0)) bad("max_instability must be >= 0 (got " + std::to_string(o.max_instability) + ")");
  if (!(o.eta > 1) || !std::isfinite(o.eta)) bad("eta must be > 1 (got " + std::to_string(o.eta) + ")");
  if (!(o.max_budget >= o.explore_budget) || !std::isfinite(o.max_budget))
    bad("max_budget must be >= explore_budget (got " + std::to_string(o.max_budget) + ")");
  if (!(o.w_perf >= 0)) bad("w_perf must be >= 0 (got " + std::to_string(o.w_perf) + ")");
  if (!(o.w_energy >= 0)) bad("w_energy must be >= 0 (got " + std::to_string(o.w_energy) + ")");
  if (!(o.w_stability >= 0)) bad("w_stability must be >= 0 (got " + std::to_string(o.w_stability) + ")");
  if (o.w_perf + o.w_energy + o.w_stability <= 0) bad("w_perf, w_energy and w_stability must not all be 0");
  if (o.min_keep < 1) bad("min_keep must be >= 1 (got " + std::to_string(o.min_keep) + ")");
  if (o.n_configs < 0) bad("n_configs must be >= 0 (got " + std::to_string(o.n_configs) + ")");
}

// The key of a config without its hardware parameters (its hardware group).
std::string group_key(const Config& c, const std::vector<std::string>& hardware) {
  Config rest = c;
  for (const auto& h : hardware) rest.erase(h);
  return config_key(rest);
}

double energy_per_epoch_j(const TrialResult& r) {
  return r.epochs > 0 ? r.energy_j / r.epochs : INFINITY;
}

}  // namespace

std::vector<double> Sm2::normalise(const std::vector<double>& values, bool log_scale) {
  bool all_positive = true;
  double lo = INFINITY, hi = -INFINITY;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    if (v <= 0) all_positive = false;
  }
  const bool use_log = log_scale && all_positive;
  std::vector<double> x(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    x[i] = std::isfinite(values[i]) ? (use_log ? std::log(values[i]) : values[i]) : INFINITY;
    if (std::isfinite(x[i])) {
      lo = std::min(lo, x[i]);
      hi = std::max(hi, x[i]);
    }
  }
  for (double& v : x) {
    if (!std::isfinite(v)) continue;
    v = hi > lo ? (v - lo) / (hi - lo) : 0.0;
  }
  return x;
}

Sm2::Sm2(const SearchSpace& space, const Sm2Options& options) : options_(options) {
  check(options);
  if (space.empty()) bad("the search space is empty (add parameters first)");
  std::mt19937_64 rng(options.seed);
  if (options.n_configs == 0) {
    if (!space.finite()) bad("n_configs must be > 0 for a space with float parameters (0 = the whole grid)");
    current_ = space.grid();
    std::shuffle(current_.begin(), current_.end(), rng);  // ties break in a seeded order
  } else {
    std::set<std::string> seen;
    while (static_cast<long>(current_.size()) < options.n_configs) {
      auto c = sample_unseen(space, rng, seen);
      if (!c) break;
      current_.push_back(*c);
    }
  }
  start_rung();
}

Sm2::Sm2(const std::vector<Config>& configs, const Sm2Options& options) : options_(options) {
  check(options);
  if (configs.empty()) bad("no configurations given");
  current_ = configs;
  start_rung();
}

void Sm2::start_rung() {
  if (options_.probe && phase_ == 0 && !probing_ && told() == 0) probing_ = true;
  if (phase_ == 0) {
    budget_ = options_.explore_budget;
  } else {
    budget_ = std::min(options_.max_budget, options_.explore_budget * std::pow(options_.eta, phase_));
    if (static_cast<long>(current_.size()) <= options_.min_keep) budget_ = options_.max_budget;  // the finalists
  }
  results_.assign(current_.size(), TrialResult{});
  // One probe per combination of batch size and hardware parameters: what a sample costs
  // depends on those, not on the learning rate or the other learning parameters.
  probe_groups_.clear();
  if (probing_) {
    std::map<std::string, std::size_t> group_of;
    for (std::size_t i = 0; i < current_.size(); ++i) {
      Config cost_params;
      for (const auto& name : options_.hardware_params)
        if (auto it = current_[i].find(name); it != current_[i].end()) cost_params.insert(*it);
      if (auto it = current_[i].find(options_.batch_param); it != current_[i].end()) cost_params.insert(*it);
      auto [found, fresh] = group_of.emplace(config_key(cost_params), probe_groups_.size());
      if (fresh) probe_groups_.emplace_back();
      probe_groups_[found->second].push_back(i);
    }
  }
  trial_ids_.assign(trials_in_phase(), -1);
  next_ = 0;
  told_ = 0;
}

std::size_t Sm2::trials_in_phase() const { return probing_ ? probe_groups_.size() : current_.size(); }

std::optional<Trial> Sm2::ask() {
  if (finished_ || next_ >= trials_in_phase()) return std::nullopt;
  Trial t = make_trial(current_[probing_ ? probe_groups_[next_].front() : next_], budget_, probing_);
  if (probing_) t.lr_sweep = sweep_of(next_);
  trial_ids_[next_++] = t.id;
  if (phase_ == 0 && !probing_) exploratory_ids_.insert(t.id);
  return t;
}

void Sm2::on_result(const Trial& trial, const TrialResult& result) {
  const std::string key = config_key(trial.config);
  const double added_j = result.energy_j - energy_seen_j_[key];
  energy_seen_j_[key] = result.energy_j;
  if (exploratory_ids_.count(trial.id)) exploration_energy_j_ += added_j;
  for (std::size_t i = 0; i < trial_ids_.size(); ++i) {
    if (trial_ids_[i] != trial.id) continue;
    for (std::size_t m : probing_ ? probe_groups_[i] : std::vector<std::size_t>{i}) {
      results_[m] = result;
      if (std::isnan(results_[m].loss)) results_[m].loss = INFINITY;
      if (probing_ && !result.lr_instability.empty()) {  // the sweep: each member's learning rate
        auto lr = current_[m].find(options_.lr_param);
        const double x = lr == current_[m].end() || !std::holds_alternative<double>(lr->second)
                             ? NAN
                             : instability_at(result.lr_instability, std::get<double>(lr->second));
        if (std::isfinite(x)) measured_instability_[config_key(current_[m])] = x;
      }
    }
    ++told_;
  }
  if (told_ < trials_in_phase()) return;
  if (probing_)
    end_probing();
  else if (phase_ == 0)
    end_exploration();
  else
    end_rung();
}

double Sm2::instability_of(const Config& c) const {
  double x = 0.0;
  if (auto it = measured_instability_.find(config_key(c)); it != measured_instability_.end()) x = it->second;
  if (!options_.instability) return x;
  const double v = options_.instability(c);
  return std::max(x, std::isfinite(v) ? std::clamp(v, 0.0, 1.0) : 1.0);
}

void Sm2::screen_unstable(std::vector<bool>& keep) const {
  if (!options_.instability && measured_instability_.empty()) return;
  std::vector<bool> stable = keep;
  bool any = false;
  for (std::size_t i = 0; i < current_.size(); ++i) {
    if (stable[i] && instability_of(current_[i]) >= options_.max_instability) stable[i] = false;
    any = any || stable[i];
  }
  if (any) keep = stable;  // else every learning rate looked unstable: training judges them instead
}

std::vector<double> Sm2::sweep_of(std::size_t g) const {
  if (options_.lr_param.empty()) return {};
  std::vector<double> lrs;
  for (std::size_t m : probe_groups_[g])
    if (auto it = current_[m].find(options_.lr_param); it != current_[m].end() && std::holds_alternative<double>(it->second))
      lrs.push_back(std::get<double>(it->second));
  return sweep_points(lrs, kMaxSweepPoints);
}

void Sm2::end_probing() {
  probing_ = false;
  const std::size_t n = current_.size();
  std::vector<double> cost(n);
  bool measured = true;
  for (std::size_t i = 0; i < n; ++i) {
    cost[i] = results_[i].energy_per_sample_j;
    measured = measured && std::isfinite(cost[i]);
  }
  std::vector<bool> keep(n, true);
  if (measured) {  // else the objective could not probe: no cost is screened before exploring
    // (a) on the probes, and every batch size whose samples cost more than
    // probe_max_cost_ratio x the cheapest's goes; (b) still follows the exploratory runs.
    screen_hardware_groups(cost, keep);
    if (!options_.batch_param.empty()) {
      const auto costs = batch_costs(cost, keep);
      double cheapest = INFINITY;
      for (const auto& [b, c] : costs) cheapest = std::min(cheapest, c);
      std::set<std::string> kept_batches;
      for (const auto& [b, c] : costs)
        if (c <= options_.probe_max_cost_ratio * cheapest) kept_batches.insert(b);
      keep_batches(kept_batches, keep);
    }
  }
  screen_unstable(keep);  // (c) on what the LR sweeps showed
  std::vector<Config> kept;
  for (std::size_t i = 0; i < n; ++i)
    if (keep[i]) kept.push_back(current_[i]);
  current_ = std::move(kept);
  start_rung();
}

// (a) of the exploration (sm2.h): the cheapest of each hardware group, by one cost per config.
void Sm2::screen_hardware_groups(const std::vector<double>& cost, std::vector<bool>& keep) const {
  const std::size_t n = current_.size();
  if (options_.keep_per_hardware_group > 0 && !options_.hardware_params.empty()) {
    std::map<std::string, std::vector<std::size_t>> groups;
    for (std::size_t i = 0; i < n; ++i)
      if (keep[i]) groups[group_key(current_[i], options_.hardware_params)].push_back(i);
    for (auto& [key, members] : groups) {
      std::stable_sort(members.begin(), members.end(), [&](std::size_t a, std::size_t b) {
        return cost[a] < cost[b];
      });
      for (std::size_t j = static_cast<std::size_t>(options_.keep_per_hardware_group); j < members.size(); ++j)
        keep[members[j]] = false;
    }
  }
}

// The cost of each batch size: its cheapest surviving config's (batch value text -> cost).
std::map<std::string, double> Sm2::batch_costs(const std::vector<double>& cost, const std::vector<bool>& keep) const {
  std::map<std::string, double> batch_cost;
  for (std::size_t i = 0; i < current_.size(); ++i) {
    if (!keep[i]) continue;
    auto it = current_[i].find(options_.batch_param);
    if (it == current_[i].end()) continue;
    const std::string b = value_text(it->second);
    auto found = batch_cost.find(b);
    if (found == batch_cost.end() || cost[i] < found->second) batch_cost[b] = cost[i];
  }
  return batch_cost;
}

// Drops every config whose batch size is not in `kept_batches`.
void Sm2::keep_batches(const std::set<std::string>& kept_batches, std::vector<bool>& keep) const {
  for (std::size_t i = 0; i < current_.size(); ++i) {
    auto it = current_[i].find(options_.batch_param);
    if (keep[i] && it != current_[i].end() && !kept_batches.count(value_text(it->second))) keep[i] = false;
  }
}

// (a), then (b) of the exploration (sm2.h): batch sizes by energy per sample.
void Sm2::screen_by_cost(const std::vector<double>& cost, std::vector<bool>& keep) const {
  screen_hardware_groups(cost, keep);
  if (!options_.batch_param.empty()) {
    std::vector<std::pair<double, std::string>> ranked;
    for (const auto& [b, c] : batch_costs(cost, keep))
      ranked.emplace_back(options_.samples_per_epoch > 0 ? c / options_.samples_per_epoch : c, b);
    std::stable_sort(ranked.begin(), ranked.end());
    const auto kept = std::max<std::size_t>(
        1, static_cast<std::size_t>(std::ceil(options_.keep_batch_fraction * static_cast<double>(ranked.size()) - 1e-9)));
    std::set<std::string> kept_batches;
    for (std::size_t j = 0; j < ranked.size(); ++j)
      if (j < kept || ranked[j].first <= (1 + options_.batch_tolerance) * ranked[0].first)
        kept_batches.insert(ranked[j].second);
    keep_batches(kept_batches, keep);
  }
}

void Sm2::end_exploration() {
  const std::size_t n = current_.size();
  std::vector<bool> keep(n, true);
  // A config whose exploratory run already failed (loss +inf) goes.
  for (std::size_t i = 0; i < n; ++i)
    if (!(results_[i].loss < INFINITY) && !results_[i].reached_target) keep[i] = false;
  std::vector<double> cost(n);
  for (std::size_t i = 0; i < n; ++i) cost[i] = energy_per_epoch_j(results_[i]);
  screen_by_cost(cost, keep);

  // (c) Learning-rate stability.
  screen_unstable(keep);

  // Survivors in order of the exploratory score (the best is trained first).
  std::vector<std::size_t> members;
  for (std::size_t i = 0; i < n; ++i)
    if (keep[i]) members.push_back(i);
  std::vector<double> score;
  survivors_.clear();
  for (std::size_t j : ranking(members, score)) survivors_.push_back(current_[members[j]]);
  if (survivors_.empty()) {  // everything failed or was screened out: nothing left to train
    finished_ = true;
    return;
  }
  current_ = survivors_;
  phase_ = 1;
  start_rung();
}

std::vector<std::size_t> Sm2::ranking(const std::vector<std::size_t>& members, std::vector<double>& score) const {
  const std::size_t n = members.size();
  std::vector<double> losses(n), energies(n);
  for (std::size_t j = 0; j < n; ++j) {
    losses[j] = results_[members[j]].loss;
    energies[j] = results_[members[j]].energy_j;
  }
  const auto nl = normalise(losses, options_.log_scale);
  const auto ne = normalise(energies, options_.log_scale);
  score.assign(n, INFINITY);
  for (std::size_t j = 0; j < n; ++j)
    if (std::isfinite(losses[j]))
      score[j] = options_.w_perf * nl[j] + options_.w_energy * (std::isfinite(ne[j]) ? ne[j] : 1.0) +
                 options_.w_stability * instability_of(current_[members[j]]);
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return score[a] < score[b]; });
  return order;
}

void Sm2::end_rung() {
  const std::size_t n = current_.size();
  if (budget_ >= options_.max_budget) {  // the last rung is done
    finished_ = true;
    return;
  }
  std::vector<std::size_t> all(n);
  std::iota(all.begin(), all.end(), 0);
  std::vector<double> score;
  const auto order = ranking(all, score);
  const auto keep = std::max<std::size_t>(static_cast<std::size_t>(options_.min_keep),
                                          static_cast<std::size_t>(std::ceil(static_cast<double>(n) / options_.eta - 1e-9)));
  std::vector<Config> next;
  for (std::size_t j = 0; j < keep && j < n; ++j)
    if (std::isfinite(score[order[j]])) next.push_back(current_[order[j]]);
  if (next.empty()) {
    finished_ = true;
    return;
  }
  current_ = std::move(next);
  ++phase_;
  start_rung();
}

}  // namespace tune
}  // namespace powertrain
