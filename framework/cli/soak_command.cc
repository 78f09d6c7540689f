// crashlab soak: cases over a time budget, rotating through engines,
// variants, workload shapes and crash kinds, for nightly CI.
#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "framework/campaign/soak.h"
#include "framework/cli/common.h"
#include "framework/engine/interrupt.h"

namespace crashlab::cli {
namespace {

struct SoakArgs {
  std::string duration;
  std::vector<std::string> engines, variants;
  uint64_t seed = 0;
  std::string crash = "kill,power-loss";
  std::string db = "crashlab.db", workdir, profile = "posix", engines_dir, shard, junit;
  RecorderArgs recorder;
  uint32_t atomic_unit = 512;
  int64_t deadline_ms = 10000;
  bool resume = false;
};

int Soak(const SoakArgs& a, const std::string& command_line) {
  SoakOptions o;
  Result<std::chrono::seconds> duration = ParseDuration(a.duration);
  if (!duration.ok()) {
    fmt::print(stderr, "crashlab: {}\n", duration.status().message());
    return kExitUsage;
  }
  o.duration = *duration;
  std::vector<std::string> engine_args = a.engines;
  if (engine_args.empty()) {
    Result<std::vector<EngineSpec>> all = ListEngines(a.engines_dir);
    if (!all.ok() || all->empty()) {
      fmt::print(stderr, "crashlab: no engines in {}{}; build crashlab first or pass --engine\n",
                 a.engines_dir, all.ok() ? "" : " (" + all.status().message() + ")");
      return kExitUsage;
    }
    for (const EngineSpec& e : *all) engine_args.push_back(e.name);
  }
  for (const std::string& arg : engine_args) {
    SoakEngine e;
    e.arg = arg;
    if (!ChooseVariants(arg, a.engines_dir, a.variants, e.spec, e.variants)) return kExitUsage;
    o.engines.push_back(std::move(e));
  }
  const std::optional<std::vector<CrashKind>> crashes = CrashKindsArg(a.crash);
  if (!crashes) return kExitUsage;
  o.base.crashes = *crashes;
  if (o.base.Traced() && !SetPowerLossOptions(a.profile, a.atomic_unit, a.recorder, o.base)) {
    return kExitUsage;
  }
  o.base.seed = a.seed;
  o.base.db_path = a.db;
  o.base.workdir = a.workdir;
  o.base.deadline = Millis(a.deadline_ms);
  SetShard(a.shard, o.base);
  o.resume = a.resume;
  o.command_line = command_line;
  o.progress_in_place = isatty(STDOUT_FILENO) == 1;
  InstallInterruptHandlers();
  Result<SoakSummary> summary = RunSoak(o, stdout);
  if (!summary.ok()) {
    fmt::print(stderr, "crashlab: {}\n", summary.status().message());
    if (InterruptSignal() != 0) ReraiseInterrupt();
    return kExitUsage;
  }
  std::error_code ec;
  fmt::print("\nsoak {} {}\n{}", summary->soak_id,
             summary->interrupted_by != 0
                 ? fmt::format("interrupted by signal {}: the case in flight was not recorded; "
                               "continue it with the same command and --resume",
                               summary->interrupted_by)
                 : "finished",
             FormatSoakSummary(*summary));
  fmt::print("controller at end: {}\n", FormatUsage(summary->usage_end));
  std::vector<int64_t> campaign_ids;
  for (const auto& [id, options] : summary->campaigns) campaign_ids.push_back(id);
  fmt::print("recorded as soak {} (campaigns {}) in {}\n", summary->soak_id,
             fmt::join(campaign_ids, ", "), std::filesystem::absolute(a.db, ec).string());
  if (!summary->kept_workdir.empty()) {
    fmt::print("case directories kept in {}\n", summary->kept_workdir);
  }
  std::fflush(stdout);
  const auto repro = [&](const CaseRecord& c) {
    return ReproCommand(summary->campaigns.at(c.campaign_id), c.variant, c.case_index);
  };
  const bool junit_ok = a.junit.empty() || WriteCampaignJUnit(a.junit, campaign_ids, a.db, repro);
  if (summary->interrupted_by != 0) ReraiseInterrupt();
  if (!junit_ok) return kExitUsage;
  return summary->violations > 0 ? kExitViolations : kExitHeld;
}

}  // namespace

void AddSoakCommand(CLI::App& app, int& exit_code, const std::string& command_line) {
  auto a = std::make_shared<SoakArgs>();
  CLI::App* cmd = app.add_subcommand(
      "soak",
      "Run cases for a time budget, rotating through engines, variants, workload shapes (short: "
      "4 to 24 transactions, long: 100) and crash kinds; resumable after the controller was "
      "killed");
  cmd->add_option("--duration", a->duration,
                  "Time budget: hours, minutes and seconds, e.g. 90s, 30m, 8h or 1h30m")
      ->required();
  cmd->add_option("--engine", a->engines,
                  "Engine name or path to a variants.ini (repeatable); all bundled engines when "
                  "absent");
  cmd->add_option("--variant", a->variants,
                  "Variant to run (repeatable; each must exist in every --engine); all variants "
                  "when absent");
  AddSeedOption(*cmd, a->seed);
  cmd->add_option("--crash", a->crash, "Crash kinds: kill, power-loss, or kill,power-loss")
      ->capture_default_str()
      ->check(CrashKindsValidator());
  cmd->add_option("--db", a->db, "Results database (SQLite)")->capture_default_str();
  cmd->add_option("--workdir", a->workdir,
                  "New or empty directory for case directories (with --resume, the soak's own); "
                  "default a temporary one");
  AddDeadlineOption(*cmd, a->deadline_ms);
  AddTracedCaseOptions(*cmd, &a->profile, a->atomic_unit, a->recorder);
  cmd->add_flag("--resume", a->resume,
                "Continue the most recent unfinished soak in --db (its controller killed or "
                "interrupted) for the time it has left; the other options must be its own");
  AddShardOption(*cmd, a->shard);
  AddJUnitOption(*cmd, a->junit);
  AddEnginesDirOption(*cmd, a->engines_dir);
  cmd->callback([a, &exit_code, command_line] { exit_code = Soak(*a, command_line); });
}

}  // namespace crashlab::cli
