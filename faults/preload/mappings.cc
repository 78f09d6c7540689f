// Shared writable mappings of traced files. Stores through a mapping make no
// call the library could see, so each mapping keeps a shadow copy of its
// pages; Flush() compares every page with its shadow and emits kMapWrite for
// each page that changed. It runs before every traced event and at every
// named point, so a store reaches the trace no later than the next traced
// call or point (DESIGN.md). The cost is a memcmp of every mapped page per
// traced event, plus one shadow copy of each mapping.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "faults/preload/tracer.h"

namespace crashlab::preload::mappings {
namespace {

struct Mapping {
  char* addr = nullptr;
  std::size_t len = 0;
  uint64_t file = 0;
  uint64_t offset = 0;  // file offset of addr
  std::vector<char> shadow;
};

std::vector<Mapping>& All() {
  static auto* all = new std::vector<Mapping>();
  return *all;
}

std::size_t PageSize() {
  static const std::size_t size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return size;
}

// Bytes of the mapping that lie within the file: pages wholly past its end
// raise SIGBUS when touched.
std::size_t Readable(const Mapping& m) {
  const uint64_t size = Size(m.file);
  if (size <= m.offset) return 0;
  return static_cast<std::size_t>(std::min<uint64_t>(m.len, size - m.offset));
}

void FlushOne(Mapping& m) {
  const std::size_t page = PageSize();
  const std::size_t readable = Readable(m);
  for (std::size_t at = 0; at < readable; at += page) {
    const std::size_t n = std::min(page, readable - at);
    if (std::memcmp(m.addr + at, m.shadow.data() + at, n) == 0) continue;
    // Copy first, then report the copy: the engine may store again meanwhile.
    std::memcpy(m.shadow.data() + at, m.addr + at, n);
    Rec r;
    r.kind = EventKind::kMapWrite;
    r.file = m.file;
    r.offset = m.offset + at;
    r.length = n;
    r.data = std::string_view(m.shadow.data() + at, n);
    Emit(r);
  }
}

}  // namespace

void Add(void* addr, std::size_t len, uint64_t file, uint64_t offset) {
  Mapping m;
  m.addr = static_cast<char*>(addr);
  m.len = len;
  m.file = file;
  m.offset = offset;
  m.shadow.assign(len, 0);
  const std::size_t readable = Readable(m);
  std::memcpy(m.shadow.data(), m.addr, readable);
  All().push_back(std::move(m));
}

void Flush() {
  FlushScope scope;
  for (Mapping& m : All()) FlushOne(m);
}

void Freeze() {
  for (const Mapping& m : All()) ::mprotect(m.addr, m.len, PROT_READ);
}

void Remove(void* addr, std::size_t len) {
  FlushScope scope;
  char* const lo = static_cast<char*>(addr);
  char* const hi = lo + len;
  std::vector<Mapping> kept;
  for (Mapping& m : All()) {
    char* const end = m.addr + m.len;
    if (end <= lo || m.addr >= hi) {
      kept.push_back(std::move(m));
      continue;
    }
    FlushOne(m);
    // munmap may cut a hole: keep the parts on either side.
    if (m.addr < lo) {
      Mapping left = m;
      left.len = static_cast<std::size_t>(lo - m.addr);
      left.shadow.resize(left.len);
      kept.push_back(std::move(left));
    }
    if (end > hi) {
      Mapping right;
      const std::size_t skip = static_cast<std::size_t>(hi - m.addr);
      right.addr = hi;
      right.len = m.len - skip;
      right.file = m.file;
      right.offset = m.offset + skip;
      right.shadow.assign(m.shadow.begin() + static_cast<std::ptrdiff_t>(skip), m.shadow.end());
      kept.push_back(std::move(right));
    }
  }
  All().swap(kept);
}

void Synced(void* addr, std::size_t len) {
  char* const lo = static_cast<char*>(addr);
  char* const hi = lo + len;
  for (const Mapping& m : All()) {
    char* const a = std::max(lo, m.addr);
    char* const b = std::min(hi, m.addr + m.len);
    if (a >= b) continue;
    Rec r;
    r.kind = EventKind::kMsync;
    r.file = m.file;
    r.offset = m.offset + static_cast<uint64_t>(a - m.addr);
    r.length = static_cast<uint64_t>(b - a);
    Emit(r);
  }
}

void Written(uint64_t file, uint64_t offset, std::string_view data) {
  for (Mapping& m : All()) {
    if (m.file != file) continue;
    const uint64_t lo = std::max(offset, m.offset);
    const uint64_t hi = std::min<uint64_t>(offset + data.size(), m.offset + m.len);
    if (lo >= hi) continue;
    std::memcpy(m.shadow.data() + (lo - m.offset), data.data() + (lo - offset), hi - lo);
  }
}

}  // namespace crashlab::preload::mappings
