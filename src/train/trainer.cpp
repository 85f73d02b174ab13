// The training loop: epochs as meter windows, LR schedule per step, mixed precision with
// loss scaling, early stopping, best checkpoint, and the run recorded as it goes.
#include "powertrain/train/trainer.h"
#include "powertrain/train/forecast.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>

#include "powertrain/energy/carbon.h"
#include "powertrain/energy/power_limit.h"
#include "powertrain/store/run_recorder.h"
#include "powertrain/train/early_stopping.h"
#include "powertrain/train/schedule.h"
#include "train/compat.h"
#include "train/optim/loss_scaler.h"
#include "train/optim/optimizer.h"
#include "train/session.h"
#include "util/fs.h"

namespace powertrain {

using train::Session;

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The meter for a training: its windows end after the device finished its queued work.
std::unique_ptr<Meter> make_meter(const TrainConfig& cfg, const TrainHooks& hooks, torch::Device device,
                                  std::vector<std::string>* warnings) {
  auto sources = discover_sources(hooks.sensors, warnings);
  return std::make_unique<Meter>(std::move(sources), MeterOptions()
                                                         .interval_s(cfg.energy.interval_ms / 1000.0)
                                                         .on_edge([device] { train::compat::synchronize(device); }));
}


// Refuses, before anything is trained, an output file that could not be written at the end.
void check_output_paths(const TrainConfig& cfg) {
  for (const auto& [key, path] : {std::pair<const char*, const std::string&>{"checkpoint.path", cfg.checkpoint.path},
                                  {"model.save_encoder_path", cfg.model.save_encoder_path}}) {
    if (std::string why = util::check_output_path(path); !why.empty()) {
      throw ConfigError("config " + cfg.source + ": " + key + ": cannot write " + path + ": " + why);
    }
  }
}

}  // namespace

TrainResult train_model(const TrainConfig& cfg, const TrainHooks& hooks) {
  auto say = [&](const std::string& m) { if (hooks.on_message) hooks.on_message(m); };
  check_output_paths(cfg);
  const std::atomic<bool>* stop = hooks.stop_requested;
  GridIntensity grid = train::grid_of(cfg);
  Session s = train::open_session(cfg, say);
  std::unique_ptr<GpuPowerLimit> power_limit;  // training.power_limit_w for the run, put back when it ends
  train::hold_power_limit(power_limit, cfg, s.device, hooks.sensors.nvml_library, say);

  TrainResult r;
  r.device = s.device.str();
  r.precision = cfg.training.precision;
  r.threads = s.threads;
  r.parameters = train::parameter_count(*s.model);
  r.trainable_parameters = train::parameter_count(*s.model, true);
  r.train_examples = s.data.train.size();
  r.val_examples = s.data.val.size();
  r.test_examples = s.data.test.size();
  r.model_summary = train::model_summary(s.model);
  if (hooks.print_summary) say(r.model_summary);

  train::BatchIterator batches(s.data.train, cfg.training.batch_size, /*shuffle=*/true,
                               static_cast<uint64_t>(cfg.training.seed), s.device);
  const long steps_per_epoch = batches.batches_per_epoch();
  ScheduleSpec sched_spec = cfg.schedule;
  sched_spec.total_steps = steps_per_epoch * cfg.training.epochs;
  Schedule schedule = [&] {
    try {
      return Schedule(sched_spec, cfg.optimizer.lr);
    } catch (const std::invalid_argument& e) {
      throw ConfigError("config " + cfg.source + ": schedule: " + e.what());
    }
  }();
  EarlyStoppingSpec es = cfg.early_stopping;
  es.max_epochs = cfg.training.epochs;
  EarlyStopping stopper(es);
  DivergenceWatch divergence(es);
  train::LossScalerSpec scaler_spec;
  scaler_spec.enabled = s.amp && s.amp_dtype == torch::kHalf;
  train::LossScaler scaler(scaler_spec);

  std::vector<std::string> warnings;
  auto meter = make_meter(cfg, hooks, s.device, &warnings);
  for (const auto& w : warnings) say("energy: " + w);
  meter->start();
  RunStart start;
  start.kind = "train";
  start.name = cfg.name;
  start.command = hooks.command;
  start.grid = grid;
  start.pue = cfg.energy.pue;
  start.details.config_json = train_config_json(cfg);
  start.details.warnings = warnings;
  RunRecorder recorder(hooks.store, *meter, start, say);
  r.run_id = recorder.run_id();
  try {
    r.checkpoint_path = "";
    int run_window = meter->begin("run");

    long global_step = 0;
    double train_time_s = 0;
    int64_t trained_examples = 0;
    s.model->train();
    for (int epoch = 1; epoch <= cfg.training.epochs; ++epoch) {
      int window = meter->begin("epoch " + std::to_string(epoch));
      double t0 = now_s();
      batches.reset();
      train::Batch b;
      torch::Tensor loss_sum = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat64).device(s.device));
      long step = 0, checked_steps = 0;
      double checked_sum = 0;
      bool diverged = false, interrupted = false;
      const long report_every = std::max<long>(1, steps_per_epoch / 50);
      while (batches.next(b)) {
        torch::Tensor loss = train::train_step(s, b.x, b.y, schedule, global_step, scaler);
        if (!divergence.has_reference()) divergence.first_loss(loss.item<double>());  // the untrained model's loss
        loss_sum += loss.to(torch::kFloat64);
        ++step;
        ++global_step;
        trained_examples += b.x.size(0);
        if (step % report_every == 0 || step == steps_per_epoch) {
          const double sum = loss_sum.item<double>();  // one sync every few steps
          const double recent_loss = (sum - checked_sum) / static_cast<double>(step - checked_steps);
          checked_sum = sum;
          checked_steps = step;
          if (divergence.check(recent_loss)) { diverged = true; break; }
          if (hooks.on_step) {
            hooks.on_step(TrainProgress{epoch, cfg.training.epochs, step, steps_per_epoch, sum / static_cast<double>(step),
                                        now_s() - t0});
          }
        }
        if (stop && stop->load()) { interrupted = true; break; }
      }
      train::compat::synchronize(s.device);
      double epoch_train_s = now_s() - t0;
      train_time_s += epoch_train_s;
      EpochRecord rec;
      rec.epoch = epoch;
      rec.train_loss = step > 0 ? loss_sum.item<double>() / static_cast<double>(step) : NAN;
      if (!diverged && !std::isfinite(rec.train_loss)) diverged = true;
      train::Evaluation val;
      if (!diverged && !interrupted) val = train::evaluate(s, s.data.val, stop);
      if (val.interrupted) interrupted = true;
      Measurement m = meter->end(window);
      rec.val_loss = val.loss;
      rec.val_metric = val.metric;
      if (std::isfinite(val.aux_metric)) rec.metrics["aux_accuracy"] = val.aux_metric;  // multitask: the second head's
      rec.lr = train::learning_rate(*s.optimizer);
      rec.duration_s = m.duration_s;
      rec.energy_j = m.total_energy_j();
      rec.energy_uncertainty_j = m.total_uncertainty_j();
      rec.energy_provenance = m.total_provenance();
      rec.avg_power_w = m.avg_power_w();
      rec.samples_per_s = epoch_train_s > 0 ? static_cast<double>(step * cfg.training.batch_size) / epoch_train_s : NAN;
      rec.loss_scale = scaler.enabled() ? scaler.current_scale() : NAN;
      rec.skipped_steps = scaler.skipped_steps();
      rec.diverged = diverged;
      if (!diverged && !interrupted) {
        // What the run will have spent when it stops, from its learning curve so far (train/forecast.h).
        std::vector<EpochRecord> so_far = r.epochs;
        so_far.push_back(rec);
        ForecastRules rules;
        rules.max_epochs = cfg.training.epochs;
        rules.target = cfg.early_stopping.target;
        rules.patience = cfg.early_stopping.patience;
        rules.min_delta = cfg.early_stopping.min_delta;
        const EnergyForecast f = forecast_energy(so_far, rules);
        auto put = [&](const char* key, double v) { if (std::isfinite(v)) rec.metrics[key] = v; };
        put("forecast_energy_j", f.energy_j);
        put("forecast_energy_low_j", f.energy_low_j);
        put("forecast_energy_high_j", f.energy_high_j);
        put("forecast_duration_s", f.duration_s);
        put("forecast_stop_epoch", f.stop_epoch);
      }
      r.epochs.push_back(rec);
      r.epochs_run = epoch;
      recorder.epoch(rec);
      if (hooks.on_epoch) hooks.on_epoch(rec);

      if (interrupted) {
        r.status = RunStatus::interrupted;
        r.stop_reason = fmt::format("interrupted during epoch {}", epoch);
        break;
      }
      StopDecision d = stopper.update(epoch, diverged ? NAN : val.loss, val.metric);
      if (d.improved) {
        r.best_epoch = epoch;
        r.best_val_loss = val.loss;
        r.best_val_metric = val.metric;
        if (!cfg.checkpoint.path.empty()) {
          train::save_checkpoint(cfg.checkpoint.path, s, epoch, val.loss, val.metric);
          r.checkpoint_path = cfg.checkpoint.path;
        }
      }
      if (d.stop) {
        if (d.reason == "diverged") {
          r.status = RunStatus::diverged;
          r.stop_reason = fmt::format("{} in epoch {} (learning rate {:.3g}): lower optimizer.lr",
                                      divergence.why().empty() ? "the validation loss became NaN/Inf" : divergence.why(),
                                      epoch, rec.lr);
        } else if (d.reason == "target") {
          r.status = RunStatus::target_reached;
          r.stop_reason = fmt::format("validation metric {:.4f} reached the target {:.4f}", val.metric, es.target);
        } else if (d.reason == "patience") {
          r.status = RunStatus::early_stopped;
          r.stop_reason = fmt::format("no improvement of {} for {} epochs (best epoch {})", es.monitor, es.patience, stopper.best_epoch());
        } else {
          r.status = RunStatus::completed;
          r.stop_reason = fmt::format("reached the maximum of {} epochs", cfg.training.epochs);
        }
        break;
      }
    }
    if (r.status == RunStatus::running) {
      r.status = RunStatus::completed;
      r.stop_reason = fmt::format("reached the maximum of {} epochs", cfg.training.epochs);
    }

    // Test the best weights.
    if (!r.checkpoint_path.empty() && r.best_epoch != r.epochs_run) train::load_checkpoint(r.checkpoint_path, s, false);
    if (r.status != RunStatus::diverged && r.status != RunStatus::interrupted) {
      train::Evaluation test = train::evaluate(s, s.data.test, stop);
      r.test_loss = test.loss;
      r.test_metric = test.metric;
      if (test.interrupted) {
        r.status = RunStatus::interrupted;
        r.stop_reason = "interrupted during the test (the epochs are stored)";
      }
    }
    if (!cfg.model.save_encoder_path.empty() && r.status != RunStatus::diverged) {
      s.model->save_encoder(cfg.model.save_encoder_path);
      say("encoder saved to " + cfg.model.save_encoder_path);
    }

    r.run_energy = meter->end(run_window);
    meter->stop();
    r.energy_j = r.run_energy.total_energy_j();
    r.energy_uncertainty_j = r.run_energy.total_uncertainty_j();
    r.energy_provenance = r.run_energy.total_provenance();
    r.duration_s = r.run_energy.duration_s;
    r.samples_per_s = train_time_s > 0 ? static_cast<double>(trained_examples) / train_time_s : NAN;
    double to_best = 0;
    for (const auto& e : r.epochs) if (e.epoch <= r.best_epoch) to_best += e.energy_j;
    r.energy_to_best_j = r.best_epoch > 0 ? to_best : NAN;
    r.co2e_g = carbon_from_energy(r.energy_j, grid, cfg.energy.pue).co2e_g;
    RunDetails details = start.details;
    details.outcome = TrainOutcome{r.best_epoch, r.best_val_metric, r.test_metric, r.stop_reason, r.parameters,
                                   r.device,     r.threads,         r.precision,   r.samples_per_s};
    recorder.finish(r.status, r.status == RunStatus::diverged || r.status == RunStatus::interrupted ? 1 : 0, r.run_energy, details);
    return r;
  } catch (const std::exception& e) {
    // Keep what was trained: the epochs are already stored; the run is marked failed.
    recorder.fail(e.what());
    throw;
  }
}

}  // namespace powertrain
