// Fuzz target: the CSV reader's parse step (parse_csv, src/train/data/parse.h), with the
// label column "label". Every outcome but a DataError is a bug; every value that loads
// must be finite and every label a class index below num_classes.
#include <cmath>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_util.h"
#include "train/data/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    powertrain::train::RawDataset d = powertrain::train::parse_csv(powertrain::fuzz::text_of(data, size), "fuzz.csv", "label");
    for (float v : d.values) {
      if (!std::isfinite(v)) __builtin_trap();
    }
    for (int64_t y : d.labels) {
      if (y < 0 || y >= d.num_classes || d.num_classes > powertrain::train::kMaxClasses) __builtin_trap();
    }
    if (d.values.size() != static_cast<size_t>(d.shape[0] * d.shape[1])) __builtin_trap();
  } catch (const powertrain::train::DataError&) {
  }
  return 0;
}
