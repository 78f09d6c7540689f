// crashlab run: a campaign over one engine's variants.
#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>

#include "framework/campaign/campaign.h"
#include "framework/cli/common.h"
#include "framework/engine/interrupt.h"

namespace crashlab::cli {
namespace {

struct RunArgs {
  std::string engine;
  std::vector<std::string> variants;
  uint64_t seed = 0;
  int64_t cases = 20;
  std::size_t txns = 0;
  std::string crash = "kill";
  bool live = false;
  std::string db = "crashlab.db";
  std::string workdir;
  bool keep_cases = false;
  int64_t deadline_ms = 10000;
  std::string point;
  std::string profile = "posix";
  uint32_t atomic_unit = 512;
  RecorderArgs recorder;
  std::string engines_dir;
  std::string shard;
  std::string junit;
  bool power_loss_options_given = false;  // --profile or --atomic-unit on the command line
};

int Run(const RunArgs& a, const std::string& command_line) {
  CampaignOptions o;
  const std::optional<std::vector<CrashKind>> crashes = CrashKindsArg(a.crash);
  if (!crashes) return kExitUsage;
  o.crashes = *crashes;
  o.live = a.live;
  if (!a.point.empty() && o.crashes != std::vector<CrashKind>{CrashKind::kKill} && !a.live) {
    fmt::print(stderr,
               "crashlab: --point needs --crash kill, or --live (a traced run killed for real at "
               "the point); drop --point or change --crash\n");
    return kExitUsage;
  }
  if (!o.Traced() && a.power_loss_options_given) {
    fmt::print(stderr,
               "crashlab: --profile and --atomic-unit shape simulated power losses, and --crash {} "
               "has none; add power-loss to --crash or drop them\n",
               a.crash);
    return kExitUsage;
  }
  if (o.Traced() && !SetPowerLossOptions(a.profile, a.atomic_unit, a.recorder, o)) {
    return kExitUsage;
  }
  if (!ChooseVariants(a.engine, a.engines_dir, a.variants, o.engine, o.variants)) return kExitUsage;
  o.engine_arg = a.engine;
  o.point = a.point;
  o.seed = a.seed;
  o.cases = a.cases;
  o.txns = a.txns;
  o.db_path = a.db;
  o.workdir = a.workdir;
  o.keep_cases = a.keep_cases;
  o.deadline = Millis(a.deadline_ms);
  o.command_line = command_line;
  SetShard(a.shard, o);
  InstallInterruptHandlers();
  Result<CampaignSummary> summary = RunCampaign(o, stdout);
  if (!summary.ok()) {
    fmt::print(stderr, "crashlab: {}\n", summary.status().message());
    if (InterruptSignal() != 0) ReraiseInterrupt();
    return kExitUsage;
  }
  int64_t cases = 0;
  for (const VariantTally& t : summary->tallies) cases += t.cases;
  std::error_code ec;
  fmt::print("{} cases, {} violation(s); recorded as campaign {} in {}\n", cases,
             summary->violations, summary->campaign_id,
             std::filesystem::absolute(a.db, ec).string());
  if (!summary->workdir.empty()) fmt::print("case directories kept in {}\n", summary->workdir);
  if (!a.junit.empty() &&
      !WriteCampaignJUnit(a.junit, {summary->campaign_id}, o.db_path, [&](const CaseRecord& c) {
        return ReproCommand(o, c.variant, c.case_index);
      })) {
    return kExitUsage;
  }
  return summary->violations > 0 ? kExitViolations : kExitHeld;
}

}  // namespace

void AddRunCommand(CLI::App& app, int& exit_code, const std::string& command_line) {
  auto a = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand(
      "run",
      "Run a campaign: for each case, drive a seeded workload into the engine, SIGKILL its process "
      "group at a seeded point, restart it, and judge what it recovered");
  cmd->add_option("--engine", a->engine,
                  "Engine name (see `crashlab engines`) or path to a variants.ini")
      ->required();
  cmd->add_option("--variant", a->variants,
                  "Variant to run (repeatable); all variants when absent");
  AddSeedOption(*cmd, a->seed);
  cmd->add_option("--cases", a->cases, "Cases per variant")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{100000000}));
  cmd->add_option("--crash", a->crash,
                  "Crash kind: kill (SIGKILL the engine's process group), power-loss (trace the "
                  "run, build the directory a power loss would leave, recover it), or "
                  "kill,power-loss (cases mixed, half of each)")
      ->capture_default_str()
      ->check(CrashKindsValidator());
  cmd->add_flag("--live", a->live,
                "Traced cases killed for real: the tracer SIGKILLs the engine right after a "
                "traced event (or named point, with --point) and the directory it leaves must "
                "match the persistence model; kill cases verify that directory, power-loss cases "
                "a state derived from the killed run's trace");
  cmd->add_option("--db", a->db, "Results database (SQLite)")->capture_default_str();
  cmd->add_option("--workdir", a->workdir,
                  "New or empty directory for case directories; default a temporary one");
  cmd->add_flag("--keep-cases", a->keep_cases, "Keep every case directory, not only failing ones");
  AddDeadlineOption(*cmd, a->deadline_ms);
  cmd->add_option("--point", a->point,
                  "Kill at a named fault point of the engine instead of after a timed delay: a "
                  "point name, or 'any' for a point chosen by the seed in each case (with --live: "
                  "the crash point of every case)");
  AddTracedCaseOptions(*cmd, &a->profile, a->atomic_unit, a->recorder);
  AddTxnsOption(*cmd, a->txns);
  AddShardOption(*cmd, a->shard);
  AddJUnitOption(*cmd, a->junit);
  AddEnginesDirOption(*cmd, a->engines_dir);
  cmd->callback([a, cmd, &exit_code, command_line] {
    a->power_loss_options_given = cmd->count("--profile") + cmd->count("--atomic-unit") > 0;
    exit_code = Run(*a, command_line);
  });
}

}  // namespace crashlab::cli
