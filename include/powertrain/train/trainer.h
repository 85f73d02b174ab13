// powertrain/train/trainer.h: train one model from a TrainConfig, with energy per epoch.
//
// The trainer loads the data, builds the model and optimizer, and runs epochs until early
// stopping, a target metric, divergence, an interrupt or the epoch limit. Every epoch is a
// meter window ("epoch N" inside "run"); its energy is the counter difference or Eq. 1.
// With a store, the run is recorded as it starts and every epoch as it ends, so nothing
// trained is lost if the process dies. No LibTorch in this header.
//
// Example:
//   auto cfg = powertrain::load_train_config("examples/fashion_mlp.json");
//   powertrain::TrainResult r = powertrain::train_model(cfg);
//   std::cout << r.best_val_metric << " after " << r.energy_j << " J\n";
#pragma once

#include <atomic>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "powertrain/energy/meter.h"
#include "powertrain/energy/source.h"
#include "powertrain/store/store.h"
#include "powertrain/train/config.h"

namespace powertrain {

// Progress inside an epoch, for progress bars.
struct TrainProgress {
  int epoch = 0;             // 1-based
  int max_epochs = 0;
  long step = 0;             // steps done in this epoch
  long steps_per_epoch = 0;
  double loss = NAN;         // running mean training loss of this epoch
  double elapsed_s = 0;      // since the epoch began
};

struct TrainHooks {
  std::function<void(const TrainProgress&)> on_step;    // called every few steps
  std::function<void(const EpochRecord&)> on_epoch;     // called when an epoch ends
  std::function<void(const std::string&)> on_message;   // setup facts (data, model, device)
  Store* store = nullptr;                               // record the run and its epochs here
  std::string command;                                  // the command line, for the store
  DiscoverOptions sensors = DiscoverOptions();          // where to find energy sensors
  const std::atomic<bool>* stop_requested = nullptr;    // set (e.g. on Ctrl-C) to stop after the current step
  bool print_summary = false;                           // send the per-layer model summary to on_message
};

struct TrainResult {
  RunStatus status = RunStatus::running;  // completed, early_stopped, target_reached, diverged, interrupted
  std::string stop_reason;         // human-readable reason
  int epochs_run = 0;
  int best_epoch = 0;
  double best_val_metric = NAN;    // accuracy in [0,1] (classifiers)
  double best_val_loss = NAN;
  double test_metric = NAN;        // of the best weights (from the checkpoint when one is saved)
  double test_loss = NAN;
  double energy_j = NAN;           // whole run (setup, epochs, test), NaN if unknown
  double energy_uncertainty_j = NAN;
  Provenance energy_provenance = Provenance::missing;
  double energy_to_best_j = NAN;   // sum of the epochs up to and including the best one
  double duration_s = NAN;
  double co2e_g = NAN;
  double samples_per_s = NAN;      // mean training throughput
  int64_t parameters = 0;
  int64_t trainable_parameters = 0;
  std::string device;              // "cpu" or "cuda:0"
  std::string precision;
  int threads = 0;                 // LibTorch CPU threads used
  int64_t train_examples = 0, val_examples = 0, test_examples = 0;
  std::string model_summary;
  std::string checkpoint_path;     // "" when none was saved
  int64_t run_id = 0;              // 0 without a store
  std::vector<EpochRecord> epochs;
  Measurement run_energy;          // the "run" window with its components
};

// Trains as configured. Throws ConfigError / std::runtime_error with a clear message for
// problems found before training starts (missing data, bad model for the data, fp16 on a
// CPU, ...); problems during training end the run with a status instead.
TrainResult train_model(const TrainConfig& cfg, const TrainHooks& hooks = TrainHooks());

// The learning-rate range test (Smith): the LR grows exponentially from start_lr to
// end_lr over `steps` mini-batches; the smoothed loss is recorded until it exceeds
// diverge_factor x its minimum. The suggestion is the LR of the steepest descent of the
// smoothed loss (a good max_lr for one_cycle is about that, or min_loss_lr / 10).
struct LrFindSpec {
  double start_lr = 1e-6;
  double end_lr = 1.0;
  int steps = 100;
  double smoothing = 0.9;       // exponential smoothing of the loss (0 = none)
  double diverge_factor = 4.0;
};

struct LrFindResult {
  std::vector<double> lr, loss, smoothed_loss;
  double suggested_lr = NAN;    // steepest descent of the smoothed loss
  double min_loss_lr = NAN;     // LR at the lowest smoothed loss
  bool stopped_early = false;   // the loss diverged before end_lr
  Measurement energy;           // the sweep's energy
  int64_t run_id = 0;
};

LrFindResult lr_find(const TrainConfig& cfg, const LrFindSpec& spec, const TrainHooks& hooks = TrainHooks());

}  // namespace powertrain
