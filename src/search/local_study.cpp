// A search study driven by this process alone in a SQLite store: read, lock, runner, store,
// run (the order `powertrain tune` needs; the command only parses flags and prints).
#include "powertrain/search/local_study.h"

#include "powertrain/search/lock.h"
#include "powertrain/store/trial_log.h"

namespace powertrain::search {

struct LocalStudy::Impl {
  LocalStudyOptions options;
  std::optional<Store> store;
  std::optional<StudyRecord> stored;
  std::optional<StudySpec> spec;
  std::unique_ptr<StudyLock> lock;
  std::unique_ptr<StudyRunner> runner;
  int64_t study_id = 0;
};

LocalStudy::LocalStudy(LocalStudyOptions options, std::optional<StudySpec> spec) : impl_(new Impl) {
  impl_->options = std::move(options);
  LocalStudyOptions& o = impl_->options;
  if (!o.resume.empty()) {
    impl_->store.emplace(Store::open_existing(o.db));
    impl_->stored = impl_->store->study(o.resume);
    impl_->spec = stored_search_spec(impl_->stored, o.resume, o.db, " (check --db and the name)");
    impl_->study_id = impl_->stored->id;
    o.name = impl_->stored->name;
  } else {
    if (!spec) throw ConfigError("a new study needs its definition (a study file or a simulation)");
    impl_->spec = std::move(spec);
    if (!o.no_store && o.name.empty()) o.name = default_study_name(*impl_->spec);
    if (o.no_store) o.name.clear();
  }
}

LocalStudy::~LocalStudy() = default;

const StudySpec& LocalStudy::spec() const { return *impl_->spec; }
bool LocalStudy::resumed() const { return impl_->stored.has_value(); }
const std::string& LocalStudy::name() const { return impl_->options.name; }
Store* LocalStudy::store() { return impl_->store ? &*impl_->store : nullptr; }

StudyRunner& LocalStudy::start() {
  Impl& m = *impl_;
  const LocalStudyOptions& o = m.options;
  const bool with_store = m.stored || !o.no_store;
  if (with_store) m.lock = StudyLock::acquire(o.db, o.name);  // one process drives a study
  RunnerOptions ro = o.runner;
  ro.states_dir = o.states_dir.empty() && with_store ? default_states_dir(o.db, o.name) : o.states_dir;
  m.runner = std::make_unique<StudyRunner>(*m.spec, ro);  // before the study is stored: a failure leaves nothing
  if (!m.stored && with_store) {
    m.store.emplace(Store::open(o.db));
    m.study_id = m.store->create_study(o.name, spec_to_json(*m.spec).dump());
  }
  return *m.runner;
}

StudyRunner& LocalStudy::runner() {
  if (!impl_->runner) throw std::logic_error("LocalStudy::runner before start()");
  return *impl_->runner;
}

std::size_t LocalStudy::replay_stored() {
  if (!impl_->stored) return 0;
  runner().replay(StoreTrialLog(*impl_->store, impl_->study_id).events());
  return runner().trials().size();
}

Ending LocalStudy::run(const std::function<void(const StoredTrial&)>& on_trial, const std::atomic<bool>* stop) {
  return run_in_store(runner(), store(), impl_->study_id, on_trial, stop);
}

}  // namespace powertrain::search
