// crashlab explore: systematic exploration of every crash point of one
// workload (framework/explore/explore.h).
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "framework/campaign/soak_progress.h"
#include "framework/case/case_steps.h"
#include "framework/cli/common.h"
#include "framework/engine/interrupt.h"
#include "framework/explore/explore.h"

namespace crashlab::cli {
namespace {

struct ExploreArgs {
  std::string engine, variant, db = "crashlab.db", workdir, engines_dir, shard, junit;
  RecorderArgs recorder;
  std::string workload_file;
  std::string crash = "kill,power-loss";
  std::string profile = "posix";
  uint64_t seed = 0;
  int64_t workload = 0;
  std::size_t txns = 100;
  int subsets = 6, samples = 32;
  int jobs = static_cast<int>(
      std::clamp(std::thread::hardware_concurrency(), 1u, static_cast<unsigned>(kMaxGroups)));
  uint32_t atomic_unit = 512;
  int64_t deadline_ms = 10000;
  bool first = false;
};

void PrintSummary(const ExploreSummary& s, const ExploreArgs& a) {
  const double rate = s.explore_seconds > 0 ? s.verified / s.explore_seconds : 0;
  fmt::print(
      "explored {} crash points of {} events: {} crash states built, {} distinct, {} verified "
      "by {} engine process(es) in {:.1f} s ({:.0f} distinct states/s), {} judgements\n",
      s.crash_points, s.trace_events, s.candidates, s.distinct, s.verified, s.engines_started,
      s.explore_seconds, rate, s.judged);
  for (const auto& [kind, verdicts] : s.verdicts) {
    std::string line;
    for (const auto& [verdict, count] : verdicts) {
      line += fmt::format("{}{} {}", line.empty() ? "" : ", ", Name(verdict), count);
    }
    fmt::print("  {}: {}\n", Name(kind), line);
  }
  std::error_code ec;
  fmt::print("{} violation(s); recorded as campaign {} in {}\n", s.violations, s.campaign_id,
             std::filesystem::absolute(a.db, ec).string());
  if (s.first_violation_seconds >= 0) {
    fmt::print("first violation after {:.2f} s\n", s.first_violation_seconds);
  }
  fmt::print("controller at end: {}\n", FormatUsage(ReadProcessUsage()));
}

int Explore(const ExploreArgs& a, const std::string& command_line) {
  CampaignOptions traced;  // for the options explore shares with run
  if (!SetPowerLossOptions(a.profile, a.atomic_unit, a.recorder, traced)) return kExitUsage;
  if (traced.recorder.kind == RecorderKind::kBlock && traced.profile != faults::Profile::kPosix) {
    fmt::print(stderr,
               "crashlab: --profile shapes power losses computed from a file-level trace; the "
               "block-level recorder's come from the kernel's own file system (--fs): drop "
               "--profile\n");
    return kExitUsage;
  }
  SetShard(a.shard, traced);
  ExploreOptions o;
  std::vector<std::string> variants;
  if (!ChooseVariants(a.engine, a.engines_dir, {a.variant}, o.engine, variants)) return kExitUsage;
  o.engine_arg = a.engine;
  o.variant = a.variant;
  o.seed = a.seed;
  o.workload = a.workload;
  o.txns = a.txns;
  if (!a.workload_file.empty()) {
    Result<std::string> text = ReadWholeFile(a.workload_file);
    Result<Workload> given =
        text.ok() ? ParseWorkloadText(*text, a.workload_file) : Result<Workload>(text.status());
    if (!given.ok()) {
      fmt::print(stderr, "crashlab: --workload-file: {}\n", given.status().message());
      return kExitUsage;
    }
    o.given_workload = std::move(*given);
  }
  const std::optional<std::vector<CrashKind>> crashes = CrashKindsArg(a.crash);
  if (!crashes) return kExitUsage;
  o.crashes = *crashes;
  if (traced.recorder.kind == RecorderKind::kBlock) {
    // A process kill leaves the page cache, which the disk never sees.
    std::erase(o.crashes, CrashKind::kKill);
    if (o.crashes.empty()) {
      fmt::print(stderr,
                 "crashlab: the block-level recorder explores power losses only: a kill leaves "
                 "the page cache, which the disk never sees; pass --crash power-loss, or record "
                 "at the file level (--recorder preload or ptrace) to explore kills\n");
      return kExitUsage;
    }
  }
  o.subset_limit = a.subsets;
  o.samples = a.samples;
  o.atomic_unit = a.atomic_unit;
  o.profile = traced.profile;
  o.jobs = a.jobs;
  o.db_path = a.db;
  o.workdir = a.workdir;
  o.recorder = traced.recorder;
  o.command_line = command_line;
  o.deadline = Millis(a.deadline_ms);
  o.shard_index = traced.shard_index;
  o.shard_count = traced.shard_count;
  o.stop_at_first_violation = a.first;
  InstallInterruptHandlers();
  Result<ExploreSummary> summary = RunExplore(o, stdout);
  if (!summary.ok()) {
    fmt::print(stderr, "crashlab: {}\n", summary.status().message());
    if (InterruptSignal() != 0) ReraiseInterrupt();
    return kExitUsage;
  }
  PrintSummary(*summary, a);
  if (!a.junit.empty() &&
      !WriteCampaignJUnit(a.junit, {summary->campaign_id}, a.db,
                          [&](const CaseRecord& c) { return ExploreReproCommand(o, c); })) {
    return kExitUsage;
  }
  return summary->violations > 0 ? kExitViolations : kExitHeld;
}

}  // namespace

void AddExploreCommand(CLI::App& app, int& exit_code, const std::string& command_line) {
  auto a = std::make_shared<ExploreArgs>();
  CLI::App* cmd = app.add_subcommand(
      "explore",
      "Record one traced run of a workload, then verify every distinct crash state its trace "
      "allows: the kill state of every crash point, and power-loss states (every subset of the "
      "pending changes when few, seeded subsets beyond, tears of the write in flight and of "
      "pending writes)");
  cmd->add_option("--engine", a->engine, "Engine name or path to a variants.ini")->required();
  cmd->add_option("--variant", a->variant, "Variant to explore")->required();
  AddSeedOption(*cmd, a->seed);
  CLI::Option* case_option =
      cmd->add_option("--case", a->workload, "The workload's case index, as in `run`")
          ->capture_default_str()
          ->check(CLI::Range(int64_t{0}, int64_t{INT64_MAX}));
  CLI::Option* txns = cmd->add_option("--txns", a->txns,
                                      "Transactions in the workload; 0 lets the seed draw 4 to 24")
                          ->capture_default_str()
                          ->check(CLI::Range(std::size_t{0}, std::size_t{100000}));
  cmd->add_option("--workload-file", a->workload_file,
                  "Run this workload rather than the seed's: the text `crashlab workload` prints "
                  "(or `crashlab shrink` leaves); the results database keeps a copy")
      ->excludes(case_option)
      ->excludes(txns);
  cmd->add_option("--crash", a->crash, "Crash kinds to explore: kill, power-loss, or both")
      ->capture_default_str()
      ->check(CrashKindsValidator());
  cmd->add_option("--subsets", a->subsets,
                  "Power loss: every subset of the pending changes when at most this many")
      ->capture_default_str()
      ->check(CLI::Range(0, 16));
  cmd->add_option("--samples", a->samples,
                  "Power loss: seeded subsets per crash point when more changes are pending")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  cmd->add_option("--jobs", a->jobs,
                  "Verifier processes working in parallel; default the cores (at most 16)")
      ->capture_default_str()
      ->check(CLI::Range(1, kMaxGroups));
  cmd->add_flag("--first", a->first, "Stop at the first violation");
  cmd->add_option("--db", a->db, "Results database (SQLite)")->capture_default_str();
  cmd->add_option("--workdir", a->workdir,
                  "New or empty directory for the trace and crash states; default a new one "
                  "under /dev/shm (else TMPDIR)");
  AddDeadlineOption(*cmd, a->deadline_ms);
  AddTracedCaseOptions(*cmd, &a->profile, a->atomic_unit, a->recorder);
  AddShardOption(*cmd, a->shard);
  AddJUnitOption(*cmd, a->junit);
  AddEnginesDirOption(*cmd, a->engines_dir);
  cmd->callback([a, &exit_code, command_line] { exit_code = Explore(*a, command_line); });
}

}  // namespace crashlab::cli
