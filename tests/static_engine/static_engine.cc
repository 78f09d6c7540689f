// crashlab-static-engine: a tiny engine linked with -static, which
// LD_PRELOAD cannot reach: the test that crashlab names such a binary before
// any traced case (tests/untraceable_engine_test.cc), and a static binary for
// the ptrace recorder to trace (tests/ptrace_engines_test.cc, issue 19).
//
// An append-only log (tests/log_record/log_record.h) in <dir>/log, each
// transaction one record written with one write() and made durable with
// fdatasync before its `ok`; recovery replays the whole records and cuts the
// rest. Variants (variants.ini beside this file):
//   (no option)    correct: also fsyncs the parent of the directory it makes,
//                  and the directory after creating the log in it;
//   --no-dirsync   the planted bug: never fsyncs the directory holding the
//                  log, so a power loss can lose the log's name with every
//                  acknowledged record in it (lost-acked).
// Standalone (no crashlab library, which links shared ones), protocol v1 by
// docs/engine-protocol.md; each reply leaves in one write(2) to fd 1.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "tests/log_record/log_record.h"

namespace {

using crashlab::test_log::State;

bool sync_dirs = true;
State state;
int log_fd = -1;

// fsyncs the directory `dir`; false on failure.
bool SyncDir(const std::string& dir) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  // DURABILITY: makes the names in `dir` durable (the callers say which).
  const bool ok = fsync(fd) == 0;
  close(fd);
  return ok;
}

std::string Open(const std::string& dir) {
  if (log_fd >= 0) return "err already open; send close first";
  if (mkdir(dir.c_str(), 0755) == 0) {
    const std::size_t slash = dir.find_last_of('/');
    const std::string parent = slash == std::string::npos ? "." : dir.substr(0, slash + 1);
    // DURABILITY: without it a power loss could drop the new directory and
    // the log in it; the planted bug is about the log's name only.
    if (!SyncDir(parent)) return "err cannot sync " + parent + ": " + std::strerror(errno);
  } else if (errno != EEXIST) {
    return "err cannot create " + dir + ": " + std::strerror(errno);
  }
  const std::string path = dir + "/log";
  bool created = false;
  log_fd = open(path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
  if (log_fd < 0 && errno == ENOENT) {
    log_fd = open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    created = true;
  }
  if (log_fd < 0) return "err cannot open " + path + ": " + std::strerror(errno);
  // DURABILITY: the log's name must be durable before the first record in
  // it is acknowledged; fdatasync of the log alone does not make it so.
  if (created && sync_dirs && !SyncDir(dir)) {
    return "err cannot sync " + dir + ": " + std::strerror(errno);
  }
  std::string bytes;
  char buf[65536];
  for (ssize_t n; (n = pread(log_fd, buf, sizeof buf, static_cast<off_t>(bytes.size()))) > 0;) {
    bytes.append(buf, static_cast<std::size_t>(n));
  }
  crashlab::test_log::Recovered recovered = crashlab::test_log::Replay(bytes);
  if (recovered.valid_bytes < bytes.size()) {
    // A torn or unsynced last record: cut it, so that the next record
    // follows the last whole one rather than the debris recovery skips.
    // DURABILITY: synced, so that no later record is ever appended after
    // debris that a second crash could bring back.
    if (ftruncate(log_fd, static_cast<off_t>(recovered.valid_bytes)) != 0 ||
        fdatasync(log_fd) != 0) {
      return "err cannot cut the torn tail of " + path + ": " + std::strerror(errno);
    }
  }
  state = std::move(recovered.state);
  return "ok";
}

std::string Txn(const std::string& count) {
  std::size_t n = 0;
  for (char c : count) {
    if (c < '0' || c > '9' || n > 10000) return "err bad operation count";
    n = n * 10 + static_cast<std::size_t>(c - '0');
  }
  if (n == 0 || n > 10000) return "err operation count must be 1..10000";
  std::vector<std::string> ops(n);
  State next = state;
  bool bad = false;
  for (std::string& op : ops) {
    // Input ended inside a transaction (a last line without its newline
    // included): nothing of it is committed.
    if (!std::getline(std::cin, op) || std::cin.eof()) std::exit(0);
    bad = bad || !crashlab::test_log::ApplyOp(op, next);
  }
  if (bad) return "err bad operation";
  if (log_fd < 0) return "err no database open; send open first";
  const std::string record = crashlab::test_log::EncodeRecord(ops);
  // One write: a kill leaves the record whole or torn, never interleaved.
  if (write(log_fd, record.data(), record.size()) != static_cast<ssize_t>(record.size())) {
    std::cerr << "static engine: append failed with an unknown outcome; exiting\n";
    std::exit(3);
  }
  // DURABILITY: the record is acknowledged below; without this a power loss
  // could lose it after its `ok`.
  if (fdatasync(log_fd) != 0) {
    std::cerr << "static engine: fdatasync failed: " << std::strerror(errno) << "; exiting\n";
    std::exit(3);
  }
  state = std::move(next);
  return "ok";
}

std::string Handle(const std::string& line) {
  if (line == "hello") return "ok crashlab-engine 1 static\n";
  if (line.rfind("open ", 0) == 0) return Open(line.substr(5)) + "\n";
  if (line.rfind("txn ", 0) == 0) return Txn(line.substr(4)) + "\n";
  if (log_fd < 0 && line != "close") return "err no database open; send open first\n";
  if (line.rfind("get ", 0) == 0) {
    auto it = state.find(line.substr(4));
    return it == state.end() ? "none\n" : "val " + it->second + "\n";
  }
  if (line == "dump") return crashlab::test_log::DumpReply(state);
  if (line == "check" || line == "checkpoint") return "unsupported\n";
  if (line == "close") {
    if (log_fd >= 0) close(log_fd);
    log_fd = -1;
    return "ok\n";
  }
  return "err unknown request\n";
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--no-dirsync") {
      sync_dirs = false;
    } else if (arg.rfind("--", 0) != 0) {
      // Not an option: the script path the kernel passes to a #! interpreter
      // (untraceable_engine_test.cc runs a script whose interpreter is this).
    } else {
      std::cerr << "static engine: unknown option " << argv[i] << "; valid: --no-dirsync\n";
      return 2;
    }
  }
  // A last line without its newline is dropped: the controller died while
  // writing it.
  for (std::string line; std::getline(std::cin, line) && !std::cin.eof();) {
    const std::string reply = Handle(line);
    if (write(STDOUT_FILENO, reply.data(), reply.size()) != static_cast<ssize_t>(reply.size())) {
      return 1;
    }
  }
  return 0;
}
