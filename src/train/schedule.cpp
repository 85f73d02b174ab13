// schedule.cpp: learning-rate and momentum schedules as pure functions of the step (no LibTorch).
//
// Exact definitions (base = the optimizer's lr, W = warmup_steps, N = total_steps, s = step):
//   constant      f(s) = base
//   step          f(s) = base * gamma^floor(s / step_size)
//   cosine        f(s) = min_lr + (base - min_lr) * (1 + cos(pi * p)) / 2,
//                 p = clamp((s - W) / (N - W), 0, 1): the half cosine runs over the N - W
//                 steps after the warmup, so f(W) = base, the midpoint W + (N - W)/2 gives
//                 (base + min_lr)/2 and step N (one past the last) would give min_lr.
//   warmup_cosine the same as cosine, with W > 0 required.
//   triangular    c = floor(1 + s / (2 step_size)), x = |s / step_size - 2c + 1|,
//                 f(s) = base + (max_lr - base) * max(0, 1 - x): base at 0, max_lr at
//                 step_size, base again at 2 step_size, and so on.
//   one_cycle     a = pct_start N, b = (1 - anneal_pct) N, e = N - 1 (the last step);
//                 [0, a]: lr base -> max_lr, momentum max_momentum -> min_momentum;
//                 [a, b]: lr max_lr -> base, momentum min_momentum -> max_momentum;
//                 [b, e]: lr base -> base / final_div, momentum max_momentum;
//                 all linear in s, a step on a boundary takes the boundary value, steps
//                 past e keep base / final_div.
// Warmup (any type, W > 0): for s < W, lr(s) = start + (f(W) - start) * s / W with
// start = warmup_start_factor * base, so it rises linearly to meet the schedule at s = W;
// from W on, lr(s) = f(s). Warmup does not change momentum.
// momentum(s) is NaN for every type but one_cycle.
#include "powertrain/train/schedule.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace powertrain {
namespace {

constexpr double kPi = 3.14159265358979323846;

[[noreturn]] void invalid(const std::string& what) {
  throw std::invalid_argument(what);  // callers add the "schedule" context
}

std::string join_types() {
  std::string out;
  for (const auto& t : schedule_types()) {
    if (!out.empty()) out += ", ";
    out += t;
  }
  return out;
}

bool is_cosine(const std::string& type) { return type == "cosine" || type == "warmup_cosine"; }

// Linear interpolation from `from` (at x0) to `to` (at x1), exact at both ends.
double lerp(double from, double to, double x, double x0, double x1) {
  if (x <= x0) return from;
  if (x >= x1) return to;
  const double t = (x - x0) / (x1 - x0);
  return from + (to - from) * t;
}

}  // namespace

std::vector<std::string> schedule_types() {
  return {"constant", "step", "cosine", "warmup_cosine", "triangular", "one_cycle"};
}

Schedule::Schedule(const ScheduleSpec& spec, double base_lr) : spec_(spec), base_lr_(base_lr) {
  const auto& s = spec_;
  const auto types = schedule_types();
  if (std::find(types.begin(), types.end(), s.type) == types.end())
    invalid("unknown type '" + s.type + "' (expected one of: " + join_types() + ")");
  if (!std::isfinite(base_lr) || base_lr <= 0)
    invalid("base lr must be a finite number > 0 (got " + std::to_string(base_lr) + ")");
  if (s.total_steps < 0) invalid("total_steps must be >= 0 (got " + std::to_string(s.total_steps) + ")");
  if (s.warmup_steps < 0)
    invalid("warmup_steps must be >= 0 (got " + std::to_string(s.warmup_steps) + ")");
  if (!std::isfinite(s.warmup_start_factor) || s.warmup_start_factor < 0)
    invalid("warmup_start_factor must be >= 0 (got " + std::to_string(s.warmup_start_factor) + ")");

  if (s.type == "step") {
    if (s.step_size <= 0)
      invalid("step_size must be > 0 for type 'step' (got " + std::to_string(s.step_size) + ")");
    if (!std::isfinite(s.gamma) || s.gamma <= 0)
      invalid("gamma must be > 0 for type 'step' (got " + std::to_string(s.gamma) + ")");
  } else if (is_cosine(s.type)) {
    if (s.total_steps <= 0)
      invalid("total_steps must be > 0 for type '" + s.type + "' (got " + std::to_string(s.total_steps) + ")");
    if (s.type == "warmup_cosine" && s.warmup_steps <= 0)
      invalid("warmup_steps must be > 0 for type 'warmup_cosine' (got " + std::to_string(s.warmup_steps) + ")");
    if (s.warmup_steps >= s.total_steps)
      invalid("warmup_steps must be < total_steps for type '" + s.type + "' (got " +
              std::to_string(s.warmup_steps) + " >= " + std::to_string(s.total_steps) + ")");
    if (!std::isfinite(s.min_lr) || s.min_lr < 0 || s.min_lr > base_lr)
      invalid("min_lr must be in [0, base lr] (got " + std::to_string(s.min_lr) + ")");
  } else if (s.type == "triangular" || s.type == "one_cycle") {
    if (!std::isfinite(s.max_lr) || s.max_lr <= base_lr)
      invalid("max_lr must be > the base lr " + std::to_string(base_lr) + " for type '" + s.type +
              "' (got " + std::to_string(s.max_lr) + ")");
    if (s.type == "triangular") {
      if (s.step_size <= 0)
        invalid("step_size must be > 0 for type 'triangular' (got " + std::to_string(s.step_size) + ")");
    } else {
      if (s.total_steps <= 0)
        invalid("total_steps must be > 0 for type 'one_cycle' (got " + std::to_string(s.total_steps) + ")");
      if (!(s.pct_start > 0 && s.pct_start < 1))
        invalid("pct_start must be in (0, 1) (got " + std::to_string(s.pct_start) + ")");
      if (!(s.anneal_pct > 0 && s.anneal_pct < 1))
        invalid("anneal_pct must be in (0, 1) (got " + std::to_string(s.anneal_pct) + ")");
      if (2 * s.pct_start + s.anneal_pct > 1 + 1e-12)
        invalid("pct_start and anneal_pct must satisfy 2 x pct_start + anneal_pct <= 1 (got " +
                std::to_string(s.pct_start) + ", " + std::to_string(s.anneal_pct) + ")");
      if (!std::isfinite(s.final_div) || s.final_div <= 0)
        invalid("final_div must be > 0 (got " + std::to_string(s.final_div) + ")");
      if (!(s.max_momentum >= 0 && s.max_momentum < 1))
        invalid("max_momentum must be in [0, 1) (got " + std::to_string(s.max_momentum) + ")");
      if (!(s.min_momentum >= 0 && s.min_momentum <= s.max_momentum))
        invalid("min_momentum must be in [0, max_momentum] (got " + std::to_string(s.min_momentum) + ")");
    }
  }
}

// The schedule without warmup (f in the comment above).
static double core_lr(const ScheduleSpec& s, double base, long step) {
  const double x = static_cast<double>(step);
  if (s.type == "constant") return base;
  if (s.type == "step") {
    const long k = step / s.step_size;
    return base * std::pow(s.gamma, static_cast<double>(k));
  }
  if (is_cosine(s.type)) {
    const double w = static_cast<double>(s.warmup_steps);
    const double n = static_cast<double>(s.total_steps);
    const double p = std::clamp((x - w) / (n - w), 0.0, 1.0);
    if (p <= 0.0) return base;
    if (p >= 1.0) return s.min_lr;
    return s.min_lr + (base - s.min_lr) * (1.0 + std::cos(kPi * p)) / 2.0;
  }
  if (s.type == "triangular") {
    const double ss = static_cast<double>(s.step_size);
    const double cycle = std::floor(1.0 + x / (2.0 * ss));
    const double d = std::abs(x / ss - 2.0 * cycle + 1.0);
    return base + (s.max_lr - base) * std::max(0.0, 1.0 - d);
  }
  // one_cycle
  const double n = static_cast<double>(s.total_steps);
  const double a = s.pct_start * n;
  const double b = (1.0 - s.anneal_pct) * n;
  const double e = n - 1.0;
  const double final_lr = base / s.final_div;
  if (x <= a) return lerp(base, s.max_lr, x, 0.0, a);
  if (x <= b) return lerp(s.max_lr, base, x, a, b);
  if (e <= b) return final_lr;
  return lerp(base, final_lr, x, b, e);
}

double Schedule::lr(long step) const {
  if (step < 0) throw std::invalid_argument("schedule: step must be >= 0 (got " + std::to_string(step) + ")");
  const long w = spec_.warmup_steps;
  if (w > 0 && step < w) {
    const double start = spec_.warmup_start_factor * base_lr_;
    const double target = core_lr(spec_, base_lr_, w);
    return start + (target - start) * (static_cast<double>(step) / static_cast<double>(w));
  }
  return core_lr(spec_, base_lr_, step);
}

double Schedule::momentum(long step) const {
  if (spec_.type != "one_cycle") return NAN;
  if (step < 0) throw std::invalid_argument("schedule: step must be >= 0 (got " + std::to_string(step) + ")");
  const double x = static_cast<double>(step);
  const double n = static_cast<double>(spec_.total_steps);
  const double a = spec_.pct_start * n;
  const double b = (1.0 - spec_.anneal_pct) * n;
  if (x <= a) return lerp(spec_.max_momentum, spec_.min_momentum, x, 0.0, a);
  if (x <= b) return lerp(spec_.min_momentum, spec_.max_momentum, x, a, b);
  return spec_.max_momentum;
}

}  // namespace powertrain
