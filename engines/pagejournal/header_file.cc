#include "engines/pagejournal/header_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "engines/pagejournal/checksum.h"
#include "engines/pagejournal/endian.h"
#include "engines/pagejournal/file_util.h"
#include "engines/pagejournal/points.h"
#include "faults/points/point.h"

namespace crashlab::pagejournal {
namespace {

constexpr uint64_t kHeaderMagic = 0x0000315244484A50ull;  // "PJHDR1\0\0"
constexpr uint32_t kHeaderVersion = 1;
constexpr std::size_t kHeaderChecksumAt = kHeaderBytes - 4;
constexpr char kA[] = "header.a";
constexpr char kB[] = "header.b";
constexpr char kTemp[] = "header.a.tmp";

// Writes `block` to `path` (created or truncated) and syncs it.
Status WriteBlock(const std::string& path, const uint8_t* block, int flags) {
  Result<Fd> fd = OpenFile(path, O_WRONLY | flags);
  if (!fd.ok()) return fd.status();
  if (Status s = WriteAt(fd->get(), block, kHeaderBytes, 0, path); !s.ok()) return s;
  // DURABILITY: the checkpoint block must be durable before anything relies on
  // it: before journals it has passed are recycled (else a power loss brings
  // back an older checkpoint whose journal records are gone), and, for a new
  // store, before header.a is renamed into place.
  if (::fdatasync(fd->get()) != 0) return ErrnoError("fdatasync failed on", path, errno);
  return Status::Ok();
}

Result<Checkpoint> ReadHeader(const std::string& path) {
  Result<Fd> fd = OpenFile(path, O_RDONLY);
  if (!fd.ok()) return fd.status();
  std::array<uint8_t, kHeaderBytes> block{};
  Result<std::size_t> n = ReadAt(fd->get(), block.data(), block.size(), 0, path);
  if (!n.ok()) return n.status();
  Result<Checkpoint> cp = DecodeHeader(block.data(), *n);
  if (!cp.ok()) return Status::Error(path + ": " + cp.status().message());
  return cp;
}

}  // namespace

void EncodeHeader(const Checkpoint& cp, uint8_t* block) {
  std::memset(block, 0, kHeaderBytes);
  Store64(block + 0, kHeaderMagic);
  Store32(block + 8, kHeaderVersion);
  Store32(block + 12, cp.page_size);
  Store64(block + 16, cp.seq);
  Store64(block + 24, cp.txn);
  Store64(block + 32, cp.journal.file);
  Store64(block + 40, cp.journal.offset);
  Store64(block + 48, cp.page_count);
  Store64(block + kHeaderChecksumAt - 8, cp.seq);  // the seq again, in the last sector
  Store32(block + kHeaderChecksumAt, Crc32c(block, kHeaderChecksumAt));
}

Result<Checkpoint> DecodeHeader(const uint8_t* block, std::size_t size) {
  if (size < kHeaderBytes) return Status::Error("header block cut short");
  if (Load64(block) != kHeaderMagic) return Status::Error("no header magic");
  if (Load32(block + 8) != kHeaderVersion)
    return Status::Error("header format version " + std::to_string(Load32(block + 8)) +
                         "; this engine reads version 1");
  if (Crc32c(block, kHeaderChecksumAt) != Load32(block + kHeaderChecksumAt))
    return Status::Error("header checksum mismatch (torn write)");
  Checkpoint cp;
  cp.page_size = Load32(block + 12);
  cp.seq = Load64(block + 16);
  cp.txn = Load64(block + 24);
  cp.journal.file = Load64(block + 32);
  cp.journal.offset = Load64(block + 40);
  cp.page_count = Load64(block + 48);
  return cp;
}

bool HeaderFiles::StoreExists(const std::string& dir) { return PathExists(dir + "/" + kA); }

Status HeaderFiles::Create(const std::string& dir, Checkpoint first, bool single) {
  std::array<uint8_t, kHeaderBytes> block{};
  if (!single) {
    // A zero block never decodes, so header.b counts as the older file until
    // the first checkpoint overwrites it.
    if (Status s = WriteBlock(dir + "/" + kB, block.data(), O_CREAT | O_TRUNC); !s.ok()) return s;
  }
  first.seq = 1;
  EncodeHeader(first, block.data());
  const std::string temp = dir + "/" + kTemp;
  if (Status s = WriteBlock(temp, block.data(), O_CREAT | O_TRUNC); !s.ok()) return s;
  // DURABILITY: header.b's name must be durable before header.a can appear:
  // a store with header.a is used as whole, and its next checkpoint goes to
  // header.b. Without this sync a power loss may keep the rename below and
  // drop header.b's creation (POSIX orders neither), and the first
  // checkpoint after recovery fails. Found by crashlab's posix profile.
  if (Status s = SyncDirectory(dir); !s.ok()) return s;
  // DURABILITY: the rename makes header.a appear whole or not at all, after
  // its block is synced: its existence is what tells a store from a
  // half-created one (StoreExists), so it must never exist half-written.
  if (::rename(temp.c_str(), (dir + "/" + kA).c_str()) != 0)
    return ErrnoError("cannot rename " + temp + " to", dir + "/" + kA, errno);
  // DURABILITY: the names header.a and header.b must be durable before the
  // store is used; without this sync a power loss can remove header.a, and
  // the next open would create the store afresh over acknowledged data.
  return SyncDirectory(dir);
}

Result<HeaderFiles> HeaderFiles::Open(const std::string& dir, bool single) {
  HeaderFiles h(dir, single);
  Result<Checkpoint> a = ReadHeader(dir + "/" + kA);
  Result<Checkpoint> b =
      single ? Result<Checkpoint>(Status::Error("unused")) : ReadHeader(dir + "/" + kB);
  if (!a.ok() && !b.ok()) {
    return Status::Error("no valid checkpoint in " + dir + ": " + a.status().message() +
                         (single ? "" : "; " + b.status().message()) +
                         "; the store cannot be recovered");
  }
  h.newest_is_a_ = a.ok() && (!b.ok() || a->seq >= b->seq);
  h.newest_ = h.newest_is_a_ ? *a : *b;
  return h;
}

Status HeaderFiles::Write(Checkpoint cp) {
  cp.seq = newest_.seq + 1;
  std::array<uint8_t, kHeaderBytes> block{};
  EncodeHeader(cp, block.data());
  const bool to_a = single_ || !newest_is_a_;
  CRASHLAB_POINT(points::kCheckpointWriteBefore);
  if (Status s = WriteBlock(dir_ + "/" + (to_a ? kA : kB), block.data(), 0); !s.ok()) return s;
  CRASHLAB_POINT(points::kCheckpointWriteAfter);
  newest_ = cp;
  newest_is_a_ = to_a;
  return Status::Ok();
}

}  // namespace crashlab::pagejournal
