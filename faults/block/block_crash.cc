#include "faults/block/block_crash.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "framework/base/prng.h"

namespace crashlab::faults {
namespace {

bool IsChange(BlockRecordKind kind) {
  return kind == BlockRecordKind::kWrite || kind == BlockRecordKind::kZero;
}

class ImageFile {
 public:
  Status Create(const std::string& path, uint64_t size) {
    path_ = path;
    fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd_ < 0 || ftruncate(fd_, static_cast<off_t>(size)) != 0) return Failed("creating");
    return Status::Ok();
  }
  Status Put(uint64_t offset, const char* data, std::size_t n) {
    while (n > 0) {
      ssize_t w = pwrite(fd_, data, n, static_cast<off_t>(offset));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return Failed("writing");
      data += w;
      n -= static_cast<std::size_t>(w);
      offset += static_cast<uint64_t>(w);
    }
    return Status::Ok();
  }
  Status Zero(uint64_t offset, uint64_t length) {
    if (fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                  static_cast<off_t>(length)) == 0) {
      return Status::Ok();
    }
    const std::string zeros(std::min<uint64_t>(length, 1 << 20), '\0');
    for (uint64_t done = 0; done < length; done += zeros.size()) {
      const std::size_t n =
          static_cast<std::size_t>(std::min<uint64_t>(zeros.size(), length - done));
      if (Status s = Put(offset + done, zeros.data(), n); !s.ok()) return s;
    }
    return Status::Ok();
  }
  Status Apply(const BlockRecord& r) {
    if (r.kind == BlockRecordKind::kWrite) return Put(r.offset, r.data.data(), r.data.size());
    if (r.kind == BlockRecordKind::kZero) return Zero(r.offset, r.length);
    return Status::Ok();
  }
  Status Close() {
    // The image is mounted right after by this process and removed after:
    // it never outlives a power loss of the machine, so no fsync.
    const int fd = fd_;
    fd_ = -1;
    if (fd >= 0 && close(fd) != 0) return Failed("closing");
    return Status::Ok();
  }
  ~ImageFile() {
    if (fd_ >= 0) close(fd_);
  }

 private:
  Status Failed(const char* doing) {
    return Status::Error(std::string(doing) + " the crash image " + path_ + ": " +
                         std::strerror(errno) + "; check that its directory has room");
  }
  int fd_ = -1;
  std::string path_;
};

}  // namespace

BlockPending PendingAt(const BlockLog& log, uint64_t point) {
  BlockPending pending;
  const std::size_t end = std::min<uint64_t>(point, log.records.size());
  for (std::size_t i = 0; i < end; ++i) {
    if (log.records[i].kind == BlockRecordKind::kFlush) {
      pending.durable_end = i + 1;
      pending.records.clear();
    } else if (IsChange(log.records[i].kind)) {
      pending.records.push_back(i);
    }
  }
  return pending;
}

std::string BlockCrashChoices::ToString() const {
  std::string text;
  for (std::size_t i = 0; i < fates.size(); ++i) {
    if (i) text += ',';
    text += fates[i];
  }
  return text;
}

Result<BlockCrashChoices> BlockCrashChoices::Parse(const std::string& text) {
  BlockCrashChoices c;
  if (text.empty()) return c;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    std::string fate = text.substr(start, comma == std::string::npos ? comma : comma - start);
    if (fate != "*" && fate != "-" &&
        (fate.empty() || fate.find_first_not_of("NO") != std::string::npos)) {
      return Status::Error(
          "a block fate is '-' (lost), '*' (kept) or one letter per sector, N "
          "(kept) or O (lost), not '" +
          fate + "'");
    }
    c.fates.push_back(std::move(fate));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return c;
}

BlockCrashChoices DrawBlockChoices(const BlockLog& log, uint64_t point, uint64_t seed) {
  const BlockPending pending = PendingAt(log, point);
  Prng draw(seed);
  BlockCrashChoices c;
  for (std::size_t index : pending.records) {
    const BlockRecord& r = log.records[index];
    if (!draw.Chance(1, 2)) {
      c.fates.emplace_back("-");
      continue;
    }
    const uint64_t sectors = (r.length + log.sector - 1) / log.sector;
    if (r.kind != BlockRecordKind::kWrite || sectors < 2 || !draw.Chance(1, 4)) {
      c.fates.emplace_back("*");
      continue;
    }
    std::string units(sectors, 'N');
    // At least one sector lost and, so that the write is not simply lost,
    // at least one kept.
    const uint64_t lost = draw.Below(sectors);
    uint64_t kept = draw.Below(sectors - 1);
    if (kept >= lost) ++kept;
    for (uint64_t s = 0; s < sectors; ++s) {
      if (s == lost || (s != kept && draw.Chance(1, 2))) units[s] = 'O';
    }
    c.fates.push_back(std::move(units));
  }
  return c;
}

Status WriteBlockCrashImage(const BlockLog& log, uint64_t point, const BlockCrashChoices& choices,
                            const std::string& path) {
  const BlockPending pending = PendingAt(log, point);
  if (choices.fates.size() != pending.records.size()) {
    return Status::Error("the block crash plan decides " + std::to_string(choices.fates.size()) +
                         " writes, but point " + std::to_string(point) + " has " +
                         std::to_string(pending.records.size()) + " pending");
  }
  ImageFile image;
  if (Status s = image.Create(path, log.image_size); !s.ok()) return s;
  for (const BlockRecord& r : log.base) {
    if (Status s = image.Apply(r); !s.ok()) return s;
  }
  for (std::size_t i = 0; i < pending.durable_end; ++i) {
    if (Status s = image.Apply(log.records[i]); !s.ok()) return s;
  }
  for (std::size_t j = 0; j < pending.records.size(); ++j) {
    const BlockRecord& r = log.records[pending.records[j]];
    const std::string& fate = choices.fates[j];
    if (fate == "-") continue;
    if (fate == "*") {
      if (Status s = image.Apply(r); !s.ok()) return s;
      continue;
    }
    const uint64_t sectors = (r.length + log.sector - 1) / log.sector;
    if (r.kind != BlockRecordKind::kWrite || fate.size() != sectors) {
      return Status::Error("a torn fate of " + std::to_string(fate.size()) +
                           " sectors for a record of " + std::to_string(sectors));
    }
    for (uint64_t s = 0; s < sectors; ++s) {
      if (fate[s] != 'N') continue;
      const uint64_t at = s * log.sector;
      const std::size_t n = static_cast<std::size_t>(std::min<uint64_t>(log.sector, r.length - at));
      if (Status st = image.Put(r.offset + at, r.data.data() + at, n); !st.ok()) return st;
    }
  }
  return image.Close();
}

std::vector<std::string> MarksBefore(const BlockLog& log, uint64_t point) {
  std::vector<std::string> marks;
  const std::size_t end = std::min<uint64_t>(point, log.records.size());
  for (std::size_t i = 0; i < end; ++i) {
    if (log.records[i].kind == BlockRecordKind::kMark) marks.push_back(log.records[i].data);
  }
  return marks;
}

}  // namespace crashlab::faults
