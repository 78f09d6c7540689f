// The calls that resize, sync and map traced files: ftruncate, fallocate,
// fsync, fdatasync, sync_file_range, sync, syncfs (recorded at their exit,
// once they succeeded: a sync is in the trace only once it has returned),
// and mmap, munmap, msync, mremap, which keep the shadows of the shared
// writable mappings (mappings.h).
#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <string>

#include "faults/ptrace/recorder.h"

namespace crashlab::ptrace {
namespace {

using faults::EventKind;

}  // namespace

bool Recorder::EnterFdEvent(Thread& t, PendingCall& c) {
  if (c.nr == SYS_sync || c.nr == SYS_syncfs) return true;  // sync-all, whatever the fd
  if (c.nr == SYS_sync_file_range) {
    // Only a range written with WAIT_AFTER is known written back on return;
    // other forms start writeback and promise nothing.
    const uint64_t flags = c.args[3];
    if (!(flags & SYNC_FILE_RANGE_WRITE) || !(flags & SYNC_FILE_RANGE_WAIT_AFTER)) return false;
  }
  const FdEntry e = Lookup(t, static_cast<int>(c.args[0]));
  if (e.kind != FdKind::kTraced) return false;
  c.file = e.file;
  c.resolved = e.path;
  return true;
}

void Recorder::ExitFdEvent(Thread& t, const PendingCall& c) {
  Rec r;
  r.file = c.file;
  r.path = c.resolved;
  switch (c.nr) {
    case SYS_sync:
    case SYS_syncfs:
      r = Rec{};
      r.kind = EventKind::kSyncAll;
      break;
    case SYS_ftruncate:  // ftruncate(fd, length)
      r.kind = EventKind::kTruncate;
      r.length = c.args[1];
      sizes_[c.file] = c.args[1];
      break;
    case SYS_fallocate:  // fallocate(fd, mode, offset, len)
      r.kind = EventKind::kFallocate;
      r.flags = static_cast<uint32_t>(c.args[1]);
      r.offset = c.args[2];
      r.length = c.args[3];
      if (!(c.args[1] & FALLOC_FL_KEEP_SIZE)) GrowSize(c.file, c.args[2] + c.args[3]);
      break;
    case SYS_fsync:
      r.kind = EventKind::kFsync;
      break;
    case SYS_fdatasync:
      r.kind = EventKind::kFdatasync;
      break;
    case SYS_sync_file_range:  // sync_file_range(fd, offset, nbytes, flags)
      r.kind = EventKind::kSyncRange;
      r.offset = c.args[1];
      r.length = c.args[2];
      break;
    default:
      return;
  }
  Record(t, r);
}

bool Recorder::EnterMap(Thread& t, PendingCall& c) {
  Process& p = *t.process;
  switch (c.nr) {
    case SYS_mmap: {  // mmap(addr, len, prot, flags, fd, offset)
      const uint64_t type = c.args[3] & MAP_TYPE;
      if (!(c.args[2] & PROT_WRITE) || (type != MAP_SHARED && type != MAP_SHARED_VALIDATE)) {
        return false;
      }
      const FdEntry e = Lookup(t, static_cast<int>(c.args[4]));
      if (e.kind != FdKind::kTraced) return false;
      c.file = e.file;
      return true;
    }
    case SYS_munmap:  // munmap(addr, len): flushed while the pages are still there
      if (p.maps.Intersects(c.args[0], c.args[1])) {
        ++flushing_;
        p.maps.Remove(c.args[0], c.args[1], ToolsFor(t.tid, p));
        --flushing_;
        KillIfDue();
      }
      return false;
    case SYS_msync:  // msync(addr, len, flags): the stores it is about come first
      FlushMappings(t.tid, p, /*whole=*/true);
      KillIfDue();
      return (c.args[2] & MS_SYNC) != 0 && !p.maps.empty();
    case SYS_mremap:  // mremap(old, old_len, new_len, flags, new)
      if (!p.maps.Intersects(c.args[0], c.args[1])) return false;
      FlushMappings(t.tid, p);
      KillIfDue();
      return true;
    default:
      return false;
  }
}

void Recorder::ExitMap(Thread& t, const PendingCall& c, int64_t rval) {
  Process& p = *t.process;
  switch (c.nr) {
    case SYS_mmap: {
      FlushMappings(t.tid, p);
      EnsureTracker(t);
      // The recorder's own view of the same file bytes, opened through the
      // descriptor the tracee mapped (still open: the call just returned).
      const std::string fd_path =
          "/proc/" + std::to_string(t.tid) + "/fd/" + std::to_string(static_cast<int>(c.args[4]));
      p.maps.Add(static_cast<uint64_t>(rval), c.args[1], c.file, c.args[5], ToolsFor(t.tid, p),
                 FileView::Open(fd_path, c.args[5], c.args[1]));
      KillIfDue();
      return;
    }
    case SYS_msync:
      FlushMappings(t.tid, p, /*whole=*/true);
      for (const MappingSet::Range& range : p.maps.Covered(c.args[0], c.args[1])) {
        Rec r;
        r.kind = EventKind::kMsync;
        r.file = range.file;
        r.offset = range.offset;
        r.length = range.length;
        Emit(t.tid, r);
      }
      return;
    case SYS_mremap:
      p.maps.Move(c.args[0], c.args[1], static_cast<uint64_t>(rval), c.args[2], ToolsFor(t.tid, p));
      return;
    default:
      return;
  }
}

}  // namespace crashlab::ptrace
