// `powertrain advise [RUN|STUDY]`: what to change to train with less energy, from what the
// store has measured (src/advise, docs/advise.md).
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>

#include "cli/commands.h"
#include "cli/output.h"
#include "powertrain/advise/advisor.h"
#include "powertrain/store/store.h"

namespace powertrain::cli {

namespace {

struct AdviseOptions {
  std::string target;      // "" (everything), a run id, or a study name
  std::string db;          // --db; default ./powertrain.db, env POWERTRAIN_DB
  std::string json_path;   // --json FILE|-
};

int run_advise(const AdviseOptions& o) {
  const std::string who = "powertrain advise";
  std::string db = store_path(o.db);
  if (std::string why = check_output_path(o.json_path); !o.json_path.empty() && !why.empty()) {
    std::cerr << who << ": --json " << o.json_path << ": " << why << "\n";
    return 2;
  }
  // Opening would create an empty store: say where the data would come from instead.
  std::optional<Store> store =
      open_existing_store(who, db, "; nothing is measured yet: start with `powertrain study regime --scale small`");
  if (!store) return 2;
  Advice advice;
  try {
    advice = advise(*store, o.target);
  } catch (const AdviseError& e) {
    std::cerr << who << ": " << e.what() << " (pass --db FILE to read another store)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << who << ": " << e.what() << "\n";
    return 1;
  }
  const std::string text = advice_text(advice);
  if (!o.json_path.empty()) {
    std::string error;
    if (!write_output(o.json_path, advice_json(advice).dump(2) + "\n", error)) {
      std::cerr << who << ": --json " << o.json_path << ": " << error << "\n";
      return 1;
    }
  }
  // With --json - the JSON owns stdout; the text goes to stderr.
  (o.json_path == "-" ? std::cerr : std::cout) << text;
  return 0;
}

}  // namespace

void add_advise_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<AdviseOptions>();
  CLI::App* cmd = app.add_subcommand(
      "advise", "Recommend what to change to train with less energy, from the stored runs and studies (docs/advise.md)");
  cmd->add_option("target", o->target, "a run id or a study name (default: everything in the store, ranked by saving)");
  cmd->add_option("--db", o->db, "run store (SQLite file; default ./powertrain.db, env POWERTRAIN_DB)");
  cmd->add_option("--json", o->json_path, "also write the advice as JSON (powertrain.advice/1) to FILE, '-' for stdout");
  cmd->callback([o, &exit_code] { exit_code = run_advise(*o); });
}

}  // namespace powertrain::cli
