#include "faults/ptrace/mappings.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace crashlab::ptrace {
namespace {

std::size_t PageSize() {
  static const std::size_t size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return size;
}

}  // namespace

std::size_t MappingSet::Readable(const Mapping& m, const Tools& tools) {
  const uint64_t size = tools.size_of(m.file);
  if (size <= m.offset) return 0;
  return static_cast<std::size_t>(std::min<uint64_t>(m.len, size - m.offset));
}

std::size_t MappingSet::ReadInto(const Mapping& m, std::size_t at, char* out, std::size_t len,
                                 const Tools& tools) {
  if (m.view) return m.view->Copy(m.offset + at, out, len);
  return tools.read(m.addr + at, out, len);
}

std::size_t MappingSet::FlushRange(Mapping& m, std::size_t from, std::size_t to,
                                   const Tools& tools) {
  const std::size_t page = PageSize();
  std::size_t changed_pages = 0;
  if (m.view) {
    // In place: no copy of the pages, and a page past a truncation ends the
    // diff as a short read would.
    std::string changed(page, '\0');
    for (std::size_t at = from; at < to; at += page) {
      const std::size_t n = std::min(page, to - at);
      if (tools.counts != nullptr) ++tools.counts->pages_compared;
      const FileView::PageState state =
          m.view->ComparePage(m.offset + at, m.shadow.data() + at, changed.data(), n);
      if (state == FileView::PageState::kGone) break;
      if (state == FileView::PageState::kSame) continue;
      ++changed_pages;
      std::memcpy(m.shadow.data() + at, changed.data(), n);
      tools.changed(m.file, m.offset + at, std::string_view(m.shadow.data() + at, n));
    }
    return changed_pages;
  }
  // One read of the whole range, then a page-by-page compare: far fewer
  // system calls than a read per page.
  std::string now(to - from, '\0');
  const std::size_t got = tools.read(m.addr + from, now.data(), to - from);
  for (std::size_t at = 0; at < got; at += page) {
    const std::size_t n = std::min(page, got - at);
    if (tools.counts != nullptr) ++tools.counts->pages_compared;
    if (std::memcmp(now.data() + at, m.shadow.data() + from + at, n) == 0) continue;
    ++changed_pages;
    std::memcpy(m.shadow.data() + from + at, now.data() + at, n);
    tools.changed(m.file, m.offset + from + at, std::string_view(m.shadow.data() + from + at, n));
  }
  return changed_pages;
}

void MappingSet::FlushOne(Mapping& m, const Tools& tools, bool whole) {
  const std::size_t readable = Readable(m, tools);
  std::optional<std::vector<WriteTracker::Range>> written;
  if (m.tracked && tools.written) written = tools.written(m.addr, m.len);
  if (readable == 0) return;
  if (written) {
    for (const WriteTracker::Range& r : *written) {
      const std::size_t from = static_cast<std::size_t>(std::max(r.addr, m.addr) - m.addr);
      const std::size_t to = std::min<std::size_t>(
          readable, static_cast<std::size_t>(std::min(r.addr + r.len, m.addr + m.len) - m.addr));
      if (from < to) FlushRange(m, from, to, tools);
    }
    if (!whole) return;
  }
  const std::size_t missed = FlushRange(m, 0, readable, tools);
  if (written && tools.counts != nullptr) tools.counts->missed_by_tracking += missed;
}

void MappingSet::Add(uint64_t addr, uint64_t len, uint64_t file, uint64_t offset,
                     const Tools& tools, std::shared_ptr<const FileView> view) {
  Mapping m;
  m.addr = addr;
  m.len = len;
  m.file = file;
  m.offset = offset;
  if (view && view->Covers(offset, len)) m.view = std::move(view);
  m.shadow.assign(len, '\0');
  const std::size_t readable = Readable(m, tools);
  if (readable > 0) ReadInto(m, 0, m.shadow.data(), readable, tools);
  // After the shadow is read: from here on, every store is listed.
  m.tracked = tools.track && tools.track(addr, len);
  if (m.tracked && tools.counts != nullptr) ++tools.counts->tracked_mappings;
  all_.push_back(std::move(m));
}

void MappingSet::Flush(const Tools& tools, bool whole) {
  for (Mapping& m : all_) FlushOne(m, tools, whole);
}

void MappingSet::Untrack() {
  for (Mapping& m : all_) m.tracked = false;
}

void MappingSet::Remove(uint64_t addr, uint64_t len, const Tools& tools) {
  const uint64_t lo = addr, hi = addr + len;
  std::vector<Mapping> kept;
  for (Mapping& m : all_) {
    const uint64_t end = m.addr + m.len;
    if (end <= lo || m.addr >= hi) {
      kept.push_back(std::move(m));
      continue;
    }
    FlushOne(m, tools);
    if (m.addr < lo) {
      Mapping left = m;
      left.len = lo - m.addr;
      left.shadow.resize(left.len);
      kept.push_back(std::move(left));
    }
    if (end > hi) {
      Mapping right;
      const uint64_t skip = hi - m.addr;
      right.addr = hi;
      right.len = m.len - skip;
      right.file = m.file;
      right.offset = m.offset + skip;
      right.shadow = m.shadow.substr(skip);
      right.view = m.view;
      right.tracked = m.tracked;
      kept.push_back(std::move(right));
    }
  }
  all_.swap(kept);
}

void MappingSet::Move(uint64_t old_addr, uint64_t old_len, uint64_t new_addr, uint64_t new_len,
                      const Tools& tools) {
  for (auto it = all_.begin(); it != all_.end(); ++it) {
    if (it->addr != old_addr) continue;
    Mapping m = std::move(*it);
    all_.erase(it);
    const uint64_t kept = std::min(old_len, new_len);
    m.addr = new_addr;
    m.len = new_len;
    m.shadow.resize(new_len, '\0');
    if (m.view && !m.view->Covers(m.offset, new_len)) m.view = m.view->Remap(m.offset, new_len);
    // The grown tail, if any, is what the tracee's pages hold now.
    const std::size_t readable = Readable(m, tools);
    if (readable > kept) ReadInto(m, kept, m.shadow.data() + kept, readable - kept, tools);
    // The moved mapping may have lost its registration (the kernel drops
    // it unless the userfaultfd asked for remap events): track it anew.
    m.tracked = tools.track && tools.track(new_addr, new_len);
    all_.push_back(std::move(m));
    return;
  }
}

std::vector<MappingSet::Range> MappingSet::Covered(uint64_t addr, uint64_t len) const {
  std::vector<Range> out;
  for (const Mapping& m : all_) {
    const uint64_t a = std::max(addr, m.addr);
    const uint64_t b = std::min(addr + len, m.addr + m.len);
    if (a >= b) continue;
    out.push_back(Range{m.file, m.offset + (a - m.addr), b - a});
  }
  return out;
}

void MappingSet::Written(uint64_t file, uint64_t offset, std::string_view data) {
  for (Mapping& m : all_) {
    if (m.file != file) continue;
    const uint64_t lo = std::max(offset, m.offset);
    const uint64_t hi = std::min<uint64_t>(offset + data.size(), m.offset + m.len);
    if (lo >= hi) continue;
    std::memcpy(m.shadow.data() + (lo - m.offset), data.data() + (lo - offset), hi - lo);
  }
}

bool MappingSet::Intersects(uint64_t addr, uint64_t len) const {
  for (const Mapping& m : all_) {
    if (m.addr < addr + len && addr < m.addr + m.len) return true;
  }
  return false;
}

}  // namespace crashlab::ptrace
