// The learning-rate range test: an exponential LR sweep over mini-batches, its loss curve,
// a suggested max LR, and the energy the sweep cost.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>

#include "powertrain/energy/carbon.h"
#include "powertrain/store/run_recorder.h"
#include "powertrain/train/trainer.h"
#include "train/compat.h"
#include "train/optim/optimizer.h"
#include "train/session.h"

namespace powertrain {

LrFindResult lr_find(const TrainConfig& cfg, const LrFindSpec& spec, const TrainHooks& hooks) {
  if (!(spec.start_lr > 0) || !(spec.end_lr > spec.start_lr) || spec.steps < 5) {
    throw ConfigError("lr-find: need 0 < start_lr < end_lr and at least 5 steps");
  }
  auto say = [&](const std::string& m) { if (hooks.on_message) hooks.on_message(m); };
  const GridIntensity grid = train::grid_of(cfg);
  train::Session s = train::open_session(cfg, say);
  train::BatchIterator batches(s.data.train, cfg.training.batch_size, true, static_cast<uint64_t>(cfg.training.seed), s.device);

  std::vector<std::string> warnings;
  torch::Device device = s.device;
  Meter meter(discover_sources(hooks.sensors, &warnings),
              MeterOptions().interval_s(cfg.energy.interval_ms / 1000.0).on_edge([device] { train::compat::synchronize(device); }));
  for (const auto& w : warnings) say("energy: " + w);
  meter.start();
  RunStart start;
  start.kind = "lr_find";
  start.name = cfg.name + " lr-find";
  start.command = hooks.command;
  start.grid = grid;
  start.pue = cfg.energy.pue;
  RunRecorder recorder(hooks.store, meter, start, say);
  int window = meter.begin("lr-find");

  LrFindResult r;
  r.run_id = recorder.run_id();
  s.model->train();
  double avg = 0, best = INFINITY;
  train::Batch b;
  batches.reset();
  for (int i = 0; i < spec.steps; ++i) {
    if (!batches.next(b)) {
      batches.reset();
      batches.next(b);
    }
    double lr = spec.start_lr * std::pow(spec.end_lr / spec.start_lr, static_cast<double>(i) / (spec.steps - 1));
    train::set_learning_rate(*s.optimizer, lr);
    s.optimizer->zero_grad();
    auto out = train::batch_loss(s, b.x, b.y);
    out.loss.backward();
    s.optimizer->step();
    double loss = out.loss.item<double>();
    avg = spec.smoothing * avg + (1 - spec.smoothing) * loss;
    double smoothed = avg / (1 - std::pow(spec.smoothing, i + 1));  // bias-corrected
    r.lr.push_back(lr);
    r.loss.push_back(loss);
    r.smoothed_loss.push_back(smoothed);
    if (hooks.on_step) hooks.on_step(TrainProgress{1, 1, i + 1, spec.steps, smoothed, 0});
    if (!std::isfinite(smoothed) || smoothed > spec.diverge_factor * best) {
      r.stopped_early = true;
      break;
    }
    best = std::min(best, smoothed);
    if (hooks.stop_requested && hooks.stop_requested->load()) break;
  }
  r.energy = meter.end(window);
  meter.stop();

  // Suggestions: the lowest smoothed loss, and the steepest descent before it.
  size_t n = r.smoothed_loss.size(), min_i = 0;
  for (size_t i = 0; i < n; ++i) {
    if (std::isfinite(r.smoothed_loss[i]) && r.smoothed_loss[i] < r.smoothed_loss[min_i]) min_i = i;
  }
  if (n > 0) r.min_loss_lr = r.lr[min_i];
  size_t skip = n / 10;  // the first points are noisy
  double steepest = INFINITY;
  for (size_t i = std::max<size_t>(skip, 1); i <= min_i && i < n; ++i) {
    double slope = (r.smoothed_loss[i] - r.smoothed_loss[i - 1]) / (std::log(r.lr[i]) - std::log(r.lr[i - 1]));
    if (slope < steepest) {
      steepest = slope;
      r.suggested_lr = r.lr[i];
    }
  }
  if (!std::isfinite(r.suggested_lr)) r.suggested_lr = r.min_loss_lr / 10;

  RunDetails details;
  details.config_json = train_config_json(cfg);
  details.lr_sweep = LrSweep{r.lr, r.loss, r.smoothed_loss, r.suggested_lr, r.min_loss_lr};
  details.warnings = warnings;
  recorder.finish(RunStatus::completed, 0, r.energy, details);
  return r;
}

}  // namespace powertrain
