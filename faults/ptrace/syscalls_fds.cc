// The calls that make and retire descriptors: open, openat, openat2, creat,
// close, dup, dup2, dup3 and fcntl(F_DUPFD, F_DUPFD_CLOEXEC). An open's event
// is appended at its exit, once it succeeded, with what the new descriptor
// names (/proc/TID/fd/N); a close's at its entry, as the library appends it
// before the call.
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <cstdio>

#include "faults/ptrace/recorder.h"
#include "faults/ptrace/tracee_memory.h"

namespace crashlab::ptrace {
namespace {

using faults::EventKind;

uint32_t OpenFlagBits(int flags) {
  uint32_t bits = 0;
  if (flags & O_DIRECT) bits |= faults::kOpenDirect;
  if (flags & O_DSYNC) bits |= faults::kOpenDsync;  // O_SYNC includes the O_DSYNC bit
  if ((flags & O_SYNC) == O_SYNC) bits |= faults::kOpenSync;
  if (flags & O_APPEND) bits |= faults::kOpenAppend;
  if (flags & O_TRUNC) bits |= faults::kOpenTrunc;
  return bits;
}

}  // namespace

bool Recorder::EnterOpen(Thread& t, PendingCall& c) {
  int dirfd = AT_FDCWD;
  uint64_t path_addr = c.args[0];
  int flags = static_cast<int>(c.args[1]);
  if (c.nr == SYS_openat || c.nr == SYS_openat2) {
    dirfd = static_cast<int>(c.args[0]);
    path_addr = c.args[1];
    flags = static_cast<int>(c.args[2]);
  }
  if (c.nr == SYS_creat) flags = O_CREAT | O_WRONLY | O_TRUNC;
  if (c.nr == SYS_openat2) {
    struct open_how how {};
    if (ReadMemory(t.tid, c.args[2], reinterpret_cast<char*>(&how), sizeof(how.flags)) !=
        sizeof(how.flags)) {
      return false;  // the call fails with EFAULT
    }
    flags = static_cast<int>(how.flags);
  }
  const std::optional<std::string> path = ReadString(t.tid, path_addr);
  if (!path) return false;
  c.open_flags = flags;
  c.resolved = ResolveAt(t, dirfd, *path);
  if (flags & O_CREAT) {
    struct stat st;
    c.existed = ::stat(c.resolved.c_str(), &st) == 0;
  }
  return true;
}

void Recorder::ExitOpen(Thread& t, const PendingCall& c, int64_t rval) {
  const int fd = static_cast<int>(rval);
  // Whatever the number named before is gone: the entry is made anew.
  t.process->fds.Forget(fd);
  std::string abs = FdPath(t.tid, fd);
  if (abs.empty()) abs = c.resolved;
  char link[64];
  std::snprintf(link, sizeof(link), "/proc/%d/fd/%d", static_cast<int>(t.tid), fd);
  struct stat st;
  if (::stat(link, &st) != 0) return;
  const int flags = c.open_flags;
  std::string rel;
  if (!case_dir_.Contains(abs, rel)) {
    const bool writes = (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC));
    if (writes && S_ISREG(st.st_mode)) writer_.NoteWriteOutside(abs);
    return;  // classified at its first use (Lookup): it may be the reply pipe
  }
  // A file the variant declares it never reads back: neither its descriptor
  // nor its writes are traced, and crash states leave it out.
  if (!S_ISDIR(st.st_mode) && case_dir_.Untraced(rel)) {
    t.process->fds.Set(fd, FdEntry{});
    return;
  }
  uint32_t bits = OpenFlagBits(flags);
  if (!c.existed) bits |= faults::kOpenCreated;
  if (S_ISDIR(st.st_mode)) bits |= faults::kOpenDirectory;
  const uint64_t file = FileId(st);
  t.process->fds.Set(fd, FdEntry{FdKind::kTraced, file, rel});
  sizes_[file] = static_cast<uint64_t>(st.st_size);
  Rec r;
  r.kind = EventKind::kOpen;
  r.file = file;
  r.flags = bits;
  r.path = rel;
  Record(t, r);
  if ((flags & O_TRUNC) && c.existed && (flags & O_ACCMODE) != O_RDONLY && S_ISREG(st.st_mode)) {
    Rec trunc;
    trunc.kind = EventKind::kTruncate;
    trunc.file = file;
    trunc.path = rel;
    Emit(t.tid, trunc);
  }
}

void Recorder::EnterClose(Thread& t, int fd) {
  // Only descriptors the table knows, as the library: a close is no event
  // for a file the trace never opened.
  const FdEntry* e = t.process->fds.Find(fd);
  if (e != nullptr && e->kind == FdKind::kTraced) {
    const FdEntry closing = *e;
    Rec r;
    r.kind = EventKind::kClose;
    r.file = closing.file;
    r.path = closing.path;
    Record(t, r);
  }
  t.process->fds.Forget(fd);
}

void Recorder::ExitDup(Thread& t, const PendingCall& c, int64_t rval) {
  // dup(fd), dup2(fd, to), dup3(fd, to, flags), fcntl(fd, F_DUPFD*, min):
  // the new descriptor is the result.
  t.process->fds.Dup(static_cast<int>(c.args[0]), static_cast<int>(rval));
}

}  // namespace crashlab::ptrace
