// powertrain/advise/advisor.h: what to change to train with less energy, read from what the
// store has measured (runs with their epochs, research studies, search studies).
//
// Every recommendation comes from the user's own data: a batch size with lower energy per
// sample, a learning rate or schedule that needs fewer epochs, mixed precision without an
// accuracy loss, a frozen pretrained encoder, stopping once validation flattened, a
// narrower model where accuracy saturates, multitask training. Each says what to change,
// the evidence (runs, studies, numbers), the estimated saving in joules and percent, how
// that was estimated, the provenance of the energies and how far to trust it. Without
// data the advice names the study to run first (docs/advise.md).
//
// Example:
//   auto store = powertrain::Store::open("powertrain.db");
//   powertrain::Advice a = powertrain::advise(store, "");      // everything, ranked by saving
//   std::cout << powertrain::advice_text(a);
//   powertrain::Advice r = powertrain::advise(store, "12");    // run 12
#pragma once

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "powertrain/store/store.h"

namespace powertrain {

// Thrown when the target names no stored run or study; what() lists a few that exist.
class AdviseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Recommendation {
  std::string kind;                 // recipe, batch_size, learning_rate, schedule, precision, freeze_encoder,
                                    // early_stopping, model_width, multitask
  std::string change;               // concrete, e.g. "training.batch_size 64 -> 1024"
  std::string evidence;             // which runs/study and the numbers
  double saving_j = NAN;            // estimated saving in J; NaN = unknown (never 0 for unknown)
  double saving_fraction = NAN;     // of the baseline's energy, in [0, 1]; NaN = unknown
  Provenance provenance = Provenance::missing;  // of the energies used (the weakest)
  std::string basis;                // how the saving was estimated
  std::string source;               // "run 12", "study regime-20261201-101500 (regime)", ...
  std::string confidence;           // how far to trust it (seeds, spread, provenance, same setup?)
};

struct Advice {
  std::vector<Recommendation> recommendations;  // ranked by saving_j, unknown last
  std::vector<std::string> next_steps;          // studies to run (with the exact command)
  std::string scope;                            // what was read: "run 12 (train 'fashion')", ...
};

// Returns the advice for `target`: "" = everything in the store (the latest study of each
// kind, recent training runs), an integer = that run, anything else = the study of that
// name. Throws AdviseError when the run or study does not exist (naming a few that do),
// StoreError when the store cannot be read.
Advice advise(const Store& store, const std::string& target);

// Returns the advice as terminal text: one block per recommendation, then the next steps.
std::string advice_text(const Advice& advice);

// Returns the advice as JSON (schema "powertrain.advice/1"; unknown savings are null).
nlohmann::json advice_json(const Advice& advice);

}  // namespace powertrain
