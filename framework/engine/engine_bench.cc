#include "framework/engine/engine_bench.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "framework/engine/engine_client.h"
#include "framework/plan/workload.h"

namespace crashlab {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// One pass: start `argv`, open `dir`, commit `txns` transactions, close.
Result<double> Drive(const std::vector<std::string>& argv, const std::string& dir, uint64_t seed,
                     int64_t txns, Millis deadline, const std::string& log,
                     const std::vector<std::string>& env = {}) {
  Result<std::unique_ptr<EngineProcess>> process = EngineProcess::Start(argv, log, env);
  if (!process.ok()) return process.status();
  EngineClient client(**process, deadline);
  HelloReply hello;
  auto failed = [&](const Exchange& e, const std::string& during) {
    return Status::Error(fmt::format("{} failed: {} (engine log: {})", during, e.message, log));
  };
  if (Exchange e = client.Hello(hello); !e.ok()) return failed(e, "hello");
  if (Exchange e = client.Open(dir); !e.ok()) return failed(e, "open");
  const auto start = Clock::now();
  int64_t done = 0;
  for (uint64_t case_index = 0; done < txns; ++case_index) {
    for (const Txn& txn : GenerateWorkload(seed, case_index).txns) {
      if (done == txns) break;
      if (Exchange e = client.SendTxn(txn); !e.ok()) return failed(e, "sending a transaction");
      if (Exchange e = client.AwaitTxnReply(); !e.ok()) return failed(e, "a transaction");
      ++done;
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (Exchange e = client.Close(); !e.ok()) return failed(e, "close");
  (*process)->FinishGracefully(deadline);
  return seconds;
}

bool OnPath(const std::string& program) {
  for (const char* dir : {"/usr/bin/", "/bin/", "/usr/local/bin/"}) {
    if (access((std::string(dir) + program).c_str(), X_OK) == 0) return true;
  }
  return false;
}

// The fd a traced call acts on: the number after '(' in "pwrite64(5, ...".
std::optional<int> FirstArgFd(const std::string& line, std::size_t paren) {
  std::size_t i = paren + 1;
  int fd = 0;
  bool any = false;
  while (i < line.size() && line[i] >= '0' && line[i] <= '9') {
    fd = fd * 10 + (line[i++] - '0');
    any = true;
  }
  return any ? std::optional<int>(fd) : std::nullopt;
}

}  // namespace

void Summarize(Timings& t) {
  if (t.runs.empty()) return;
  std::vector<double> sorted = t.runs;
  std::sort(sorted.begin(), sorted.end());
  const std::size_t n = sorted.size();
  t.median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  t.fastest = sorted.front();
  t.slowest = sorted.back();
}

int64_t CountSyncs(const std::string& strace_log) {
  std::istringstream in(strace_log);
  std::string line;
  std::set<int> dsync_fds;
  int64_t syncs = 0;
  static const std::set<std::string> kSyncCalls{"fsync", "fdatasync", "sync_file_range", "syncfs",
                                                "sync"};
  static const std::set<std::string> kWrites{"write", "pwrite64", "writev", "pwritev", "pwritev2"};
  while (std::getline(in, line)) {
    // "1234 name(args) = result": skip the pid, find the call name.
    std::size_t start = line.find_first_not_of("0123456789 ");
    const std::size_t paren = line.find('(', start);
    if (start == std::string::npos || paren == std::string::npos) continue;
    const std::string call = line.substr(start, paren - start);
    const std::size_t eq = line.rfind(" = ");
    if (eq == std::string::npos || line.compare(eq + 3, 1, "-") == 0) continue;  // failed call
    if (call == "openat" || call == "open") {
      if (line.find("O_DSYNC") != std::string::npos || line.find("O_SYNC") != std::string::npos) {
        dsync_fds.insert(std::atoi(line.c_str() + eq + 3));
      }
    } else if (call == "close") {
      if (auto fd = FirstArgFd(line, paren)) dsync_fds.erase(*fd);
    } else if (kSyncCalls.count(call) != 0) {
      ++syncs;
    } else if (call == "msync") {
      if (line.find("MS_SYNC") != std::string::npos) ++syncs;
    } else if (kWrites.count(call) != 0) {
      if (auto fd = FirstArgFd(line, paren); fd && dsync_fds.count(*fd) != 0) ++syncs;
    }
  }
  return syncs;
}

Result<BenchResult> BenchVariant(const VariantSpec& variant, uint64_t seed, int64_t txns,
                                 const std::string& scratch_dir, Millis deadline,
                                 const Recorder* recorders, int rounds) {
  BenchResult result;
  const std::string base = scratch_dir + "/" + variant.name;
  std::error_code ec;
  fs::create_directories(base, ec);
  const bool preload_reaches =
      ChooseRecorder(RecorderKind::kAuto, variant.argv).kind == RecorderKind::kPreload;
  std::vector<RecorderKind> kinds;
  for (RecorderKind kind : {RecorderKind::kPreload, RecorderKind::kPtrace}) {
    if (recorders == nullptr || (kind == RecorderKind::kPreload && !preload_reaches)) continue;
    if (Status s = CheckRecorderRuns(*recorders, kind); !s.ok()) return s;
    kinds.push_back(kind);
  }
  for (int round = 0; round < std::max(rounds, 1); ++round) {
    // A fresh directory per pass: each pass starts from an empty database.
    const std::string suffix = round == 0 ? "" : "-" + std::to_string(round);
    Result<double> timed = Drive(variant.argv, base + "/timed" + suffix, seed, txns, deadline,
                                 base + "/timed" + suffix + ".log");
    if (!timed.ok()) return timed.status();
    result.plain.runs.push_back(*timed);
    for (RecorderKind kind : kinds) {
      const std::string name = std::string(RecorderName(kind)) + suffix;
      const std::string dir = base + "/under-" + name;
      const std::string trace = base + "/" + name + ".trace";
      fs::remove(trace, ec);
      const RecordedCommand command = UnderRecorder(
          *recorders, kind, variant.argv, {"CRASHLAB_TRACE=" + trace, "CRASHLAB_CASE_DIR=" + dir});
      Result<double> under = Drive(command.argv, dir, seed, txns, deadline,
                                   base + "/under-" + name + ".log", command.env);
      if (!under.ok()) return under.status();
      (kind == RecorderKind::kPreload ? result.preload : result.ptrace).runs.push_back(*under);
    }
  }
  for (Timings* t : {&result.plain, &result.preload, &result.ptrace}) Summarize(*t);
  result.commits = txns;
  result.seconds = result.plain.median;
  result.commits_per_second = result.seconds > 0 ? static_cast<double>(txns) / result.seconds : 0;
  if (!result.preload.runs.empty()) result.traced_seconds = result.preload.median;
  if (!result.ptrace.runs.empty()) result.ptrace_seconds = result.ptrace.median;
  if (OnPath("strace")) {
    std::vector<std::string> traced{"strace",
                                    "-f",
                                    "-qq",
                                    "-o",
                                    base + "/strace.log",
                                    "-e",
                                    "trace=open,openat,close,write,pwrite64,writev,pwritev,"
                                    "pwritev2,fsync,fdatasync,msync,sync_file_range,syncfs,sync"};
    traced.insert(traced.end(), variant.argv.begin(), variant.argv.end());
    Result<double> counted =
        Drive(traced, base + "/traced", seed, txns, deadline * 10, base + "/traced.log");
    if (!counted.ok()) return counted.status();
    std::ifstream log(base + "/strace.log");
    std::stringstream text;
    text << log.rdbuf();
    result.syncs_per_commit =
        static_cast<double>(CountSyncs(text.str())) / static_cast<double>(txns);
  }
  return result;
}

}  // namespace crashlab
