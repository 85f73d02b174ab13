// Fuzz target: the PAMAP2 reader's parse step (parse_pamap2_rows and pamap2_windows,
// src/train/data/parse.h). The first two bytes choose the window (1..64 samples) and the
// stride (1..64); the rest is one Protocol .dat file. Every outcome but a DataError is a bug.
#include <cmath>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_util.h"
#include "train/data/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const int64_t window = 1 + data[0] % 64, stride = 1 + data[1] % 64;
  const std::string text = powertrain::fuzz::text_of(data + 2, size - 2);
  try {
    powertrain::train::Pamap2Rows rows = powertrain::train::parse_pamap2_rows(text, "subject101.dat");
    powertrain::train::RawDataset d = powertrain::train::pamap2_windows({rows}, window, stride);
    for (float v : d.values) {
      if (!std::isfinite(v)) __builtin_trap();  // missing values are filled, infinity refused
    }
    for (int64_t y : d.labels) {
      if (y < 0 || y >= d.num_classes) __builtin_trap();
    }
  } catch (const powertrain::train::DataError&) {
  }
  return 0;
}
