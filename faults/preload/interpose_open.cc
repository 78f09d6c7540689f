// Hooks that create and retire descriptors: open, openat, creat (and their
// 64 variants), close, dup, dup2, dup3, fcntl(F_DUPFD...), and opendir and
// closedir, whose open and close happen inside libc where no other hook sees
// them (the ptrace recorder does: tests/ptrace_recorder_test.cc compares).
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdarg>

#include "faults/preload/tracer.h"

namespace crashlab::preload {
namespace {

uint32_t OpenFlagBits(int flags) {
  uint32_t bits = 0;
  if (flags & O_DIRECT) bits |= faults::kOpenDirect;
  if (flags & O_DSYNC) bits |= faults::kOpenDsync;  // O_SYNC includes the O_DSYNC bit
  if ((flags & O_SYNC) == O_SYNC) bits |= faults::kOpenSync;
  if (flags & O_APPEND) bits |= faults::kOpenAppend;
  if (flags & O_TRUNC) bits |= faults::kOpenTrunc;
  return bits;
}

// After a successful open of `fd`: traces it when it is under the case dir.
void NoteOpen(int fd, int dirfd, const char* path, int flags, bool existed) {
  std::string abs = FdPath(fd);
  if (abs.empty()) abs = Resolve(dirfd, path);
  std::string rel;
  struct stat st;
  if (::fstat(fd, &st) != 0) return;
  if (!UnderCaseDir(abs, rel)) {
    const bool writes = (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC));
    if (writes && S_ISREG(st.st_mode)) NoteWriteOutside(abs);
    return;
  }
  // A file the variant declares it never reads back: neither its descriptor
  // nor its writes are traced, and crash states leave it out.
  if (!S_ISDIR(st.st_mode) && Untraced(rel)) return;
  auto lock = Lock();
  uint32_t bits = OpenFlagBits(flags);
  if (!existed) bits |= faults::kOpenCreated;
  if (S_ISDIR(st.st_mode)) bits |= faults::kOpenDirectory;
  const uint64_t file = FileId(st);
  TrackFd(fd, FdInfo{file, rel});
  SetSize(file, static_cast<uint64_t>(st.st_size));
  Rec r;
  r.kind = EventKind::kOpen;
  r.file = file;
  r.flags = bits;
  r.path = rel;
  Record(r);
  if ((flags & O_TRUNC) && existed && (flags & O_ACCMODE) != O_RDONLY && S_ISREG(st.st_mode)) {
    Rec t;
    t.kind = EventKind::kTruncate;
    t.file = file;
    t.path = rel;
    Emit(t);
  }
}

template <typename Call>
int TracedOpen(int dirfd, const char* path, int flags, Call call) {
  Guard guard;
  if (!guard.first() || !Active() || path == nullptr) return call();
  bool existed = true;
  if (flags & O_CREAT) {
    ErrnoSaver keep;
    struct stat st;
    existed = ::fstatat(dirfd, path, &st, 0) == 0;
  }
  const int fd = call();
  if (fd >= 0) {
    ErrnoSaver keep;
    NoteOpen(fd, dirfd, path, flags, existed);
  }
  return fd;
}

// Gives `to` the identity of `from` after a successful dup.
void NoteDup(int from, int to) {
  if (to < 0) return;
  ErrnoSaver keep;
  auto lock = Lock();
  FdInfo* info = Traced(from);
  if (Traced(to) != nullptr) ForgetFd(to);  // dup2/dup3 closed it silently
  if (info != nullptr) TrackFd(to, *info);
}

// Before a close of `fd`: its event, when it is traced.
void NoteClose(int fd) {
  ErrnoSaver keep;
  auto lock = Lock();
  if (FdInfo* info = Traced(fd)) {
    Rec r;
    r.kind = EventKind::kClose;
    r.file = info->file;
    r.path = info->path;
    Record(r);
    ForgetFd(fd);
  }
}

mode_t ModeArg(int flags, va_list ap) {
  return (flags & (O_CREAT | O_TMPFILE)) ? static_cast<mode_t>(va_arg(ap, int)) : 0;
}

}  // namespace
}  // namespace crashlab::preload

using namespace crashlab::preload;  // NOLINT: the hooks below are C symbols

extern "C" {

int open(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = ModeArg(flags, ap);
  va_end(ap);
  return TracedOpen(AT_FDCWD, path, flags, [&] { return CRASHLAB_REAL(open)(path, flags, mode); });
}

int open64(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = ModeArg(flags, ap);
  va_end(ap);
  return TracedOpen(AT_FDCWD, path, flags,
                    [&] { return CRASHLAB_REAL(open64)(path, flags, mode); });
}

int openat(int dirfd, const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = ModeArg(flags, ap);
  va_end(ap);
  return TracedOpen(dirfd, path, flags,
                    [&] { return CRASHLAB_REAL(openat)(dirfd, path, flags, mode); });
}

int openat64(int dirfd, const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = ModeArg(flags, ap);
  va_end(ap);
  return TracedOpen(dirfd, path, flags,
                    [&] { return CRASHLAB_REAL(openat64)(dirfd, path, flags, mode); });
}

int creat(const char* path, mode_t mode) {
  const int flags = O_CREAT | O_WRONLY | O_TRUNC;
  return TracedOpen(AT_FDCWD, path, flags, [&] { return CRASHLAB_REAL(creat)(path, mode); });
}

int creat64(const char* path, mode_t mode) {
  const int flags = O_CREAT | O_WRONLY | O_TRUNC;
  return TracedOpen(AT_FDCWD, path, flags, [&] { return CRASHLAB_REAL(creat64)(path, mode); });
}

int close(int fd) {
  Guard guard;
  if (guard.first() && Active()) NoteClose(fd);
  return CRASHLAB_REAL(close)(fd);
}

DIR* opendir(const char* path) {
  Guard guard;
  DIR* d = CRASHLAB_REAL(opendir)(path);
  if (d != nullptr && guard.first() && Active()) {
    ErrnoSaver keep;
    // The flags glibc opens a directory stream with (O_RDONLY|O_DIRECTORY...):
    // none is one the trace records, beyond "directory".
    NoteOpen(::dirfd(d), AT_FDCWD, path, O_RDONLY | O_DIRECTORY, true);
  }
  return d;
}

int closedir(DIR* d) {
  Guard guard;
  if (guard.first() && Active()) NoteClose(::dirfd(d));
  return CRASHLAB_REAL(closedir)(d);
}

int dup(int fd) {
  Guard guard;
  const int r = CRASHLAB_REAL(dup)(fd);
  if (guard.first() && Active()) NoteDup(fd, r);
  return r;
}

int dup2(int fd, int to) {
  Guard guard;
  const int r = CRASHLAB_REAL(dup2)(fd, to);
  if (guard.first() && Active() && fd != to) NoteDup(fd, r);
  return r;
}

int dup3(int fd, int to, int flags) {
  Guard guard;
  const int r = CRASHLAB_REAL(dup3)(fd, to, flags);
  if (guard.first() && Active()) NoteDup(fd, r);
  return r;
}

int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  // Every fcntl argument fits a pointer-sized register on the ABIs we build for.
  void* arg = va_arg(ap, void*);
  va_end(ap);
  Guard guard;
  const int r = CRASHLAB_REAL(fcntl)(fd, cmd, arg);
  if (guard.first() && Active() && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)) NoteDup(fd, r);
  return r;
}

}  // extern "C"
