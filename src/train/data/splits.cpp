// Seeded train/validation/test splits, training subsets and standardisation with
// training-set statistics; also Dataset's small helpers.
#include "train/data/dataset.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>

namespace powertrain::train {

std::vector<int64_t> Dataset::example_shape() const {
  if (!x.defined()) return {};
  return x.sizes().slice(1).vec();
}

namespace {

// The dataset's name from a description such as "fashion-mnist train: 60000 x 1x28x28".
std::string dataset_name(const std::string& description) {
  std::string name = description.substr(0, description.find(':'));
  for (const char* split : {" train", " test", " val"}) {
    const std::string suffix = split;
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      name.erase(name.size() - suffix.size());
      break;
    }
  }
  return name;
}

std::string describe(const std::string& name, const std::string& split, const Dataset& data) {
  std::string shape;
  for (int64_t d : data.example_shape()) shape += (shape.empty() ? "" : "x") + std::to_string(d);
  return (name.empty() ? "" : name + " ") + split + ": " + std::to_string(data.size()) + " x " + shape;
}

// The examples of `data` at `indices`, with the class information of `data`.
Dataset select(const Dataset& data, const torch::Tensor& indices) {
  Dataset part;
  const torch::Tensor on_device = indices.to(data.x.device());
  part.x = data.x.index_select(0, on_device);
  part.y = data.y.index_select(0, on_device.to(data.y.device()));
  part.num_classes = data.num_classes;
  part.class_names = data.class_names;
  return part;
}

void check_dataset(const Dataset& data, const char* what) {
  if (!data.x.defined() || !data.y.defined() || data.x.dim() == 0 || data.x.size(0) == 0) {
    throw DataError(std::string("make_splits: the ") + what + " set is empty");
  }
  if (data.x.dim() < 2) throw DataError(std::string("make_splits: the ") + what + " set's x needs a batch dimension");
  if (data.y.dim() != 1 || data.y.size(0) != data.x.size(0)) {
    throw DataError(std::string("make_splits: the ") + what + " set has " + std::to_string(data.x.size(0)) +
                    " examples in x but " + std::to_string(data.y.numel()) + " labels in y");
  }
}

// Standardises x of every split in place with the mean and standard deviation of `train`,
// per feature for [N,F] and per channel (dim 1) for [N,C,...].
void standardize(Splits& splits) {
  const torch::Tensor& x = splits.train.x;
  std::vector<int64_t> dims = {0};
  for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
  auto [std_dev, mean] = torch::std_mean(x, dims, /*unbiased=*/false, /*keepdim=*/true);
  std_dev = torch::where(std_dev > 1e-12, std_dev, torch::ones_like(std_dev));
  for (Dataset* part : {&splits.train, &splits.val, &splits.test}) {
    if (part->x.defined()) part->x = (part->x - mean.to(part->x.device())) / std_dev.to(part->x.device());
  }
}

// Makes a separately loaded test set use the training pool's classes: labels given by name
// (CSV class names) are mapped to the pool's indices; integer labels share the larger class count.
void align_classes(Dataset& pool, Dataset& test) {
  if (!pool.class_names.empty() && !test.class_names.empty() && pool.class_names != test.class_names) {
    std::vector<int64_t> pool_index(test.class_names.size());
    for (size_t k = 0; k < test.class_names.size(); ++k) {
      const auto it = std::find(pool.class_names.begin(), pool.class_names.end(), test.class_names[k]);
      if (it == pool.class_names.end()) {
        throw DataError("make_splits: the test set (" + test.description + ") has class '" + test.class_names[k] +
                        "', which the training set (" + pool.description + ") does not have");
      }
      pool_index[k] = it - pool.class_names.begin();
    }
    const torch::Tensor table = torch::tensor(pool_index, torch::kInt64).to(test.y.device());
    test.y = table.index_select(0, test.y);
    test.class_names = pool.class_names;
    test.num_classes = pool.num_classes;
    return;
  }
  const int64_t classes = std::max(pool.num_classes, test.num_classes);
  pool.num_classes = classes;
  test.num_classes = classes;
  if (test.class_names.empty()) test.class_names = pool.class_names;
}

}  // namespace

Splits make_splits(Dataset pool, Dataset test, const SplitSpec& spec) {
  check_dataset(pool, "training");
  if (!(spec.val_fraction >= 0 && spec.val_fraction < 1)) {
    throw DataError("make_splits: val_fraction must be in [0, 1), got " + std::to_string(spec.val_fraction));
  }
  const bool carve_test = !test.x.defined();
  const double test_fraction = carve_test ? spec.test_fraction : 0.0;
  if (!(test_fraction >= 0 && test_fraction < 1)) {
    throw DataError("make_splits: test_fraction must be in [0, 1), got " + std::to_string(test_fraction));
  }
  if (!carve_test) {
    check_dataset(test, "test");
    if (test.example_shape() != pool.example_shape()) {
      throw DataError("make_splits: the test set's examples (" + test.description +
                      ") do not have the shape of the training set's (" + pool.description + ")");
    }
    align_classes(pool, test);
  }

  const int64_t n = pool.size();
  const auto n_val = static_cast<int64_t>(std::llround(n * spec.val_fraction));
  const auto n_test = static_cast<int64_t>(std::llround(n * test_fraction));
  const int64_t n_train = n - n_val - n_test;
  if (n_val == 0) {
    throw DataError("make_splits: the validation split of " + std::to_string(n) +
                    " examples would be empty: increase val_fraction (now " + std::to_string(spec.val_fraction) + ")");
  }
  if (carve_test && n_test == 0) {
    throw DataError("make_splits: the test split of " + std::to_string(n) +
                    " examples would be empty: increase test_fraction (now " + std::to_string(test_fraction) +
                    ") or give a separate test set");
  }
  if (n_train <= 0) {
    throw DataError("make_splits: the training split of " + std::to_string(n) +
                    " examples would be empty: decrease val_fraction or test_fraction");
  }

  auto generator = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(spec.seed));
  const torch::Tensor order = torch::randperm(n, generator, torch::kInt64);
  // Order of the permuted pool: validation, then test (when carved), then training.
  const torch::Tensor val_indices = order.slice(0, 0, n_val);
  const torch::Tensor test_indices = order.slice(0, n_val, n_val + n_test);
  torch::Tensor train_indices = order.slice(0, n_val + n_test, n);
  if (spec.subset > 0 && spec.subset < n_train) train_indices = train_indices.slice(0, 0, spec.subset);

  const std::string name = dataset_name(pool.description);
  Splits splits;
  splits.train = select(pool, train_indices);
  splits.val = select(pool, val_indices);
  if (carve_test) {
    splits.test = select(pool, test_indices);
  } else {
    splits.test = std::move(test);
  }
  if (spec.standardize) standardize(splits);
  splits.train.description = describe(name, "train", splits.train);
  splits.val.description = describe(name, "val", splits.val);
  splits.test.description = describe(name, "test", splits.test);
  return splits;
}

}  // namespace powertrain::train
