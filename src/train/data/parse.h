// Private to train/: the dataset readers' parse step, before anything becomes a tensor.
// Bytes or text in, plain arrays out (values, shape, labels, class names); no LibTorch
// here, so the parsers build, are tested and are fuzzed (fuzz/) without it. dataset.h's
// load_* functions are these plus one conversion to tensors (tensors.cpp). Every function
// throws DataError naming the file and what is wrong with it.
//
// Example:
//   RawDataset raw = read_csv("iris.csv", "species");     // raw.values: rows x features
//   RawDataset bad = parse_csv("x,label\nnan,1\n", "t.csv", "label");  // DataError: t.csv:2:1: ... not a finite number
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "powertrain/train/config.h"

namespace powertrain::train {

// Bad input in the data a config names: a ConfigError, so commands exit 2 for it too.
class DataError : public ConfigError {
 public:
  using ConfigError::ConfigError;
};

// A dataset as plain arrays. Exactly one of `pixels` and `values` holds the examples,
// row-major, shape[0] examples of shape[1..] each.
struct RawDataset {
  std::vector<int64_t> shape;            // [N, ...]: images [N,C,H,W]; sensor windows [N,C,T]; tabular [N,F]
  std::vector<uint8_t> pixels;           // images: bytes, scaled by 1/255 when they become floats
  std::vector<float> values;             // sensor and tabular data: finite floats
  std::vector<int64_t> labels;           // N class indices in [0, num_classes)
  int64_t num_classes = 0;
  std::vector<std::string> class_names;  // may be empty
  std::string description;               // e.g. "fashion-mnist train: 60000 x 1x28x28"
};

// The most classes a label column may imply (integer labels are class indices).
constexpr int64_t kMaxClasses = 1 << 20;

// Returns the bytes of `path`; throws DataError naming the file when it cannot be read.
std::string read_whole_file(const std::string& path);

// ---- IDX (MNIST family) ------------------------------------------------------------------

// A sequential source of bytes.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to `size` bytes into `out`; returns how many were read (fewer only at the end).
  virtual int64_t read(uint8_t* out, int64_t size) = 0;
};

// Bytes in memory as a ByteSource.
class MemorySource : public ByteSource {
 public:
  explicit MemorySource(std::string bytes) : bytes_(std::move(bytes)) {}
  int64_t read(uint8_t* out, int64_t size) override;

 private:
  std::string bytes_;
  size_t pos_ = 0;
};

// Returns the images ([N,1,rows,cols] bytes) and labels of an IDX pair. The names are
// used in errors. Memory grows with the bytes actually present, never with what a header
// claims; dimensions whose product overflows are an error giving the true byte count.
RawDataset parse_idx(ByteSource& images, const std::string& images_name, ByteSource& labels,
                     const std::string& labels_name);
// The same from files, gzip-compressed or plain (decided by content, not name).
RawDataset read_idx(const std::string& images_path, const std::string& labels_path);
// The `split` ("train" or "test") of an MNIST-style directory (see dataset.h, load_idx_dir).
RawDataset read_idx_dir(const std::string& dir, const std::string& split);

// ---- CIFAR-10 (binary version) -----------------------------------------------------------

// Appends the 3073-byte records of one batch file's bytes to `out` (pixels, labels, shape).
void parse_cifar10_batch(const std::string& bytes, const std::string& path, RawDataset& out);
// Returns the class names in batches.meta.txt text: 10 non-blank lines, trimmed.
std::vector<std::string> parse_cifar10_names(const std::string& text, const std::string& path);
// The `split` ("train" or "test") of a CIFAR-10 binary directory (see dataset.h, load_cifar10).
RawDataset read_cifar10(const std::string& dir, const std::string& split);

// ---- PAMAP2 ------------------------------------------------------------------------------

// The rows of one Protocol .dat file: the 27 used channels (row-major, missing values
// filled) and each row's activity id.
struct Pamap2Rows {
  std::vector<float> values;
  std::vector<int> activity;
  int64_t rows() const { return static_cast<int64_t>(activity.size()); }
};

// The most bytes the windows of one PAMAP2 dataset may take as floats (a window and stride
// that would need more are an error naming them).
constexpr int64_t kMaxPamap2WindowBytes = int64_t{1} << 34;  // 16 GiB

// Returns the rows of one .dat file's text; `path` names it in errors.
Pamap2Rows parse_pamap2_rows(const std::string& text, const std::string& path);
// Returns the windows of `window` samples every `stride` samples, inside one file and one
// activity, as [N,27,window] values with labels 0..K-1 in activity-id order.
RawDataset pamap2_windows(const std::vector<Pamap2Rows>& files, int64_t window, int64_t stride);
// The same from files (see dataset.h, load_pamap2).
RawDataset read_pamap2(const std::vector<std::string>& dat_files, int64_t window, int64_t stride);

// ---- CSV ---------------------------------------------------------------------------------

// Returns the features ([rows, columns - 1] finite floats) and labels of CSV text with a
// header line; `path` names it in errors (with line and column).
RawDataset parse_csv(const std::string& text, const std::string& path, const std::string& label_column);
// The same from a file (see dataset.h, load_csv).
RawDataset read_csv(const std::string& path, const std::string& label_column);

}  // namespace powertrain::train
