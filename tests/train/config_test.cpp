// Training config: defaults, overrides, and errors that name the key and the fix.
#include "powertrain/train/config.h"

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace powertrain {
namespace {

std::string error_of(const std::string& json, const std::vector<std::string>& overrides = {}) {
  try {
    parse_train_config(json, "test.json", overrides);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Config, EmptyObjectGivesTheDocumentedDefaults) {
  auto c = parse_train_config("{}", "test.json");
  EXPECT_EQ(c.task, "classify");
  EXPECT_EQ(c.data.format, "idx");
  EXPECT_EQ(c.data.path, "/usr/share/datasets/fashion-mnist");
  EXPECT_EQ(c.model.type, "mlp");
  EXPECT_EQ(c.optimizer.type, "adam");
  EXPECT_DOUBLE_EQ(c.optimizer.lr, 1e-3);
  EXPECT_EQ(c.training.precision, "fp32");
  EXPECT_EQ(c.training.threads, 0);
  EXPECT_EQ(c.early_stopping.monitor, "val_loss");
  EXPECT_EQ(c.early_stopping.max_epochs, c.training.epochs);
}

TEST(Config, ReadsEveryNestedSection) {
  auto c = parse_train_config(R"({
    // comments are allowed
    "name": "cifar-resnet", "task": "classify",
    "data": {"format": "cifar10", "path": "/data/cifar", "subset": 5000, "seed": 3},
    "model": {"type": "resnet", "depth": 56, "width": 16, "dropout": 0.1},
    "optimizer": {"type": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": true, "weight_decay": 5e-4},
    "schedule": {"type": "one_cycle", "max_lr": 0.5, "pct_start": 0.3},
    "training": {"epochs": 30, "batch_size": 256, "precision": "bf16", "device": "cuda:1", "threads": 4},
    "early_stopping": {"monitor": "val_metric", "patience": 3, "min_delta": 0.001, "target": 0.9},
    "checkpoint": {"path": "best.pt"},
    "energy": {"interval_ms": 50, "grid": "DE", "pue": 1.2},
    "multitask": {"aux": "parity", "alpha": [1.0, 0.3]}
  })", "test.json");
  EXPECT_EQ(c.name, "cifar-resnet");
  EXPECT_EQ(c.data.subset, 5000);
  EXPECT_EQ(c.model.depth, 56);
  EXPECT_TRUE(c.optimizer.nesterov);
  EXPECT_DOUBLE_EQ(c.schedule.max_lr, 0.5);
  EXPECT_EQ(c.training.device, "cuda:1");
  EXPECT_DOUBLE_EQ(c.early_stopping.target, 0.9);
  EXPECT_EQ(c.early_stopping.max_epochs, 30);
  EXPECT_DOUBLE_EQ(c.multitask.alpha[1], 0.3);
}

TEST(Config, UnknownKeyNamesTheKeyAndTheAllowedOnes) {
  auto e = error_of(R"({"optimizer": {"learning_rate": 0.1}})");
  EXPECT_NE(e.find("optimizer.learning_rate: unknown key"), std::string::npos) << e;
  EXPECT_NE(e.find("lr"), std::string::npos) << e;
  e = error_of(R"({"epochs": 3})");
  EXPECT_NE(e.find("epochs: unknown key"), std::string::npos) << e;
  EXPECT_NE(e.find("training"), std::string::npos) << e;
}

TEST(Config, WrongTypeAndImpossibleValuesAreNamed) {
  auto e = error_of(R"({"training": {"batch_size": "big"}})");
  EXPECT_NE(e.find("training.batch_size: must be an integer, not a string"), std::string::npos) << e;
  e = error_of(R"({"optimizer": {"type": "adamx"}})");
  EXPECT_NE(e.find("optimizer.type: 'adamx' is not allowed; use one of: sgd, adam, adamw"), std::string::npos) << e;
  e = error_of(R"({"optimizer": {"lr": -1}})");
  EXPECT_NE(e.find("optimizer.lr: -1 is out of range"), std::string::npos) << e;
  e = error_of(R"({"training": {"precision": "fp8"}})");
  EXPECT_NE(e.find("fp32, fp16, bf16"), std::string::npos) << e;
  e = error_of(R"({"training": {"device": "tpu"}})");
  EXPECT_NE(e.find("training.device"), std::string::npos) << e;
  e = error_of(R"({"schedule": {"type": "one_cycle"}})");
  EXPECT_NE(e.find("schedule.max_lr: required by the one_cycle schedule"), std::string::npos) << e;
  e = error_of(R"({"model": {"freeze_encoder": true}})");
  EXPECT_NE(e.find("model.encoder_path"), std::string::npos) << e;
  e = error_of(R"({"data": []})");
  EXPECT_NE(e.find("data: must be an object"), std::string::npos) << e;
  e = error_of(R"({"multitask": {"alpha": [1]}})");
  EXPECT_NE(e.find("multitask.alpha"), std::string::npos) << e;
  e = error_of("{ not json");
  EXPECT_NE(e.find("not valid JSON"), std::string::npos) << e;
}

TEST(Config, SetOverridesApplyBeforeValidation) {
  auto c = parse_train_config(R"({"optimizer": {"lr": 0.1}})", "test.json",
                              {"optimizer.lr=0.01", "optimizer.type=sgd", "training.batch_size=512",
                               "optimizer.nesterov=true", "model.hidden=[64,32]", "data.subset=100"});
  EXPECT_DOUBLE_EQ(c.optimizer.lr, 0.01);
  EXPECT_EQ(c.optimizer.type, "sgd");
  EXPECT_EQ(c.training.batch_size, 512);
  EXPECT_TRUE(c.optimizer.nesterov);
  EXPECT_EQ(c.model.hidden, (std::vector<int64_t>{64, 32}));
  EXPECT_EQ(c.data.subset, 100);
  auto e = error_of("{}", {"optimizer.lrr=0.1"});
  EXPECT_NE(e.find("optimizer.lrr: unknown key"), std::string::npos) << e;
  e = error_of("{}", {"justakey"});
  EXPECT_NE(e.find("expected key.path=value"), std::string::npos) << e;
  e = error_of("{}", {"training.batch_size=abc"});
  EXPECT_NE(e.find("training.batch_size: must be an integer"), std::string::npos) << e;
}

TEST(Config, JsonRoundTrip) {
  auto c = parse_train_config(R"({"name": "x", "optimizer": {"type": "adamw", "weight_decay": 0.05},
                                  "schedule": {"type": "cosine", "min_lr": 1e-5}})", "a.json");
  auto again = parse_train_config(train_config_json(c), "b.json");
  EXPECT_EQ(again.name, "x");
  EXPECT_EQ(again.optimizer.type, "adamw");
  EXPECT_DOUBLE_EQ(again.optimizer.weight_decay, 0.05);
  EXPECT_EQ(again.schedule.type, "cosine");
  EXPECT_DOUBLE_EQ(again.schedule.min_lr, 1e-5);
  EXPECT_TRUE(std::isnan(again.schedule.max_lr));
}

TEST(Config, LoadNamesAMissingFile) {
  try {
    load_train_config("/nonexistent/cfg.json");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/cfg.json"), std::string::npos);
  }
  test::TempDir dir;
  test::write_file(dir.file("c.json"), R"({"training": {"epochs": 0}})");
  try {
    load_train_config(dir.file("c.json"));
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("c.json: training.epochs: 0 is out of range"), std::string::npos) << e.what();
  }
}

// A number beyond a double (1e400) used to escape as nlohmann's out_of_range and abort
// the command (exit 134); now it is a ConfigError naming the key, in the file and in --set.
TEST(Config, NumberTooLargeForADoubleNamesTheKey) {
  auto e = error_of(R"({"optimizer": {"lr": 1e400}})");
  EXPECT_NE(e.find("config test.json: optimizer.lr: 1e400 is not a finite number"), std::string::npos) << e;
  e = error_of(R"({"multitask": {"alpha": [1, -1e999]}})");
  EXPECT_NE(e.find("multitask.alpha[1]: -1e999 is not a finite number"), std::string::npos) << e;
  e = error_of("{}", {"optimizer.lr=1e400"});
  EXPECT_NE(e.find("--set optimizer.lr: 1e400 is not a finite number"), std::string::npos) << e;
  e = error_of(R"({"training": {"epochs": 18446744073709551615}})");
  EXPECT_NE(e.find("training.epochs: 18446744073709551615 is out of range; allowed: [1, 100000]"), std::string::npos) << e;
  e = error_of(R"({"data": {"seed": 9223372036854775808}})");
  EXPECT_NE(e.find("data.seed: 9223372036854775808 is out of range"), std::string::npos) << e;
  e = error_of(R"({"model": {"hidden": [64, 18446744073709551615]}})");
  EXPECT_NE(e.find("model.hidden: must hold integers in [1, 65536], found 18446744073709551615 at index 1"), std::string::npos) << e;
}

// Sizes are bounded: a list of a million layers, a huge width, a megabyte of name are
// errors naming the key and the limit, not an unbounded model build.
TEST(Config, SizesAreBounded) {
  std::string hidden = "[1";
  for (int i = 1; i < 1000000; ++i) hidden += ",1";
  hidden += "]";
  auto e = error_of(R"({"model": {"hidden": )" + hidden + "}}");
  EXPECT_NE(e.find("model.hidden: has 1000000 entries; at most 64 are allowed"), std::string::npos) << e.substr(0, 300);
  e = error_of(R"({"model": {"hidden": [1048576]}})");
  EXPECT_NE(e.find("model.hidden: must hold integers in [1, 65536]"), std::string::npos) << e;
  e = error_of(R"({"model": {"feature_dim": 1048576}})");
  EXPECT_NE(e.find("model.feature_dim: 1048576 is out of range"), std::string::npos) << e;
  e = error_of(R"({"name": ")" + std::string(5000, 'x') + R"("})");
  EXPECT_NE(e.find("name: is 5000 characters long; at most 4096 are allowed"), std::string::npos) << e.substr(0, 300);
  e = error_of(R"({"multitask": {"alpha": [1, 1, 1]}})");
  EXPECT_NE(e.find("multitask.alpha: has 3 entries; at most 2 are allowed"), std::string::npos) << e;
  e = error_of(R"({"training": {"device": "cuda:x"}})");
  EXPECT_NE(e.find("training.device: 'cuda:x' is not allowed"), std::string::npos) << e;
  EXPECT_EQ(parse_train_config(R"({"training": {"device": "cuda:12"}})", "t.json").training.device, "cuda:12");
}

// Raw bytes in a bad config are shown escaped, never echoed to the terminal as they are.
TEST(Config, ErrorsShowRawBytesEscaped) {
  auto e = error_of(R"({"optimizer": {"type": "\u001b[31m"}})");
  EXPECT_NE(e.find("'\\x1b[31m' is not allowed"), std::string::npos) << e;
  EXPECT_EQ(e.find('\x1b'), std::string::npos) << e;
  e = error_of("{\"name\": \"\xff\"}");
  EXPECT_NE(e.find("not valid JSON (in name)"), std::string::npos) << e;
  EXPECT_EQ(e.find('\xff'), std::string::npos) << e;
  e = error_of(R"({"a\u0001": 1})");
  EXPECT_NE(e.find("a\\x01: unknown key"), std::string::npos) << e;
}

TEST(Config, ADirectoryOrAnEndlessFileIsNamedForWhatItIs) {
  test::TempDir dir;
  try {
    load_train_config(dir.path());
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(dir.path() + " is a directory, not a config file"), std::string::npos) << e.what();
  }
  try {
    load_train_config("/dev/zero");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("/dev/zero is larger than 16 MiB"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace powertrain

namespace powertrain {
namespace {

// Every config shipped in examples/ stays valid.
TEST(Config, ExampleConfigsAreValid) {
  int n = 0;
  for (const char* name : {"fashion_mlp", "fashion_cnn", "superconvergence", "autoencoder_pretrain", "multitask",
                           "cifar10_resnet20", "pamap2_conv1d"}) {
    std::string path = std::string(POWERTRAIN_SOURCE_DIR) + "/examples/" + name + ".json";
    EXPECT_NO_THROW(load_train_config(path)) << path;
    ++n;
  }
  EXPECT_EQ(n, 7);
}

}  // namespace
}  // namespace powertrain
