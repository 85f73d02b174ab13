// What the studies share: scales, configs, running and recording one run, statistics.
#include "study/common.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <thread>

namespace powertrain {

ScaleSpec scale_spec(const std::string& scale) {
  ScaleSpec s;
  s.name = scale;
  if (scale == "tiny") {
    // Seconds per run: enough to exercise every step of a study, not to learn much.
    s.subset = 1000;
    s.val_fraction = 0.02;  // 1200 validation examples
    s.hidden = {64};
    s.max_epochs = 3;
    s.patience = 2;
    s.seeds = 1;
    s.feature_dim = 16;
    s.lr_find_steps = 20;
    s.batch_size = 64;
  } else if (scale == "small") {
    // A 2-core CPU in minutes. The whole training split, so that an epoch lasts long enough
    // (~0.5 s for the MLP) for Eq. 1 to average several power samples.
    s.subset = 0;
    s.val_fraction = 0.1;
    s.hidden = {128};
    s.max_epochs = 10;
    s.patience = 2;
    s.seeds = 2;
    s.feature_dim = 32;
    s.lr_find_steps = 100;
    s.batch_size = 128;
  } else if (scale == "full") {
    // The research's scale: the whole training split, a CNN, patient early stopping (GPU).
    s.subset = 0;
    s.val_fraction = 0.1;
    s.model_type = "cnn";
    s.hidden = {256};
    s.width = 16;
    s.max_epochs = 50;
    s.patience = 5;
    s.seeds = 3;
    s.feature_dim = 64;
    s.lr_find_steps = 200;
    s.batch_size = 128;
  } else {
    throw StudyError("--scale '" + scale + "' is unknown; use tiny (seconds), small (minutes on a CPU) or full (research scale, GPU)");
  }
  return s;
}

namespace study {

double mean_of(const std::vector<double>& v) {
  double sum = 0;
  int n = 0;
  for (double x : v) if (std::isfinite(x)) { sum += x; ++n; }
  return n > 0 ? sum / n : NAN;
}

double std_of(const std::vector<double>& v) {
  double m = mean_of(v), ss = 0;
  int n = 0;
  for (double x : v) if (std::isfinite(x)) { ss += (x - m) * (x - m); ++n; }
  return n > 1 ? std::sqrt(ss / (n - 1)) : NAN;
}

namespace {

std::string default_name(const std::string& kind) {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  return kind + "-" + buf;
}

// The 1-minute load average (NaN where /proc is not readable).
double load_average(const std::string& proc_root) {
  double load = NAN;
  if (FILE* f = std::fopen((proc_root + "/loadavg").c_str(), "r")) {
    if (std::fscanf(f, "%lf", &load) != 1) load = NAN;
    std::fclose(f);
  }
  return load;
}

int online_cpus() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

int default_threads(int threads) {
  if (threads > 0) return threads;
  // Two LibTorch threads: more gain little for these small models, and CI has two cores.
  return static_cast<int>(std::min(2u, std::max(1u, std::thread::hardware_concurrency())));
}

}  // namespace

Context::Context(const std::string& kind_, const StudyOptions& opts_, Store* store_, const json& options)
    : kind(kind_),
      opts(opts_),
      scale(scale_spec(opts_.scale)),
      seeds(opts_.seeds > 0 ? opts_.seeds : scale.seeds),
      threads(default_threads(opts_.threads)),
      store(store_) {
  if (opts.seeds < 0) throw StudyError("--seeds " + std::to_string(opts.seeds) + ": must be at least 1 (or 0 for the scale's default)");
  if (opts.threads < 0) throw StudyError("--threads " + std::to_string(opts.threads) + ": must be at least 1 (or 0 for min(2, CPUs))");
  if (opts.data_path.empty()) throw StudyError("--data: empty path; give the Fashion-MNIST directory (default /usr/share/datasets/fashion-mnist)");
  struct stat st;
  if (::stat(opts.data_path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    // Caught here, before a study row is stored, rather than by the first run's loader.
    throw StudyError("--data " + opts.data_path + ": no such directory; install Debian's Fashion-MNIST dataset "
                     "(/usr/share/datasets/fashion-mnist) or give --data DIR with its idx files");
  }
  // Check every override once, before any training, so a typo fails in a second.
  (void)config(base_config(), {});
  load_at_start_ = load_average(opts.sensors.proc_root);
  name = opts.name;
  if (!store) {
    if (name.empty()) name = default_name(kind);
    return;
  }
  if (name.empty()) {
    // Two studies started in the same second get -2, -3, ...
    std::string base = default_name(kind);
    name = base;
    for (int i = 2; store->study(name); ++i) name = base + "-" + std::to_string(i);
  } else if (store->study(name)) {
    throw StudyError("a study named '" + name + "' already exists in " + store->path() + "; choose another --name");
  }
  json spec = study_inputs_json(header());
  spec.update(options);
  study_id = store->create_study(name, spec.dump(), kind);
}

Context::~Context() {
  if (!store || study_id == 0 || finished_) return;
  const bool interrupted = opts.stop_requested && opts.stop_requested->load();
  try {
    store->set_study_status(study_id, interrupted ? StudyStatus::interrupted : StudyStatus::failed);
  } catch (const std::exception&) {
    // Already unwinding from the real error; that one is the one to report.
  }
}

void Context::say(const std::string& line) const {
  if (opts.say) opts.say(line);
}

json Context::base_config() const {
  json model = {{"type", scale.model_type}, {"hidden", scale.hidden}, {"width", scale.width}};
  return json{{"name", kind},
              {"data", {{"format", "idx"}, {"path", opts.data_path}, {"subset", scale.subset}, {"val_fraction", scale.val_fraction}}},
              {"model", model},
              {"optimizer", {{"type", "adam"}, {"lr", 0.001}}},
              {"training", {{"epochs", scale.max_epochs}, {"batch_size", scale.batch_size}, {"threads", threads}}},
              {"early_stopping", {{"monitor", "val_metric"}, {"patience", scale.patience}}}};
}

TrainConfig Context::config(const json& base, const std::vector<std::string>& variable) const {
  std::vector<std::string> all = opts.overrides;
  all.insert(all.end(), variable.begin(), variable.end());
  return parse_train_config(base.dump(), "study " + kind, all);
}

RunRow run_row(const TrainResult& r) {
  RunRow row;
  double energy_j = 0, duration_s = 0;
  bool energy_known = !r.epochs.empty();
  std::vector<Provenance> provenances;
  for (const auto& e : r.epochs) {
    EpochRow er;
    er.epoch = e.epoch;
    er.energy_j = e.energy_j;
    er.energy_provenance = e.energy_provenance;
    er.duration_s = e.duration_s;
    er.avg_power_w = e.avg_power_w;
    er.train_loss = e.train_loss;
    er.val_loss = e.val_loss;
    er.val_accuracy = e.val_metric;
    er.lr = e.lr;
    row.epoch_rows.push_back(er);
    if (std::isfinite(e.energy_j)) energy_j += e.energy_j; else energy_known = false;
    if (std::isfinite(e.duration_s)) duration_s += e.duration_s;
    provenances.push_back(er.energy_provenance);
  }
  if (!energy_known) energy_j = NAN;
  const double n = static_cast<double>(r.epochs.size());
  // Training energy is the sum of the epochs (Eq. 1 per epoch, as the research sums them);
  // run_energy_j adds setup and the final test pass.
  row.status = r.status;
  row.stop_reason = r.stop_reason;
  row.epochs = r.epochs_run;
  row.best_epoch = r.best_epoch;
  row.best_val_accuracy = r.best_val_metric;
  for (const auto& e : r.epochs) {
    auto aux = e.metrics.find("aux_accuracy");
    if (e.epoch == r.best_epoch && aux != e.metrics.end()) row.best_aux_val_accuracy = aux->second;
  }
  row.best_val_loss = r.best_val_loss;
  row.test_accuracy = r.test_metric;
  row.energy_j = energy_j;
  row.energy_per_epoch_j = n > 0 ? energy_j / n : NAN;
  row.energy_to_best_j = r.energy_to_best_j;
  row.energy_provenance = provenance_weakest(provenances);
  row.run_energy_j = r.energy_j;
  row.duration_s = duration_s;
  row.duration_per_epoch_s = n > 0 ? duration_s / n : NAN;
  row.avg_power_w = duration_s > 0 ? energy_j / duration_s : NAN;
  row.samples_per_s = r.samples_per_s;
  row.precision = r.precision;
  row.device = r.device;
  row.parameters = r.parameters;
  row.trainable_parameters = r.trainable_parameters;
  row.run_id = r.run_id;
  return row;
}

ToTarget to_target(const RunRow& row, double target) {
  ToTarget out;
  if (!std::isfinite(target)) return out;
  double cum = 0;
  for (const auto& e : row.epoch_rows) {
    cum += e.energy_j;  // NaN stays NaN: an unknown epoch makes the sum unknown
    if (std::isfinite(e.val_accuracy) && e.val_accuracy >= target) {
      out.epochs_to_target = static_cast<double>(e.epoch);
      out.energy_to_target_j = cum;
      break;
    }
  }
  return out;
}

namespace {

// Mean and std over the runs of one field; unknown when any run's value is: a mean over
// seeds where one is unknown (a missing energy) would hide it.
Stat stat_of(const std::vector<RunRow>& rows, double (*field)(const RunRow&)) {
  std::vector<double> v;
  for (const auto& r : rows) v.push_back(field(r));
  bool all_known = std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
  if (!all_known) return Stat{};
  return Stat{mean_of(v), std_of(v)};
}

}  // namespace

RunSummary summarize(const std::vector<RunRow>& rows) {
  RunSummary s;
  s.energy_j = stat_of(rows, [](const RunRow& r) { return r.energy_j; });
  s.energy_per_epoch_j = stat_of(rows, [](const RunRow& r) { return r.energy_per_epoch_j; });
  s.epochs = stat_of(rows, [](const RunRow& r) { return static_cast<double>(r.epochs); });
  s.duration_s = stat_of(rows, [](const RunRow& r) { return r.duration_s; });
  s.duration_per_epoch_s = stat_of(rows, [](const RunRow& r) { return r.duration_per_epoch_s; });
  s.avg_power_w = stat_of(rows, [](const RunRow& r) { return r.avg_power_w; });
  s.best_val_accuracy = stat_of(rows, [](const RunRow& r) { return r.best_val_accuracy; });
  s.best_val_loss = stat_of(rows, [](const RunRow& r) { return r.best_val_loss; });
  s.test_accuracy = stat_of(rows, [](const RunRow& r) { return r.test_accuracy; });
  s.runs = static_cast<int64_t>(rows.size());
  std::vector<Provenance> prov;
  for (const auto& r : rows) prov.push_back(r.energy_provenance);
  s.energy_provenance = provenance_weakest(prov);
  return s;
}

TargetStats summarize_target(const std::vector<ToTarget>& reached) {
  // A seed that never reached the target has no value: average the ones that did and say
  // how many that were.
  std::vector<double> epochs, energy;
  TargetStats t;
  for (const auto& r : reached) {
    epochs.push_back(r.epochs_to_target);
    energy.push_back(r.energy_to_target_j);
    if (std::isfinite(r.epochs_to_target)) ++t.target_reached_runs;
  }
  t.epochs_to_target = Stat{mean_of(epochs), std_of(epochs)};
  t.energy_to_target_j = Stat{mean_of(energy), std_of(energy)};
  return t;
}

RunRow Context::train(const TrainConfig& cfg_in, const std::string& what) {
  TrainConfig cfg = cfg_in;
  TrainHooks hooks;
  hooks.store = store;
  hooks.command = opts.command.empty() ? "powertrain study " + kind : opts.command;
  hooks.sensors = opts.sensors;
  hooks.stop_requested = opts.stop_requested;
  if (opts.verbose) hooks.on_message = [this](const std::string& m) { say("  " + m); };
  if (say_epochs) {
    hooks.on_epoch = [this](const EpochRecord& e) {
      say(fmt::format("  epoch {}: val acc {}, {:.1f} s, {:.0f} J ({})", e.epoch,
                      std::isfinite(e.val_metric) ? fmt::format("{:.2f} %", 100 * e.val_metric) : std::string("n/a"), e.duration_s,
                      e.energy_j, provenance_name(e.energy_provenance)));
    };
  }
  say(fmt::format("[{} #{}] {}", kind, seq_ + 1, what));
  TrainResult r = train_model(cfg, hooks);
  RunRow row = run_row(r);
  row.seq = seq_;
  if (device_.empty()) device_ = r.device;
  say(fmt::format("  {} after {} epochs: {:.1f} J ({}), {:.1f} J/epoch, best val acc {}", run_status_name(r.status), r.epochs_run,
                  row.energy_j, provenance_name(row.energy_provenance), row.energy_per_epoch_j,
                  std::isfinite(r.best_val_metric) ? fmt::format("{:.4f}", r.best_val_metric) : std::string("-")));
  return row;
}

void Context::record(const json& trial, double energy_j, double metric) {
  if (store) store->record_study_row(study_id, seq_, trial.dump(), energy_j, metric);
  ++seq_;
}

void Context::throw_interrupted() const {
  throw StudyInterrupted("study '" + name + "' interrupted; the " + std::to_string(seq_) + " runs finished so far are stored");
}

StudyHeader Context::header() const {
  StudyHeader h;
  h.schema = study_schema(kind);
  h.kind = kind;
  h.name = name;
  h.study_id = study_id;
  h.scale = scale;
  h.seeds = seeds;
  h.threads = threads;
  h.data_path = opts.data_path;
  h.overrides = opts.overrides;
  return h;
}

void Context::finish(StudyHeader& h, const std::vector<EnergyPart>& parts) const {
  h.device = device_;
  std::vector<Provenance> prov;
  double total = 0;
  bool known = true;
  for (const auto& p : parts) {
    if (std::isfinite(p.energy_j)) total += p.energy_j; else known = false;
    prov.push_back(p.provenance);
  }
  h.energy_provenance = provenance_weakest(prov);
  h.study_energy_j = known ? total : NAN;  // what the study itself cost
  // Other processes' work lands in every epoch's time and (estimated) energy: on a busy
  // machine the differences between setups can be noise. Say so next to the findings.
  double load_end = load_average(opts.sensors.proc_root), load = std::fmax(load_at_start_, load_end);
  h.host.cpus = online_cpus();
  h.host.load_average_1m_start = load_at_start_;
  h.host.load_average_1m_end = load_end;
  if (std::isfinite(load) && load > online_cpus()) {
    h.findings.push_back(fmt::format(
        "Warning: the machine was busy (1-minute load average up to {:.1f} on {} CPUs): other processes' work is in these "
        "times and energies; rerun on an idle machine before trusting small differences.", load, online_cpus()));
  }
}

void Context::store_result(const json& result) {
  if (store) store->set_study_result(study_id, result.dump());
  finished_ = true;
}

}  // namespace study
}  // namespace powertrain
