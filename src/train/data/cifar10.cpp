// Reader for the CIFAR-10 binary version: files of 3073-byte records (1 label byte, then a
// 32x32 image as 1024 red, 1024 green and 1024 blue bytes), plus batches.meta.txt.
// No LibTorch here (parse.h); tensors.cpp makes the tensors.
#include "train/data/parse.h"

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

}  // namespace

void parse_cifar10_batch(const std::string& bytes, const std::string& path, RawDataset& out) {
  const auto size = static_cast<int64_t>(bytes.size());
  if (size % kRecordBytes != 0) {
    throw DataError(path + ": size " + std::to_string(size) + " bytes is not a multiple of the " +
                    std::to_string(kRecordBytes) + "-byte CIFAR-10 record (truncated or not the binary version?)");
  }
  const int64_t records = size / kRecordBytes;
  if (records == 0) throw DataError(path + ": contains no records");
  const size_t first_pixel = out.pixels.size();
  out.pixels.resize(first_pixel + static_cast<size_t>(records * kImageBytes));
  out.labels.reserve(out.labels.size() + static_cast<size_t>(records));
  const auto* record = reinterpret_cast<const uint8_t*>(bytes.data());
  for (int64_t i = 0; i < records; ++i, record += kRecordBytes) {
    if (record[0] >= kNumClasses) {
      throw DataError(path + ": record " + std::to_string(i) + ": label " + std::to_string(record[0]) +
                      " is not in [0, " + std::to_string(kNumClasses) + ")");
    }
    out.labels.push_back(record[0]);
    std::memcpy(out.pixels.data() + first_pixel + i * kImageBytes, record + 1, kImageBytes);
  }
  out.shape = {static_cast<int64_t>(out.labels.size()), kChannels, kSide, kSide};
  out.num_classes = kNumClasses;
}

std::vector<std::string> parse_cifar10_names(const std::string& text, const std::string& path) {
  std::vector<std::string> names;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
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

RawDataset read_cifar10(const std::string& dir, const std::string& split) {
  std::vector<std::string> files;
  if (split == "train") {
    for (int b = 1; b <= 5; ++b) files.push_back(dir + "/data_batch_" + std::to_string(b) + ".bin");
  } else if (split == "test") {
    files.push_back(dir + "/test_batch.bin");
  } else {
    throw DataError(dir + ": unknown split '" + split + "' (expected train or test)");
  }

  RawDataset data;
  for (const auto& file : files) parse_cifar10_batch(read_whole_file(file), file, data);
  const std::string meta = dir + "/batches.meta.txt";
  if (std::ifstream(meta)) data.class_names = parse_cifar10_names(read_whole_file(meta), meta);  // absent: no names
  data.description = "cifar10 " + split + ": " + std::to_string(data.shape[0]) + " x 3x32x32";
  return data;
}

}  // namespace powertrain::train
