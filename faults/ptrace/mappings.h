// The shared writable mappings of traced files in one process, each with a
// shadow copy of its pages (the diff rule of docs/trace-format.md, as
// faults/preload/mappings.cc applies it inside the process). At every stop
// where the recorder appends an event of the process, each page that differs
// from its shadow is reported as a map-write. The pages are compared in place
// through the recorder's own mapping of the file (FileView) when it could
// make one, else read from the tracee (a Reader over process_vm_readv).
// Where the process's writes are tracked (write_tracker.h), a flush
// compares only the pages stored to since the last one; a whole flush
// compares every page still, and counts what tracking missed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "faults/ptrace/file_view.h"
#include "faults/ptrace/write_tracker.h"

namespace crashlab::ptrace {

class MappingSet {
 public:
  // Copies up to `len` bytes of the tracee at `addr` into `out`; returns how many.
  using Reader = std::function<std::size_t(uint64_t addr, char* out, std::size_t len)>;
  // The size the recorder believes file `file` has: pages wholly past it are
  // never compared (the preload library would take SIGBUS touching them).
  using SizeOf = std::function<uint64_t(uint64_t file)>;
  // Called for each changed page: the file, the page's file offset, its bytes
  // (clipped at the end of the file).
  using PageChanged = std::function<void(uint64_t file, uint64_t offset, std::string_view page)>;

  // Starts write tracking of a new mapping; false when it cannot.
  using Track = std::function<bool(uint64_t addr, uint64_t len)>;
  // The ranges written since the last call, or nullopt: compare whole.
  using WrittenPages =
      std::function<std::optional<std::vector<WriteTracker::Range>>(uint64_t addr, uint64_t len)>;

  // What the flushes did, for CRASHLAB_PTRACE_STATS.
  struct Counts {
    uint64_t pages_compared = 0;
    uint64_t tracked_mappings = 0;
    uint64_t missed_by_tracking = 0;  // changed pages only a whole flush found
  };

  struct Tools {
    Reader read;
    SizeOf size_of;
    PageChanged changed;
    Track track;           // empty: no tracking in this process
    WrittenPages written;  // empty: no tracking in this process
    Counts* counts = nullptr;
  };

  // A new mapping of `file` at file offset `offset`; its shadow is what the
  // tracee's pages hold now. `view`, when not null, covers the same file
  // bytes and is what the mapping is compared through.
  void Add(uint64_t addr, uint64_t len, uint64_t file, uint64_t offset, const Tools& tools,
           std::shared_ptr<const FileView> view = nullptr);
  // Reports every page of every mapping that differs from its shadow:
  // of a tracked mapping, the pages written since the last flush, or
  // every page when `whole`.
  void Flush(const Tools& tools, bool whole = false);
  // After a fork: the child's mappings are not tracked (the kernel drops
  // the registration in the copy), so they are compared whole.
  void Untrack();
  // munmap: flushes the mappings [addr, addr+len) touches, then forgets that
  // range (keeping the parts on either side of a hole).
  void Remove(uint64_t addr, uint64_t len, const Tools& tools);
  // mremap: the mapping at `old_addr` (flushed beforehand) now lies at
  // `new_addr` with `new_len` bytes; its shadow moves with it and any new
  // tail is read afresh (its view is remade when it no longer covers it).
  void Move(uint64_t old_addr, uint64_t old_len, uint64_t new_addr, uint64_t new_len,
            const Tools& tools);

  // The traced parts of [addr, addr+len), for the msync events.
  struct Range {
    uint64_t file = 0, offset = 0, length = 0;
  };
  std::vector<Range> Covered(uint64_t addr, uint64_t len) const;
  // Bytes a write put into `file` at `offset`: copied into the shadows that
  // cover them, so they are not reported again as a store.
  void Written(uint64_t file, uint64_t offset, std::string_view data);
  bool Intersects(uint64_t addr, uint64_t len) const;
  bool empty() const { return all_.empty(); }
  void Clear() { all_.clear(); }

 private:
  struct Mapping {
    uint64_t addr = 0, len = 0, file = 0, offset = 0;
    std::string shadow;
    // The file bytes [offset, offset+len) at least; shared by the parts a
    // munmap leaves of one mapping.
    std::shared_ptr<const FileView> view;
    bool tracked = false;  // pages stored to are listed by Tools::written
  };
  static std::size_t Readable(const Mapping& m, const Tools& tools);
  // Copies `len` bytes of the mapping from `at` (relative to m.addr) into
  // `out`: through the view, else from the tracee. Returns how many.
  static std::size_t ReadInto(const Mapping& m, std::size_t at, char* out, std::size_t len,
                              const Tools& tools);
  static void FlushOne(Mapping& m, const Tools& tools, bool whole = true);
  // Compares the pages of [from, to) (relative to m.addr, within what is
  // readable); returns how many differed.
  static std::size_t FlushRange(Mapping& m, std::size_t from, std::size_t to, const Tools& tools);

  std::vector<Mapping> all_;
};

}  // namespace crashlab::ptrace
