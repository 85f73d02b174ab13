// `powertrain worker`: one of several processes (on one machine or many) that run a study
// together through a shared study log (PostgreSQL, or SQLite on one machine). Flags and
// printing; the protocol is search::Worker (include/powertrain/search/worker.h).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <iostream>

#include "cli/app.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "cli/search_cli.h"
#include "powertrain/report/search_text.h"
#include "powertrain/search/worker.h"
#include "powertrain/store/study_log.h"

namespace powertrain::cli {

namespace {

struct WorkerCliOptions {
  StudyDefinition def;            // given by the worker that creates the study (others may repeat it)
  std::string study;
  search::WorkerOptions worker;
  std::string states_dir;         // real training: configuration states, shared by the workers that see it
  std::string json_path;
  bool quiet = false;
  SensorOptions sensors;
  search::TrainingObjectiveFactory training;  // none: a real-training study goes to the training engine
};

int run_worker(WorkerCliOptions o) {
  auto fail = [](const std::string& why, int code) {
    std::cerr << "powertrain worker: " << why << "\n";
    return code;
  };
  if (o.worker.worker_id.empty()) o.worker.worker_id = search::default_worker_id();
  auto say = [&](const std::string& m) { if (!o.quiet) std::cerr << "worker " << o.worker.worker_id << ": " << m << "\n"; };
  auto needs_engine = [&](const search::StudySpec& spec) { return spec.backend == search::Backend::training && !o.training; };
  search::SharedStudy shared;
  try {
    std::optional<search::StudySpec> definition;
    if (o.def.given()) {
      definition = study_spec(o.def);
      if (needs_engine(*definition)) return exec_program(kTrainingEngine, "powertrain worker");
    }
    shared = search::open_shared_study(o.worker.storage, o.study, std::move(definition));
    if (needs_engine(shared.spec)) {
      shared.log.reset();
      return exec_program(kTrainingEngine, "powertrain worker");
    }
  } catch (const std::exception& e) {
    return fail(e.what(), 2);
  }
  StudyLog& log = *shared.log;
  search::RunnerOptions ro;
  ro.sensors = discover_options(o.sensors);
  if (!o.quiet) ro.say = say;
  ro.training = o.training;
  ro.states_dir = o.states_dir.empty() ? search::default_states_dir(o.worker.storage, o.study) : o.states_dir;
  std::unique_ptr<search::StudyRunner> runner;
  try {
    runner = std::make_unique<search::StudyRunner>(shared.spec, ro);
  } catch (const std::exception& e) {
    return fail(e.what(), 2);
  }
  say(fmt::format("joined study '{}' in {}: {}", o.study, log.where(), runner->description()));
  if (!runner->states_dir().empty()) {
    say("configuration states in " + runner->states_dir() +
        " (a resumed study or another worker continues from them; removed when the study ends)");
  }
  o.worker.say = say;
  o.worker.on_trial = [&](const StoredTrial& t) { say(report::trial_line(t)); };
  StopOnSignal stop_on_signal;
  search::WorkerResult r;
  try {
    r = search::Worker(log, shared.study_id, *runner, o.worker).run(stop_on_signal.stop_requested());
  } catch (const std::exception& e) {
    return fail(e.what(), 1);
  }
  std::string text = report::search_summary_text(r.summary);
  text += fmt::format("  this worker      {} ran {} of the study's {} trials\n", r.worker_id, r.mine.size(), r.all.size());
  if (!o.quiet) std::cerr << text;
  if (!o.json_path.empty()) {
    const nlohmann::json j = search::worker_result_json(r, o.study, log.where());
    if (std::string err; !write_output(o.json_path, j.dump(2) + "\n", err)) return fail(err, 1);
  }
  return r.summary.ending == search::Ending::interrupted ? StopOnSignal::exit_code() : 0;
}

}  // namespace

void add_worker_command(CLI::App& app, int& exit_code, search::TrainingObjectiveFactory training) {
  auto o = std::make_shared<WorkerCliOptions>();
  o->training = std::move(training);
  CLI::App* cmd = app.add_subcommand(
      "worker", "Run a study together with other workers through shared storage (PostgreSQL for many machines)");
  cmd->add_option("--storage", o->worker.storage, "postgresql://USER[:PASSWORD]@HOST[:PORT]/DB, sqlite:FILE or FILE")->required();
  cmd->add_option("--study", o->study, "the study's name (the first worker creates it from its definition)")->required();
  add_study_definition_options(cmd, o->def);
  add_sensor_options(cmd, o->sensors);
  cmd->add_option("--worker-id", o->worker.worker_id, "this worker's name in the claims (default HOST:PID)");
  cmd->add_option("--grace-s", o->worker.grace_s, "take over a claim whose worker sent no heartbeat for this long (default 60)");
  cmd->add_option("--heartbeat-s", o->worker.heartbeat_s, "seconds between heartbeats (default 5; keep well under --grace-s)");
  cmd->add_option("--poll-s", o->worker.poll_s, "seconds between looks when no trial can be claimed (default 1)");
  cmd->add_option("--max-attempts", o->worker.max_attempts, "a trial that failed this many times is not retried (default 3)")
      ->check(CLI::Range(1, 100));
  cmd->add_option("--max-trials", o->worker.max_trials, "this worker stops after this many trials (default: when the study ends)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--states-dir", o->states_dir,
                  "real training: keep configuration states here, shared with the workers that see it (default FILE.states/STUDY "
                  "beside a SQLite store, ./powertrain-states/STUDY for PostgreSQL)");
  cmd->add_option("--pace-ms", o->worker.pace_ms, "pause inside each trial (to watch or test a study)");
  cmd->add_option("--json", o->json_path, "write the study as this worker sees it at the end as JSON to FILE ('-' for stdout)");
  cmd->add_flag("-q,--quiet", o->quiet, "print nothing but errors");
  cmd->callback([o, &exit_code] {
    const char* who = "powertrain worker";
    const search::WorkerOptions& w = o->worker;
    if (!check_number(who, "--grace-s", w.grace_s, 0.1, 86400, exit_code) ||
        !check_number(who, "--heartbeat-s", w.heartbeat_s, 0.05, 3600, exit_code) ||
        !check_number(who, "--poll-s", w.poll_s, 0.01, 600, exit_code) ||
        !check_number(who, "--pace-ms", w.pace_ms, 0, 600000, exit_code) ||
        !check_output_option(who, "--json", o->json_path, exit_code)) {
      return;
    }
    if (w.heartbeat_s >= w.grace_s) {
      std::cerr << "powertrain worker: --heartbeat-s " << w.heartbeat_s << " must be shorter than --grace-s " << w.grace_s
                << ", or live workers would look dead\n";
      exit_code = 2;
      return;
    }
    exit_code = run_worker(*o);
  });
}

}  // namespace powertrain::cli
