// powertrain/tune/lr_screen.h: learning-rate screening by a rising LR sweep (the rising half
// of Smith's triangular cycle, his "LR range test"), as SM2 runs it inside its probes.
//
// A probe of a batch size (Trial::lr_sweep) first trains a few warm-up steps at the lowest
// learning rate of the sweep, then `steps_per_lr` steps at each learning rate of the sweep in
// ascending order. What that shows of each learning rate is its instability in [0, 1]:
//   - the mean loss of its steps, L, against the lowest mean loss seen before it (the
//     warm-up's last steps, then the earlier learning rates), best:
//     instability = clamp((L / best - kNoiseRatio) / (kDivergenceRatio - kNoiseRatio), 0, 1),
//     so 0 while the loss falls, holds or rises less than the noise of a few mini-batches
//     (kNoiseRatio: 10 %), 1 once it is kDivergenceRatio x the best (fastai's learning-rate
//     finder and `powertrain lr-find` stop there: the loss has diverged);
//   - a non-finite loss is 1;
//   - never below a lower learning rate's (the sweep rises: a learning rate above one that
//     already disturbed training is not taken for a calmer one), and once one is 1 (diverged)
//     every higher one is 1 (the model it continued from is broken).
// With best <= 0 (a loss that can reach 0) only a non-finite loss counts.
//
// Example:
//   auto lrs = tune::sweep_points({0.1, 0.001, 0.01}, 5);      // {0.001, 0.01, 0.1}
//   auto points = tune::lr_instability(lrs, step_losses, 4, warmup_loss);
//   double x = tune::instability_at(points, 0.03);              // between 0.01's and 0.1's
#pragma once

#include <cstddef>
#include <vector>

namespace powertrain {
namespace tune {

// What a sweep showed of one learning rate.
struct LrStability {
  double lr = 0.0;
  double instability = 0.0;  // 0 = stable .. 1 = diverged
};

inline constexpr double kDivergenceRatio = 4.0;
inline constexpr double kNoiseRatio = 1.1;

// The learning rates a sweep trains at for the requested `lrs` (any order, repeats allowed):
// those finite and > 0, ascending, unique; when more than `max_points` (>= 2), max_points
// geometrically spaced from the lowest to the highest instead.
std::vector<double> sweep_points(const std::vector<double>& lrs, std::size_t max_points);

// The instability of each learning rate of `lrs` (ascending) from the losses of the sweep's
// steps (`steps_per_lr` per learning rate, in order; fewer losses than that: the learning
// rates without all their steps are left out) after warm-up steps of mean loss
// `reference_loss` (NaN: none; the first learning rate is then the reference).
std::vector<LrStability> lr_instability(const std::vector<double>& lrs, const std::vector<double>& step_losses,
                                        std::size_t steps_per_lr, double reference_loss);

// The instability at `lr` from a sweep's points (ascending lr): interpolated between the two
// points around it (on log scale), the nearest end's outside them; NaN for no points.
double instability_at(const std::vector<LrStability>& points, double lr);

}  // namespace tune
}  // namespace powertrain
