// early_stopping.cpp: the stop decision after each epoch (divergence, target, patience, max epochs).
//
// Order of the checks in update(): a NaN/Inf val_loss stops at once ("diverged", never
// "improved"); otherwise the monitored value is compared with the best (the first epoch
// always improves); then the stop reasons in priority order: "target" (val_metric >=
// target), "patience" (patience > 0 epochs in a row without improvement), "max_epochs"
// (epoch >= max_epochs).
#include "powertrain/train/early_stopping.h"

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace powertrain {

EarlyStopping::EarlyStopping(const EarlyStoppingSpec& spec) : spec_(spec) {
  if (spec_.monitor != "val_loss" && spec_.monitor != "val_metric")
    throw std::invalid_argument("early stopping: monitor must be one of val_loss, val_metric (got '" +
                                spec_.monitor + "')");
  if (spec_.patience < 0)
    throw std::invalid_argument("early stopping: patience must be >= 0 (got " +
                                std::to_string(spec_.patience) + ")");
  if (!(spec_.min_delta >= 0) || std::isinf(spec_.min_delta))
    throw std::invalid_argument("early stopping: min_delta must be a finite number >= 0 (got " +
                                std::to_string(spec_.min_delta) + ")");
  if (!(spec_.divergence_factor == 0 || spec_.divergence_factor > 1) || std::isinf(spec_.divergence_factor))
    throw std::invalid_argument("early stopping: divergence_factor must be 0 (off) or a finite number > 1 (got " +
                                std::to_string(spec_.divergence_factor) + ")");
  if (spec_.divergence_checks < 1)
    throw std::invalid_argument("early stopping: divergence_checks must be >= 1 (got " +
                                std::to_string(spec_.divergence_checks) + ")");
  if (spec_.max_epochs < 1)
    throw std::invalid_argument("early stopping: max_epochs must be >= 1 (got " +
                                std::to_string(spec_.max_epochs) + ")");
}

StopDecision EarlyStopping::update(int epoch, double val_loss, double val_metric) {
  StopDecision d;
  if (!std::isfinite(val_loss)) {
    d.stop = true;
    d.reason = "diverged";
    return d;
  }

  const bool lower_is_better = spec_.monitor == "val_loss";
  const double value = lower_is_better ? val_loss : val_metric;
  if (best_epoch_ == 0) {
    d.improved = true;
  } else if (lower_is_better) {
    d.improved = value < best_ - spec_.min_delta;
  } else {
    d.improved = value > best_ + spec_.min_delta;
  }
  if (d.improved) {
    best_ = value;
    best_epoch_ = epoch;
    since_best_ = 0;
  } else {
    ++since_best_;
  }

  if (!std::isnan(spec_.target) && val_metric >= spec_.target) {
    d.stop = true;
    d.reason = "target";
  } else if (spec_.patience > 0 && since_best_ >= spec_.patience) {
    d.stop = true;
    d.reason = "patience";
  } else if (epoch >= spec_.max_epochs) {
    d.stop = true;
    d.reason = "max_epochs";
  }
  return d;
}

bool DivergenceWatch::check(double mean_loss) {
  if (has_reference_ && !std::isfinite(reference_)) {
    why_ = "the loss of the first step was already NaN/Inf";
    return true;
  }
  if (!std::isfinite(mean_loss)) {
    why_ = "the training loss became NaN/Inf";
    return true;
  }
  if (factor_ > 0 && reference_ > 0 && mean_loss > factor_ * reference_) {
    if (++above_ >= checks_) {
      why_ = fmt::format("the training loss rose to {:.3g}, {:.3g}x its first step's {:.3g}", mean_loss,
                         mean_loss / reference_, reference_);
      return true;
    }
  } else {
    above_ = 0;
  }
  return false;
}

}  // namespace powertrain
