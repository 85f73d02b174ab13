// One worker of a study shared through its log: claims, heartbeats, takeovers.
#include "powertrain/search/worker.h"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

namespace powertrain::search {

namespace {

// Sends heartbeats for one claim from its own connection until destroyed.
class Heartbeat {
 public:
  Heartbeat(const std::string& storage, int64_t study_id, int64_t trial_id, const std::string& worker, double every_s)
      : log_(StudyLog::open(storage)) {
    thread_ = std::thread([=] {
      std::unique_lock<std::mutex> lock(mu_);
      while (!cv_.wait_for(lock, std::chrono::duration<double>(every_s), [&] { return stop_; })) {
        try {
          if (!log_->heartbeat(study_id, trial_id, worker)) lost_ = true;
        } catch (const std::exception&) {
          // A missed beat is harmless unless they all fail; then the claim is taken over.
        }
      }
    });
  }
  ~Heartbeat() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;
  bool lost() const { return lost_; }

 private:
  std::unique_ptr<StudyLog> log_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::atomic<bool> lost_{false};
  std::thread thread_;
};

}  // namespace

std::string default_worker_id() {
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "host");
  return fmt::format("{}:{}", host, getpid());
}

Worker::Worker(StudyLog& log, int64_t study_id, StudyRunner& runner, WorkerOptions options)
    : log_(log), study_id_(study_id), runner_(runner), options_(std::move(options)) {
  if (options_.worker_id.empty()) options_.worker_id = default_worker_id();
}

WorkerResult Worker::run(const std::atomic<bool>* stop) {
  const WorkerOptions& o = options_;
  auto say = [&](const std::string& m) { if (o.say) o.say(m); };
  WorkerResult result;
  result.worker_id = o.worker_id;
  long ran = 0;
  for (;;) {
    if (stop && stop->load()) break;
    // 1. Under the study lock: replay, then claim a trial or learn that the study is over.
    enum class Next { run, wait, done, stuck } next = Next::wait;
    tune::Trial trial;
    int attempt = 0;
    std::string stuck;
    log_.locked(study_id_, [&](StudyTxn& tx) {
      next = Next::wait;
      stuck.clear();
      runner_.replay(tx.events());
      bool running = false;
      std::map<long, tune::Trial> asked;
      for (const auto& e : tx.events()) {
        if (e.kind == TrialEvent::Kind::ask) asked[e.asked.id] = e.asked;
      }
      for (const auto& c : tx.claims()) {
        const bool dead = c.state == ClaimState::running && c.heartbeat_age_s > o.grace_s;
        const bool retry = c.state == ClaimState::failed && c.attempts < o.max_attempts;
        if (c.state == ClaimState::running && !dead) running = true;
        if (c.state == ClaimState::failed && c.attempts >= o.max_attempts) {
          stuck = fmt::format("trial {} failed {} times (see the workers' messages): fix the cause and start a new study",
                              c.trial_id, c.attempts);
        }
        if (next == Next::wait && (dead || retry) && asked.count(c.trial_id)) {
          trial = asked.at(c.trial_id);
          attempt = c.attempts + 1;
          tx.claim(c.trial_id, o.worker_id);
          say(fmt::format("takes over trial {} from {} ({}, attempt {})", c.trial_id, c.worker,
                          dead ? fmt::format("no heartbeat for {:.1f} s", c.heartbeat_age_s) : std::string("it failed"),
                          attempt));
          next = Next::run;
        }
      }
      const bool within_limits = !runner_.budget_spent();
      if (next == Next::wait && within_limits && (o.max_trials == 0 || ran < o.max_trials)) {
        if (auto t = runner_.ask()) {
          tx.append_ask(*t);
          tx.claim(t->id, o.worker_id);
          trial = *t;
          attempt = 1;
          next = Next::run;
        }
      }
      if (next == Next::wait && !running) {
        if (runner_.strategy_finished() || !within_limits) {
          tx.set_status(StudyStatus::finished);
          next = Next::done;
        } else if (!stuck.empty()) {
          next = Next::stuck;
        }
      }
    });
    if (next == Next::done) {
      result.study_finished = true;
      remove_states_dir(runner_.states_dir());  // the study is over: no configuration will be trained again
      break;
    }
    if (next == Next::stuck) throw SearchError("the study cannot go on: " + stuck);
    if (next == Next::wait) {
      if (o.max_trials > 0 && ran >= o.max_trials) break;
      std::this_thread::sleep_for(std::chrono::duration<double>(o.poll_s));
      continue;
    }

    // 2. Train the claimed trial, heartbeating from a second connection.
    StoredTrial done;
    bool lost = false;
    double before_s = 0;
    try {
      Heartbeat beat(o.storage, study_id_, trial.id, o.worker_id, o.heartbeat_s);
      before_s = runner_.search_duration_s();
      done = runner_.evaluate(trial);
      if (o.pace_ms > 0) std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(o.pace_ms));
      lost = beat.lost();
    } catch (const StoreError&) {
      throw;
    } catch (const std::exception& e) {
      log_.locked(study_id_, [&](StudyTxn& tx) { tx.set_claim_state(trial.id, ClaimState::failed); });
      throw SearchError(fmt::format("trial {} failed (attempt {}): {}", trial.id, attempt, e.what()));
    }
    ++ran;

    // 3. Under the lock again: append the result unless another worker took the trial over.
    bool kept = false;
    log_.locked(study_id_, [&](StudyTxn& tx) {
      for (const auto& c : tx.claims()) {
        if (c.trial_id == trial.id) kept = c.worker == o.worker_id && c.state == ClaimState::running;
      }
      if (!kept) return;
      runner_.replay(tx.events());
      done.record.search_energy_j = runner_.search_energy_j() + done.record.trial_energy_j;
      done.record.search_duration_s = runner_.search_duration_s() + (done.record.search_duration_s - before_s);
      tx.append_tell(done);
      tx.set_claim_state(trial.id, ClaimState::done);
    });
    if (kept) {
      result.mine.push_back(done);
      if (o.on_trial) o.on_trial(done);
    } else {
      say(fmt::format("trial {} was taken over by another worker{} while this one trained it: its result is discarded",
                      trial.id, lost ? " (heartbeats were refused)" : ""));
    }
  }

  // The study as it stands now (finished, or this worker's share done).
  log_.locked(study_id_, [&](StudyTxn& tx) { runner_.replay(tx.events()); });
  result.all = runner_.trials();
  result.summary = runner_.summary(result.study_finished ? Ending::finished
                                   : (stop && stop->load()) ? Ending::interrupted
                                                            : Ending::in_progress);
  if (result.study_finished && runner_.budget_spent() && !runner_.strategy_finished()) result.summary.ending = Ending::energy_budget;
  return result;
}

nlohmann::json worker_result_json(const WorkerResult& r, const std::string& study, const std::string& storage) {
  nlohmann::json j = summary_to_json(r.summary, r.all);
  j["study"] = study;
  j["storage"] = storage;
  j["worker"] = r.worker_id;
  nlohmann::json mine = nlohmann::json::array();
  for (const auto& t : r.mine) mine.push_back(trial_to_json(t));
  j["worker_trials"] = mine;
  return j;
}

SharedStudy open_shared_study(const std::string& storage, const std::string& name, std::optional<StudySpec> definition) {
  SharedStudy shared;
  shared.log = StudyLog::open(storage);
  if (definition) {
    shared.study_id = shared.log->ensure_study(name, spec_to_json(*definition).dump(), "tune");
    shared.spec = std::move(*definition);
    return shared;
  }
  auto stored = shared.log->study(name);
  shared.spec = stored_search_spec(stored, name, shared.log->where(),
                                   ": create it by giving the first worker its definition (a study CONFIG, or --simulate zeus:DIR ...)");
  shared.study_id = stored->id;
  return shared;
}

}  // namespace powertrain::search
