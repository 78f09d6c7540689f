// The recorder's own read-only view of a file a tracee maps shared and
// writable. A MAP_SHARED mapping's pages are the file's page cache, so a
// MAP_SHARED mapping of the same file in the recorder sees every store the
// tracee makes, as it makes it: diffing it against a shadow needs no system
// call, where reading the tracee's pages (process_vm_readv) pins and copies
// every page of the mapping at every event. Measured on pagejournal under
// tmpfs: that read was most of the recorder's time (docs/performance.md).
//
// A page wholly past the end of the file raises SIGBUS when touched (another
// thread may truncate the file while the recorder compares): each access runs
// under a SIGBUS guard and reports a fault as a short read, as
// process_vm_readv reports EFAULT.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace crashlab::ptrace {

class FileView {
 public:
  // Maps bytes [offset, offset+len) of the file `path` names (for example
  // /proc/TID/fd/N) read-only and shared; `offset` is page-aligned, as mmap's
  // is. nullptr when the file cannot be opened or mapped: the caller reads
  // the tracee's pages instead.
  static std::shared_ptr<const FileView> Open(const std::string& path, uint64_t offset,
                                              uint64_t len);
  ~FileView();
  FileView(const FileView&) = delete;
  FileView& operator=(const FileView&) = delete;

  // The same file over another range (mremap grew a mapping), or nullptr.
  std::shared_ptr<const FileView> Remap(uint64_t offset, uint64_t len) const;
  // Whether the view holds file bytes [offset, offset+len).
  bool Covers(uint64_t offset, uint64_t len) const;

  // Copies up to `len` bytes at file offset `offset` (Covers) into `out`;
  // returns how many before the first page past the end of the file.
  std::size_t Copy(uint64_t offset, char* out, std::size_t len) const;

  enum class PageState { kSame, kChanged, kGone };
  // Compares the `n` bytes at `offset` with `shadow`; when they differ,
  // copies them into `out` (n bytes) and returns kChanged. kGone: the page
  // is past the end of the file now.
  PageState ComparePage(uint64_t offset, const char* shadow, char* out, std::size_t n) const;

 private:
  FileView(int fd, const char* base, uint64_t offset, uint64_t len)
      : fd_(fd), base_(base), offset_(offset), len_(len) {}
  const char* At(uint64_t offset) const { return base_ + (offset - offset_); }

  int fd_;
  const char* base_;
  uint64_t offset_, len_;
};

}  // namespace crashlab::ptrace
