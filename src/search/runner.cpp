// Runs a search study: the objective for the study's life, a strategy and tuner rebuilt
// from the study's log on every replay.
#include "powertrain/search/runner.h"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>

#include "powertrain/tune/pareto_successive_halving.h"
#include "powertrain/tune/registry.h"
#include "powertrain/tune/trace_objective.h"

namespace powertrain::search {

namespace {

bool same_trial(const tune::Trial& a, const tune::Trial& b) {
  return a.id == b.id && tune::config_key(a.config) == tune::config_key(b.config) && a.budget == b.budget;
}

}  // namespace

struct StudyRunner::Impl {
  StudySpec spec;
  RunnerOptions options;
  std::unique_ptr<tune::Objective> objective;
  const tune::ZeusObjective* zeus = nullptr;  // the objective, when simulated
  tune::TunerOptions tuner_options;
  tune::StrategyBudget budget;
  tune::SearchSpace space;
  std::string description;
  std::string states_dir;

  std::unique_ptr<tune::Strategy> strategy;
  std::unique_ptr<tune::Tuner> tuner;
  std::map<long, tune::Trial> asked;
  std::vector<StoredTrial> told;

  // The configuration the study chooses, and its metric and target: the strategy's best().
  // When that one neither reached the target nor has a finite loss (every configuration
  // failed, was stopped, or ended its budget short of the target), the strategy's order says
  // nothing; the trial with the best metric does (higher or lower as the study says).
  struct Choice {
    tune::Config config;
    double metric = NAN;
    bool reached_target = false;
  };
  std::optional<Choice> choice() const {
    const auto best = strategy->best();
    if (!best) return std::nullopt;
    const tune::TrialResult& r = *strategy->best_result();
    Choice c{*best, r.metric, r.reached_target};
    if (r.reached_target || r.loss < INFINITY) return c;
    for (const auto& t : told) {
      const double metric = t.record.result.metric;
      if (!std::isfinite(metric)) continue;
      if (!std::isfinite(c.metric) || (tuner_options.maximize ? metric > c.metric : metric < c.metric))
        c = Choice{t.record.trial.config, metric, false};
    }
    return c;
  }

  void reset() {
    strategy = tune::make_strategy(spec.strategy, space, budget, spec.seed);
    tuner = std::make_unique<tune::Tuner>(*objective, tuner_options);
    asked.clear();
    told.clear();
  }
};

StudyRunner::StudyRunner(StudySpec spec, RunnerOptions options) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.spec = std::move(spec);
  m.options = std::move(options);
  m.tuner_options = tuner_options(m.spec);
  m.budget = strategy_budget(m.spec);
  m.space = search_space(m.spec);
  const StudySpec& s = m.spec;
  if (s.backend == Backend::zeus_trace) {
    auto objective = std::make_unique<tune::ZeusObjective>(*s.trace, s.zeus.workload, s.seed, power_profile(s));
    m.zeus = objective.get();
    m.objective = std::move(objective);
    const tune::WorkloadSpec& w = s.trace->workload(s.zeus.workload);
    m.description = fmt::format("{} on the {} trace of {} ({}): {} configurations (batch size x power limit), target {} {} "
                                "within {} epochs; the strategy minimises the energy to reach the target",
                                s.strategy, s.zeus.gpu, s.zeus.workload, w.network, s.trace->configs(s.zeus.workload).size(),
                                w.higher_is_better ? ">=" : "<=", w.target_metric, w.max_epochs);
  } else {
    if (!m.options.training) {
      throw ConfigError("study " + s.study_path + " trains real models, but this powertrain has no training engine "
                        "(install the package with the training engine)");
    }
    m.objective = m.options.training(s.base, m.options.sensors, m.options.say);
    m.description = fmt::format("{} over {} parameters ({} grid points) training {} on {}; {} epochs at most; the strategy "
                                "minimises {}",
                                s.strategy, s.space.params().size(), s.space.grid_size(), s.base.model.type, s.base.data.path,
                                s.max_epochs,
                                std::isfinite(s.target) ? fmt::format("the energy to reach validation accuracy {}", s.target)
                                                        : std::string("the validation loss (maximises accuracy)"));
    if (!m.options.states_dir.empty()) {
      try {
        if (m.objective->keep_states_in(m.options.states_dir)) m.states_dir = m.options.states_dir;
      } catch (const std::exception& e) {
        throw ConfigError(e.what());
      }
    }
  }
  m.reset();
}

StudyRunner::~StudyRunner() = default;

const StudySpec& StudyRunner::spec() const { return impl_->spec; }
std::string StudyRunner::description() const { return impl_->description; }
const std::string& StudyRunner::states_dir() const { return impl_->states_dir; }

void StudyRunner::replay(const std::vector<TrialEvent>& events) {
  Impl& m = *impl_;
  m.reset();
  size_t i = 0;
  for (const TrialEvent& e : events) {
    if (e.kind == TrialEvent::Kind::ask) {
      auto t = m.strategy->ask();
      if (!t || !same_trial(*t, e.asked)) {
        throw SearchError(fmt::format("the study does not replay: its log's event {} asked trial {}, but the strategy asks {} "
                                      "now (was it written by another powertrain version? a study run by workers "
                                      "continues with powertrain worker)",
                                      i, e.asked.id, t ? std::to_string(t->id) : "nothing"));
      }
      m.asked[t->id] = *t;
    } else {
      auto it = m.asked.find(e.told.record.trial.id);
      if (it == m.asked.end()) {
        throw SearchError(fmt::format("the study does not replay: its log's event {} tells trial {}, which was never asked",
                                      i, e.told.record.trial.id));
      }
      m.strategy->tell(it->second, e.told.record.result);
      m.tuner->replay(e.told.record);
      m.told.push_back(e.told);
    }
    ++i;
  }
}

Ending StudyRunner::run(TrialLog& log, const std::function<void(const StoredTrial&)>& on_trial, const std::atomic<bool>* stop) {
  Impl& m = *impl_;
  replay(log.events());
  for (;;) {
    if (budget_spent()) return Ending::energy_budget;
    if (stop && stop->load()) return Ending::interrupted;
    auto t = m.strategy->ask();
    if (!t) return Ending::finished;  // a sequential loop never leaves a rung waiting
    log.append_ask(*t);
    StoredTrial st = evaluate(*t);
    m.strategy->tell(*t, st.record.result);
    log.append_tell(st);
    m.told.push_back(st);
    if (on_trial) on_trial(st);
  }
}

std::optional<tune::Trial> StudyRunner::ask() {
  auto t = impl_->strategy->ask();
  if (t) impl_->asked[t->id] = *t;
  return t;
}

StoredTrial StudyRunner::evaluate(const tune::Trial& trial) {
  StoredTrial st;
  st.record = impl_->tuner->evaluate(trial);
  st.energy_provenance = impl_->objective->energy_provenance();
  return st;
}

bool StudyRunner::strategy_finished() const { return impl_->strategy->finished(); }
bool StudyRunner::budget_spent() const { return impl_->tuner->search_energy_j() >= impl_->tuner_options.max_energy_j; }
double StudyRunner::search_energy_j() const { return impl_->tuner->search_energy_j(); }
double StudyRunner::search_duration_s() const { return impl_->tuner->search_duration_s(); }
const std::vector<StoredTrial>& StudyRunner::trials() const { return impl_->told; }

SearchSummary StudyRunner::summary(Ending ending) const {
  const Impl& m = *impl_;
  const StudySpec& s = m.spec;
  SearchSummary out;
  out.strategy = s.strategy;
  out.beta = s.beta;
  out.seed = s.seed;
  out.trials = static_cast<long>(m.told.size());
  out.ending = ending;
  out.backend = s.backend;
  out.study_path = s.study_path;
  out.zeus = s.zeus;
  out.has_target = std::isfinite(m.tuner_options.target_metric);
  out.search_energy_j = m.tuner->search_energy_j();
  out.search_duration_s = m.tuner->search_duration_s();
  std::vector<Provenance> provenances;
  for (const auto& t : m.told) provenances.push_back(t.energy_provenance);
  out.energy_provenance = provenances.empty() ? m.objective->energy_provenance() : provenance_weakest(provenances);
  if (const auto c = m.choice()) {
    out.chosen = c->config;
    out.chosen_metric = c->metric;
    out.chosen_reached_target = c->reached_target;
  }
  if (m.zeus) {
    const tune::TraceOptimum optimum = s.trace->optimum(s.zeus.workload);
    out.network = s.trace->workload(s.zeus.workload).network;
    out.optimal_eta_j = optimum.eta_j;
    out.optimal_batch_size = optimum.config.batch_size;
    out.optimal_power_limit_w = optimum.config.power_limit_w;
    if (out.chosen) out.chosen_eta_j = m.zeus->true_eta_j(*out.chosen);
    if (out.chosen && !out.chosen->count("power_limit_w")) out.chosen_power_limit_w = m.zeus->trace_config(*out.chosen).power_limit_w;
    tune::ZeusObjective grid_objective(*s.trace, s.zeus.workload, s.seed, power_profile(s));
    tune::Tuner grid_tuner(grid_objective, grid_objective.tuner_options());
    auto grid = tune::make_strategy("grid", grid_objective.space(), grid_objective.tuner_options().max_epochs, s.seed);
    grid_tuner.run(*grid);
    out.grid_energy_j = grid_tuner.search_energy_j();
    out.grid_basis = "grid search over the same space on the same traces";
  } else {
    // Estimated from the trials: the mean energy per epoch of the trained configurations x the
    // full budget, for every grid point.
    double per_epoch_sum = 0;
    int n = 0;
    for (const auto& t : m.told) {
      if (t.record.result.epochs > 0 && std::isfinite(t.record.result.energy_j)) {
        per_epoch_sum += t.record.result.energy_j / t.record.result.epochs;
        ++n;
      }
    }
    if (n > 0) {
      out.grid_energy_j = per_epoch_sum / n * s.max_epochs * static_cast<double>(m.space.grid_size());
      out.grid_energy_estimated = true;
      out.grid_basis = fmt::format("estimated: mean energy per epoch of the trials x {} epochs x {} grid points", s.max_epochs,
                                   m.space.grid_size());
    }
  }
  if (const auto* pareto = dynamic_cast<const tune::ParetoSuccessiveHalving*>(m.strategy.get())) {
    for (const auto& p : pareto->pareto_front()) out.pareto_front.push_back({p.config, p.metric, p.energy_j, p.loss, p.budget});
  }
  return out;
}

std::string StudyRunner::chosen_train_config() const {
  const Impl& m = *impl_;
  const auto c = m.choice();
  if (!c || m.spec.backend != Backend::training) return "";
  TrainConfig chosen = apply_tune_config(m.spec.base, c->config);
  chosen.name = (m.spec.name.empty() ? std::string("study") : m.spec.name) + "-chosen";
  return train_config_json(chosen);
}

std::string default_states_dir(const std::string& storage, const std::string& study) {
  std::string name = study;
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_' && ch != '.') ch = '_';
  }
  if (name.empty() || name == "." || name == "..") name = "study";
  if (storage.rfind("postgresql://", 0) == 0 || storage.rfind("postgres://", 0) == 0) return "powertrain-states/" + name;
  std::string file = storage.rfind("sqlite:", 0) == 0 ? storage.substr(7) : storage;
  return file + ".states/" + name;
}

void remove_states_dir(const std::string& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  const auto parent = std::filesystem::path(dir).parent_path();
  if (!parent.empty() && std::filesystem::is_empty(parent, ec)) std::filesystem::remove(parent, ec);
}

Ending run_in_store(StudyRunner& runner, Store* store, int64_t study_id, const std::function<void(const StoredTrial&)>& on_trial,
                    const std::atomic<bool>* stop) {
  MemoryTrialLog memory;
  std::optional<StoreTrialLog> stored;
  if (store) stored.emplace(*store, study_id);
  TrialLog& log = store ? static_cast<TrialLog&>(*stored) : memory;
  Ending ending;
  try {
    ending = runner.run(log, on_trial, stop);
  } catch (const SearchError&) {
    if (store) store->set_study_status(study_id, StudyStatus::failed);
    throw;
  }
  if (store) store->set_study_status(study_id, ending == Ending::interrupted ? StudyStatus::interrupted : StudyStatus::finished);
  if (ending != Ending::interrupted) remove_states_dir(runner.states_dir());
  return ending;
}

}  // namespace powertrain::search
