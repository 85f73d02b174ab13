// The mini-batch iterator of the training loop: a seeded permutation per epoch, batches
// gathered with index_select and copied to the training device.
#include "train/data/dataset.h"

#include <ATen/CPUGeneratorImpl.h>

namespace powertrain::train {

BatchIterator::BatchIterator(const Dataset& data, int64_t batch_size, bool shuffle, uint64_t seed,
                             torch::Device device, bool drop_last)
    : data_(data),
      batch_size_(batch_size),
      shuffle_(shuffle),
      drop_last_(drop_last),
      device_(device),
      seed_(seed),
      gen_(at::make_generator<at::CPUGeneratorImpl>(seed)) {
  if (batch_size < 1) throw DataError("batch size must be at least 1, got " + std::to_string(batch_size));
  reset();
}

void BatchIterator::reset() {
  const int64_t n = data_.size();
  pos_ = 0;
  if (n == 0) return;  // an empty (or undefined) dataset has no batches
  // The order lives on the dataset's device so that index_select needs no copy per batch.
  if (shuffle_) {
    order_ = torch::randperm(n, gen_, torch::kInt64).to(data_.x.device());
  } else if (!order_.defined() || order_.size(0) != n) {
    order_ = torch::arange(n, torch::TensorOptions().dtype(torch::kInt64).device(data_.x.device()));
  }
}

void BatchIterator::start_epoch(int64_t epoch) {
  // splitmix64 of (seed, epoch): neighbouring epochs get unrelated orders.
  uint64_t z = seed_ + 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(epoch + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  gen_.set_current_seed(z ^ (z >> 31));
  reset();
}

bool BatchIterator::next(Batch& out) {
  const int64_t n = data_.size();
  const int64_t remaining = n - pos_;
  if (remaining <= 0 || (drop_last_ && remaining < batch_size_)) return false;
  const int64_t end = pos_ + std::min(batch_size_, remaining);
  const torch::Tensor indices = order_.slice(0, pos_, end);
  pos_ = end;
  out.x = data_.x.index_select(0, indices);
  out.y = data_.y.index_select(0, indices.device() == data_.y.device() ? indices : indices.to(data_.y.device()));
  if (out.x.device() != device_) out.x = out.x.to(device_);
  if (out.y.device() != device_) out.y = out.y.to(device_);
  return true;
}

int64_t BatchIterator::batches_per_epoch() const {
  const int64_t n = data_.size();
  return drop_last_ ? n / batch_size_ : (n + batch_size_ - 1) / batch_size_;
}

}  // namespace powertrain::train
