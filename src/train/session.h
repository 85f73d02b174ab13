// Private to train/: everything one training needs, set up from a TrainConfig (data on
// its device, model, optimizer, precision), and the loss/evaluation steps shared by the
// trainer and the LR range test.
#pragma once

#include <atomic>

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "powertrain/energy/carbon.h"
#include "powertrain/train/config.h"
#include "train/data/dataset.h"
#include "train/models/model.h"
#include "train/optim/loss_scaler.h"
#include "powertrain/train/schedule.h"

namespace powertrain {
class GpuPowerLimit;
}

namespace powertrain::train {

struct Session {
  TrainConfig cfg;
  torch::Device device{torch::kCPU};
  int threads = 1;                               // LibTorch intra-op threads
  int blas_threads = 0;                          // OpenBLAS threads set (0: no OpenBLAS found)
  bool amp = false;                              // mixed precision autocast on
  torch::ScalarType amp_dtype = torch::kFloat32; // kHalf or kBFloat16 when amp
  Splits data;
  torch::Tensor aux_table;                       // label -> auxiliary label (multitask), else undefined
  int64_t aux_classes = 0;
  Model model{nullptr};
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  std::vector<torch::Tensor> params;             // trainable parameters
};

// Returns the train/validation/test splits the data config describes (read from disk).
Splits load_splits(const DataConfig& d);

// Makes `held` hold the GPU trained on at cfg.training.power_limit_w: set (or changed) when
// > 0, released (the limit found put back) when 0. Throws ConfigError, naming the key and
// the fix, when the device is not CUDA or the limit cannot be set (energy/power_limit.h).
void hold_power_limit(std::unique_ptr<GpuPowerLimit>& held, const TrainConfig& cfg, torch::Device device,
                      const std::string& nvml_library, const std::function<void(const std::string&)>& say);

// Returns a ready session; `say` receives one line per setup fact. Throws ConfigError or
// std::runtime_error (DataError, ModelError) with a clear message.
// With `data`, uses those splits (tensors are shared, not copied) instead of loading them:
// a study's many sessions share one dataset in memory.
Session open_session(const TrainConfig& cfg, const std::function<void(const std::string&)>& say,
                     const Splits* data = nullptr);

// The loss of one batch (under autocast when on), and the number of correct main-task
// predictions in it (undefined for an autoencoder).
struct BatchLoss {
  torch::Tensor loss;
  torch::Tensor correct;
  torch::Tensor aux_correct;  // multitask: the auxiliary head's correct predictions
};
BatchLoss batch_loss(Session& s, const torch::Tensor& x, const torch::Tensor& y);

// One optimisation step on a batch: LR (and momentum) from the schedule at `global_step`,
// forward under autocast, backward of the (scaled) loss, optimizer step unless the fp16
// scaler found Inf/NaN gradients. Returns the (unscaled) loss, still on the device.
torch::Tensor train_step(Session& s, const torch::Tensor& x, const torch::Tensor& y, const Schedule& schedule,
                         long global_step, LossScaler& scaler);

// Mean loss and metric (main-task accuracy; NaN for an autoencoder) over a dataset, in
// eval mode without gradients. When `stop` is set during it (Ctrl-C), it ends after the
// current batch: interrupted, loss and metric NaN.
struct Evaluation {
  double loss = NAN;
  double metric = NAN;
  double aux_metric = NAN;  // multitask: the auxiliary head's accuracy
  bool interrupted = false;
};
Evaluation evaluate(Session& s, const Dataset& d, const std::atomic<bool>* stop = nullptr);

// Saves model + optimizer + facts to `path` atomically (temp file, then rename).
void save_checkpoint(const std::string& path, Session& s, int epoch, double val_loss, double val_metric);
// Loads model (and optimizer when `with_optimizer`) weights from `path` into the session;
// returns the epoch stored. Throws std::runtime_error naming the file on mismatch.
int load_checkpoint(const std::string& path, Session& s, bool with_optimizer);

// Returns the carbon grid of the config's energy.grid. Throws ConfigError naming the key
// when the table has no such grid.
GridIntensity grid_of(const TrainConfig& cfg);

}  // namespace powertrain::train
