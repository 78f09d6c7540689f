#include "framework/case/traced_case.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "faults/crash_state.h"
#include "faults/trace_file.h"
#include "framework/case/block_case.h"
#include "framework/case/case_steps.h"
#include "framework/case/trace_cost.h"
#include "framework/case/traced_case_steps.h"
#include "framework/case/traced_run.h"
#include "framework/plan/plan_draws.h"
#include "framework/protocol/protocol.h"

namespace crashlab {
Status MakeTracedCaseDir(const std::string& dir) {
  if (mkdir(dir.c_str(), 0755) == 0) return Status::Ok();
  return Status::Error("cannot create case directory " + dir + ": " + std::strerror(errno) +
                       "; choose a new, writable --workdir");
}

namespace {

// A traced run that met a full file system (the tracer listed a write that
// failed with ENOSPC or EDQUOT, or the engine died of SIGBUS with no room
// left), or whose engine failed on its own before any crash point (it died,
// or refused to open a new database): errors, never verdicts. A hang or a
// protocol error in the run stays the case's verdict: those fail under every
// contract.
Status CheckTracedRun(const TracedRunSpec& run, const TracedCaseSpec& spec,
                      const std::optional<EngineFault>& fault) {
  if (std::ifstream list(run.trace_path + faults::kNoSpaceSuffix); list) {
    // The list may be empty: on a full disk its line may not have fitted.
    std::string err;
    uint64_t bytes = 0;
    std::string path;
    list >> err >> bytes;
    std::getline(list >> std::ws, path);
    const std::string how =
        err.empty() ? "a write failed with ENOSPC or EDQUOT during the traced run"
                    : fmt::format("a write of {} bytes to {} failed with {} during the traced run",
                                  bytes, protocol::Readable(path, 200), err);
    return FullDiskError(spec.case_dir, how, bytes);
  }
  if (Status s = SigbusOnFullDisk(fault, spec.case_dir, "the traced run"); !s.ok()) return s;
  return FailedOnItsOwn(fault, run.log, spec);
}

}  // namespace

Status FailedOnItsOwn(const std::optional<EngineFault>& fault, const std::string& log,
                      const TracedCaseSpec& spec) {
  if (!fault || fault->verdict != Verdict::kRecoveryFailed) return Status::Ok();
  std::string tail = FileTail(log, 400);
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
  return Status::Error(fmt::format(
      "variant {} ({}) failed on its own in {}, before any crash point: {}. No crash happened, "
      "so this is an error of the engine or its adapter, not a recovery failure; {}. Fix the "
      "engine, then run the campaign again",
      spec.variant->name, spec.variant->argv.empty() ? "?" : spec.variant->argv[0], spec.case_dir,
      fault->what,
      tail.empty()
          ? "it wrote nothing to stderr"
          : fmt::format("its stderr ({}) ends: '{}'", log, protocol::Readable(tail, 400))));
}

namespace {

// The trace a case is judged on, with the requests its run sent.
struct JudgedRun {
  faults::Trace trace;
  std::string trace_path;  // its file, stored with a failure
  std::vector<TracedRequest> requests;
  // The run failed by itself (a hang, a protocol error): the verdict, with
  // no crash to judge and no trace read.
  std::optional<EngineFault> fault;
};

// Live mode: reruns the workload with the library armed to kill right after
// event `c`, and checks that the directory the kill left is what the model
// says. Sets r.killed and the crash point (r.plan.event) in the new trace.
Result<JudgedRun> RunLive(const TracedRunSpec& base, const TracedCaseSpec& spec, uint64_t c,
                          TracedCaseResult& r) {
  const std::string live_dir = spec.case_dir + "/live";
  if (Status s = MakeTracedCaseDir(live_dir); !s.ok()) return s;
  TracedRunSpec live = base;
  live.data_dir = live_dir + "/data";
  live.trace_path = live_dir + "/trace.bin";
  live.kill_at_event = c;
  AppendLog(base.log, fmt::format("crashlab: live run, killed after event {}", c));
  Result<TracedRun> run = RunTraced(live, r.workload);
  if (!run.ok()) return run.status();
  if (Status s = CheckTracedRun(live, spec, run->fault); !s.ok()) return s;
  JudgedRun judged;
  judged.requests = std::move(run->requests);
  judged.trace_path = live.trace_path;
  if (run->fault) {
    judged.fault = run->fault;
    return judged;
  }
  Result<faults::Trace> trace = ReadRunTrace(live.trace_path, spec.variant->name, *run);
  if (!trace.ok()) return trace.status();
  judged.trace = std::move(*trace);
  r.killed = run->killed;
  const std::vector<faults::Event>& events = judged.trace.events;
  // The last event of a killed run is the one the library killed after: its
  // call took effect unless the tracer records it before the call (a write,
  // which is then in flight at the crash point).
  r.plan.event = events.size();
  if (r.killed && faults::RecordedBeforeItsCall(events.back().kind)) --r.plan.event;
  if (Status s = CheckTraceExplainsDirectory(judged.trace, r.plan.event, live.data_dir,
                                             spec.variant->untraced_files);
      !s.ok()) {
    return Status::Error(fmt::format(
        "live mode, kill after event {}: the directory the kill left is not what the "
        "persistence model says a kill there leaves ({}). Either the engine writes past the "
        "tracer or crashlab's model is wrong; please report it with this case directory",
        c, s.message()));
  }
  return judged;
}

// Builds the state the crash left in `crash_dir` and returns its digest. A
// kill keeps every event before the crash point; for a live kill that is the
// very directory the kill left (RunLive checked it).
Result<std::string> BuildCrashState(const JudgedRun& run, const TracedCaseResult& r,
                                    const std::string& crash_dir) {
  Result<faults::DirTree> tree = r.crash == CrashKind::kKill
                                     ? faults::ModelKill(run.trace, r.plan.event, {})
                                     : faults::ModelPowerLoss(run.trace, r.plan, {}, nullptr);
  if (!tree.ok()) return Status::Error("building the crash state: " + tree.status().message());
  if (Status s = faults::WriteDirTree(*tree, crash_dir); !s.ok()) return s;
  return faults::DigestDirTree(*tree);
}

// From the judged trace and the crash point in r.plan: what was acknowledged,
// the crash state, and its recovery by a fresh engine process; together, what
// the oracle judges.
Result<OracleInput> RecoverCrash(const TracedCaseSpec& spec, const JudgedRun& run,
                                 const std::string& log, TracedCaseResult& r) {
  r.trace_events = run.trace.events.size();
  const IoCost cost = CumulativeCost(run.trace)[r.plan.event];
  r.syncs = cost.syncs;
  r.bytes_written = cost.bytes_written;
  SentAndAcked known = AckedBefore(run.trace, r.plan.event, run.requests, r.workload);
  const std::string crash_dir = spec.case_dir + "/crash";
  Result<std::string> digest = BuildCrashState(run, r, crash_dir);
  if (!digest.ok()) return digest.status();
  r.crash_state = *digest;
  return RecoverCrashDir(spec, std::move(known), crash_dir, log, r);
}

}  // namespace

Result<OracleInput> RecoverCrashDir(const TracedCaseSpec& spec, SentAndAcked known,
                                    const std::string& crash_dir, const std::string& log,
                                    TracedCaseResult& r) {
  r.sent = known.sent.size();
  r.acked = known.acked;
  const auto restart = CaseClock::now();
  Result<std::unique_ptr<EngineProcess>> engine = EngineProcess::Start(spec.variant->argv, log);
  if (!engine.ok()) return engine.status();
  RecoveryOutcome found =
      VerifyRecovery(**engine, spec.deadline, crash_dir,
                     spec.crash == CrashKind::kKill ? "the kill" : "the power loss", restart);
  r.recovery_ms = found.recovery_ms;
  return OracleInput{.sent = std::move(known.sent),
                     .acked = known.acked,
                     .recovered = std::move(found.recovered),
                     .check_error = std::move(found.check_error),
                     .dump_error = std::move(found.dump_error),
                     .fault = std::move(found.fault)};
}

Status ConcludeTracedCase(const std::string& trace_path, const std::string& log,
                          CaseClock::time_point start, TracedCaseResult& r,
                          const OracleInput& input) {
  r.judgement = Judge(input);
  if (!r.notes.empty()) r.judgement.details += " [" + r.notes + "]";
  r.violation = Violates(r.judgement.verdict, r.contract);
  r.total_ms = MsSince(start);
  r.stderr_tail = FileTail(log, 4096);
  if (r.violation && !trace_path.empty()) {
    Result<std::string> bytes = ReadWholeFile(trace_path);
    if (!bytes.ok()) return bytes.status();
    r.trace = std::move(*bytes);
  }
  return Status::Ok();
}

TracedCaseResult NewTracedResult(const TracedCaseSpec& spec) {
  TracedCaseResult r;
  r.workload = spec.workload != nullptr ? *spec.workload
                                        : GenerateWorkload(spec.seed, spec.case_index, spec.txns);
  r.crash = spec.crash;
  r.live = spec.live;
  r.contract = spec.variant->ContractFor(spec.crash);
  r.plan.atomic_unit = spec.atomic_unit;
  r.plan.profile = spec.profile;
  return r;
}

Result<TracedCaseResult> RunTracedCase(const TracedCaseSpec& spec) {
  if (spec.recorder.kind == RecorderKind::kBlock) return RunBlockCase(spec);
  const auto start = CaseClock::now();
  if (spec.crash == CrashKind::kKill && !spec.live) {
    return Status::Error("a traced kill case needs live mode: an offline kill is a real kill");
  }
  if (Status s = MakeTracedCaseDir(spec.case_dir); !s.ok()) return s;
  TracedRunSpec base;
  base.variant = spec.variant;
  base.recorder = spec.recorder;
  base.data_dir = spec.case_dir + "/data";
  base.trace_path = spec.case_dir + "/trace.bin";
  base.log = spec.case_dir + "/engine.stderr";
  base.deadline = spec.deadline;

  TracedCaseResult r = NewTracedResult(spec);
  Result<TracedRun> first = RunTraced(base, r.workload);
  if (!first.ok()) return first.status();
  if (Status s = CheckTracedRun(base, spec, first->fault); !s.ok()) return s;
  r.workload_ms = MsSince(start);
  JudgedRun judged;
  judged.trace_path = base.trace_path;
  judged.fault = first->fault;
  if (!judged.fault) {
    judged.requests = std::move(first->requests);
    Result<faults::Trace> trace = ReadRunTrace(base.trace_path, spec.variant->name, *first);
    if (!trace.ok()) return trace.status();
    judged.trace = std::move(*trace);
    if (Status s = CheckTraceExplainsDirectory(judged.trace, judged.trace.events.size(),
                                               base.data_dir, spec.variant->untraced_files);
        !s.ok()) {
      return s;
    }
    Result<TracedCrashDraw> draw =
        DrawTracedCrash(judged.trace, spec.seed, spec.case_index, spec.point);
    if (!draw.ok()) return draw.status();
    r.plan.event = draw->event;
    r.plan.seed = draw->seed;
    if (spec.live) {
      r.kill_at = r.plan.event;
      Result<JudgedRun> live = RunLive(base, spec, r.kill_at, r);
      if (!live.ok()) return live.status();
      judged = std::move(*live);
      r.workload_ms = MsSince(start);
      if (!r.killed) r.notes = fmt::format("the live run ended before event {}", r.kill_at);
    }
  }
  // A run that failed by itself (a hang, a protocol error) has no crash to
  // judge, so its fault alone is the oracle's input, and no trace that
  // rebuilds one; a crash that recovery failed on keeps its trace like any
  // other failure.
  const bool crashed = !judged.fault;
  OracleInput input;
  input.fault = judged.fault;
  if (crashed) {
    Result<OracleInput> recovered = RecoverCrash(spec, judged, base.log, r);
    if (!recovered.ok()) return recovered.status();
    input = std::move(*recovered);
    if (Status s = SigbusOnFullDisk(input.fault, spec.case_dir, "recovery"); !s.ok()) return s;
  }
  if (Status s = ConcludeTracedCase(crashed ? judged.trace_path : "", base.log, start, r, input);
      !s.ok()) {
    return s;
  }
  return r;
}

Result<TracedCaseResult> ReplayTracedCase(const TracedCaseSpec& spec,
                                          const std::string& trace_bytes,
                                          const std::string& plan_text) {
  const auto start = CaseClock::now();
  if (Status s = MakeTracedCaseDir(spec.case_dir); !s.ok()) return s;
  TracedCaseResult r = NewTracedResult(spec);
  Result<TracedPlan> stored = ParseTracedPlan(plan_text, spec.crash);
  if (!stored.ok()) return stored.status();
  // A kill's text names no profile or unit: those stay the spec's. The
  // state is rebuilt by this build's rules, so the replay's plan is of the
  // current model whatever the stored one says (repro tells the difference).
  if (stored->crash == CrashKind::kKill) {
    stored->plan.profile = r.plan.profile;
    stored->plan.atomic_unit = r.plan.atomic_unit;
  }
  stored->model = kModelVersion;
  static_cast<TracedPlan&>(r) = std::move(*stored);
  if (r.explore && r.explore_workload >= 0) {
    r.workload =
        GenerateWorkload(spec.seed, static_cast<uint64_t>(r.explore_workload), r.explore_txns);
  } else if (r.explore && spec.workload == nullptr) {
    return Status::Error(
        "the case ran its campaign's stored workload, and none was given: replay it by its "
        "failure id (crashlab repro ID --db FILE)");
  }
  if (r.block_fs) return ReplayBlockCase(spec, trace_bytes, start, std::move(r));
  JudgedRun judged;
  judged.trace_path = spec.case_dir + "/trace.bin";
  Result<faults::Trace> trace = faults::ParseTrace(trace_bytes, "the stored trace");
  if (!trace.ok()) return trace.status();
  judged.trace = std::move(*trace);
  if (r.plan.event > judged.trace.events.size()) {
    return Status::Error(
        fmt::format("the stored plan's crash point {} is past the stored trace's "
                    "{} events: the results database is damaged",
                    r.plan.event, judged.trace.events.size()));
  }
  if (Status s = WriteWholeFile(judged.trace_path, trace_bytes); !s.ok()) return s;
  judged.requests = RequestsOf(r.workload);
  const std::string log = spec.case_dir + "/engine.stderr";
  Result<OracleInput> input = RecoverCrash(spec, judged, log, r);
  if (!input.ok()) return input.status();
  if (Status s = ConcludeTracedCase(judged.trace_path, log, start, r, *input); !s.ok()) return s;
  return r;
}

}  // namespace crashlab
