// crashlab-split-record-engine: a log of records, each written as two
// unsynced writes, for the test that exploration tears pending writes (issue
// 17, item 3). A record is an 8-byte header (payload length, payload hash)
// followed by its payload (the transaction's operations). A commit writes the
// payload first, then the header in front of it, then fdatasyncs the log, and
// only then is acknowledged.
//
// Fault model it must survive: a power loss during the fdatasync may leave
// either write, both or neither, and either one torn (some atomic units new,
// the others old, zero or garbage). The header written last is no commit
// marker on its own: without a check of the payload, a kept header over a
// torn payload is trusted.
//   --mode=checksum     (correct) the header holds the payload's hash; a record
//                       whose payload does not match is the log's end
//   --mode=no-checksum  (bug) the header's hash is never checked: a torn
//                       payload behind a whole header is replayed as data
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>

#include "engines/adapter/adapter.h"

namespace crashlab::split {
namespace {

constexpr std::size_t kHeader = 8;

uint32_t Hash(const char* p, std::size_t n) {  // FNV-1a
  uint32_t h = 2166136261u;
  for (std::size_t i = 0; i < n; ++i) h = (h ^ static_cast<unsigned char>(p[i])) * 16777619u;
  return h;
}

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

Status Errno(const std::string& what, const std::string& path) {
  return Status::Error(what + " " + path + ": " + std::strerror(errno));
}

// A payload: per operation 'P' or 'D', key length, key, and for 'P' value
// length and value. False when it does not parse to exactly its length.
bool ParsePayload(const std::string& file, std::size_t at, std::size_t size,
                  std::map<std::string, std::string>& ops, std::map<std::string, bool>& puts) {
  const std::size_t end = at + size;
  auto bytes = [&](std::size_t& pos, std::string& out) {
    if (pos + 4 > end) return false;
    const uint32_t n = GetU32(file.data() + pos);
    pos += 4;
    if (n > end - pos) return false;
    out.assign(file, pos, n);
    pos += n;
    return true;
  };
  std::size_t pos = at;
  while (pos < end) {
    const char kind = file[pos++];
    std::string key, value;
    if ((kind != 'P' && kind != 'D') || !bytes(pos, key)) return false;
    if (kind == 'P' && !bytes(pos, value)) return false;
    ops[key] = value;
    puts[key] = kind == 'P';
  }
  return pos == end;
}

class SplitRecordEngine : public adapter::Engine {
 public:
  explicit SplitRecordEngine(bool checksum) : checksum_(checksum) {}

  std::string Name() const override { return checksum_ ? "split-checksum" : "split-no-checksum"; }
  std::vector<std::string> Capabilities() const override { return {"reopen"}; }

  Status Open(const std::string& dir) override {
    if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return Errno("cannot create", dir);
    path_ = dir + "/log";
    fd_ = open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) return Errno("cannot open", path_);
    std::string file;
    char buf[65536];
    ssize_t n;
    while ((n = read(fd_, buf, sizeof buf)) > 0) file.append(buf, static_cast<std::size_t>(n));
    state_.clear();
    end_ = Replay(file);
    // Recovery: whatever follows the last whole record is cut off, so that
    // no stale bytes are read after the next record. Not synced: until a
    // commit syncs the log, a power loss may keep them, and recovery cuts
    // them again.
    if (end_ != file.size() && ftruncate(fd_, static_cast<off_t>(end_)) != 0) {
      return Errno("cannot truncate", path_);
    }
    // DURABILITY: the log's name must be in the directory on disk before any
    // record in it is acknowledged: without this fsync a power loss may lose
    // the whole file with every acknowledged commit.
    const int dir_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) return Errno("cannot open", dir);
    const bool synced = fsync(dir_fd) == 0;
    close(dir_fd);
    if (!synced) return Errno("cannot sync", dir);
    return Status::Ok();
  }

  Status Commit(const std::vector<adapter::Op>& ops) override {
    std::string payload;
    for (const adapter::Op& op : ops) {
      payload += op.is_put ? 'P' : 'D';
      PutU32(payload, static_cast<uint32_t>(op.key.size()));
      payload += op.key;
      if (op.is_put) {
        PutU32(payload, static_cast<uint32_t>(op.value.size()));
        payload += op.value;
      }
    }
    std::string header;
    PutU32(header, static_cast<uint32_t>(payload.size()));
    PutU32(header, Hash(payload.data(), payload.size()));
    // Two writes, neither synced before the other: the payload, then the
    // header that makes it part of the log.
    if (Status s = WriteAt(payload, end_ + kHeader); !s.ok()) return s;
    if (Status s = WriteAt(header, end_); !s.ok()) return s;
    // DURABILITY: the commit is acknowledged only after this returns, so
    // both writes must be on disk first; a power loss before it may keep
    // either, torn or whole, which is why recovery must check the payload.
    if (fdatasync(fd_) != 0) return Errno("cannot sync", path_);
    end_ += kHeader + payload.size();
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
    if (fd_ >= 0 && close(fd_) != 0) return Errno("cannot close", path_);
    fd_ = -1;
    state_.clear();
    return Status::Ok();
  }

 private:
  Status WriteAt(const std::string& bytes, std::size_t at) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n =
          pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(at + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Errno("cannot write", path_);
      done += static_cast<std::size_t>(n);
    }
    return Status::Ok();
  }

  // Applies the log's records to state_; returns where the last whole one
  // ends. A zero length, a payload past the end of the file, one that does
  // not parse or (with checksums) does not match its hash ends the log.
  std::size_t Replay(const std::string& file) {
    std::size_t pos = 0;
    while (pos + kHeader <= file.size()) {
      const uint32_t size = GetU32(file.data() + pos);
      const uint32_t hash = GetU32(file.data() + pos + 4);
      if (size == 0 || size > file.size() - pos - kHeader) break;
      if (checksum_ && Hash(file.data() + pos + kHeader, size) != hash) break;
      std::map<std::string, std::string> ops;
      std::map<std::string, bool> puts;
      if (!ParsePayload(file, pos + kHeader, size, ops, puts)) break;
      for (const auto& [key, value] : ops) {
        if (puts[key]) {
          state_[key] = value;
        } else {
          state_.erase(key);
        }
      }
      pos += kHeader + size;
    }
    return pos;
  }

  bool checksum_;
  std::string path_;
  int fd_ = -1;
  std::size_t end_ = 0;
  std::map<std::string, std::string> state_;
};

}  // namespace
}  // namespace crashlab::split

int main(int argc, char** argv) {
  bool checksum = true;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--mode=checksum") == 0) {
      checksum = true;
    } else if (std::strcmp(argv[i], "--mode=no-checksum") == 0) {
      checksum = false;
    } else {
      std::fprintf(stderr,
                   "crashlab-split-record-engine: unknown option '%s'; use "
                   "--mode=checksum or --mode=no-checksum\n",
                   argv[i]);
      return 2;
    }
  }
  crashlab::split::SplitRecordEngine engine(checksum);
  return crashlab::adapter::Serve(engine, stdin, stdout);
}
