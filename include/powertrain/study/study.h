// powertrain/study/study.h: the research studies, reproduced on this machine and its data.
//
// Each study composes runs of the training engine (train_model) and derives the tables of
// research.md section 1 and 4 from their measured epochs:
//   regime            batch size x learning rate grid: energy per epoch (Eq. 1), epochs,
//                     total energy, each setup as a percentage of the worst (Table 2, Fig. 3)
//   precision         fp32 vs fp16 vs bf16: time, power, energy per epoch and to a target,
//                     accuracy mean +- std, accuracy loss flagged beyond a tolerance
//   superconvergence  LR range test, then one-cycle + AdamW against a constant LR
//   pretrain          autoencoder pretraining, frozen / fine-tuned reuse, break-even (Eq. 2)
//   multitask         two tasks alone and together with a shared encoder (Table 4)
//   search            search strategies by the energy they spend to reach a target (section 2, 3)
//   layers            energy by layer type at matched sizes; accuracy vs training energy across widths
// Every run is recorded in the store as it ends (a trial of the study), the study's result
// JSON at the end. No LibTorch in this header or module: it only calls the trainer API.
//
// Example:
//   powertrain::StudyOptions o;
//   o.scale = "tiny";
//   o.say = [](const std::string& line) { std::cerr << line << "\n"; };
//   nlohmann::json r = powertrain::run_regime_study(o, nullptr);
//   std::cout << r["findings"][0].get<std::string>() << "\n";
#pragma once

#include <atomic>
#include <cmath>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "powertrain/energy/source.h"
#include "powertrain/store/store.h"

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

  // regime
  std::vector<int64_t> batch_sizes;   // empty = the research's 64, 256, 1024, 4096
  std::vector<double> learning_rates; // empty = 0.1, 0.01, 0.001, 0.0001
  std::string regime_optimizer = "sgd";  // SGD with momentum 0.9: the LR range of the research fits it
  // precision
  std::vector<std::string> precisions = {"fp32", "fp16", "bf16"};
  double tolerance = 0.01;            // accuracy loss vs fp32 (absolute) that is flagged
  // precision, superconvergence: target validation accuracy; NaN = derived (see docs)
  double target = NAN;
  // multitask
  double aux_alpha = 0.5;             // loss = 1 x L_main + aux_alpha x L_aux
  // search: also run the strategies on the Zeus GPU traces in this directory ("" = not)
  std::string trace_dir;
  // pretrain
  std::string work_dir;               // where encoder files go; "" = a temporary directory
};

// Each runs one study and returns its result JSON ("schema": "powertrain.study.<kind>/1";
// keys in docs/studies.md). With a store, the study, every run and the result are stored.
// Throws StudyError / ConfigError for bad options before any training, StoreError when the
// study name exists, StudyInterrupted on a stop request.
nlohmann::json run_regime_study(const StudyOptions& opts, Store* store);
nlohmann::json run_precision_study(const StudyOptions& opts, Store* store);
nlohmann::json run_superconvergence_study(const StudyOptions& opts, Store* store);
nlohmann::json run_pretrain_study(const StudyOptions& opts, Store* store);
nlohmann::json run_multitask_study(const StudyOptions& opts, Store* store);
// grid, random, TPE, successive halving and SM2 on one batch size x learning rate space (real
// training; and on the Zeus traces with trace_dir): energy to the target, quality chosen.
nlohmann::json run_search_study(const StudyOptions& opts, Store* store);
// Energy by layer type at matched sizes (timed forward/backward passes x measured power) and
// a model-width sweep: accuracy against training energy (diminishing returns).
nlohmann::json run_layers_study(const StudyOptions& opts, Store* store);

// Returns the study kinds, in the order of research.md.
std::vector<std::string> study_kinds();
// Runs the study `kind` (one of study_kinds()); throws StudyError for an unknown kind.
nlohmann::json run_study(const std::string& kind, const StudyOptions& opts, Store* store);

// Returns the result as plain-text tables (aligned columns, units in headers) followed by
// the findings, for terminals and logs.
std::string study_text(const nlohmann::json& result);

}  // namespace powertrain
