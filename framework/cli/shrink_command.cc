// crashlab shrink FAILURE-ID: the smallest case that still fails the same
// way (framework/explore/shrink.h), recorded next to the original.
#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "framework/base/shell_words.h"
#include "framework/campaign/campaign.h"
#include "framework/case/traced_case.h"
#include "framework/cli/common.h"
#include "framework/engine/interrupt.h"
#include "framework/explore/shrink.h"

namespace crashlab::cli {
namespace {

struct ShrinkArgs {
  int64_t failure = 0;
  std::string db = "crashlab.db", engine, engines_dir, preload;
  RecorderArgs recorder;
  int jobs = static_cast<int>(
      std::clamp(std::thread::hardware_concurrency(), 1u, static_cast<unsigned>(kMaxGroups)));
  double budget = 60;
  int64_t deadline_ms = 10000;
};

// The workload failure `f` ran, cut after the transactions sent by its
// crash point (the rest never reached the engine), and its atomic unit.
Result<Workload> FailureWorkload(const StoredFailure& f, uint32_t& atomic_unit) {
  const CaseRecord& c = f.c;
  const Result<TracedPlan> plan = ParseTracedPlan(c.crash_plan, c.crash_kind);
  const bool traced = plan.ok();
  if (traced && plan->plan.atomic_unit != 0 && plan->crash == CrashKind::kPowerLoss) {
    atomic_unit = plan->plan.atomic_unit;
  } else if (const std::string unit = FlagValue(f.campaign_command_line, "--atomic-unit");
             !unit.empty()) {
    atomic_unit = static_cast<uint32_t>(std::stoul(unit));
  }
  Workload w;
  if (traced && plan->explore && plan->explore_workload < 0) {
    Result<Workload> stored = ParseWorkloadText(f.campaign_workload, "the stored workload");
    if (!stored.ok()) return stored.status();
    w = std::move(*stored);
  } else if (traced && plan->explore) {
    w = GenerateWorkload(c.seed, static_cast<uint64_t>(plan->explore_workload), plan->explore_txns);
  } else {
    const std::string txns = FlagValue(f.campaign_command_line, "--txns");
    const std::size_t count = f.soak_txns >= 0 ? static_cast<std::size_t>(f.soak_txns)
                              : txns.empty()   ? 0
                                               : std::stoul(txns);
    w = GenerateWorkload(c.seed, static_cast<uint64_t>(c.case_index), count);
  }
  const auto sent = static_cast<std::size_t>(std::max<int64_t>(c.txns_sent, 1));
  if (w.txns.size() > sent) w.txns.resize(sent);
  return w;
}

void PrintResult(const ShrinkResult& r, const ShrinkArgs& a) {
  const CaseRecord& c = r.c;
  fmt::print(
      "shrunk failure {} to failure {} in {:.1f} s ({} explorations{}): {} -> {} transactions, "
      "{} -> {} operations\n",
      a.failure, r.failure_id, r.seconds, r.trials, r.budget_spent ? ", stopped by --budget" : "",
      r.original_txns, r.workload.txns.size(), r.original_ops, OpCount(r.workload));
  fmt::print("workload (stored with campaign {}):\n", r.campaign_id);
  std::string text = WorkloadText(r.workload);
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t end = text.find('\n', at);
    fmt::print("  {}\n", text.substr(at, end - at));
    at = end + 1;
  }
  fmt::print("crash:     {} ({} sent, {} acknowledged)\n", c.crash_plan, c.txns_sent, c.txns_acked);
  fmt::print("verdict:   {} ({} contract: VIOLATED) - {}\n", Name(c.verdict), Name(c.contract),
             c.details);
  fmt::print("signature: {}\n", SignatureOf(c).Text());
  if (c.failure && !c.failure->difference.empty()) {
    fmt::print("expected versus recovered:\n{}", c.failure->difference);
  }
  fmt::print("repro:     crashlab repro {} --db {}\n", r.failure_id, ShellWord(a.db));
  fmt::print("explain:   crashlab explain {} --db {}\n", r.failure_id, ShellWord(a.db));
}

int Shrink(const ShrinkArgs& a, const std::string& command_line) {
  const std::optional<StoredFailure> found = LoadFailure(a.db, a.failure);
  if (!found) return kExitUsage;
  const StoredFailure& f = *found;
  ShrinkOptions o;
  std::string engine = a.engine;
  if (engine.empty()) engine = StoredEngineArg(f, a.engines_dir);
  std::vector<std::string> variants;
  if (!ChooseVariants(engine, a.engines_dir, {f.c.variant}, o.engine, variants)) return kExitUsage;
  Result<Workload> workload = FailureWorkload(f, o.atomic_unit);
  if (!workload.ok()) {
    fmt::print(stderr, "crashlab: failure {}: {}\n", a.failure, workload.status().message());
    return kExitUsage;
  }
  CampaignOptions traced;
  RecorderArgs recorder = a.recorder;
  TakeStoredRecorder(f.campaign_command_line, recorder);
  if (!SetPowerLossOptions("posix", o.atomic_unit, recorder, traced)) return kExitUsage;
  o.variant = f.c.variant;
  o.failure_id = a.failure;
  o.workload = std::move(*workload);
  o.crash = f.c.crash_kind;
  o.verdict = f.c.verdict;
  o.signature = SignatureOf(f.c);
  o.crash_plan = f.c.crash_plan;
  o.seed = f.c.seed;
  o.jobs = a.jobs;
  o.db_path = a.db;
  o.recorder = traced.recorder;
  o.command_line = command_line;
  // The shrunk case's campaign names the engine as the failure's did, so
  // that `repro ID` finds one given by the path of its variants.ini.
  if (a.engine.empty() && !FlagValue(f.campaign_command_line, "--engine").empty()) {
    o.command_line += " --engine " + engine;
  }
  o.deadline = Millis(a.deadline_ms);
  o.budget_seconds = a.budget;
  fmt::print(
      "shrinking failure {}: {}/{} {} under {}, {} transactions and {} operations sent; each "
      "step explores a smaller workload for the same signature (budget {:.0f} s)\n"
      "signature: {}\n",
      a.failure, o.engine.name, o.variant, Name(f.c.verdict), Name(f.c.crash_kind),
      o.workload.txns.size(), OpCount(o.workload), a.budget, o.signature.Text());
  std::fflush(stdout);
  InstallInterruptHandlers();
  Result<ShrinkResult> r = RunShrink(o, stdout);
  if (!r.ok()) {
    fmt::print(stderr, "crashlab: shrinking failure {}: {}\n", a.failure, r.status().message());
    if (InterruptSignal() != 0) ReraiseInterrupt();
    return kExitUsage;
  }
  PrintResult(*r, a);
  return kExitHeld;
}

}  // namespace

void AddShrinkCommand(CLI::App& app, int& exit_code, const std::string& command_line) {
  auto a = std::make_shared<ShrinkArgs>();
  CLI::App* cmd = app.add_subcommand(
      "shrink",
      "Minimise a stored failure: fewer and smaller transactions, then the earliest crash point "
      "with the fewest surviving and torn writes that still breaks the contract the same way; "
      "records the shrunk case linked to the original and prints it with its repro command");
  AddFailureIdOption(*cmd, a->failure, "")->required();
  cmd->add_option("--db", a->db, "Results database holding the failure")->capture_default_str();
  cmd->add_option("--engine", a->engine,
                  "Engine name or path to a variants.ini; default the failure's campaign's");
  cmd->add_option("--budget", a->budget,
                  "Seconds to spend shrinking; then the smallest failing case so far is kept")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 86400.0));
  cmd->add_option("--jobs", a->jobs,
                  "Verifier processes per exploration; default the cores (at most 16)")
      ->capture_default_str()
      ->check(CLI::Range(1, kMaxGroups));
  AddDeadlineOption(*cmd, a->deadline_ms);
  AddRecorderOptions(*cmd, a->recorder);
  AddEnginesDirOption(*cmd, a->engines_dir);
  cmd->callback([a, &exit_code, command_line] { exit_code = Shrink(*a, command_line); });
}

}  // namespace crashlab::cli
