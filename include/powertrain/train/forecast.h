// powertrain/train/forecast.h: what a training run will cost by the time it stops,
// forecast after each epoch from its learning curve so far (no LibTorch).
//
// The stopping point is the run's own rule: the accuracy target, early stopping after
// `patience` epochs without improvement, or the maximum of epochs. The validation error
// (1 - accuracy) is fitted as a power law of the epoch, err(e) = a * e^-p (least squares in
// log-log over the epochs so far; a prior p = 0.35 in [0.15, 0.8] after one epoch), and extrapolated:
// to where it reaches the target, or to where its gain per epoch falls below the curve's own
// noise (then + patience). Energy and time per remaining epoch are the median of the epochs so
// far (the first excluded once there are others: it carries the warm-up). The interval comes
// from the spread of the fitted exponent and of the epochs' energies.
//
// Carbontracker's rule, for comparison: the mean of the first k epochs x the planned epochs.
//
// Example:
//   powertrain::ForecastRules rules;
//   rules.max_epochs = 20;
//   rules.target = 0.9;
//   powertrain::EnergyForecast f = powertrain::forecast_energy(epochs_so_far, rules);
//   // f.energy_j, [f.energy_low_j, f.energy_high_j], f.stop_epoch, f.stop_reason
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "powertrain/store/store.h"

namespace powertrain {

struct ForecastRules {
  int max_epochs = 10;
  double target = NAN;       // validation accuracy that stops the run (NaN: none)
  int patience = 0;          // early stopping after this many epochs without improvement (0: none)
  double min_delta = 0.0;    // an improvement must beat the best by more than this
};

struct EnergyForecast {
  int after_epoch = 0;             // the forecast uses epochs 1..after_epoch
  int stop_epoch = 0;              // the epoch the run is predicted to stop after
  int stop_epoch_low = 0, stop_epoch_high = 0;
  std::string stop_reason;         // "target", "patience", "max_epochs"
  double energy_j = NAN;           // training energy (sum of the epochs) at the stop
  double energy_low_j = NAN, energy_high_j = NAN;
  double duration_s = NAN;         // training time (sum of the epochs) at the stop
  double duration_low_s = NAN, duration_high_s = NAN;
};

// Returns the forecast from the finished epochs (in order, 1..k, with energy, duration and
// validation accuracy; k >= 1). Unknown energies make the energies NaN, never 0.
EnergyForecast forecast_energy(const std::vector<EpochRecord>& epochs, const ForecastRules& rules);

// Carbontracker's prediction after k epochs: the mean energy of the first k x max_epochs.
double carbontracker_forecast_j(const std::vector<EpochRecord>& epochs, int k, int max_epochs);

}  // namespace powertrain
