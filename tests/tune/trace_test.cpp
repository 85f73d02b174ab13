// trace_test.cpp: the Zeus trace loader on a small hand-written trace (exact answers and
// error messages), then on the real traces when they are present (counts and optima).
#include "powertrain/tune/trace.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <unistd.h>
#include <string>

#include "powertrain/tune/trace_objective.h"

using namespace powertrain::tune;
namespace fs = std::filesystem;

namespace {

// A temporary directory holding a tiny trace: cifar100 (higher is better) with batch sizes
// 32 and 64, two runs each, and librispeech (WER, lower is better) with one batch size.
class TinyTrace : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tune_trace_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    write("summary_train.csv",
          "dataset,network,batch_size,optimizer,learning_rate,run,target_metric,target_epoch\n"
          "cifar100,shufflenetv2,32,Adadelta,0.1,1,0.3,2\n"
          "cifar100,shufflenetv2,32,Adadelta,0.1,1,0.6,5\n"
          "cifar100,shufflenetv2,32,Adadelta,0.1,1,0.65,nan\n"
          "cifar100,shufflenetv2,32,Adadelta,0.1,2,0.3,3\n"
          "cifar100,shufflenetv2,32,Adadelta,0.1,2,0.6,7\n"
          "cifar100,shufflenetv2,64,Adadelta,0.1,1,0.3,1\n"
          "cifar100,shufflenetv2,64,Adadelta,0.1,1,0.6,nan\n"
          "cifar100,shufflenetv2,64,Adadelta,0.1,2,0.6,4\n"
          "librispeech,deepspeech2,16,adamw,1e-4,1,60,1\n"
          "librispeech,deepspeech2,16,adamw,1e-4,1,40,3\n"
          "librispeech,deepspeech2,16,adamw,1e-4,1,35,nan\n");
    write("summary_power_v100.csv",
          "dataset,network,batch_size,optimizer,power_limit,time_per_epoch,average_power\n"
          "cifar100,shufflenetv2,32,adadelta,100,10,90\n"
          "cifar100,shufflenetv2,32,adam,100,1,1\n"
          "cifar100,shufflenetv2,32,adadelta,150,8,120\n"
          "cifar100,shufflenetv2,64,adadelta,100,6,95\n"
          "cifar100,shufflenetv2,128,adadelta,100,5,99\n"
          "librispeech,deepspeech2,16,adamw,100,20,80\n");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }
  std::string dir() const { return dir_.string(); }
  fs::path dir_;
};

std::string trace_dir() {
  const char* env = std::getenv("POWERTRAIN_ZEUS_TRACE_DIR");
  return env && *env ? env : POWERTRAIN_ZEUS_TRACE_DIR;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no exception)";
}

}  // namespace

TEST_F(TinyTrace, ConfigsArePairsInBothTracesWithTheTrainOptimizer) {
  const auto t = ZeusTrace::load(dir(), "V100");
  EXPECT_EQ(t.optimizer("cifar100"), "adadelta");
  const auto& c = t.configs("cifar100");
  ASSERT_EQ(c.size(), 3u);  // the adam row and batch size 128 (no learning curve) are left out
  EXPECT_EQ(c[0].batch_size, 32);
  EXPECT_EQ(c[0].power_limit_w, 100.0);
  EXPECT_DOUBLE_EQ(c[0].energy_per_epoch_j(), 900.0);
  EXPECT_EQ(c[2].batch_size, 64);
  EXPECT_EQ(t.workloads().size(), 2u);
  EXPECT_THROW(t.config("cifar100", 64, 150), std::invalid_argument);
}

TEST_F(TinyTrace, MetricAfterEpochsFollowsTheCurveInBothDirections) {
  const auto t = ZeusTrace::load(dir(), "v100");
  EXPECT_EQ(t.metric_after("cifar100", 32, 1, 1), 0.0);  // nothing reached yet
  EXPECT_EQ(t.metric_after("cifar100", 32, 1, 2), 0.3);
  EXPECT_EQ(t.metric_after("cifar100", 32, 1, 4), 0.3);
  EXPECT_EQ(t.metric_after("cifar100", 32, 1, 5), 0.6);
  EXPECT_EQ(t.metric_after("cifar100", 32, 1, 100), 0.6);  // 0.65 never reached
  EXPECT_EQ(t.metric_after("librispeech", 16, 1, 0), 100.0);
  EXPECT_EQ(t.metric_after("librispeech", 16, 1, 2), 60.0);
  EXPECT_EQ(t.metric_after("librispeech", 16, 1, 3), 40.0);  // lower is better
  EXPECT_EQ(t.epochs_to_target("librispeech", 16, 1), 3);
  EXPECT_EQ(t.epochs_to_target("cifar100", 64, 1), 0);
}

TEST_F(TinyTrace, EnergyToTargetIsTheMeanOverRunsAndInfiniteIfAnyFails) {
  const auto t = ZeusTrace::load(dir(), "v100");
  EXPECT_DOUBLE_EQ(t.eta_j("cifar100", 32, 100), (5 + 7) / 2.0 * 900.0);
  EXPECT_DOUBLE_EQ(t.eta_j("cifar100", 32, 150), 6.0 * 960.0);
  EXPECT_DOUBLE_EQ(t.tta_s("cifar100", 32, 150), 6.0 * 8.0);
  EXPECT_TRUE(std::isinf(t.eta_j("cifar100", 64, 100)));  // run 1 never reaches 0.6
  const auto best = t.optimum("cifar100");
  EXPECT_EQ(best.config.batch_size, 32);
  EXPECT_EQ(best.config.power_limit_w, 100.0);  // 6 epochs x 900 J beats 6 x 960 J
  EXPECT_DOUBLE_EQ(best.eta_j, 5400.0);
}

TEST_F(TinyTrace, ObjectiveTrainsTheSeededRunAndMapsMissingLimits) {
  const auto t = ZeusTrace::load(dir(), "v100");
  ZeusObjective obj(t, "cifar100", 1);
  const auto space = obj.space();
  EXPECT_EQ(space.grid_size(), 2u * 2u);
  Config c{{"batch_size", 32.0}, {"power_limit_w", 150.0}};
  const int run = obj.run_of(32);
  const auto out = obj.train_epoch(c, 5);
  EXPECT_DOUBLE_EQ(out.energy_j, 960.0);
  EXPECT_DOUBLE_EQ(out.metric, t.metric_after("cifar100", 32, run, 5));
  Config missing{{"batch_size", 64.0}, {"power_limit_w", 150.0}};  // only 100 W measured
  EXPECT_EQ(obj.trace_config(missing).power_limit_w, 100.0);
  const auto o = obj.tuner_options();
  EXPECT_EQ(o.max_epochs, 100);
  EXPECT_EQ(o.target_metric, 0.6);
}

// Power-limit profiling (Zeus's just-in-time profiler): the space is the batch size alone;
// the first epoch of a configuration pays the profiled iterations above the chosen (cheapest)
// limit, once; later epochs cost the chosen limit's energy.
TEST_F(TinyTrace, ProfiledPowerLimitsCostTheFirstEpochOnly) {
  const auto t = ZeusTrace::load(dir(), "v100");
  PowerProfile profile;
  profile.enabled = true;
  ZeusObjective obj(t, "cifar100", 1, profile);
  const auto space = obj.space();
  ASSERT_EQ(space.params().size(), 1u);
  EXPECT_EQ(space.params()[0].name, "batch_size");
  EXPECT_EQ(space.grid_size(), 2u);  // 32, 64 (128 has no learning curve)
  const Config c{{"batch_size", 32.0}};
  EXPECT_EQ(obj.trace_config(c).power_limit_w, 100.0);  // 900 J per epoch beats 150 W's 960 J
  const double iterations = std::ceil(50000.0 / 32);   // CIFAR-100's 50,000 training images
  const double extra_j = 50 * (960.0 - 900.0) / iterations, extra_s = 50 * (8.0 - 10.0) / iterations;
  EXPECT_DOUBLE_EQ(obj.profile_extra_energy_j(32), extra_j);
  const auto first = obj.train_epoch(c, 1);
  EXPECT_DOUBLE_EQ(first.energy_j, 900.0 + extra_j);
  EXPECT_DOUBLE_EQ(first.duration_s, 10.0 + extra_s);
  EXPECT_DOUBLE_EQ(obj.train_epoch(c, 2).energy_j, 900.0);
  EXPECT_DOUBLE_EQ(obj.profile_extra_energy_j(64), 0.0);  // one limit measured: nothing to profile
  EXPECT_DOUBLE_EQ(obj.true_eta_j(c), t.eta_j("cifar100", 32, 100));
  // A configuration that names its limit trains at it, unprofiled.
  EXPECT_DOUBLE_EQ(obj.train_epoch(Config{{"batch_size", 32.0}, {"power_limit_w", 150.0}}, 1).energy_j, 960.0);
  PowerProfile none;
  none.enabled = true;
  none.iterations_per_limit = 0;
  EXPECT_THROW(ZeusObjective(t, "cifar100", 1, none), std::invalid_argument);
}

TEST_F(TinyTrace, ErrorsNameTheFileAndLine) {
  EXPECT_THROW(ZeusTrace::load(dir(), "h100"), std::invalid_argument);
  std::string m = message_of([&] { ZeusTrace::load(dir(), "a40"); });
  EXPECT_NE(m.find("summary_power_a40.csv: cannot open"), std::string::npos) << m;
  write("summary_power_v100.csv",
        "dataset,network,batch_size,optimizer,power_limit,time_per_epoch,average_power\n"
        "cifar100,shufflenetv2,32,adadelta,100,ten,90\n");
  m = message_of([&] { ZeusTrace::load(dir(), "v100"); });
  EXPECT_NE(m.find("summary_power_v100.csv line 2: column 'time_per_epoch' holds 'ten'"), std::string::npos) << m;
  write("summary_train.csv", "dataset,network,batch_size\ncifar100,shufflenetv2,32\n");
  m = message_of([&] { ZeusTrace::load(dir(), "v100"); });
  EXPECT_NE(m.find("summary_train.csv line 1: missing column 'optimizer'"), std::string::npos) << m;
  write("summary_train.csv",
        "dataset,network,batch_size,optimizer,learning_rate,run,target_metric,target_epoch\n"
        "cifar100,shufflenetv2,32,adadelta,0.1,1,0.3\n");
  m = message_of([&] { ZeusTrace::load(dir(), "v100"); });
  EXPECT_NE(m.find("line 2: expected 8 fields, got 7"), std::string::npos) << m;
}

// The same traces from text (what the fuzz target reads); bad bytes shown escaped, a line
// without end refused, duplicates still found.
TEST(ZeusTraceText, ParseMatchesLoadAndRefusesHostileText) {
  const std::string train =
      "dataset,network,batch_size,optimizer,run,target_metric,target_epoch\n"
      "cifar100,shufflenetv2,32,adadelta,1,0.6,5\n";
  const std::string power =
      "dataset,network,batch_size,optimizer,power_limit,time_per_epoch,average_power\n"
      "cifar100,shufflenetv2,32,adadelta,100,10,90\n";
  const ZeusTrace t = ZeusTrace::parse(train, power, "V100");
  ASSERT_EQ(t.configs("cifar100").size(), 1u);
  EXPECT_DOUBLE_EQ(t.eta_j("cifar100", 32, 100), 5 * 10 * 90.0);

  std::string m = message_of([&] { ZeusTrace::parse(train, power + "cifar100,shufflenetv2,32,adadelta,100,11,91\n", "v100"); });
  EXPECT_NE(m.find("summary_power_v100.csv line 3: duplicate row for batch size 32"), std::string::npos) << m;
  m = message_of([&] { ZeusTrace::parse(train, power + "cifar100,shufflenetv2,32,adadelta,1\x1b[2J,10,90\n", "v100"); });
  EXPECT_NE(m.find("holds '1\\x1b[2J', not a finite number"), std::string::npos) << m;
  m = message_of([&] { ZeusTrace::parse(std::string(100000, 'x'), power, "v100"); });
  EXPECT_NE(m.find("summary_train.csv line 1: the line is longer than 65536 bytes"), std::string::npos) << m;
}

TEST(ZeusTraceData, EveryWorkloadHasConfigsAndAFiniteOptimum) {
  const std::string dir = trace_dir();
  if (!fs::exists(dir + "/summary_train.csv")) GTEST_SKIP() << "no Zeus trace at " << dir;
  for (const std::string gpu : {"v100", "a40", "rtx6000"}) {
    const auto t = ZeusTrace::load(dir, gpu);
    ASSERT_EQ(t.workloads().size(), 6u) << gpu;
    for (const auto& w : t.workloads()) {
      const auto& configs = t.configs(w.dataset);
      int feasible = 0;
      for (const auto& c : configs) feasible += std::isfinite(t.eta_j(w.dataset, c.batch_size, c.power_limit_w));
      const auto best = t.optimum(w.dataset);
      std::cout << gpu << " " << w.dataset << ": " << configs.size() << " configs (" << feasible
                << " reach the target in every run), optimum batch " << best.config.batch_size << " at "
                << best.config.power_limit_w << " W, ETA " << best.eta_j / 3.6e6 << " kWh\n";
      EXPECT_GE(configs.size(), 25u);
      EXPECT_GT(feasible, 0);
      EXPECT_GT(best.eta_j, 0.0);
    }
  }
  // A known row: cifar100 batch 1024 run 1 reaches 0.6 at epoch 74 (trace line 13).
  const auto v100 = ZeusTrace::load(dir, "v100");
  EXPECT_EQ(v100.epochs_to_target("cifar100", 1024, 1), 74);
  EXPECT_EQ(v100.configs("cifar100").size(), 70u);
}
