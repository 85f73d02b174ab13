// Reader for the CIFAR-10 binary version: files of 3073-byte records (1 label byte, then a
// 32x32 image as 1024 red, 1024 green and 1024 blue bytes), plus batches.meta.txt.
#include "train/data/dataset.h"

#include <cerrno>
#include <cstring>
#include <fstream>

namespace powertrain::train {
namespace {

constexpr int64_t kChannels = 3;
constexpr int64_t kSide = 32;
constexpr int64_t kImageBytes = kChannels * kSide * kSide;  // 3072
constexpr int64_t kRecordBytes = 1 + kImageBytes;           // 3073
constexpr int64_t kNumClasses = 10;

// Appends the records of one batch file to `pixels` and `labels`.
void read_batch_file(const std::string& path, std::vector<uint8_t>& pixels, std::vector<int64_t>& labels) {
  const std::string bytes = read_whole_file(path);
  const auto size = static_cast<int64_t>(bytes.size());
  if (size % kRecordBytes != 0) {
    throw DataError(path + ": size " + std::to_string(size) + " bytes is not a multiple of the " +
                    std::to_string(kRecordBytes) + "-byte CIFAR-10 record (truncated or not the binary version?)");
  }
  const int64_t records = size / kRecordBytes;
  if (records == 0) throw DataError(path + ": contains no records");
  const size_t first_pixel = pixels.size();
  pixels.resize(first_pixel + static_cast<size_t>(records * kImageBytes));
  labels.reserve(labels.size() + static_cast<size_t>(records));
  const auto* record = reinterpret_cast<const uint8_t*>(bytes.data());
  for (int64_t i = 0; i < records; ++i, record += kRecordBytes) {
    if (record[0] >= kNumClasses) {
      throw DataError(path + ": record " + std::to_string(i) + ": label " + std::to_string(record[0]) +
                      " is not in [0, " + std::to_string(kNumClasses) + ")");
    }
    labels.push_back(record[0]);
    std::memcpy(pixels.data() + first_pixel + i * kImageBytes, record + 1, kImageBytes);
  }
}

// Class names, one per line; empty when the file is absent.
std::vector<std::string> read_class_names(const std::string& path) {
  std::ifstream in(path);
  if (!in) return {};
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    const auto last = line.find_last_not_of(" \t\r");
    names.push_back(line.substr(first, last - first + 1));
  }
  if (static_cast<int64_t>(names.size()) != kNumClasses) {
    throw DataError(path + ": expected " + std::to_string(kNumClasses) + " class names (one per line), found " +
                    std::to_string(names.size()));
  }
  return names;
}

}  // namespace

Dataset load_cifar10(const std::string& dir, const std::string& split) {
  std::vector<std::string> files;
  if (split == "train") {
    for (int b = 1; b <= 5; ++b) files.push_back(dir + "/data_batch_" + std::to_string(b) + ".bin");
  } else if (split == "test") {
    files.push_back(dir + "/test_batch.bin");
  } else {
    throw DataError(dir + ": unknown split '" + split + "' (expected train or test)");
  }

  std::vector<uint8_t> pixels;
  std::vector<int64_t> labels;
  for (const auto& file : files) read_batch_file(file, pixels, labels);

  const auto count = static_cast<int64_t>(labels.size());
  Dataset data;
  // from_blob does not own the buffers: the conversion to float copies; y is cloned.
  data.x = torch::from_blob(pixels.data(), {count, kChannels, kSide, kSide}, torch::kUInt8)
               .to(torch::kFloat32)
               .div_(255.0);
  data.y = torch::from_blob(labels.data(), {count}, torch::kInt64).clone();
  data.num_classes = kNumClasses;
  data.class_names = read_class_names(dir + "/batches.meta.txt");
  data.description = "cifar10 " + split + ": " + std::to_string(count) + " x 3x32x32";
  return data;
}

}  // namespace powertrain::train
