// Which pages of a traced process's shared writable mappings were stored to
// since the last look, so that the diff rule compares those pages only and
// not every mapped page at every event (docs/trace-format.md, "Shared
// mappings under ptrace").
//
// The kernel does the tracking: a userfaultfd made in the traced process
// (so bound to its memory) write-protects the mapped pages in asynchronous
// mode (UFFD_FEATURE_WP_ASYNC, Linux 6.7): the first store to a page is let
// through by the kernel itself, with no stop and no message, and the page
// is marked written. The PAGEMAP_SCAN ioctl of the process's
// /proc/PID/pagemap lists the written pages and protects them again in one
// call (ioctl_pagemap_scan(2)). Pages never touched are protected too
// (UFFD_FEATURE_WP_UNPOPULATED), so a first store to them counts.
//
// Where the kernel lacks a piece, Adopt or Track fails and the recorder
// compares the mapping whole, as before.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace crashlab::ptrace {

class WriteTracker {
 public:
  struct Range {
    uint64_t addr = 0, len = 0;
  };

  // Takes a duplicate of descriptor `uffd` of process `tgid` (pidfd_getfd),
  // a userfaultfd that process just made, and opens its pagemap; nullptr
  // when the kernel cannot track writes this way.
  static std::unique_ptr<WriteTracker> Adopt(pid_t tgid, int uffd);
  // The same over descriptors already in hand (tests: this process's own).
  static std::unique_ptr<WriteTracker> FromDescriptors(int uffd, int pagemap);
  ~WriteTracker();
  WriteTracker(const WriteTracker&) = delete;
  WriteTracker& operator=(const WriteTracker&) = delete;

  // Tracks [addr, addr+len) from now on: every page is write-protected.
  // False when the kernel refused; then nothing is tracked there.
  bool Track(uint64_t addr, uint64_t len);
  // The page ranges of [addr, addr+len) written since Track or the last
  // call over them, in address order; they are protected again. nullopt
  // when the scan failed: the caller must compare the range whole.
  std::optional<std::vector<Range>> TakeWritten(uint64_t addr, uint64_t len);

 private:
  WriteTracker(int uffd, int pagemap) : uffd_(uffd), pagemap_(pagemap) {}
  int uffd_;
  int pagemap_;
};

}  // namespace crashlab::ptrace
