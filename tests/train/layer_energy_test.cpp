// Tests for src/train/layer_energy.cpp: FLOP and parameter counts against hand-computed
// values, shapes of the matched layers, energy per pass from a meter on a replayed constant
// power trace, forward+backward against forward alone, and spec validation.
#include "powertrain/train/layer_energy.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "powertrain/energy/replay.h"
#include "support/test_support.h"

namespace powertrain {
namespace {

using Shape = std::vector<int64_t>;

LayerBenchSpec small_spec() {
  LayerBenchSpec s;
  s.batch = 2;
  s.channels = 4;
  s.height = 5;
  s.width = 6;
  s.warmup = 1;
  s.repetitions = 3;
  s.threads = 1;
  return s;
}

// A meter whose only source replays a constant 50 W: every window's energy is 50 W times
// its duration (Eq. 1 over the edge readings), whatever the machine.
std::unique_ptr<Meter> constant_meter(const test::TempDir& dir) {
  test::write_file(dir.file("trace.csv"), "t_s,component,power_w\n0,cpu_package:0,50\n");
  std::vector<std::unique_ptr<EnergySource>> sources;
  sources.push_back(std::make_unique<ReplaySource>(dir.file("trace.csv")));
  return std::make_unique<Meter>(std::move(sources), MeterOptions().interval_s(0));
}

TEST(LayerEnergy, FlopsAndParametersMatchHandCounts) {
  // B=2, C=4, H=5, W=6: N = 240 output values per layer.
  LayerBenchSpec s = small_spec();
  std::map<std::string, int64_t> flops = {
      {"conv3x3", 240 * 72},  // 9*4 multiplies + 9*4 adds (bias included) per output
      {"linear", 240 * 8},    // 4 multiplies + 4 adds per output
      {"relu", 240},
      {"maxpool3x3", 240 * 8},
      {"batchnorm", 240 * 8}};
  std::map<std::string, int64_t> params = {
      {"conv3x3", 4 * 4 * 9 + 4}, {"linear", 4 * 4 + 4}, {"relu", 0}, {"maxpool3x3", 0}, {"batchnorm", 8}};
  for (const auto& name : layer_bench_types()) {
    EXPECT_EQ(layer_flops_forward(name, s), flops.at(name)) << name;
    EXPECT_EQ(layer_parameter_count(name, s), params.at(name)) << name;
  }
  // The measured modules have exactly those parameters, and the matched shapes.
  std::vector<LayerCost> costs = measure_layer_costs(s, nullptr);
  ASSERT_EQ(costs.size(), 5u);
  for (const auto& c : costs) {
    EXPECT_EQ(c.parameters, params.at(c.layer)) << c.layer;
    EXPECT_EQ(c.flops_forward, flops.at(c.layer)) << c.layer;
    if (c.layer == "linear") {
      EXPECT_EQ(c.input_shape, (Shape{2, 5, 6, 4}));
      EXPECT_EQ(c.output_shape, (Shape{2, 5, 6, 4}));
    } else {
      EXPECT_EQ(c.input_shape, (Shape{2, 4, 5, 6})) << c.layer;
      EXPECT_EQ(c.output_shape, (Shape{2, 4, 5, 6})) << c.layer;
    }
  }
}

TEST(LayerEnergy, WithoutMeterTimesArePositiveAndEnergyIsUnknown) {
  LayerBenchSpec s = small_spec();
  double share = 0;
  for (const auto& c : measure_layer_costs(s, nullptr)) {
    for (const LayerPhaseCost* p : {&c.forward, &c.forward_backward}) {
      EXPECT_EQ(p->repetitions, 3) << c.layer;
      EXPECT_GT(p->time_s, 0) << c.layer;
      EXPECT_GT(p->time_per_pass_s, 0) << c.layer;
      EXPECT_TRUE(std::isnan(p->energy_j)) << c.layer;  // unknown is NaN, never 0
      EXPECT_TRUE(std::isnan(p->energy_per_pass_j)) << c.layer;
      EXPECT_EQ(p->energy_provenance, Provenance::missing);
    }
    EXPECT_TRUE(std::isnan(c.energy_share));
    EXPECT_EQ(c.device, "cpu");
    EXPECT_EQ(c.threads, 1);
    share += c.time_share;
  }
  EXPECT_NEAR(share, 1.0, 1e-9);
}

TEST(LayerEnergy, EnergyPerPassIsTheWindowEnergyOverRepetitions) {
  test::TempDir dir;
  auto meter = constant_meter(dir);
  LayerBenchSpec s = small_spec();
  s.layers = {"conv3x3", "relu"};
  auto run = meter->begin("bench");
  std::vector<LayerCost> costs = measure_layer_costs(s, meter.get());
  meter->end(run);
  ASSERT_EQ(costs.size(), 2u);
  EXPECT_EQ(costs[0].layer, "conv3x3");
  EXPECT_EQ(costs[1].layer, "relu");
  double share = 0;
  for (const auto& c : costs) {
    for (const LayerPhaseCost* p : {&c.forward, &c.forward_backward}) {
      EXPECT_GT(p->energy_j, 0) << c.layer;
      EXPECT_EQ(p->energy_provenance, Provenance::integrated_power);
      EXPECT_NEAR(p->avg_power_w, 50.0, 1e-9) << c.layer;               // the replayed power
      EXPECT_NEAR(p->energy_j, 50.0 * p->window_s, 1e-9) << c.layer;     // Eq. 1 of the window
      EXPECT_DOUBLE_EQ(p->energy_per_pass_j, p->energy_j / p->repetitions) << c.layer;
      EXPECT_GE(p->window_s, p->time_s) << c.layer;  // the loop lies inside its window
    }
    share += c.energy_share;
  }
  EXPECT_NEAR(share, 1.0, 1e-9);
  // Every timed loop was its own window, nested in the caller's.
  int layer_windows = 0;
  for (const auto& m : meter->finished()) {
    if (m.name.rfind("layer ", 0) == 0) {
      ++layer_windows;
      EXPECT_EQ(m.parent_id, run);
    }
  }
  EXPECT_EQ(layer_windows, 4);
}

TEST(LayerEnergy, ForwardBackwardCostsMoreThanForwardAlone) {
  // A backward pass of a layer with weights computes two products of the forward's size
  // (gradients of the input and of the weights). Loops of at least 0.1 s average out the
  // preemptions of a busy machine, so that noise cannot reverse the order.
  test::TempDir dir;
  auto meter = constant_meter(dir);
  LayerBenchSpec s = small_spec();
  s.batch = 8;
  s.channels = 16;
  s.height = s.width = 16;
  s.repetitions = 10;
  s.min_window_s = 0.1;
  s.layers = {"conv3x3", "linear"};
  for (const auto& c : measure_layer_costs(s, meter.get())) {
    EXPECT_GT(c.forward_backward.time_per_pass_s, c.forward.time_per_pass_s) << c.layer;
    EXPECT_GT(c.forward_backward.energy_per_pass_j, c.forward.energy_per_pass_j) << c.layer;
  }
}

TEST(LayerEnergy, MinWindowRepeatsWholeChunks) {
  LayerBenchSpec s = small_spec();
  s.layers = {"relu"};
  s.repetitions = 2;
  s.min_window_s = 0.02;
  LayerCost c = measure_layer_costs(s, nullptr).at(0);
  EXPECT_GE(c.forward.time_s, 0.02);
  EXPECT_EQ(c.forward.repetitions % 2, 0);
  EXPECT_GE(c.forward_backward.repetitions, 2);
}

TEST(LayerEnergy, RestoresThreadCounts) {
  int before = torch::get_num_threads();
  LayerBenchSpec s = small_spec();
  s.layers = {"relu"};
  s.threads = before == 1 ? 2 : 1;
  measure_layer_costs(s, nullptr);
  EXPECT_EQ(torch::get_num_threads(), before);
}

TEST(LayerEnergy, BadSpecsNameTheField) {
  auto message = [](LayerBenchSpec s) {
    try {
      measure_layer_costs(s, nullptr);
    } catch (const LayerBenchError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  LayerBenchSpec s = small_spec();
  s.channels = 0;
  EXPECT_NE(message(s).find("channels"), std::string::npos);
  s = small_spec();
  s.repetitions = 0;
  EXPECT_NE(message(s).find("repetitions"), std::string::npos);
  s = small_spec();
  s.layers = {"attention"};
  EXPECT_NE(message(s).find("attention"), std::string::npos);
  s = small_spec();
  s.device = "tpu";
  EXPECT_NE(message(s).find("tpu"), std::string::npos);
  EXPECT_THROW(layer_flops_forward("softmax", small_spec()), LayerBenchError);
}

}  // namespace
}  // namespace powertrain
