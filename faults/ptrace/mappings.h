// The shared writable mappings of traced files in one process, each with a
// shadow copy of its pages (the diff rule of docs/trace-format.md, as
// faults/preload/mappings.cc applies it inside the process). At every stop
// where the recorder appends an event of the process, each page that differs
// from its shadow is reported as a map-write. The pages are compared in place
// through the recorder's own mapping of the file (FileView) when it could
// make one, else read from the tracee (a Reader over process_vm_readv).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "faults/ptrace/file_view.h"

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

  struct Tools {
    Reader read;
    SizeOf size_of;
    PageChanged changed;
  };

  // A new mapping of `file` at file offset `offset`; its shadow is what the
  // tracee's pages hold now. `view`, when not null, covers the same file
  // bytes and is what the mapping is compared through.
  void Add(uint64_t addr, uint64_t len, uint64_t file, uint64_t offset, const Tools& tools,
           std::shared_ptr<const FileView> view = nullptr);
  // Reports every page of every mapping that differs from its shadow.
  void Flush(const Tools& tools);
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
  };
  static std::size_t Readable(const Mapping& m, const Tools& tools);
  // Copies `len` bytes of the mapping from `at` (relative to m.addr) into
  // `out`: through the view, else from the tracee. Returns how many.
  static std::size_t ReadInto(const Mapping& m, std::size_t at, char* out, std::size_t len,
                              const Tools& tools);
  static void FlushOne(Mapping& m, const Tools& tools);
  static void FlushThroughView(Mapping& m, std::size_t readable, const Tools& tools);

  std::vector<Mapping> all_;
};

}  // namespace crashlab::ptrace
