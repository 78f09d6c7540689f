#include "framework/power_loss_case.h"

#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "faults/crash_state.h"
#include "faults/persistence_model.h"
#include "faults/trace_file.h"
#include "framework/case_steps.h"
#include "framework/engine_client.h"
#include "framework/prng.h"

namespace crashlab {
namespace {

using Clock = CaseClock;

// What the controller asked, in order: each reply in the trace answers the
// request at the same position.
struct Request {
  bool is_txn = false;
  std::size_t txn = 0;
};

// The traced run: the whole workload, every reply awaited, then close. A
// fault here (hang, protocol error, an engine that fails without a crash) is
// the case's verdict.
std::optional<EngineFault> RecordRun(const PowerLossCaseSpec& spec, const std::string& data_dir,
                                     const std::string& trace_path, const std::string& log,
                                     PowerLossCaseResult& r, std::vector<Request>& requests,
                                     Status& setup_error) {
  Result<std::unique_ptr<EngineProcess>> started =
      EngineProcess::Start(spec.variant->argv, log,
                           {"LD_PRELOAD=" + spec.preload_path, "CRASHLAB_TRACE=" + trace_path,
                            "CRASHLAB_CASE_DIR=" + data_dir});
  if (!started.ok()) {
    setup_error = started.status();
    return std::nullopt;
  }
  EngineProcess& engine = **started;
  EngineClient client(engine, spec.deadline);
  auto fault = [&](const Exchange& e, const std::string& during) {
    engine.AwaitExitThenKill(e.kind == Exchange::kDied ? kExitGrace : Millis(0));
    return EngineFault{FaultVerdict(e), fmt::format("{} in the traced run: {} (engine {})", during,
                                                    e.message, engine.ExitDescription())};
  };
  HelloReply hello;
  if (Exchange e = client.Hello(hello); !e.ok()) return fault(e, "hello");
  requests.push_back({});
  if (Exchange e = client.Open(data_dir); !e.ok()) return fault(e, "open of the new database");
  requests.push_back({});
  for (std::size_t t = 0; t < r.workload.txns.size(); ++t) {
    const Txn& txn = r.workload.txns[t];
    if (txn.checkpoint_before) {
      bool supported = true;
      Exchange e = client.Checkpoint(supported);
      if (!e.ok() && e.kind != Exchange::kErr) return fault(e, "checkpoint");
      requests.push_back({});
    }
    if (Exchange e = client.SendTxn(txn); !e.ok())
      return fault(e, fmt::format("transaction {}", t));
    requests.push_back({true, t});
    Exchange e = client.AwaitTxnReply();
    if (!e.ok() && e.kind != Exchange::kErr) return fault(e, fmt::format("transaction {}", t));
  }
  if (Exchange e = client.Close(); !e.ok()) return fault(e, "close");
  engine.FinishGracefully(spec.deadline);
  return std::nullopt;
}

// The trace must explain the directory the traced run left: replaying every
// event must give the same files with the same bytes. A file it does not
// explain was written past the tracer (a static binary, io_uring, raw
// syscalls, stdio streams), and a crash state built from the trace would be
// fiction, so the case stops with an error instead of a verdict.
Status CheckTraceExplainsDirectory(const faults::Trace& trace, const std::string& data_dir) {
  Result<faults::DirTree> replayed = faults::ModelKill(trace, trace.events.size(), {});
  if (!replayed.ok()) return Status::Error("replaying the trace: " + replayed.status().message());
  Result<faults::DirTree> actual = faults::ReadDirTree(data_dir);
  if (!actual.ok()) return actual.status();
  std::vector<std::string> unexplained;
  for (const auto& [path, bytes] : actual->files) {
    auto it = replayed->files.find(path);
    if (it == replayed->files.end() || it->second != bytes) unexplained.push_back(path);
  }
  for (const auto& [path, bytes] : replayed->files) {
    if (actual->files.count(path) == 0) unexplained.push_back(path + " (gone)");
  }
  if (unexplained.empty()) return Status::Ok();
  std::string list;
  for (std::size_t i = 0; i < unexplained.size() && i < 5; ++i) {
    list += (i ? ", " : "") + unexplained[i];
  }
  return Status::Error(fmt::format(
      "the trace does not explain {} file(s) the traced run left in {} ({}): the engine changed "
      "them past libcrashlab_preload.so (static binary, io_uring, raw syscalls, stdio?), so no "
      "power-loss state built from this trace can be trusted; see docs/trace-format.md",
      unexplained.size(), data_dir, list));
}

}  // namespace

std::string PowerLossCaseResult::PlanText() const {
  return fmt::format("power-loss event={}/{} profile={} unit={} seed={}", plan.event, trace_events,
                     faults::ProfileName(plan.profile), plan.atomic_unit, plan.seed);
}

Result<PowerLossCaseResult> RunPowerLossCase(const PowerLossCaseSpec& spec) {
  const auto start = Clock::now();
  if (mkdir(spec.case_dir.c_str(), 0755) != 0) {
    return Status::Error("cannot create case directory " + spec.case_dir + ": " +
                         std::strerror(errno) + "; choose a new, writable --workdir");
  }
  const std::string data_dir = spec.case_dir + "/data";
  const std::string crash_dir = spec.case_dir + "/crash";
  const std::string trace_path = spec.case_dir + "/trace.bin";
  const std::string log = spec.case_dir + "/engine.stderr";

  PowerLossCaseResult r;
  r.workload = GenerateWorkload(spec.seed, spec.case_index);
  r.contract = spec.variant->ContractFor(CrashKind::kPowerLoss);
  OracleInput input;
  std::vector<Request> requests;
  Status setup = Status::Ok();
  input.fault = RecordRun(spec, data_dir, trace_path, log, r, requests, setup);
  if (!setup.ok()) return setup;
  r.workload_ms = MsSince(start);

  if (!input.fault) {
    Result<faults::Trace> trace = faults::ReadTraceFile(trace_path);
    if (!trace.ok()) return trace.status();
    if (trace->events.empty()) {
      return Status::Error("the traced run of " + spec.variant->name +
                           " recorded no file events under " + data_dir +
                           ": is the engine a static binary, or does it bypass libc (io_uring, raw "
                           "syscalls)? power-loss cases need its I/O in the trace");
    }
    r.trace_events = trace->events.size();
    if (Status s = CheckTraceExplainsDirectory(*trace, data_dir); !s.ok()) return s;
    Prng prng = Prng::ForCase(spec.seed, kCrashPlanStream, spec.case_index);
    // Half the crash points fall anywhere; the other half on a write, which
    // is then in flight and may tear: that is where torn-record and
    // torn-header bugs live, and a uniform draw rarely lands there.
    std::vector<uint64_t> writes;
    for (const faults::Event& e : trace->events) {
      if (e.kind == faults::EventKind::kWrite) writes.push_back(e.seq);
    }
    if (!writes.empty() && prng.Chance(1, 2)) {
      r.plan.event = writes[prng.Below(writes.size())];
    } else {
      r.plan.event = prng.Below(r.trace_events + 1);
    }
    r.plan.seed = prng.Next() >> 1;
    r.plan.atomic_unit = spec.atomic_unit;
    r.plan.profile = spec.profile;

    // Acknowledged before the crash point: replies written before event c,
    // matched to the requests in the order they were sent.
    std::size_t reply = 0;
    std::size_t last_txn_answered = 0;
    bool any_txn_answered = false;
    std::vector<bool> refused(r.workload.txns.size(), false);
    for (uint64_t i = 0; i < r.plan.event; ++i) {
      const faults::Event& e = trace->events[i];
      if (e.kind != faults::EventKind::kReply || reply >= requests.size()) continue;
      const Request& req = requests[reply++];
      if (!req.is_txn) continue;
      last_txn_answered = req.txn;
      any_txn_answered = true;
      if (e.name != "ok") refused[req.txn] = true;
    }
    r.acked = any_txn_answered ? last_txn_answered + 1 : 0;
    // The controller sends a transaction only after the previous reply, so
    // at most one more was in flight.
    r.sent = std::min(r.acked + 1, r.workload.txns.size());
    for (std::size_t t = 0; t < r.sent; ++t) {
      input.sent.push_back(r.workload.txns[t]);
      if (refused[t]) input.sent.back().ops.clear();
    }
    input.acked = r.acked;

    if (Status s = faults::BuildPowerLossState(*trace, r.plan, "", crash_dir); !s.ok()) {
      return Status::Error("building the power-loss state of " + spec.case_dir + ": " +
                           s.message());
    }
    const auto restart = Clock::now();
    Result<std::unique_ptr<EngineProcess>> engine = EngineProcess::Start(spec.variant->argv, log);
    if (!engine.ok()) return engine.status();
    bool killed_in_open = false;
    input.fault = VerifyRecovery(**engine, spec.deadline, crash_dir, "the power loss", restart,
                                 input, r.recovery_ms, killed_in_open);
  }
  r.judgement = Judge(input);
  if (!r.notes.empty()) r.judgement.details += " [" + r.notes + "]";
  r.violation = Violates(r.judgement.verdict, r.contract);
  r.total_ms = MsSince(start);
  r.stderr_tail = FileTail(log, 4096);
  return r;
}

}  // namespace crashlab
