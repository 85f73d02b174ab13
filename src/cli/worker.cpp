// `powertrain worker`: one of several processes (on one machine or many) that run a study
// together through a shared study log (PostgreSQL, or SQLite on one machine).
//
// A worker repeats: lock the study; replay its log (asks and tells, in order) through a
// fresh strategy and tuner; claim a trial (a dead worker's trial first, else the strategy's
// next one); unlock; train it while a second connection sends heartbeats; lock again and
// append its result, unless the claim was taken over meanwhile. A claim whose heartbeat
// is older than the grace period belongs to a dead worker and is taken over.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/tune_backend.h"
#include "powertrain/store/study_log.h"

namespace powertrain::cli {

namespace {

struct WorkerOptions {
  StudyDefinition def;            // given by the worker that creates the study (others may repeat it)
  std::string storage;            // postgresql://... | sqlite:FILE | FILE
  std::string study;
  std::string worker_id;          // default host:pid
  double grace_s = 60;            // a claim without a heartbeat for this long is taken over
  double heartbeat_s = 5;
  double poll_s = 1;              // wait between looks when there is nothing to claim
  int max_attempts = 3;           // a trial that failed this often is not retried
  long max_trials = 0;            // this worker stops after this many trials (0 = until the study ends)
  double pace_ms = 0;             // pause inside each trial (to watch or test a study)
  std::string states_dir;         // real training: configuration states, shared by the workers that see it
  std::string json_path;
  bool quiet = false;
  SensorOptions sensors;
};

// The study as its log says it stands: the strategy and tuner after replaying every event.
struct Replayed {
  std::unique_ptr<tune::Strategy> strategy;
  std::unique_ptr<tune::Tuner> tuner;
  std::map<long, tune::Trial> asked;
  nlohmann::json tells = nlohmann::json::array();
  double search_energy_j = 0;
  double search_duration_s = 0;
};

Replayed replay(const Backend& b, const std::vector<StudyEvent>& events, const std::string& study) {
  Replayed r;
  r.strategy = make_backend_strategy(b);
  r.tuner = std::make_unique<tune::Tuner>(*b.objective, b.options);
  for (const auto& e : events) {
    nlohmann::json j = nlohmann::json::parse(e.payload_json);
    if (e.kind == "ask") {
      auto t = r.strategy->ask();
      if (!t || !same_trial(*t, j)) {
        throw std::runtime_error(fmt::format("study '{}' does not replay: event {} asked trial {}, but the strategy asks {} "
                                             "now (was it written by another powertrain version?)",
                                             study, e.seq, e.trial_id, t ? std::to_string(t->id) : "nothing"));
      }
      r.asked[t->id] = *t;
    } else if (e.kind == "tell") {
      tune::TrialRecord rec = trial_from_json(j);
      r.strategy->tell(r.asked.at(rec.trial.id), rec.result);
      r.tuner->replay(rec);
      if (std::isfinite(rec.trial_energy_j)) r.search_energy_j += rec.trial_energy_j;
      if (std::isfinite(rec.search_duration_s)) r.search_duration_s = rec.search_duration_s;
      r.tells.push_back(j);
    }
  }
  return r;
}

// Sends heartbeats for one claim from its own connection until stopped.
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
  bool lost() const { return lost_; }

 private:
  std::unique_ptr<StudyLog> log_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::atomic<bool> lost_{false};
  std::thread thread_;
};

std::string default_worker_id() {
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "host");
  return fmt::format("{}:{}", host, getpid());
}

int run_worker(WorkerOptions o) {
  auto say = [&](const std::string& m) { if (!o.quiet) std::cerr << "worker " << o.worker_id << ": " << m << "\n"; };
  if (o.worker_id.empty()) o.worker_id = default_worker_id();
  std::unique_ptr<StudyLog> log;
  int64_t study_id = 0;
  nlohmann::json spec;
  Backend b;
  try {
    log = StudyLog::open(o.storage);
    if (o.def.given()) {
      spec = study_spec(o.def);
      study_id = log->ensure_study(o.study, spec.dump(), "tune");
    } else {
      auto s = log->study(o.study);
      if (!s) {
        std::cerr << "powertrain worker: no study named '" << o.study << "' in " << log->where()
                  << ": create it by giving the first worker its definition (a study CONFIG, or --simulate zeus:DIR ...)\n";
        return 2;
      }
      if (s->kind != "tune") {
        std::cerr << "powertrain worker: '" << o.study << "' is a " << s->kind << " study, not a search\n";
        return 2;
      }
      spec = nlohmann::json::parse(s->spec_json);
      study_id = s->id;
    }
    b = make_backend(spec, discover_options(o.sensors), o.quiet);
  } catch (const std::exception& e) {
    std::cerr << "powertrain worker: " << e.what() << "\n";
    return 2;
  }
  say(fmt::format("joined study '{}' in {}: {}", o.study, log->where(), b.description));
  std::string states_dir = o.states_dir.empty() ? default_states_dir(o.storage, o.study) : o.states_dir;
  try {
    std::string line = use_states_dir(b, states_dir);
    if (line.empty()) states_dir.clear();
    if (!line.empty()) say(line);
  } catch (const std::exception& e) {
    std::cerr << "powertrain worker: " << e.what() << "\n";
    return 2;
  }

  long ran = 0;
  nlohmann::json mine = nlohmann::json::array();
  std::optional<Replayed> last;
  try {
    for (;;) {
      // 1. Under the study lock: replay, then claim a trial or learn that the study is over.
      enum class Next { kRun, kWait, kDone, kStuck } next = Next::kWait;
      tune::Trial trial;
      int attempt = 0;
      std::string stuck;
      log->locked(study_id, [&](StudyTxn& tx) {
        Replayed r = replay(b, tx.events(), o.study);
        std::vector<TrialClaim> claims = tx.claims();
        bool running = false;
        for (const auto& c : claims) {
          bool dead = c.state == ClaimState::running && c.heartbeat_age_s > o.grace_s;
          bool retry = c.state == ClaimState::failed && c.attempts < o.max_attempts;
          if (c.state == ClaimState::running && !dead) running = true;
          if (c.state == ClaimState::failed && c.attempts >= o.max_attempts) {
            stuck = fmt::format("trial {} failed {} times (see the workers' messages): fix the cause and start a new study",
                                c.trial_id, c.attempts);
          }
          if (next == Next::kWait && (dead || retry)) {
            trial = r.asked.at(c.trial_id);
            attempt = c.attempts + 1;
            tx.claim(c.trial_id, o.worker_id);
            say(fmt::format("takes over trial {} from {} ({}, attempt {})", c.trial_id, c.worker,
                            dead ? fmt::format("no heartbeat for {:.1f} s", c.heartbeat_age_s) : std::string("it failed"),
                            attempt));
            next = Next::kRun;
          }
        }
        bool within_limits = r.search_energy_j < b.options.max_energy_j;
        if (next == Next::kWait && within_limits && (o.max_trials == 0 || ran < o.max_trials)) {
          if (auto t = r.strategy->ask()) {
            tx.append_event("ask", t->id, asked_json(*t).dump());
            tx.claim(t->id, o.worker_id);
            trial = *t;
            attempt = 1;
            next = Next::kRun;
          }
        }
        if (next == Next::kWait && !running) {
          if (r.strategy->finished() || !within_limits) {
            tx.set_status(StudyStatus::finished);
            next = Next::kDone;
          } else if (!stuck.empty()) {
            next = Next::kStuck;
          }
        }
        last = std::move(r);
      });
      if (next == Next::kDone) {
        remove_states_dir(states_dir);  // the study is over: no configuration will be trained again
        break;
      }
      if (next == Next::kStuck) {
        std::cerr << "powertrain worker: study '" << o.study << "' cannot go on: " << stuck << "\n";
        return 1;
      }
      if (next == Next::kWait) {
        if (o.max_trials > 0 && ran >= o.max_trials) break;
        std::this_thread::sleep_for(std::chrono::duration<double>(o.poll_s));
        continue;
      }

      // 2. Train the claimed trial, heartbeating from a second connection.
      tune::TrialRecord rec;
      bool lost = false;
      double before_s = 0;
      try {
        Heartbeat beat(o.storage, study_id, trial.id, o.worker_id, o.heartbeat_s);
        before_s = last->tuner->search_duration_s();
        rec = last->tuner->evaluate(trial);
        if (o.pace_ms > 0) std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(o.pace_ms));
        lost = beat.lost();
      } catch (const std::exception& e) {
        log->locked(study_id, [&](StudyTxn& tx) { tx.set_claim_state(trial.id, ClaimState::failed); });
        std::cerr << "powertrain worker: trial " << trial.id << " failed (attempt " << attempt << "): " << e.what() << "\n";
        return 1;
      }
      ++ran;

      // 3. Under the lock again: append the result unless another worker took the trial over.
      bool kept = false;
      log->locked(study_id, [&](StudyTxn& tx) {
        for (const auto& c : tx.claims()) {
          if (c.trial_id == trial.id) kept = c.worker == o.worker_id && c.state == ClaimState::running;
        }
        if (!kept) return;
        Replayed now = replay(b, tx.events(), o.study);
        rec.search_energy_j = now.search_energy_j + rec.trial_energy_j;
        rec.search_duration_s = now.search_duration_s + (rec.search_duration_s - before_s);
        nlohmann::json tj = trial_json(rec);
        tj["energy_provenance"] = backend_provenance(b);
        tx.append_event("tell", trial.id, tj.dump());
        tx.record_trial(static_cast<int64_t>(now.tells.size()), tj.dump(), rec.trial_energy_j, rec.result.metric);
        tx.set_claim_state(trial.id, ClaimState::done);
        mine.push_back(tj);
      });
      if (kept) {
        say(trial_line(rec));
      } else {
        say(fmt::format("trial {} was taken over by another worker{} while this one trained it: its result is discarded",
                        trial.id, lost ? " (heartbeats were refused)" : ""));
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "powertrain worker: " << e.what() << "\n";
    return 1;
  }

  // The study as it stands now (finished, or this worker's share done).
  Replayed r;
  log->locked(study_id, [&](StudyTxn& tx) { r = replay(b, tx.events(), o.study); });
  StudySummary summary = summarize_study(b, *r.strategy, r.search_energy_j, r.tells);
  summary.text += fmt::format("  this worker      {} ran {} of the study's {} trials\n", o.worker_id, mine.size(), r.tells.size());
  if (!o.quiet) std::cerr << summary.text;
  if (!o.json_path.empty()) {
    summary.json["study"] = o.study;
    summary.json["storage"] = log->where();
    summary.json["worker"] = o.worker_id;
    summary.json["worker_trials"] = mine;
    std::string err;
    if (!write_output(o.json_path, summary.json.dump(2) + "\n", err)) {
      std::cerr << "powertrain worker: " << err << "\n";
      return 1;
    }
  }
  return 0;
}

}  // namespace

void add_worker_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<WorkerOptions>();
  CLI::App* cmd = app.add_subcommand(
      "worker", "Run a study together with other workers through shared storage (PostgreSQL for many machines)");
  cmd->add_option("--storage", o->storage, "postgresql://USER[:PASSWORD]@HOST[:PORT]/DB, sqlite:FILE or FILE")->required();
  cmd->add_option("--study", o->study, "the study's name (the first worker creates it from its definition)")->required();
  add_study_definition_options(cmd, o->def);
  add_sensor_options(cmd, o->sensors);
  cmd->add_option("--worker-id", o->worker_id, "this worker's name in the claims (default HOST:PID)");
  cmd->add_option("--grace-s", o->grace_s, "take over a claim whose worker sent no heartbeat for this long (default 60)")
      ->check(CLI::Range(0.1, 86400.0));
  cmd->add_option("--heartbeat-s", o->heartbeat_s, "seconds between heartbeats (default 5; keep well under --grace-s)")
      ->check(CLI::Range(0.05, 3600.0));
  cmd->add_option("--poll-s", o->poll_s, "seconds between looks when no trial can be claimed (default 1)")
      ->check(CLI::Range(0.01, 600.0));
  cmd->add_option("--max-attempts", o->max_attempts, "a trial that failed this many times is not retried (default 3)")
      ->check(CLI::Range(1, 100));
  cmd->add_option("--max-trials", o->max_trials, "this worker stops after this many trials (default: when the study ends)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--states-dir", o->states_dir,
                  "real training: keep configuration states here, shared with the workers that see it (default FILE.states/STUDY "
                  "beside a SQLite store, ./powertrain-states/STUDY for PostgreSQL)");
  cmd->add_option("--pace-ms", o->pace_ms, "pause inside each trial (to watch or test a study)")->check(CLI::Range(0.0, 600000.0));
  cmd->add_option("--json", o->json_path, "write the study as this worker sees it at the end as JSON to FILE ('-' for stdout)");
  cmd->add_flag("-q,--quiet", o->quiet, "print nothing but errors");
  cmd->callback([o, &exit_code] {
    if (std::string why = check_output_path(o->json_path); !why.empty()) {
      std::cerr << "powertrain worker: --json " << o->json_path << ": " << why << "\n";
      exit_code = 2;
      return;
    }
    if (o->heartbeat_s >= o->grace_s) {
      std::cerr << "powertrain worker: --heartbeat-s " << o->heartbeat_s << " must be shorter than --grace-s " << o->grace_s
                << ", or live workers would look dead\n";
      exit_code = 2;
      return;
    }
    exit_code = run_worker(*o);
  });
}

}  // namespace powertrain::cli
