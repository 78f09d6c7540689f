// crashlab matrix: every variant of each chosen engine under both crash kinds,
// summed up as one table that says where each documented promise held.
#include <filesystem>

#include <fmt/format.h>

#include "framework/campaign/matrix.h"
#include "framework/cli/common.h"
#include "framework/engine/interrupt.h"

namespace crashlab::cli {
namespace {

struct MatrixArgs {
  std::vector<std::string> engines;
  uint64_t seed = 0;
  int64_t cases = 20;
  std::size_t txns = 0;
  std::string db = "crashlab.db", workdir, profile = "posix", engines_dir, shard, junit;
  RecorderArgs recorder;
  uint32_t atomic_unit = 512;
  int64_t deadline_ms = 10000;
  bool live = false, keep_cases = false;
};

int Matrix(const MatrixArgs& a, const std::string& command_line) {
  MatrixOptions o;
  if (a.engines.empty()) {
    Result<std::vector<EngineSpec>> all = ListEngines(a.engines_dir);
    if (!all.ok() || all->empty()) {
      fmt::print(stderr, "crashlab: no engines in {}{}; build crashlab first or pass --engine\n",
                 a.engines_dir, all.ok() ? "" : " (" + all.status().message() + ")");
      return kExitUsage;
    }
    for (const EngineSpec& e : *all) o.engines.push_back({e.name, {}});
  } else {
    for (const std::string& e : a.engines) o.engines.push_back({e, {}});
  }
  for (MatrixEngine& e : o.engines) {
    std::vector<std::string> variants;
    if (!ChooseVariants(e.arg, a.engines_dir, {}, e.spec, variants)) return kExitUsage;
  }
  o.base.crashes = {CrashKind::kKill, CrashKind::kPowerLoss};
  if (!SetPowerLossOptions(a.profile, a.atomic_unit, a.recorder, o.base)) return kExitUsage;
  o.base.seed = a.seed;
  o.base.txns = a.txns;
  o.base.db_path = a.db;
  o.base.workdir = a.workdir;
  o.base.keep_cases = a.keep_cases;
  o.base.live = a.live;
  o.base.deadline = Millis(a.deadline_ms);
  o.cases_per_cell = a.cases;
  SetShard(a.shard, o.base);
  o.command_line = command_line;
  InstallInterruptHandlers();
  Result<MatrixSummary> summary = RunMatrix(o, stdout);
  if (!summary.ok()) {
    fmt::print(stderr, "crashlab: {}\n", summary.status().message());
    if (InterruptSignal() != 0) ReraiseInterrupt();
    return kExitUsage;
  }
  std::error_code ec;
  fmt::print("\n{}\n{} violation(s); recorded as matrix {} in {} (view matrix_cells)\n",
             FormatMatrix(*summary), summary->violations, summary->matrix_id,
             std::filesystem::absolute(a.db, ec).string());
  for (const std::string& dir : summary->kept_workdirs) {
    fmt::print("case directories kept in {}\n", dir);
  }
  // Each case's repro names its own engine, as --engine named it.
  auto repro = [&](const CaseRecord& c) {
    CampaignOptions own = o.base;
    for (const MatrixEngine& e : o.engines) {
      if (e.spec.name == c.engine) own.engine_arg = e.arg;
    }
    return ReproCommand(own, c.variant, c.case_index);
  };
  if (!a.junit.empty() && !WriteCampaignJUnit(a.junit, summary->campaign_ids, a.db, repro)) {
    return kExitUsage;
  }
  return summary->violations > 0 ? kExitViolations : kExitHeld;
}

}  // namespace

void AddMatrixCommand(CLI::App& app, int& exit_code, const std::string& command_line) {
  auto a = std::make_shared<MatrixArgs>();
  CLI::App* cmd = app.add_subcommand(
      "matrix",
      "Run every variant of each engine under kill and power loss and print one table: variant "
      "x crash kind -> cases, verdicts, and whether the documented contract held");
  cmd->add_option("--engine", a->engines,
                  "Engine name or path to a variants.ini (repeatable); all bundled engines when "
                  "absent");
  AddSeedOption(*cmd, a->seed);
  cmd->add_option("--cases", a->cases, "Cases per cell (variant x crash kind)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{50000000}));
  cmd->add_option("--db", a->db, "Results database (SQLite)")->capture_default_str();
  cmd->add_option("--workdir", a->workdir,
                  "New or empty directory for case directories (one subdirectory per engine); "
                  "default temporary ones");
  cmd->add_flag("--keep-cases", a->keep_cases, "Keep every case directory, not only failing ones");
  cmd->add_flag("--live", a->live, "Traced cases killed for real (see `crashlab run --help`)");
  AddDeadlineOption(*cmd, a->deadline_ms);
  AddTracedCaseOptions(*cmd, &a->profile, a->atomic_unit, a->recorder);
  AddTxnsOption(*cmd, a->txns);
  AddShardOption(*cmd, a->shard);
  AddJUnitOption(*cmd, a->junit);
  AddEnginesDirOption(*cmd, a->engines_dir);
  cmd->callback([a, &exit_code, command_line] { exit_code = Matrix(*a, command_line); });
}

}  // namespace crashlab::cli
