// Real training as a study's objective: one live session per configuration, a shared
// dataset, a meter window per epoch.
#include "powertrain/train/tune_objective.h"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <system_error>

#include "powertrain/energy/meter.h"
#include "powertrain/energy/power_limit.h"
#include "train/compat.h"
#include "train/session.h"

namespace powertrain {

namespace {

// A stable file-name stem for a configuration: FNV-1a of its key, in hex.
std::string state_stem(const std::string& key) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : key) h = (h ^ c) * 1099511628211ull;
  return fmt::format("{:016x}", h);
}

}  // namespace

struct TrainingObjective::Impl {
  TrainConfig base;
  std::function<void(const std::string&)> say;
  train::Splits data;                       // loaded once, shared by every session
  std::unique_ptr<Meter> meter;
  std::string nvml_library;
  std::unique_ptr<GpuPowerLimit> power_limit;  // training.power_limit_w of what trains now
  Provenance provenance = Provenance::missing;
  bool any_epoch = false;
  std::string states_dir;  // "" = states are not kept
  int epochs_trained = 0;
  int states_restored = 0;

  struct Live {
    train::Session session;
    std::unique_ptr<Schedule> schedule;
    std::unique_ptr<train::LossScaler> scaler;
    std::unique_ptr<train::BatchIterator> batches;
    long step = 0;
    int epochs = 0;
  };
  std::map<std::string, std::unique_ptr<Live>> live;

  void tell(const std::string& line) const {
    if (say) say(line);
  }

  std::string state_path(const std::string& key, int epochs) const {
    return (std::filesystem::path(states_dir) / fmt::format("{}.e{}.pt", state_stem(key), epochs)).string();
  }

  // Loads the saved state of `key` after `epochs` epochs into `l`, if there is one.
  void restore(Live& l, const std::string& key, int epochs) {
    const std::string path = state_path(key, epochs);
    std::error_code ec;
    if (epochs < 1 || !std::filesystem::exists(path, ec)) return;
    try {
      const int saved = train::load_checkpoint(path, l.session, true);
      if (saved != epochs) throw std::runtime_error("it holds epoch " + std::to_string(saved));
    } catch (const std::exception& e) {
      tell(fmt::format("tune: cannot continue {} from {} ({}): training it again from the start", key, path, e.what()));
      return;
    }
    l.epochs = epochs;
    l.step = static_cast<long>(epochs * l.batches->batches_per_epoch());
    ++states_restored;
    tell(fmt::format("tune: {} continues from its state after epoch {} ({})", key, epochs, path));
  }

  // A fresh session of `config` (model, batches, schedule, loss scaler) on the shared data.
  std::unique_ptr<Live> start(const tune::Config& config) {
    TrainConfig cfg = apply_tune_config(base, config);
    auto l = std::make_unique<Live>();
    l->session = train::open_session(cfg, {}, &data);
    l->batches = std::make_unique<train::BatchIterator>(l->session.data.train, cfg.training.batch_size, true,
                                                        static_cast<uint64_t>(cfg.training.seed), l->session.device);
    ScheduleSpec spec = cfg.schedule;
    spec.total_steps = l->batches->batches_per_epoch() * cfg.training.epochs;
    l->schedule = std::make_unique<Schedule>(spec, cfg.optimizer.lr);
    train::LossScalerSpec scaler_spec;
    scaler_spec.enabled = l->session.amp && l->session.amp_dtype == torch::kHalf;
    l->scaler = std::make_unique<train::LossScaler>(scaler_spec);
    return l;
  }

  Live& session_for(const tune::Config& config) {
    std::string key = tune::config_key(config);
    auto it = live.find(key);
    if (it != live.end()) return *it->second;
    auto l = start(config);
    Live& ref = *l;
    live[key] = std::move(l);
    return ref;
  }

  // Trains one epoch of a live session; returns the metric and fills the energy.
  double run_epoch(Live& l, double* energy_j, double* duration_s) {
    auto& s = l.session;
    int window = meter->begin("trial epoch");
    s.model->train();
    l.batches->start_epoch(l.epochs);
    train::Batch b;
    while (l.batches->next(b)) train::train_step(s, b.x, b.y, *l.schedule, l.step++, *l.scaler);
    train::Evaluation val = train::evaluate(s, s.data.val);
    Measurement m = meter->end(window);
    ++l.epochs;
    ++epochs_trained;
    *energy_j = m.total_energy_j();
    *duration_s = m.duration_s;
    provenance = any_epoch ? provenance_weakest(provenance, m.total_provenance()) : m.total_provenance();
    any_epoch = true;
    if (!std::isfinite(val.loss)) return s.cfg.task == "autoencoder" ? -INFINITY : 0.0;  // diverged: worst metric
    return s.cfg.task == "autoencoder" ? -val.loss : val.metric;
  }
};

TrainingObjective::TrainingObjective(const TrainConfig& base, const DiscoverOptions& sensors,
                                     std::function<void(const std::string&)> say)
    : impl_(new Impl) {
  impl_->base = base;
  impl_->say = std::move(say);
  impl_->nvml_library = sensors.nvml_library;
  // Load the data once; every configuration's session shares these tensors.
  impl_->data = train::load_splits(base.data);
  if (impl_->say) {
    impl_->say(fmt::format("data: {} train, {} validation, {} test examples from {}", impl_->data.train.size(),
                           impl_->data.val.size(), impl_->data.test.size(), base.data.path));
  }
  std::vector<std::string> warnings;
  impl_->meter = std::make_unique<Meter>(discover_sources(sensors, &warnings),
                                         MeterOptions().interval_s(base.energy.interval_ms / 1000.0));
  for (const auto& w : warnings) if (impl_->say) impl_->say("energy: " + w);
  impl_->meter->start();
}

TrainingObjective::~TrainingObjective() { impl_->meter->stop(); }

tune::EpochOutcome TrainingObjective::train_epoch(const tune::Config& config, int epoch) {
  const std::string key = tune::config_key(config);
  if (auto it = impl_->live.find(key); it != impl_->live.end() && it->second->epochs >= epoch) {
    impl_->live.erase(it);  // ahead of what the study recorded (another worker's result won): start again
  }
  Impl::Live& l = impl_->session_for(config);
  train::hold_power_limit(impl_->power_limit, l.session.cfg, l.session.device, impl_->nvml_library, impl_->say);
  if (l.epochs != epoch - 1 && !impl_->states_dir.empty()) impl_->restore(l, key, epoch - 1);
  tune::EpochOutcome out;
  // A session behind the study (a new process, or another worker trained this config): retrain
  // the epochs it lacks (their energy is spent again).
  while (l.epochs < epoch) {
    double e = NAN, d = 0;
    out.metric = impl_->run_epoch(l, &e, &d);
    out.energy_j += e;
    out.duration_s += d;
  }
  return out;
}

std::optional<tune::ProbeOutcome> TrainingObjective::probe(const tune::Config& config,
                                                           const std::vector<double>& lr_sweep) {
  // A throwaway session: the configuration's own (in `live`) is not touched.
  std::unique_ptr<Impl::Live> l = impl_->start(config);
  train::Session& s = l->session;
  train::hold_power_limit(impl_->power_limit, s.cfg, s.device, impl_->nvml_library, impl_->say);
  const long available = l->batches->batches_per_epoch();
  const long warmup = std::min<long>(kProbeWarmupSteps, std::max<long>(0, available - 1));
  long measured = std::min<long>(kProbeSteps, available - warmup);
  // The LR sweep: the measured steps split evenly over the learning rates (the remainder
  // dropped), each at a constant learning rate; the warm-up at the lowest. Too few steps for
  // kMinStepsPerLr each: no sweep, the configuration's own schedule as without one.
  const long per_lr = lr_sweep.empty() ? 0 : measured / static_cast<long>(lr_sweep.size());
  const bool sweeping = per_lr >= kMinStepsPerLr;
  std::vector<Schedule> schedules;  // one constant learning rate per step, in order
  if (sweeping) {
    measured = per_lr * static_cast<long>(lr_sweep.size());
    for (double lr : lr_sweep) schedules.emplace_back(ScheduleSpec{}, lr);
  }
  s.model->train();
  l->batches->start_epoch(0);
  train::Batch b;
  Meter& meter = *impl_->meter;
  tune::ProbeOutcome out;
  std::vector<torch::Tensor> warmup_losses, sweep_losses;
  auto steps = [&](long n, double* samples, bool in_sweep) {
    const int window = meter.begin("probe");
    for (long i = 0; i < n && l->batches->next(b); ++i) {
      const Schedule& schedule = !sweeping ? *l->schedule : in_sweep ? schedules[i / per_lr] : schedules.front();
      torch::Tensor loss = train::train_step(s, b.x, b.y, schedule, l->step++, *l->scaler);
      if (sweeping) (in_sweep ? sweep_losses : warmup_losses).push_back(loss.detach().to(torch::kFloat));
      *samples += static_cast<double>(b.x.size(0));
    }
    train::compat::synchronize(s.device);
    Measurement m = meter.end(window);
    out.energy_j += m.total_energy_j();
    out.duration_s += m.duration_s;
    impl_->provenance = impl_->any_epoch ? provenance_weakest(impl_->provenance, m.total_provenance()) : m.total_provenance();
    impl_->any_epoch = true;
    return m.total_energy_j();
  };
  double warmup_samples = 0, samples = 0;
  steps(warmup, &warmup_samples, false);
  const double measured_j = steps(measured, &samples, true);
  if (samples > 0 && std::isfinite(measured_j)) out.energy_per_sample_j = measured_j / samples;
  if (sweeping) {  // read the losses once, after the measured window
    auto values = [](const std::vector<torch::Tensor>& t) {
      std::vector<double> v;
      if (t.empty()) return v;
      torch::Tensor all = torch::stack(t).to(torch::kCPU, torch::kDouble).contiguous();
      v.assign(all.data_ptr<double>(), all.data_ptr<double>() + all.numel());
      return v;
    };
    const std::vector<double> warm = values(warmup_losses);
    double reference = NAN;
    if (!warm.empty()) {  // the mean of the warm-up's last (up to 3) steps
      const std::size_t k = std::min<std::size_t>(3, warm.size());
      reference = 0;
      for (std::size_t i = warm.size() - k; i < warm.size(); ++i) reference += warm[i] / static_cast<double>(k);
    }
    out.lr_instability = tune::lr_instability(lr_sweep, values(sweep_losses), static_cast<std::size_t>(per_lr), reference);
  }
  return out;
}

Provenance TrainingObjective::energy_provenance() const { return impl_->provenance; }

bool TrainingObjective::keep_states_in(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir)) {
    throw std::runtime_error("cannot create the directory for configuration states " + dir + ": " +
                             (ec ? ec.message() : "not a directory") + " (pick another --states-dir)");
  }
  impl_->states_dir = dir;
  return true;
}

void TrainingObjective::trial_done(const tune::Config& config, int epochs) {
  if (impl_->states_dir.empty()) return;
  const std::string key = tune::config_key(config);
  auto it = impl_->live.find(key);
  if (it == impl_->live.end() || it->second->epochs != epochs) return;
  const std::string path = impl_->state_path(key, epochs);
  try {
    train::save_checkpoint(path, it->second->session, epochs, NAN, NAN);
  } catch (const std::exception& e) {
    impl_->tell(fmt::format("tune: cannot save the state of {} ({}): a later process would train it again", key, e.what()));
    return;
  }
  // Only the newest state of a configuration is kept.
  const std::string prefix = state_stem(key) + ".e";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(impl_->states_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && entry.path().string() != path) std::filesystem::remove(entry.path(), ec);
  }
}

int TrainingObjective::epochs_trained() const { return impl_->epochs_trained; }
int TrainingObjective::states_restored() const { return impl_->states_restored; }

std::unique_ptr<tune::Objective> make_training_objective(const TrainConfig& base, const DiscoverOptions& sensors,
                                                         const std::function<void(const std::string&)>& say) {
  return std::make_unique<TrainingObjective>(base, sensors, say);
}

}  // namespace powertrain
