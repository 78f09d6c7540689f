// The checkpoint of pagejournal, double-buffered in two header files,
// header.a and header.b, outside the data file (as in the seed design). Each
// holds one 4 KiB block: the checkpoint, a sequence number and a CRC-32C over
// the block. A checkpoint is written over the older of the two, so a torn
// write destroys only a checkpoint that the other file supersedes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "engines/pagejournal/journal.h"
#include "framework/base/status.h"

namespace crashlab::pagejournal {

struct Checkpoint {
  uint64_t seq = 0;  // higher is newer; the first checkpoint of a store is 1
  uint32_t page_size = 0;
  uint64_t txn = 0;         // last transaction whose pages are durable in the data file
  JournalPos journal;       // where the record of transaction txn + 1 starts (or would,
                            // if it fits there: else at the start of the next file)
  uint64_t page_count = 0;  // logical pages of the store after transaction txn
  friend bool operator==(const Checkpoint&, const Checkpoint&) = default;
};

inline constexpr std::size_t kHeaderBytes = 4096;

// The header block holding `cp` (kHeaderBytes at `block`).
void EncodeHeader(const Checkpoint& cp, uint8_t* block);
// The checkpoint in a header block; an error when the block is not a valid,
// whole one (wrong magic or version, checksum mismatch, short).
[[nodiscard]] Result<Checkpoint> DecodeHeader(const uint8_t* block, std::size_t size);

// The two header files of one store directory.
class HeaderFiles {
 public:
  // Whether `dir` holds a store: header.a exists. It is the last file a new
  // store gets, renamed into place, so it never exists half-made.
  static bool StoreExists(const std::string& dir);

  // Gives a new store its headers: header.b as an invalid (zero) block, then
  // header.a holding `first` (seq set to 1) through a synced temporary file
  // renamed into place, then a directory sync. With `single` (bug
  // single-header), header.a alone.
  [[nodiscard]] static Status Create(const std::string& dir, Checkpoint first, bool single);

  // Reads both files and keeps the newest valid checkpoint. An error, naming
  // both files and why each is invalid, when neither is valid.
  [[nodiscard]] static Result<HeaderFiles> Open(const std::string& dir, bool single);

  const Checkpoint& newest() const { return newest_; }

  // Writes `cp`, with seq = newest().seq + 1, over the older header file (or
  // the invalid one), syncs it, and makes it the newest. With `single`,
  // rewrites header.a in place. An error leaves newest() as it was.
  [[nodiscard]] Status Write(Checkpoint cp);

 private:
  HeaderFiles(std::string dir, bool single) : dir_(std::move(dir)), single_(single) {}

  std::string dir_;
  bool single_ = false;
  Checkpoint newest_;
  bool newest_is_a_ = true;
};

}  // namespace crashlab::pagejournal
