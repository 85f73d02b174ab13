// lr_screen.cpp: the instability of learning rates from a rising LR sweep's losses.
#include "powertrain/tune/lr_screen.h"

#include <algorithm>
#include <cmath>

namespace powertrain {
namespace tune {

std::vector<double> sweep_points(const std::vector<double>& lrs, std::size_t max_points) {
  std::vector<double> v;
  for (double lr : lrs)
    if (std::isfinite(lr) && lr > 0) v.push_back(lr);
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  max_points = std::max<std::size_t>(2, max_points);
  if (v.size() <= max_points) return v;
  const double lo = std::log(v.front()), hi = std::log(v.back());
  std::vector<double> out(max_points);
  for (std::size_t i = 0; i < max_points; ++i)
    out[i] = std::exp(lo + (hi - lo) * static_cast<double>(i) / static_cast<double>(max_points - 1));
  out.front() = v.front();
  out.back() = v.back();
  return out;
}

std::vector<LrStability> lr_instability(const std::vector<double>& lrs, const std::vector<double>& step_losses,
                                        std::size_t steps_per_lr, double reference_loss) {
  std::vector<LrStability> out;
  if (steps_per_lr == 0) return out;
  double best = std::isfinite(reference_loss) ? reference_loss : NAN;
  double previous = 0.0;
  for (std::size_t j = 0; j < lrs.size() && (j + 1) * steps_per_lr <= step_losses.size(); ++j) {
    double sum = 0.0;
    for (std::size_t i = j * steps_per_lr; i < (j + 1) * steps_per_lr; ++i) sum += step_losses[i];
    const double loss = sum / static_cast<double>(steps_per_lr);
    double x = 0.0;
    if (!std::isfinite(loss))
      x = 1.0;
    else if (std::isfinite(best) && best > 0)
      x = std::clamp((loss / best - kNoiseRatio) / (kDivergenceRatio - kNoiseRatio), 0.0, 1.0);
    x = std::max(x, previous);  // a higher learning rate is never taken for a calmer one
    out.push_back({lrs[j], x});
    previous = x;
    if (std::isfinite(loss)) best = std::isfinite(best) ? std::min(best, loss) : loss;
  }
  return out;
}

double instability_at(const std::vector<LrStability>& points, double lr) {
  if (points.empty() || std::isnan(lr)) return NAN;
  if (lr <= points.front().lr) return points.front().instability;
  if (lr >= points.back().lr) return points.back().instability;
  for (std::size_t i = 1; i < points.size(); ++i) {
    const LrStability& a = points[i - 1];
    const LrStability& b = points[i];
    if (lr > b.lr) continue;
    const double t = a.lr > 0 ? std::log(lr / a.lr) / std::log(b.lr / a.lr) : (lr - a.lr) / (b.lr - a.lr);
    return a.instability + t * (b.instability - a.instability);
  }
  return points.back().instability;
}

}  // namespace tune
}  // namespace powertrain
