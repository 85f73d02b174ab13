// Reader for IDX files (the MNIST family, e.g. Fashion-MNIST), gzip-compressed or plain:
// zlib's gzread reads both transparently, so the format is decided by content, not name.
// No LibTorch here (parse.h); tensors.cpp makes the tensors.
#include "train/data/parse.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <sys/stat.h>

namespace powertrain::train {
namespace {

constexpr uint32_t kImagesMagic = 0x00000803;  // unsigned byte, 3 dimensions
constexpr uint32_t kLabelsMagic = 0x00000801;  // unsigned byte, 1 dimension
constexpr int64_t kNumClasses = 10;
constexpr int64_t kFirstReadBytes = int64_t{1} << 16;  // payloads are read in doubling chunks from this size

const std::vector<std::string> kFashionNames = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

// A file, compressed or not, read sequentially.
class GzSource : public ByteSource {
 public:
  explicit GzSource(const std::string& path) : path_(path), file_(gzopen(path.c_str(), "rb")) {
    if (!file_) throw DataError(path + ": cannot open: " + std::strerror(errno));
    gzbuffer(file_.get(), 1 << 17);
  }

  int64_t read(uint8_t* out, int64_t size) override {
    int64_t done = 0;
    while (done < size) {
      const auto chunk = static_cast<unsigned>(std::min<int64_t>(size - done, 1 << 30));
      const int got = gzread(file_.get(), out + done, chunk);
      if (got < 0) {
        int code = 0;
        const char* message = gzerror(file_.get(), &code);
        throw DataError(path_ + ": read error: " + (message ? message : "unknown"));
      }
      if (got == 0) break;
      done += got;
    }
    return done;
  }

 private:
  std::string path_;
  GzFile file_;
};

// An IDX stream: big-endian header fields, then the payload.
class IdxReader {
 public:
  IdxReader(ByteSource& source, const std::string& name) : source_(source), name_(name) {}

  uint32_t read_u32(const char* what) {
    uint8_t bytes[4];
    if (source_.read(bytes, 4) != 4) throw DataError(name_ + ": truncated: the header ends before the " + what);
    return (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) | bytes[3];
  }

  void expect_magic(uint32_t expected, const char* kind) {
    const uint32_t magic = read_u32("magic number");
    if (magic != expected) {
      char text[96];
      std::snprintf(text, sizeof text, ": bad magic 0x%08x (expected 0x%08x for IDX %s)", unsigned{magic},
                    unsigned{expected}, kind);
      throw DataError(name_ + text);
    }
  }

  // Reads exactly `size` bytes of `what` or throws naming how many were found. Memory
  // grows with what is read (at most twice that), so a header claiming too much costs
  // nothing until read.
  std::vector<uint8_t> read_payload(int64_t size, const char* what) {
    std::vector<uint8_t> data;
    int64_t got = 0;
    while (got < size) {
      const int64_t want = std::min(size - got, std::max(kFirstReadBytes, got));
      data.resize(static_cast<size_t>(got + want));
      const int64_t n = source_.read(data.data() + got, want);
      got += n;
      if (n < want) break;
    }
    if (got != size) {
      throw DataError(name_ + ": truncated: expected " + std::to_string(size) + " bytes of " + what + ", found " +
                      std::to_string(got));
    }
    return data;
  }

 private:
  ByteSource& source_;
  const std::string& name_;
};

std::string basename_of(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string text;
  for (size_t d = 1; d < shape.size(); ++d) text += (d > 1 ? "x" : "") + std::to_string(shape[d]);
  return text;
}

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// `dir/name.gz` or `dir/name`, whichever exists.
std::string find_idx_file(const std::string& dir, const std::string& name) {
  for (const std::string& candidate : {dir + "/" + name + ".gz", dir + "/" + name}) {
    if (file_exists(candidate)) return candidate;
  }
  throw DataError(dir + ": no " + name + ".gz or " + name + " (expected an MNIST-style IDX directory)");
}

}  // namespace

int64_t MemorySource::read(uint8_t* out, int64_t size) {
  const size_t n = std::min(static_cast<size_t>(std::max<int64_t>(size, 0)), bytes_.size() - pos_);
  std::memcpy(out, bytes_.data() + pos_, n);
  pos_ += n;
  return static_cast<int64_t>(n);
}

RawDataset parse_idx(ByteSource& images_source, const std::string& images_name, ByteSource& labels_source,
                     const std::string& labels_name) {
  IdxReader images(images_source, images_name);
  images.expect_magic(kImagesMagic, "images");
  const uint64_t count = images.read_u32("image count");
  const uint64_t rows = images.read_u32("row count");
  const uint64_t cols = images.read_u32("column count");
  if (rows == 0 || cols == 0) throw DataError(images_name + ": images of size " + std::to_string(rows) + "x" +
                                              std::to_string(cols));

  IdxReader labels(labels_source, labels_name);
  labels.expect_magic(kLabelsMagic, "labels");
  const uint64_t label_count = labels.read_u32("label count");
  if (label_count != count) {
    throw DataError(images_name + " has " + std::to_string(count) + " images but " + labels_name + " has " +
                    std::to_string(label_count) + " labels");
  }
  if (count == 0) throw DataError(images_name + ": contains no images");

  // Each factor is below 2^32, so rows * cols fits in 64 bits; the product with count may
  // not: say how large it is instead of printing a wrapped, negative byte count.
  const uint64_t image_bytes = rows * cols;
  if (image_bytes > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / count) {
    char total[32];
    std::snprintf(total, sizeof total, "%.3g", static_cast<double>(count) * static_cast<double>(image_bytes));
    throw DataError(images_name + ": the header claims " + std::to_string(count) + " images of " + std::to_string(rows) +
                    "x" + std::to_string(cols) + " bytes, " + total +
                    " bytes in all, more than any file can hold (a damaged or non-IDX file?)");
  }
  const auto total = static_cast<int64_t>(count * image_bytes);

  RawDataset data;
  data.pixels = images.read_payload(total, "pixel data");
  const std::vector<uint8_t> label_bytes = labels.read_payload(static_cast<int64_t>(count), "label data");
  data.labels.resize(count);
  for (uint64_t i = 0; i < count; ++i) {
    if (label_bytes[i] >= kNumClasses) {
      throw DataError(labels_name + ": label " + std::to_string(label_bytes[i]) + " of example " + std::to_string(i) +
                      " is not in [0, " + std::to_string(kNumClasses) + ")");
    }
    data.labels[i] = label_bytes[i];
  }
  data.shape = {static_cast<int64_t>(count), 1, static_cast<int64_t>(rows), static_cast<int64_t>(cols)};
  data.num_classes = kNumClasses;
  data.description = basename_of(images_name) + ": " + std::to_string(count) + " x " + shape_text(data.shape);
  return data;
}

RawDataset read_idx(const std::string& images_path, const std::string& labels_path) {
  GzSource images(images_path);
  // The labels file is opened only once the images header is good, as before the split.
  struct LazyLabels : ByteSource {
    explicit LazyLabels(const std::string& path) : path(path) {}
    int64_t read(uint8_t* out, int64_t size) override {
      if (!file) file = std::make_unique<GzSource>(path);
      return file->read(out, size);
    }
    const std::string& path;
    std::unique_ptr<GzSource> file;
  } labels(labels_path);
  return parse_idx(images, images_path, labels, labels_path);
}

RawDataset read_idx_dir(const std::string& dir, const std::string& split) {
  std::string prefix;
  if (split == "train") {
    prefix = "train";
  } else if (split == "test") {
    prefix = "t10k";
  } else {
    throw DataError(dir + ": unknown split '" + split + "' (expected train or test)");
  }
  const std::string images_path = find_idx_file(dir, prefix + "-images-idx3-ubyte");
  const std::string labels_path = find_idx_file(dir, prefix + "-labels-idx1-ubyte");
  RawDataset data = read_idx(images_path, labels_path);

  const std::string name = basename_of(dir);
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower.find("fashion") != std::string::npos) {
    data.class_names = kFashionNames;
  } else {
    for (int64_t k = 0; k < kNumClasses; ++k) data.class_names.push_back(std::to_string(k));
  }
  data.description = name + " " + split + ": " + std::to_string(data.shape[0]) + " x " + shape_text(data.shape);
  return data;
}

}  // namespace powertrain::train
