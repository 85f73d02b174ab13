// Private to train/: dynamic loss scaling for fp16 mixed precision (LibTorch has no
// GradScaler in C++, and its _amp_* scaling kernels have no CPU version in 1.13, so this
// uses plain tensor ops that run on every device).
//
// Per step: backward on scale() x loss; then unscale_and_check() divides the gradients
// by the scale and reports whether any is Inf/NaN; step the optimizer only if they are
// finite; then update(found_inf): on overflow the scale is multiplied by backoff_factor
// and the step skipped, after growth_interval clean steps it is multiplied by growth_factor.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace powertrain::train {

struct LossScalerSpec {
  double init_scale = 65536.0;   // 2^16, as PyTorch's GradScaler
  double growth_factor = 2.0;
  double backoff_factor = 0.5;
  int growth_interval = 2000;
  bool enabled = true;           // disabled: scale 1, never skips (fp32, bf16)
};

class LossScaler {
 public:
  explicit LossScaler(const LossScalerSpec& spec = LossScalerSpec());
  // Returns loss x scale (loss unchanged when disabled).
  torch::Tensor scale(const torch::Tensor& loss) const;
  // Divides every defined gradient of `params` by the scale in place. Returns true if any
  // gradient holds Inf or NaN (after which the optimizer step must be skipped).
  bool unscale_and_check(const std::vector<torch::Tensor>& params);
  // Updates the scale after a step: backoff on overflow, growth after growth_interval
  // clean steps.
  void update(bool found_inf);
  double current_scale() const { return scale_; }
  long skipped_steps() const { return skipped_; }
  bool enabled() const { return spec_.enabled; }

 private:
  LossScalerSpec spec_;
  double scale_;
  int clean_steps_ = 0;
  long skipped_ = 0;
};

}  // namespace powertrain::train
