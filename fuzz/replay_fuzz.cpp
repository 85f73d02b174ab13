// Fuzz target: the power trace of `--replay` (parse_power_trace, include/powertrain/energy/
// replay.h). Every outcome but std::runtime_error is a bug; an error message must hold no
// control character (a binary file is never echoed raw to the terminal).
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>

#include "fuzz/fuzz_util.h"
#include "powertrain/energy/replay.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(powertrain::fuzz::text_of(data, size));
  try {
    powertrain::PowerTrace trace = powertrain::parse_power_trace(in, "fuzz.csv");
    for (const auto& [component, points] : trace) {
      for (size_t i = 1; i < points.size(); ++i) {
        if (points[i].first < points[i - 1].first) __builtin_trap();  // time never goes backwards
      }
    }
  } catch (const std::runtime_error& e) {
    for (const char* c = e.what(); *c; ++c) {
      if (static_cast<unsigned char>(*c) < 0x20 || *c == 0x7f) __builtin_trap();
    }
  }
  return 0;
}
