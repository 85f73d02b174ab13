// The advisor's rules: each reads one kind of evidence (a research study's result, a search
// study's trials, stored runs) and says what to change and what that would save.
#include "advise/rules.h"

#include "powertrain/report/format.h"
#include "powertrain/search/spec.h"
#include "util/json.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

namespace powertrain::advice_rules {

std::string fmt_energy(double energy_j) { return report::format_energy_j(energy_j); }

std::string fmt_percent(double fraction) { return report::format_percent(100 * fraction, 0); }

std::string study_source(const StudyRecord& s) { return "study " + s.name + " (" + s.kind + ")"; }

RunView load_run(const Store& store, const RunRecord& run) {
  RunView v;
  v.run = run;
  if (!run.details.config_json.empty()) {
    try {
      v.config = parse_train_config(run.details.config_json, "run " + std::to_string(run.id));
    } catch (const ConfigError&) {
      // A config this version does not read (an older or newer format): no config to compare.
    }
  }
  v.epochs = store.epochs(run.id);
  std::vector<Provenance> prov;
  double sum = 0;
  for (const auto& e : v.epochs) {
    sum += e.energy_j;  // NaN stays NaN: one unknown epoch makes the total unknown
    prov.push_back(e.energy_provenance);
  }
  v.training_energy_j = v.epochs.empty() ? NAN : sum;
  v.provenance = v.epochs.empty() ? run.energy_provenance : provenance_weakest(prov);
  v.from_study = run.command.rfind("powertrain study", 0) == 0;
  return v;
}

namespace {

bool same_number(double a, double b) { return std::fabs(a - b) <= 1e-9 * std::max(std::fabs(a), std::fabs(b)); }

// The run's batch size, learning rate (NaN without a config), precision and schedule type ("").
double batch_size_of(const RunView* r) { return r && r->config ? static_cast<double>(r->config->training.batch_size) : NAN; }
double lr_of(const RunView* r) { return r && r->config ? r->config->optimizer.lr : NAN; }
std::string precision_of(const RunView* r) { return r && r->config ? r->config->training.precision : ""; }
std::string schedule_of(const RunView* r) { return r && r->config ? r->config->schedule.type : ""; }

std::string run_label(const RunView& r) { return fmt::format("run {} ('{}')", r.run.id, r.run.name); }

// How far to trust a comparison of two energies: seeds, spread against the difference,
// and whether the joules were measured.
std::string confidence_note(Provenance provenance, double runs_per_setup, double difference_j, double std_j) {
  std::vector<std::string> parts;
  if (std::isfinite(runs_per_setup) && runs_per_setup <= 1) {
    parts.push_back("one seed per setup: no spread known, repeat with --seeds 3 before relying on it");
  } else if (std::isfinite(runs_per_setup)) {
    if (std::isfinite(std_j) && std_j > 0 && std::isfinite(difference_j)) {
      double k = std::fabs(difference_j) / std_j;
      parts.push_back(fmt::format("{:.0f} seeds; the difference is {:.1f}x the seed standard deviation ({})", runs_per_setup, k,
                                  k >= 2 ? "clear" : "within the noise: confirm"));
    } else {
      parts.push_back(fmt::format("{:.0f} seeds", runs_per_setup));
    }
  }
  if (provenance == Provenance::estimated) {
    parts.push_back("energies are estimates (no energy counter): the ratio is more reliable than the joules");
  } else if (provenance == Provenance::simulated) {
    parts.push_back("energies are simulated from traces, not measured on this machine");
  } else if (provenance == Provenance::missing) {
    parts.push_back("some energies are missing");
  } else {
    parts.push_back(std::string("energies measured (") + provenance_name(provenance) + ")");
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

// In run mode the saving is the study's fraction of that run's training energy.
void scale_to_run(Recommendation& r, const RunView* current) {
  if (!current || !std::isfinite(current->training_energy_j) || !std::isfinite(r.saving_fraction)) return;
  double study_j = r.saving_j;
  r.saving_j = r.saving_fraction * current->training_energy_j;
  r.basis += fmt::format("; applied to {}: {} of its training energy {} = {} (the study's own saving: {}; assumes the run's model and data respond like the study's)", run_label(*current),
                         fmt_percent(r.saving_fraction), fmt_energy(current->training_energy_j), fmt_energy(r.saving_j),
                         fmt_energy(study_j));
}

// Finds the summary entry of a variant (pretrain, superconvergence, multitask).
template <class Summary>
const Summary* variant_entry(const std::vector<Summary>& summary, const std::string& variant) {
  for (const auto& x : summary) {
    if (x.variant == variant) return &x;
  }
  return nullptr;
}

// Returns the number of runs (seeds) a summary averages, NaN when the result does not say.
double runs_of(const RunSummary& s) { return s.runs > 0 ? static_cast<double>(s.runs) : NAN; }

std::string acc_text(double a) { return std::isfinite(a) ? fmt::format("{:.4f}", a) : "unknown"; }

}  // namespace

// ---- regime: batch size (energy per sample) and learning rate (epochs) ---------------------

void rule_regime(const StudyRecord& s, const RegimeResult& result, const RunView* current, std::vector<Recommendation>& out) {
  const std::vector<RegimeSetup>& setups = result.setups;
  if (setups.empty()) return;
  double top_acc = NAN;
  for (const auto& x : setups) {
    double a = x.stats.best_val_accuracy.mean;
    if (std::isfinite(a) && !(a <= top_acc)) top_acc = a;
  }
  auto accurate = [&](const RegimeSetup& x) {
    double a = x.stats.best_val_accuracy.mean;
    return !std::isfinite(top_acc) || (std::isfinite(a) && a >= top_acc - kAccurateWithin);
  };

  // The baseline: the user's setup, else the engine's defaults; the grid cell nearest in
  // log distance (ties: the earlier cell, i.e. the smaller batch size).
  double want_b = batch_size_of(current);
  double want_lr = lr_of(current);
  std::string who = current && std::isfinite(want_b) ? run_label(*current) : "";
  if (!std::isfinite(want_b) || !std::isfinite(want_lr)) {
    want_b = result.header.scale.batch_size > 0 ? static_cast<double>(result.header.scale.batch_size) : 128;
    want_lr = 1e-3;
    who = fmt::format("the defaults: batch size {:g}, learning rate {:g}", want_b, want_lr);
  }
  const RegimeSetup* base = nullptr;
  double best_d = INFINITY;
  for (const auto& x : setups) {
    double b = static_cast<double>(x.batch_size), lr = x.learning_rate;
    if (!(b > 0) || !(lr > 0)) continue;
    double d = std::fabs(std::log2(b / want_b)) + std::fabs(std::log10(lr / want_lr));
    if (d < best_d - 1e-12) { best_d = d; base = &x; }
  }
  if (!base) return;
  const double b0 = static_cast<double>(base->batch_size), lr0 = base->learning_rate;
  const bool exact = same_number(b0, want_b) && same_number(lr0, want_lr);
  // e.g. "batch size 64, learning rate 0.001 (the setup of run 3 ('mine'))"
  std::string base_text = fmt::format("batch size {:g}, learning rate {:g} ({} {})", b0, lr0,
                                      exact ? "the setup of" : "the grid setup nearest to", who);
  const Provenance provenance = result.header.energy_provenance;
  const std::string source = study_source(s);

  // Rule 1: at the baseline's learning rate, the accurate batch size with the lowest
  // energy per epoch (= per sample: every setup trains on the same examples).
  const RegimeSetup* cheap = nullptr;
  for (const auto& x : setups) {
    if (!same_number(x.learning_rate, lr0) || !accurate(x)) continue;
    double e = x.stats.energy_per_epoch_j.mean;
    if (std::isfinite(e) && (!cheap || e < cheap->stats.energy_per_epoch_j.mean)) cheap = &x;
  }
  std::vector<Recommendation> found;
  const double epe0 = base->stats.energy_per_epoch_j.mean, epochs0 = base->stats.epochs.mean;
  if (cheap && !same_number(static_cast<double>(cheap->batch_size), b0) && cheap->stats.energy_per_epoch_j.mean < epe0) {
    const double epe1 = cheap->stats.energy_per_epoch_j.mean;
    const double b1 = static_cast<double>(cheap->batch_size);
    Recommendation r;
    r.kind = "batch_size";
    r.change = fmt::format("training.batch_size {:g} -> {:g}", b0, b1);
    r.evidence = fmt::format(
        "{}: at learning rate {:g}, batch size {:g} used {} per epoch against {} at {}; validation accuracy {} "
        "against {} (accurate = within {:.0f} points of the best setup, {})",
        source, lr0, b1, fmt_energy(epe1), fmt_energy(epe0), base_text, acc_text(cheap->stats.best_val_accuracy.mean),
        acc_text(base->stats.best_val_accuracy.mean), 100 * kAccurateWithin, acc_text(top_acc));
    r.saving_fraction = (epe0 - epe1) / epe0;
    r.saving_j = std::isfinite(epochs0) ? (epe0 - epe1) * epochs0 : NAN;
    r.basis = fmt::format("(energy per epoch {} - {}) x the baseline's {:g} epochs; energy per sample falls in the same ratio since "
                          "both train on the same examples; assumes the number of epochs stays the same",
                          fmt_energy(epe0), fmt_energy(epe1), epochs0);
    r.provenance = provenance;
    r.source = source;
    r.confidence = confidence_note(provenance, runs_of(cheap->stats), (epe0 - epe1) * epochs0, base->stats.energy_j.std);
    found.push_back(r);
  }

  // Rule 2: the cheapest accurate setup in total energy (energy per epoch x epochs).
  const RegimeSetup* best = nullptr;
  for (const auto& x : setups) {
    double e = x.stats.energy_j.mean;
    if (std::isfinite(e) && accurate(x) && (!best || e < best->stats.energy_j.mean)) best = &x;
  }
  const double e0 = base->stats.energy_j.mean;
  if (best && best != base && std::isfinite(e0) && best->stats.energy_j.mean < e0) {
    const double e1 = best->stats.energy_j.mean, b1 = static_cast<double>(best->batch_size), lr1 = best->learning_rate;
    Recommendation r;
    const bool lr_changes = !same_number(lr1, lr0), b_changes = !same_number(b1, b0);
    r.kind = lr_changes ? "learning_rate" : "batch_size";
    if (b_changes) r.change = fmt::format("training.batch_size {:g} -> {:g}", b0, b1);
    if (lr_changes) r.change += fmt::format("{}optimizer.lr {:g} -> {:g}", r.change.empty() ? "" : ", ", lr0, lr1);
    r.evidence = fmt::format(
        "{}: the cheapest accurate setup (batch size {:g}, learning rate {:g}) trained in {:g} epochs for {} ({:.0f}% of the worst "
        "setup), against {:g} epochs and {} at {}; validation accuracy {} against {}",
        source, b1, lr1, best->stats.epochs.mean, fmt_energy(e1), best->percent_of_worst, epochs0, fmt_energy(e0), base_text,
        acc_text(best->stats.best_val_accuracy.mean), acc_text(base->stats.best_val_accuracy.mean));
    r.saving_j = e0 - e1;
    r.saving_fraction = (e0 - e1) / e0;
    r.basis = "total training energy to early stopping of the two setups (mean over seeds), baseline minus recommended";
    r.provenance = provenance;
    r.source = source;
    double sd = std::fmax(best->stats.energy_j.std, base->stats.energy_j.std);
    r.confidence = confidence_note(provenance, runs_of(best->stats), e0 - e1, sd);
    // The same change as rule 1: the measured total replaces the per-epoch estimate.
    bool replaced = false;
    for (auto& f : found) {
      if (f.change == r.change) {
        r.evidence += "; " + f.evidence;
        f = r;
        replaced = true;
      }
    }
    if (!replaced) found.push_back(r);
  }
  for (auto& r : found) {
    scale_to_run(r, current && exact ? current : nullptr);
    out.push_back(r);
  }
}

// ---- precision: mixed precision without an accuracy loss -----------------------------------

void rule_precision(const StudyRecord& s, const PrecisionResult& result, const RunView* current, std::vector<Recommendation>& out) {
  const PrecisionSummary* fp32 = nullptr;
  for (const auto& x : result.summary) {
    if (x.precision == "fp32") fp32 = &x;
  }
  if (!fp32) return;
  std::string now = precision_of(current);
  if (!now.empty() && now != "fp32") return;  // the study compares against fp32 only
  const PrecisionSummary* pick = nullptr;
  double pick_ratio = NAN;
  bool pick_to_target = false;
  for (const auto& x : result.summary) {
    if (x.precision.empty() || x.precision == "fp32") continue;
    if (!x.accuracy_loss_flag || *x.accuracy_loss_flag) continue;  // flagged, or not known to be unflagged
    double ratio = x.energy_to_target_ratio_vs_fp32;
    bool to_target = std::isfinite(ratio);
    if (!to_target) ratio = x.energy_per_epoch_ratio_vs_fp32;
    if (std::isfinite(ratio) && ratio < 1 && (!pick || ratio < pick_ratio)) {
      pick = &x;
      pick_ratio = ratio;
      pick_to_target = to_target;
    }
  }
  if (!pick) return;
  const std::string& p = pick->precision;
  const double e32 = pick_to_target ? fp32->target.energy_to_target_j.mean : fp32->stats.energy_j.mean;
  Recommendation r;
  r.kind = "precision";
  r.change = "training.precision fp32 -> " + p;
  r.evidence = fmt::format(
      "{}: {} used {:.2f}x fp32's energy {} ({:.2f}x per epoch, {:.2f}x as fast); best validation accuracy {} against {} for fp32 "
      "({:+.2f} points, within the study's tolerance {})",
      study_source(s), p, pick_ratio, pick_to_target ? fmt::format("to the target accuracy {}", acc_text(result.target_val_accuracy)) : "per epoch",
      pick->energy_per_epoch_ratio_vs_fp32, pick->speedup_vs_fp32, acc_text(pick->stats.best_val_accuracy.mean),
      acc_text(fp32->stats.best_val_accuracy.mean), 100 * pick->accuracy_change_vs_fp32,
      std::isfinite(result.options.tolerance) ? fmt::format("{:g}", result.options.tolerance) : std::string("unknown"));
  r.saving_fraction = 1 - pick_ratio;
  r.saving_j = e32 * (1 - pick_ratio);
  r.basis = pick_to_target ? fmt::format("fp32's energy to the target {} x (1 - {:.2f})", fmt_energy(e32), pick_ratio)
                           : fmt::format("fp32's training energy {} x (1 - {:.2f}, the energy-per-epoch ratio; assumes equal epochs)",
                                         fmt_energy(e32), pick_ratio);
  r.provenance = result.header.energy_provenance;
  r.source = study_source(s);
  r.confidence = confidence_note(r.provenance, runs_of(pick->stats), NAN, NAN) +
                 "; reduced precision can hurt convergence (notably Adam in short runs): confirm against fp32 before release";
  scale_to_run(r, current);
  out.push_back(r);
}

// ---- superconvergence: one-cycle against a constant rate -----------------------------------

void rule_superconvergence(const StudyRecord& s, const SuperconvergenceResult& result, const RunView* current,
                           std::vector<Recommendation>& out) {
  const SuperconvergenceSummary* oc = variant_entry(result.summary, "one_cycle");
  const SuperconvergenceSummary* cst = variant_entry(result.summary, "constant");
  if (!oc || !cst) return;
  if (schedule_of(current) == "one_cycle") return;
  double e_oc = oc->energy_to_target_with_lr_find_j, e_c = cst->target.energy_to_target_j.mean;
  if (!std::isfinite(e_oc) || !std::isfinite(e_c) || !(e_oc < e_c) || !(e_c > 0)) return;
  double max_lr = result.max_lr;
  Recommendation r;
  r.kind = "schedule";
  std::string now = schedule_of(current);
  r.change = fmt::format("schedule.type {} -> one_cycle, schedule.max_lr {:.3g}, optimizer.lr {:.3g}, optimizer.type adamw "
                         "(weight_decay 0.01)",
                         now.empty() ? "constant" : now, max_lr, max_lr / 25);
  r.evidence = fmt::format(
      "{}: to validation accuracy {}, one-cycle AdamW needed {:.1f} epochs and {} (with the LR range test), constant-rate AdamW "
      "{:.1f} epochs and {}",
      study_source(s), acc_text(result.target_val_accuracy), oc->target.epochs_to_target.mean, fmt_energy(e_oc),
      cst->target.epochs_to_target.mean, fmt_energy(e_c));
  r.saving_j = e_c - e_oc;
  r.saving_fraction = (e_c - e_oc) / e_c;
  r.basis = "energy to the target accuracy: constant rate minus one-cycle (range test included once; a one-cycle run must be "
            "given about the study's epoch budget, it is defined over its whole run)";
  r.provenance = result.header.energy_provenance;
  r.source = study_source(s);
  double runs = runs_of(oc->stats);
  r.confidence = confidence_note(r.provenance, runs, e_c - e_oc, cst->target.energy_to_target_j.std);
  if (std::isfinite(runs) && static_cast<double>(oc->target.target_reached_runs) < runs) {
    r.confidence += fmt::format("; only {} of {:g} one-cycle runs reached the target", oc->target.target_reached_runs, runs);
  }
  scale_to_run(r, current);
  out.push_back(r);
}

// ---- pretrain: freeze the pretrained encoder -------------------------------------------------

void rule_pretrain(const StudyRecord& s, const PretrainResult& result, const RunView* current, std::vector<Recommendation>& out) {
  const FreezeVsFinetune& f = result.freeze_vs_finetune;
  double frac = f.energy_saving_fraction, e_frozen = f.frozen_energy_j, e_ft = f.finetune_energy_j;
  if (!std::isfinite(frac) || !(frac > 0) || !std::isfinite(e_frozen) || !std::isfinite(e_ft)) return;
  if (current && current->config) {
    // Only a run that loads an encoder and fine-tunes it can freeze it.
    const ModelConfig& m = current->config->model;
    if (m.freeze_encoder || m.encoder_path.empty()) return;
  }
  const PretrainSummary* fr = variant_entry(result.summary, "frozen");
  const PretrainSummary* ft = variant_entry(result.summary, "finetune");
  double a_fr = fr ? fr->stats.best_val_accuracy.mean : NAN, a_ft = ft ? ft->stats.best_val_accuracy.mean : NAN;
  if (std::isfinite(a_fr) && std::isfinite(a_ft) && a_fr < a_ft - kAccurateWithin) return;  // freezing costs accuracy
  const std::string reuse = result.break_even_frozen.text.empty() ? "unknown" : result.break_even_frozen.text;
  Recommendation r;
  r.kind = "freeze_encoder";
  r.change = "model.freeze_encoder false -> true (with model.encoder_path = the pretrained encoder)";
  r.evidence = fmt::format(
      "{}: the classifier on the pretrained encoder cost {} frozen against {} fine-tuned ({} less); best validation accuracy {} "
      "frozen, {} fine-tuned; pretraining (E_enc = {}) pays for itself {} with a frozen encoder (Eq. 2)",
      study_source(s), fmt_energy(e_frozen), fmt_energy(e_ft), fmt_percent(frac), acc_text(a_fr), acc_text(a_ft),
      fmt_energy(result.energies.enc_j), reuse);
  r.saving_j = e_ft - e_frozen;
  r.saving_fraction = frac;
  r.basis = "per downstream training: fine-tuned classifier energy minus frozen classifier energy (means over seeds)";
  r.provenance = result.header.energy_provenance;
  r.source = study_source(s);
  r.confidence = confidence_note(r.provenance, fr ? runs_of(fr->stats) : NAN, e_ft - e_frozen, ft ? ft->stats.energy_j.std : NAN);
  if (std::isfinite(a_fr) && std::isfinite(a_ft) && a_fr < a_ft) {
    r.confidence += fmt::format("; freezing lost {:.2f} points of validation accuracy", 100 * (a_ft - a_fr));
  }
  scale_to_run(r, current);
  out.push_back(r);
}

// ---- layers: the narrowest width that keeps the accuracy ------------------------------------

void rule_layers(const StudyRecord& s, const LayersResult& result, const RunView* current, std::vector<Recommendation>& out) {
  const std::vector<LayersWidth>& widths = result.widths;
  if (widths.empty()) return;
  const std::string key = result.width_key.empty() ? std::string("model.width") : result.width_key;
  double top = NAN;
  for (const auto& w : widths) {
    double a = w.stats.best_val_accuracy.mean;
    if (std::isfinite(a) && !(a <= top)) top = a;
  }
  if (!std::isfinite(top)) return;
  const LayersWidth* narrow = nullptr;
  for (const auto& w : widths) {
    double a = w.stats.best_val_accuracy.mean, e = w.stats.energy_j.mean;
    if (!std::isfinite(a) || a < top - kWidthTolerance || !std::isfinite(e)) continue;
    if (!narrow || w.width < narrow->width) narrow = &w;
  }
  if (!narrow) return;
  // The baseline: the user's width when the sweep has it, else the widest.
  double mine = NAN;
  std::vector<double> hidden;
  if (current && current->config) {
    const ModelConfig& m = current->config->model;
    if (key == "model.hidden" && !m.hidden.empty()) {
      for (int64_t h : m.hidden) hidden.push_back(static_cast<double>(h));
      mine = hidden[0];
    } else if (key == "model.width") {
      mine = static_cast<double>(m.width);
    }
  }
  const LayersWidth* base = nullptr;
  for (const auto& w : widths) {
    const double width = static_cast<double>(w.width);
    if (std::isfinite(mine) ? same_number(width, mine) : (!base || w.width > base->width)) base = &w;
  }
  bool users = base && std::isfinite(mine);
  if (!base) {
    for (const auto& w : widths) if (!base || w.width > base->width) base = &w;
  }
  const double w0 = static_cast<double>(base->width), w1 = static_cast<double>(narrow->width);
  const double e0 = base->stats.energy_j.mean, e1 = narrow->stats.energy_j.mean;
  if (!(w1 < w0) || !std::isfinite(e0) || !(e1 < e0)) return;
  Recommendation r;
  r.kind = "model_width";
  if (key == "model.hidden") {
    if (users && !hidden.empty()) {
      std::string from, to;
      for (double h : hidden) {
        from += (from.empty() ? "" : ",") + fmt::format("{:g}", h);
        to += (to.empty() ? "" : ",") + fmt::format("{:g}", std::max(1.0, std::round(h * w1 / w0)));
      }
      r.change = fmt::format("model.hidden [{}] -> [{}]", from, to);
    } else {
      r.change = fmt::format("model.hidden[0] {:g} -> {:g} (every hidden layer by the same factor, {:g}x)", w0, w1, w1 / w0);
    }
  } else {
    r.change = fmt::format("model.width {:g} -> {:g}", w0, w1);
  }
  r.evidence = fmt::format(
      "{}: width {:g} reached validation accuracy {} for {}, width {:g} {} for {} ({}); the best width reached {} (narrowest "
      "within {:.0f} point of it chosen)",
      study_source(s), w1, acc_text(narrow->stats.best_val_accuracy.mean), fmt_energy(e1), w0, acc_text(base->stats.best_val_accuracy.mean),
      fmt_energy(e0), users ? "the width of " + run_label(*current) : "the widest tried", acc_text(top), 100 * kWidthTolerance);
  r.saving_j = e0 - e1;
  r.saving_fraction = (e0 - e1) / e0;
  r.basis = "training energy to early stopping of the two widths (mean over seeds), baseline minus recommended";
  r.provenance = result.header.energy_provenance;
  r.source = study_source(s);
  r.confidence = confidence_note(r.provenance, runs_of(narrow->stats), e0 - e1, base->stats.energy_j.std);
  scale_to_run(r, users ? current : nullptr);
  out.push_back(r);
}

// ---- multitask: the tasks together --------------------------------------------------------

void rule_multitask(const StudyRecord& s, const MultitaskResult& result, const RunView* current, std::vector<Recommendation>& out) {
  const MultitaskComparison& c = result.comparison;
  double sep = c.separate_total_energy_j, both = c.multitask_energy_j;
  if (!c.cheaper_than_separate || !std::isfinite(sep) || !std::isfinite(both) || !(both < sep)) return;
  const MultitaskSummary* main_only = variant_entry(result.summary, "main");
  const MultitaskSummary* together = variant_entry(result.summary, "both");
  double a_main = main_only ? main_only->main_task_val_accuracy : NAN, a_both = together ? together->main_task_val_accuracy : NAN;
  if (std::isfinite(a_main) && std::isfinite(a_both) && a_both < a_main - kAccurateWithin) return;
  // The study's own defaults where an older result does not say.
  const std::string aux = result.aux.empty() ? "fashion_coarse" : result.aux;
  const std::string alpha = fmt::format("[1, {:g}]", std::isfinite(result.options.alpha) ? result.options.alpha : 0.5);
  Recommendation r;
  r.kind = "multitask";
  r.change = fmt::format("train both tasks with one shared encoder: multitask.aux {}, multitask.alpha {}", aux, alpha);
  r.evidence = fmt::format("{}: the multitask model cost {} against {} for the two tasks trained separately{}; main-task validation "
                           "accuracy {} together, {} alone",
                           study_source(s), fmt_energy(both), fmt_energy(sep),
                           c.cheaper_than_each_alone ? " (and less than either alone)" : "", acc_text(a_both), acc_text(a_main));
  r.saving_j = sep - both;
  r.saving_fraction = (sep - both) / sep;
  r.basis = "sum of the two single-task trainings minus the multitask training (means over seeds)";
  r.provenance = result.header.energy_provenance;
  r.source = study_source(s);
  r.confidence = confidence_note(r.provenance, together ? runs_of(together->stats) : NAN, sep - both,
                                 together ? together->stats.energy_j.std : NAN) +
                 "; applies when both tasks are needed";
  (void)current;
  out.push_back(r);
}

// ---- a search study's trials: energy per epoch by batch size --------------------------------

void rule_tune_batch(const Store& store, const StudyRecord& s, const RunView* current, std::vector<Recommendation>& out) {
  struct PerBatch {
    std::vector<double> per_epoch_j;
    double best_metric = NAN;
    double longest_epochs = 0, longest_energy_j = NAN;
    int trials = 0;
  };
  std::map<double, PerBatch> by;
  std::string key_used;
  double best_metric = NAN;
  std::vector<Provenance> provenances;  // each trial records its energies' provenance
  for (const StoredTrial& st : store.trials(s.id)) {
    const tune::TrialRecord& t = st.record;
    if (t.trial.probe) continue;  // no epoch: its energy per sample is not an epoch's
    provenances.push_back(st.energy_provenance);
    // The batch size parameter: a training config key, or the traces' own.
    const char* key = t.trial.config.count("training.batch_size") ? "training.batch_size"
                      : t.trial.config.count("batch_size")        ? "batch_size"
                                                                  : nullptr;
    if (!key || !std::holds_alternative<double>(t.trial.config.at(key))) continue;
    double b = std::get<double>(t.trial.config.at(key)), e = t.result.energy_j, n = t.result.epochs, m = t.result.metric;
    if (!(b > 0) || !std::isfinite(e) || !(n > 0)) continue;
    key_used = key;
    PerBatch& p = by[b];
    p.per_epoch_j.push_back(e / n);
    ++p.trials;
    if (std::isfinite(m) && !(m <= p.best_metric)) p.best_metric = m;
    if (std::isfinite(m) && !(m <= best_metric)) best_metric = m;
    if (n > p.longest_epochs) { p.longest_epochs = n; p.longest_energy_j = e; }
  }
  if (by.size() < 2) return;
  const Provenance provenance = provenance_weakest(provenances);
  const bool simulated = provenance == Provenance::simulated;
  std::optional<search::StudySpec> spec;
  try {
    spec = search::spec_from_json(util::parse_or(s.spec_json, nullptr));
  } catch (const std::exception&) {
    // A study whose definition no longer reads: no base config to compare with.
  }
  auto mean = [](const std::vector<double>& v) {
    double sum = 0;
    for (double x : v) sum += x;
    return v.empty() ? NAN : sum / static_cast<double>(v.size());
  };
  // The pick: lowest mean energy per epoch among batch sizes whose best metric is within
  // kAccurateWithin of the best trial (validation accuracy; simulated traces are not filtered).
  double pick = NAN, pick_e = NAN;
  for (const auto& [b, p] : by) {
    bool ok = simulated || !std::isfinite(best_metric) || (std::isfinite(p.best_metric) && p.best_metric >= best_metric - kAccurateWithin);
    double e = mean(p.per_epoch_j);
    if (ok && std::isfinite(e) && (!std::isfinite(pick_e) || e < pick_e)) { pick = b; pick_e = e; }
  }
  if (!std::isfinite(pick)) return;
  // The baseline: the user's batch size, else the study's base config, else the most expensive tried.
  double b0 = batch_size_of(current);
  const bool users = std::isfinite(b0) && by.count(b0) > 0;
  std::string who = users ? run_label(*current) : "";
  if (who.empty()) {
    b0 = NAN;
    if (spec && spec->backend == search::Backend::training) {
      const double b = static_cast<double>(spec->base.training.batch_size);
      if (by.count(b)) { b0 = b; who = "the study's base config"; }
    }
  }
  if (who.empty()) {
    double worst = NAN;
    for (const auto& [b, p] : by) {
      double e = mean(p.per_epoch_j);
      if (std::isfinite(e) && !(e <= worst)) { worst = e; b0 = b; }
    }
    who = "the most expensive batch size tried";
  }
  if (!std::isfinite(b0) || same_number(b0, pick)) return;
  const PerBatch& base = by[b0];
  const double e0 = mean(base.per_epoch_j);
  if (!(pick_e < e0)) return;
  Recommendation r;
  r.kind = "batch_size";
  r.change = fmt::format("{} {:g} -> {:g}", key_used == "batch_size" ? "batch_size" : "training.batch_size", b0, pick);
  r.evidence = fmt::format("{}: batch size {:g} averaged {} per epoch over {} trial(s) against {} for batch size {:g} ({}, {} "
                           "trial(s)); best metric {} against {} (best of the study {})",
                           study_source(s), pick, fmt_energy(pick_e), by[pick].trials, fmt_energy(e0), b0, who, base.trials,
                           acc_text(by[pick].best_metric), acc_text(base.best_metric), acc_text(best_metric));
  r.saving_fraction = (e0 - pick_e) / e0;
  r.saving_j = r.saving_fraction * base.longest_energy_j;
  r.basis = fmt::format("energy per epoch (= per sample: same data) of the trials, {:g} vs {:g}: {} of the baseline's longest "
                        "trial ({:g} epochs, {}); assumes the same number of epochs",
                        pick, b0, fmt_energy(pick_e), base.longest_epochs, fmt_energy(base.longest_energy_j));
  r.provenance = provenance;  // missing for trials stored before powertrain recorded it
  r.source = study_source(s);
  r.confidence = (simulated ? std::string("energies simulated from traces") : std::string("trial energies as the search measured them")) +
                 fmt::format("; {} and {} trial(s) per batch size; short trials include warm-up effects", by[pick].trials, base.trials);
  scale_to_run(r, users ? current : nullptr);
  out.push_back(r);
}

// ---- stored runs differing in batch size -------------------------------------------------------

void rule_runs_batch(const std::vector<RunView>& runs, const RunView* current, std::vector<Recommendation>& out) {
  // Runs compare when model, data, task and precision match.
  auto group_key = [](const RunView& r) -> std::string {
    const TrainConfig& c = *r.config;
    std::string hidden;
    for (int64_t h : c.model.hidden) hidden += std::to_string(h) + ",";
    return fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", c.task, c.model.type, hidden, c.model.width, c.model.depth,
                       c.model.dropout, c.model.feature_dim, c.model.encoder_path, c.model.freeze_encoder, c.data.format,
                       c.data.path, c.data.subset, c.training.precision);
  };
  std::map<std::string, std::vector<const RunView*>> groups;
  for (const auto& r : runs) {
    if (!r.config || r.epochs.empty() || !std::isfinite(r.training_energy_j)) continue;
    groups[group_key(r)].push_back(&r);
  }
  for (const auto& [key, members] : groups) {
    std::map<double, std::vector<const RunView*>> by;
    for (const RunView* r : members) by[batch_size_of(r)].push_back(r);
    if (by.size() < 2) continue;
    // The baseline run: the current run when it is in the group, else the newest.
    const RunView* base = nullptr;
    for (const RunView* r : members) {
      if (current && r->run.id == current->run.id) base = r;
    }
    if (current && !base) continue;
    if (!base) base = members.front();  // runs come newest first
    auto metric_of = [](const RunView* r) {
      double m = r->run.details.outcome ? r->run.details.outcome->best_val_metric : NAN;
      if (std::isfinite(m)) return m;
      for (const auto& e : r->epochs) if (std::isfinite(e.val_metric) && !(e.val_metric <= m)) m = e.val_metric;
      return m;
    };
    double top = NAN;
    for (const RunView* r : members) {
      double m = metric_of(r);
      if (std::isfinite(m) && !(m <= top)) top = m;
    }
    double pick = NAN, pick_e = NAN;
    std::map<double, double> epe;
    for (const auto& [b, rs] : by) {
      double sum = 0, best = NAN;
      for (const RunView* r : rs) {
        sum += r->training_energy_j / static_cast<double>(r->epochs.size());
        double m = metric_of(r);
        if (std::isfinite(m) && !(m <= best)) best = m;
      }
      epe[b] = sum / static_cast<double>(rs.size());
      bool ok = !std::isfinite(top) || (std::isfinite(best) && best >= top - kAccurateWithin);
      if (ok && (!std::isfinite(pick_e) || epe[b] < pick_e)) { pick = b; pick_e = epe[b]; }
    }
    const double b0 = batch_size_of(base);
    const double e0 = base->training_energy_j / static_cast<double>(base->epochs.size());
    if (!std::isfinite(pick) || same_number(pick, b0) || !(pick_e < e0)) continue;
    std::string ids;
    for (const RunView* r : by[pick]) ids += (ids.empty() ? "" : ", ") + std::to_string(r->run.id);
    std::vector<Provenance> prov;
    for (const RunView* r : members) prov.push_back(r->provenance);
    Recommendation r;
    r.kind = "batch_size";
    r.change = fmt::format("training.batch_size {:g} -> {:g}", b0, pick);
    r.evidence = fmt::format("runs {} (batch size {:g}) used {} per epoch on average against {} per epoch for {} (batch size {:g}); "
                             "same model, data and precision; best validation metric {} against {}",
                             ids, pick, fmt_energy(pick_e), fmt_energy(e0), run_label(*base), b0, acc_text(metric_of(by[pick].front())),
                             acc_text(metric_of(base)));
    r.saving_fraction = (e0 - pick_e) / e0;
    r.saving_j = (e0 - pick_e) * static_cast<double>(base->epochs.size());
    r.basis = fmt::format("(energy per epoch {} - {}) x the {} epochs of {}; per sample in the same ratio (same data); assumes the "
                          "same number of epochs",
                          fmt_energy(e0), fmt_energy(pick_e), base->epochs.size(), run_label(*base));
    r.provenance = provenance_weakest(prov);
    r.source = run_label(*base) + " and runs " + ids;
    r.confidence = confidence_note(r.provenance, static_cast<double>(by[pick].size()), NAN, NAN) +
                   "; the runs may differ in other settings (learning rate, epochs), which this comparison ignores";
    out.push_back(r);
  }
}

// ---- a run's validation curve: stop earlier ------------------------------------------------

void rule_early_stopping(const RunView& run, std::vector<Recommendation>& out) {
  if (run.epochs.size() < 3) return;
  bool by_accuracy = false;
  for (const auto& e : run.epochs) if (std::isfinite(e.val_metric)) by_accuracy = true;
  // The last epoch that improved on the best so far by more than the threshold.
  int plateau = 0;
  double best = NAN;
  for (const auto& e : run.epochs) {
    double v = by_accuracy ? e.val_metric : e.val_loss;
    if (!std::isfinite(v)) continue;
    bool improved = !std::isfinite(best) || (by_accuracy ? v > best + kMinDeltaAccuracy : v < best - kMinDeltaLossFraction * std::fabs(best));
    if (improved) { best = v; plateau = e.epoch; }
  }
  if (plateau == 0) return;
  const int last = run.epochs.back().epoch;
  const int after = last - plateau;
  if (after <= kSuggestedPatience) return;  // patience would have kept these epochs anyway
  double saving = 0, total = 0, with_patience = 0, final_best = NAN;
  std::vector<Provenance> prov;
  for (const auto& e : run.epochs) {
    total += e.energy_j;
    if (e.epoch > plateau) { saving += e.energy_j; prov.push_back(e.energy_provenance); }
    if (e.epoch > plateau + kSuggestedPatience) with_patience += e.energy_j;
    double v = by_accuracy ? e.val_metric : e.val_loss;
    if (std::isfinite(v) && (!std::isfinite(final_best) || (by_accuracy ? v > final_best : v < final_best))) final_best = v;
  }
  const std::string metric = by_accuracy ? "validation accuracy" : "validation loss";
  std::string threshold = by_accuracy ? fmt::format("{:g}", kMinDeltaAccuracy) : fmt::format("{:.0f}% of the best loss", 100 * kMinDeltaLossFraction);
  const double patience = run.config ? run.config->early_stopping.patience : NAN;
  const double min_delta = run.config ? run.config->early_stopping.min_delta : NAN;
  const std::string monitor = run.config ? run.config->early_stopping.monitor : "";
  Recommendation r;
  r.kind = "early_stopping";
  std::string want_monitor = by_accuracy ? "val_metric" : "val_loss";
  std::string min_delta_new = by_accuracy ? fmt::format("{:g}", kMinDeltaAccuracy) : fmt::format("{:.3g}", kMinDeltaLossFraction * std::fabs(best));
  if (!monitor.empty() && monitor != want_monitor) r.change = "early_stopping.monitor " + monitor + " -> " + want_monitor + ", ";
  r.change += std::isfinite(patience) ? fmt::format("early_stopping.patience {:g} -> {}", patience, kSuggestedPatience)
                                      : fmt::format("early_stopping.patience -> {}", kSuggestedPatience);
  r.change += std::isfinite(min_delta) ? fmt::format(", early_stopping.min_delta {:g} -> {}", min_delta, min_delta_new)
                                       : fmt::format(", early_stopping.min_delta -> {}", min_delta_new);
  r.evidence = fmt::format("{}: {} stopped improving by more than {} after epoch {} ({:.4f}); the {} epochs after it ({}..{}) "
                           "changed the best to {:.4f} and cost {} of the run's {}",
                           run_label(run), metric, threshold, plateau, best, after, plateau + 1, last, final_best, fmt_energy(saving),
                           fmt_energy(total));
  r.saving_j = saving;
  r.saving_fraction = total > 0 ? saving / total : NAN;
  r.basis = fmt::format("sum of the stored energies of epochs {}..{} (stopping right after epoch {}); with patience {} the run would "
                        "have stopped at epoch {} and saved {}",
                        plateau + 1, last, plateau, kSuggestedPatience, plateau + kSuggestedPatience, fmt_energy(with_patience));
  r.provenance = provenance_weakest(prov);
  r.source = fmt::format("run {}", run.run.id);
  r.confidence = "one run's curve: another seed may flatten later; " +
                 std::string(run.provenance == Provenance::estimated ? "epoch energies are estimates"
                                                                     : std::string("epoch energies ") + provenance_name(run.provenance));
  out.push_back(r);
}

// ---- recipe: the standard recipe against powertrain's, lever by lever -----------------------

void rule_recipe(const StudyRecord& s, const RecipeResult& result, std::vector<Recommendation>& out) {
  const RecipeComparison& c = result.comparison;
  const RecipeSide& st = result.standard;
  const RecipeSide& tu = result.tuned;
  if (!tu.reached_target || !(c.saving_j > 0)) return;  // nothing this study can recommend
  const Provenance provenance = result.header.energy_provenance;
  auto acc = [](double a) { return std::isfinite(a) ? fmt::format("{:.2f} %", 100 * a) : std::string("n/a"); };
  const std::string target = acc(c.target_test_accuracy);
  auto add = [&](const std::string& kind, const std::string& change, const std::string& evidence, double fraction, double saving_j,
                 const std::string& basis, const std::string& confidence) {
    Recommendation r;
    r.kind = kind;
    r.change = change;
    r.evidence = evidence;
    r.saving_fraction = fraction;
    r.saving_j = saving_j;
    r.basis = basis;
    r.provenance = provenance;
    r.source = study_source(s);
    r.confidence = confidence;
    out.push_back(r);
  };
  add("recipe", fmt::format("the standard recipe ({}) -> powertrain's ({})", st.description, tu.description),
      fmt::format("{}: both judged on test accuracy {}: the standard reached {} for {}, powertrain's {} for {} ({:.2f}x); the "
                  "search cost {} once and pays back after {:.2f} uses",
                  study_source(s), target, acc(st.run.test_accuracy), fmt_energy(st.energy_j), acc(tu.run.test_accuracy),
                  fmt_energy(tu.energy_j), c.energy_ratio, fmt_energy(c.search_energy_j), c.payback_reuses),
      1 - c.energy_ratio, c.saving_j, "measured: the standard run's energy minus the tuned run's (per use of the recipe)",
      confidence_note(provenance, NAN, NAN, NAN) + "; one run of each recipe: run the study again to see the spread");
  // The levers, each from the search's exploratory epochs (the same data and model).
  auto cost = [&](int64_t batch, const std::string& precision) {
    for (const auto& k : result.costs) if (k.batch_size == batch && k.precision == precision) return k.energy_per_sample_j;
    return static_cast<double>(NAN);
  };
  const double at_standard = cost(st.batch_size, "fp32"), at_batch = cost(tu.batch_size, "fp32");
  const double at_chosen = cost(tu.batch_size, tu.precision);
  if (tu.batch_size != st.batch_size && at_batch < at_standard) {
    const double ratio = at_batch / at_standard;
    add("batch_size", fmt::format("training.batch_size {} -> {}", st.batch_size, tu.batch_size),
        fmt::format("{}: {:.2f}x the energy per training sample (fp32, the search's exploratory epochs of each batch size)",
                    study_source(s), ratio),
        1 - ratio, st.energy_j * (1 - ratio),
        fmt::format("the standard run's energy {} x (1 - {:.2f}); assumes the same epochs", fmt_energy(st.energy_j), ratio),
        "a larger batch needs a matching learning rate (the search chose " + fmt::format("{:g}", tu.lr) + ")");
  }
  if (tu.precision != "fp32" && at_chosen < at_batch) {
    const double ratio = at_chosen / at_batch;
    add("precision", "training.precision fp32 -> " + tu.precision,
        fmt::format("{}: {:.2f}x the energy per training sample at batch {} on this hardware; the tuned run in {} reached {}",
                    study_source(s), ratio, tu.batch_size, tu.precision, acc(tu.run.test_accuracy)),
        1 - ratio, st.energy_j * (1 - ratio),
        fmt::format("the standard run's energy {} x (1 - {:.2f}); assumes the same epochs", fmt_energy(st.energy_j), ratio),
        "measured on this machine's hardware; a different CPU or GPU may gain less (or nothing)");
  }
  if (tu.run.epochs > 0 && tu.run.epochs < st.run.epochs) {
    const double ratio = static_cast<double>(tu.run.epochs) / static_cast<double>(st.run.epochs);
    add("schedule", fmt::format("{} epochs at a constant LR -> a one-cycle schedule over {} epochs, stopped at the target",
                                st.run.epochs, tu.planned_epochs),
        fmt::format("{}: the tuned run reached the target after {} epochs; the standard recipe trains {}", study_source(s),
                    tu.run.epochs, st.run.epochs),
        1 - ratio, st.energy_j * (1 - ratio),
        fmt::format("the standard run's energy {} x (1 - {}/{}); assumes equal energy per epoch", fmt_energy(st.energy_j),
                    tu.run.epochs, st.run.epochs),
        "stop at a target only where the target is what matters; one-cycle needs its length planned in advance");
  }
}

}  // namespace powertrain::advice_rules
