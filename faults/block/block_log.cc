#include "faults/block/block_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace crashlab::faults {
namespace {

constexpr std::size_t kDrainAt = 1 << 20;

void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

// A cursor over the bytes of a log; each Get fails past the end.
class Cursor {
 public:
  explicit Cursor(std::string_view bytes) : rest_(bytes) {}
  bool U8(uint8_t& v) {
    if (rest_.empty()) return false;
    v = static_cast<uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    return true;
  }
  template <typename T>
  bool Uint(T& v) {
    if (rest_.size() < sizeof(T)) return false;
    v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      v |= static_cast<T>(static_cast<uint8_t>(rest_[i])) << (8 * i);
    }
    rest_.remove_prefix(sizeof(T));
    return true;
  }
  bool Bytes(uint64_t n, std::string& out) {
    if (rest_.size() < n) return false;
    out.assign(rest_.substr(0, n));
    rest_.remove_prefix(n);
    return true;
  }
  bool Done() const { return rest_.empty(); }
  std::size_t consumed(std::size_t total) const { return total - rest_.size(); }

 private:
  std::string_view rest_;
};

}  // namespace

Status BlockLogWriter::Open(const std::string& path, uint64_t image_size, uint32_t sector) {
  path_ = path;
  fd_ = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    return Status::Error("cannot create the block log " + path + ": " + std::strerror(errno));
  }
  buffer_.append(kBlockLogMagic);
  PutU64(buffer_, image_size);
  PutU32(buffer_, sector);
  return Status::Ok();
}

void BlockLogWriter::Append(BlockRecordKind kind, bool base, uint64_t offset, uint64_t length,
                            std::string_view data) {
  buffer_.push_back(static_cast<char>(kind));
  buffer_.push_back(base ? 1 : 0);
  PutU64(buffer_, offset);
  PutU64(buffer_, length);
  buffer_.append(data);
  if (buffer_.size() >= kDrainAt) Drain();
}

void BlockLogWriter::Write(uint64_t offset, std::string_view data, bool base) {
  Append(BlockRecordKind::kWrite, base, offset, data.size(), data);
}
void BlockLogWriter::Zero(uint64_t offset, uint64_t length) {
  Append(BlockRecordKind::kZero, false, offset, length, {});
}
void BlockLogWriter::Flush() { Append(BlockRecordKind::kFlush, false, 0, 0, {}); }
void BlockLogWriter::Mark(std::string_view line) {
  Append(BlockRecordKind::kMark, false, 0, line.size(), line);
}

void BlockLogWriter::Drain() {
  std::size_t done = 0;
  while (fd_ >= 0 && done < buffer_.size() && error_.empty()) {
    const ssize_t n = write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      error_ = "writing the block log " + path_ + ": " + std::strerror(errno);
    else
      done += static_cast<std::size_t>(n);
  }
  buffer_.clear();
}

Status BlockLogWriter::Finish() {
  Drain();
  // The log is read back by the controller after the daemon exits, never
  // after a power loss of the machine: no fsync.
  if (fd_ >= 0 && close(fd_) != 0 && error_.empty()) {
    error_ = "closing the block log " + path_ + ": " + std::strerror(errno);
  }
  fd_ = -1;
  return error_.empty() ? Status::Ok() : Status::Error(error_);
}

BlockLogWriter::~BlockLogWriter() {
  if (fd_ >= 0) close(fd_);
}

std::string DescribeBlockRecord(const BlockRecord& r, uint32_t sector) {
  const auto span = [&](const char* what) {
    const uint64_t first = r.offset / sector,
                   last = (r.offset + std::max<uint64_t>(r.length, 1) - 1) / sector;
    return std::string(what) + " " + std::to_string(r.length) + " bytes at " +
           std::to_string(r.offset) + " (sector" +
           (first == last ? " " + std::to_string(first)
                          : "s " + std::to_string(first) + "-" + std::to_string(last)) +
           ")";
  };
  switch (r.kind) {
    case BlockRecordKind::kWrite:
      return span("write");
    case BlockRecordKind::kZero:
      return span("zero");
    case BlockRecordKind::kFlush:
      return "flush";
    case BlockRecordKind::kMark:
      return "mark: reply '" + r.data + "' read";
  }
  return "?";
}

Result<BlockLog> ParseBlockLog(std::string_view bytes, const std::string& what) {
  auto damaged = [&](std::size_t at, const std::string& why) {
    return Status::Error(what + " is not a whole block log (at byte " + std::to_string(at) + ": " +
                         why +
                         "); crashlab-blockdev writes it whole when it exits, so it was "
                         "killed or the file was damaged");
  };
  if (!bytes.starts_with(kBlockLogMagic)) return damaged(0, "no CLBLOG1 header");
  Cursor in(bytes.substr(kBlockLogMagic.size()));
  BlockLog log;
  if (!in.Uint(log.image_size) || !in.Uint(log.sector) || log.sector == 0) {
    return damaged(kBlockLogMagic.size(), "no image size and sector");
  }
  // crashlab's images are at most a few hundred MiB; a terabyte is damage.
  if (log.image_size > (uint64_t{1} << 40) || log.image_size % log.sector != 0) {
    return damaged(kBlockLogMagic.size(), "an image size of " + std::to_string(log.image_size) +
                                              " bytes, not whole sectors of at most 1 TiB");
  }
  while (!in.Done()) {
    const std::size_t at =
        in.consumed(bytes.size() - kBlockLogMagic.size()) + kBlockLogMagic.size();
    uint8_t kind = 0, base = 0;
    BlockRecord r;
    if (!in.U8(kind) || !in.U8(base) || !in.Uint(r.offset) || !in.Uint(r.length)) {
      return damaged(at, "a record cut short");
    }
    if (kind < 1 || kind > 4) return damaged(at, "unknown record kind " + std::to_string(kind));
    r.kind = static_cast<BlockRecordKind>(kind);
    if (r.kind == BlockRecordKind::kWrite || r.kind == BlockRecordKind::kMark) {
      if (!in.Bytes(r.length, r.data)) return damaged(at, "a record's bytes cut short");
    }
    if (r.kind != BlockRecordKind::kMark && r.kind != BlockRecordKind::kFlush &&
        (r.offset > log.image_size || r.length > log.image_size - r.offset)) {
      return damaged(at, "a write past the end of the disk");
    }
    // The loop device's logical sector is the disk's: every request the file
    // system makes is whole sectors, and a tear is cut at sector boundaries.
    if ((r.kind == BlockRecordKind::kWrite || r.kind == BlockRecordKind::kZero) &&
        (r.offset % log.sector != 0 || r.length % log.sector != 0)) {
      return damaged(at, "a request not in whole sectors of " + std::to_string(log.sector) +
                             " bytes (the loop device's sector size did not take)");
    }
    (base ? log.base : log.records).push_back(std::move(r));
  }
  return log;
}

Result<BlockLog> ReadBlockLog(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error("cannot read the block log " + path + ": " + std::strerror(errno));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return ParseBlockLog(bytes.str(), path);
}

}  // namespace crashlab::faults
