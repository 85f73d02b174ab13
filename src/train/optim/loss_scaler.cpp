// loss_scaler.cpp: dynamic loss scaling with plain tensor ops (CPU and CUDA, LibTorch 1.13 and 2.x).
//
// unscale_and_check() multiplies each gradient by 1/scale in place and folds "all finite"
// into one boolean tensor per device, so the host waits once per device, not once per
// parameter.
#include "train/optim/loss_scaler.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace powertrain::train {

LossScaler::LossScaler(const LossScalerSpec& spec) : spec_(spec), scale_(1.0) {
  auto invalid = [](const std::string& what) { throw std::invalid_argument("loss scaler: " + what); };
  if (!std::isfinite(spec_.init_scale) || spec_.init_scale <= 0)
    invalid("init_scale must be a finite number > 0 (got " + std::to_string(spec_.init_scale) + ")");
  if (!std::isfinite(spec_.growth_factor) || spec_.growth_factor <= 1)
    invalid("growth_factor must be > 1 (got " + std::to_string(spec_.growth_factor) + ")");
  if (!(spec_.backoff_factor > 0 && spec_.backoff_factor < 1))
    invalid("backoff_factor must be in (0, 1) (got " + std::to_string(spec_.backoff_factor) + ")");
  if (spec_.growth_interval < 1)
    invalid("growth_interval must be >= 1 (got " + std::to_string(spec_.growth_interval) + ")");
  if (spec_.enabled) scale_ = spec_.init_scale;
}

torch::Tensor LossScaler::scale(const torch::Tensor& loss) const {
  if (!spec_.enabled) return loss;
  return loss * scale_;
}

bool LossScaler::unscale_and_check(const std::vector<torch::Tensor>& params) {
  if (!spec_.enabled) return false;
  torch::NoGradGuard no_grad;
  const double inv = 1.0 / scale_;
  // One "all finite" flag per device (almost always a single one).
  std::vector<torch::Tensor> all_finite;
  for (const auto& p : params) {
    if (!p.defined()) continue;
    torch::Tensor g = p.grad();
    if (!g.defined()) continue;
    g.mul_(inv);
    torch::Tensor ok = torch::isfinite(g).all();
    bool merged = false;
    for (auto& acc : all_finite) {
      if (acc.device() == ok.device()) {
        acc.logical_and_(ok);
        merged = true;
        break;
      }
    }
    if (!merged) all_finite.push_back(ok);
  }
  bool found_inf = false;
  for (const auto& acc : all_finite)
    if (!acc.item<bool>()) found_inf = true;
  return found_inf;
}

void LossScaler::update(bool found_inf) {
  if (!spec_.enabled) return;
  if (found_inf) {
    scale_ *= spec_.backoff_factor;
    clean_steps_ = 0;
    ++skipped_;
    return;
  }
  if (++clean_steps_ >= spec_.growth_interval) {
    scale_ *= spec_.growth_factor;
    clean_steps_ = 0;
  }
}

}  // namespace powertrain::train
