// Fuzz target: the CIFAR-10 reader's parse step (parse_cifar10_batch and
// parse_cifar10_names, src/train/data/parse.h): the input as a batch file, then as a
// batches.meta.txt. Every outcome but a DataError is a bug.
#include <cstdint>
#include <string>

#include "fuzz/fuzz_util.h"
#include "train/data/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes = powertrain::fuzz::text_of(data, size);
  try {
    powertrain::train::RawDataset d;
    powertrain::train::parse_cifar10_batch(bytes, "data_batch_1.bin", d);
    if (d.pixels.size() != d.labels.size() * 3072) __builtin_trap();
  } catch (const powertrain::train::DataError&) {
  }
  try {
    powertrain::train::parse_cifar10_names(bytes, "batches.meta.txt");
  } catch (const powertrain::train::DataError&) {
  }
  return 0;
}
