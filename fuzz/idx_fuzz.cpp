// Fuzz target: the IDX reader's parse step (parse_idx, src/train/data/parse.h). The input
// holds the images file, a line "=====", then the labels file. Every outcome but a
// DataError is a bug, as is memory that grows with a header's claim instead of the data.
#include <cstdint>
#include <string>

#include "fuzz/fuzz_util.h"
#include "train/data/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto parts = powertrain::fuzz::split_parts(powertrain::fuzz::text_of(data, size), 2);
  powertrain::train::MemorySource images(parts[0]), labels(parts[1]);
  try {
    powertrain::train::RawDataset d = powertrain::train::parse_idx(images, "images", labels, "labels");
    // What the tensor step relies on.
    if (d.shape.size() != 4 || static_cast<int64_t>(d.labels.size()) != d.shape[0] ||
        d.pixels.size() != static_cast<size_t>(d.shape[0] * d.shape[2] * d.shape[3])) {
      __builtin_trap();
    }
  } catch (const powertrain::train::DataError&) {
  }
  return 0;
}
