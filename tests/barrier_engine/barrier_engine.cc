// crashlab-barrier-engine: a key-value engine of one append-only log, for
// crashlab's tests of log barriers. Each transaction is one record,
//   u32 checksum (FNV-1a of length and body) | u32 body length | body
// with a body of operations ('P' key value or 'D' key, each string prefixed
// by its u32 length). Open replays the whole records and cuts off the rest.
// A commit appends its record, then calls the log barrier, then is
// acknowledged:
//   --barrier=fdatasync        correct: the record is on disk when acknowledged
//   --barrier=sync-file-range  the bug: sync_file_range writes the range back
//                              but flushes neither the size nor the device
//                              cache, so an acknowledged record can vanish
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>

#include "engines/adapter/adapter.h"
#include "engines/adapter/durable_dirs.h"

namespace crashlab::barrier {
namespace {

uint32_t Fnv1a(const char* p, std::size_t n) {
  uint32_t h = 2166136261u;
  for (std::size_t i = 0; i < n; ++i) h = (h ^ static_cast<unsigned char>(p[i])) * 16777619u;
  return h;
}

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

void PutString(std::string& out, const std::string& s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out += s;
}

// Reads a u32 at `pos` of `in`, advancing `pos`; false past the end.
bool GetU32(const std::string& in, std::size_t& pos, uint32_t& v) {
  if (in.size() < 4 || pos > in.size() - 4) return false;
  v = 0;
  for (int i = 0; i < 4; ++i) {
    v |= static_cast<uint32_t>(static_cast<unsigned char>(in[pos + i])) << (8 * i);
  }
  pos += 4;
  return true;
}

bool GetString(const std::string& in, std::size_t& pos, std::string& out) {
  uint32_t n = 0;
  if (!GetU32(in, pos, n) || n > in.size() - pos) return false;
  out.assign(in, pos, n);
  pos += n;
  return true;
}

// Applies the record body `body` to `state`; false if it does not parse.
bool ApplyBody(const std::string& body, std::map<std::string, std::string>& state) {
  std::map<std::string, std::string> next = state;
  std::size_t pos = 0;
  while (pos < body.size()) {
    const char kind = body[pos++];
    std::string key, value;
    if (!GetString(body, pos, key)) return false;
    if (kind == 'P') {
      if (!GetString(body, pos, value)) return false;
      next[key] = value;
    } else if (kind == 'D') {
      next.erase(key);
    } else {
      return false;
    }
  }
  state = std::move(next);
  return true;
}

Status Errno(const std::string& what, const std::string& path) {
  return Status::Error(what + " " + path + ": " + std::strerror(errno) +
                       "; check the directory's permissions and free space");
}

class BarrierEngine : public adapter::Engine {
 public:
  explicit BarrierEngine(bool fdatasync_barrier) : fdatasync_barrier_(fdatasync_barrier) {}
  ~BarrierEngine() override { (void)Close(); }

  std::string Name() const override {
    return fdatasync_barrier_ ? "barrier-fdatasync" : "barrier-sync-file-range";
  }
  std::vector<std::string> Capabilities() const override { return {"reopen"}; }

  Status Open(const std::string& dir) override {
    if (Status s = engines::MakeDirsDurably(dir); !s.ok()) return s;
    path_ = dir + "/log";
    fd_ = open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) return Errno("cannot open", path_);
    std::string file;
    char buf[65536];
    ssize_t n;
    while ((n = read(fd_, buf, sizeof buf)) > 0) file.append(buf, static_cast<std::size_t>(n));
    if (n < 0) return Errno("cannot read", path_);
    state_.clear();
    size_ = 0;
    while (true) {
      std::size_t pos = size_;
      uint32_t checksum = 0, length = 0;
      if (!GetU32(file, pos, checksum) || !GetU32(file, pos, length)) break;
      if (length > file.size() - pos) break;
      if (Fnv1a(file.data() + size_ + 4, 4 + length) != checksum) break;
      if (!ApplyBody(file.substr(pos, length), state_)) break;
      size_ = pos + length;
    }
    // Recovery: the next record goes where the last whole one ended.
    if (size_ != file.size() && ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
      return Errno("cannot truncate", path_);
    }
    // DURABILITY: the cut must be on disk before records are appended after
    // it; otherwise a power loss could bring back the torn tail between old
    // and new records, and replay would stop there, losing the new ones.
    if (fdatasync(fd_) != 0) return Errno("cannot sync", path_);
    // DURABILITY: the log's name must be in its directory on disk before a
    // record in it is acknowledged, or a power loss drops the whole log.
    return engines::SyncDir(dir);
  }

  Status Commit(const std::vector<adapter::Op>& ops) override {
    std::string body;
    for (const adapter::Op& op : ops) {
      body.push_back(op.is_put ? 'P' : 'D');
      PutString(body, op.key);
      if (op.is_put) PutString(body, op.value);
    }
    std::string record(4, '\0');
    PutU32(record, static_cast<uint32_t>(body.size()));
    record += body;
    const uint32_t checksum = Fnv1a(record.data() + 4, record.size() - 4);
    for (int i = 0; i < 4; ++i) record[i] = static_cast<char>((checksum >> (8 * i)) & 0xFF);
    std::size_t done = 0;
    while (done < record.size()) {
      const ssize_t n =
          pwrite(fd_, record.data() + done, record.size() - done, static_cast<off_t>(size_ + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Errno("cannot write", path_);
      done += static_cast<std::size_t>(n);
    }
    if (fdatasync_barrier_) {
      // DURABILITY: the transaction is acknowledged after this returns, so
      // its record and the log's new size must be on disk first.
      if (fdatasync(fd_) != 0) return Errno("cannot sync", path_);
    } else {
      // DURABILITY (the planted bug): sync_file_range waits for the range's write-back but
      // commits neither the new size nor the device's cache, so the
      // acknowledged record may be gone after a power loss.
      const unsigned flags =
          SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER;
      if (sync_file_range(fd_, static_cast<off64_t>(size_), static_cast<off64_t>(record.size()),
                          flags) != 0) {
        return Errno("cannot sync_file_range", path_);
      }
    }
    size_ += record.size();
    for (const adapter::Op& op : ops) {
      if (op.is_put) {
        state_[op.key] = op.value;
      } else {
        state_.erase(op.key);
      }
    }
    return Status::Ok();
  }

  Result<std::optional<std::string>> Get(const std::string& key) override {
    auto it = state_.find(key);
    if (it == state_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }

  Result<std::vector<std::pair<std::string, std::string>>> Dump() override {
    return std::vector<std::pair<std::string, std::string>>(state_.begin(), state_.end());
  }

  Status Close() override {
    if (fd_ >= 0 && close(fd_) != 0) {
      fd_ = -1;
      return Errno("cannot close", path_);
    }
    fd_ = -1;
    return Status::Ok();
  }

 private:
  bool fdatasync_barrier_;
  int fd_ = -1;
  std::string path_;
  std::size_t size_ = 0;  // bytes of whole records
  std::map<std::string, std::string> state_;
};

}  // namespace
}  // namespace crashlab::barrier

int main(int argc, char** argv) {
  bool fdatasync_barrier = true;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--barrier=fdatasync") == 0) {
      fdatasync_barrier = true;
    } else if (std::strcmp(argv[i], "--barrier=sync-file-range") == 0) {
      fdatasync_barrier = false;
    } else {
      std::fprintf(stderr,
                   "crashlab-barrier-engine: unknown option '%s'; use "
                   "--barrier=fdatasync or --barrier=sync-file-range\n",
                   argv[i]);
      return 2;
    }
  }
  crashlab::barrier::BarrierEngine engine(fdatasync_barrier);
  return crashlab::adapter::Serve(engine, stdin, stdout);
}
