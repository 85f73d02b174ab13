// `powertrain tune`: an energy-aware hyperparameter search. With --simulate zeus:DIR it
// runs on the Zeus GPU traces (real measured epochs and power, no GPU needed).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <iostream>
#include <optional>
#include <thread>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/tune_backend.h"
#include "powertrain/store/store.h"
#include "powertrain/tune/tuner.h"

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
  double pace_ms = 0;          // pause between simulated trials (to watch a study live)
  std::string states_dir;      // real training: where configuration states are kept
  SensorOptions sensors;
};

int run_study(TuneOptions o) {
  // The study: a stored one to continue, or a new one.
  std::optional<Store> store;
  std::string db = store_path(o.db);
  std::vector<std::string> stored;
  int64_t study_id = 0;
  nlohmann::json spec;
  Backend b;
  std::unique_ptr<tune::Strategy> strategy;
  try {
    if (!o.resume.empty()) {
      store.emplace(Store::open(db));
      auto study = store->study(o.resume);
      if (!study) {
        std::cerr << "powertrain tune: no study named '" << o.resume << "' in " << db << " (check --db and the name)\n";
        return 2;
      }
      if (study->kind != "tune") {
        std::cerr << "powertrain tune: '" << o.resume << "' is a " << study->kind << " study, not a search: see powertrain study\n";
        return 2;
      }
      spec = nlohmann::json::parse(study->spec_json);
      o.study = study->name;
      study_id = study->id;
      stored = store->study_trials(study_id);
    } else {
      spec = study_spec(o.def);
    }
    b = make_backend(spec, discover_options(o.sensors), o.quiet);
    strategy = make_backend_strategy(b);
  } catch (const std::exception& e) {
    std::cerr << "powertrain tune: " << e.what() << "\n";
    return 2;
  }
  if (!o.quiet) std::cerr << "tune: " << b.description << "\n";
  if (o.resume.empty() && !o.no_store) {
    if (o.study.empty()) {
      o.study = fmt::format("{}-{}", b.name.empty() ? b.strategy : b.name,
                            std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    }
  }
  // Real training keeps each configuration's state, so that --resume continues it (made
  // before the study is stored: a directory that cannot be made leaves nothing behind).
  std::string states_dir = o.states_dir.empty() && !o.no_store ? default_states_dir(db, o.study) : o.states_dir;
  try {
    std::string line = use_states_dir(b, states_dir);
    if (line.empty()) states_dir.clear();
    if (!line.empty() && !o.quiet) std::cerr << "tune: " << line << "\n";
  } catch (const std::exception& e) {
    std::cerr << "powertrain tune: " << e.what() << "\n";
    return 2;
  }
  if (o.resume.empty() && !o.no_store) {
    try {
      store.emplace(Store::open(db));
      study_id = store->create_study(o.study, spec.dump());
    } catch (const StoreError& e) {
      std::cerr << "powertrain tune: " << e.what() << "\n";
      return 2;
    }
  }

  tune::Tuner tuner(*b.objective, b.options);
  nlohmann::json trials = nlohmann::json::array();
  // Resume: replay the stored trials through the strategy (which must ask exactly them
  // again) and the tuner, without training or counting their energy again.
  for (size_t i = 0; i < stored.size(); ++i) {
    nlohmann::json tj = nlohmann::json::parse(stored[i]);
    auto trial = strategy->ask();
    if (!trial || !same_trial(*trial, tj)) {
      std::cerr << "powertrain tune: study '" << o.study << "' does not replay: stored trial " << i
                << " is not what the strategy asks now (was it written by another powertrain version, or by workers? "
                   "continue a worker study with powertrain worker)\n";
      return 1;
    }
    tune::TrialRecord rec = trial_from_json(tj);
    strategy->tell(*trial, rec.result);
    tuner.replay(rec);
    trials.push_back(tj);
  }
  if (!stored.empty() && !o.quiet) {
    std::cerr << fmt::format("resumed study '{}': {} stored trials replayed, {} spent so far\n", o.study, stored.size(),
                             fmt_energy(tuner.search_energy_j()));
  }
  int64_t seq = static_cast<int64_t>(stored.size());
  tuner.run(*strategy, [&](const tune::TrialRecord& r) {
    nlohmann::json tj = trial_json(r);
    tj["energy_provenance"] = backend_provenance(b);
    if (store) store->record_trial(study_id, seq, tj.dump(), r.trial_energy_j, r.result.metric);
    ++seq;
    trials.push_back(tj);
    if (o.pace_ms > 0) std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(o.pace_ms));
    if (!o.quiet) std::cerr << trial_line(r) << "\n";
    return true;
  });
  if (store) store->set_study_status(study_id, StudyStatus::finished);
  remove_states_dir(states_dir);

  StudySummary summary = summarize_study(b, *strategy, tuner.search_energy_j(), trials);
  if (store) {
    summary.text += fmt::format("  stored as study '{}' in {} (continue after an interruption with --resume {})\n", o.study, db, o.study);
  }
  if (!o.save_best.empty()) {
    auto best = strategy->best();
    std::string err;
    if (!best || !b.train_config_for) {
      std::cerr << "powertrain tune: --save-best: " << (best ? "only a study that trains real models has a training config"
                                                            : "no configuration was chosen") << "\n";
      return 1;
    }
    if (!write_output(o.save_best, b.train_config_for(*best) + "\n", err)) {
      std::cerr << "powertrain tune: " << err << "\n";
      return 1;
    }
    summary.text += fmt::format("  chosen config    written to {} (train it with: powertrain train {})\n", o.save_best, o.save_best);
  }
  if (!o.quiet) std::cerr << summary.text;
  if (!o.json_path.empty()) {
    summary.json["study"] = store ? nlohmann::json(o.study) : nlohmann::json(nullptr);
    std::string err;
    if (!write_output(o.json_path, summary.json.dump(2) + "\n", err)) std::cerr << "powertrain: " << err << "\n";
  }
  return 0;
}

}  // namespace
void add_tune_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<TuneOptions>();
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
  cmd->add_option("--pace-ms", o->pace_ms, "pause between simulated trials, to watch a study live")->check(CLI::Range(0.0, 60000.0));
  cmd->callback([o, &exit_code] {
    if (std::string why = check_output_path(o->json_path); !why.empty()) {
      std::cerr << "powertrain tune: --json " << o->json_path << ": " << why << "\n";
      exit_code = 2;
      return;
    }
    if (std::string why = check_output_path(o->save_best); !o->save_best.empty() && !why.empty()) {
      std::cerr << "powertrain tune: --save-best " << o->save_best << ": " << why << "\n";
      exit_code = 2;
      return;
    }
    if (!o->def.given() && o->resume.empty()) {
      std::cerr << "powertrain tune: give a study config (see docs/tune.md), --simulate zeus:DIR, or --resume NAME\n";
      exit_code = 2;
      return;
    }
    exit_code = run_study(*o);
  });
}

}  // namespace powertrain::cli
