// powertrain/report/search_text.h: a search study as `powertrain tune` and `powertrain
// worker` print it on the terminal: one line per finished trial, and the closing summary
// (how it ended, what it chose, its energy against grid search, the Pareto front). Every
// energy carries its origin (measured, estimated or simulated).
//
// Example:
//   runner.run(log, [](const powertrain::StoredTrial& t) { std::cerr << powertrain::report::trial_line(t) << "\n"; });
//   std::cerr << powertrain::report::search_summary_text(runner.summary(ending));
#pragma once

#include <string>
#include <vector>

#include "powertrain/search/summary.h"
#include "powertrain/store/trial.h"

namespace powertrain {
namespace report {

// Returns a trial's progress line: id, configuration, epochs, metric, its energy and the
// search's so far.
std::string trial_line(const StoredTrial& trial);
// Returns what a probe's LR sweep showed, lowest learning rate first: "LR 0.001 ok, 0.1 0.35,
// 1 diverged" (instability 0 = ok, 1 = diverged); "" without a sweep.
std::string lr_sweep_text(const std::vector<tune::LrStability>& points);
// Returns the closing summary of a study, one fact per line.
std::string search_summary_text(const search::SearchSummary& summary);

}  // namespace report
}  // namespace powertrain
