// early_stopping.cpp: the stop decision after each epoch (divergence, target, patience, max epochs).
//
// Order of the checks in update(): a NaN/Inf val_loss stops at once ("diverged", never
// "improved"); otherwise the monitored value is compared with the best (the first epoch
// always improves); then the stop reasons in priority order: "target" (val_metric >=
// target), "patience" (patience > 0 epochs in a row without improvement), "max_epochs"
// (epoch >= max_epochs).
#include "powertrain/train/early_stopping.h"

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

}  // namespace powertrain
