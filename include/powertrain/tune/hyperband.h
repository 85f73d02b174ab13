// powertrain/tune/hyperband.h: Hyperband (Li, Jamieson, DeSalvo, Rostamizadeh, Talwalkar,
// JMLR 2018): successive halving run in brackets that trade many cheap configurations
// against few expensive ones.
//
// With R = max_budget / min_budget and s_max = floor(log_eta(R)), bracket s = s_max..0
// samples n = ceil((s_max + 1) / (s + 1) x eta^s) configurations and runs successive
// halving on them from budget max_budget x eta^-s: rung i trains floor(n x eta^-i) of them
// to max_budget x eta^(i - s). For eta = 3, R = 81 this is the paper's Table 1. Brackets
// run one after the other, each with its own samples; `iterations` repeats the set.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "powertrain/tune/space.h"
#include "powertrain/tune/strategy.h"
#include "powertrain/tune/successive_halving.h"

namespace powertrain {
namespace tune {

struct HyperbandOptions {
  double eta = 3.0;          // > 1
  double min_budget = 1.0;   // > 0
  double max_budget = 81.0;  // >= min_budget
  int iterations = 1;        // how many times to run all brackets, >= 1
  std::uint64_t seed = 0;
};

// One bracket: its s and its rungs.
struct Bracket {
  int s = 0;
  std::vector<Rung> rungs;
};

class Hyperband : public Strategy {
 public:
  // Throws std::invalid_argument naming the option that is out of range.
  Hyperband(const SearchSpace& space, const HyperbandOptions& options);
  std::string name() const override { return "hyperband"; }
  std::optional<Trial> ask() override;
  bool finished() const override { return finished_; }

  // The brackets, s = s_max first.
  static std::vector<Bracket> brackets(double eta, double min_budget, double max_budget);

 protected:
  void on_result(const Trial& trial, const TrialResult& result) override;

 private:
  void next_bracket();

  SearchSpace space_;
  HyperbandOptions options_;
  std::vector<Bracket> brackets_;
  std::mt19937_64 rng_;
  std::size_t bracket_ = 0;
  int iteration_ = 0;
  std::unique_ptr<SuccessiveHalving> sh_;
  std::vector<std::pair<long, Trial>> asked_;  // our trial id -> the bracket's own trial
  bool finished_ = false;
};

}  // namespace tune
}  // namespace powertrain
