// powertrain/study/pretrain.h: the pretraining study (research.md section 1, Eq. 2):
// pretrain an autoencoder once (E_enc), reuse its encoder for classifiers, frozen or
// fine-tuned (E_class each), against training encoder + classifier from scratch every time
// (E_enc+class). Pretraining pays for itself after x = E_enc / (E_enc+class - E_class) reuses.
//
// Example:
//   powertrain::StudyOptions o;
//   o.scale = "tiny";
//   powertrain::PretrainResult r = powertrain::run_pretrain_study(o, powertrain::PretrainOptions{}, nullptr);
//   std::cout << "frozen encoder pays off " << r.break_even_frozen.text << "\n";
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "powertrain/study/options.h"
#include "powertrain/study/record.h"

namespace powertrain {

// The pretrain study has no options of its own yet: the scale sets the latent size, and
// StudyOptions::work_dir where the encoder files go.
struct PretrainOptions {};

struct PretrainRun {
  std::string variant;                 // autoencoder, frozen, finetune, scratch
  int64_t seed = 0;
  RunRow run;
};

struct PretrainSummary {
  std::string variant;
  std::string symbol;                  // its energy in Eq. 2: E_enc, E_class (frozen), ...
  RunSummary stats;
};

// The energies of Eq. 2: means over seeds of the training energies.
struct PretrainEnergies {
  double enc_j = NAN;                  // E_enc: the autoencoder
  double class_frozen_j = NAN;         // E_class on the frozen encoder
  double class_finetune_j = NAN;       // E_class fine-tuning the encoder
  double enc_class_j = NAN;            // E_enc+class: from scratch
};

// After how many downstream trainings pretraining has paid for itself.
struct BreakEven {
  double reuses = NAN;                 // Eq. 2; NaN = never (reuse saves nothing), or an energy is unknown
  double saving_per_reuse_j = NAN;     // E_enc+class - E_class
  std::string text;                    // "after 2.5 reuses", "never", "unknown (...)"
};

struct FreezeVsFinetune {
  double energy_saving_fraction = NAN; // (fine-tuned - frozen) / fine-tuned classifier energy
  double frozen_energy_j = NAN;
  double finetune_energy_j = NAN;
};

// Cumulative energy after n downstream trainings, n = 0 .. reuses.back().
struct PretrainCumulative {
  std::vector<int64_t> reuses;
  std::vector<double> pretrain_frozen_j;    // E_enc + n x E_class (frozen)
  std::vector<double> pretrain_finetune_j;  // E_enc + n x E_class (fine-tuned)
  std::vector<double> scratch_j;            // n x E_enc+class
};

struct PretrainResult {
  StudyHeader header;
  std::string autoencoder_early_stopping;   // what the autoencoder's early stopping monitored
  std::string classifier_early_stopping;
  std::string equation;                     // Eq. 2 as text
  int64_t feature_dim = 0;                  // the encoder's latent size
  std::vector<PretrainRun> runs;            // per seed: autoencoder, frozen, finetune, scratch
  std::vector<PretrainSummary> summary;     // autoencoder, frozen, finetune, scratch
  PretrainEnergies energies;
  BreakEven break_even_frozen;
  BreakEven break_even_finetune;
  FreezeVsFinetune freeze_vs_finetune;
  PretrainCumulative cumulative;
};

// Runs the study; see run_regime_study for what is stored and thrown.
PretrainResult run_pretrain_study(const StudyOptions& opts, const PretrainOptions& pretrain, Store* store);

// The one codec of the pretrain result ("powertrain.study.pretrain/1").
void to_json(nlohmann::json& j, const PretrainRun& r);
void from_json(const nlohmann::json& j, PretrainRun& r);
void to_json(nlohmann::json& j, const PretrainSummary& s);
void from_json(const nlohmann::json& j, PretrainSummary& s);
void to_json(nlohmann::json& j, const BreakEven& b);
void from_json(const nlohmann::json& j, BreakEven& b);
void to_json(nlohmann::json& j, const PretrainResult& r);
void from_json(const nlohmann::json& j, PretrainResult& r);

}  // namespace powertrain
