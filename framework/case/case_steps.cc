#include "framework/case/case_steps.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include <fmt/format.h>

#include "framework/protocol/protocol.h"

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

std::optional<uint64_t> FreeBytes(const std::string& path) {
  struct statvfs fs {};
  if (statvfs(path.c_str(), &fs) != 0) return std::nullopt;
  return static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
}

uint64_t DiskFootprint(const std::string& path) {
  namespace fs = std::filesystem;
  auto allocated = [](const fs::path& p) -> uint64_t {
    struct stat st {};
    if (lstat(p.c_str(), &st) != 0) return 0;
    return static_cast<uint64_t>(st.st_blocks) * 512;  // st_blocks counts 512-byte units
  };
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(path, ec))) return 0;
  uint64_t total = allocated(path);
  for (auto it = fs::recursive_directory_iterator(path, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    total += allocated(it->path());
  }
  return total;
}

namespace {
constexpr std::string_view kFullDiskPrefix = "the file system of ";
constexpr std::string_view kFullDiskMark = " ran out of space: ";
}  // namespace

Status FullDiskError(const std::string& case_dir, const std::string& how, uint64_t more_bytes) {
  const uint64_t needed = DiskFootprint(case_dir) + more_bytes;
  const std::optional<uint64_t> free_bytes = FreeBytes(case_dir);
  return Status::Error(fmt::format(
      "{}{}{}{}. The case's verdict would judge how the engine copes with a full disk, not its "
      "recovery, so it was not recorded. A case there needs more than the {} KiB this one took "
      "({} KiB are free now): free space there, raise the quota, or give --workdir a file "
      "system with room",
      kFullDiskPrefix, case_dir, kFullDiskMark, how, (needed + 1023) / 1024,
      free_bytes ? std::to_string(*free_bytes / 1024) : std::string("?")));
}

bool IsFullDiskError(const Status& s) {
  return s.message().rfind(kFullDiskPrefix, 0) == 0 &&
         s.message().find(kFullDiskMark) != std::string::npos;
}

Status SigbusOnFullDisk(const std::optional<EngineFault>& fault, const std::string& case_dir,
                        const std::string& during) {
  if (!fault || fault->signal != SIGBUS) return Status::Ok();
  const std::optional<uint64_t> free_bytes = FreeBytes(case_dir);
  if (!free_bytes || *free_bytes >= kFullBelowBytes) return Status::Ok();
  return FullDiskError(
      case_dir,
      fmt::format("the engine died of SIGBUS during {} with {} KiB free, which is what a store "
                  "through a mapping gets when no block is left for its page",
                  during, *free_bytes / 1024),
      kFullBelowBytes);
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
                  e.kind == Exchange::kDied ? " (engine " + engine.ExitDescription() + ")" : ""),
      e.kind == Exchange::kDied ? engine.TermSignal() : 0};
}

}  // namespace

RecoveryOutcome VerifyDirectory(EngineProcess& engine, Millis deadline, const std::string& dir,
                                const std::string& what, CaseClock::time_point start) {
  RecoveryOutcome found;
  EngineClient client(engine, deadline);
  if (Exchange e = client.SendAhead("open " + protocol::Encode(dir) + "\ndump\ncheck\nclose\n", 4);
      !e.ok()) {
    found.fault = FaultOf(engine, e, "open (recovery)", what);
    return found;
  }
  if (Exchange e = client.Open(dir); !e.ok()) {
    found.fault = FaultOf(engine, e, "open (recovery)", what);
    found.killed_in_open = e.kind == Exchange::kDied && engine.DiedOfSigkill();
    return found;
  }
  found.recovery_ms = MsSince(start);
  if (Exchange e = client.Dump(found.recovered, found.dump_error); !e.ok()) {
    found.fault = FaultOf(engine, e, "dump", what);
    return found;
  }
  if (Exchange e = client.Check(found.check_error); !e.ok()) {
    found.fault = FaultOf(engine, e, "check", what);
    return found;
  }
  if (Exchange e = client.Close(); !e.ok()) found.fault = FaultOf(engine, e, "close", what);
  return found;
}

RecoveryOutcome VerifyRecovery(EngineProcess& engine, Millis deadline, const std::string& dir,
                               const std::string& what, CaseClock::time_point start) {
  EngineClient client(engine, deadline);
  HelloReply hello;
  if (Exchange e = client.Hello(hello); !e.ok()) {
    RecoveryOutcome found;
    found.fault = FaultOf(engine, e, "hello", what);
    return found;
  }
  RecoveryOutcome found = VerifyDirectory(engine, deadline, dir, what, start);
  if (!found.fault) engine.FinishGracefully(deadline);
  return found;
}

}  // namespace crashlab
