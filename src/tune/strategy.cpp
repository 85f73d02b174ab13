// strategy.cpp: the bookkeeping shared by every strategy (pending trials, history, best).
#include "powertrain/tune/strategy.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace powertrain {
namespace tune {
namespace {

// True when `a` should replace the current best `b` (see Strategy::best()).
bool better(const Trial& ta, const TrialResult& a, const Trial& tb, const TrialResult& b) {
  if (a.reached_target != b.reached_target) return a.reached_target;
  if (!a.reached_target) {
    // Neither reached the target: a failed or stopped trial (+inf) never wins, and the
    // longer-trained result wins. An energy-to-target loss is then an extrapolation from
    // the progress so far, and learning curves rise fastest at first, so it is the more
    // optimistic the smaller the budget: comparing across budgets chose 1-epoch configs.
    const bool fa = a.loss < INFINITY, fb = b.loss < INFINITY;
    if (fa != fb) return fa;
    if (ta.budget != tb.budget) return ta.budget > tb.budget;
  }
  if (a.loss != b.loss) return a.loss < b.loss;
  if (ta.budget != tb.budget) return ta.budget > tb.budget;
  return false;  // the earlier trial stays
}

}  // namespace

Trial Strategy::make_trial(const Config& config, double budget, bool probe) {
  Trial t;
  t.id = next_id_++;
  t.config = config;
  t.budget = probe ? 0.0 : budget;
  t.probe = probe;
  pending_.push_back(t.id);
  return t;
}

void Strategy::tell(const Trial& trial, const TrialResult& result) {
  auto it = std::find(pending_.begin(), pending_.end(), trial.id);
  if (it == pending_.end())
    throw std::invalid_argument(name() + ": told trial " + std::to_string(trial.id) +
                                ", which was never asked or was already told (tell each asked trial once)");
  pending_.erase(it);
  history_.push_back({trial, result});
  if (trial.probe) {  // a measurement of cost, not of learning: never the best
    on_result(trial, result);
    return;
  }
  const auto& b = best_index_ >= 0 ? history_[static_cast<std::size_t>(best_index_)] : history_.back();
  if (best_index_ < 0 || better(trial, result, b.trial, b.result))
    best_index_ = static_cast<long>(history_.size()) - 1;
  on_result(trial, result);
}

std::optional<Config> Strategy::best() const {
  if (best_index_ < 0) return std::nullopt;
  return history_[static_cast<std::size_t>(best_index_)].trial.config;
}

const TrialResult* Strategy::best_result() const {
  if (best_index_ < 0) return nullptr;
  return &history_[static_cast<std::size_t>(best_index_)].result;
}

}  // namespace tune
}  // namespace powertrain
