// crashlab: finds crash-consistency and durability bugs in storage engines.
// This file only wires the subcommands together; each lives in its own file.
#include <CLI/CLI.hpp>

#include "framework/cli/common.h"
#include "framework/engine/orphans.h"

int main(int argc, char** argv) {
  CLI::App app{
      "crashlab: kills storage engines at seeded points, restarts them, and checks what they "
      "recovered against an exact oracle.\nExit status: 0 every contract held, 1 violations "
      "found, 2 usage or setup error."};
  app.require_subcommand(1);
  app.set_version_flag("--version", CRASHLAB_VERSION);
  int exit_code = crashlab::cli::kExitHeld;
  crashlab::cli::AddEnginesCommand(app, exit_code);
  crashlab::cli::AddRunCommand(app, exit_code, crashlab::cli::CommandLine(argc, argv));
  crashlab::cli::AddReproCommand(app, exit_code);
  crashlab::cli::AddExplainCommand(app, exit_code);
  crashlab::cli::AddFailuresCommand(app, exit_code);
  crashlab::cli::AddReportCommand(app, exit_code);
  crashlab::cli::AddShrinkCommand(app, exit_code, crashlab::cli::CommandLine(argc, argv));
  crashlab::cli::AddMergeCommand(app, exit_code);
  crashlab::cli::AddMatrixCommand(app, exit_code, crashlab::cli::CommandLine(argc, argv));
  crashlab::cli::AddSoakCommand(app, exit_code, crashlab::cli::CommandLine(argc, argv));
  crashlab::cli::AddExploreCommand(app, exit_code, crashlab::cli::CommandLine(argc, argv));
  crashlab::cli::AddWorkloadCommand(app, exit_code);
  crashlab::cli::AddBenchCommand(app, exit_code);
  crashlab::cli::AddProbeCommand(app, exit_code);
  crashlab::cli::AddTraceCommand(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : crashlab::cli::kExitUsage;
  }
  // Whatever an engine left behind (framework/engine/orphans.h) goes with crashlab.
  crashlab::KillOrphans();
  return exit_code;
}
