// Hooks that write: write, pwrite, writev, pwritev, pwritev2 (and the 64
// variants) on traced descriptors become kWrite events, recorded with their
// bytes BEFORE the real call, so that a crash during the call finds the write
// in flight. Writes to the protocol pipe crashlab reads (IsReplyPipe, at
// whatever descriptor number), and what fflush sends there, become kReply
// events, one per line; a write to any other stdout (a wrapper's `$(...)`
// subshell, a helper redirected to stderr) is no reply. A write that fails
// for want of space is listed beside the trace (faults::kNoSpaceSuffix).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "faults/preload/tracer.h"

namespace crashlab::preload {
namespace {

uint32_t WriteFlagBits(int fd, int rwf) {
  const long fl = syscall(SYS_fcntl, fd, F_GETFL);
  uint32_t bits = 0;
  if (fl >= 0) {
    if (fl & O_DIRECT) bits |= faults::kOpenDirect;
    if (fl & O_DSYNC) bits |= faults::kOpenDsync;
    if ((fl & O_SYNC) == O_SYNC) bits |= faults::kOpenSync;
    if (fl & O_APPEND) bits |= faults::kOpenAppend;
  }
  if (rwf & RWF_DSYNC) bits |= faults::kOpenDsync;
  if (rwf & RWF_SYNC) bits |= faults::kOpenSync | faults::kOpenDsync;
  if (rwf & RWF_APPEND) bits |= faults::kOpenAppend;
  return bits;
}

// Lines of stdout not yet ended by '\n', for this process.
std::string& PartialReply() {
  static auto* partial = new std::string();
  static pid_t owner = 0;
  if (owner != ::getpid()) {  // a forked child starts with no partial line
    owner = ::getpid();
    partial->clear();
  }
  return *partial;
}

void NoteReply(std::string_view bytes) {
  if (bytes.empty()) return;
  ErrnoSaver keep;
  auto lock = Lock();
  std::string& partial = PartialReply();
  partial.append(bytes);
  std::size_t start = 0;
  for (std::size_t nl; (nl = partial.find('\n', start)) != std::string::npos; start = nl + 1) {
    Rec r;
    r.kind = EventKind::kReply;
    r.name = std::string_view(partial).substr(start, nl - start);
    Record(r);
  }
  partial.erase(0, start);
}

// Records a write of `data` on `fd` at `offset` (-1: the descriptor's own
// offset or, with O_APPEND/RWF_APPEND, the end of the file). Returns the file
// id when `fd` is traced, or -1.
int64_t NoteWrite(int fd, std::string_view data, int64_t offset, int rwf) {
  ErrnoSaver keep;
  auto lock = Lock();
  FdInfo* info = Traced(fd);
  if (info == nullptr) return -1;
  Rec r;
  r.kind = EventKind::kWrite;
  r.file = info->file;
  r.path = info->path;
  r.flags = WriteFlagBits(fd, rwf);
  if (offset < 0 || (rwf & RWF_APPEND)) {
    struct stat st;
    if ((r.flags & faults::kOpenAppend) && ::fstat(fd, &st) == 0) {
      offset = st.st_size;
    } else {
      offset = syscall(SYS_lseek, fd, 0, SEEK_CUR);
    }
  }
  r.offset = static_cast<uint64_t>(offset < 0 ? 0 : offset);
  r.length = data.size();
  r.data = data;
  Record(r);
  return static_cast<int64_t>(r.file);
}

// Lists a traced write that failed with `err` (ENOSPC or EDQUOT) beside the
// trace. On a full file system the line itself may not fit, but creating the
// list needs only an inode: its existence is the signal, and the controller
// stops at the first.
void NoteNoSpace(int err, int fd, std::size_t bytes) {
  ErrnoSaver keep;
  auto lock = Lock();
  static int noted = 0;
  const char* trace = std::getenv("CRASHLAB_TRACE");
  if (trace == nullptr || noted >= 16) return;
  ++noted;
  const FdInfo* info = Traced(fd);
  const std::string line = std::string(err == ENOSPC ? "ENOSPC " : "EDQUOT ") +
                           std::to_string(bytes) + " " + (info ? info->path : "?") + "\n";
  const std::string list = std::string(trace) + faults::kNoSpaceSuffix;
  const long out =
      syscall(SYS_openat, AT_FDCWD, list.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) return;
  (void)syscall(SYS_write, out, line.data(), line.size());
  syscall(SYS_close, out);
}

std::string Gather(const struct iovec* iov, int count) {
  std::string out;
  for (int i = 0; i < count; ++i)
    out.append(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
  return out;
}

// The common path of every write hook: `data` is what the call writes.
template <typename Call>
ssize_t TracedWrite(int fd, std::string_view data, int64_t offset, int rwf, Call call) {
  Guard guard;
  if (!guard.first() || !Active()) return call();
  const int64_t file = NoteWrite(fd, data, offset, rwf);
  if (file < 0 && IsReplyPipe(fd)) {
    NoteReply(data);
    return call();
  }
  const int64_t at = offset;
  const ssize_t n = call();
  if (file >= 0 && n < 0 && (errno == ENOSPC || errno == EDQUOT)) {
    NoteNoSpace(errno, fd, data.size());
  }
  if (file >= 0 && n > 0) {
    ErrnoSaver keep;
    auto lock = Lock();
    // Where the bytes landed: the explicit offset, or the descriptor's
    // offset after the call minus what it wrote.
    const int64_t start =
        at >= 0 && !(rwf & RWF_APPEND) ? at : syscall(SYS_lseek, fd, 0, SEEK_CUR) - n;
    const std::string_view written = data.substr(0, static_cast<std::size_t>(n));
    GrowSize(static_cast<uint64_t>(file), static_cast<uint64_t>(start) + written.size());
    mappings::Written(static_cast<uint64_t>(file), static_cast<uint64_t>(start), written);
  }
  return n;
}

}  // namespace
}  // namespace crashlab::preload

using namespace crashlab::preload;  // NOLINT: the hooks below are C symbols

extern "C" {

ssize_t write(int fd, const void* buf, size_t n) {
  const std::string_view data(static_cast<const char*>(buf), n);
  return TracedWrite(fd, data, -1, 0, [&] { return CRASHLAB_REAL(write)(fd, buf, n); });
}

ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
  const std::string_view data(static_cast<const char*>(buf), n);
  return TracedWrite(fd, data, off, 0, [&] { return CRASHLAB_REAL(pwrite)(fd, buf, n, off); });
}

ssize_t pwrite64(int fd, const void* buf, size_t n, off64_t off) {
  const std::string_view data(static_cast<const char*>(buf), n);
  return TracedWrite(fd, data, off, 0, [&] { return CRASHLAB_REAL(pwrite64)(fd, buf, n, off); });
}

ssize_t writev(int fd, const struct iovec* iov, int count) {
  const std::string data = Active() ? Gather(iov, count) : std::string();
  return TracedWrite(fd, data, -1, 0, [&] { return CRASHLAB_REAL(writev)(fd, iov, count); });
}

ssize_t pwritev(int fd, const struct iovec* iov, int count, off_t off) {
  const std::string data = Active() ? Gather(iov, count) : std::string();
  return TracedWrite(fd, data, off, 0, [&] { return CRASHLAB_REAL(pwritev)(fd, iov, count, off); });
}

ssize_t pwritev64(int fd, const struct iovec* iov, int count, off64_t off) {
  const std::string data = Active() ? Gather(iov, count) : std::string();
  return TracedWrite(fd, data, off, 0,
                     [&] { return CRASHLAB_REAL(pwritev64)(fd, iov, count, off); });
}

ssize_t pwritev2(int fd, const struct iovec* iov, int count, off_t off, int flags) {
  const std::string data = Active() ? Gather(iov, count) : std::string();
  return TracedWrite(fd, data, off, flags,
                     [&] { return CRASHLAB_REAL(pwritev2)(fd, iov, count, off, flags); });
}

ssize_t pwritev64v2(int fd, const struct iovec* iov, int count, off64_t off, int flags) {
  const std::string data = Active() ? Gather(iov, count) : std::string();
  return TracedWrite(fd, data, off, flags,
                     [&] { return CRASHLAB_REAL(pwritev64v2)(fd, iov, count, off, flags); });
}

// stdio writes to its descriptor from inside libc, where no hook sees it; the
// engine's replies are caught when it flushes the stream on the protocol pipe
// (engines/adapter flushes stdout after every reply; fflush(NULL) is taken
// for stdout). What stdio flushes on its own, when its buffer fills or at a
// newline of a line-buffered stream, is missed, and crashlab then stops with
// the counts of replies traced and read (docs/trace-format.md).
int fflush(FILE* f) {
  Guard guard;
  FILE* stream = f != nullptr ? f : stdout;
  if (guard.first() && Active() && stream != nullptr) {
#ifdef __GLIBC__
    if (stream->_IO_write_ptr > stream->_IO_write_base && IsReplyPipe(stream->_fileno)) {
      NoteReply(std::string_view(
          stream->_IO_write_base,
          static_cast<std::size_t>(stream->_IO_write_ptr - stream->_IO_write_base)));
    }
#endif
  }
  return CRASHLAB_REAL(fflush)(f);
}

}  // extern "C"
