// pareto_successive_halving.cpp: non-dominated sorting, crowding distance, 2-D hypervolume
// contributions, and successive halving that promotes by them.
#include "powertrain/tune/pareto_successive_halving.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <set>
#include <stdexcept>
#include <string>

#include "powertrain/tune/random_search.h"

namespace powertrain {
namespace tune {

bool dominates(const ObjectivePoint& a, const ObjectivePoint& b) {
  return a.loss <= b.loss && a.energy_j <= b.energy_j && (a.loss < b.loss || a.energy_j < b.energy_j);
}

std::vector<std::vector<std::size_t>> non_dominated_fronts(const std::vector<ObjectivePoint>& points) {
  const std::size_t n = points.size();
  std::vector<std::vector<std::size_t>> dominated(n);  // i dominates these
  std::vector<std::size_t> count(n, 0);                // how many dominate i
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      if (i == j) continue;
      if (dominates(points[i], points[j])) dominated[i].push_back(j);
      else if (dominates(points[j], points[i])) ++count[i];
    }
  std::vector<std::vector<std::size_t>> fronts;
  std::vector<std::size_t> front;
  for (std::size_t i = 0; i < n; ++i)
    if (count[i] == 0) front.push_back(i);
  while (!front.empty()) {
    std::vector<std::size_t> next;
    for (std::size_t i : front)
      for (std::size_t j : dominated[i])
        if (--count[j] == 0) next.push_back(j);
    std::sort(next.begin(), next.end());
    fronts.push_back(front);
    front = std::move(next);
  }
  return fronts;
}

std::vector<double> crowding_distances(const std::vector<ObjectivePoint>& points, const std::vector<std::size_t>& front) {
  const std::size_t m = front.size();
  std::vector<double> d(m, 0.0);
  if (m <= 2) return std::vector<double>(m, INFINITY);
  for (int obj = 0; obj < 2; ++obj) {
    auto value = [&](std::size_t j) { return obj == 0 ? points[front[j]].loss : points[front[j]].energy_j; };
    std::vector<std::size_t> order(m);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return value(a) < value(b); });
    const double range = value(order[m - 1]) - value(order[0]);
    d[order[0]] = d[order[m - 1]] = INFINITY;
    if (!(range > 0)) continue;
    for (std::size_t k = 1; k + 1 < m; ++k) d[order[k]] += (value(order[k + 1]) - value(order[k - 1])) / range;
  }
  return d;
}

std::vector<double> hypervolume_contributions(const std::vector<ObjectivePoint>& points,
                                              const std::vector<std::size_t>& front, const ObjectivePoint& ref) {
  const std::size_t m = front.size();
  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  // Non-dominated in 2-D: ascending loss means descending energy.
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return points[front[a]].loss < points[front[b]].loss; });
  std::vector<double> c(m, 0.0);
  for (std::size_t k = 0; k < m; ++k) {
    const auto& p = points[front[order[k]]];
    const double next_loss = k + 1 < m ? points[front[order[k + 1]]].loss : ref.loss;
    const double prev_energy = k > 0 ? points[front[order[k - 1]]].energy_j : ref.energy_j;
    c[order[k]] = std::max(0.0, next_loss - p.loss) * std::max(0.0, prev_energy - p.energy_j);
  }
  return c;
}

std::vector<std::size_t> pareto_select(const std::vector<ObjectivePoint>& points, std::size_t k, ParetoTieBreak tie_break) {
  std::vector<std::size_t> finite, infinite;
  std::vector<ObjectivePoint> finite_points;
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (std::isfinite(points[i].loss) && std::isfinite(points[i].energy_j)) {
      finite.push_back(i);
      finite_points.push_back(points[i]);
    } else {
      infinite.push_back(i);
    }
  }
  std::vector<std::size_t> out;
  // Reference point for hypervolume: 10 % beyond the worst finite value of each objective.
  ObjectivePoint ref{-INFINITY, -INFINITY};
  for (const auto& p : finite_points) {
    ref.loss = std::max(ref.loss, p.loss);
    ref.energy_j = std::max(ref.energy_j, p.energy_j);
  }
  ObjectivePoint lo{INFINITY, INFINITY};
  for (const auto& p : finite_points) {
    lo.loss = std::min(lo.loss, p.loss);
    lo.energy_j = std::min(lo.energy_j, p.energy_j);
  }
  ref.loss += 0.1 * std::max(ref.loss - lo.loss, 1e-12);
  ref.energy_j += 0.1 * std::max(ref.energy_j - lo.energy_j, 1e-12);
  for (const auto& front : non_dominated_fronts(finite_points)) {
    if (out.size() >= k) break;
    if (out.size() + front.size() <= k) {
      for (std::size_t j : front) out.push_back(finite[j]);
      continue;
    }
    const auto score = tie_break == ParetoTieBreak::crowding ? crowding_distances(finite_points, front)
                                                              : hypervolume_contributions(finite_points, front, ref);
    std::vector<std::size_t> order(front.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return score[a] > score[b]; });
    for (std::size_t j = 0; out.size() < k; ++j) out.push_back(finite[front[order[j]]]);
  }
  for (std::size_t i = 0; out.size() < k && i < infinite.size(); ++i) out.push_back(infinite[i]);
  return out;
}

ParetoSuccessiveHalving::ParetoSuccessiveHalving(const SearchSpace& space, const ParetoSuccessiveHalvingOptions& options)
    : options_(options) {
  if (space.empty()) throw std::invalid_argument("pareto successive halving: the search space is empty");
  const int s = SuccessiveHalving::max_rung(options.eta, options.min_budget, options.max_budget);  // validates
  if (options.n_configs < 0)
    throw std::invalid_argument("pareto successive halving: n_configs must be >= 0 (got " +
                                std::to_string(options.n_configs) + ")");
  const long n0 = options.n_configs > 0 ? options.n_configs : static_cast<long>(std::llround(std::pow(options.eta, s)));
  std::mt19937_64 rng(options.seed);
  std::set<std::string> seen;
  std::vector<Config> configs;
  while (static_cast<long>(configs.size()) < n0) {
    auto c = sample_unseen(space, rng, seen);
    if (!c) break;
    configs.push_back(*c);
  }
  start(std::move(configs));
}

ParetoSuccessiveHalving::ParetoSuccessiveHalving(const std::vector<Config>& configs,
                                                 const ParetoSuccessiveHalvingOptions& options)
    : options_(options) {
  SuccessiveHalving::max_rung(options.eta, options.min_budget, options.max_budget);  // validates
  if (configs.empty()) throw std::invalid_argument("pareto successive halving: no configurations given");
  start(configs);
}

void ParetoSuccessiveHalving::start(std::vector<Config> configs) {
  rungs_ = SuccessiveHalving::plan(static_cast<long>(configs.size()), options_.eta, options_.min_budget,
                                   options_.max_budget);
  current_ = std::move(configs);
  points_.assign(current_.size(), {});
  trial_ids_.assign(current_.size(), -1);
  finished_ = rungs_.empty();
}

std::optional<Trial> ParetoSuccessiveHalving::ask() {
  if (finished_ || next_ >= current_.size()) return std::nullopt;
  Trial t = make_trial(current_[next_], rungs_[rung_].budget);
  trial_ids_[next_++] = t.id;
  return t;
}

void ParetoSuccessiveHalving::on_result(const Trial& trial, const TrialResult& result) {
  const double loss = std::isnan(result.loss) ? INFINITY : result.loss;
  ParetoEntry entry{trial.config, loss, result.metric, result.energy_j, trial.budget};
  auto it = std::find_if(latest_.begin(), latest_.end(), [&](const ParetoEntry& e) { return e.config == trial.config; });
  if (it == latest_.end()) latest_.push_back(entry);
  else *it = entry;
  for (std::size_t i = 0; i < trial_ids_.size(); ++i) {
    if (trial_ids_[i] != trial.id) continue;
    points_[i] = {loss, result.energy_j};
    ++told_in_rung_;
  }
  if (told_in_rung_ == current_.size()) promote();
}

void ParetoSuccessiveHalving::promote() {
  ++rung_;
  if (rung_ >= rungs_.size()) {
    finished_ = true;
    return;
  }
  const auto keep = pareto_select(points_, static_cast<std::size_t>(rungs_[rung_].n_configs), options_.tie_break);
  std::vector<Config> next;
  for (std::size_t i : keep) next.push_back(current_[i]);
  current_ = std::move(next);
  points_.assign(current_.size(), {});
  trial_ids_.assign(current_.size(), -1);
  next_ = 0;
  told_in_rung_ = 0;
}

std::vector<ParetoEntry> ParetoSuccessiveHalving::pareto_front() const {
  std::vector<ObjectivePoint> points;
  std::vector<std::size_t> finite;
  for (std::size_t i = 0; i < latest_.size(); ++i) {
    if (!std::isfinite(latest_[i].loss)) continue;
    finite.push_back(i);
    points.push_back({latest_[i].loss, latest_[i].energy_j});
  }
  std::vector<ParetoEntry> out;
  const auto fronts = non_dominated_fronts(points);
  if (fronts.empty()) return out;
  for (std::size_t j : fronts[0]) out.push_back(latest_[finite[j]]);
  std::stable_sort(out.begin(), out.end(), [](const ParetoEntry& a, const ParetoEntry& b) { return a.loss < b.loss; });
  return out;
}

}  // namespace tune
}  // namespace powertrain
