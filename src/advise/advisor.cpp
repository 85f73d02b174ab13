// The advisor: picks the evidence for a target (everything, a run, a study), runs the rules
// over it, ranks what they find and renders it.
#include "powertrain/advise/advisor.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "advise/rules.h"
#include "util/json.h"

namespace powertrain {

namespace {

using advice_rules::json;
using advice_rules::RunView;

// The research studies, in the order worth running them, with the command and what each tells.
struct StudyHint {
  const char* kind;
  const char* command;
  const char* tells;
};
const StudyHint kStudyHints[] = {
    {"regime", "powertrain study regime --scale small",
     "batch size x learning rate: which batch size has the lowest energy per sample and which rate needs the fewest epochs"},
    {"precision", "powertrain study precision --scale small --seeds 3 --tolerance 0.01",
     "whether mixed precision (bf16/fp16) saves energy without losing accuracy"},
    {"superconvergence", "powertrain study superconvergence --scale small",
     "whether a one-cycle schedule reaches the accuracy in fewer epochs"},
    {"layers", "powertrain study layers --scale small", "energy by layer type and the narrowest model width that keeps the accuracy"},
    {"pretrain", "powertrain study pretrain --scale small",
     "whether a pretrained, frozen encoder saves energy and after how many reuses pretraining pays off"},
    {"multitask", "powertrain study multitask --scale small --alpha 0.5",
     "whether training two tasks together costs less than training them separately"},
};

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Training runs that ended with usable epochs (every ending but divergence or a failure).
bool trainable(const RunRecord& r) {
  return r.kind == "train" && (r.status == RunStatus::completed || r.status == RunStatus::early_stopped ||
                               r.status == RunStatus::target_reached || r.status == RunStatus::interrupted);
}

// Runs the rule for a research study's kind; false when the kind has none.
bool apply_study(const Store& store, const StudyRecord& s, const RunView* current, std::vector<Recommendation>& out) {
  if (s.kind == "tune") {
    advice_rules::rule_tune_batch(store, s, current, out);
    return true;
  }
  std::optional<AnyStudyResult> result = study_result_of(s);
  if (!result) return false;
  if (const auto* r = std::get_if<RegimeResult>(&*result)) advice_rules::rule_regime(s, *r, current, out);
  else if (const auto* r = std::get_if<PrecisionResult>(&*result)) advice_rules::rule_precision(s, *r, current, out);
  else if (const auto* r = std::get_if<SuperconvergenceResult>(&*result)) advice_rules::rule_superconvergence(s, *r, current, out);
  else if (const auto* r = std::get_if<PretrainResult>(&*result)) advice_rules::rule_pretrain(s, *r, current, out);
  else if (const auto* r = std::get_if<LayersResult>(&*result)) advice_rules::rule_layers(s, *r, current, out);
  else if (const auto* r = std::get_if<MultitaskResult>(&*result)) advice_rules::rule_multitask(s, *r, current, out);
  else if (const auto* r = std::get_if<RecipeResult>(&*result)) advice_rules::rule_recipe(s, *r, out);
  else return false;
  return true;
}

// The newest study of each kind that has something to read (a result, or trials for tune).
std::map<std::string, StudyRecord> latest_studies(const Store& store) {
  std::map<std::string, StudyRecord> latest;
  for (const auto& s : store.studies(1000)) {  // newest first
    if (latest.count(s.kind)) continue;
    bool usable = s.kind == "tune" ? !store.trials(s.id).empty() : !s.result_json.empty();
    if (usable) latest[s.kind] = s;
  }
  return latest;
}

void add_missing_study_steps(const std::map<std::string, StudyRecord>& have, const std::set<std::string>& only,
                             std::vector<std::string>& steps) {
  for (const auto& h : kStudyHints) {
    if (have.count(h.kind) || (!only.empty() && !only.count(h.kind))) continue;
    steps.push_back(fmt::format("run `{}`: {}", h.command, h.tells));
  }
}

void rank(std::vector<Recommendation>& recs) {
  std::stable_sort(recs.begin(), recs.end(), [](const Recommendation& a, const Recommendation& b) {
    bool ka = std::isfinite(a.saving_j), kb = std::isfinite(b.saving_j);
    if (ka != kb) return ka;
    return ka && a.saving_j > b.saving_j;
  });
}

std::string known_runs(const Store& store) {
  std::string out;
  for (const auto& r : store.runs(5)) out += (out.empty() ? "" : ", ") + fmt::format("{} ({} '{}')", r.id, r.kind, r.name);
  return out.empty() ? "the store has no runs" : "recent runs: " + out;
}

std::string known_studies(const Store& store) {
  std::string out;
  for (const auto& s : store.studies(5)) out += (out.empty() ? "" : ", ") + s.name + " (" + s.kind + ")";
  return out.empty() ? "the store has no studies" : "recent studies: " + out;
}

Advice advise_run(const Store& store, int64_t id) {
  std::optional<RunRecord> rec = store.run(id);
  if (!rec) throw AdviseError(fmt::format("no run {} in {}; {}", id, store.path(), known_runs(store)));
  Advice a;
  RunView view = advice_rules::load_run(store, *rec);
  a.scope = fmt::format("run {} ({} '{}', {}, {} epochs, training energy {})", id, rec->kind, rec->name, run_status_name(rec->status), view.epochs.size(),
                        advice_rules::fmt_energy(view.training_energy_j));
  advice_rules::rule_early_stopping(view, a.recommendations);
  if (!view.config.has_value()) {
    a.next_steps.push_back("run " + std::to_string(id) +
                           " has no training config (a `measure` run or a failed training): the advisor compares training "
                           "configs; train with `powertrain train CONFIG.json` and advise on that run");
    rank(a.recommendations);
    return a;
  }
  // Other stored runs differing in batch size.
  std::vector<RunView> runs;
  bool self_in = false;
  for (const auto& r : store.runs(200)) {
    if (!trainable(r) && r.id != id) continue;
    runs.push_back(r.id == id ? view : advice_rules::load_run(store, r));
    if (r.id == id) self_in = true;
    else if (runs.back().from_study) runs.pop_back();
  }
  if (!self_in) runs.push_back(view);
  advice_rules::rule_runs_batch(runs, &view, a.recommendations);
  auto latest = latest_studies(store);
  for (const char* kind : {"regime", "tune", "precision", "superconvergence", "layers", "pretrain"}) {
    auto it = latest.find(kind);
    if (it != latest.end()) apply_study(store, it->second, &view, a.recommendations);
  }
  add_missing_study_steps(latest, {"regime", "precision", "superconvergence", "layers"}, a.next_steps);
  rank(a.recommendations);
  return a;
}

Advice advise_study(const Store& store, const std::string& name) {
  std::optional<StudyRecord> s = store.study(name);
  if (!s) throw AdviseError(fmt::format("no study '{}' in {}; {}", name, store.path(), known_studies(store)));
  Advice a;
  a.scope = fmt::format("study {} ({}, {})", s->name, s->kind, study_status_name(s->status));
  bool readable = s->kind == "tune" ? !store.trials(s->id).empty() : !s->result_json.empty();
  if (!readable) {
    a.next_steps.push_back(fmt::format("study {} is {} and has no {} yet: finish it or run it again (e.g. `powertrain study {} "
                                       "--scale small`), then advise on it",
                                       s->name, study_status_name(s->status), s->kind == "tune" ? "trials" : "result", s->kind == "tune" ? "regime" : s->kind));
    return a;
  }
  if (!apply_study(store, *s, nullptr, a.recommendations)) {
    a.next_steps.push_back("the advisor has no rule for studies of kind '" + s->kind + "'");
  }
  rank(a.recommendations);
  return a;
}

Advice advise_all(const Store& store) {
  Advice a;
  std::vector<RunRecord> all = store.runs(200);
  std::vector<RunView> user;  // training runs the user started (not made by a study)
  for (const auto& r : all) {
    if (!trainable(r)) continue;
    RunView v = advice_rules::load_run(store, r);
    if (!v.from_study) user.push_back(std::move(v));
  }
  auto latest = latest_studies(store);
  a.scope = fmt::format("everything in {}: {} runs ({} of your own training runs), latest study of each kind: {}", store.path(),
                        all.size(), user.size(), latest.empty() ? std::string("none") : std::string());
  std::string kinds;
  for (const auto& [kind, s] : latest) kinds += (kinds.empty() ? "" : ", ") + s.name + " (" + kind + ")";
  a.scope += kinds;
  const RunView* current = nullptr;
  for (const auto& v : user) {
    if (v.config.has_value()) { current = &v; break; }
  }
  if (current) a.scope += fmt::format("; compared with your latest training run {}", current->run.id);
  for (size_t i = 0; i < user.size() && i < 5; ++i) advice_rules::rule_early_stopping(user[i], a.recommendations);
  advice_rules::rule_runs_batch(user, nullptr, a.recommendations);
  // Rules 4 and 7 concern how models are reused and combined, not the latest run's settings.
  for (const auto& [kind, s] : latest) {
    apply_study(store, s, kind == "pretrain" || kind == "multitask" ? nullptr : current, a.recommendations);
  }
  if (latest.empty() && user.empty()) {
    a.next_steps.push_back("nothing measured yet in " + store.path() + ": start with `powertrain study regime --scale small` "
                           "(minutes on a 2-core CPU); it shows which batch size and learning rate cost least on this machine");
  }
  add_missing_study_steps(latest, {}, a.next_steps);
  if (user.empty()) {
    a.next_steps.push_back("train your own model with `powertrain train CONFIG.json` (docs/train.md): its epochs show where "
                           "early stopping could end it sooner, and advice can compare its config with the studies");
  }
  rank(a.recommendations);
  return a;
}

}  // namespace

Advice advise(const Store& store, const std::string& target) {
  if (target.empty()) return advise_all(store);
  if (all_digits(target)) {
    if (target.size() > 18) throw AdviseError("run id " + target + " is too large; " + known_runs(store));
    // A study may be named with digits only; a run id wins unless no such run exists.
    int64_t id = std::stoll(target);
    if (store.run(id) || !store.study(target)) return advise_run(store, id);
  }
  return advise_study(store, target);
}

std::string advice_text(const Advice& advice) {
  std::string out = "Advice for " + advice.scope + "\n";
  if (advice.recommendations.empty()) {
    out += "\nNo recommendation: the stored data shows no change that would save energy";
    out += advice.next_steps.empty() ? ".\n" : " (see the next steps).\n";
  }
  int n = 0;
  for (const auto& r : advice.recommendations) {
    out += fmt::format("\n{}. {}  [{}]\n", ++n, r.change, r.kind);
    out += std::isfinite(r.saving_j)
               ? fmt::format("   saving:     {} ({}); energies {}\n", advice_rules::fmt_energy(r.saving_j),
                             advice_rules::fmt_percent(r.saving_fraction), provenance_name(r.provenance))
               : fmt::format("   saving:     unknown; energies {}\n", provenance_name(r.provenance));
    out += "   estimated:  " + r.basis + "\n";
    out += "   evidence:   " + r.evidence + "\n";
    out += "   confidence: " + r.confidence + "\n";
    out += "   source:     " + r.source + "\n";
  }
  if (advice.recommendations.size() > 1) {
    out += "\nSavings are each against the current setup; recommendations that touch the same settings overlap and do not add up.\n";
  }
  if (!advice.next_steps.empty()) {
    out += "\nNext steps:\n";
    for (const auto& s : advice.next_steps) out += "  - " + s + "\n";
  }
  return out;
}

nlohmann::json advice_json(const Advice& advice) {
  using util::num;
  json recs = json::array();
  for (const auto& r : advice.recommendations) {
    recs.push_back({{"kind", r.kind},
                    {"change", r.change},
                    {"evidence", r.evidence},
                    {"saving_j", num(r.saving_j)},
                    {"saving_fraction", num(r.saving_fraction)},
                    {"provenance", provenance_name(r.provenance)},
                    {"basis", r.basis},
                    {"source", r.source},
                    {"confidence", r.confidence}});
  }
  return json{{"schema", "powertrain.advice/1"}, {"scope", advice.scope}, {"recommendations", recs}, {"next_steps", advice.next_steps}};
}

}  // namespace powertrain
