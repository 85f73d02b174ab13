// powertrain/train/schedule.h: learning-rate (and momentum) schedules, as plain functions of the step.
//
// LibTorch has only StepLR; these are written once here, with no LibTorch dependency, and
// the trainer applies them to the optimizer before every step. A step is one mini-batch;
// `total_steps` = epochs x batches per epoch.
//
// Example:
//   powertrain::ScheduleSpec s;
//   s.type = "one_cycle"; s.max_lr = 0.1; s.total_steps = 1000;
//   powertrain::Schedule sched(s, 0.01);
//   double lr = sched.lr(10), m = sched.momentum(10);
#pragma once

#include <cmath>
#include <string>
#include <vector>

namespace powertrain {

struct ScheduleSpec {
  std::string type = "constant";   // constant, step, cosine, warmup_cosine, triangular, one_cycle
  long total_steps = 0;            // all steps of the run (needed by cosine, one_cycle)
  // step: lr = base * gamma^(floor(step / step_size))
  long step_size = 0;
  double gamma = 0.1;
  // cosine: from base down to min_lr over total_steps (after warmup_steps of linear warmup)
  double min_lr = 0.0;
  long warmup_steps = 0;           // linear warmup from warmup_start_factor x base (all types)
  double warmup_start_factor = 0.0;
  // triangular (Smith's cyclical LR): between base and max_lr, half-cycle of step_size steps
  double max_lr = NAN;
  // one_cycle (Smith & Topin): LR base -> max_lr over pct_start of the run while momentum
  // goes max_momentum -> min_momentum, then mirrored back down to base while momentum rises,
  // then a short anneal (the last anneal_pct of the run) from base down to base / final_div.
  double pct_start = 0.45;
  double anneal_pct = 0.1;
  double final_div = 100.0;        // final LR = base / final_div ("far below the start")
  double max_momentum = 0.95;
  double min_momentum = 0.85;
};

class Schedule {
 public:
  // `base_lr` is the optimizer's configured learning rate. Throws std::invalid_argument
  // naming the field when the spec is impossible (unknown type, missing max_lr, ...).
  Schedule(const ScheduleSpec& spec, double base_lr);
  // Returns the learning rate for `step` (0-based).
  double lr(long step) const;
  // Returns the momentum (SGD momentum or Adam beta1) for `step`, or NaN when the
  // schedule does not cycle momentum (leave the optimizer's own value).
  double momentum(long step) const;
  const ScheduleSpec& spec() const { return spec_; }

 private:
  ScheduleSpec spec_;
  double base_lr_;
};

// Returns the names of the schedule types.
std::vector<std::string> schedule_types();

}  // namespace powertrain
