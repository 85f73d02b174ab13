// The trainer end to end: real training on a Fashion-MNIST subset (Debian's
// dataset-fashion-mnist), early stopping, divergence, checkpoints, frozen encoders,
// multitask loss weighting, precision, interrupts, the LR range test, and the store.
#include "powertrain/train/trainer.h"
#include "powertrain/train/summary.h"

#include <gtest/gtest.h>
#include <filesystem>
#include <set>
#include <signal.h>

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "support/test_support.h"
#include "train/session.h"

namespace powertrain {
namespace {

using test::TempDir;

// A fast config: 3000 training examples, an MLP, no GPU or RAPL (the estimate path).
TrainConfig small(const std::vector<std::string>& overrides = {}) {
  std::vector<std::string> o = {"data.subset=3000", "data.val_fraction=0.05", "training.epochs=3", "training.batch_size=64",
                                "model.hidden=[128]"};
  o.insert(o.end(), overrides.begin(), overrides.end());
  return parse_train_config("{}", "test", o);
}

TrainHooks no_hardware(const TempDir& dir) {
  TrainHooks h;
  h.sensors.nvml_library = dir.file("absent-libnvidia-ml.so.1");
  h.sensors.powercap_root = dir.file("absent-powercap");
  return h;
}

TEST(Trainer, FashionMnistSubsetLearnsAndRecordsEnergyPerEpoch) {
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  TrainHooks h = no_hardware(dir);
  h.store = &store;
  int epochs_seen = 0;
  h.on_epoch = [&](const EpochRecord&) { ++epochs_seen; };
  TrainResult r = train_model(small(), h);
  EXPECT_EQ(r.status, RunStatus::completed);
  EXPECT_EQ(r.epochs_run, 3);
  EXPECT_EQ(epochs_seen, 3);
  // Each epoch forecasts the run's training energy; at the last one the forecast is what was spent.
  double spent_j = 0;
  for (const auto& e : r.epochs) {
    spent_j += e.energy_j;
    ASSERT_TRUE(e.metrics.count("forecast_energy_j")) << e.epoch;
    EXPECT_LE(e.metrics.at("forecast_energy_low_j"), e.metrics.at("forecast_energy_j"));
    EXPECT_GE(e.metrics.at("forecast_energy_high_j"), e.metrics.at("forecast_energy_j"));
    EXPECT_EQ(e.metrics.at("forecast_stop_epoch"), 3);  // no target, no patience left to use: all 3 epochs
  }
  EXPECT_NEAR(r.epochs.back().metrics.at("forecast_energy_j"), spent_j, 1e-6 * spent_j);
  // Stated accuracy: an MLP on 3000 Fashion-MNIST images reaches >= 75 % in 3 epochs.
  EXPECT_GE(r.best_val_metric, 0.75);
  EXPECT_GE(r.test_metric, 0.75);
  EXPECT_EQ(r.train_examples, 3000);
  EXPECT_EQ(r.parameters, 784 * 128 + 128 + 128 * 10 + 10);
  ASSERT_EQ(r.epochs.size(), 3u);
  double sum_j = 0;
  for (const auto& e : r.epochs) {
    EXPECT_TRUE(std::isfinite(e.energy_j) && e.energy_j > 0) << e.epoch;
    EXPECT_EQ(e.energy_provenance, Provenance::estimated);
    EXPECT_GT(e.samples_per_s, 0);
    sum_j += e.energy_j;
  }
  EXPECT_LT(r.epochs[2].train_loss, r.epochs[0].train_loss);
  // The run window holds the epochs plus the final test. With no counter, each window's
  // energy is Eq. 1 (its samples' mean power x its duration), which is not exactly additive
  // across windows (the run's mean weighs each sample once, not by the epoch it fell in): CI
  // once saw the run 0.08 % below its epochs' sum. So: at least the epochs, within 2 %.
  EXPECT_GE(r.energy_j, 0.98 * sum_j);
  // Stored: the run with its epochs as windows and as rows.
  auto run = store.run(r.run_id);
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->kind, "train");
  EXPECT_EQ(run->status, RunStatus::completed);
  EXPECT_DOUBLE_EQ(run->energy_j, r.energy_j);
  auto rows = store.epochs(r.run_id);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_DOUBLE_EQ(rows[1].energy_j, r.epochs[1].energy_j);
  EXPECT_DOUBLE_EQ(rows[2].val_metric, r.epochs[2].val_metric);
  EXPECT_EQ(store.windows(r.run_id).size(), 4u);  // run + 3 epochs
}

TEST(Trainer, StopsAtTheTargetMetric) {
  TempDir dir;
  TrainResult r = train_model(small({"early_stopping.target=0.5", "early_stopping.monitor=\"val_metric\""}), no_hardware(dir));
  EXPECT_EQ(r.status, RunStatus::target_reached);
  EXPECT_EQ(r.epochs_run, 1);
  EXPECT_GE(r.best_val_metric, 0.5);
}

TEST(Trainer, PatienceStopsARunThatNoLongerImproves) {
  TempDir dir;
  // A learning rate so small that nothing improves by min_delta after the first epoch.
  TrainResult r = train_model(small({"optimizer.lr=1e-9", "early_stopping.patience=1", "early_stopping.min_delta=0.01",
                                     "training.epochs=10"}),
                              no_hardware(dir));
  EXPECT_EQ(r.status, RunStatus::early_stopped);
  EXPECT_EQ(r.epochs_run, 2);
  EXPECT_EQ(r.best_epoch, 1);
}

TEST(Trainer, DivergenceEndsTheRunWithARecordNotACrash) {
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  TrainHooks h = no_hardware(dir);
  h.store = &store;
  // Weight decay with lr x wd = 10 multiplies the weights by -9 every step: they overflow
  // within the first epoch, whatever the data.
  TrainResult r = train_model(small({"optimizer.type=sgd", "optimizer.lr=10", "optimizer.weight_decay=1",
                                     "optimizer.momentum=0", "model.hidden=[]"}), h);
  EXPECT_EQ(r.status, RunStatus::diverged);
  EXPECT_NE(r.stop_reason.find("lower optimizer.lr"), std::string::npos) << r.stop_reason;
  EXPECT_EQ(store.run(r.run_id)->status, RunStatus::diverged);
  EXPECT_FALSE(store.epochs(r.run_id).empty());
}

// A learning rate of 1e6 makes the loss explode without ever becoming NaN (it used to be
// recorded completed, with test accuracy at chance): the loss far above its start ends it.
TEST(Trainer, ALossFarAboveItsStartEndsTheRunAsDiverged) {
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  TrainHooks h = no_hardware(dir);
  h.store = &store;
  TrainResult r = train_model(small({"optimizer.lr=1e6", "training.epochs=2"}), h);
  EXPECT_EQ(r.status, RunStatus::diverged);
  EXPECT_NE(r.stop_reason.find("lower optimizer.lr"), std::string::npos) << r.stop_reason;
  EXPECT_EQ(r.epochs_run, 1) << r.stop_reason;
  EXPECT_EQ(store.run(r.run_id)->status, RunStatus::diverged);
  // The same with the rule off trains on to the end.
  TrainResult off = train_model(small({"optimizer.lr=1e6", "training.epochs=1", "early_stopping.divergence_factor=0"}),
                                no_hardware(dir));
  EXPECT_NE(off.status, RunStatus::diverged) << off.stop_reason;
}

TEST(Trainer, AnOutputPathThatCannotBeWrittenIsRefusedBeforeTraining) {
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  for (std::string key : {"checkpoint.path", "model.save_encoder_path"}) {
    TrainHooks h = no_hardware(dir);
    h.store = &store;
    bool trained = false;
    h.on_step = [&](const TrainProgress&) { trained = true; };
    try {
      train_model(small({key + "=" + dir.file("missing/out.pt")}), h);
      FAIL() << key << ": a missing directory must be refused";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(trained) << key;
  }
  EXPECT_TRUE(store.runs().empty());
}

TEST(Trainer, APowerLimitOnARunThatTrainsOnTheCpuIsRefusedBeforeTraining) {
  // The limit is set on the CUDA GPU a run trains on (energy/power_limit.h, tested on the
  // fake NVML); a CPU run cannot have one, and says so instead of ignoring it.
  TempDir dir;
  TrainHooks h = no_hardware(dir);
  bool trained = false;
  h.on_step = [&](const TrainProgress&) { trained = true; };
  try {
    train_model(small({"training.device=\"cpu\"", "training.power_limit_w=200"}), h);
    FAIL() << "a power limit on a CPU run must be refused";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("training.power_limit_w 200: this run trains on cpu"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("use training.device cuda"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(trained);
  EXPECT_THROW(small({"training.power_limit_w=-5"}), ConfigError);
}

TEST(Trainer, CheckpointRoundTripReproducesTheTestMetric) {
  TempDir dir;
  auto cfg = small({"checkpoint.path=\"" + dir.file("best.pt") + "\"", "training.epochs=2"});
  TrainResult r = train_model(cfg, no_hardware(dir));
  ASSERT_EQ(r.checkpoint_path, dir.file("best.pt"));
  auto s = train::open_session(cfg, {});
  int epoch = train::load_checkpoint(r.checkpoint_path, s, /*with_optimizer=*/true);
  EXPECT_EQ(epoch, r.best_epoch);
  auto test = train::evaluate(s, s.data.test);
  EXPECT_NEAR(test.metric, r.test_metric, 1e-9);
  // A checkpoint of another model is refused with the file named.
  auto other = train::open_session(small({"model.hidden=[32]"}), {});
  try {
    train::load_checkpoint(r.checkpoint_path, other, false);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("best.pt"), std::string::npos) << e.what();
  }
}

TEST(Trainer, FrozenPretrainedEncoderStaysUnchangedAndFineTuningChangesIt) {
  TempDir dir;
  // Pretrain an autoencoder one epoch and keep its encoder.
  TrainResult ae = train_model(small({"task=autoencoder", "model.feature_dim=32", "training.epochs=1",
                                      "model.save_encoder_path=\"" + dir.file("enc.pt") + "\""}),
                               no_hardware(dir));
  ASSERT_EQ(ae.status, RunStatus::completed);
  EXPECT_TRUE(std::isnan(ae.best_val_metric));  // no accuracy for an autoencoder
  auto encoder_tensors = [](const std::string& path) {
    torch::serialize::InputArchive a;
    a.load_from(path);
    std::vector<torch::Tensor> out;
    for (const auto& key : a.keys()) {
      torch::Tensor t;
      if (a.try_read(key, t)) out.push_back(t);
    }
    return out;
  };
  auto before = encoder_tensors(dir.file("enc.pt"));
  ASSERT_FALSE(before.empty());
  auto classify = [&](bool freeze, const std::string& out) {
    return train_model(small({"model.feature_dim=32", "training.epochs=1", "model.encoder_path=\"" + dir.file("enc.pt") + "\"",
                              std::string("model.freeze_encoder=") + (freeze ? "true" : "false"),
                              "model.save_encoder_path=\"" + out + "\""}),
                       no_hardware(dir));
  };
  TrainResult frozen = classify(true, dir.file("frozen.pt"));
  EXPECT_LT(frozen.trainable_parameters, frozen.parameters);
  auto after_frozen = encoder_tensors(dir.file("frozen.pt"));
  ASSERT_EQ(after_frozen.size(), before.size());
  for (size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(torch::equal(before[i], after_frozen[i])) << i;
  TrainResult tuned = classify(false, dir.file("tuned.pt"));
  EXPECT_EQ(tuned.trainable_parameters, tuned.parameters);
  auto after_tuned = encoder_tensors(dir.file("tuned.pt"));
  bool changed = false;
  for (size_t i = 0; i < before.size(); ++i) changed |= !torch::equal(before[i], after_tuned[i]);
  EXPECT_TRUE(changed);
}

TEST(Trainer, MultitaskLossIsTheAlphaWeightedSum) {
  auto cfg = small({"multitask.aux=fashion_coarse", "multitask.alpha=[0.5, 2.0]"});
  auto s = train::open_session(cfg, {});
  ASSERT_EQ(s.model->head_count(), 2u);
  auto x = s.data.train.x.narrow(0, 0, 32);
  auto y = s.data.train.y.narrow(0, 0, 32);
  {
    torch::NoGradGuard no_grad;
    s.model->eval();
    auto heads = s.model->forward_heads(x);
    // Coarse groups: upper body, lower/full body, footwear, bag.
    auto coarse = torch::tensor(std::vector<int64_t>{0, 1, 0, 1, 0, 2, 0, 2, 3, 2}).index_select(0, y);
    double expected = 0.5 * torch::cross_entropy_loss(heads[0], y).item<double>() +
                      2.0 * torch::cross_entropy_loss(heads[1], coarse).item<double>();
    EXPECT_NEAR(train::batch_loss(s, x, y).loss.item<double>(), expected, 1e-5);
    // The evaluation reports the auxiliary head's accuracy beside the main head's.
    auto vx = s.data.val.x, vy = s.data.val.y;
    auto val_heads = s.model->forward_heads(vx);
    auto val_coarse = torch::tensor(std::vector<int64_t>{0, 1, 0, 1, 0, 2, 0, 2, 3, 2}).index_select(0, vy);
    double aux_expected = val_heads[1].argmax(1).eq(val_coarse).sum().item<double>() / static_cast<double>(vy.size(0));
    train::Evaluation ev = train::evaluate(s, s.data.val);
    EXPECT_NEAR(ev.aux_metric, aux_expected, 1e-9);
    EXPECT_NEAR(ev.metric, val_heads[0].argmax(1).eq(vy).sum().item<double>() / static_cast<double>(vy.size(0)), 1e-9);
  }
  TrainResult r = train_model(small({"multitask.aux=parity", "training.epochs=1"}), TrainHooks());
  EXPECT_EQ(r.status, RunStatus::completed);
  EXPECT_GT(r.best_val_metric, 0.5);
  ASSERT_EQ(r.epochs.size(), 1u);
  ASSERT_TRUE(r.epochs[0].metrics.count("aux_accuracy"));  // stored with the epoch, printed on its line
  EXPECT_GT(r.epochs[0].metrics.at("aux_accuracy"), 0.5);   // parity after one epoch beats a coin
  EXPECT_LE(r.epochs[0].metrics.at("aux_accuracy"), 1.0);
  EXPECT_NE(epoch_line(r.epochs[0]).find("aux acc"), std::string::npos);
  // A one-head run has no auxiliary accuracy.
  TrainResult one = train_model(small({"training.epochs=1"}), TrainHooks());
  EXPECT_EQ(one.epochs[0].metrics.count("aux_accuracy"), 0u);
}

TEST(Trainer, TutorialCnnBeats88PercentOnFashionMnistInTwoEpochs) {
  // The CNN of the PyTorch tutorials, as a new user trains it: Adam 1e-3, batch 64, on the
  // Fashion-MNIST training set (5 % held out for validation). Measured: 89.5 % test accuracy
  // after 2 epochs (docs/train.md).
  TempDir dir;
  TrainConfig cfg = parse_train_config("{}", "test",
                                       {"model.type=\"tutorial_cnn\"", "data.subset=0", "data.val_fraction=0.05", "optimizer.type=\"adam\"",
                                        "optimizer.lr=0.001", "training.batch_size=64", "training.epochs=2"});
  TrainResult r = train_model(cfg, no_hardware(dir));
  EXPECT_EQ(r.status, RunStatus::completed);
  EXPECT_EQ(r.parameters, 421642);
  EXPECT_GT(r.test_metric, 0.88);
}

TEST(Trainer, Bf16OnCpuTrainsAndFp16OnCpuIsRefusedClearly) {
  TempDir dir;
  TrainResult r = train_model(small({"training.precision=bf16", "training.epochs=1"}), no_hardware(dir));
  EXPECT_EQ(r.status, RunStatus::completed);
  EXPECT_EQ(r.precision, "bf16");
  EXPECT_GT(r.best_val_metric, 0.6);
  try {
    train_model(small({"training.precision=fp16", "training.epochs=1"}), no_hardware(dir));
    FAIL() << "fp16 on a CPU must be refused";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("bf16"), std::string::npos) << e.what();
  }
}

TEST(Trainer, InterruptStopsAfterTheCurrentStepAndKeepsTheRecord) {
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  std::atomic<bool> stop{false};
  TrainHooks h = no_hardware(dir);
  h.store = &store;
  h.stop_requested = &stop;
  h.on_step = [&](const TrainProgress& p) { if (p.epoch == 2 && p.step >= 5) stop = true; };
  TrainResult r = train_model(small(), h);
  EXPECT_EQ(r.status, RunStatus::interrupted);
  EXPECT_EQ(r.epochs_run, 2);
  EXPECT_EQ(store.run(r.run_id)->status, RunStatus::interrupted);
  EXPECT_EQ(store.epochs(r.run_id).size(), 2u);
}

// Ctrl-C while the test set is evaluated ends the evaluation after its current batch; the
// run is interrupted with every epoch stored.
TEST(Trainer, InterruptDuringTheTestEndsItAndKeepsTheEpochs) {
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  std::atomic<bool> stop{false};
  TrainHooks h = no_hardware(dir);
  h.store = &store;
  h.stop_requested = &stop;
  h.on_epoch = [&](const EpochRecord& e) { if (e.epoch == 2) stop = true; };  // after the last validation
  TrainResult r = train_model(small({"training.epochs=2"}), h);
  EXPECT_EQ(r.status, RunStatus::interrupted);
  EXPECT_NE(r.stop_reason.find("during the test"), std::string::npos) << r.stop_reason;
  EXPECT_TRUE(std::isnan(r.test_metric));
  EXPECT_EQ(store.run(r.run_id)->status, RunStatus::interrupted);
  EXPECT_EQ(store.epochs(r.run_id).size(), 2u);
}

// The evaluation itself stops at a set flag before its next batch.
TEST(Trainer, EvaluationStopsAtTheStopFlag) {
  train::Session s = train::open_session(small(), {});
  std::atomic<bool> stop{true};
  train::Evaluation e = train::evaluate(s, s.data.val, &stop);
  EXPECT_TRUE(e.interrupted);
  EXPECT_TRUE(std::isnan(e.loss));
  stop = false;
  train::Evaluation full = train::evaluate(s, s.data.val, &stop);
  EXPECT_FALSE(full.interrupted);
  EXPECT_TRUE(std::isfinite(full.loss));
}

TEST(LrFind, SweepsExponentiallyAndSuggestsARateInsideTheRange) {
  TempDir dir;
  Store store = Store::open(dir.file("p.db"));
  TrainHooks h = no_hardware(dir);
  h.store = &store;
  LrFindSpec spec;
  spec.start_lr = 1e-5;
  spec.end_lr = 10;
  spec.steps = 60;
  LrFindResult r = lr_find(small({"optimizer.type=sgd"}), spec, h);
  ASSERT_GE(r.lr.size(), 10u);
  EXPECT_DOUBLE_EQ(r.lr[0], 1e-5);
  EXPECT_NEAR(r.lr[1] / r.lr[0], std::pow(1e6, 1.0 / 59), 1e-9);
  EXPECT_GT(r.suggested_lr, 1e-5);
  EXPECT_LT(r.suggested_lr, 10);
  EXPECT_TRUE(std::isfinite(r.energy.total_energy_j()));
  auto run = store.run(r.run_id);
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->kind, "lr_find");
  ASSERT_TRUE(run->details.lr_sweep.has_value());
  EXPECT_TRUE(std::isfinite(run->details.lr_sweep->suggested_lr));
}

TEST(TrainCli, BadConfigExitsTwoNamingTheKey) {
  TempDir dir;
  test::write_file(dir.file("c.json"), R"({"optimizer": {"type": "rmsprop"}})");
  auto r = test::run_program({POWERTRAIN_BIN, "train", dir.file("c.json"), "--db", dir.file("p.db")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("optimizer.type: 'rmsprop' is not allowed"), std::string::npos) << r.err;
  auto r2 = test::run_program({POWERTRAIN_BIN, "train", dir.file("missing.json")});
  EXPECT_EQ(r2.exit_code, 2);
  EXPECT_NE(r2.err.find("missing.json"), std::string::npos) << r2.err;
}

TEST(TrainCli, TrainsPrintsPerEpochLinesAndWritesJson) {
  TempDir dir;
  test::write_file(dir.file("c.json"), R"({"name": "cli", "data": {"subset": 1000}, "training": {"epochs": 2}})");
  auto r = test::run_program({POWERTRAIN_BIN, "train", dir.file("c.json"), "--set", "model.hidden=[32]", "--db",
                              dir.file("p.db"), "--json", dir.file("r.json"), "--powercap-root", dir.file("none"), "--summary"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("total params: 25450"), std::string::npos) << r.err;  // 784*32+32 + 32*10+10
  EXPECT_NE(r.err.find("epoch train loss"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("stored as run 1"), std::string::npos) << r.err;
  auto j = test::read_file(dir.file("r.json"));
  EXPECT_NE(j.find("\"schema\": \"powertrain.train/1\""), std::string::npos);
  EXPECT_NE(j.find("\"energy_provenance\": \"estimated\""), std::string::npos);
}

}  // namespace
}  // namespace powertrain

#include "powertrain/train/tune_objective.h"
#include "powertrain/tune/registry.h"
#include "powertrain/tune/sm2.h"

namespace powertrain {
namespace {

// SM2's phases on a small real training space: the exploration trains every configuration
// one epoch and screens batch sizes by energy; successive halving then trains survivors
// further, each configuration resuming where it stopped.
TEST(TrainingStudy, Sm2ExploresThenHalvesOnRealTraining) {
  TempDir dir;
  TrainConfig base = small({"training.epochs=3", "optimizer.type=sgd"});
  DiscoverOptions sensors;
  sensors.nvml_library = dir.file("absent-libnvidia-ml.so.1");
  sensors.powercap_root = dir.file("absent-powercap");
  TrainingObjective objective(base, sensors);
  tune::SearchSpace space;
  space.add_categorical("training.batch_size", {64.0, 1024.0});
  space.add_categorical("optimizer.lr", {0.1, 0.001});
  tune::TunerOptions options;
  options.max_epochs = 3;
  tune::Tuner tuner(objective, options);
  auto strategy = tune::make_strategy("sm2", space, 3, 0);
  auto* sm2 = dynamic_cast<tune::Sm2*>(strategy.get());
  ASSERT_NE(sm2, nullptr);
  auto records = tuner.run(*strategy);
  ASSERT_GE(records.size(), 5u);
  double sum_j = 0, exploration_j = 0;
  int exploratory = 0;
  std::map<std::string, int> epochs;
  for (const auto& r : records) {
    EXPECT_TRUE(std::isfinite(r.trial_energy_j));
    sum_j += r.trial_energy_j;
    std::string key = tune::config_key(r.trial.config);
    EXPECT_EQ(r.from_epoch, epochs[key]);  // training resumes where the config stopped
    epochs[key] = r.to_epoch;
    if (sm2->is_exploratory(r.trial.id)) {
      ++exploratory;
      exploration_j += r.trial_energy_j;
      EXPECT_EQ(r.to_epoch, 1);
    }
  }
  EXPECT_EQ(exploratory, 4);  // every configuration explored once
  EXPECT_NEAR(sm2->exploration_energy_j(), exploration_j, 1e-9 * exploration_j);
  EXPECT_NEAR(tuner.search_energy_j(), sum_j, 1e-9 * sum_j);
  // Which configurations survive depends on measured energy per epoch (here: estimated from
  // CPU load); what must hold is that only survivors trained past the exploration, and that
  // the best of them reached the full budget.
  auto survivors = sm2->survivors();
  ASSERT_GE(survivors.size(), 1u);
  ASSERT_LE(survivors.size(), 4u);
  std::set<std::string> survivor_keys;
  for (const auto& c : survivors) survivor_keys.insert(tune::config_key(c));
  int full = 0;
  for (const auto& [key, e] : epochs) {
    if (e > 1) {
      EXPECT_TRUE(survivor_keys.count(key)) << key << " was screened out but trained on";
    }
    full += e == 3;
  }
  EXPECT_GE(full, 1);
  EXPECT_EQ(objective.energy_provenance(), Provenance::estimated);
  EXPECT_TRUE(strategy->best().has_value());
}

// A study whose space sets training.power_limit_w trains each configuration at its limit
// (energy/power_limit.h, tested on the fake NVML); on the CPU it is refused, not ignored.
TEST(TrainingStudy, APowerLimitInTheSpaceIsRefusedOnTheCpuNotIgnored) {
  TempDir dir;
  DiscoverOptions sensors;
  sensors.nvml_library = dir.file("absent-libnvidia-ml.so.1");
  sensors.powercap_root = dir.file("absent-powercap");
  TrainingObjective objective(small({"training.device=\"cpu\""}), sensors);
  const tune::Config config{{"training.power_limit_w", 200.0}};
  for (int i = 0; i < 2; ++i) {
    try {
      if (i == 0) objective.train_epoch(config, 1);
      else objective.probe(config, {});
      ADD_FAILURE() << "a power limit on a CPU run must be refused";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("training.power_limit_w 200: this run trains on cpu"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(objective.epochs_trained(), 0);
}

// Runs SM2 with probes over `space` on real training, as a study file does (`lr_screen`: the
// probes sweep the learning rates); returns its trials (and the strategy in `made`).
std::vector<tune::TrialRecord> sm2_with_probes(TrainingObjective& objective, const tune::SearchSpace& space, int max_epochs,
                                               bool lr_screen, std::unique_ptr<tune::Strategy>* made = nullptr) {
  tune::TunerOptions options;
  options.max_epochs = max_epochs;
  tune::Tuner tuner(objective, options);
  tune::StrategyBudget budget;
  budget.max_budget = max_epochs;
  budget.probe = true;
  budget.lr_screen = lr_screen;
  auto strategy = tune::make_strategy("sm2", space, budget, 0);
  auto records = tuner.run(*strategy);
  if (made) *made = std::move(strategy);
  return records;
}

// The cyclical-LR screening on real training: a probe's measured steps sweep learning rates,
// rising; the one that diverges shows it, and SM2 then trains no epoch at it.
TEST(TrainingStudy, AProbesLearningRateSweepShowsTheLearningRateThatDiverges) {
  TempDir dir;
  TrainConfig base = small({"training.epochs=1"});
  const DiscoverOptions sensors = no_hardware(dir).sensors;
  TrainingObjective objective(base, sensors);
  const tune::Config config{{"training.batch_size", 64.0}};
  // Adam (the default optimizer): 0.001 is its usual rate, 10 far beyond any.
  const auto p = objective.probe(config, {0.001, 0.1, 10.0});
  ASSERT_TRUE(p.has_value());
  EXPECT_GT(p->energy_per_sample_j, 0);  // the sweep's steps still measure the cost of a sample
  ASSERT_EQ(p->lr_instability.size(), 3u);
  EXPECT_EQ(p->lr_instability[0].lr, 0.001);
  EXPECT_LT(p->lr_instability[0].instability, 0.1);
  EXPECT_EQ(p->lr_instability[2].instability, 1.0);  // 10 diverged
  // Too many learning rates for kMinStepsPerLr steps each: no sweep, just the cost.
  const auto crowded = objective.probe(config, {1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3});
  ASSERT_TRUE(crowded.has_value());
  EXPECT_TRUE(crowded->lr_instability.empty());
  EXPECT_GT(crowded->energy_per_sample_j, 0);

  // SM2 as a study file runs it (probes with LR screening): lr 10 pays no epoch.
  tune::SearchSpace space;
  space.add_categorical("training.batch_size", {64.0});
  space.add_categorical("optimizer.lr", {0.001, 10.0});
  const auto records = sm2_with_probes(objective, space, 1, true);
  ASSERT_GE(records.size(), 2u);
  ASSERT_TRUE(records[0].trial.probe);
  EXPECT_EQ(records[0].trial.lr_sweep, (std::vector<double>{0.001, 10.0}));
  ASSERT_EQ(records[0].result.lr_instability.size(), 2u);
  EXPECT_EQ(records[0].result.lr_instability[1].instability, 1.0);
  for (size_t i = 1; i < records.size(); ++i) {
    EXPECT_FALSE(records[i].trial.probe) << i;
    EXPECT_EQ(std::get<double>(records[i].trial.config.at("optimizer.lr")), 0.001) << i;
  }
  EXPECT_EQ(objective.epochs_trained(), 1);
}

// A probe trains a throwaway copy of a configuration for a few steps and measures its
// energy per sample; the configuration itself then trains as if never probed. With probes
// on, SM2 probes every configuration before any epoch.
TEST(TrainingStudy, AProbeMeasuresEnergyPerSampleAndLeavesTheConfigurationUntouched) {
  TempDir dir;
  TrainConfig base = small({"training.epochs=2"});
  const DiscoverOptions sensors = no_hardware(dir).sensors;
  const tune::Config config{{"training.batch_size", 64.0}};
  TrainingObjective probed(base, sensors);
  const auto p = probed.probe(config, {});
  ASSERT_TRUE(p.has_value());
  EXPECT_GT(p->energy_j, 0);
  EXPECT_GT(p->duration_s, 0);
  ASSERT_TRUE(std::isfinite(p->energy_per_sample_j));
  EXPECT_GT(p->energy_per_sample_j, 0);
  // The measured steps (20 of 64 samples) are part of all the probe spent (with 5 warm-up steps).
  EXPECT_LT(p->energy_per_sample_j * TrainingObjective::kProbeSteps * 64, p->energy_j);
  EXPECT_EQ(probed.epochs_trained(), 0);
  EXPECT_EQ(probed.energy_provenance(), Provenance::estimated);
  TrainingObjective plain(base, sensors);
  EXPECT_DOUBLE_EQ(probed.train_epoch(config, 1).metric, plain.train_epoch(config, 1).metric);

  // SM2 with probes (as a study file runs it): one probe per configuration, first.
  TrainingObjective objective(base, sensors);
  tune::SearchSpace space;
  space.add_categorical("training.batch_size", {64.0, 512.0});
  std::unique_ptr<tune::Strategy> strategy;
  const auto records = sm2_with_probes(objective, space, 2, false, &strategy);
  ASSERT_GE(records.size(), 3u);
  EXPECT_TRUE(records[0].trial.probe);
  EXPECT_TRUE(records[1].trial.probe);
  for (size_t i = 0; i < 2; ++i) EXPECT_GT(records[i].result.energy_per_sample_j, 0) << i;
  for (size_t i = 2; i < records.size(); ++i) EXPECT_FALSE(records[i].trial.probe) << i;
  EXPECT_GT(records[1].search_energy_j, records[0].trial_energy_j);  // probes count for the search
  EXPECT_TRUE(strategy->best().has_value());
}

// Saved configuration states: a later objective (a resumed study, another worker) continues
// a configuration from the state of the epoch the study recorded, trains only the epochs it
// lacks and ends where an uninterrupted run ends; a state of another epoch, or an unreadable
// one, is not used (the configuration is trained again from its start).
TEST(TrainingStudy, AConfigurationContinuesFromItsSavedStateAsIfNeverStopped) {
  TempDir dir;
  TrainConfig base = small({"optimizer.type=adamw", "optimizer.lr=0.003"});
  const DiscoverOptions sensors = no_hardware(dir).sensors;
  const tune::Config config = {{"training.batch_size", 128.0}};
  const std::string states = dir.file("states");
  auto state_files = [&] {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(states)) names.push_back(e.path().filename().string());
    return names;
  };

  TrainingObjective straight(base, sensors);  // never stopped
  double straight_metric[4] = {};
  for (int e = 1; e <= 3; ++e) straight_metric[e] = straight.train_epoch(config, e).metric;

  {
    TrainingObjective first(base, sensors);
    first.keep_states_in(states);
    first.train_epoch(config, 1);
    first.trial_done(config, 1);
    first.train_epoch(config, 2);
    first.trial_done(config, 2);  // the study recorded 2 epochs; only the newest state is kept
    auto names = state_files();
    ASSERT_EQ(names.size(), 1u);
    EXPECT_NE(names[0].find(".e2.pt"), std::string::npos) << names[0];
  }
  {
    std::vector<std::string> said;
    TrainingObjective later(base, sensors, [&](const std::string& m) { said.push_back(m); });
    later.keep_states_in(states);
    const double metric = later.train_epoch(config, 3).metric;
    EXPECT_EQ(later.states_restored(), 1);
    EXPECT_EQ(later.epochs_trained(), 1);  // epoch 3 only
    EXPECT_DOUBLE_EQ(metric, straight_metric[3]);  // same weights, optimizer state and batch order
    bool told = false;
    for (const auto& m : said) told |= m.find("continues from its state after epoch 2") != std::string::npos;
    EXPECT_TRUE(told);
    later.trial_done(config, 3);
  }
  {
    // The study recorded only epoch 1 (the state of epoch 3 came from a trial it never kept).
    TrainingObjective other(base, sensors);
    other.keep_states_in(states);
    EXPECT_DOUBLE_EQ(other.train_epoch(config, 2).metric, straight_metric[2]);
    EXPECT_EQ(other.states_restored(), 0);
    EXPECT_EQ(other.epochs_trained(), 2);
  }
  {
    // An unreadable state is reported and the configuration trained again.
    auto names = state_files();
    ASSERT_EQ(names.size(), 1u);
    test::write_file(states + "/" + names[0], "not a checkpoint");
    std::vector<std::string> said;
    TrainingObjective broken(base, sensors, [&](const std::string& m) { said.push_back(m); });
    broken.keep_states_in(states);
    broken.train_epoch(config, 4);
    EXPECT_EQ(broken.states_restored(), 0);
    EXPECT_EQ(broken.epochs_trained(), 4);
    bool told = false;
    for (const auto& m : said) told |= m.find("training it again from the start") != std::string::npos;
    EXPECT_TRUE(told);
  }
  test::write_file(dir.file("a-file"), "x");
  TrainingObjective nowhere(base, sensors);
  EXPECT_THROW(nowhere.keep_states_in(dir.file("a-file") + "/states"), std::runtime_error);
}

TEST(TrainingStudy, StudyKeysAreValidatedAsConfigKeys) {
  TrainConfig base = small();
  tune::Config bad = {{"optimizer.learning_rate", 0.1}};
  EXPECT_THROW(apply_tune_config(base, bad), ConfigError);
  tune::Config data = {{"data.subset", 100.0}};
  EXPECT_THROW(apply_tune_config(base, data), ConfigError);
  tune::Config ok = {{"training.batch_size", 256.0}, {"optimizer.type", std::string("adamw")}};
  TrainConfig c = apply_tune_config(base, ok);
  EXPECT_EQ(c.training.batch_size, 256);
  EXPECT_EQ(c.optimizer.type, "adamw");
}

TEST(TuneCliTraining, RealStudyRunsStoresAndEstimatesGrid) {
  TempDir dir;
  test::write_file(dir.file("study.json"), R"({
    "name": "tiny", "train": {"data": {"subset": 1000}, "model": {"hidden": [32]}},
    "space": {"training.batch_size": {"type": "categorical", "values": [64, 512]},
              "optimizer.lr": {"type": "log_float", "low": 0.0001, "high": 0.01}},
    "strategy": "hyperband", "max_epochs": 3})");
  auto r = test::run_program({POWERTRAIN_BIN, "tune", dir.file("study.json"), "--db", dir.file("p.db"), "--json",
                              dir.file("t.json"), "--powercap-root", dir.file("none")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = test::read_file(dir.file("t.json"));
  EXPECT_NE(j.find("\"backend\": \"train\""), std::string::npos);
  EXPECT_NE(j.find("\"energy_provenance\": \"estimated\""), std::string::npos);
  EXPECT_NE(r.err.find("would spend about"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("stored as study 'tiny-"), std::string::npos) << r.err;
  test::write_file(dir.file("bad.json"), R"({"space": {"optimizer.lr": {"type": "normal"}}})");
  auto bad = test::run_program({POWERTRAIN_BIN, "tune", dir.file("bad.json"), "--no-store"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("space.optimizer.lr"), std::string::npos) << bad.err;
}

// Stored trials of a study store (0 while it cannot be read).
int stored_trials(const std::string& db) {
  auto r = test::run_program({"sqlite3", db, "SELECT COUNT(*) FROM study_trials"});
  return r.exit_code == 0 && !r.out.empty() ? std::stoi(r.out) : 0;
}

// A real-training study killed with SIGKILL in the middle of successive halving resumes with
// every half-trained configuration continued from its saved state, not retrained, and ends
// exactly where an uninterrupted study ends (the same trials with the same metrics).
// Successive halving over four batch sizes on real training: rungs of 4, 2 and 1
// configurations at 1, 2 and 4 epochs. Writes study.json into `dir` and returns what an
// uninterrupted `powertrain tune` of it gives (--json).
nlohmann::json halving_study(const TempDir& dir) {
  test::write_file(dir.file("study.json"), R"({
    "name": "halving", "train": {"data": {"subset": 2000}, "model": {"hidden": [64]}, "optimizer": {"type": "adamw"}},
    "space": {"training.batch_size": {"type": "categorical", "values": [32, 64, 128, 256]}},
    "strategy": "sh", "max_epochs": 4, "budget": {"min": 1, "max": 4, "eta": 2}})");
  auto straight = test::run_program({POWERTRAIN_BIN, "tune", dir.file("study.json"), "--no-store", "-q", "--json",
                                     dir.file("straight.json"), "--powercap-root", dir.file("no-powercap")});
  EXPECT_EQ(straight.exit_code, 0) << straight.err;
  auto expected = nlohmann::json::parse(test::read_file(dir.file("straight.json")));
  EXPECT_EQ(expected["trials"].size(), 7u);
  return expected;
}

// The same trials, configurations and metrics (the energies differ from run to run).
void expect_same_trials(const nlohmann::json& got, const nlohmann::json& expected) {
  ASSERT_EQ(got["trials"].size(), expected["trials"].size());
  for (size_t i = 0; i < got["trials"].size(); ++i) {
    const auto& a = got["trials"][i];
    const auto& b = expected["trials"][i];
    EXPECT_EQ(a["config"], b["config"]) << "trial " << i;
    EXPECT_EQ(a["from_epoch"], b["from_epoch"]) << "trial " << i;
    EXPECT_EQ(a["metric"], b["metric"]) << "trial " << i;
  }
  EXPECT_EQ(got["best_config"], expected["best_config"]);
}

TEST(TuneCliTraining, KilledRealStudyContinuesHalfTrainedConfigsFromTheirStates) {
  TempDir dir;
  const auto expected = halving_study(dir);
  ASSERT_EQ(expected["trials"].size(), 7u);
  const std::string none = dir.file("no-powercap");

  // A state directory that cannot be made is refused before anything is stored.
  test::write_file(dir.file("a-file"), "x");
  auto bad = test::run_program({POWERTRAIN_BIN, "tune", dir.file("study.json"), "--db", dir.file("bad.db"), "--states-dir",
                                dir.file("a-file") + "/s", "--powercap-root", none});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("pick another --states-dir"), std::string::npos) << bad.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("bad.db")));

  const std::string db = dir.file("p.db");
  std::vector<std::string> args = {POWERTRAIN_BIN, "tune", dir.file("study.json"), "--db", db, "--study", "s",
                                   "-q", "--pace-ms", "400", "--powercap-root", none};
  pid_t pid = test::start_program(args);
  // Kill it once the first rung (4 trials of one epoch) is stored.
  for (int i = 0; i < 6000 && stored_trials(db) < 4; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  kill(pid, SIGKILL);
  ASSERT_EQ(test::wait_program(pid), 128 + SIGKILL) << "the study finished before it could be killed";
  const int before = stored_trials(db);
  ASSERT_GE(before, 4);
  ASSERT_LT(before, 7);
  const std::string states = db + ".states/s";
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(states)) files += e.path().extension() == ".pt";
  EXPECT_EQ(files, 4u);  // one state per configuration

  auto resumed = test::run_program({POWERTRAIN_BIN, "tune", "--resume", "s", "--db", db, "--json", dir.file("resumed.json"),
                                    "--powercap-root", none});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("continues from its state after epoch"), std::string::npos) << resumed.err;
  EXPECT_EQ(resumed.err.find("training it again"), std::string::npos) << resumed.err;
  expect_same_trials(nlohmann::json::parse(test::read_file(dir.file("resumed.json"))), expected);
  EXPECT_FALSE(std::filesystem::exists(db + ".states")) << "a finished study's states are removed";
}

// Workers share configuration states: the first worker trains the first rung and leaves; the
// second continues every promoted configuration from the first one's states.
TEST(WorkerCliTraining, ASecondWorkerContinuesTheFirstWorkersConfigurations) {
  TempDir dir;
  const auto expected = halving_study(dir);
  ASSERT_EQ(expected["trials"].size(), 7u);
  const std::string storage = "sqlite:" + dir.file("w.db");
  auto first = test::run_program({POWERTRAIN_BIN, "worker", "--storage", storage, "--study", "s", dir.file("study.json"),
                                  "--worker-id", "wa", "--max-trials", "4", "--powercap-root", dir.file("none")});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto second = test::run_program({POWERTRAIN_BIN, "worker", "--storage", storage, "--study", "s", "--worker-id", "wb",
                                   "--poll-s", "0.05", "--json", dir.file("wb.json"), "--powercap-root", dir.file("none")});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  size_t continued = 0;
  for (size_t at = 0; (at = second.err.find("continues from its state after epoch", at)) != std::string::npos; ++at) ++continued;
  EXPECT_EQ(continued, 2u) << second.err;  // the two configurations of the second rung
  EXPECT_EQ(second.err.find("training it again"), std::string::npos) << second.err;
  auto got = nlohmann::json::parse(test::read_file(dir.file("wb.json")));
  EXPECT_EQ(got["worker_trials"].size(), 3u);
  expect_same_trials(got, expected);
  EXPECT_FALSE(std::filesystem::exists(dir.file("w.db.states")));
}

}  // namespace
}  // namespace powertrain
