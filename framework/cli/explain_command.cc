// crashlab explain FAILURE-ID: tells a stored failure in a terminal — the
// events around its crash point, what the crash kept, dropped and tore, what
// had been acknowledged, and the keys that came back wrong.
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "faults/block/block_crash.h"
#include "faults/crash_state.h"
#include "faults/event_text.h"
#include "faults/trace_file.h"
#include "framework/base/shell_words.h"
#include "framework/base/vocabulary.h"
#include "framework/campaign/campaign.h"
#include "framework/campaign/repro.h"
#include "framework/case/outcome_text.h"
#include "framework/cli/common.h"
#include "framework/plan/crash_plan.h"
#include "framework/store/results_store.h"
#include "framework/store/signature.h"

namespace crashlab::cli {
namespace {

struct ExplainArgs {
  int64_t failure = 0;
  std::string db = "crashlab.db";
  int window = 8;
};

// The path each file id was last opened or created under, so that events
// that carry only the id (mapped-page stores, syncs) name their file.
std::map<uint64_t, std::string> PathsOf(const faults::Trace& trace) {
  std::map<uint64_t, std::string> paths;
  for (const faults::Event& e : trace.events) {
    if (e.kind == faults::EventKind::kOpen && !e.path.empty()) paths[e.file] = e.path;
    if (e.kind == faults::EventKind::kRename) paths[e.file] = e.path2;
  }
  return paths;
}

void PrintEvents(const faults::Trace& trace, uint64_t c, int window) {
  const std::map<uint64_t, std::string> paths = PathsOf(trace);
  const uint64_t from = c > static_cast<uint64_t>(window) ? c - window : 0;
  const uint64_t to = std::min<uint64_t>(trace.events.size(), c + 1 + window);
  fmt::print("events around the crash point {} (those before it completed{}):\n", c,
             c < trace.events.size() ? fmt::format("; event {} was in flight", c) : "");
  for (uint64_t i = from; i < to; ++i) {
    faults::Event e = trace.events[i];
    if (e.path.empty() && paths.count(e.file) != 0) e.path = paths.at(e.file);
    if (i == c + 1) fmt::print("  (the rest never happened: the crash came first)\n");
    fmt::print("{} {}\n", i == c ? ">" : " ", DescribeEvent(e));
  }
}

// A block-level failure: the records around its crash point, and the fate
// of each write pending there.
void PrintBlockCrash(const faults::BlockLog& log, const TracedPlan& plan, int window) {
  const uint64_t c = plan.plan.event;
  const uint64_t from = c > static_cast<uint64_t>(window) ? c - window : 0;
  const uint64_t to = std::min<uint64_t>(log.records.size(), c + window);
  fmt::print("block log records around the crash point {} (those before it completed):\n", c);
  for (uint64_t i = from; i < to; ++i) {
    if (i == c) fmt::print("  --- power loss ---\n");
    fmt::print("  {:>6} {}\n", i, faults::DescribeBlockRecord(log.records[i], log.sector));
  }
  if (to == c) fmt::print("  --- power loss ---\n");
  const faults::BlockPending pending = faults::PendingAt(log, c);
  if (pending.records.empty()) {
    fmt::print(
        "no write was pending: the disk held every write before the crash, and the "
        "kernel mounted what the file system had made durable\n");
    return;
  }
  fmt::print(
      "writes since the last flush (record {}), as the crash left them:\n",
      pending.durable_end == 0 ? std::string("none") : std::to_string(pending.durable_end - 1));
  for (std::size_t j = 0; j < pending.records.size() && j < plan.block_fates.fates.size(); ++j) {
    const std::string& fate = plan.block_fates.fates[j];
    fmt::print("  {:>6} {}: {}\n", pending.records[j],
               faults::DescribeBlockRecord(log.records[pending.records[j]], log.sector),
               fate == "*"   ? "on the disk"
               : fate == "-" ? "lost"
                             : "torn, sectors " + fate);
  }
}

// Why a failure has no trace, said truthfully: every traced failure among
// the first of its variant and crash kind in its campaign keeps one.
std::string WhyNoTrace(const CaseRecord& c, int64_t failure, const std::string& db) {
  const std::string repro = fmt::format("`crashlab repro {} --db {}`", failure, db);
  if (c.crash_kind == CrashKind::kKill && c.crash_plan.rfind("live ", 0) != 0) {
    return c.failure && c.failure->has_crash_files
               ? fmt::format(
                     "a kill case runs untraced, so it has no trace; the directory the kill left "
                     "is stored, and {} recovers it again",
                     repro)
               : fmt::format(
                     "a kill case runs untraced, so it has no trace; the directory the kill left "
                     "was not kept (too large, or the engine failed before the kill); {} reruns "
                     "the case",
                     repro);
  }
  if (c.crash_plan.find(" event=0/0 ") != std::string::npos) {
    return fmt::format(
        "the engine failed in the traced run itself, before any crash point: there is no crash "
        "to show; {} reruns the case",
        repro);
  }
  return fmt::format(
      "no trace stored: the failure is past the first {} of its variant and crash kind in its "
      "campaign, which alone keep theirs; {} reruns the case",
      kTracesKeptPerTally, repro);
}

int Explain(const ExplainArgs& a) {
  const std::optional<StoredFailure> found = LoadFailure(a.db, a.failure);
  if (!found) return kExitUsage;
  const CaseRecord& c = found->c;
  fmt::print("failure {}: {}/{} seed {} case {}, {} under a {} contract: {}\n", a.failure, c.engine,
             c.variant, c.seed, c.case_index, Name(c.crash_kind), Name(c.contract),
             Name(c.verdict));
  fmt::print("plan: {}\n", c.crash_plan);
  fmt::print("acknowledged: {} of the {} transactions sent before the crash\n", c.txns_acked,
             c.txns_sent);
  const bool damaged = c.failure && !c.failure->damaged.empty();
  if (damaged) {
    fmt::print(stderr, "crashlab: {}; the rest of the failure follows\n", c.failure->damaged);
  } else if (!c.failure || c.failure->trace.empty()) {
    fmt::print("({})\n", WhyNoTrace(c, a.failure, a.db));
  } else if (std::string_view(c.failure->trace).starts_with(faults::kBlockLogMagic)) {
    Result<faults::BlockLog> log = faults::ParseBlockLog(c.failure->trace, "the stored block log");
    const Result<TracedPlan> plan =
        log.ok() ? ParseTracedPlan(c.crash_plan, c.crash_kind) : log.status();
    if (!plan.ok()) {
      fmt::print(stderr, "crashlab: {}\n", plan.status().message());
      return kExitUsage;
    }
    PrintBlockCrash(*log, *plan, a.window);
  } else {
    Result<faults::Trace> trace = faults::ParseTrace(c.failure->trace, "the stored trace");
    const Result<TracedPlan> plan =
        trace.ok() ? ParseTracedPlan(c.crash_plan, c.crash_kind) : trace.status();
    if (!plan.ok()) {
      fmt::print(stderr, "crashlab: {}\n", plan.status().message());
      return kExitUsage;
    }
    // What follows rebuilds the crash from the trace, under today's rules.
    if (const std::string note = ModelVersionNote(c.crash_plan); !note.empty()) {
      fmt::print("model: {}\n", note);
    }
    PrintEvents(*trace, plan->plan.event, a.window);
    if (plan->crash == CrashKind::kKill) {
      fmt::print("a kill keeps every completed event: the kernel holds them\n");
    } else {
      Result<faults::CrashReport> report = faults::DescribePowerLoss(*trace, plan->plan, "");
      if (!report.ok()) {
        fmt::print(stderr, "crashlab: {}\n", report.status().message());
        return kExitUsage;
      }
      fmt::print("{}", DescribeOutcomes(*report, PathsOf(*trace)));
    }
  }
  fmt::print("what happened: {}\n", c.details);
  fmt::print("signature: {}\n", SignatureOf(c).Text());
  if (c.failure && !c.failure->difference.empty()) {
    fmt::print("expected versus recovered:\n{}", c.failure->difference);
  }
  fmt::print("replay it: crashlab repro {} --db {}{}\n", a.failure, ShellWord(a.db),
             damaged ? " --rerun" : "");
  return damaged ? kExitUsage : kExitHeld;
}

}  // namespace

void AddExplainCommand(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<ExplainArgs>();
  CLI::App* cmd = app.add_subcommand(
      "explain",
      "Tell a stored failure: the events around its crash point, which pending writes "
      "survived, vanished or tore, what was acknowledged, and the keys that came back wrong");
  AddFailureIdOption(*cmd, a->failure, "")->required();
  cmd->add_option("--db", a->db, "Results database")->capture_default_str();
  cmd->add_option("--window", a->window, "Events shown on each side of the crash point")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  cmd->callback([a, &exit_code] { exit_code = Explain(*a); });
}

}  // namespace crashlab::cli
