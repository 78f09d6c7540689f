#include "framework/case/kill_case.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "faults/crash_state.h"
#include "framework/case/case_steps.h"
#include "framework/case/crash_files.h"
#include "framework/engine/engine_client.h"
#include "framework/plan/plan_draws.h"

namespace crashlab {
namespace {

using Clock = CaseClock;

// Drives the workload up to the kill. Returns a fault when the engine could
// not be driven to the crash point (then there is nothing to recover).
// `sent` gets every transaction the engine received, in order; one it
// refused with `err` stays in place with no operations, so that positions
// remain workload indices.
std::optional<EngineFault> DriveUntilKill(const KillCaseSpec& spec, EngineProcess& engine,
                                          const std::string& data_dir, KillCaseResult& r,
                                          std::vector<Txn>& sent) {
  EngineClient client(engine, spec.deadline);
  auto fault = [&](const Exchange& e, const std::string& during) {
    engine.AwaitExitThenKill(e.kind == Exchange::kDied ? kExitGrace : Millis(0));
    return EngineFault{FaultVerdict(e),
                       fmt::format("{} before the crash point: {} (engine {})", during, e.message,
                                   engine.ExitDescription()),
                       engine.TermSignal()};
  };
  // The engine's output ended. With a point plan and a SIGKILL, that is the
  // planned crash; otherwise the engine died by itself, which is a crash too.
  auto died = [&](const std::string& during) {
    engine.AwaitExitThenKill(kExitGrace);
    if (r.plan.at_point() && engine.DiedOfSigkill()) {
      r.notes += fmt::format("killed at {} during {}; ", r.plan.point, during);
    } else {
      r.notes += fmt::format("the engine died by itself during {} ({}); ", during,
                             engine.ExitDescription());
    }
  };

  HelloReply hello;
  if (Exchange e = client.Hello(hello); !e.ok()) return fault(e, "hello");
  if (Exchange e = client.Open(data_dir); !e.ok()) {
    // Only a planned kill inside the first open is a crash to recover from;
    // an engine that cannot open a new database failed by itself.
    if (e.kind != Exchange::kDied || !r.plan.at_point())
      return fault(e, "open of the new database");
    engine.AwaitExitThenKill(kExitGrace);
    if (!engine.DiedOfSigkill()) return fault(e, "open of the new database");
    r.notes += fmt::format("killed at {} during the first open; ", r.plan.point);
    return std::nullopt;
  }

  // A timed plan stops sending at its transaction; a point plan sends them
  // all, one at a time, until the engine kills itself at the point.
  const std::size_t last = r.plan.at_point() ? r.workload.txns.size() - 1 : r.plan.txn;
  for (std::size_t t = 0; t <= last; ++t) {
    const Txn& txn = r.workload.txns[t];
    if (txn.checkpoint_before) {
      bool supported = true;
      Exchange e = client.Checkpoint(supported);
      if (e.kind == Exchange::kErr) {
        r.notes += fmt::format("checkpoint before transaction {} answered {}; ", t, e.message);
      } else if (e.kind == Exchange::kDied) {
        died(fmt::format("the checkpoint before transaction {}", t));
        return std::nullopt;
      } else if (!e.ok()) {
        return fault(e, fmt::format("checkpoint before transaction {}", t));
      }
    }
    if (Exchange e = client.SendTxn(txn); !e.ok()) {
      if (e.kind != Exchange::kDied) return fault(e, fmt::format("sending transaction {}", t));
      died(fmt::format("transaction {}, before it was read", t));
      return std::nullopt;
    }
    sent.push_back(txn);
    ++r.sent;
    if (!r.plan.at_point() && t == r.plan.txn) break;  // in flight: the kill comes below
    Exchange e = client.AwaitTxnReply();
    if (e.kind == Exchange::kErr) {
      sent.back().ops.clear();  // refused: none of it may appear
      r.notes += fmt::format("transaction {} answered {}; ", t, e.message);
      continue;
    }
    if (e.kind == Exchange::kDied) {
      died(fmt::format("transaction {}", t));
      return std::nullopt;
    }
    if (!e.ok()) return fault(e, fmt::format("transaction {}", t));
    r.acked = sent.size();
  }
  if (r.plan.at_point()) {
    engine.KillGroup();
    if (!r.plan.in_recovery()) {
      r.notes += fmt::format("{} was not reached {} time(s); killed after the last transaction; ",
                             r.plan.point, r.plan.hit);
    }
    return std::nullopt;
  }
  // The kill: wait the planned delay, then SIGKILL the group. An `ok` already
  // in the pipe was acknowledged.
  const auto until = Clock::now() + std::chrono::microseconds(r.plan.delay_us);
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(until - Clock::now());
    if (left.count() <= 0) break;
    usleep(static_cast<useconds_t>(std::min<int64_t>(left.count(), 1000)));
  }
  engine.KillGroup();
  const std::vector<std::string> late = engine.DrainLines();
  if (late.size() > 1 ||
      (late.size() == 1 && !EngineClient::IsAck(late[0]) && !EngineClient::IsErrReply(late[0]))) {
    return EngineFault{Verdict::kProtocolError,
                       fmt::format("after transaction {} the engine wrote {} line(s) where one "
                                   "reply was due, the first '{}'",
                                   r.plan.txn, late.size(), protocol::Readable(late[0], 120))};
  }
  if (late.size() == 1 && EngineClient::IsAck(late[0])) r.acked = sent.size();
  if (late.size() == 1 && EngineClient::IsErrReply(late[0])) {
    sent.back().ops.clear();
    r.notes += fmt::format("transaction {} answered {}; ", r.plan.txn, protocol::Readable(late[0]));
  }
  return std::nullopt;
}

}  // namespace

Result<std::vector<std::string>> ProbeEngine(const std::string& engine_name,
                                             const VariantSpec& variant, const std::string& log,
                                             Millis deadline, const std::string& point) {
  Result<std::unique_ptr<EngineProcess>> process = EngineProcess::Start(variant.argv, log);
  if (!process.ok()) return process.status();
  EngineClient client(**process, deadline);
  HelloReply hello;
  Exchange e = client.Hello(hello);
  if (e.kind == Exchange::kProtocolError &&
      e.message.find("protocol version") != std::string::npos) {
    return Status::Error(
        fmt::format("engine {} variant {}: {}; update its adapter to engine "
                    "protocol v1 (docs/engine-protocol.md)",
                    engine_name, variant.name, e.message));
  }
  if (e.kind == Exchange::kDied) {
    // Before any workload or crash: a wrong command line or a missing library,
    // not a recovery failure to record case after case.
    (*process)->AwaitExitThenKill(kExitGrace);
    const std::string tail = FileTail(log, 300);
    return Status::Error(fmt::format(
        "engine {} variant {} {} before answering hello ({}); check the variants file's command "
        "and args by running the engine by hand",
        engine_name, variant.name, (*process)->ExitDescription(),
        tail.empty() ? "it wrote nothing to stderr"
                     : "its stderr ends: '" + protocol::Readable(tail, 300) + "'"));
  }
  if (!e.ok() && !point.empty()) {
    return Status::Error(
        fmt::format("engine {} variant {}: it did not answer hello properly ({}), "
                    "so its named points are unknown; run it without --point to "
                    "see what it does",
                    engine_name, variant.name, e.message));
  }
  std::vector<std::string> points;
  const auto& caps = hello.capabilities;
  if (e.ok() && std::find(caps.begin(), caps.end(), "points") != caps.end()) {
    if (Exchange p = client.Points(points); !p.ok()) {
      return Status::Error(fmt::format("engine {} variant {}: asking for its named points: {}",
                                       engine_name, variant.name, p.message));
    }
  }
  (*process)->FinishGracefully(deadline);
  if (!point.empty() && point != "any" &&
      std::find(points.begin(), points.end(), point) == points.end()) {
    std::string known;
    for (const std::string& p : points) known += (known.empty() ? "" : ", ") + p;
    return Status::Error(fmt::format(
        "engine {} variant {} has no named point '{}'; {}", engine_name, variant.name, point,
        points.empty() ? "it declares none, so drop --point" : "its points are: " + known));
  }
  if (point == "any" && points.empty()) {
    return Status::Error(
        fmt::format("engine {} variant {} declares no named points, so --point "
                    "any has nothing to choose from; drop --point",
                    engine_name, variant.name));
  }
  return points;
}

namespace {

// A new directory: a case must never recover from another case's files.
Status MakeCaseDir(const KillCaseSpec& spec) {
  if (mkdir(spec.case_dir.c_str(), 0755) != 0) {
    return Status::Error("cannot create case directory " + spec.case_dir + ": " +
                         std::strerror(errno) + "; choose a new, writable --workdir");
  }
  return Status::Ok();
}

// The case's workload, plan and contract, all decided by its seed.
KillCaseResult NewResult(const KillCaseSpec& spec) {
  KillCaseResult r;
  r.workload = GenerateWorkload(spec.seed, spec.case_index, spec.txns);
  r.plan = DrawKillPlan(spec.seed, spec.case_index, r.workload.txns.size(), spec.point,
                        spec.engine_points);
  r.contract = spec.variant->ContractFor(CrashKind::kKill);
  return r;
}

// The environment that makes the engine SIGKILL itself at the plan's point.
std::vector<std::string> ArmedEnv(const KillPlan& plan) {
  return {"CRASHLAB_KILL_AT=" + plan.point + ":" + std::to_string(plan.hit)};
}

// A fresh engine recovers `data_dir`, dumps and checks it; a plan that kills
// inside recovery arms the first restart, and a second one recovers again.
// Returns what the last one found. An error means the engine could not be
// started.
Result<RecoveryOutcome> Recover(const KillCaseSpec& spec, const std::string& data_dir,
                                const std::string& log, KillCaseResult& r) {
  RecoveryOutcome found;
  for (int restart = 0; restart < 2; ++restart) {
    const bool arm = restart == 0 && r.plan.in_recovery();
    AppendLog(log, arm ? "restart with " + ArmedEnv(r.plan)[0] + ": recovery, dump, check"
                       : "restart: recovery, dump, check");
    const auto restarted = Clock::now();
    auto engine = EngineProcess::Start(spec.variant->argv, log,
                                       arm ? ArmedEnv(r.plan) : std::vector<std::string>{});
    if (!engine.ok()) return engine.status();
    found = VerifyRecovery(**engine, spec.deadline, data_dir, "the crash", restarted);
    if (!(arm && found.killed_in_open)) break;
    r.notes += fmt::format("killed at {} inside recovery; recovered again; ", r.plan.point);
  }
  return found;
}

// Judges what recovery found against the transactions `sent` (one the
// engine refused has no operations), of which the first r.acked were
// acknowledged, and concludes `r`.
void Conclude(std::vector<Txn> sent, RecoveryOutcome found, const std::string& log,
              CaseClock::time_point start, KillCaseResult& r) {
  r.recovery_ms = found.recovery_ms;
  r.judgement = Judge(OracleInput{.sent = std::move(sent),
                                  .acked = r.acked,
                                  .recovered = std::move(found.recovered),
                                  .check_error = std::move(found.check_error),
                                  .dump_error = std::move(found.dump_error),
                                  .fault = std::move(found.fault)});
  if (!r.notes.empty()) r.judgement.details += " [" + r.notes.substr(0, r.notes.size() - 2) + "]";
  r.violation = Violates(r.judgement.verdict, r.contract);
  r.total_ms = MsSince(start);
  r.stderr_tail = FileTail(log, 4096);
}

}  // namespace

Result<KillCaseResult> RunKillCase(const KillCaseSpec& spec) {
  const auto start = Clock::now();
  if (Status s = MakeCaseDir(spec); !s.ok()) return s;
  const std::string data_dir = spec.case_dir + "/data";
  const std::string log = spec.case_dir + "/engine.stderr";

  KillCaseResult r = NewResult(spec);
  std::vector<Txn> sent;
  // A run that could not be driven to the crash point leaves nothing to
  // recover: its fault alone decides the verdict.
  RecoveryOutcome found;
  AppendLog(log, "run until the kill: " + r.plan.ToString());
  {
    const bool arm = r.plan.at_point() && !r.plan.in_recovery();
    auto engine = EngineProcess::Start(spec.variant->argv, log,
                                       arm ? ArmedEnv(r.plan) : std::vector<std::string>{});
    if (!engine.ok()) return engine.status();
    found.fault = DriveUntilKill(spec, **engine, data_dir, r, sent);
  }
  if (Status s = SigbusOnFullDisk(found.fault, spec.case_dir, "the run before the kill"); !s.ok()) {
    return s;
  }
  r.workload_ms = MsSince(start);
  // The engine is dead and reaped (KillGroup, or its destructor just now),
  // so the directory holds what the kill left until the restart recovers
  // it. After a fault there is nothing to recover, so nothing to keep.
  std::optional<PackedCrashState> state;
  if (!found.fault) {
    // Unreadable (a symbolic link, a socket): no digest and nothing kept;
    // the case itself goes on.
    Result<std::optional<PackedCrashState>> read = PackDirectory(data_dir, kCrashFilesReadLimit);
    if (read.ok()) state = std::move(*read);
    if (state) r.crash_state = state->digest;
    Result<RecoveryOutcome> recovered = Recover(spec, data_dir, log, r);
    if (!recovered.ok()) return recovered.status();
    found = std::move(*recovered);
  }
  if (Status s = SigbusOnFullDisk(found.fault, spec.case_dir, "recovery"); !s.ok()) return s;
  Conclude(std::move(sent), std::move(found), log, start, r);
  if (r.violation && state && state->non_zero_bytes <= kCrashFilesLimit) {
    r.crash_files = std::move(state->packed);
  }
  return r;
}

Result<KillCaseResult> ReplayKillCase(const KillCaseSpec& spec, const faults::DirTree& state,
                                      std::size_t sent, std::size_t acked) {
  const auto start = Clock::now();
  if (Status s = MakeCaseDir(spec); !s.ok()) return s;
  const std::string data_dir = spec.case_dir + "/data";
  const std::string log = spec.case_dir + "/engine.stderr";

  KillCaseResult r = NewResult(spec);
  if (sent > r.workload.txns.size() || acked > sent) {
    return Status::Error(fmt::format(
        "the recorded case sent {} transaction(s) and had {} acknowledged, but its workload "
        "(seed {} case {}) has {}: give the --txns its campaign ran with, or, if it did, the "
        "results database is damaged",
        sent, acked, spec.seed, spec.case_index, r.workload.txns.size()));
  }
  AppendLog(log, "replay of the stored crash state of " + r.plan.ToString());
  if (Status s = faults::WriteDirTree(state, data_dir); !s.ok()) return s;
  r.crash_state = faults::DigestDirTree(state);
  r.sent = sent;
  r.acked = acked;
  Result<RecoveryOutcome> found = Recover(spec, data_dir, log, r);
  if (!found.ok()) return found.status();
  Conclude(std::vector<Txn>(r.workload.txns.begin(),
                            r.workload.txns.begin() + static_cast<std::ptrdiff_t>(sent)),
           std::move(*found), log, start, r);
  return r;
}

}  // namespace crashlab
