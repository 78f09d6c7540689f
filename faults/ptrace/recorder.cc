// The recorder's tables and the trace appends; the per-call decoding is in
// syscalls_*.cc.
#include "faults/ptrace/recorder.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/syscall.h>

#include <cstdio>
#include <cstring>

#include "faults/ptrace/tracee_memory.h"

namespace crashlab::ptrace {
namespace {

// UFFD_USER_MODE_ONLY (Linux 5.11): faults from user space only, which lets
// a process without privilege make a userfaultfd.
constexpr uint64_t kUffdUserModeOnly = 1;

}  // namespace

Recorder::Recorder(Config config, TraceWriter& writer)
    : config_(std::move(config)),
      writer_(writer),
      case_dir_(config_.case_dir, config_.untraced_globs) {}

void Recorder::Emit(pid_t tid, Rec rec) {
  // One numbering over every process, in order of first event (the library
  // numbers per process: it cannot see the others).
  auto [it, added] = thread_numbers_.try_emplace(tid, next_thread_);
  if (added) ++next_thread_;
  rec.thread = it->second;
  writer_.Append(rec);
  ++emitted_;
  KillIfDue();
}

void Recorder::Record(Thread& t, Rec rec) {
  // One scope over the flush and the event: a live kill due on a flushed
  // page waits for this event, whose call may already have taken effect.
  // At a sync, every mapped page is compared, so that what a sync makes
  // durable never rests on write tracking alone.
  const bool sync =
      rec.kind == faults::EventKind::kFsync || rec.kind == faults::EventKind::kFdatasync ||
      rec.kind == faults::EventKind::kSyncRange || rec.kind == faults::EventKind::kSyncAll;
  ++flushing_;
  FlushMappings(t.tid, *t.process, sync);
  Emit(t.tid, rec);
  --flushing_;
  KillIfDue();
}

MappingSet::Tools Recorder::ToolsFor(pid_t tid, Process& p) {
  MappingSet::Tools tools;
  tools.counts = &counts_;
  if (std::shared_ptr<WriteTracker> tracker = p.tracker) {
    tools.track = [tracker](uint64_t addr, uint64_t len) { return tracker->Track(addr, len); };
    tools.written = [tracker](uint64_t addr, uint64_t len) {
      return tracker->TakeWritten(addr, len);
    };
  }
  tools.read = [tid](uint64_t addr, char* out, std::size_t len) {
    return ReadMemory(tid, addr, out, len);
  };
  tools.size_of = [this](uint64_t file) { return Size(file); };
  tools.changed = [this, tid](uint64_t file, uint64_t offset, std::string_view page) {
    Rec r;
    r.kind = faults::EventKind::kMapWrite;
    r.file = file;
    r.offset = offset;
    r.length = page.size();
    r.data = page;
    Emit(tid, r);
  };
  return tools;
}

void Recorder::FlushMappings(pid_t tid, Process& p, bool whole) {
  if (p.maps.empty()) return;
  ++flushing_;
  const uint64_t missed = counts_.missed_by_tracking;
  p.maps.Flush(ToolsFor(tid, p), whole);
  if (counts_.missed_by_tracking != missed && p.tracker) {
    // A store the kernel's listing did not show (a page reclaimed or
    // dropped between two events): from here on this process is compared
    // page by page at every event, as without tracking.
    std::fprintf(stderr,
                 "crashlab-ptrace: write tracking of process %d missed a store; comparing every "
                 "mapped page from now on\n",
                 static_cast<int>(p.tgid));
    p.tracker.reset();
    p.maps.Untrack();
  }
  --flushing_;
}

void Recorder::FlushAll(const std::vector<std::pair<pid_t, Process*>>& processes) {
  ++flushing_;
  for (const auto& [tid, process] : processes) process->maps.Flush(ToolsFor(tid, *process), true);
  --flushing_;
  writer_.Flush();
}

void Recorder::KillIfDue() {
  if (emitted_ <= config_.kill_at_event || flushing_ > 0 || killing_ || !kill_hook_) return;
  killing_ = true;
  kill_hook_();
}

uint64_t Recorder::FileId(const struct stat& st) {
  auto [it, added] = inodes_.try_emplace({st.st_dev, st.st_ino}, next_file_);
  if (added) ++next_file_;
  return it->second;
}

uint64_t Recorder::Size(uint64_t file) const {
  auto it = sizes_.find(file);
  return it == sizes_.end() ? 0 : it->second;
}

void Recorder::GrowSize(uint64_t file, uint64_t end) {
  uint64_t& s = sizes_[file];
  if (end > s) s = end;
}

FdEntry Recorder::Lookup(Thread& t, int fd) {
  if (const FdEntry* known = t.process->fds.Find(fd)) return *known;
  FdEntry e;
  const std::string abs = FdPath(t.tid, fd);
  if (abs.empty()) return e;  // not open: the call fails with EBADF
  char link[64];
  std::snprintf(link, sizeof(link), "/proc/%d/fd/%d", static_cast<int>(t.tid), fd);
  struct stat st;
  if (::stat(link, &st) != 0) return e;
  std::string rel;
  // By device and inode alone, as the library: run by hand, the "pipe" may
  // be the file stdout was redirected to.
  if (config_.have_reply_pipe && st.st_dev == config_.reply_dev && st.st_ino == config_.reply_ino) {
    e.kind = FdKind::kReplyPipe;
  } else if (case_dir_.Contains(abs, rel) && (S_ISDIR(st.st_mode) || !case_dir_.Untraced(rel))) {
    // A descriptor the program got some other way (inherited, passed over
    // a socket): traced from here on, its size as it is now.
    e.kind = FdKind::kTraced;
    e.file = FileId(st);
    e.path = rel;
    if (sizes_.find(e.file) == sizes_.end()) sizes_[e.file] = static_cast<uint64_t>(st.st_size);
  }
  t.process->fds.Set(fd, e);
  return e;
}

std::string Recorder::ResolveAt(Thread& t, int dirfd, const std::string& path) {
  if (!path.empty() && path[0] == '/') return ResolveAgainst("/", path);
  const std::string base = dirfd == AT_FDCWD ? Cwd(t.tid) : FdPath(t.tid, dirfd);
  return ResolveAgainst(base, path);
}

NameArg Recorder::Look(Thread& t, int dirfd, uint64_t path_addr) {
  NameArg n;
  const std::optional<std::string> path = ReadString(t.tid, path_addr);
  if (!path) return n;
  const std::string abs = ResolveAt(t, dirfd, *path);
  n.inside = case_dir_.Contains(abs, n.rel);
  n.exists = ::lstat(abs.c_str(), &n.st) == 0;
  return n;
}

bool Recorder::OnEntry(Thread& t, long nr, const uint64_t args[6]) {
  PendingCall c;
  c.nr = nr;
  std::memcpy(c.args, args, sizeof(c.args));
  if (t.restarting) {
    const PendingCall again = std::move(*t.restarting);
    t.restarting.reset();
    if (again.nr == nr && std::memcmp(again.args, args, sizeof(c.args)) == 0) {
      t.pending = again;  // recorded at its first entry
      return true;        // nothing appended
    }
  }
  bool to_exit = false;
  switch (nr) {
    case SYS_write:
    case SYS_pwrite64:
    case SYS_writev:
    case SYS_pwritev:
    case SYS_pwritev2:
      to_exit = EnterWrite(t, c);
      break;
    case SYS_copy_file_range:
    case SYS_sendfile:
      to_exit = EnterCopy(t, c);
      break;
    case SYS_open:
    case SYS_openat:
    case SYS_openat2:
    case SYS_creat:
      to_exit = EnterOpen(t, c);
      break;
    case SYS_close:
      EnterClose(t, static_cast<int>(args[0]));
      break;
    case SYS_close_range:
      // Only forgets: like the library (which libc's closefrom bypasses),
      // no close events.
      if (!(args[2] & CLOSE_RANGE_CLOEXEC)) t.process->fds.ForgetRange(args[0], args[1]);
      break;
    case SYS_dup:
    case SYS_dup2:
    case SYS_dup3:
    case SYS_fcntl:
      to_exit = true;
      break;
    case SYS_ftruncate:
    case SYS_fallocate:
    case SYS_fsync:
    case SYS_fdatasync:
    case SYS_sync_file_range:
    case SYS_sync:
    case SYS_syncfs:
      to_exit = EnterFdEvent(t, c);
      break;
    case SYS_mmap:
    case SYS_munmap:
    case SYS_msync:
    case SYS_mremap:
      to_exit = EnterMap(t, c);
      break;
    default:  // the name calls, and truncate
      to_exit = EnterName(t, c);
      break;
  }
  if (to_exit) t.pending = std::move(c);
  writer_.Flush();  // before the call runs
  return to_exit;
}

void Recorder::OnExit(Thread& t, int64_t rval, bool is_error) {
  if (!t.pending) return;
  const PendingCall c = std::move(*t.pending);
  t.pending.reset();
  ExitCall(t, c, rval, is_error);
  writer_.Flush();  // before the thread goes on
}

void Recorder::ExitCall(Thread& t, const PendingCall& c, int64_t rval, bool is_error) {
  switch (c.nr) {
    case SYS_write:
    case SYS_pwrite64:
    case SYS_writev:
    case SYS_pwritev:
    case SYS_pwritev2:
    case SYS_copy_file_range:
    case SYS_sendfile:
      ExitWrite(t, c, rval, is_error);
      return;
    case SYS_open:
    case SYS_openat:
    case SYS_openat2:
    case SYS_creat:
      if (!is_error) ExitOpen(t, c, rval);
      return;
    case SYS_dup:
    case SYS_dup2:
    case SYS_dup3:
    case SYS_fcntl:
      if (!is_error) ExitDup(t, c, rval);
      return;
    case SYS_ftruncate:
    case SYS_fallocate:
    case SYS_fsync:
    case SYS_fdatasync:
    case SYS_sync_file_range:
    case SYS_sync:
    case SYS_syncfs:
      if (!is_error) ExitFdEvent(t, c);
      return;
    case SYS_mmap:
    case SYS_msync:
    case SYS_mremap:
      if (!is_error) ExitMap(t, c, rval);
      return;
    default:
      if (!is_error) ExitName(t, c);
      return;
  }
}

void Recorder::EnsureTracker(Thread& t) {
  Process& p = *t.process;
  if (p.tracker || p.tracker_tried || !injector_ || !config_.track_writes) return;
  p.tracker_tried = true;
  // The userfaultfd must be the program's own (it tracks the memory of the
  // process that makes it): made there, taken over, and closed there, so
  // that the program's descriptors are as they were.
  const std::optional<int64_t> fd =
      injector_(t.tid, SYS_userfaultfd, {O_CLOEXEC | kUffdUserModeOnly, 0, 0, 0, 0, 0});
  if (!fd || *fd < 0) return;
  std::unique_ptr<WriteTracker> tracker = WriteTracker::Adopt(p.tgid, static_cast<int>(*fd));
  (void)injector_(t.tid, SYS_close, {static_cast<uint64_t>(*fd), 0, 0, 0, 0, 0});
  p.tracker = std::move(tracker);
}

void Recorder::PrintStats() const {
  std::fprintf(stderr,
               "crashlab-ptrace: %llu events, %llu write-tracked mappings, %llu pages compared, "
               "%llu changed pages write tracking missed\n",
               static_cast<unsigned long long>(emitted_),
               static_cast<unsigned long long>(counts_.tracked_mappings),
               static_cast<unsigned long long>(counts_.pages_compared),
               static_cast<unsigned long long>(counts_.missed_by_tracking));
}

void Recorder::OnExec(Thread& t) {
  Process& p = *t.process;
  p.tracker.reset();  // it tracked the memory the exec replaced
  p.tracker_tried = false;
  // The kernel closed the CLOEXEC descriptors (fdinfo flags 02000000) before
  // reporting the exec: whatever is still open kept its identity.
  for (int fd : p.fds.Descriptors()) {
    if (FdPath(t.tid, fd).empty()) p.fds.Forget(fd);
  }
  p.maps.Clear();
  p.replies.Clear();
}

}  // namespace crashlab::ptrace
