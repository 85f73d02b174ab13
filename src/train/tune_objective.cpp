// Real training as a study's objective: one live session per configuration, a shared
// dataset, a meter window per epoch.
#include "powertrain/train/tune_objective.h"

#include <fmt/format.h>

#include <chrono>
#include <map>

#include "powertrain/energy/meter.h"
#include "train/compat.h"
#include "train/session.h"

namespace powertrain {

namespace {

// Integer keys must reach the config as integers (1024, not 1024.0).
bool integral_key(const std::string& key) {
  for (const char* k : {"training.batch_size", "training.epochs", "training.threads", "training.blas_threads",
                        "training.seed", "model.width", "model.depth", "model.feature_dim", "early_stopping.patience"}) {
    if (key == k) return true;
  }
  return false;
}

}  // namespace

TrainConfig apply_tune_config(const TrainConfig& base, const tune::Config& config) {
  std::vector<std::string> sets;
  for (const auto& [key, value] : config) {
    if (key.rfind("data.", 0) == 0) {
      throw ConfigError("study key " + key + ": data settings cannot vary between trials (they share one dataset); "
                        "set them in the base config");
    }
    std::string text;
    if (std::holds_alternative<double>(value)) {
      double d = std::get<double>(value);
      text = integral_key(key) ? std::to_string(std::llround(d)) : fmt::format("{:.17g}", d);
    } else {
      text = "\"" + std::get<std::string>(value) + "\"";
    }
    sets.push_back(key + "=" + text);
  }
  return parse_train_config(train_config_json(base), base.source + " (study)", sets);
}

struct TrainingObjective::Impl {
  TrainConfig base;
  std::function<void(const std::string&)> say;
  train::Splits data;                       // loaded once, shared by every session
  std::unique_ptr<Meter> meter;
  Provenance provenance = Provenance::missing;
  bool any_epoch = false;

  struct Live {
    train::Session session;
    std::unique_ptr<Schedule> schedule;
    std::unique_ptr<train::LossScaler> scaler;
    std::unique_ptr<train::BatchIterator> batches;
    long step = 0;
    int epochs = 0;
  };
  std::map<std::string, std::unique_ptr<Live>> live;

  Live& session_for(const tune::Config& config) {
    std::string key = tune::config_key(config);
    auto it = live.find(key);
    if (it != live.end()) return *it->second;
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
    Live& ref = *l;
    live[key] = std::move(l);
    return ref;
  }

  // Trains one epoch of a live session; returns the metric and fills the energy.
  double run_epoch(Live& l, double* energy_j, double* duration_s) {
    auto& s = l.session;
    int window = meter->begin("trial epoch");
    s.model->train();
    l.batches->reset();
    train::Batch b;
    while (l.batches->next(b)) train::train_step(s, b.x, b.y, *l.schedule, l.step++, *l.scaler);
    train::Evaluation val = train::evaluate(s, s.data.val);
    Measurement m = meter->end(window);
    ++l.epochs;
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
  Impl::Live& l = impl_->session_for(config);
  tune::EpochOutcome out;
  // After a resume the session is new: retrain the epochs it lacks (their energy is spent again).
  while (l.epochs < epoch) {
    double e = NAN, d = 0;
    out.metric = impl_->run_epoch(l, &e, &d);
    out.energy_j += e;
    out.duration_s += d;
  }
  return out;
}

std::string TrainingObjective::energy_provenance() const { return provenance_name(impl_->provenance); }

}  // namespace powertrain
