#include "framework/case_steps.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "framework/protocol.h"

namespace crashlab {

double MsSince(CaseClock::time_point start) {
  return std::chrono::duration<double, std::milli>(CaseClock::now() - start).count();
}

std::string FileTail(const std::string& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string all = ss.str();
  if (all.size() > max_bytes) all = "...\n" + all.substr(all.size() - max_bytes);
  return all;
}

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::Error("error reading " + path);
  return ss.str();
}

Status WriteWholeFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  out.close();
  if (!out) return Status::Error("cannot write " + path + ": is its directory writable?");
  return Status::Ok();
}

void AppendLog(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::app) << "\n=== crashlab: " << text << " ===\n";
}

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

namespace {

EngineFault FaultOf(EngineProcess& engine, const Exchange& e, const std::string& during,
                    const std::string& what) {
  engine.AwaitExitThenKill(e.kind == Exchange::kDied ? kExitGrace : Millis(0));
  return EngineFault{
      FaultVerdict(e),
      fmt::format("{} after {}: {}{}", during, what, e.message,
                  e.kind == Exchange::kDied ? " (engine " + engine.ExitDescription() + ")" : "")};
}

}  // namespace

std::optional<EngineFault> VerifyDirectory(EngineProcess& engine, Millis deadline,
                                           const std::string& dir, const std::string& what,
                                           CaseClock::time_point start, OracleInput& input,
                                           double& recovery_ms, bool& killed_in_open) {
  killed_in_open = false;
  EngineClient client(engine, deadline);
  if (Exchange e = client.SendAhead("open " + protocol::Encode(dir) + "\ndump\ncheck\nclose\n", 4);
      !e.ok()) {
    return FaultOf(engine, e, "open (recovery)", what);
  }
  if (Exchange e = client.Open(dir); !e.ok()) {
    EngineFault f = FaultOf(engine, e, "open (recovery)", what);
    killed_in_open = e.kind == Exchange::kDied && engine.DiedOfSigkill();
    return f;
  }
  recovery_ms = MsSince(start);
  if (Exchange e = client.Dump(input.recovered, input.dump_error); !e.ok()) {
    return FaultOf(engine, e, "dump", what);
  }
  if (Exchange e = client.Check(input.check_error); !e.ok()) {
    return FaultOf(engine, e, "check", what);
  }
  if (Exchange e = client.Close(); !e.ok()) return FaultOf(engine, e, "close", what);
  return std::nullopt;
}

std::optional<EngineFault> VerifyRecovery(EngineProcess& engine, Millis deadline,
                                          const std::string& dir, const std::string& what,
                                          CaseClock::time_point start, OracleInput& input,
                                          double& recovery_ms, bool& killed_in_open) {
  killed_in_open = false;
  EngineClient client(engine, deadline);
  HelloReply hello;
  if (Exchange e = client.Hello(hello); !e.ok()) return FaultOf(engine, e, "hello", what);
  std::optional<EngineFault> fault =
      VerifyDirectory(engine, deadline, dir, what, start, input, recovery_ms, killed_in_open);
  if (!fault) engine.FinishGracefully(deadline);
  return fault;
}

}  // namespace crashlab
