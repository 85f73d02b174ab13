// The recipe study's section (the main job): the two recipes side by side on one
// test-accuracy target, the search and its payback, and what each lever costs here.
#include <cmath>

#include <fmt/format.h>

#include "report/studies/sections.h"

namespace powertrain {
namespace report {
namespace studies {

namespace {

std::string accuracy_text(double a) { return std::isfinite(a) ? format_percent(100 * a, 2) : "n/a"; }

std::string ratio_text(double v) { return std::isfinite(v) ? format_number(v, 3) + "x" : "n/a"; }

// "0.21 uses (within the first)", "never (...)" or "n/a": the search's payback.
std::string payback_text(const RecipeComparison& c) {
  if (std::isinf(c.payback_reuses)) return "never (the tuned recipe saves nothing)";
  if (!c.tuned_reached_target) return "n/a (the tuned run missed the target)";
  if (!std::isfinite(c.payback_reuses)) return "n/a";
  return format_number(c.payback_reuses, 3) + " uses" + (c.payback_reuses < 1 ? " (within the first)" : "");
}

}  // namespace

void recipe_section(Builder& b, const RecipeResult& r) {
  begin(b, r.header, 2);
  const RecipeComparison& c = r.comparison;
  const RecipeSide& s = r.standard;
  const RecipeSide& t = r.tuned;
  const Origin os = origin_of(s.run.energy_provenance), ot = origin_of(t.run.energy_provenance);
  const Origin osearch = origin_of(r.search_energy_provenance);

  b.doc().heading("Energy to the target: standard against powertrain's recipe");
  const double both = c.search_energy_j + c.tuned_energy_j;
  b.doc().chart(svg(stat_bars("Energy of each recipe", "energy (J)",
                              {"standard recipe", "powertrain: tuned run", "powertrain: search", "powertrain: search + tuned run"},
                              {{s.energy_j, NAN}, {t.energy_j, NAN}, {r.search_energy_j, NAN}, {both, NAN}},
                              {os, ot, osearch, osearch == Origin::measured ? ot : osearch}, true)),
                "Energy of each run (setup, epochs and the test pass) and of the search. The search is paid once; the tuned run "
                "every time the recipe is used.");
  Table side;
  side.title = fmt::format("The two recipes, judged on test accuracy {} ({})", accuracy_text(c.target_test_accuracy),
                           c.target_source.empty() ? "n/a" : c.target_source);
  side.columns = {"", "standard recipe", "powertrain's recipe"};
  side.numeric = {false, true, true};
  auto row = [&side](const std::string& what, const std::string& a, const std::string& z) { side.rows.push_back({what, a, z}); };
  row("recipe", s.description, t.description);
  row("test accuracy", accuracy_text(s.run.test_accuracy), accuracy_text(t.run.test_accuracy));
  row("reached the target", s.reached_target ? "yes" : "no", t.reached_target ? "yes" : "no");
  row("epochs trained", std::to_string(s.run.epochs), std::to_string(t.run.epochs));
  row("energy", energy_text(s.energy_j, os), energy_text(t.energy_j, ot));
  row("time (epochs)", format_duration_s(s.duration_s), format_duration_s(t.duration_s));
  row("energy vs the standard", "1x", ratio_text(c.energy_ratio));
  row("time vs the standard", "1x", ratio_text(c.time_ratio));
  row("oracle: epochs to the target", epochs_text(s.oracle_to_target.epochs_to_target), epochs_text(t.oracle_to_target.epochs_to_target));
  row("oracle: epoch energy to the target", energy_text(s.oracle_to_target.energy_to_target_j, os),
      energy_text(t.oracle_to_target.energy_to_target_j, ot));
  side.note = "Energy: the whole run (setup, epochs, test). Oracle rows: where each run's validation accuracy first reached the "
              "target, a stopping point no user knows in advance; shown for reference, not as the comparison.";
  b.table(side, true);

  b.doc().heading("The search and its payback");
  Table search;
  search.columns = {"strategy", "trials", "configurations", "energy", "time", "chosen", "val acc (subset)", "saving per use",
                    "pays back after"};
  search.numeric = {false, true, true, true, true, false, true, true, true};
  std::string chosen;
  for (const auto& kv : r.search_chosen) chosen += (chosen.empty() ? "" : ", ") + kv;
  search.rows.push_back({r.search_strategy, std::to_string(r.search_trials), std::to_string(r.search_configurations),
                         energy_text(r.search_energy_j, osearch), format_duration_s(r.search_duration_s), chosen.empty() ? "none" : chosen,
                         accuracy_text(r.search_chosen_val_accuracy), energy_text(c.saving_j, ot), payback_text(c)});
  search.note = "Pays back after x = E_search / (E_standard - E_tuned) uses of the recipe (research.md Eq. 2 applied to the search).";
  b.table(search);

  b.doc().heading("What the levers cost on this hardware");
  Table costs;
  costs.title = "Energy per training sample in the search's exploratory epochs (median over configurations)";
  costs.columns = {"batch size", "precision", "energy per sample", "vs the standard's (batch " + std::to_string(s.batch_size) + ", fp32)",
                   "epochs"};
  costs.numeric = {true, false, true, true, true};
  double reference = NAN;
  for (const auto& k : r.costs) if (k.batch_size == s.batch_size && k.precision == "fp32") reference = k.energy_per_sample_j;
  for (const auto& k : r.costs) {
    costs.rows.push_back({std::to_string(k.batch_size), k.precision, energy_text(k.energy_per_sample_j, osearch),
                          ratio_text(k.energy_per_sample_j / reference), std::to_string(k.epochs)});
  }
  b.table(costs);

  runs_section(b, {"recipe"}, {false}, {{{"standard"}, &s.run}, {{"tuned"}, &t.run}});
}

}  // namespace studies
}  // namespace report
}  // namespace powertrain
