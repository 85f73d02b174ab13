// powertrain/train/layer_energy.h: time and energy of single layer types at matched sizes.
//
// Research.md section 3 reports that in CNNs convolutions cost the most energy, then linear
// layers, then ReLU. This module measures that on this machine: every layer type runs on
// the same input tensor x [B, C, H, W] and returns a tensor with the same number of values
// (what "matched" means; docs/studies_layers.md):
//   conv3x3    Conv2d(C -> C, 3x3, stride 1, padding 1, bias)     out [B, C, H, W]
//   linear     Linear(C -> C, bias) on x viewed channels-last       out [B, H, W, C]
//              (a fully connected layer over the C values at every position)
//   relu       ReLU                                                 out [B, C, H, W]
//   maxpool3x3 MaxPool2d(3x3, stride 1, padding 1)                  out [B, C, H, W]
//   batchnorm  BatchNorm2d(C, affine), training mode (batch stats)  out [B, C, H, W]
// Each layer gets `warmup` untimed forward and forward+backward passes, then a timed loop
// of forward passes and a timed loop of forward+backward passes (backward of a ones
// gradient into the input and the weights). Every timed loop is one meter window; the
// energy per pass is the window's energy / repetitions, with the window's provenance.
// No LibTorch in this header.
//
// Example:
//   powertrain::LayerBenchSpec spec;
//   spec.batch = 64; spec.channels = 16; spec.height = spec.width = 28;
//   powertrain::Meter meter(powertrain::discover_sources({}));
//   meter.start();
//   for (const auto& c : powertrain::measure_layer_costs(spec, &meter))
//     std::cout << c.layer << " " << c.forward_backward.energy_per_pass_j << " J\n";
#pragma once

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "powertrain/energy/meter.h"

namespace powertrain {

// Thrown for a bad LayerBenchSpec; what() names the field and the fix.
class LayerBenchError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

struct LayerBenchSpec {
  int64_t batch = 32;                // B
  int64_t channels = 16;             // C (input and output channels of every layer)
  int64_t height = 28;               // H
  int64_t width = 28;                // W
  int warmup = 3;                    // untimed forward and forward+backward passes per layer
  int repetitions = 20;              // timed passes per loop (at least; see min_window_s)
  double min_window_s = 0.0;         // repeat the loop in chunks of `repetitions` until it
                                     // lasts this long (so a sampled meter sees several samples)
  int threads = 0;                   // LibTorch CPU threads; 0 = min(2, online CPUs)
  std::string device = "cpu";        // cpu, cuda, cuda:N, auto
  std::vector<std::string> layers;   // subset of layer_bench_types(); empty = all of them
  uint64_t seed = 0;                 // for the input and the initial weights
};

// One timed loop of one layer.
struct LayerPhaseCost {
  int64_t repetitions = 0;           // passes timed
  double time_s = NAN;               // the loop's duration (device synchronised)
  double time_per_pass_s = NAN;      // time_s / repetitions
  double window_s = NAN;             // the meter window's duration (slightly longer than time_s)
  double energy_j = NAN;             // the meter window's energy; NaN without a meter
  double energy_per_pass_j = NAN;    // energy_j / repetitions
  double avg_power_w = NAN;          // energy_j / window_s
  Provenance energy_provenance = Provenance::missing;  // of the window's total
};

struct LayerCost {
  std::string layer;                 // one of layer_bench_types()
  std::string description;           // e.g. "Conv2d(16->16, 3x3, stride 1, padding 1)"
  std::vector<int64_t> input_shape;  // as fed to the layer
  std::vector<int64_t> output_shape;
  std::string device;                // where it ran, e.g. "cpu", "cuda:0"
  int threads = 0;                   // LibTorch CPU threads during the measurement
  int64_t parameters = 0;            // trainable values of the layer (counted on the module)
  int64_t flops_forward = 0;         // one forward pass of the batch (layer_flops_forward)
  LayerPhaseCost forward;            // forward only, no autograd graph
  LayerPhaseCost forward_backward;   // forward, then backward to input and weights
  double time_share = NAN;           // forward_backward.time_s per pass / sum over the layers
  double energy_share = NAN;         // forward_backward.energy_per_pass_j / sum (NaN if any unknown)
  double forward_gflop_per_s = NAN;  // flops_forward / forward.time_per_pass_s / 1e9
};

// Returns the layer types in the order they are measured:
// conv3x3, linear, relu, maxpool3x3, batchnorm.
std::vector<std::string> layer_bench_types();

// Returns the forward FLOPs of one pass of `layer` over the spec's batch, counted as
// (N = B*C*H*W output values): conv3x3 N*18C (9C multiplies and 9C adds per output, the
// bias included), linear N*2C, relu N, maxpool3x3 8N (comparisons), batchnorm 8N (4 for
// the batch statistics, 4 to normalise, scale and shift). Throws LayerBenchError for an
// unknown layer.
int64_t layer_flops_forward(const std::string& layer, const LayerBenchSpec& spec);

// Returns the parameter count by formula: conv3x3 9C^2+C, linear C^2+C, batchnorm 2C,
// relu and maxpool3x3 0. Throws LayerBenchError for an unknown layer.
int64_t layer_parameter_count(const std::string& layer, const LayerBenchSpec& spec);

// Returns one LayerCost per layer of spec.layers (all types when empty), measured in that
// order. With `meter` (started or not), each timed loop is a window "layer <name> forward"
// or "layer <name> forward+backward" nested in whatever window is open; without one the
// energies are NaN and the provenance "missing". Sets LibTorch's (and OpenBLAS's) thread
// counts for the measurement and restores them afterwards; keeps freed memory in the heap
// as the trainer does (process-wide, like train_model). Throws LayerBenchError for a bad
// spec, std::runtime_error when the device is unavailable.
std::vector<LayerCost> measure_layer_costs(const LayerBenchSpec& spec, Meter* meter_or_null);

}  // namespace powertrain
