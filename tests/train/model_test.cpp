// Tests for src/train/models: output shapes of every encoder family, parameter counts,
// spec/input validation, multitask heads, the autoencoder, saving/loading and freezing the
// encoder, and the summary table.
#include "train/models/model.h"

#include "support/test_support.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace powertrain::train {
namespace {

using Shape = std::vector<int64_t>;

ModelSpec spec_of(const std::string& type, int64_t width = 16) {
  ModelSpec spec;
  spec.type = type;
  spec.width = width;
  return spec;
}

Shape batch_of(int64_t batch, const Shape& input) {
  Shape shape = {batch};
  shape.insert(shape.end(), input.begin(), input.end());
  return shape;
}

Shape sizes(const torch::Tensor& t) { return t.sizes().vec(); }

// Runs `fn`, expects a ModelError, and returns its message ("" when none was thrown).
std::string model_error(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const ModelError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a ModelError";
  return "";
}

// Checks one family: features [B, feature_dim] and logits [B, classes].
void expect_shapes(const ModelSpec& spec, const Shape& input, int64_t feature_dim) {
  SCOPED_TRACE(spec.type);
  Model model(spec, input, Shape{10});
  EXPECT_EQ(model->feature_dim(), feature_dim);
  const auto x = torch::randn(batch_of(2, input));
  EXPECT_EQ(sizes(model->features(x)), (Shape{2, feature_dim}));
  EXPECT_EQ(sizes(model->forward(x)), (Shape{2, 10}));
  model->eval();
  EXPECT_EQ(sizes(model->forward(x)), (Shape{2, 10}));
}

std::map<std::string, torch::Tensor> encoder_state(Model& model) {
  std::map<std::string, torch::Tensor> state;
  for (const auto& p : model->encoder()->named_parameters()) state[p.key()] = p.value().detach().clone();
  for (const auto& b : model->encoder()->named_buffers()) state[b.key()] = b.value().detach().clone();
  return state;
}

bool same_state(const std::map<std::string, torch::Tensor>& a, const std::map<std::string, torch::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [name, tensor] : a) {
    const auto other = b.find(name);
    if (other == b.end() || !torch::equal(tensor, other->second)) return false;
  }
  return true;
}

TEST(ModelShapes, MlpOnImagesAndTabular) {
  ModelSpec spec = spec_of("mlp");
  spec.hidden = {64, 32};
  expect_shapes(spec, {1, 28, 28}, 32);
  expect_shapes(spec, {12}, 32);
}

TEST(ModelShapes, Cnn) {
  expect_shapes(spec_of("cnn", 8), {1, 28, 28}, 16);
  expect_shapes(spec_of("cnn", 8), {3, 32, 32}, 16);
}

TEST(ModelShapes, ConfigurableCnnTutorialCnnAndLeNet5) {
  ModelSpec spec = spec_of("cnn");
  spec.channels = {8, 16, 32};
  expect_shapes(spec, {1, 28, 28}, 32);  // three blocks, global average pooling
  spec.dense = 64;
  spec.batch_norm = false;
  expect_shapes(spec, {3, 32, 32}, 64);  // flattened 32x4x4 into 64
  expect_shapes(spec_of("tutorial_cnn"), {1, 28, 28}, 128);
  expect_shapes(spec_of("lenet5"), {1, 28, 28}, 84);
  expect_shapes(spec_of("lenet5"), {3, 32, 32}, 84);
  spec.channels = {8, 8, 8, 8, 8};
  EXPECT_THROW(Model(spec, Shape{1, 16, 16}, Shape{10}), ModelError);  // 2^5 > 16: fewer channels, says the message
}

TEST(ModelParams, TutorialCnnAndLeNet5CountAsPublished) {
  // Tutorial CNN: conv 1->32 (3x3+bias), conv 32->64, dense 64*7*7->128, head 128->10.
  Model tutorial(spec_of("tutorial_cnn"), Shape{1, 28, 28}, Shape{10});
  EXPECT_EQ(parameter_count(*tutorial), (9 + 1) * 32 + (32 * 9 + 1) * 64 + (64 * 7 * 7 + 1) * 128 + (128 + 1) * 10);
  EXPECT_EQ(parameter_count(*tutorial), 421642);
  // LeNet-5: 61,706 parameters with a 10-class head (28x28 padded to 32x32).
  Model lenet(spec_of("lenet5"), Shape{1, 28, 28}, Shape{10});
  EXPECT_EQ(parameter_count(*lenet), 61706);
  // A configurable cnn without BatchNorm and with a dense layer.
  ModelSpec spec = spec_of("cnn");
  spec.channels = {4, 8};
  spec.dense = 16;
  spec.batch_norm = false;
  Model cnn(spec, Shape{1, 28, 28}, Shape{10});
  EXPECT_EQ(parameter_count(*cnn), (9 + 1) * 4 + (4 * 9 + 1) * 8 + (8 * 7 * 7 + 1) * 16 + (16 + 1) * 10);
}

TEST(ModelShapes, CifarResNet) {
  ModelSpec spec = spec_of("resnet", 4);
  spec.depth = 20;
  expect_shapes(spec, {3, 32, 32}, 16);
  // 3 stages of 3 blocks after the stem.
  Model model(spec, Shape{3, 32, 32}, Shape{10});
  EXPECT_EQ(model->encoder()->named_children()["stage2"]->children().size(), 3u);
}

TEST(ModelShapes, ResNet18) {
  expect_shapes(spec_of("resnet18", 4), {3, 32, 32}, 128);
  // ImageNet-sized input takes the 7x7 stride-2 stem with max-pool.
  expect_shapes(spec_of("resnet18", 2), {3, 64, 64}, 64);
}

TEST(ModelShapes, Conv1d) {
  expect_shapes(spec_of("conv1d", 8), {27, 64}, 16);
  expect_shapes(spec_of("conv1d", 8), {3, 3}, 16);  // too short to pool three times
}

TEST(ModelShapes, BottleneckSetsFeatureDim) {
  ModelSpec spec = spec_of("cnn", 4);
  spec.feature_dim = 5;
  expect_shapes(spec, {1, 28, 28}, 5);
}

TEST(ModelParams, MlpCountByHand) {
  ModelSpec spec = spec_of("mlp");
  spec.hidden = {256};
  Model model(spec, Shape{1, 28, 28}, Shape{10});
  EXPECT_EQ(parameter_count(*model), 784 * 256 + 256 + 256 * 10 + 10);
  EXPECT_EQ(parameter_count(*model, /*trainable_only=*/true), parameter_count(*model));
  model->freeze_encoder(true);
  EXPECT_EQ(parameter_count(*model, /*trainable_only=*/true), 256 * 10 + 10);
}

TEST(ModelErrors, BadResNetDepth) {
  ModelSpec spec = spec_of("resnet", 4);
  spec.depth = 18;
  const auto msg = model_error([&] { Model(spec, Shape{3, 32, 32}, Shape{10}); });
  EXPECT_NE(msg.find("resnet depth must be 6n+2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("got 18"), std::string::npos) << msg;
  EXPECT_NE(msg.find("use type resnet18"), std::string::npos) << msg;
  spec.depth = 2;
  EXPECT_NE(model_error([&] { Model(spec, Shape{3, 32, 32}, Shape{10}); }).find("6n+2"), std::string::npos);
}

TEST(ModelErrors, WrongInputRank) {
  for (const std::string type : {"cnn", "resnet", "resnet18"}) {
    const auto msg = model_error([&] { Model(spec_of(type), Shape{784}, Shape{10}); });
    EXPECT_NE(msg.find("[C,H,W]"), std::string::npos) << msg;
    EXPECT_NE(msg.find("[784]"), std::string::npos) << msg;
  }
  const auto msg = model_error([&] { Model(spec_of("conv1d"), Shape{3, 32, 32}, Shape{10}); });
  EXPECT_NE(msg.find("[C,T]"), std::string::npos) << msg;
  EXPECT_NE(model_error([&] { Model(spec_of("cnn"), Shape{1, 2, 2}, Shape{10}); }).find("4x4"), std::string::npos);
}

TEST(ModelErrors, UnknownType) {
  const auto msg = model_error([&] { Model(spec_of("transformer"), Shape{12}, Shape{10}); });
  EXPECT_NE(msg.find("'transformer'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("mlp, cnn, tutorial_cnn, lenet5, resnet, resnet18, conv1d"), std::string::npos) << msg;
}

TEST(ModelErrors, BadHeadsAndSpec) {
  EXPECT_NE(model_error([&] { Model(spec_of("mlp"), Shape{12}, Shape{10, 1}); }).find("head 1"), std::string::npos);
  EXPECT_NE(model_error([&] { Model(spec_of("mlp"), Shape{12}, Shape{}); }).find("decoder"), std::string::npos);
  ModelSpec spec = spec_of("mlp");
  spec.dropout = 1.0;
  EXPECT_NE(model_error([&] { Model(spec, Shape{12}, Shape{10}); }).find("dropout"), std::string::npos);
}

TEST(ModelErrors, WrongBatchShape) {
  Model model(spec_of("mlp"), Shape{1, 28, 28}, Shape{10});
  const auto msg = model_error([&] { model->forward(torch::zeros({4, 784})); });
  EXPECT_NE(msg.find("[B,1,28,28]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[4,784]"), std::string::npos) << msg;
}

TEST(ModelMultitask, OneLogitTensorPerHead) {
  ModelSpec spec = spec_of("cnn", 4);
  spec.dropout = 0.5;
  Model model(spec, Shape{3, 32, 32}, Shape{10, 2});
  EXPECT_EQ(model->head_count(), 2u);
  const auto x = torch::randn({3, 3, 32, 32});
  const auto logits = model->forward_heads(x);
  ASSERT_EQ(logits.size(), 2u);
  EXPECT_EQ(sizes(logits[0]), (Shape{3, 10}));
  EXPECT_EQ(sizes(logits[1]), (Shape{3, 2}));
  model->eval();  // no dropout: forward() is head 0
  EXPECT_TRUE(torch::allclose(model->forward(x), model->forward_heads(x)[0]));
}

TEST(ModelAutoencoder, ReconstructsInputShapeInUnitRange) {
  ModelSpec spec = spec_of("mlp");
  spec.hidden = {64};
  spec.feature_dim = 8;
  spec.decoder = true;
  Model model(spec, Shape{1, 28, 28}, Shape{});
  EXPECT_TRUE(model->has_decoder());
  EXPECT_EQ(model->feature_dim(), 8);
  const auto x = torch::rand({3, 1, 28, 28});
  EXPECT_EQ(sizes(model->features(x)), (Shape{3, 8}));
  const auto y = model->reconstruct(x);
  EXPECT_EQ(sizes(y), (Shape{3, 1, 28, 28}));
  EXPECT_GE(y.min().item<double>(), 0.0);
  EXPECT_LE(y.max().item<double>(), 1.0);
  EXPECT_NE(model_error([&] { model->forward(x); }).find("no classification head"), std::string::npos);

  Model classifier(spec_of("mlp"), Shape{12}, Shape{3});
  EXPECT_NE(model_error([&] { classifier->reconstruct(torch::zeros({1, 12})); }).find("no decoder"),
            std::string::npos);
}

TEST(ModelAutoencoder, ConvolutionalEncoderWithHead) {
  ModelSpec spec = spec_of("cnn", 4);
  spec.feature_dim = 6;
  spec.decoder = true;
  Model model(spec, Shape{3, 16, 16}, Shape{4});
  const auto x = torch::rand({2, 3, 16, 16});
  EXPECT_EQ(sizes(model->reconstruct(x)), (Shape{2, 3, 16, 16}));
  EXPECT_EQ(sizes(model->forward(x)), (Shape{2, 4}));
}

TEST(ModelSaveLoad, RoundTripIntoFreshModel) {
  test::TempDir dir;
  const std::string path = dir.file("encoder.pt");
  const ModelSpec spec = spec_of("cnn", 4);
  Model trained(spec, Shape{1, 28, 28}, Shape{10});
  trained->train();
  trained->forward(torch::randn({4, 1, 28, 28}));  // moves the BatchNorm running statistics
  trained->save_encoder(path);

  Model fresh(spec, Shape{1, 28, 28}, Shape{5});  // another task: only the encoder is shared
  EXPECT_FALSE(same_state(encoder_state(trained), encoder_state(fresh)));
  fresh->load_encoder(path);
  EXPECT_TRUE(same_state(encoder_state(trained), encoder_state(fresh)));

  trained->eval();
  fresh->eval();
  const auto x = torch::randn({2, 1, 28, 28});
  EXPECT_TRUE(torch::equal(trained->features(x), fresh->features(x)));
}

TEST(ModelSaveLoad, MismatchNamesFileAndTensor) {
  test::TempDir dir;
  const std::string path = dir.file("mlp.pt");
  ModelSpec wide = spec_of("mlp");
  wide.hidden = {256};
  Model(wide, Shape{1, 28, 28}, Shape{10})->save_encoder(path);

  ModelSpec narrow = spec_of("mlp");
  narrow.hidden = {128};
  Model model(narrow, Shape{1, 28, 28}, Shape{10});
  const auto before = encoder_state(model);
  const auto msg = model_error([&] { model->load_encoder(path); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("encoder.fc1.weight: file has [256,784], model has [128,784]"), std::string::npos) << msg;
  EXPECT_TRUE(same_state(before, encoder_state(model)));  // a failed load changes nothing

  ModelSpec deeper = wide;
  deeper.hidden = {256, 64};
  const auto extra = model_error([&] { Model(deeper, Shape{1, 28, 28}, Shape{10})->load_encoder(path); });
  EXPECT_NE(extra.find("encoder.fc2.weight: missing from the file"), std::string::npos) << extra;

  const auto type = model_error([&] { Model(spec_of("cnn", 4), Shape{1, 28, 28}, Shape{10})->load_encoder(path); });
  EXPECT_NE(type.find("type differs"), std::string::npos) << type;
  EXPECT_NE(type.find("file: mlp encoder"), std::string::npos) << type;
}

TEST(ModelSaveLoad, MissingOrCorruptFile) {
  test::TempDir dir;
  Model model(spec_of("mlp"), Shape{12}, Shape{2});
  const std::string missing = dir.file("missing.pt");
  EXPECT_NE(model_error([&] { model->load_encoder(missing); }).find(missing), std::string::npos);

  const std::string corrupt = dir.file("corrupt.pt");
  test::write_file(corrupt, "this is not a torch archive");
  const auto msg = model_error([&] { model->load_encoder(corrupt); });
  EXPECT_NE(msg.find(corrupt), std::string::npos) << msg;

  const std::string unwritable = dir.file("no/such/dir/encoder.pt");
  EXPECT_NE(model_error([&] { model->save_encoder(unwritable); }).find(unwritable), std::string::npos);
}

TEST(ModelFreeze, FrozenEncoderAndBatchNormStayPut) {
  torch::manual_seed(1);
  Model model(spec_of("cnn", 4), Shape{1, 8, 8}, Shape{3});
  model->freeze_encoder(true);
  model->train();
  EXPECT_TRUE(model->encoder_frozen());
  EXPECT_TRUE(model->is_training());
  EXPECT_FALSE(model->encoder()->is_training());
  for (const auto& m : model->encoder()->modules()) EXPECT_FALSE(m->is_training());

  torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9).weight_decay(1e-3));
  const auto x = torch::randn({8, 1, 8, 8});
  const auto y = torch::randint(0, 3, {8}, torch::kLong);
  auto step = [&] {
    sgd.zero_grad();
    torch::nn::functional::cross_entropy(model->forward(x), y).backward();
    sgd.step();
  };
  auto head_weight = [&] { return model->named_parameters()["heads.0.weight"].detach().clone(); };

  const auto encoder_before = encoder_state(model);
  const auto head_before = head_weight();
  step();
  EXPECT_TRUE(same_state(encoder_before, encoder_state(model)));
  EXPECT_FALSE(torch::equal(head_before, head_weight()));

  model->freeze_encoder(false);
  EXPECT_FALSE(model->encoder_frozen());
  EXPECT_TRUE(model->encoder()->is_training());
  step();
  const auto encoder_after = encoder_state(model);
  EXPECT_FALSE(torch::equal(encoder_before.at("block1.conv.weight"), encoder_after.at("block1.conv.weight")));
  EXPECT_FALSE(torch::equal(encoder_before.at("block1.bn.running_mean"), encoder_after.at("block1.bn.running_mean")));
}

TEST(ModelSummary, ListsLayersAndTotals) {
  Model model(spec_of("cnn", 4), Shape{1, 28, 28}, Shape{10, 2});
  model->train();
  const std::string summary = model_summary(model);
  for (const std::string row : {"encoder.block1", "encoder.block2", "encoder.pool", "ConvBlock2d", "GlobalAvgPool",
                                "[4,14,14]", "[8,7,7]", "heads.0", "heads.1", "Linear", "[10]", "[2]"}) {
    EXPECT_NE(summary.find(row), std::string::npos) << row << " not in\n" << summary;
  }
  EXPECT_NE(summary.find("total params: " + std::to_string(parameter_count(*model))), std::string::npos) << summary;
  EXPECT_TRUE(model->is_training());  // the mode is restored
  EXPECT_TRUE(model->encoder()->is_training());

  model->eval();
  model_summary(model);
  EXPECT_FALSE(model->is_training());
}

TEST(ModelSummary, ResNetStagesDecoderAndFrozenCounts) {
  ModelSpec spec = spec_of("resnet", 4);
  spec.feature_dim = 8;
  spec.decoder = true;
  Model model(spec, Shape{3, 16, 16}, Shape{});
  model->freeze_encoder(true);
  const std::string summary = model_summary(model);
  for (const std::string row : {"encoder.stem", "ResNetStem", "encoder.stage3", "3 x BasicBlock", "[16,4,4]",
                                "encoder.bottleneck", "decoder.3", "[3,16,16]"}) {
    EXPECT_NE(summary.find(row), std::string::npos) << row << " not in\n" << summary;
  }
  const int64_t decoder_params = 8 * 256 + 256 + 256 * 3 * 16 * 16 + 3 * 16 * 16;
  EXPECT_EQ(parameter_count(*model, /*trainable_only=*/true), decoder_params);
  EXPECT_NE(summary.find("trainable params: " + std::to_string(decoder_params)), std::string::npos) << summary;
}

}  // namespace
}  // namespace powertrain::train
