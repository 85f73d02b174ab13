// Fuzz target: the Zeus trace CSVs (ZeusTrace::parse, include/powertrain/tune/trace.h).
// The input holds summary_train.csv, a line "=====", then summary_power_v100.csv. Every
// outcome but std::runtime_error is a bug; a trace that loads answers every question
// about its configurations without crashing.
#include <cstdint>
#include <stdexcept>
#include <string>

#include "fuzz/fuzz_util.h"
#include "powertrain/tune/trace.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto parts = powertrain::fuzz::split_parts(powertrain::fuzz::text_of(data, size), 2);
  try {
    const auto trace = powertrain::tune::ZeusTrace::parse(parts[0], parts[1], "v100");
    for (const auto& spec : trace.workloads()) {
      for (const auto& c : trace.configs(spec.dataset)) {
        trace.eta_j(spec.dataset, c.batch_size, c.power_limit_w);
        trace.tta_s(spec.dataset, c.batch_size, c.power_limit_w);
        for (int run : trace.runs(spec.dataset, c.batch_size)) {
          trace.metric_after(spec.dataset, c.batch_size, run, spec.max_epochs);
          trace.epochs_to_target(spec.dataset, c.batch_size, run);
        }
      }
      try {
        trace.optimum(spec.dataset);
      } catch (const std::runtime_error&) {  // no configuration reaches the target: said so
      }
    }
  } catch (const std::runtime_error&) {
  }
  return 0;
}
