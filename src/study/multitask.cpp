// The multitask study (research.md section 1, Table 4): the main task (10 Fashion-MNIST
// classes) and an auxiliary task derived from the labels (the engine's fashion_coarse
// grouping: upper body, lower/full body, footwear, bag), each trained alone and both
// together with one shared encoder and loss = L_main + alpha x L_aux.
#include <fmt/format.h>

#include "study/common.h"

namespace powertrain {

namespace {
using study::dbl;
using study::json;
using study::num;
}  // namespace

nlohmann::json run_multitask_study(const StudyOptions& opts, Store* store) {
  if (!(opts.aux_alpha > 0) || !std::isfinite(opts.aux_alpha)) {
    throw StudyError("--alpha " + fmt::format("{}", opts.aux_alpha) + ": the auxiliary task's weight must be > 0, e.g. 0.5");
  }
  // Convergence is judged on the validation loss in every variant: it is the one signal the
  // engine reports for each of them (its accuracy is the main task's, meaningless when only
  // the auxiliary task trains).
  json inputs = {{"aux", "fashion_coarse"}, {"alpha", {1.0, opts.aux_alpha}}, {"early_stopping", "validation loss"},
                 {"aux_alone", "multitask.alpha = [0, 1]: the main head is present but gets no gradient"}};
  study::Context ctx("multitask", opts, store, inputs);
  json base = ctx.base_config();
  base["early_stopping"]["monitor"] = "val_loss";

  struct Variant {
    const char* name;
    std::vector<std::string> sets;
  };
  const std::vector<Variant> variants = {
      {"main", {}},
      {"aux", {"multitask.aux=fashion_coarse", "multitask.alpha=[0,1]"}},
      {"both", {"multitask.aux=fashion_coarse", fmt::format("multitask.alpha=[1,{}]", opts.aux_alpha)}},
  };
  std::vector<std::vector<json>> rows(variants.size());
  json runs = json::array();
  for (int seed = 0; seed < ctx.seeds; ++seed) {
    for (size_t v = 0; v < variants.size(); ++v) {
      std::vector<std::string> sets = variants[v].sets;
      sets.push_back("training.seed=" + std::to_string(seed));
      sets.push_back(fmt::format("name=multitask-{}-s{}", variants[v].name, seed));
      json row = ctx.run(ctx.config(base, sets), {{"variant", variants[v].name}, {"seed", seed}});
      // The main task's accuracy is meaningful only where the main head trains.
      if (std::string(variants[v].name) == "aux") {
        row["best_val_accuracy"] = nullptr;
        row["test_accuracy"] = nullptr;
      }
      rows[v].push_back(row);
      runs.push_back(row);
    }
  }

  json summary = json::array();
  double e[3], epochs[3], per_epoch[3];
  for (size_t v = 0; v < variants.size(); ++v) {
    json s = study::summarize(rows[v]);
    s["variant"] = variants[v].name;
    s["main_task_val_accuracy"] = s.contains("best_val_accuracy") ? s["best_val_accuracy"] : json(nullptr);
    s["aux_task_val_accuracy"] = nullptr;  // the engine does not report the auxiliary head's accuracy
    e[v] = dbl(s, "energy_j");
    epochs[v] = dbl(s, "epochs");
    per_epoch[v] = dbl(s, "energy_per_epoch_j");
    summary.push_back(s);
  }
  double separate = e[0] + e[1];
  json comparison = {{"separate_total_energy_j", num(separate)},
                     {"multitask_energy_j", num(e[2])},
                     {"saving_fraction_vs_separate", num(separate > 0 ? (separate - e[2]) / separate : NAN)},
                     {"cheaper_than_separate", std::isfinite(separate) && std::isfinite(e[2]) && e[2] < separate},
                     {"cheaper_than_each_alone", std::isfinite(e[2]) && e[2] < e[0] && e[2] < e[1]}};

  // Which dominates the differences: energy per epoch or the number of epochs?
  auto rel_range = [](const double* v) {
    double lo = std::fmin(v[0], std::fmin(v[1], v[2])), hi = std::fmax(v[0], std::fmax(v[1], v[2]));
    double m = (v[0] + v[1] + v[2]) / 3;
    return m > 0 ? (hi - lo) / m : NAN;
  };
  double spread_per_epoch = rel_range(per_epoch), spread_epochs = rel_range(epochs);
  json findings = json::array();
  findings.push_back(fmt::format(
      "Energy per epoch: main {:.2f} J, aux {:.2f} J, both {:.2f} J; epochs to convergence: {:.1f}, {:.1f}, {:.1f}; "
      "total: {:.1f} J, {:.1f} J, {:.1f} J.",
      per_epoch[0], per_epoch[1], per_epoch[2], epochs[0], epochs[1], epochs[2], e[0], e[1], e[2]));
  findings.push_back(fmt::format("The multitask model cost {:.1f} J against {:.1f} J for the two tasks trained separately ({}).",
                                 e[2], separate,
                                 comparison["cheaper_than_separate"].get<bool>()
                                     ? fmt::format("{:.0f}% less", 100 * dbl(comparison, "saving_fraction_vs_separate"))
                                     : "no saving"));
  if (std::isfinite(spread_per_epoch) && std::isfinite(spread_epochs)) {
    findings.push_back(fmt::format("The {} dominated the differences (spread {:.0f}% across variants, against {:.0f}% for the {}).",
                                   spread_epochs >= spread_per_epoch ? "number of epochs" : "energy per epoch",
                                   100 * std::fmax(spread_epochs, spread_per_epoch), 100 * std::fmin(spread_epochs, spread_per_epoch),
                                   spread_epochs >= spread_per_epoch ? "energy per epoch" : "number of epochs"));
  }

  json result = ctx.header(inputs);
  result["runs"] = runs;
  result["summary"] = summary;
  result["comparison"] = comparison;
  result["spread"] = {{"energy_per_epoch", num(spread_per_epoch)}, {"epochs", num(spread_epochs)}};
  result["findings"] = findings;
  return ctx.finish(result);
}

}  // namespace powertrain
