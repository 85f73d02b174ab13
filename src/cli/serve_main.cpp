// powertrain-serve: the dashboard's executable (cpp-httplib and its TLS libraries, which
// every other command would otherwise load). `powertrain serve ...` becomes this process
// (src/cli/main.cpp); it has only that command.
#include <CLI/CLI.hpp>

#include "cli/app.h"
#include "cli/commands.h"

int main(int argc, char** argv) {
  return powertrain::cli::run_cli(argc, argv, [](CLI::App& app, int& exit_code, const powertrain::cli::Trailing&) {
    powertrain::cli::add_serve_command(app, exit_code);
  });
}
