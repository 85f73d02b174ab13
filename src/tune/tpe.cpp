// tpe.cpp: Tree-structured Parzen Estimator (independent per-parameter Parzen densities).
#include "powertrain/tune/tpe.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "powertrain/tune/random_search.h"

namespace powertrain {
namespace tune {
namespace {

constexpr double kSqrt2 = 1.41421356237309504880;
constexpr double kSqrt2Pi = 2.50662827463100050242;

double normal_cdf(double z) { return 0.5 * std::erfc(-z / kSqrt2); }

// A one-dimensional Parzen density: a weighted mixture of Gaussians truncated to [low, high].
class Parzen {
 public:
  Parzen(std::vector<double> points, double low, double high, double prior_weight) : low_(low), high_(high) {
    const double range = high - low;
    const double mid = (low + high) / 2.0;
    std::sort(points.begin(), points.end());
    const double n = static_cast<double>(points.size());
    const double min_sigma = range / std::min(100.0, n + 1.0);
    for (std::size_t i = 0; i < points.size(); ++i) {
      const double left = points[i] - (i == 0 ? low : points[i - 1]);
      const double right = (i + 1 == points.size() ? high : points[i + 1]) - points[i];
      add(points[i], std::clamp(std::max(left, right), min_sigma, range), 1.0);
    }
    add(mid, range, prior_weight);  // the prior: wide, centred
    const double total = std::accumulate(weight_.begin(), weight_.end(), 0.0);
    for (auto& w : weight_) w /= total;
  }

  double log_pdf(double x) const {
    double p = 0;
    for (std::size_t i = 0; i < mu_.size(); ++i) {
      const double z = (x - mu_[i]) / sigma_[i];
      p += weight_[i] * std::exp(-0.5 * z * z) / (sigma_[i] * kSqrt2Pi) / mass_[i];
    }
    return std::log(std::max(p, 1e-300));
  }

  double sample(std::mt19937_64& rng) const {
    std::discrete_distribution<std::size_t> pick(weight_.begin(), weight_.end());
    const std::size_t i = pick(rng);
    std::normal_distribution<double> normal(mu_[i], sigma_[i]);
    for (int attempt = 0; attempt < 100; ++attempt) {
      const double x = normal(rng);
      if (x >= low_ && x <= high_) return x;
    }
    return std::clamp(mu_[i], low_, high_);
  }

 private:
  void add(double mu, double sigma, double weight) {
    if (!(sigma > 0)) sigma = 1.0;  // a zero-width range: any positive width gives the same density ratio
    mu_.push_back(mu);
    sigma_.push_back(sigma);
    weight_.push_back(weight);
    const double m = normal_cdf((high_ - mu) / sigma) - normal_cdf((low_ - mu) / sigma);
    mass_.push_back(std::max(m, 1e-12));
  }

  double low_, high_;
  std::vector<double> mu_, sigma_, weight_, mass_;
};

// A categorical density: counts plus prior_weight / K per choice.
std::vector<double> categorical_probs(const Param& p, const std::vector<const Config*>& configs, double prior_weight) {
  const double k = static_cast<double>(p.choices.size());
  std::vector<double> probs(p.choices.size(), prior_weight / k);
  for (const Config* c : configs) {
    const Value& v = c->at(p.name);
    for (std::size_t i = 0; i < p.choices.size(); ++i)
      if (p.choices[i] == v) probs[i] += 1.0;
  }
  const double total = std::accumulate(probs.begin(), probs.end(), 0.0);
  for (auto& q : probs) q /= total;
  return probs;
}

// The numeric parameter's model space: log for log_float, widened by 0.5 for int.
double to_model(const Param& p, double x) { return p.kind == ParamKind::log_real ? std::log(x) : x; }
double model_low(const Param& p) {
  return p.kind == ParamKind::log_real ? std::log(p.low) : p.kind == ParamKind::integer ? p.low - 0.5 : p.low;
}
double model_high(const Param& p) {
  return p.kind == ParamKind::log_real ? std::log(p.high) : p.kind == ParamKind::integer ? p.high + 0.5 : p.high;
}
Value from_model(const Param& p, double x) {
  if (p.kind == ParamKind::log_real) return std::clamp(std::exp(x), p.low, p.high);
  if (p.kind == ParamKind::integer) return std::clamp(std::round(x), p.low, p.high);
  return std::clamp(x, p.low, p.high);
}

Parzen numeric_density(const Param& p, const std::vector<const Config*>& configs, double prior_weight) {
  std::vector<double> points;
  for (const Config* c : configs) points.push_back(to_model(p, std::get<double>(c->at(p.name))));
  return Parzen(points, model_low(p), model_high(p), prior_weight);
}

}  // namespace

Tpe::Tpe(const SearchSpace& space, const TpeOptions& options) : space_(space), options_(options), rng_(options.seed) {
  auto bad = [](const std::string& what) { throw std::invalid_argument("tpe: " + what); };
  if (space.empty()) bad("the search space is empty (add parameters first)");
  if (options.n_trials <= 0) bad("n_trials must be > 0 (got " + std::to_string(options.n_trials) + ")");
  if (options.n_startup < 1) bad("n_startup must be >= 1 (got " + std::to_string(options.n_startup) + ")");
  if (!(options.gamma > 0 && options.gamma < 1)) bad("gamma must be in (0, 1) (got " + std::to_string(options.gamma) + ")");
  if (options.n_candidates < 1) bad("n_candidates must be >= 1 (got " + std::to_string(options.n_candidates) + ")");
  if (!(options.prior_weight > 0)) bad("prior_weight must be > 0 (got " + std::to_string(options.prior_weight) + ")");
  if (!(options.budget > 0)) bad("budget must be > 0 (got " + std::to_string(options.budget) + ")");
}

void Tpe::on_result(const Trial& trial, const TrialResult& result) {
  observations_.push_back({trial.config, std::isnan(result.loss) ? INFINITY : result.loss});
}

void Tpe::split(std::vector<const Config*>& good, std::vector<const Config*>& bad) const {
  std::vector<std::size_t> order(observations_.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return observations_[a].loss < observations_[b].loss; });
  const auto n = static_cast<double>(observations_.size());
  const auto n_good = static_cast<std::size_t>(std::max(1.0, std::ceil(options_.gamma * n)));
  for (std::size_t i = 0; i < order.size(); ++i)
    (i < n_good ? good : bad).push_back(&observations_[order[i]].config);
}

double Tpe::score(const Config& config) const {
  if (observations_.size() < 2) return 0.0;
  std::vector<const Config*> good, bad;
  split(good, bad);
  double s = 0;
  for (const auto& p : space_.params()) {
    const Value& v = config.at(p.name);
    if (p.kind == ParamKind::categorical) {
      const auto l = categorical_probs(p, good, options_.prior_weight);
      const auto g = categorical_probs(p, bad, options_.prior_weight);
      for (std::size_t i = 0; i < p.choices.size(); ++i)
        if (p.choices[i] == v) s += std::log(l[i]) - std::log(g[i]);
    } else {
      const double x = to_model(p, std::get<double>(v));
      s += numeric_density(p, good, options_.prior_weight).log_pdf(x) -
           numeric_density(p, bad, options_.prior_weight).log_pdf(x);
    }
  }
  return s;
}

std::optional<Config> Tpe::propose() {
  std::vector<const Config*> good, bad;
  split(good, bad);
  // Draw candidates from l, parameter by parameter, and score them by log l - log g.
  std::vector<Config> candidates(static_cast<std::size_t>(options_.n_candidates));
  std::vector<double> scores(candidates.size(), 0.0);
  for (const auto& p : space_.params()) {
    if (p.kind == ParamKind::categorical) {
      const auto l = categorical_probs(p, good, options_.prior_weight);
      const auto g = categorical_probs(p, bad, options_.prior_weight);
      std::discrete_distribution<std::size_t> pick(l.begin(), l.end());
      for (std::size_t c = 0; c < candidates.size(); ++c) {
        const std::size_t i = pick(rng_);
        candidates[c][p.name] = p.choices[i];
        scores[c] += std::log(l[i]) - std::log(g[i]);
      }
    } else {
      const Parzen l = numeric_density(p, good, options_.prior_weight);
      const Parzen g = numeric_density(p, bad, options_.prior_weight);
      for (std::size_t c = 0; c < candidates.size(); ++c) {
        const Value v = from_model(p, l.sample(rng_));
        const double x = to_model(p, std::get<double>(v));
        candidates[c][p.name] = v;
        scores[c] += l.log_pdf(x) - g.log_pdf(x);
      }
    }
  }
  std::vector<std::size_t> order(candidates.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  for (std::size_t i : order)
    if (seen_.insert(config_key(candidates[i])).second) return candidates[i];
  return sample_unseen(space_, rng_, seen_);  // every candidate was tried already
}

std::optional<Trial> Tpe::ask() {
  if (finished()) return std::nullopt;
  std::optional<Config> c;
  if (static_cast<long>(observations_.size()) < options_.n_startup)
    c = sample_unseen(space_, rng_, seen_);
  else
    c = propose();
  if (!c) {
    done_ = true;
    return std::nullopt;
  }
  ++asked_;
  return make_trial(*c, options_.budget);
}

}  // namespace tune
}  // namespace powertrain
