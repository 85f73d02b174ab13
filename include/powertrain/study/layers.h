// powertrain/study/layers.h: the layers study (research.md section 3): energy by layer type
// at matched sizes (timed forward and forward+backward passes x measured power), and a
// model-width sweep that shows where accuracy stops paying for its training energy.
//
// Example:
//   powertrain::StudyOptions o;
//   o.scale = "tiny";
//   powertrain::LayersResult r = powertrain::run_layers_study(o, powertrain::LayersOptions{}, nullptr);
//   for (const auto& c : r.layer_costs) std::cout << c.layer << " " << c.forward_backward.energy_per_pass_j << " J\n";
//   if (r.diminishing_returns.after_width) std::cout << "returns diminish after " << *r.diminishing_returns.after_width << "\n";
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "powertrain/study/options.h"
#include "powertrain/study/record.h"

namespace powertrain {

// The layers study has no options of its own yet: the scale sets the layer benchmark's
// size and the widths swept.
struct LayersOptions {};

// One timed loop of a layer: forward only, or forward + backward.
struct LayerPhaseRow {
  int64_t repetitions = 0;             // passes timed
  double time_s = NAN;
  double time_per_pass_s = NAN;
  double window_s = NAN;               // the meter window (slightly longer than time_s)
  double energy_j = NAN;
  double energy_per_pass_j = NAN;
  double avg_power_w = NAN;
  Provenance energy_provenance = Provenance::missing;
};

// One layer type of the benchmark (a trial of the study, step "layer_bench").
struct LayerCostRow {
  std::string layer;                   // conv3x3, linear, relu, maxpool3x3, batchnorm
  std::string description;
  std::vector<int64_t> input_shape;
  std::vector<int64_t> output_shape;
  std::string device;
  int64_t parameters = 0;
  int64_t flops_forward = 0;
  double forward_gflop_per_s = NAN;
  LayerPhaseRow forward;
  LayerPhaseRow forward_backward;
  double time_share = NAN;             // of the layers' forward+backward time per pass
  double energy_share = NAN;           // of the layers' forward+backward energy per pass
  double energy_j = NAN;               // both loops
  Provenance energy_provenance = Provenance::missing;
};

// The benchmark as a whole: what was matched and what it cost.
struct LayerBenchRow {
  std::string matched;                 // what "matched sizes" means, as a sentence
  std::vector<int64_t> input_shape;    // B, C, H, W
  int64_t warmup = 0;
  int64_t repetitions = 0;
  double min_window_s = NAN;
  int64_t threads = 0;
  std::string device;
  double energy_j = NAN;
  Provenance energy_provenance = Provenance::missing;
  double duration_s = NAN;
};

struct LayersRun {
  int64_t width = 0;
  double width_factor = NAN;
  int64_t seed = 0;
  RunRow run;
};

// One width of the sweep over its seeds.
struct LayersWidth {
  int64_t width = 0;
  double width_factor = NAN;
  int64_t parameters = 0;              // of its first run; 0 when it has none
  RunSummary stats;
  std::vector<int64_t> run_ids;        // 0 = not stored
};

// One doubling of the width.
struct LayersWidthStep {
  int64_t from_width = 0;
  int64_t to_width = 0;
  double delta_val_accuracy = NAN;
  double delta_energy_kj = NAN;
  double marginal_val_accuracy_per_kj = NAN;  // NaN when the energy did not grow
  double energy_ratio = NAN;           // E_to / E_from
};

struct DiminishingReturns {
  std::optional<int64_t> after_width;  // nullopt: returns did not diminish within the widths tried
  std::optional<int64_t> step;         // index into width_steps
  std::string reason;
};

struct LayersResult {
  StudyHeader header;
  std::vector<std::string> layer_types;
  std::vector<double> width_factors;
  std::string diminishing_rule;        // the rule, as a sentence
  std::string early_stopping;          // what the sweep's early stopping monitored
  LayerBenchRow layer_bench;
  std::vector<LayerCostRow> layer_costs;
  std::string width_key;               // model.hidden or model.width
  std::vector<LayersWidth> widths;
  std::vector<LayersWidthStep> width_steps;
  DiminishingReturns diminishing_returns;
  double halving_geomean_energy_ratio = NAN;            // E(w/2) / E(w), geometric mean over the steps
  double halving_geomean_energy_per_epoch_ratio = NAN;
  std::vector<LayersRun> runs;
};

// Runs the study; see run_regime_study for what is stored and thrown.
LayersResult run_layers_study(const StudyOptions& opts, const LayersOptions& layers, Store* store);

// The one codec of the layers result ("powertrain.study.layers/1").
void to_json(nlohmann::json& j, const LayerPhaseRow& p);
void from_json(const nlohmann::json& j, LayerPhaseRow& p);
void to_json(nlohmann::json& j, const LayerCostRow& c);
void from_json(const nlohmann::json& j, LayerCostRow& c);
void to_json(nlohmann::json& j, const LayersRun& r);
void from_json(const nlohmann::json& j, LayersRun& r);
void to_json(nlohmann::json& j, const LayersWidth& w);
void from_json(const nlohmann::json& j, LayersWidth& w);
void to_json(nlohmann::json& j, const LayersWidthStep& s);
void from_json(const nlohmann::json& j, LayersWidthStep& s);
void to_json(nlohmann::json& j, const LayersResult& r);
void from_json(const nlohmann::json& j, LayersResult& r);

}  // namespace powertrain
