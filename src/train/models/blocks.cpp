// The encoders' building blocks: convolution blocks, the ResNet basic block and stem,
// global average pooling (see blocks.h).
#include "train/models/blocks.h"

namespace powertrain::train {

namespace nn = torch::nn;

namespace {

nn::Conv2d conv2d(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(false));
}

}  // namespace

ConvBlock2dImpl::ConvBlock2dImpl(int64_t in_channels, int64_t out_channels, bool pool) : pool_(pool) {
  conv_ = register_module("conv", conv2d(in_channels, out_channels, 3, 1, 1));
  bn_ = register_module("bn", nn::BatchNorm2d(out_channels));
}

torch::Tensor ConvBlock2dImpl::forward(const torch::Tensor& x) {
  auto y = torch::relu(bn_(conv_(x)));
  return pool_ ? torch::max_pool2d(y, 2) : y;
}

ConvBlock1dImpl::ConvBlock1dImpl(int64_t in_channels, int64_t out_channels, bool pool) : pool_(pool) {
  conv_ = register_module(
      "conv", nn::Conv1d(nn::Conv1dOptions(in_channels, out_channels, 5).padding(2).bias(false)));
  bn_ = register_module("bn", nn::BatchNorm1d(out_channels));
}

torch::Tensor ConvBlock1dImpl::forward(const torch::Tensor& x) {
  auto y = torch::relu(bn_(conv_(x)));
  return pool_ ? torch::max_pool1d(y, 2) : y;
}

BasicBlockImpl::BasicBlockImpl(int64_t in_channels, int64_t out_channels, int64_t stride) {
  conv1_ = register_module("conv1", conv2d(in_channels, out_channels, 3, stride, 1));
  bn1_ = register_module("bn1", nn::BatchNorm2d(out_channels));
  conv2_ = register_module("conv2", conv2d(out_channels, out_channels, 3, 1, 1));
  bn2_ = register_module("bn2", nn::BatchNorm2d(out_channels));
  if (stride != 1 || in_channels != out_channels) {
    shortcut_ = register_module(
        "shortcut", nn::Sequential(conv2d(in_channels, out_channels, 1, stride, 0), nn::BatchNorm2d(out_channels)));
  }
}

torch::Tensor BasicBlockImpl::forward(const torch::Tensor& x) {
  auto y = torch::relu(bn1_(conv1_(x)));
  y = bn2_(conv2_(y));
  return torch::relu(y + (shortcut_.is_empty() ? x : shortcut_->forward(x)));
}

ResNetStageImpl::ResNetStageImpl(int64_t in_channels, int64_t out_channels, int64_t blocks, int64_t stride) {
  for (int64_t i = 0; i < blocks; ++i) {
    blocks_.push_back(register_module(std::to_string(i), BasicBlock(i == 0 ? in_channels : out_channels,
                                                                      out_channels, i == 0 ? stride : 1)));
  }
}

torch::Tensor ResNetStageImpl::forward(torch::Tensor x) {
  for (auto& block : blocks_) x = block(x);
  return x;
}

ResNetStemImpl::ResNetStemImpl(int64_t in_channels, int64_t out_channels, bool large) : large_(large) {
  conv_ = register_module("conv", large ? conv2d(in_channels, out_channels, 7, 2, 3)
                                        : conv2d(in_channels, out_channels, 3, 1, 1));
  bn_ = register_module("bn", nn::BatchNorm2d(out_channels));
}

torch::Tensor ResNetStemImpl::forward(const torch::Tensor& x) {
  auto y = torch::relu(bn_(conv_(x)));
  return large_ ? torch::max_pool2d(y, /*kernel_size=*/3, /*stride=*/2, /*padding=*/1) : y;
}

torch::Tensor GlobalAvgPoolImpl::forward(const torch::Tensor& x) {
  return x.dim() > 2 ? x.flatten(2).mean(2) : x;
}

}  // namespace powertrain::train
