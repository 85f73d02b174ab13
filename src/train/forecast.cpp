// The energy forecast after each epoch: the learning curve so far, extrapolated to the run's
// own stopping rule (train/forecast.h).
#include "powertrain/train/forecast.h"

#include <algorithm>
#include <cmath>

namespace powertrain {

namespace {

constexpr double kPriorLowP = 0.15, kPriorP = 0.35, kPriorHighP = 0.8;  // after a single epoch
constexpr double kMinErr = 1e-4;

double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Least-squares fit of log(err) = log(a) - p log(e) over the points; returns {a, p, residual sd}.
struct PowerLaw {
  double a = NAN, p = NAN, noise = 0;
};
PowerLaw fit(const std::vector<double>& e, const std::vector<double>& err) {
  PowerLaw f;
  const size_t n = e.size();
  if (n == 0) return f;
  if (n == 1) {
    f.p = kPriorP;
    f.a = err[0] * std::pow(e[0], f.p);
    return f;
  }
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (size_t i = 0; i < n; ++i) {
    double x = std::log(e[i]), y = std::log(err[i]);
    sx += x, sy += y, sxx += x * x, sxy += x * y;
  }
  double d = n * sxx - sx * sx;
  double slope = d > 0 ? (n * sxy - sx * sy) / d : 0;
  double intercept = (sy - slope * sx) / n;
  f.p = -slope;
  f.a = std::exp(intercept);
  double ss = 0;
  for (size_t i = 0; i < n; ++i) {
    double r = err[i] - f.a * std::pow(e[i], -f.p);
    ss += r * r;
  }
  f.noise = n > 2 ? std::sqrt(ss / static_cast<double>(n - 2)) : 0;
  return f;
}

// The epoch (real) at which err = a e^-p falls to `goal`; +inf when it never does.
double epoch_reaching(double a, double p, double goal) {
  if (!(p > 1e-3) || !(a > 0) || !(goal > 0)) return INFINITY;
  return std::pow(a / goal, 1.0 / p);
}

// The epoch (real) from which the gain per epoch, a p e^-(p+1), is below `floor`.
double epoch_plateau(double a, double p, double floor) {
  if (!(p > 1e-3) || !(a > 0)) return 1;
  if (!(floor > 0)) return INFINITY;
  return std::pow(a * p / floor, 1.0 / (p + 1.0));
}

}  // namespace

double carbontracker_forecast_j(const std::vector<EpochRecord>& epochs, int k, int max_epochs) {
  if (k < 1 || static_cast<size_t>(k) > epochs.size()) return NAN;
  double sum = 0;
  for (int i = 0; i < k; ++i) sum += epochs[static_cast<size_t>(i)].energy_j;
  return sum / k * max_epochs;
}

EnergyForecast forecast_energy(const std::vector<EpochRecord>& epochs, const ForecastRules& rules) {
  EnergyForecast f;
  const int k = static_cast<int>(epochs.size());
  f.after_epoch = k;
  if (k == 0) return f;
  const int max_epochs = std::max(rules.max_epochs, k);

  // 1. The stopping epoch, with an interval.
  std::vector<double> e, err;
  for (const auto& ep : epochs) {
    if (!std::isfinite(ep.val_metric)) continue;
    e.push_back(ep.epoch);
    err.push_back(std::max(kMinErr, 1.0 - ep.val_metric));
  }
  double stop = max_epochs, stop_low = max_epochs, stop_high = max_epochs;
  f.stop_reason = "max_epochs";
  // The best epoch so far (an improvement beats the best by more than min_delta).
  double best_err = INFINITY, best_epoch = 0;
  for (size_t i = 0; i < e.size(); ++i) {
    if (err[i] < best_err - rules.min_delta) best_err = err[i], best_epoch = e[i];
  }
  const bool target_reached = std::isfinite(rules.target) && !e.empty() && 1.0 - err.back() >= rules.target;
  const bool patience_spent = rules.patience > 0 && !e.empty() && e.back() - best_epoch >= rules.patience;
  const bool reached = target_reached || patience_spent;
  if (reached) {
    stop = stop_low = stop_high = k;
    f.stop_reason = target_reached ? "target" : "patience";
  } else if (!e.empty() && (std::isfinite(rules.target) || rules.patience > 0)) {
    PowerLaw all = fit(e, err);
    // The exponent's spread: the prior's range after one epoch; else the fits over all the
    // epochs and over the last two (a curve that is bending shows here), widened: halved at the low end (learning curves flatten towards a floor the power law
    // does not have), x1.5 at the high end.
    double p_lo = kPriorLowP, p_hi = kPriorHighP;
    if (e.size() >= 2) {
      PowerLaw last = fit({e[e.size() - 2], e.back()}, {err[err.size() - 2], err.back()});
      p_lo = std::min(all.p, last.p) / 2;
      p_hi = std::max(all.p, last.p) * 1.5;
    }
    // Anchor every exponent at the last point, so the curves start where the run is.
    auto anchored = [&](double p) { return err.back() * std::pow(e.back(), p); };
    auto predict = [&](double p) {
      double a = anchored(p), when = INFINITY;
      if (std::isfinite(rules.target)) {
        double t = epoch_reaching(a, p, std::max(kMinErr, 1.0 - rules.target));
        if (t <= max_epochs) return std::make_pair(t, std::string("target"));
        when = t;
      }
      if (rules.patience > 0) {
        double floor = std::max({rules.min_delta, all.noise, 1e-3});
        // Patience runs from the best epoch; once the curve is flat (its gain per epoch below
        // the noise) no better epoch is expected.
        double plateau = epoch_plateau(a, p, floor);
        double t = plateau <= e.back() ? best_epoch + rules.patience : plateau + rules.patience;
        if (t < when && t <= max_epochs) return std::make_pair(t, std::string("patience"));
      }
      return std::make_pair(static_cast<double>(max_epochs), std::string("max_epochs"));
    };
    auto mid = predict(e.size() >= 2 ? all.p : kPriorP), lo = predict(p_hi), hi = predict(p_lo);
    stop = mid.first;
    f.stop_reason = mid.second;
    stop_low = std::min({lo.first, hi.first, stop});
    stop_high = std::max({lo.first, hi.first, stop});
  }
  auto clamp_epoch = [&](double v) { return std::clamp(static_cast<int>(std::ceil(v - 1e-9)), reached ? k : std::min(k + 1, max_epochs), max_epochs); };
  f.stop_epoch = clamp_epoch(stop);
  f.stop_epoch_low = clamp_epoch(stop_low);
  f.stop_epoch_high = clamp_epoch(stop_high);
  if (f.stop_epoch == k || (!reached && k >= max_epochs)) f.stop_epoch_low = f.stop_epoch_high = f.stop_epoch;

  // 2. Energy and time: what was spent, plus the remaining epochs at the observed per-epoch cost.
  double spent_j = 0, spent_s = 0;
  bool energy_known = true;
  std::vector<double> per_j, per_s;
  for (size_t i = 0; i < epochs.size(); ++i) {
    const auto& ep = epochs[i];
    if (std::isfinite(ep.energy_j)) spent_j += ep.energy_j;
    else energy_known = false;
    if (std::isfinite(ep.duration_s)) spent_s += ep.duration_s;
    if (i == 0 && epochs.size() > 1) continue;  // the first epoch carries the warm-up
    if (std::isfinite(ep.energy_j)) per_j.push_back(ep.energy_j);
    if (std::isfinite(ep.duration_s)) per_s.push_back(ep.duration_s);
  }
  auto total = [&](double spent, int stop_epoch, double per_epoch) { return spent + per_epoch * static_cast<double>(stop_epoch - k); };
  if (energy_known && !per_j.empty()) {
    const double mid_j = median(per_j), lo_j = *std::min_element(per_j.begin(), per_j.end()),
                 hi_j = *std::max_element(per_j.begin(), per_j.end());
    f.energy_j = total(spent_j, f.stop_epoch, mid_j);
    f.energy_low_j = total(spent_j, f.stop_epoch_low, lo_j);
    f.energy_high_j = total(spent_j, f.stop_epoch_high, hi_j);
  }
  if (!per_s.empty()) {
    const double mid_s = median(per_s), lo_s = *std::min_element(per_s.begin(), per_s.end()),
                 hi_s = *std::max_element(per_s.begin(), per_s.end());
    f.duration_s = total(spent_s, f.stop_epoch, mid_s);
    f.duration_low_s = total(spent_s, f.stop_epoch_low, lo_s);
    f.duration_high_s = total(spent_s, f.stop_epoch_high, hi_s);
  }
  return f;
}

}  // namespace powertrain
