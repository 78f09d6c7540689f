// Platform probe: are unbuffered write-through writes to a file coherent with a
// read-only shared mapping of the same file? One thread writes blocks with
// O_DIRECT|O_DSYNC (the way pagejournal writes its journal) and, as soon as
// each write returns, reads the block back through the mapping; reader threads
// touch the mapping around the writer meanwhile. A page that still holds an
// older pattern after its write returned is a stale read. The experiment is
// Oren Eini's "Is select() broken? Memory mapped files with unbufferred writes
// == race condition?" (stale reads on Windows), redone on POSIX; see
// docs/coherence-probe.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "framework/base/status.h"

namespace crashlab::faults {

struct CoherenceOptions {
  // An existing, writable directory; the probe creates and removes one file
  // in it.
  std::string directory;
  // Size of the probe file; rounded down to a multiple of write_bytes.
  uint64_t file_bytes = uint64_t{64} << 20;
  // Bytes per write: a positive multiple of the page size (4 KiB here). The
  // default, 3 pages, is the post's.
  uint64_t write_bytes = 3 * 4096;
  // The probe stops when either limit is reached; 0 means no limit, but at
  // least one of the two must be set.
  std::chrono::milliseconds duration{5000};
  uint64_t max_writes = 0;
  // Threads touching the mapping while the writer runs (0..64).
  int readers = 1;
};

// How the file was opened for writing: O_DIRECT|O_DSYNC, or O_DSYNC alone
// when the file system refuses O_DIRECT (EINVAL), e.g. tmpfs before Linux 6.6.
enum class WriteMode { kDirectDsync, kDsync };

// "o_direct+o_dsync" or "o_dsync".
std::string_view WriteModeName(WriteMode mode);

// One page that did not hold what had just been written to it.
struct StalePage {
  uint64_t offset = 0;  // byte offset in the file
  uint64_t pass = 0;    // the pass whose write had returned
  // The pass the page held instead, or -1 when its first word is no pattern
  // word at all (zeros from preallocation, or torn/foreign bytes).
  int64_t seen_pass = -1;
  // Whether a second read, right after the first, saw the new pattern: true
  // for a passing race, false when the old copy stayed in the cache.
  bool fresh_on_reread = false;
};

struct CoherenceResult {
  uint64_t writes = 0;
  uint64_t passes = 0;                 // sweeps over the file begun (the last may be partial)
  uint64_t pages_checked = 0;          // page reads through the mapping right after a write
  uint64_t stale_pages = 0;            // of those, pages not holding the new pattern
  std::vector<StalePage> first_stale;  // at most kMaxStaleReported, in order found
  uint64_t reader_page_reads = 0;      // pages the reader threads touched
  // Page faults of the whole process during the run (getrusage): major ones
  // read the page from the device, so they show the mapping was refilled
  // after writes invalidated it, the path a stale copy would come in by.
  uint64_t major_faults = 0;
  uint64_t minor_faults = 0;
  WriteMode mode = WriteMode::kDirectDsync;
  std::string kernel;       // uname -s and -r, e.g. "Linux 6.1.0"
  std::string fs_type;      // of the directory: "ext4", "xfs", ... or "0x<f_type>"
  uint64_t file_bytes = 0;  // as used, after rounding
  double elapsed_seconds = 0;

  bool coherent() const { return stale_pages == 0; }
};

inline constexpr std::size_t kMaxStaleReported = 8;

// Runs the probe. The file is removed before returning, on error too. Errors
// name the path and what to do: a missing, non-directory or unwritable
// directory, invalid options, or an I/O call that failed. Call from one
// thread at a time per directory; the probe starts and joins its own threads.
[[nodiscard]] Result<CoherenceResult> RunCoherenceProbe(const CoherenceOptions& options);

// The pattern: every 8-byte word of the file holds ((pass + 1) << 40) | (its
// byte offset), so it is never zero (a preallocated page), differs from every
// other pass at every word (an old page is recognised after a rewrite), and
// differs between offsets (a page read from the wrong place is recognised).
// Offsets must be below 2^40 and passes below 2^24 - 1.
//
// Fills `bytes` bytes (a multiple of 8) at `data`, which belong at file
// offset `offset` (a multiple of 8), with the pattern of `pass`.
void FillPattern(uint8_t* data, std::size_t bytes, uint64_t offset, uint64_t pass);

// True when the `page_bytes` bytes at `page`, read from file offset `offset`,
// hold exactly the pattern of `pass`; false when any word differs.
bool PageHoldsPass(const uint8_t* page, std::size_t page_bytes, uint64_t offset, uint64_t pass);

// The pass whose pattern the first word of a page at `offset` holds, or -1
// when it is no pattern word for that offset.
int64_t PassOfWord(uint64_t word, uint64_t offset);

// The file system type of `path` from statfs(2) ("ext4", "xfs", "btrfs",
// "tmpfs", "overlayfs", ... or "0x<hex f_type>"), or "unknown" if statfs fails.
std::string FileSystemType(const std::string& path);

// uname -s and -r, e.g. "Linux 6.1.0-18-amd64".
std::string KernelName();

}  // namespace crashlab::faults
