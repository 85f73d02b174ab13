// The multitask study (research.md section 1, Table 4): the main task (10 Fashion-MNIST
// classes) and an auxiliary task derived from the labels (the engine's fashion_coarse
// grouping: upper body, lower/full body, footwear, bag), each trained alone and both
// together with one shared encoder and loss = L_main + alpha x L_aux.
#include "powertrain/study/multitask.h"

#include <fmt/format.h>

#include "study/common.h"

namespace powertrain {

MultitaskResult run_multitask_study(const StudyOptions& opts, const MultitaskOptions& multitask, Store* store) {
  const double alpha = multitask.alpha;
  if (!(alpha > 0) || !std::isfinite(alpha)) {
    throw StudyError("--alpha " + fmt::format("{}", alpha) + ": the auxiliary task's weight must be > 0, e.g. 0.5");
  }
  study::Context ctx("multitask", opts, store, multitask);
  // Convergence is judged on the validation loss in every variant: it is the one signal the
  // engine reports for each of them (its accuracy is the main task's, meaningless when only
  // the auxiliary task trains).
  study::json base = ctx.base_config();
  base["early_stopping"]["monitor"] = "val_loss";
  MultitaskResult result;
  result.header = ctx.header();
  result.options = multitask;
  result.aux = "fashion_coarse";
  result.early_stopping = "validation loss";
  result.aux_alone = "multitask.alpha = [0, 1]: the main head is present but gets no gradient";

  struct Variant {
    const char* name;
    std::vector<std::string> sets;
  };
  const std::vector<Variant> variants = {
      {"main", {}},
      {"aux", {"multitask.aux=fashion_coarse", "multitask.alpha=[0,1]"}},
      {"both", {"multitask.aux=fashion_coarse", fmt::format("multitask.alpha=[1,{}]", alpha)}},
  };
  std::vector<std::vector<RunRow>> rows(variants.size());
  for (int seed = 0; seed < ctx.seeds; ++seed) {
    for (size_t v = 0; v < variants.size(); ++v) {
      std::vector<std::string> sets = variants[v].sets;
      sets.push_back("training.seed=" + std::to_string(seed));
      sets.push_back(fmt::format("name=multitask-{}-s{}", variants[v].name, seed));
      MultitaskRun run = ctx.run(ctx.config(base, sets), MultitaskRun{variants[v].name, seed, {}},
                                 fmt::format("{}, seed {}", variants[v].name, seed));
      // The main task's accuracy is meaningful only where the main head trains.
      if (std::string(variants[v].name) == "aux") {
        run.run.best_val_accuracy = NAN;
        run.run.test_accuracy = NAN;
      }
      rows[v].push_back(run.run);
      result.runs.push_back(run);
    }
  }

  double e[3], epochs[3], per_epoch[3];
  for (size_t v = 0; v < variants.size(); ++v) {
    MultitaskSummary s;
    s.variant = variants[v].name;
    s.stats = study::summarize(rows[v]);
    s.main_task_val_accuracy = s.stats.best_val_accuracy.mean;
    double aux_sum = 0;
    int aux_n = 0;
    for (const auto& r : rows[v]) {
      if (std::isfinite(r.best_aux_val_accuracy)) aux_sum += r.best_aux_val_accuracy, ++aux_n;
    }
    s.aux_task_val_accuracy = aux_n > 0 ? aux_sum / aux_n : NAN;
    e[v] = s.stats.energy_j.mean;
    epochs[v] = s.stats.epochs.mean;
    per_epoch[v] = s.stats.energy_per_epoch_j.mean;
    result.summary.push_back(s);
  }
  const double separate = e[0] + e[1];
  MultitaskComparison& c = result.comparison;
  c.separate_total_energy_j = separate;
  c.multitask_energy_j = e[2];
  c.saving_fraction_vs_separate = separate > 0 ? (separate - e[2]) / separate : NAN;
  c.cheaper_than_separate = std::isfinite(separate) && std::isfinite(e[2]) && e[2] < separate;
  c.cheaper_than_each_alone = std::isfinite(e[2]) && e[2] < e[0] && e[2] < e[1];

  // Which dominates the differences: energy per epoch or the number of epochs?
  auto rel_range = [](const double* v) {
    double lo = std::fmin(v[0], std::fmin(v[1], v[2])), hi = std::fmax(v[0], std::fmax(v[1], v[2]));
    double m = (v[0] + v[1] + v[2]) / 3;
    return m > 0 ? (hi - lo) / m : NAN;
  };
  result.spread = MultitaskSpread{rel_range(per_epoch), rel_range(epochs)};
  const double spread_per_epoch = result.spread.energy_per_epoch, spread_epochs = result.spread.epochs;
  std::vector<std::string>& findings = result.header.findings;
  findings.push_back(fmt::format(
      "Energy per epoch: main {:.2f} J, aux {:.2f} J, both {:.2f} J; epochs to convergence: {:.1f}, {:.1f}, {:.1f}; "
      "total: {:.1f} J, {:.1f} J, {:.1f} J.",
      per_epoch[0], per_epoch[1], per_epoch[2], epochs[0], epochs[1], epochs[2], e[0], e[1], e[2]));
  findings.push_back(fmt::format("The multitask model cost {:.1f} J against {:.1f} J for the two tasks trained separately ({}).",
                                 e[2], separate,
                                 c.cheaper_than_separate ? fmt::format("{:.0f}% less", 100 * c.saving_fraction_vs_separate)
                                                         : "no saving"));
  if (std::isfinite(spread_per_epoch) && std::isfinite(spread_epochs)) {
    findings.push_back(fmt::format("The {} dominated the differences (spread {:.0f}% across variants, against {:.0f}% for the {}).",
                                   spread_epochs >= spread_per_epoch ? "number of epochs" : "energy per epoch",
                                   100 * std::fmax(spread_epochs, spread_per_epoch), 100 * std::fmin(spread_epochs, spread_per_epoch),
                                   spread_epochs >= spread_per_epoch ? "energy per epoch" : "number of epochs"));
  }

  ctx.finish(result.header, study::run_energy_parts(result.runs));
  ctx.store_result(result);
  return result;
}

}  // namespace powertrain
