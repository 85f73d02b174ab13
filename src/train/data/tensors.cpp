// The readers' last step: the plain arrays of parse.h become tensors. The parsing itself
// (idx.cpp, cifar10.cpp, pamap2.cpp, csv.cpp) has no LibTorch.
#include "train/data/dataset.h"

namespace powertrain::train {

Dataset to_dataset(RawDataset raw) {
  Dataset data;
  // from_blob does not own the buffers: the conversions and clones copy them.
  if (!raw.pixels.empty()) {
    data.x = torch::from_blob(raw.pixels.data(), raw.shape, torch::kUInt8).to(torch::kFloat32).div_(255.0);
  } else {
    data.x = torch::from_blob(raw.values.data(), raw.shape, torch::kFloat32).clone();
  }
  data.y = torch::from_blob(raw.labels.data(), {static_cast<int64_t>(raw.labels.size())}, torch::kInt64).clone();
  data.num_classes = raw.num_classes;
  data.class_names = std::move(raw.class_names);
  data.description = std::move(raw.description);
  return data;
}

Dataset load_idx(const std::string& images_path, const std::string& labels_path) {
  return to_dataset(read_idx(images_path, labels_path));
}

Dataset load_idx_dir(const std::string& dir, const std::string& split) { return to_dataset(read_idx_dir(dir, split)); }

Dataset load_cifar10(const std::string& dir, const std::string& split) { return to_dataset(read_cifar10(dir, split)); }

Dataset load_pamap2(const std::vector<std::string>& dat_files, int64_t window, int64_t stride) {
  return to_dataset(read_pamap2(dat_files, window, stride));
}

Dataset load_csv(const std::string& path, const std::string& label_column) {
  return to_dataset(read_csv(path, label_column));
}

}  // namespace powertrain::train
