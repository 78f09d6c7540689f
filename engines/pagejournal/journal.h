// pagejournal's journal: fixed-size, preallocated files journal.000001,
// journal.000002, ... in the store directory, each a sequence of records
// (journal_format.h) written with O_DIRECT|O_DSYNC and never read in normal
// operation. JournalWriter appends; JournalReader reads records back during
// recovery. Files wholly before the checkpoint are recycled: renamed past the
// newest file as spares, so their stale records are only ever guarded by the
// transaction-id continuity and the checksum that recovery checks.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engines/pagejournal/file_util.h"
#include "engines/pagejournal/journal_format.h"
#include "framework/base/status.h"

namespace crashlab::pagejournal {

// Where a record starts: journal file number and byte offset in it.
struct JournalPos {
  uint64_t file = 1;
  uint64_t offset = 0;
  friend bool operator==(const JournalPos&, const JournalPos&) = default;
};

// "journal.000042" for 42.
std::string JournalFileName(uint64_t number);
// 42 for "journal.000042"; nullopt for any other name.
std::optional<uint64_t> ParseJournalFileName(std::string_view name);
// The numbers of the journal files in `dir`, ascending.
[[nodiscard]] Result<std::vector<uint64_t>> ListJournals(const std::string& dir);

struct JournalConfig {
  std::string dir;
  uint64_t file_size = 4 * 1024 * 1024;  // multiple of kRecordAlign
  bool write_through = true;             // O_DIRECT|O_DSYNC; false: buffered, never synced (a bug)
  bool sync_new_names = true;  // false: a new file's directory entry is not synced (a bug)
};

// Appends records. Not thread-safe: the store calls it under its lock.
class JournalWriter {
 public:
  // Spare journal files kept for reuse past the current one; older journals
  // beyond that are removed when recycled.
  static constexpr std::size_t kMaxSpares = 2;

  // A writer appending at `pos` (the end of the last valid record); `present`
  // lists the journal files in the directory. Creates journal `pos.file` when
  // it is absent.
  [[nodiscard]] static Result<std::unique_ptr<JournalWriter>> Open(JournalConfig config,
                                                                   JournalPos pos,
                                                                   std::vector<uint64_t> present);
  JournalWriter(const JournalWriter&) = delete;
  JournalWriter& operator=(const JournalWriter&) = delete;

  // Appends `record` (EncodeRecord's padded, aligned buffer) and returns once
  // its write has returned: with write_through, the record is durable. A
  // record that does not fit in the current file goes to the start of the
  // next one (a spare, else a new file); a record longer than a whole file
  // gets a file grown to hold it. On error, `*maybe_written` says whether any
  // byte may have reached the file, in which case the caller cannot report
  // the commit as not done.
  [[nodiscard]] Status Append(const AlignedBuffer& record, bool* maybe_written);

  // Where the next record will go, unless it does not fit there.
  JournalPos position() const { return {current_, offset_}; }

  // Recycles every journal file numbered below `file` (the checkpoint's):
  // renamed past the newest file while fewer than kMaxSpares spares exist,
  // removed otherwise; then the directory is synced.
  [[nodiscard]] Status RecycleBefore(uint64_t file);

  // The journal files present, ascending.
  const std::vector<uint64_t>& files() const { return present_; }

 private:
  explicit JournalWriter(JournalConfig config) : config_(std::move(config)) {}
  std::string PathOf(uint64_t number) const;
  // Opens journal `number` for writing as current, creating it when absent.
  Status OpenCurrent(uint64_t number, uint64_t min_size);
  // Creates journal `number` of `size` bytes, preallocated and synced.
  Status Create(uint64_t number, uint64_t size);

  JournalConfig config_;
  std::vector<uint64_t> present_;
  Fd fd_;
  uint64_t current_ = 0;
  uint64_t offset_ = 0;
  uint64_t capacity_ = 0;
};

// Reads records back during recovery (buffered reads, no O_DIRECT).
class JournalReader {
 public:
  JournalReader(std::string dir, uint32_t page_size, Verify verify)
      : dir_(std::move(dir)), page_size_(page_size), verify_(verify) {}

  // The valid record at `pos`, or nullopt when there is none: no such file,
  // end of file, no record header, a checksum mismatch (unless Verify is
  // kHeaderOnly). `why`, when given, gets the reason for nullopt. An error
  // only when reading fails.
  [[nodiscard]] Result<std::optional<Record>> ReadAt(JournalPos pos, std::string* why = nullptr);

 private:
  std::string dir_;
  uint32_t page_size_;
  Verify verify_;
  uint64_t open_number_ = 0;
  Fd fd_;
  uint64_t size_ = 0;
};

}  // namespace crashlab::pagejournal
