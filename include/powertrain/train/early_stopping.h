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
  // Divergence: the training loss above divergence_factor x its first step's loss for
  // divergence_checks progress checks in a row (about 50 a epoch) ends the run as diverged;
  // 0 turns the rule off (a NaN or infinite loss always ends it).
  double divergence_factor = 10.0;
  int divergence_checks = 3;
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

// Watches the training loss during the epochs: the first step's loss (the untrained model's)
// is the reference; a later mean loss (over the steps since the last check) that is NaN or
// infinite, or above divergence_factor x the reference for divergence_checks checks in a
// row, means the run diverged. why() then says how, for the run's stop reason.
//
// Example:
//   powertrain::DivergenceWatch watch(spec);
//   watch.first_loss(2.30);
//   if (watch.check(3e21)) ...  // after 3 such checks: true, why() "the training loss rose to 3e+21, ..."
class DivergenceWatch {
 public:
  explicit DivergenceWatch(const EarlyStoppingSpec& spec) : factor_(spec.divergence_factor), checks_(spec.divergence_checks) {}
  // The loss of the first training step; a non-finite one is a divergence of its own.
  void first_loss(double loss) {
    reference_ = loss;
    has_reference_ = true;
  }
  bool has_reference() const { return has_reference_; }
  // Feeds the mean loss since the last check; returns true once the run diverged.
  bool check(double mean_loss);
  const std::string& why() const { return why_; }

 private:
  double factor_;
  int checks_;
  double reference_ = NAN;
  bool has_reference_ = false;
  int above_ = 0;
  std::string why_;
};

}  // namespace powertrain
