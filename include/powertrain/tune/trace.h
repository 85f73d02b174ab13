// powertrain/tune/trace.h: the Zeus NSDI'23 training and power traces, as an offline
// benchmark for search strategies (no GPU needed).
//
// Two CSV files from one directory: summary_train.csv (per dataset, network, batch size
// and seed `run`: the epoch at which each validation-metric level was first reached) and
// summary_power_<gpu>.csv (per dataset, network, batch size, optimizer and GPU power
// limit: seconds per epoch and average GPU watts, measured once). See docs/tune.md.
//
// A workload is a (dataset, network) pair with the optimizer the train trace used for it
// (the power trace may spell it in another case, and lists other optimizers too: those
// rows are ignored). A configuration is (batch_size, power_limit_w), present in both
// traces. Training it for e epochs costs e x time_per_epoch_s x average_power_w joules and
// e x time_per_epoch_s seconds.
//
// Example:
//   auto trace = powertrain::tune::ZeusTrace::load("/work/shared/data/zeus-nsdi23", "v100");
//   auto best = trace.optimum("cifar100");   // lowest energy-to-target configuration
#pragma once

#include <istream>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace powertrain {
namespace tune {

// A workload's target and limits (fixed for the six Zeus workloads; see zeus_workloads()).
struct WorkloadSpec {
  std::string dataset;
  std::string network;
  double target_metric = 0.0;
  bool higher_is_better = true;
  int max_epochs = 0;              // a run that has not reached the target by then never does
  double unreached_metric = 0.0;   // the metric reported before the lowest trace level is reached
  int64_t train_examples = 0;      // examples per training epoch (the public dataset's size; see zeus_workloads())
};

// The six workloads: cifar100 0.6/100, imagenet 0.65/100, squad 84.0/6,
// librispeech 40.0 (WER, lower is better)/16, movielens-1m 0.41/100, sentiment140 0.84/10.
// Examples per epoch (the traces do not say; the public training sets): CIFAR-100 50,000;
// ImageNet-1k 1,281,167; SQuAD v1.1 87,599 questions; LibriSpeech 960 h 281,241 utterances;
// MovieLens-1M 4,970,845 (NCF's 994,169 training ratings, each with 4 sampled negatives);
// Sentiment140 1,600,000 tweets. They set iterations per epoch for power-limit profiling.
const std::vector<WorkloadSpec>& zeus_workloads();

// One (batch size, power limit) configuration of a workload on the trace's GPU.
struct TraceConfig {
  int batch_size = 0;
  double power_limit_w = 0.0;
  double time_per_epoch_s = 0.0;
  double average_power_w = 0.0;
  double energy_per_epoch_j() const { return time_per_epoch_s * average_power_w; }
};

// The configuration with the lowest energy-to-target of a workload.
struct TraceOptimum {
  TraceConfig config;
  double eta_j = 0.0;
};

class ZeusTrace {
 public:
  // Loads DIR/summary_train.csv and DIR/summary_power_GPU.csv (GPU: v100, a40, rtx6000).
  // Throws std::invalid_argument for an unknown GPU, std::runtime_error naming the file
  // (and line) when a file is missing or malformed.
  static ZeusTrace load(const std::string& dir, const std::string& gpu);
  // The same from the two files' text (errors name them summary_train.csv and
  // summary_power_GPU.csv). A line over 64 KiB is an error.
  static ZeusTrace parse(const std::string& train_csv, const std::string& power_csv, const std::string& gpu);

  const std::string& gpu() const { return gpu_; }
  // The workloads of zeus_workloads() that have at least one configuration here.
  std::vector<WorkloadSpec> workloads() const;
  // Throws std::invalid_argument naming the known datasets when `dataset` is unknown.
  const WorkloadSpec& workload(const std::string& dataset) const;
  // The optimizer of the train trace for this workload (lower case).
  const std::string& optimizer(const std::string& dataset) const;
  // The configurations present in both traces, sorted by batch size then power limit.
  const std::vector<TraceConfig>& configs(const std::string& dataset) const;
  // Throws std::invalid_argument when (batch_size, power_limit_w) is not a configuration.
  const TraceConfig& config(const std::string& dataset, int batch_size, double power_limit_w) const;
  // The seed indices (`run` column) of a batch size, ascending.
  std::vector<int> runs(const std::string& dataset, int batch_size) const;
  // The validation metric after `epochs` epochs of one run: the best level whose
  // target_epoch <= epochs (direction-aware), or the workload's unreached_metric.
  double metric_after(const std::string& dataset, int batch_size, int run, int epochs) const;
  // The first epoch at which the run reaches the workload's target, or 0 when it never
  // does within max_epochs.
  int epochs_to_target(const std::string& dataset, int batch_size, int run) const;
  // Energy-to-target: the mean over the batch size's runs of epochs_to_target x
  // time_per_epoch_s x average_power_w; +inf when any run never reaches the target.
  double eta_j(const std::string& dataset, int batch_size, double power_limit_w) const;
  // The same for time: mean epochs to target x time_per_epoch_s (+inf likewise).
  double tta_s(const std::string& dataset, int batch_size, double power_limit_w) const;
  // The configuration with the lowest finite eta_j (ties: smaller batch, then lower limit).
  // Throws std::runtime_error when no configuration reaches the target in every run.
  TraceOptimum optimum(const std::string& dataset) const;

 private:
  // One run's curve: (metric level, first epoch reached; 0 = never), in trace order.
  using Curve = std::vector<std::pair<double, int>>;
  struct Workload {
    WorkloadSpec spec;
    std::string optimizer;
    std::map<int, std::map<int, Curve>> curves;  // batch size -> run -> curve
    std::vector<TraceConfig> configs;
  };
  // Reads both traces (`gpu` already checked by the callers or here).
  static ZeusTrace read(std::istream& train, const std::string& train_path, std::istream& power,
                        const std::string& power_path, const std::string& gpu);
  const Workload& find(const std::string& dataset) const;
  const Curve& curve(const std::string& dataset, int batch_size, int run) const;
  double mean_epochs_to_target(const std::string& dataset, int batch_size) const;

  std::string gpu_;
  std::map<std::string, Workload> workloads_;  // by dataset
};

}  // namespace tune
}  // namespace powertrain
