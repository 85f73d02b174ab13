// Private to the report module: the section of each research study kind (one file each in
// src/report/studies/, each reading its kind's typed result), and what they share: the
// facts and findings every study report starts with, the table of its runs, "mean ± std"
// texts and bars. study_report.cpp picks the section by kind.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "powertrain/report/chart.h"
#include "powertrain/report/format.h"
#include "powertrain/study/results.h"
#include "report/report_parts.h"

namespace powertrain {
namespace report {
namespace studies {

using parts::Builder;

// Adds the facts every study report starts with (kind, name, schema, scale, seeds, threads,
// device, runs, provenance, the energy of the whole study), then its findings.
void begin(Builder& b, const StudyHeader& h, size_t runs);

// One training run of a study: the texts of its labels (batch size, variant, seed, ...).
struct RunLine {
  std::vector<std::string> labels;
  const RunRow* run = nullptr;
};
// Adds the heading "Runs" and the table of the runs: the labels' columns, then status,
// epochs, accuracies, energy (with each run's provenance), time, power and the run id.
void runs_section(Builder& b, const std::vector<std::string>& label_columns, const std::vector<bool>& label_numeric,
                  const std::vector<RunLine>& lines);

// Returns an energy with its origin's suffix ("900 J (est.)"), or "n/a".
std::string energy_text(double energy_j, Origin origin);
// Returns an accuracy or another plain number with 4 significant digits, or "n/a".
std::string number_text(double v);
// Returns a number of epochs (a mean over seeds: 3, 2.5), or "n/a".
std::string epochs_text(double epochs);
// Returns "mean ± std" formatted by `format` (std left out when unknown), with the origin's
// suffix; "n/a" when the mean is unknown.
std::string plus_minus(const Stat& s, std::string (*format)(double), Origin origin = Origin::measured);
// Returns plus_minus of an epochs-or-energy-to-target value, with "(k/n runs)" when not
// every run reached the target.
std::string to_target_text(const Stat& s, const TargetStats& t, int64_t runs, std::string (*format)(double), Origin origin);
// Returns bars of means (± std on each bar); energies get J texts and their origins.
BarChart stat_bars(const std::string& title, const std::string& value_label, const std::vector<std::string>& labels,
                   const std::vector<Stat>& values, const std::vector<Origin>& origins, bool energy);

// The sections: charts and tables of one kind, then its runs.
void regime_section(Builder& b, const RegimeResult& r);
void precision_section(Builder& b, const PrecisionResult& r);
void superconvergence_section(Builder& b, const SuperconvergenceResult& r);
void pretrain_section(Builder& b, const PretrainResult& r);
void multitask_section(Builder& b, const MultitaskResult& r);
void search_section(Builder& b, const SearchResult& r);
void layers_section(Builder& b, const LayersResult& r);
void recipe_section(Builder& b, const RecipeResult& r);

}  // namespace studies
}  // namespace report
}  // namespace powertrain
