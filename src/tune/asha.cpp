// asha.cpp: asynchronous successive halving (ASHA): promote as soon as a configuration is in
// the top 1/eta of its rung, otherwise start a new one; never wait for a full rung.
#include "powertrain/tune/asha.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "powertrain/tune/random_search.h"

namespace powertrain {
namespace tune {
namespace {

[[noreturn]] void bad(const std::string& what) { throw std::invalid_argument("asha: " + what); }

}  // namespace

std::vector<double> Asha::budgets(double eta, double min_budget, double max_budget) {
  if (!(eta > 1) || !std::isfinite(eta)) bad("eta must be > 1 (got " + std::to_string(eta) + ")");
  if (!(min_budget > 0) || !std::isfinite(min_budget))
    bad("min_budget must be > 0 (got " + std::to_string(min_budget) + ")");
  if (!(max_budget >= min_budget) || !std::isfinite(max_budget))
    bad("max_budget must be >= min_budget (got " + std::to_string(max_budget) + " < " +
        std::to_string(min_budget) + ")");
  std::vector<double> out;
  double b = min_budget;
  // Relative slack so that 1 x 3^3 counts as exactly 27 despite floating point.
  while (b < max_budget * (1 - 1e-9)) {
    out.push_back(b);
    b *= eta;
  }
  out.push_back(max_budget);
  return out;
}

Asha::Asha(const SearchSpace& space, const AshaOptions& options)
    : options_(options), budgets_(budgets(options.eta, options.min_budget, options.max_budget)),
      space_(space), rng_(options.seed) {
  if (space.empty()) bad("the search space is empty (add parameters first)");
  if (options.n_configs < 0) bad("n_configs must be >= 0 (got " + std::to_string(options.n_configs) + ")");
  if (options.n_configs == 0 && !space.finite())
    bad("n_configs must be > 0 for a space with float parameters (0 = the grid size of a finite space)");
  if (space.finite()) {
    grid_ = space.grid();
    std::shuffle(grid_.begin(), grid_.end(), rng_);
    if (options_.n_configs == 0) options_.n_configs = static_cast<long>(grid_.size());
  }
  results_.resize(budgets_.size());
  promoted_.resize(budgets_.size());
  fetch_next_config();
}

void Asha::fetch_next_config() {
  next_config_.reset();
  if (started() >= options_.n_configs) return;
  if (space_.finite()) {
    if (grid_next_ < grid_.size()) next_config_ = grid_[grid_next_++];
  } else {
    next_config_ = sample_unseen(space_, rng_, seen_);
  }
}

std::optional<Asha::Where> Asha::promotable() const {
  for (std::size_t k = budgets_.size() - 1; k-- > 0;) {
    const auto& rung = results_[k];
    const auto top = static_cast<std::size_t>(std::floor(static_cast<double>(rung.size()) / options_.eta + 1e-9));
    if (top == 0) continue;
    std::vector<const Result*> order;
    for (const auto& r : rung) order.push_back(&r);
    // Lowest loss first, ties to the earlier trial.
    std::sort(order.begin(), order.end(), [](const Result* a, const Result* b) {
      if (a->loss != b->loss) return a->loss < b->loss;
      return a->trial_id < b->trial_id;
    });
    for (std::size_t i = 0; i < top; ++i) {
      const Result& r = *order[i];
      if (std::isinf(r.loss)) break;  // failed or stopped: never promoted (nor anything after it)
      if (promoted_[k].count(r.config) == 0) return Where{r.config, k};
    }
  }
  return std::nullopt;
}

std::optional<Trial> Asha::ask() {
  if (auto p = promotable()) {
    promoted_[p->rung].insert(p->config);
    Trial t = make_trial(configs_[p->config], budgets_[p->rung + 1]);
    pending_[t.id] = Where{p->config, p->rung + 1};
    return t;
  }
  if (next_config_) {
    configs_.push_back(*next_config_);
    fetch_next_config();
    Trial t = make_trial(configs_.back(), budgets_[0]);
    pending_[t.id] = Where{configs_.size() - 1, 0};
    return t;
  }
  return std::nullopt;  // finished, or waiting for the pending trials
}

bool Asha::finished() const { return pending_.empty() && !next_config_ && !promotable(); }

void Asha::on_result(const Trial& trial, const TrialResult& result) {
  const auto it = pending_.find(trial.id);
  if (it == pending_.end()) return;  // Strategy::tell already rejects unknown trials
  const Where w = it->second;
  pending_.erase(it);
  const double loss = std::isnan(result.loss) ? INFINITY : result.loss;
  results_[w.rung].push_back(Result{trial.id, w.config, loss});
}

}  // namespace tune
}  // namespace powertrain
