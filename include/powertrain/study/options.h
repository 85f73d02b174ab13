// powertrain/study/options.h: what every research study is run with (scale, seeds, data,
// sensors, progress, the store name), what a scale means, and the errors a study throws.
// Each study's own options are in its header (regime.h, precision.h, ...); a study's
// run function takes both.
//
// Example:
//   powertrain::StudyOptions o;
//   o.scale = "tiny";
//   o.say = [](const std::string& line) { std::cerr << line << "\n"; };
//   powertrain::RegimeOptions grid;
//   grid.batch_sizes = {64, 1024};
//   powertrain::RegimeResult r = powertrain::run_regime_study(o, grid, nullptr);
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "powertrain/energy/source.h"

namespace powertrain {

// Thrown for bad study options (unknown scale, empty grid, ...); what() names the option
// and the fix. Config problems found by the engine arrive as ConfigError.
class StudyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown when stop_requested was set: the runs finished so far are stored, the study is
// marked "interrupted".
class StudyInterrupted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What a scale means: how much data, which model and how long. Values are documented in
// docs/studies.md; scale_spec() is the single place that defines them.
struct ScaleSpec {
  std::string name;
  int64_t subset = 0;                 // training examples (0 = the whole training split)
  double val_fraction = 0.1;          // of the training pool, for early stopping
  std::string model_type = "mlp";     // mlp or cnn
  std::vector<int64_t> hidden;        // mlp widths
  int64_t width = 16;                 // cnn channels
  int max_epochs = 10;
  int patience = 3;                   // early stopping
  int seeds = 1;                      // default repetitions
  int64_t feature_dim = 32;           // pretrain: autoencoder latent size
  int lr_find_steps = 100;            // superconvergence: range test mini-batches
  int64_t batch_size = 128;           // where batch size is not the studied factor
};

// Returns the spec of "tiny" (tests, seconds), "small" (2-core CPU, minutes) or "full"
// (research scale, GPU). Throws StudyError for any other name.
ScaleSpec scale_spec(const std::string& scale);

// What every study takes; each study's own options come beside it (RegimeOptions, ...).
struct StudyOptions {
  std::string scale = "small";        // tiny, small, full
  int seeds = 0;                      // repetitions of every run; 0 = the scale's default
  std::string data_path = "/usr/share/datasets/fashion-mnist";  // Fashion-MNIST idx files
  int threads = 0;                    // LibTorch CPU threads; 0 = min(2, online CPUs)
  DiscoverOptions sensors;            // where to find energy sensors
  std::function<void(const std::string&)> say;  // progress lines (nullptr = silent)
  bool verbose = false;               // also pass the engine's setup messages to `say`
  std::vector<std::string> overrides; // "key.path=value" applied to every run's config
  std::string name;                   // study name in the store; "" = "<kind>-<date time>"
  std::string command;                // the command line, stored with every run
  const std::atomic<bool>* stop_requested = nullptr;  // stop after the current step
  std::string work_dir;               // files a study writes (pretrain's encoders); "" = a temporary directory
};

}  // namespace powertrain
