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

std::vector<std::string> study_kinds() {
  return {"regime", "precision", "superconvergence", "pretrain", "multitask", "search", "layers"};
}

nlohmann::json run_study(const std::string& kind, const StudyOptions& opts, Store* store) {
  if (kind == "regime") return run_regime_study(opts, store);
  if (kind == "precision") return run_precision_study(opts, store);
  if (kind == "superconvergence") return run_superconvergence_study(opts, store);
  if (kind == "pretrain") return run_pretrain_study(opts, store);
  if (kind == "multitask") return run_multitask_study(opts, store);
  if (kind == "search") return run_search_study(opts, store);
  if (kind == "layers") return run_layers_study(opts, store);
  std::string known;
  for (const auto& k : study_kinds()) known += (known.empty() ? "" : ", ") + k;
  throw StudyError("unknown study '" + kind + "'; use one of: " + known);
}

namespace study {

json num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

double dbl(const json& j) { return j.is_number() ? j.get<double>() : NAN; }
double dbl(const json& j, const char* key) { return j.is_object() && j.contains(key) ? dbl(j.at(key)) : NAN; }

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

std::string weakest_provenance(const std::vector<std::string>& names) { return provenance_weakest_name(names); }

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

Context::Context(const std::string& kind_, const StudyOptions& opts_, Store* store_, const json& spec)
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
  json s = spec;
  s["scale"] = scale.name;
  s["seeds"] = seeds;
  s["data_path"] = opts.data_path;
  s["overrides"] = opts.overrides;
  study_id = store->create_study(name, s.dump(), kind);
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

json run_row(const TrainResult& r) {
  json epochs = json::array();
  double energy_j = 0, duration_s = 0;
  bool energy_known = !r.epochs.empty();
  std::vector<std::string> provenances;
  for (const auto& e : r.epochs) {
    epochs.push_back({{"epoch", e.epoch}, {"energy_j", num(e.energy_j)}, {"energy_provenance", e.energy_provenance},
                      {"duration_s", num(e.duration_s)}, {"avg_power_w", num(e.avg_power_w)}, {"train_loss", num(e.train_loss)},
                      {"val_loss", num(e.val_loss)}, {"val_accuracy", num(e.val_metric)}, {"lr", num(e.lr)}});
    if (std::isfinite(e.energy_j)) energy_j += e.energy_j; else energy_known = false;
    if (std::isfinite(e.duration_s)) duration_s += e.duration_s;
    provenances.push_back(e.energy_provenance);
  }
  if (!energy_known) energy_j = NAN;
  const double n = static_cast<double>(r.epochs.size());
  // Training energy is the sum of the epochs (Eq. 1 per epoch, as the research sums them);
  // run_energy_j adds setup and the final test pass.
  return json{{"status", run_status_name(r.status)},
              {"stop_reason", r.stop_reason},
              {"epochs", r.epochs_run},
              {"best_epoch", r.best_epoch},
              {"best_val_accuracy", num(r.best_val_metric)},
              {"best_val_loss", num(r.best_val_loss)},
              {"test_accuracy", num(r.test_metric)},
              {"energy_j", num(energy_j)},
              {"energy_per_epoch_j", num(n > 0 ? energy_j / n : NAN)},
              {"energy_to_best_j", num(r.energy_to_best_j)},
              {"energy_provenance", weakest_provenance(provenances)},
              {"run_energy_j", num(r.energy_j)},
              {"duration_s", num(duration_s)},
              {"duration_per_epoch_s", num(n > 0 ? duration_s / n : NAN)},
              {"avg_power_w", num(duration_s > 0 ? energy_j / duration_s : NAN)},
              {"samples_per_s", num(r.samples_per_s)},
              {"precision", r.precision},
              {"device", r.device},
              {"parameters", r.parameters},
              {"trainable_parameters", r.trainable_parameters},
              {"run_id", r.run_id > 0 ? json(r.run_id) : json(nullptr)},
              {"epoch_rows", epochs}};
}

json to_target(const json& row, double target) {
  json out = {{"epochs_to_target", nullptr}, {"energy_to_target_j", nullptr}};
  if (!std::isfinite(target)) return out;
  double cum = 0;
  for (const auto& e : row.at("epoch_rows")) {
    double ej = dbl(e, "energy_j");
    cum += ej;  // NaN stays NaN: an unknown epoch makes the sum unknown
    double acc = dbl(e, "val_accuracy");
    if (std::isfinite(acc) && acc >= target) {
      out["epochs_to_target"] = e.at("epoch");
      out["energy_to_target_j"] = num(cum);
      break;
    }
  }
  return out;
}

json summarize(const std::vector<json>& rows) {
  static const char* keys[] = {"energy_j", "energy_per_epoch_j", "epochs", "duration_s", "duration_per_epoch_s",
                               "avg_power_w", "best_val_accuracy", "best_val_loss", "test_accuracy",
                               "epochs_to_target", "energy_to_target_j"};
  json s = json::object();
  std::vector<std::string> prov;
  for (const auto& r : rows) prov.push_back(r.value("energy_provenance", "missing"));
  for (const char* k : keys) {
    std::vector<double> v;
    bool any = false;
    for (const auto& r : rows) {
      if (!r.contains(k)) continue;
      any = true;
      v.push_back(dbl(r, k));
    }
    if (!any) continue;
    const std::string key = k;
    if (key == "epochs_to_target" || key == "energy_to_target_j") {
      // A seed that never reached the target has no value: average the ones that did and
      // say how many that were.
      int reached = static_cast<int>(std::count_if(v.begin(), v.end(), [](double x) { return std::isfinite(x); }));
      s[key] = num(mean_of(v));
      s[key + "_std"] = num(std_of(v));
      if (key == "epochs_to_target") s["target_reached_runs"] = reached;
      continue;
    }
    // A mean over seeds where one is unknown (a missing energy) would hide it.
    bool all_known = std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
    s[key] = all_known ? num(mean_of(v)) : json(nullptr);
    s[key + "_std"] = all_known ? num(std_of(v)) : json(nullptr);
  }
  s["runs"] = rows.size();
  s["energy_provenance"] = weakest_provenance(prov);
  return s;
}

json Context::run(const TrainConfig& cfg_in, const json& labels) {
  TrainConfig cfg = cfg_in;
  TrainHooks hooks;
  hooks.store = store;
  hooks.command = opts.command.empty() ? "powertrain study " + kind : opts.command;
  hooks.sensors = opts.sensors;
  hooks.stop_requested = opts.stop_requested;
  if (opts.verbose) hooks.on_message = [this](const std::string& m) { say("  " + m); };
  say(fmt::format("[{} #{}] {}", kind, seq_ + 1, labels.dump()));
  TrainResult r = train_model(cfg, hooks);
  json row = labels;
  json base = run_row(r);
  for (auto it = base.begin(); it != base.end(); ++it) row[it.key()] = it.value();
  row["seq"] = seq_;
  if (device_.empty()) device_ = r.device;
  say(fmt::format("  {} after {} epochs: {:.1f} J ({}), {:.1f} J/epoch, best val acc {}", run_status_name(r.status), r.epochs_run,
                  dbl(row, "energy_j"), row["energy_provenance"].get<std::string>(), dbl(row, "energy_per_epoch_j"),
                  std::isfinite(r.best_val_metric) ? fmt::format("{:.4f}", r.best_val_metric) : std::string("-")));
  if (store) {
    json trial = row;
    trial.erase("epoch_rows");  // the epochs are in the store's epochs table under run_id
    store->record_trial(study_id, seq_, trial.dump(), dbl(row, "energy_j"), r.best_val_metric);
  }
  ++seq_;
  if (r.status == RunStatus::interrupted) {
    throw StudyInterrupted("study '" + name + "' interrupted; the " + std::to_string(seq_) + " runs finished so far are stored");
  }
  return row;
}

void Context::record(const json& row, double energy_j, double metric) {
  if (store) store->record_trial(study_id, seq_, row.dump(), energy_j, metric);
  ++seq_;
}

json Context::header(const json& inputs) const {
  json in = inputs;
  in["scale"] = scale.name;
  in["seeds"] = seeds;
  in["threads"] = threads;
  in["data_path"] = opts.data_path;
  in["overrides"] = opts.overrides;
  return json{{"schema", "powertrain.study." + kind + "/1"},
              {"kind", kind},
              {"name", name},
              {"study_id", study_id > 0 ? json(study_id) : json(nullptr)},
              {"scale", {{"name", scale.name},
                         {"subset", scale.subset},
                         {"val_fraction", scale.val_fraction},
                         {"model_type", scale.model_type},
                         {"hidden", scale.hidden},
                         {"width", scale.width},
                         {"max_epochs", scale.max_epochs},
                         {"patience", scale.patience},
                         {"feature_dim", scale.feature_dim},
                         {"lr_find_steps", scale.lr_find_steps},
                         {"batch_size", scale.batch_size}}},
              {"inputs", in}};
}

json Context::finish(json result) {
  result["device"] = device_.empty() ? json(nullptr) : json(device_);
  std::vector<std::string> prov;
  for (const auto& r : result["runs"]) prov.push_back(r.value("energy_provenance", "missing"));
  result["energy_provenance"] = weakest_provenance(prov);
  double total = 0;
  bool known = true;
  for (const auto& r : result["runs"]) {
    double e = dbl(r, "energy_j");
    if (std::isfinite(e)) total += e; else known = false;
  }
  // Measured steps that are not training runs: the LR range test, the layer benchmark.
  for (const char* step : {"lr_find", "layer_bench"}) {
    if (!result.contains(step)) continue;
    double e = dbl(result[step], "energy_j");
    if (std::isfinite(e)) total += e; else known = false;
    prov.push_back(result[step].value("energy_provenance", "missing"));
  }
  result["energy_provenance"] = weakest_provenance(prov);
  result["study_energy_j"] = known ? num(total) : json(nullptr);  // what the study itself cost
  // Other processes' work lands in every epoch's time and (estimated) energy: on a busy
  // machine the differences between setups can be noise. Say so next to the findings.
  double load_end = load_average(opts.sensors.proc_root), load = std::fmax(load_at_start_, load_end);
  result["host"] = {{"cpus", online_cpus()}, {"load_average_1m_start", num(load_at_start_)}, {"load_average_1m_end", num(load_end)}};
  if (std::isfinite(load) && load > online_cpus()) {
    result["findings"].push_back(fmt::format(
        "Warning: the machine was busy (1-minute load average up to {:.1f} on {} CPUs): other processes' work is in these "
        "times and energies; rerun on an idle machine before trusting small differences.", load, online_cpus()));
  }
  if (store) store->set_study_result(study_id, result.dump());
  finished_ = true;
  return result;
}

}  // namespace study
}  // namespace powertrain
