// powertrain/train/tune_objective.h: real training as the objective of a hyperparameter study.
//
// A study's configuration sets keys of a base TrainConfig ("optimizer.lr", "training.batch_size",
// "model.width", ... as with --set). Each configuration keeps its own model, optimizer and
// schedule in memory, so training it further continues where it stopped; all share one copy
// of the dataset. Every epoch is a meter window: its energy (counter or Eq. 1, provenance as
// measured) is what the study counts. With keep_states_in(dir), every trial's end saves the
// configuration's state (weights, optimizer, epoch) there, and a later process (a resumed
// study, another worker on the same files) continues from it. Without a saved state for the
// epoch the study recorded, a configuration's earlier epochs are retrained first and their
// energy is counted again, because it is spent again. Each epoch's batch order depends only
// on the seed and the epoch, so a continued configuration trains as it would have. No
// LibTorch in this header.
//
// Example:
//   powertrain::TrainingObjective objective(base_config, powertrain::DiscoverOptions());
//   powertrain::tune::Tuner tuner(objective, options);
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "powertrain/energy/source.h"
#include "powertrain/train/config.h"
#include "powertrain/tune/tuner.h"

namespace powertrain {

class TrainingObjective : public tune::Objective {
 public:
  // `say` receives setup facts (data, sensors). Throws ConfigError for a bad base config.
  TrainingObjective(const TrainConfig& base, const DiscoverOptions& sensors,
                    std::function<void(const std::string&)> say = {});
  ~TrainingObjective() override;
  // Trains epoch `epoch` of `config`; the metric is the validation accuracy (or -val loss
  // for an autoencoder). Throws ConfigError when a key of the config is not a config key.
  tune::EpochOutcome train_epoch(const tune::Config& config, int epoch) override;
  // A probe of `config`: a throwaway copy of it (fresh model, same data, device, precision
  // and batch size) trains kProbeWarmupSteps steps, then kProbeSteps steps in a meter window
  // (fewer when an epoch has fewer batches); the configuration itself is not touched. The
  // energy per sample is the measured steps' energy over their samples.
  // With `lr_sweep` (ascending), the warm-up trains at its lowest learning rate and the
  // measured steps at each of them in turn, the same number each (kMinStepsPerLr at least,
  // else no sweep), at a constant learning rate; lr_instability is what the losses showed
  // (tune/lr_screen.h). The energy per sample does not depend on the learning rate.
  static constexpr int kProbeWarmupSteps = 5;
  static constexpr int kProbeSteps = 20;
  static constexpr int kMinStepsPerLr = 3;
  std::optional<tune::ProbeOutcome> probe(const tune::Config& config, const std::vector<double>& lr_sweep) override;
  // Energy provenance of the epochs so far: the weakest seen (missing before any).
  Provenance energy_provenance() const override;
  // Saves configuration states in `dir` (created if missing; one file per configuration,
  // its latest trial's end) and continues from them; returns true. Throws
  // std::runtime_error naming the directory when it cannot be created.
  bool keep_states_in(const std::string& dir) override;
  // Saves the state of `config` after `epochs` epochs (with keep_states_in). A failed save
  // is reported through `say` and the study goes on (the config is then retrained if needed).
  void trial_done(const tune::Config& config, int epochs) override;
  // Epochs trained by this objective (retrained ones included), and configurations
  // continued from a saved state.
  int epochs_trained() const;
  int states_restored() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Makes a TrainingObjective: the shape of search::TrainingObjectiveFactory, so the search
// layer (no LibTorch) can be given real training by `powertrain tune`, `worker` and the
// search study alike.
std::unique_ptr<tune::Objective> make_training_objective(const TrainConfig& base, const DiscoverOptions& sensors,
                                                         const std::function<void(const std::string&)>& say);

}  // namespace powertrain
