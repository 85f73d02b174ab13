// `powertrain tune`: an energy-aware hyperparameter search, real training or simulated on
// the Zeus GPU traces (--simulate zeus:DIR). Flags and printing; the search layer runs it.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <optional>
#include <thread>

#include "cli/app.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "cli/search_cli.h"
#include "powertrain/report/search_text.h"
#include "powertrain/search/local_study.h"
#include "powertrain/report/format.h"

namespace powertrain::cli {

namespace {

struct TuneOptions {
  StudyDefinition def;         // what the study is
  std::string json_path;
  std::string save_best;       // write the chosen configuration's training config here
  bool quiet = false;
  std::string db;              // run store; default ./powertrain.db
  bool no_store = false;
  std::string study;           // study name (default: made from the options and the time)
  std::string resume;          // continue this stored study
  double pace_ms = 0;          // pause between trials (to watch a study live)
  std::string states_dir;      // real training: where configuration states are kept
  SensorOptions sensors;
  search::TrainingObjectiveFactory training;  // none: a real-training study goes to the training engine
};

int run_study(TuneOptions o) {
  auto fail = [](const std::string& why, int code) {
    std::cerr << "powertrain tune: " << why << "\n";
    return code;
  };
  search::LocalStudyOptions lo;
  lo.db = store_path(o.db);
  lo.no_store = o.no_store;
  lo.name = o.study;
  lo.resume = o.resume;
  lo.states_dir = o.states_dir;
  lo.runner.sensors = discover_options(o.sensors);
  if (!o.quiet) lo.runner.say = [](const std::string& m) { std::cerr << m << "\n"; };
  lo.runner.training = o.training;
  // 1. The study: a stored one to continue, or a new one, read and checked whole; 2. locked,
  // its runner built (real training loads its data here) and stored.
  std::unique_ptr<search::LocalStudy> study;
  try {
    study = std::make_unique<search::LocalStudy>(lo, o.resume.empty() ? std::optional(study_spec(o.def)) : std::nullopt);
    if (study->spec().backend == search::Backend::training && !o.training) {
      study.reset();
      return exec_program(kTrainingEngine, "powertrain tune");
    }
    study->start();
  } catch (const std::exception& e) {
    return fail(e.what(), 2);
  }
  search::StudyRunner* runner = &study->runner();
  const std::string& name = study->name();
  if (!o.quiet) std::cerr << "tune: " << runner->description() << "\n";
  if (!o.quiet && !runner->states_dir().empty()) {
    std::cerr << "tune: configuration states in " << runner->states_dir()
              << " (a resumed study or another worker continues from them; removed when the study ends)\n";
  }

  // 3. Run: replay what is stored, then trial after trial, each stored before the next.
  StopOnSignal stop_on_signal;
  search::Ending ending;
  try {
    if (study->resumed()) {
      const std::size_t replayed = study->replay_stored();
      if (!o.quiet) {
        std::cerr << fmt::format("resumed study '{}': {} stored trials replayed, {} spent so far\n", name, replayed,
                                 report::format_energy_j(runner->search_energy_j()));
      }
    }
    auto on_trial = [&](const StoredTrial& t) {
      if (o.pace_ms > 0) std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(o.pace_ms));
      if (!o.quiet) std::cerr << report::trial_line(t) << "\n";
    };
    ending = study->run(on_trial, stop_on_signal.stop_requested());
  } catch (const search::SearchError& e) {
    return fail("study '" + name + "': " + e.what(), 1);
  }

  // 4. Print and write what it found.
  search::SearchSummary summary = runner->summary(ending);
  std::string text = report::search_summary_text(summary);
  if (study->store())
    text += fmt::format("  stored as study '{}' in {} (continue after an interruption with --resume {})\n", name, lo.db, name);
  int code = ending == search::Ending::interrupted ? StopOnSignal::exit_code() : 0;
  if (!o.save_best.empty()) {
    std::string config = runner->chosen_train_config();
    if (config.empty()) {
      std::cerr << "powertrain tune: --save-best: "
                << (summary.chosen ? "only a study that trains real models has a training config" : "no configuration was chosen")
                << "\n";
      code = 1;
    } else if (std::string err; !write_output(o.save_best, config + "\n", err)) {
      std::cerr << "powertrain tune: " << err << "\n";
      code = 1;
    } else {
      text += fmt::format("  chosen config    written to {} (train it with: powertrain train {})\n", o.save_best, o.save_best);
    }
  }
  if (!o.quiet) std::cerr << text;
  if (!o.json_path.empty()) {
    nlohmann::json j = search::summary_to_json(summary, runner->trials());
    j["study"] = study->store() ? nlohmann::json(name) : nlohmann::json(nullptr);
    if (std::string err; !write_output(o.json_path, j.dump(2) + "\n", err)) {
      std::cerr << "powertrain tune: " << err << "\n";
      code = 1;
    }
  }
  return code;
}

}  // namespace

void add_tune_command(CLI::App& app, int& exit_code, search::TrainingObjectiveFactory training) {
  auto o = std::make_shared<TuneOptions>();
  o->training = std::move(training);
  CLI::App* cmd = app.add_subcommand("tune", "Energy-aware hyperparameter search: real training, or the Zeus GPU traces with --simulate");
  add_study_definition_options(cmd, o->def);
  add_sensor_options(cmd, o->sensors);
  cmd->add_option("--json", o->json_path, "write the study as JSON to FILE ('-' for stdout)");
  cmd->add_option("--save-best", o->save_best, "write the chosen configuration as a training config to FILE (real training)");
  cmd->add_flag("-q,--quiet", o->quiet, "print nothing but errors");
  cmd->add_option("--db", o->db, "run store (SQLite file; default ./powertrain.db, env POWERTRAIN_DB)");
  cmd->add_flag("--no-store", o->no_store, "do not store the study");
  cmd->add_option("--study", o->study, "name of the study (default: strategy-workload-gpu-seed-time)");
  cmd->add_option("--resume", o->resume, "continue the stored study NAME after an interruption");
  cmd->add_option("--states-dir", o->states_dir,
                  "real training: keep each configuration's state here so --resume continues it (default FILE.states/STUDY beside the --db)");
  cmd->add_option("--pace-ms", o->pace_ms, "pause between trials, to watch a study live");
  cmd->callback([o, &exit_code] {
    const char* who = "powertrain tune";
    if (!check_number(who, "--pace-ms", o->pace_ms, 0, 60000, exit_code)) return;
    if (!check_output_option(who, "--json", o->json_path, exit_code)) return;
    if (!check_output_option(who, "--save-best", o->save_best, exit_code)) return;
    if (!o->def.given() && o->resume.empty()) {
      std::cerr << "powertrain tune: give a study config (see docs/tune.md), --simulate zeus:DIR, or --resume NAME\n";
      exit_code = 2;
      return;
    }
    exit_code = run_study(*o);
  });
}

}  // namespace powertrain::cli
