// successive_halving.cpp: successive halving over sampled (or given) configurations.
#include "powertrain/tune/successive_halving.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <stdexcept>
#include <string>

#include "powertrain/tune/random_search.h"

namespace powertrain {
namespace tune {
namespace {

void check(double eta, double min_budget, double max_budget) {
  auto bad = [](const std::string& what) { throw std::invalid_argument("successive halving: " + what); };
  if (!(eta > 1) || !std::isfinite(eta)) bad("eta must be > 1 (got " + std::to_string(eta) + ")");
  if (!(min_budget > 0)) bad("min_budget must be > 0 (got " + std::to_string(min_budget) + ")");
  if (!(max_budget >= min_budget) || !std::isfinite(max_budget))
    bad("max_budget must be >= min_budget (got " + std::to_string(max_budget) + " < " + std::to_string(min_budget) + ")");
}

}  // namespace

int SuccessiveHalving::max_rung(double eta, double min_budget, double max_budget) {
  check(eta, min_budget, max_budget);
  int s = 0;
  double b = min_budget;
  // Relative slack so that 81 / 3^4 counts as exactly 1 despite floating point.
  while (b * eta <= max_budget * (1 + 1e-9)) {
    b *= eta;
    ++s;
  }
  return s;
}

std::vector<Rung> SuccessiveHalving::plan(long n0, double eta, double min_budget, double max_budget) {
  const int s = max_rung(eta, min_budget, max_budget);
  std::vector<Rung> out;
  double divisor = 1.0;
  for (int i = 0; i <= s; ++i) {
    const long n = static_cast<long>(std::floor(static_cast<double>(n0) / divisor + 1e-9));
    if (n < 1) break;
    out.push_back({n, i == s ? max_budget : max_budget / std::pow(eta, s - i)});
    divisor *= eta;
  }
  return out;
}

SuccessiveHalving::SuccessiveHalving(const SearchSpace& space, const SuccessiveHalvingOptions& options)
    : options_(options) {
  if (space.empty()) throw std::invalid_argument("successive halving: the search space is empty (add parameters first)");
  const int s = max_rung(options.eta, options.min_budget, options.max_budget);
  if (options.n_configs < 0)
    throw std::invalid_argument("successive halving: n_configs must be >= 0 (0 = eta^s; got " +
                                std::to_string(options.n_configs) + ")");
  const long n0 = options.n_configs > 0 ? options.n_configs
                                        : static_cast<long>(std::llround(std::pow(options.eta, s)));
  std::mt19937_64 rng(options.seed);
  std::set<std::string> seen;
  std::vector<Config> configs;
  while (static_cast<long>(configs.size()) < n0) {
    auto c = sample_unseen(space, rng, seen);
    if (!c) break;  // a finite space smaller than n0: use all of it
    configs.push_back(*c);
  }
  start(std::move(configs));
}

SuccessiveHalving::SuccessiveHalving(const std::vector<Config>& configs, const SuccessiveHalvingOptions& options)
    : options_(options) {
  max_rung(options.eta, options.min_budget, options.max_budget);  // validates
  if (configs.empty()) throw std::invalid_argument("successive halving: no configurations given");
  start(configs);
}

void SuccessiveHalving::start(std::vector<Config> configs) {
  rungs_ = plan(static_cast<long>(configs.size()), options_.eta, options_.min_budget, options_.max_budget);
  current_ = std::move(configs);
  losses_.assign(current_.size(), NAN);
  trial_ids_.assign(current_.size(), -1);
  finished_ = rungs_.empty();
}

std::optional<Trial> SuccessiveHalving::ask() {
  if (finished_ || next_ >= current_.size()) return std::nullopt;  // done, or waiting for this rung's results
  Trial t = make_trial(current_[next_], rungs_[rung_].budget);
  trial_ids_[next_++] = t.id;
  return t;
}

void SuccessiveHalving::on_result(const Trial& trial, const TrialResult& result) {
  for (std::size_t i = 0; i < trial_ids_.size(); ++i) {
    if (trial_ids_[i] != trial.id) continue;
    losses_[i] = std::isnan(result.loss) ? INFINITY : result.loss;
    ++told_in_rung_;
  }
  if (told_in_rung_ == current_.size()) promote();
}

void SuccessiveHalving::promote() {
  ++rung_;
  if (rung_ >= rungs_.size()) {
    finished_ = true;
    return;
  }
  std::vector<std::size_t> order(current_.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return losses_[a] < losses_[b]; });
  std::vector<Config> next;
  const auto keep = static_cast<std::size_t>(rungs_[rung_].n_configs);
  for (std::size_t i = 0; i < keep && i < order.size(); ++i) next.push_back(current_[order[i]]);
  current_ = std::move(next);
  losses_.assign(current_.size(), NAN);
  trial_ids_.assign(current_.size(), -1);
  next_ = 0;
  told_in_rung_ = 0;
}

}  // namespace tune
}  // namespace powertrain
