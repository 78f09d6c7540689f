// crashlab-stdio-engine: an append-only log written through stdio (fopen,
// fwrite, fflush, fsync(fileno)), for the ptrace recorder (issue 19). libc
// writes a FILE's buffer from inside, where libcrashlab_preload.so sees
// nothing, so only a syscall-level recorder can trace it under power loss;
// under kill it works with any recorder or none.
//
// The log format is tests/log_record/log_record.h, in <dir>/log. Variants
// (variants.ini beside this file):
//   --mode=correct   fflush, then fsync of the log, before each `ok`; the
//                    directory fsynced after the log is created in it;
//   --mode=no-fsync  the planted bug: fflush only. The records reach the
//                    kernel (kill-safe) but not the disk, so a power loss
//                    loses acknowledged ones (lost-acked). It keeps the
//                    directory fsync, so that the bug is the file's alone.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "engines/adapter/adapter.h"
#include "engines/adapter/durable_dirs.h"
#include "framework/protocol/protocol.h"
#include "tests/log_record/log_record.h"

namespace crashlab::stdio_engine {
namespace {

// The exit status after an append whose outcome is unknown.
constexpr int kAmbiguousAppendExit = 3;

class StdioLogEngine final : public adapter::Engine {
 public:
  explicit StdioLogEngine(bool fsync_log) : fsync_log_(fsync_log) {}
  ~StdioLogEngine() override { (void)Close(); }

  std::string Name() const override { return "stdio"; }
  std::vector<std::string> Capabilities() const override { return {"reopen"}; }

  Status Open(const std::string& dir) override {
    if (Status s = engines::MakeDirsDurably(dir); !s.ok()) return s;
    path_ = dir + "/log";
    struct stat st;
    const bool existed = ::stat(path_.c_str(), &st) == 0;
    // "a+": reads from anywhere, every write appended (O_APPEND).
    log_ = std::fopen(path_.c_str(), "a+");
    if (log_ == nullptr) return Error("cannot open");
    // DURABILITY: the log's name must be durable before its first record
    // is acknowledged; fsync of the log alone does not make it so.
    if (!existed) {
      if (Status s = engines::SyncDir(dir); !s.ok()) return s;
    }
    std::string bytes;
    char buf[65536];
    std::rewind(log_);
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, log_)) > 0;) bytes.append(buf, n);
    if (std::ferror(log_)) return Error("cannot read");
    test_log::Recovered recovered = test_log::Replay(bytes);
    if (recovered.valid_bytes < bytes.size()) {
      // A torn or unsynced last record: cut, so that the next record follows
      // the last whole one rather than the debris recovery skips.
      // DURABILITY: in the correct mode synced, so that no later record is
      // appended after debris a second crash could bring back.
      if (::ftruncate(fileno(log_), static_cast<off_t>(recovered.valid_bytes)) != 0 ||
          (fsync_log_ && ::fsync(fileno(log_)) != 0)) {
        return Error("cannot cut the torn tail of");
      }
    }
    // C stdio asks for a positioning call between reading and writing a
    // stream; the writes append (O_APPEND) wherever it points.
    if (std::fseek(log_, 0, SEEK_END) != 0) return Error("cannot seek in");
    state_ = std::move(recovered.state);
    return Status::Ok();
  }

  Status Commit(const std::vector<adapter::Op>& ops) override {
    std::vector<std::string> lines;
    test_log::State next = state_;
    for (const adapter::Op& op : ops) {
      std::string line = (op.is_put ? "put " : "del ") + protocol::Encode(op.key);
      if (op.is_put) line += " " + protocol::Encode(op.value);
      (void)test_log::ApplyOp(line, next);  // well-formed: built just above
      lines.push_back(std::move(line));
    }
    const std::string record = test_log::EncodeRecord(lines);
    // The buffer may reach the file in several write(2) calls, or partly
    // before fflush; recovery's checksum rejects any part of a record.
    const bool written = std::fwrite(record.data(), 1, record.size(), log_) == record.size() &&
                         std::fflush(log_) == 0;
    // DURABILITY: the record is acknowledged when this returns; without the
    // fsync (the no-fsync bug) a power loss can lose it after its `ok`.
    const bool synced = written && (!fsync_log_ || ::fsync(fileno(log_)) == 0);
    if (!synced) {
      // Part of the record may be in the file: `err` would promise it is not.
      std::fprintf(stderr, "crashlab-stdio-engine: appending to %s failed: %s; exiting\n",
                   path_.c_str(), std::strerror(errno));
      std::fflush(stderr);
      std::_Exit(kAmbiguousAppendExit);
    }
    state_ = std::move(next);
    return Status::Ok();
  }

  Result<std::optional<std::string>> Get(const std::string& key) override {
    auto it = state_.find(protocol::Encode(key));
    if (it == state_.end()) return std::optional<std::string>();
    Result<std::string> value = protocol::Decode(it->second);
    if (!value.ok()) return value.status();
    return std::optional<std::string>(std::move(value.value()));
  }

  Result<std::vector<std::pair<std::string, std::string>>> Dump() override {
    std::vector<std::pair<std::string, std::string>> pairs;
    for (const auto& [key, value] : state_) {
      Result<std::string> k = protocol::Decode(key), v = protocol::Decode(value);
      if (!k.ok() || !v.ok()) return Status::Error("a record in " + path_ + " is not encoded");
      pairs.emplace_back(std::move(k.value()), std::move(v.value()));
    }
    return pairs;
  }

  Status Close() override {
    if (log_ != nullptr && std::fclose(log_) != 0) {
      log_ = nullptr;
      return Error("cannot close");
    }
    log_ = nullptr;
    return Status::Ok();
  }

 private:
  Status Error(const std::string& action) const {
    return Status::Error(action + " " + path_ + ": " + std::strerror(errno));
  }

  const bool fsync_log_;
  std::string path_;
  std::FILE* log_ = nullptr;
  test_log::State state_;
};

}  // namespace
}  // namespace crashlab::stdio_engine

int main(int argc, char** argv) {
  const std::string mode = argc == 2 ? argv[1] : "";
  if (mode != "--mode=correct" && mode != "--mode=no-fsync") {
    std::fprintf(stderr, "usage: crashlab-stdio-engine --mode=correct|--mode=no-fsync\n");
    return 2;
  }
  crashlab::stdio_engine::StdioLogEngine engine(mode == "--mode=correct");
  return crashlab::adapter::Serve(engine, stdin, stdout);
}
