// powertrain/train/config.h: what to train, as a JSON file (documented in docs/train.md).
//
// Every key has a default, so `{}` is a valid config (an MLP on Fashion-MNIST). Unknown
// keys, wrong types and impossible values are errors that name the key and the allowed
// values. `--set key.path=value` overrides apply before validation.
//
// Example:
//   auto cfg = powertrain::load_train_config("examples/fashion_mlp.json", {"optimizer.lr=0.01"});
//   std::cout << cfg.model.type << " " << cfg.optimizer.lr << "\n";
#pragma once

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "powertrain/train/early_stopping.h"
#include "powertrain/train/schedule.h"
#include "powertrain/tune/space.h"

namespace powertrain {

// Thrown for every config problem; what() names the file, the key and the fix.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct DataConfig {
  std::string format = "idx";                                // idx, cifar10, pamap2, csv
  std::string path = "/usr/share/datasets/fashion-mnist";    // directory (idx, cifar10), file (csv), directory or .dat file (pamap2)
  std::string test_path;                                     // csv: a separate test file (else test_fraction is held out)
  std::string label_column = "label";                        // csv
  int64_t window = 128;                                      // pamap2: samples per window (1.28 s at 100 Hz)
  int64_t stride = 64;                                       // pamap2: samples between window starts
  double val_fraction = 0.1;
  double test_fraction = 0.2;                                // only where the format has no test split
  int64_t subset = 0;                                        // >0: train on this many examples
  int64_t seed = 0;                                          // split seed
  std::string standardize = "auto";                          // auto (pamap2, csv: yes; images: no), yes, no
};

struct ModelConfig {
  std::string type = "mlp";                // mlp, cnn, tutorial_cnn, lenet5, resnet, resnet18, conv1d
  std::vector<int64_t> hidden = {256};     // mlp hidden widths
  int64_t width = 16;                      // cnn/resnet/conv1d base channels
  std::vector<int64_t> channels;           // cnn: channels of each 3x3 conv block (empty: [width, 2 x width])
  int64_t dense = 0;                       // cnn: a dense ReLU layer of this width on the flattened maps (0: global average pooling)
  bool batch_norm = true;                  // cnn: BatchNorm after each convolution
  int64_t depth = 20;                      // resnet: 6n+2
  double dropout = 0.0;
  int64_t feature_dim = 0;                 // >0: linear bottleneck (autoencoder latent)
  std::string encoder_path;                // load pretrained encoder weights from this file
  bool freeze_encoder = false;             // keep the (pretrained) encoder fixed
  std::string save_encoder_path;           // after training, save the encoder here
};

struct OptimizerConfig {
  std::string type = "adam";               // sgd, adam, adamw
  double lr = 1e-3;
  double momentum = 0.9;                   // sgd momentum, adam beta1
  double beta2 = 0.999;
  bool nesterov = false;
  double weight_decay = 0.0;               // adamw: decoupled
};

struct TrainingConfig {
  int epochs = 10;                         // maximum epochs
  int64_t batch_size = 128;
  int64_t eval_batch_size = 1024;
  std::string precision = "fp32";          // fp32, fp16 (mixed, loss scaling; CUDA), bf16 (mixed)
  std::string device = "auto";             // auto (cuda if available), cpu, cuda, cuda:N
  int threads = 0;                         // CPU threads for LibTorch; 0 = every online CPU
  int blas_threads = 0;                    // OpenBLAS's own threads; 0 = 1 when threads > 1, else every CPU
  int64_t seed = 0;                        // weights and batch order
  double power_limit_w = 0;                // >0: the CUDA GPU trained on runs at this power limit (NVML; root), restored after; 0 = as it is
};

struct CheckpointConfig {
  std::string path;                        // best model + optimizer; "" = none
};

struct EnergyConfig {
  double interval_ms = 100;
  std::string grid = "WORLD";
  double pue = 1.0;
};

struct MultitaskConfig {
  std::string aux = "";                    // second task derived from the labels: "" (none), fashion_coarse, parity
  std::vector<double> alpha = {1.0, 1.0};  // loss = alpha[0] * L_main + alpha[1] * L_aux
};

struct TrainConfig {
  std::string name = "train";
  std::string task = "classify";           // classify, autoencoder
  DataConfig data;
  ModelConfig model;
  OptimizerConfig optimizer;
  ScheduleSpec schedule;                   // total_steps is filled in by the trainer
  TrainingConfig training;
  EarlyStoppingSpec early_stopping;        // max_epochs comes from training.epochs
  CheckpointConfig checkpoint;
  EnergyConfig energy;
  MultitaskConfig multitask;
  std::string source;                      // where the config came from (file name)
};

// Returns the config in `path` with `overrides` ("key.path=value") applied. Throws
// ConfigError naming the file, the key and the allowed values.
TrainConfig load_train_config(const std::string& path, const std::vector<std::string>& overrides = {});
// Returns the config parsed from JSON text; `origin` names it in errors.
TrainConfig parse_train_config(const std::string& json_text, const std::string& origin,
                               const std::vector<std::string>& overrides = {});
// Returns the config as JSON text (all keys, defaults included), for storing with a run.
std::string train_config_json(const TrainConfig& cfg);

// Returns `base` with a study configuration's keys ("optimizer.lr", "training.batch_size",
// ...) applied as --set overrides, validated as a config file is. Throws ConfigError naming
// the key: an unknown key, an impossible value, or a data.* key (trials share one dataset).
TrainConfig apply_tune_config(const TrainConfig& base, const tune::Config& config);

}  // namespace powertrain
