#include "tests/fake_engine/op_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace crashlab::fake {
namespace {

uint32_t Fnv1a(const std::string& bytes) {
  uint32_t h = 2166136261u;
  for (unsigned char c : bytes) h = (h ^ c) * 16777619u;
  return h;
}

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

bool GetU32(const std::string& in, std::size_t& pos, uint32_t& v) {
  if (pos + 4 > in.size()) return false;
  v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<uint32_t>(static_cast<unsigned char>(in[pos + i])) << (8 * i);
  pos += 4;
  return true;
}

bool GetBytes(const std::string& in, std::size_t& pos, std::string& out) {
  uint32_t n;
  if (!GetU32(in, pos, n) || pos + n > in.size()) return false;
  out.assign(in, pos, n);
  pos += n;
  return true;
}

Status Errno(const std::string& what, const std::string& path) {
  return Status::Error(what + " " + path + ": " + std::strerror(errno));
}

// Applies whole records from `file` to `state`; returns the bytes they span.
std::size_t Replay(const std::string& file, std::map<std::string, std::string>& state) {
  std::size_t pos = 0;
  while (true) {
    std::size_t p = pos;
    uint32_t checksum;
    std::string body;
    if (!GetU32(file, p, checksum) || !GetBytes(file, p, body) || Fnv1a(body) != checksum)
      return pos;
    std::size_t b = 0;
    std::string kind, key, value;
    while (b < body.size()) {
      if (!GetBytes(body, b, kind) || !GetBytes(body, b, key)) return pos;
      if (kind == "P") {
        if (!GetBytes(body, b, value)) return pos;
        state[key] = value;
      } else {
        state.erase(key);
      }
    }
    pos = p;
  }
}

}  // namespace

Result<std::map<std::string, std::string>> OpLog::Open(const std::string& dir) {
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return Errno("cannot create", dir);
  path_ = dir + "/log";
  fd_ = open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) return Errno("cannot open", path_);
  std::string file;
  char buf[65536];
  ssize_t n;
  while ((n = read(fd_, buf, sizeof buf)) > 0) file.append(buf, static_cast<std::size_t>(n));
  std::map<std::string, std::string> state;
  size_ = Replay(file, state);
  // Recovery: drop the torn tail so the next record starts where the last
  // whole one ended.
  if (size_ != file.size() && ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
    return Errno("cannot truncate", path_);
  }
  // DURABILITY: the truncation must reach the disk before new records are
  // appended after it (a kill does not need it; a power loss would).
  if (fdatasync(fd_) != 0) return Errno("cannot sync", path_);
  // DURABILITY: the log's name, new or not, must be in the directory on disk
  // before any record in it is acknowledged; fsync of the directory does it.
  const int dir_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return Errno("cannot open", dir);
  const bool synced = fsync(dir_fd) == 0;
  close(dir_fd);
  if (!synced) return Errno("cannot sync", dir);
  lseek(fd_, static_cast<off_t>(size_), SEEK_SET);
  return state;
}

Status OpLog::Append(const std::vector<adapter::Op>& ops) {
  std::string body;
  for (const adapter::Op& op : ops) {
    const std::string kind = op.is_put ? "P" : "D";
    PutU32(body, 1);
    body += kind;
    PutU32(body, static_cast<uint32_t>(op.key.size()));
    body += op.key;
    if (op.is_put) {
      PutU32(body, static_cast<uint32_t>(op.value.size()));
      body += op.value;
    }
  }
  std::string record;
  PutU32(record, Fnv1a(body));
  PutU32(record, static_cast<uint32_t>(body.size()));
  record += body;
  const char* p = record.data();
  std::size_t left = record.size();
  while (left > 0) {
    const ssize_t n = raw_syscalls_ ? syscall(SYS_write, fd_, p, left) : write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("cannot write", path_);
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  // DURABILITY: the commit is acknowledged only after this returns, so the
  // record must be on disk first (the kill tests need only the write).
  if (fdatasync(fd_) != 0) return Errno("cannot sync", path_);
  size_ += record.size();
  return Status::Ok();
}

Status OpLog::Verify() {
  std::string file;
  char buf[65536];
  ssize_t n;
  off_t off = 0;
  while ((n = pread(fd_, buf, sizeof buf, off)) > 0) {
    file.append(buf, static_cast<std::size_t>(n));
    off += n;
  }
  std::map<std::string, std::string> ignored;
  const std::size_t whole = Replay(file, ignored);
  if (whole != file.size()) {
    return Status::Error("log " + path_ + " has " + std::to_string(file.size() - whole) +
                         " bytes after its last whole record");
  }
  return Status::Ok();
}

Status OpLog::Close() {
  if (fd_ >= 0 && close(fd_) != 0) return Errno("cannot close", path_);
  fd_ = -1;
  return Status::Ok();
}

}  // namespace crashlab::fake
