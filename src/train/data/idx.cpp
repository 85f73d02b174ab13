// Reader for IDX files (the MNIST family, e.g. Fashion-MNIST), gzip-compressed or plain:
// zlib's gzread reads both transparently, so the format is decided by content, not name.
#include "train/data/dataset.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <sys/stat.h>

namespace powertrain::train {
namespace {

constexpr uint32_t kImagesMagic = 0x00000803;  // unsigned byte, 3 dimensions
constexpr uint32_t kLabelsMagic = 0x00000801;  // unsigned byte, 1 dimension
constexpr int64_t kNumClasses = 10;

const std::vector<std::string> kFashionNames = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

// An open IDX file (compressed or not) read sequentially.
class IdxReader {
 public:
  explicit IdxReader(const std::string& path) : path_(path), file_(gzopen(path.c_str(), "rb")) {
    if (!file_) throw DataError(path + ": cannot open: " + std::strerror(errno));
    gzbuffer(file_.get(), 1 << 17);
  }

  // Reads up to `size` bytes; returns how many were read (fewer only at the end of the file).
  int64_t read(uint8_t* out, int64_t size) {
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

  uint32_t read_u32(const char* what) {
    uint8_t bytes[4];
    if (read(bytes, 4) != 4) throw DataError(path_ + ": truncated: the header ends before the " + what);
    return (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) | bytes[3];
  }

  void expect_magic(uint32_t expected, const char* kind) {
    const uint32_t magic = read_u32("magic number");
    if (magic != expected) {
      char text[96];
      std::snprintf(text, sizeof text, ": bad magic 0x%08x (expected 0x%08x for IDX %s)", unsigned{magic},
                    unsigned{expected}, kind);
      throw DataError(path_ + text);
    }
  }

  // Reads exactly `size` bytes of `what` or throws naming how many were found. The buffer
  // is left uninitialised so that a header claiming too much costs no memory until read.
  std::unique_ptr<uint8_t[]> read_payload(int64_t size, const char* what) {
    std::unique_ptr<uint8_t[]> data;
    try {
      data.reset(new uint8_t[static_cast<size_t>(size)]);
    } catch (const std::bad_alloc&) {
      throw DataError(path_ + ": header claims " + std::to_string(size) + " bytes of " + what +
                      ", more than fits in memory");
    }
    const int64_t got = read(data.get(), size);
    if (got != size) {
      throw DataError(path_ + ": truncated: expected " + std::to_string(size) + " bytes of " + what + ", found " +
                      std::to_string(got));
    }
    return data;
  }

 private:
  std::string path_;
  GzFile file_;
};

std::string basename_of(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string shape_text(const torch::Tensor& x) {
  std::string text;
  for (int64_t d = 1; d < x.dim(); ++d) text += (d > 1 ? "x" : "") + std::to_string(x.size(d));
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

Dataset load_idx(const std::string& images_path, const std::string& labels_path) {
  IdxReader images(images_path);
  images.expect_magic(kImagesMagic, "images");
  const int64_t count = images.read_u32("image count");
  const int64_t rows = images.read_u32("row count");
  const int64_t cols = images.read_u32("column count");
  if (rows == 0 || cols == 0) throw DataError(images_path + ": images of size " + std::to_string(rows) + "x" +
                                              std::to_string(cols));

  IdxReader labels(labels_path);
  labels.expect_magic(kLabelsMagic, "labels");
  const int64_t label_count = labels.read_u32("label count");
  if (label_count != count) {
    throw DataError(images_path + " has " + std::to_string(count) + " images but " + labels_path + " has " +
                    std::to_string(label_count) + " labels");
  }
  if (count == 0) throw DataError(images_path + ": contains no images");

  const auto pixels = images.read_payload(count * rows * cols, "pixel data");
  const auto label_bytes = labels.read_payload(count, "label data");
  for (int64_t i = 0; i < count; ++i) {
    if (label_bytes[i] >= kNumClasses) {
      throw DataError(labels_path + ": label " + std::to_string(label_bytes[i]) + " of example " + std::to_string(i) +
                      " is not in [0, " + std::to_string(kNumClasses) + ")");
    }
  }

  Dataset data;
  // from_blob does not own the buffers; the dtype conversions copy them.
  data.x = torch::from_blob(pixels.get(), {count, 1, rows, cols}, torch::kUInt8).to(torch::kFloat32).div_(255.0);
  data.y = torch::from_blob(label_bytes.get(), {count}, torch::kUInt8).to(torch::kInt64);
  data.num_classes = kNumClasses;
  data.description = basename_of(images_path) + ": " + std::to_string(count) + " x " + shape_text(data.x);
  return data;
}

Dataset load_idx_dir(const std::string& dir, const std::string& split) {
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
  Dataset data = load_idx(images_path, labels_path);

  const std::string name = basename_of(dir);
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower.find("fashion") != std::string::npos) {
    data.class_names = kFashionNames;
  } else {
    for (int64_t k = 0; k < kNumClasses; ++k) data.class_names.push_back(std::to_string(k));
  }
  data.description = name + " " + split + ": " + std::to_string(data.size()) + " x " + shape_text(data.x);
  return data;
}

}  // namespace powertrain::train
