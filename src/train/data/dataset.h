// Private to train/: datasets in memory as tensors, the readers of each file format,
// seeded splits and the mini-batch iterator. Every reader throws DataError naming the
// file and what is wrong with it (truncated, bad magic, inconsistent sizes, ...). The
// readers parse without LibTorch (parse.h) and then become tensors (tensors.cpp).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "train/data/parse.h"

namespace powertrain::train {

struct Dataset {
  torch::Tensor x;                       // float32: images [N,C,H,W] in [0,1]; sensor windows [N,C,T]; tabular [N,F]
  torch::Tensor y;                       // int64 [N], class index in [0, num_classes)
  int64_t num_classes = 0;
  std::vector<std::string> class_names;  // may be empty
  std::string description;               // e.g. "fashion-mnist train: 60000 x 1x28x28"
  int64_t size() const { return x.defined() ? x.size(0) : 0; }
  // Returns the shape of one example (x's shape without the batch dimension).
  std::vector<int64_t> example_shape() const;
};

// ---- Readers ----------------------------------------------------------------------------

// Returns `raw` as tensors: pixels become float32 / 255, values float32, labels int64.
Dataset to_dataset(RawDataset raw);

// IDX files (MNIST family), gzip-compressed or plain (decided by content, not name).
// Images become [N,1,rows,cols] float32 / 255.
Dataset load_idx(const std::string& images_path, const std::string& labels_path);
// The `split` ("train" or "test") of an MNIST-style directory: {train,t10k}-images-idx3-ubyte[.gz]
// and {train,t10k}-labels-idx1-ubyte[.gz]. 10 classes; Fashion-MNIST names when the
// directory name contains "fashion".
Dataset load_idx_dir(const std::string& dir, const std::string& split);

// CIFAR-10 binary version: records of 1 label byte + 3072 bytes (3x32x32, channel-major).
// `split` "train" reads data_batch_1..5.bin, "test" reads test_batch.bin, from `dir`.
// Class names from batches.meta.txt when present. Images [N,3,32,32] float32 / 255.
Dataset load_cifar10(const std::string& dir, const std::string& split);

// PAMAP2 Protocol .dat files (space-separated, 54 columns: timestamp, activityID, heart
// rate, then 3 IMUs x 17 columns). Rows with activityID 0 (transient) are dropped. The
// 100 Hz IMU channels used are each IMU's 3-axis acc (±16 g), gyroscope and magnetometer
// (27 channels); missing values (NaN) are filled from the previous valid value of the same
// file. Windows of `window` samples every `stride` samples, inside one file and one
// activity, become examples [N,27,window]; labels are remapped to 0..K-1 in activity-id
// order, with PAMAP2's activity names.
Dataset load_pamap2(const std::vector<std::string>& dat_files, int64_t window, int64_t stride);

// CSV with a header line: every column but `label_column` is a numeric feature (finite:
// NaN and infinity are errors naming the line and column); labels may be integers (class
// indices below kMaxClasses) or strings (mapped to 0..K-1 in sorted order, names kept).
Dataset load_csv(const std::string& path, const std::string& label_column);

// ---- Splits -----------------------------------------------------------------------------

struct Splits {
  Dataset train, val, test;
};

struct SplitSpec {
  double val_fraction = 0.1;   // share of the training pool held out for validation
  double test_fraction = 0.0;  // used only when no separate test set is given
  int64_t subset = 0;          // if > 0: keep this many training examples (after the split)
  int64_t seed = 0;            // the same seed gives the same split
  bool standardize = false;    // per-feature (channel) mean/std from train, applied to all
};

// Splits `pool` into train/val (and test when `test` is undefined) with a seeded
// permutation; stratification is not needed. Throws DataError when a split would be empty.
Splits make_splits(Dataset pool, Dataset test, const SplitSpec& spec);

// ---- Batches ----------------------------------------------------------------------------

struct Batch {
  torch::Tensor x, y;
};

// Iterates over a dataset in mini-batches, reshuffled every epoch with a seeded
// generator; copies each batch to `device` (the whole dataset stays where it is, so keep
// it on the device for speed when it fits). The last partial batch is kept unless
// drop_last.
class BatchIterator {
 public:
  BatchIterator(const Dataset& data, int64_t batch_size, bool shuffle, uint64_t seed,
                torch::Device device = torch::kCPU, bool drop_last = false);
  // Starts a new epoch (new order when shuffling).
  void reset();
  // Starts epoch `epoch` (0-based) with an order that depends only on the seed and the
  // epoch, so that training continued from a saved state sees the batches it would have.
  void start_epoch(int64_t epoch);
  // Fills `out` with the next batch; returns false at the end of the epoch.
  bool next(Batch& out);
  int64_t batches_per_epoch() const;

 private:
  const Dataset& data_;
  int64_t batch_size_;
  bool shuffle_;
  bool drop_last_;
  torch::Device device_;
  uint64_t seed_;
  torch::Generator gen_;
  torch::Tensor order_;
  int64_t pos_ = 0;
};

}  // namespace powertrain::train
