#include "framework/kill_case.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "framework/engine_client.h"

namespace crashlab {
namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string Tail(const std::string& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string all = ss.str();
  if (all.size() > max_bytes) all = "...\n" + all.substr(all.size() - max_bytes);
  return all;
}

void AppendLog(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::app) << "\n=== crashlab: " << text << " ===\n";
}

// The verdict when an exchange fails: an engine that errs or dies where it
// must answer (hello, open, dump, check, close) failed to recover.
Verdict FaultVerdict(const Exchange& e) {
  switch (e.kind) {
    case Exchange::kHang:
      return Verdict::kHang;
    case Exchange::kProtocolError:
      return Verdict::kProtocolError;
    default:
      return Verdict::kRecoveryFailed;
  }
}

// Drives the workload up to the kill. Returns a fault when the engine could
// not be driven to the crash point (then there is nothing to recover).
std::optional<EngineFault> DriveUntilKill(const KillCaseSpec& spec, EngineProcess& engine,
                                          const std::string& data_dir, KillCaseResult& r,
                                          std::vector<Txn>& committed_or_in_flight) {
  EngineClient client(engine, spec.deadline);
  auto fault = [&](const Exchange& e, const std::string& during) {
    engine.KillGroup();
    const Verdict v = e.kind == Exchange::kHang            ? Verdict::kHang
                      : e.kind == Exchange::kProtocolError ? Verdict::kProtocolError
                                                           : Verdict::kRecoveryFailed;
    return EngineFault{v, fmt::format("{} before the crash point: {} (engine {})", during,
                                      e.message, engine.ExitDescription())};
  };

  HelloReply hello;
  if (Exchange e = client.Hello(hello); !e.ok()) return fault(e, "hello");
  if (Exchange e = client.Open(data_dir); !e.ok()) return fault(e, "open of the new database");

  for (std::size_t t = 0; t <= r.plan.txn; ++t) {
    const Txn& txn = r.workload.txns[t];
    if (txn.checkpoint_before) {
      bool supported = true;
      Exchange e = client.Checkpoint(supported);
      if (e.kind == Exchange::kErr) {
        r.notes += fmt::format("checkpoint before transaction {} answered err {}; ", t, e.message);
      } else if (!e.ok() && e.kind != Exchange::kDied) {
        return fault(e, fmt::format("checkpoint before transaction {}", t));
      }
    }
    if (Exchange e = client.SendTxn(txn); !e.ok()) {
      if (e.kind != Exchange::kDied) return fault(e, fmt::format("sending transaction {}", t));
      r.notes += fmt::format("the engine died by itself while receiving transaction {} ({}); ", t,
                             engine.ExitDescription());
      return std::nullopt;  // a crash is a crash: recover from here
    }
    committed_or_in_flight.push_back(txn);
    ++r.sent;
    if (t == r.plan.txn) break;  // the in-flight transaction: kill below
    Exchange e = client.AwaitTxnReply();
    if (e.kind == Exchange::kErr) {
      // An engine that refused a transaction must not show any of it.
      committed_or_in_flight.pop_back();
      r.notes += fmt::format("transaction {} answered {}; ", t, e.message);
      continue;
    }
    if (e.kind == Exchange::kDied) {
      engine.KillGroup();
      r.notes += fmt::format("the engine died by itself during transaction {} ({}); ", t,
                             engine.ExitDescription());
      return std::nullopt;
    }
    if (!e.ok()) return fault(e, fmt::format("transaction {}", t));
    r.acked = committed_or_in_flight.size();
  }
  // The kill: wait the planned delay (or less, if the engine dies), then
  // SIGKILL the group. An `ok` already in the pipe was acknowledged.
  const auto until = Clock::now() + std::chrono::microseconds(r.plan.delay_us);
  while (Clock::now() < until) {
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(until - Clock::now());
    if (left.count() <= 0) break;
    usleep(static_cast<useconds_t>(std::min<int64_t>(left.count(), 1000)));
  }
  engine.KillGroup();
  const std::vector<std::string> late = engine.DrainLines();
  if (!late.empty()) {
    if (EngineClient::IsAck(late[0])) {
      r.acked = committed_or_in_flight.size();
    } else if (late[0].rfind("err", 0) == 0) {
      committed_or_in_flight.pop_back();
      r.notes += fmt::format("transaction {} answered {}; ", r.plan.txn, late[0]);
    } else {
      return EngineFault{Verdict::kProtocolError, fmt::format("unexpected reply to txn: '{}'",
                                                              protocol::Readable(late[0], 120))};
    }
  }
  return std::nullopt;
}

// Starts the engine on the crashed directory: open (recovery), dump, check.
std::optional<EngineFault> Recover(const KillCaseSpec& spec, EngineProcess& engine,
                                   const std::string& data_dir, OracleInput& input,
                                   Clock::time_point start, double& recovery_ms) {
  EngineClient client(engine, spec.deadline);
  auto fault = [&](const Exchange& e, const std::string& during) {
    engine.KillGroup();
    return EngineFault{
        FaultVerdict(e),
        fmt::format("{} after the crash: {}{}", during, e.message,
                    e.kind == Exchange::kDied ? " (engine " + engine.ExitDescription() + ")" : "")};
  };
  HelloReply hello;
  if (Exchange e = client.Hello(hello); !e.ok()) return fault(e, "hello");
  if (Exchange e = client.Open(data_dir); !e.ok()) return fault(e, "open (recovery)");
  recovery_ms = MsSince(start);
  if (Exchange e = client.Dump(input.recovered); !e.ok()) return fault(e, "dump");
  if (Exchange e = client.Check(input.check_error); !e.ok()) return fault(e, "check");
  if (Exchange e = client.Close(); !e.ok()) return fault(e, "close");
  engine.FinishGracefully(spec.deadline);
  return std::nullopt;
}

}  // namespace

Result<KillCaseResult> RunKillCase(const KillCaseSpec& spec) {
  const auto start = Clock::now();
  if (mkdir(spec.case_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return Status::Error("cannot create case directory " + spec.case_dir + ": " +
                         std::strerror(errno) + "; choose a writable --workdir");
  }
  const std::string data_dir = spec.case_dir + "/data";
  const std::string log = spec.case_dir + "/engine.stderr";

  KillCaseResult r;
  r.workload = GenerateWorkload(spec.seed, spec.case_index);
  r.plan = PlanKill(spec.seed, spec.case_index, r.workload.txns.size());
  r.contract = spec.variant->ContractFor(CrashKind::kKill);

  OracleInput input;
  AppendLog(log, "run until the kill: " + r.plan.ToString());
  {
    Result<std::unique_ptr<EngineProcess>> engine = EngineProcess::Start(spec.variant->argv, log);
    if (!engine.ok()) return engine.status();
    input.fault = DriveUntilKill(spec, **engine, data_dir, r, input.sent);
  }
  r.workload_ms = MsSince(start);
  if (!input.fault) {
    AppendLog(log, "restart: recovery, dump, check");
    const auto restart = Clock::now();
    Result<std::unique_ptr<EngineProcess>> engine = EngineProcess::Start(spec.variant->argv, log);
    if (!engine.ok()) return engine.status();
    input.fault = Recover(spec, **engine, data_dir, input, restart, r.recovery_ms);
  }
  input.acked = r.acked;
  r.judgement = Judge(input);
  if (!r.notes.empty()) r.judgement.details += " [" + r.notes.substr(0, r.notes.size() - 2) + "]";
  r.violation = Violates(r.judgement.verdict, r.contract);
  r.total_ms = MsSince(start);
  r.stderr_tail = Tail(log, 4096);
  return r;
}

}  // namespace crashlab
