// Fuzz target: a carbon intensity table (CarbonTable::parse, include/powertrain/energy/
// carbon.h), as `--carbon-table FILE` reads it. Every outcome but std::runtime_error is a
// bug; every row that loads has a finite, non-negative intensity; messages are printable.
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "fuzz/fuzz_util.h"
#include "powertrain/energy/carbon.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    powertrain::CarbonTable t = powertrain::CarbonTable::parse(powertrain::fuzz::text_of(data, size), "fuzz.csv");
    for (const auto& g : t.entries()) {
      if (!std::isfinite(g.g_per_kwh) || g.g_per_kwh < 0 || g.year < 1990) __builtin_trap();
      if (t.find(g.code) == nullptr) __builtin_trap();
      powertrain::carbon_from_energy(3.6e6, g, 1.2);
    }
  } catch (const std::runtime_error& e) {
    for (const char* c = e.what(); *c; ++c) {
      if (static_cast<unsigned char>(*c) < 0x20 || *c == 0x7f) __builtin_trap();
    }
  }
  return 0;
}
