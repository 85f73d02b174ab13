// powertrain/train/tune_objective.h: real training as the objective of a hyperparameter study.
//
// A study's configuration sets keys of a base TrainConfig ("optimizer.lr", "training.batch_size",
// "model.width", ... as with --set). Each configuration keeps its own model, optimizer and
// schedule in memory, so training it further continues where it stopped; all share one copy
// of the dataset. Every epoch is a meter window: its energy (counter or Eq. 1, provenance as
// measured) is what the study counts. After a resume (the process died), a configuration's
// earlier epochs are retrained first and their energy is counted again, because it is spent
// again. No LibTorch in this header.
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
  // Energy provenance of the epochs so far: the weakest seen ("missing" before any).
  std::string energy_provenance() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Returns `base` with the config's keys applied as --set overrides (validated).
TrainConfig apply_tune_config(const TrainConfig& base, const tune::Config& config);

}  // namespace powertrain
