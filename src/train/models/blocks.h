// Private to train/models: the building blocks of the encoders (convolution blocks, the
// ResNet basic block and stems, global average pooling). Each is a TORCH_MODULE so it can
// sit in a torch::nn::Sequential.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace powertrain::train {

// Conv2d 3x3 (padding 1, no bias) + BatchNorm2d + ReLU, then MaxPool2d(2) when `pool`.
class ConvBlock2dImpl : public torch::nn::Module {
 public:
  ConvBlock2dImpl(int64_t in_channels, int64_t out_channels, bool pool);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  bool pool_;
  torch::nn::Conv2d conv_{nullptr};
  torch::nn::BatchNorm2d bn_{nullptr};
};
TORCH_MODULE(ConvBlock2d);

// Conv1d k=5 (padding 2, no bias) + BatchNorm1d + ReLU, then MaxPool1d(2) when `pool`.
class ConvBlock1dImpl : public torch::nn::Module {
 public:
  ConvBlock1dImpl(int64_t in_channels, int64_t out_channels, bool pool);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  bool pool_;
  torch::nn::Conv1d conv_{nullptr};
  torch::nn::BatchNorm1d bn_{nullptr};
};
TORCH_MODULE(ConvBlock1d);

// The ResNet basic block (He et al. 2016): two 3x3 convolutions with BatchNorm, the first
// with `stride`; the shortcut is the identity, or a 1x1 convolution + BatchNorm projection
// (option B) when the stride or the channel count changes.
class BasicBlockImpl : public torch::nn::Module {
 public:
  BasicBlockImpl(int64_t in_channels, int64_t out_channels, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d conv1_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr};
  torch::nn::Conv2d conv2_{nullptr};
  torch::nn::BatchNorm2d bn2_{nullptr};
  torch::nn::Sequential shortcut_{nullptr};  // empty (null) for the identity
};
TORCH_MODULE(BasicBlock);

// One ResNet stage: `blocks` BasicBlocks (children "0", "1", ...) from `in_channels` to
// `out_channels`; the first block has `stride`.
class ResNetStageImpl : public torch::nn::Module {
 public:
  ResNetStageImpl(int64_t in_channels, int64_t out_channels, int64_t blocks, int64_t stride);
  torch::Tensor forward(torch::Tensor x);

 private:
  std::vector<BasicBlock> blocks_;
};
TORCH_MODULE(ResNetStage);

// The ResNet stem. Small images: Conv 3x3 stride 1 + BN + ReLU. ImageNet-sized images
// (`large`): Conv 7x7 stride 2 + BN + ReLU + MaxPool 3x3 stride 2.
class ResNetStemImpl : public torch::nn::Module {
 public:
  ResNetStemImpl(int64_t in_channels, int64_t out_channels, bool large);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  bool large_;
  torch::nn::Conv2d conv_{nullptr};
  torch::nn::BatchNorm2d bn_{nullptr};
};
TORCH_MODULE(ResNetStem);

// Averages every dimension after the channels: [B,C,...] -> [B,C].
class GlobalAvgPoolImpl : public torch::nn::Module {
 public:
  torch::Tensor forward(const torch::Tensor& x);
};
TORCH_MODULE(GlobalAvgPool);

}  // namespace powertrain::train
