// Private to train/: the models. Every model is an encoder (features) plus one or more
// linear heads (classifiers); an autoencoder adds a decoder back to the input. This one
// shape serves plain classifiers, pretrained/frozen encoders and multitask models.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace powertrain::train {

class ModelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ModelSpec {
  std::string type = "mlp";            // encoder family: mlp, cnn, tutorial_cnn, lenet5, resnet, resnet18, conv1d
  std::vector<int64_t> hidden = {256}; // mlp: hidden layer widths
  int64_t width = 16;                  // cnn/resnet/conv1d: channels of the first stage
  std::vector<int64_t> channels;       // cnn: channels of each 3x3 conv block (empty: [width, 2 x width])
  int64_t dense = 0;                   // cnn: dense ReLU layer on the flattened maps (0: global average pooling)
  bool batch_norm = true;              // cnn: BatchNorm after each convolution
  int64_t depth = 20;                  // resnet (CIFAR style): 6n+2, e.g. 20, 32, 44, 56
  double dropout = 0.0;                // before each head
  int64_t feature_dim = 0;             // >0: a linear bottleneck of this size ends the encoder
                                       // (the autoencoder's latent); 0: the family's own size
  bool decoder = false;                // build a decoder (autoencoder)
};

// Returns the names of the encoder families.
std::vector<std::string> model_types();

class ModelImpl : public torch::nn::Module {
 public:
  // `input_shape` is one example's shape (no batch dim): [C,H,W] images, [C,T] windows,
  // [F] tabular. `head_classes` has one entry per head (task). Throws ModelError when the
  // spec does not fit the input (e.g. resnet on tabular data) naming what to change.
  ModelImpl(const ModelSpec& spec, std::vector<int64_t> input_shape, std::vector<int64_t> head_classes);

  // Returns the encoder's features [B, feature_dim].
  torch::Tensor features(const torch::Tensor& x);
  // Returns the logits of head 0 [B, classes_0].
  torch::Tensor forward(const torch::Tensor& x);
  // Returns the logits of every head.
  std::vector<torch::Tensor> forward_heads(const torch::Tensor& x);
  // Returns the reconstruction of x (same shape as x, values in [0,1] via sigmoid).
  // Throws ModelError without a decoder.
  torch::Tensor reconstruct(const torch::Tensor& x);

  torch::nn::Sequential& encoder() { return encoder_; }
  int64_t feature_dim() const { return feature_dim_; }
  size_t head_count() const { return heads_->size(); }
  bool has_decoder() const { return !decoder_.is_empty(); }
  const ModelSpec& spec() const { return spec_; }
  const std::vector<int64_t>& input_shape() const { return input_shape_; }

  // Saves the encoder's parameters and buffers to `path` (with the spec and input shape
  // so a mismatch on load is explained).
  void save_encoder(const std::string& path);
  // Loads encoder weights saved by save_encoder; throws ModelError naming the file and
  // the mismatch when they do not fit this model.
  void load_encoder(const std::string& path);
  // Freezes (requires_grad=false, and eval mode for normalisation layers while frozen) or
  // unfreezes the encoder.
  void freeze_encoder(bool frozen);
  bool encoder_frozen() const { return frozen_; }
  // Overrides train(): keeps a frozen encoder in eval mode.
  void train(bool on = true) override;

 private:
  ModelSpec spec_;
  std::vector<int64_t> input_shape_;
  int64_t feature_dim_ = 0;
  bool frozen_ = false;
  torch::nn::Sequential encoder_{nullptr};
  torch::nn::ModuleList heads_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::Sequential decoder_{nullptr};
};
TORCH_MODULE(Model);

// Returns the number of parameters (only those with requires_grad when trainable_only).
int64_t parameter_count(torch::nn::Module& m, bool trainable_only = false);

// Returns a per-layer table: name, type, output shape for one example, parameter count,
// and totals (runs one forward pass on zeros on the CPU).
std::string model_summary(Model& m);

}  // namespace powertrain::train
