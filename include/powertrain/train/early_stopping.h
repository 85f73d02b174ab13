// powertrain/train/early_stopping.h: when to stop training (patience, min delta, target, max epochs).
//
// Example:
//   powertrain::EarlyStopping stop(powertrain::EarlyStoppingSpec{});  // val_loss, patience 5
//   for (int e = 1; ; ++e) { ...; auto d = stop.update(e, val_loss, val_acc); if (d.stop) break; }
#pragma once

#include <cmath>
#include <string>

namespace powertrain {

struct EarlyStoppingSpec {
  std::string monitor = "val_loss";  // "val_loss" (lower is better) or "val_metric" (higher is better)
  int patience = 5;                  // epochs without improvement before stopping; 0 = never
  double min_delta = 0.0;            // an improvement must beat the best by more than this
  double target = NAN;               // stop as soon as the val metric reaches this (NaN: none)
  int max_epochs = 10;               // hard limit
};

struct StopDecision {
  bool improved = false;   // this epoch is the best so far (save a checkpoint)
  bool stop = false;
  std::string reason;      // "patience", "target", "max_epochs", "diverged" or ""
};

class EarlyStopping {
 public:
  explicit EarlyStopping(const EarlyStoppingSpec& spec);
  // Feeds the results of `epoch` (1-based). A NaN or infinite val_loss means the run
  // diverged and stops it. Returns the decision.
  StopDecision update(int epoch, double val_loss, double val_metric);
  int best_epoch() const { return best_epoch_; }
  double best_value() const { return best_; }

 private:
  EarlyStoppingSpec spec_;
  double best_ = NAN;
  int best_epoch_ = 0;
  int since_best_ = 0;
};

}  // namespace powertrain
