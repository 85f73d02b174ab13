// hyperband.cpp: Hyperband as a sequence of successive-halving brackets.
#include "powertrain/tune/hyperband.h"

#include <cmath>
#include <set>
#include <stdexcept>
#include <string>

#include "powertrain/tune/random_search.h"

namespace powertrain {
namespace tune {

std::vector<Bracket> Hyperband::brackets(double eta, double min_budget, double max_budget) {
  const int s_max = SuccessiveHalving::max_rung(eta, min_budget, max_budget);  // validates
  std::vector<Bracket> out;
  for (int s = s_max; s >= 0; --s) {
    const double eta_s = std::pow(eta, s);
    const auto n = static_cast<long>(std::ceil(static_cast<double>(s_max + 1) / (s + 1) * eta_s - 1e-9));
    const double r = s == 0 ? max_budget : max_budget / eta_s;
    out.push_back({s, SuccessiveHalving::plan(n, eta, r, max_budget)});
  }
  return out;
}

Hyperband::Hyperband(const SearchSpace& space, const HyperbandOptions& options)
    : space_(space), options_(options), rng_(options.seed) {
  if (space.empty()) throw std::invalid_argument("hyperband: the search space is empty (add parameters first)");
  if (options.iterations < 1)
    throw std::invalid_argument("hyperband: iterations must be >= 1 (got " + std::to_string(options.iterations) + ")");
  brackets_ = brackets(options.eta, options.min_budget, options.max_budget);
  bracket_ = 0;
  next_bracket();
}

void Hyperband::next_bracket() {
  while (true) {
    if (bracket_ >= brackets_.size()) {
      bracket_ = 0;
      if (++iteration_ >= options_.iterations) {
        finished_ = true;
        sh_.reset();
        return;
      }
    }
    const Bracket& b = brackets_[bracket_++];
    std::set<std::string> seen;
    std::vector<Config> configs;
    while (static_cast<long>(configs.size()) < b.rungs.front().n_configs) {
      auto c = sample_unseen(space_, rng_, seen);
      if (!c) break;  // a finite space smaller than the bracket: use all of it
      configs.push_back(*c);
    }
    SuccessiveHalvingOptions sh;
    sh.eta = options_.eta;
    sh.max_budget = options_.max_budget;
    sh.min_budget = b.rungs.front().budget;
    sh_ = std::make_unique<SuccessiveHalving>(configs, sh);
    if (!sh_->finished()) return;
  }
}

std::optional<Trial> Hyperband::ask() {
  if (finished_) return std::nullopt;
  auto inner = sh_->ask();
  if (!inner) return std::nullopt;  // waiting for the rung's results
  Trial t = make_trial(inner->config, inner->budget);
  asked_.emplace_back(t.id, *inner);
  return t;
}

void Hyperband::on_result(const Trial& trial, const TrialResult& result) {
  for (auto it = asked_.begin(); it != asked_.end(); ++it) {
    if (it->first != trial.id) continue;
    const Trial inner = it->second;
    asked_.erase(it);
    sh_->tell(inner, result);
    break;
  }
  if (sh_ && sh_->finished() && asked_.empty()) next_bracket();
}

}  // namespace tune
}  // namespace powertrain
