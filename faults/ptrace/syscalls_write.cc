// The calls that put bytes into files: write, pwrite64, writev, pwritev,
// pwritev2, and copy_file_range and sendfile into a traced file. A write's
// event is appended at the call's entry, before any byte moves, with every
// byte it was given (read from the tracee, or from the source file at its
// offset for a copy); its exit only updates what the recorder believes
// (file size, mapping shadows) and lists a write that found the disk full.
// Writes to the protocol pipe become replies and writes to the point
// descriptor named points, both at entry.
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>

#include "faults/ptrace/recorder.h"
#include "faults/ptrace/tracee_memory.h"

namespace crashlab::ptrace {
namespace {

using faults::EventKind;

// The kernel's restart codes (include/linux/errno.h): the call runs again
// after the signal handler, with the same arguments.
constexpr int64_t kErestartSys = 512, kErestartNoHand = 514;

uint32_t WriteFlagBits(uint64_t fl, uint64_t rwf) {
  uint32_t bits = 0;
  if (fl & O_DIRECT) bits |= faults::kOpenDirect;
  if (fl & O_DSYNC) bits |= faults::kOpenDsync;  // O_SYNC includes the O_DSYNC bit
  if ((fl & O_SYNC) == O_SYNC) bits |= faults::kOpenSync;
  if (fl & O_APPEND) bits |= faults::kOpenAppend;
  if (rwf & RWF_DSYNC) bits |= faults::kOpenDsync;
  if (rwf & RWF_SYNC) bits |= faults::kOpenSync | faults::kOpenDsync;
  if (rwf & RWF_APPEND) bits |= faults::kOpenAppend;
  return bits;
}

std::string ProcFd(pid_t tid, int fd) {
  char link[64];
  std::snprintf(link, sizeof(link), "/proc/%d/fd/%d", static_cast<int>(tid), fd);
  return link;
}

// Where a write without an explicit offset lands: the end of the file for
// an append, else the descriptor's offset (as the library asks lseek).
uint64_t ImplicitOffset(pid_t tid, int fd, uint32_t bits, const FdInfoLines& info) {
  struct stat st;
  if ((bits & faults::kOpenAppend) && ::stat(ProcFd(tid, fd).c_str(), &st) == 0) {
    return static_cast<uint64_t>(st.st_size);
  }
  return info.pos;
}

// Up to `len` bytes of the file behind `fd` at `offset`, read through a
// descriptor of our own so the tracee's offset does not move.
std::string ReadSource(pid_t tid, int fd, uint64_t offset, uint64_t len) {
  std::string out;
  const int in = ::open(ProcFd(tid, fd).c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return out;
  char buf[65536];
  while (out.size() < len) {
    const std::size_t want = std::min<uint64_t>(sizeof(buf), len - out.size());
    const ssize_t n = ::pread(in, buf, want, static_cast<off_t>(offset + out.size()));
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(in);
  return out;
}

std::optional<uint64_t> ReadU64(pid_t tid, uint64_t addr) {
  uint64_t v = 0;
  if (ReadMemory(tid, addr, reinterpret_cast<char*>(&v), sizeof(v)) != sizeof(v)) return {};
  return v;
}

}  // namespace

void Recorder::NoteReply(Thread& t, const std::string& bytes) {
  for (const std::string& line : t.process->replies.Append(bytes)) {
    Rec r;
    r.kind = EventKind::kReply;
    r.name = line;
    Record(t, r);
  }
}

bool Recorder::EnterWrite(Thread& t, PendingCall& c) {
  const int fd = static_cast<int>(c.args[0]);
  const FdEntry e = Lookup(t, fd);
  if (e.kind == FdKind::kOther) return false;
  const bool vector = c.nr == SYS_writev || c.nr == SYS_pwritev || c.nr == SYS_pwritev2;
  std::optional<std::string> data =
      vector ? ReadIovecs(t.tid, c.args[1], c.args[2]) : ReadBytes(t.tid, c.args[1], c.args[2]);
  if (!data) return false;  // the call fails with EFAULT and writes nothing
  if (e.kind == FdKind::kReplyPipe) {
    NoteReply(t, *data);
    return false;
  }
  if (e.kind == FdKind::kPoint) {
    // faults/points/point.cc writes "<name>\n" with one raw write per point.
    LineSplitter lines;
    for (const std::string& name : lines.Append(*data)) {
      Rec r;
      r.kind = EventKind::kPoint;
      r.name = name;
      Record(t, r);
    }
    return false;
  }
  c.at = c.nr == SYS_write || c.nr == SYS_writev ? -1 : static_cast<int64_t>(c.args[3]);
  c.rwf = c.nr == SYS_pwritev2 ? static_cast<int>(c.args[5]) : 0;
  const std::optional<FdInfoLines> info = ReadFdInfo(t.tid, fd);
  if (!info) return false;
  Rec r;
  r.kind = EventKind::kWrite;
  r.file = e.file;
  r.path = e.path;
  r.flags = WriteFlagBits(info->flags, static_cast<uint64_t>(c.rwf));
  r.offset = c.at < 0 || (c.rwf & RWF_APPEND) ? ImplicitOffset(t.tid, fd, r.flags, *info)
                                              : static_cast<uint64_t>(c.at);
  r.length = data->size();
  r.data = *data;
  Record(t, r);
  c.file = e.file;
  c.resolved = e.path;
  c.data = std::move(*data);
  return true;
}

bool Recorder::EnterCopy(Thread& t, PendingCall& c) {
  // copy_file_range(in, off_in*, out, off_out*, len, flags);
  // sendfile(out, in, off*, count).
  const bool copy = c.nr == SYS_copy_file_range;
  const int in = static_cast<int>(copy ? c.args[0] : c.args[1]);
  const int out = static_cast<int>(copy ? c.args[2] : c.args[0]);
  const uint64_t in_off_ptr = copy ? c.args[1] : c.args[2];
  const uint64_t out_off_ptr = copy ? c.args[3] : 0;
  const uint64_t len = copy ? c.args[4] : c.args[3];
  const FdEntry e = Lookup(t, out);
  if (e.kind != FdKind::kTraced) return false;
  const std::optional<FdInfoLines> out_info = ReadFdInfo(t.tid, out);
  std::optional<uint64_t> in_off;
  if (in_off_ptr != 0) {
    in_off = ReadU64(t.tid, in_off_ptr);
  } else if (const auto in_info = ReadFdInfo(t.tid, in)) {
    in_off = in_info->pos;
  }
  if (!out_info || !in_off) return false;
  if (out_off_ptr != 0) {
    const std::optional<uint64_t> at = ReadU64(t.tid, out_off_ptr);
    if (!at) return false;
    c.at = static_cast<int64_t>(*at);
  }
  // What the call will copy: the source's bytes from its offset, as many
  // as it has up to `len` (a call can copy no more).
  std::string data = ReadSource(t.tid, in, *in_off, std::min<uint64_t>(len, 1ull << 31));
  Rec r;
  r.kind = EventKind::kWrite;
  r.file = e.file;
  r.path = e.path;
  r.flags = WriteFlagBits(out_info->flags, 0);
  r.offset =
      c.at < 0 ? ImplicitOffset(t.tid, out, r.flags, *out_info) : static_cast<uint64_t>(c.at);
  r.length = data.size();
  r.data = data;
  Record(t, r);
  c.file = e.file;
  c.resolved = e.path;
  c.data = std::move(data);
  return true;
}

void Recorder::ExitWrite(Thread& t, const PendingCall& c, int64_t rval, bool is_error) {
  if (is_error) {
    if (rval == -ENOSPC || rval == -EDQUOT) {
      writer_.NoteNoSpace(static_cast<int>(-rval), c.data.size(), c.resolved);
    } else if (rval <= -kErestartSys && rval >= -kErestartNoHand) {
      t.restarting = c;
    }
    return;
  }
  if (rval <= 0) return;
  const int out = static_cast<int>(c.nr == SYS_copy_file_range ? c.args[2] : c.args[0]);
  // Where the bytes landed: the explicit offset, or the descriptor's offset
  // after the call minus what it wrote.
  int64_t start = c.at;
  if (c.at < 0 || (c.rwf & RWF_APPEND)) {
    const std::optional<FdInfoLines> info = ReadFdInfo(t.tid, out);
    if (!info) return;
    start = static_cast<int64_t>(info->pos) - rval;
  }
  if (start < 0) return;
  const std::string_view written =
      std::string_view(c.data).substr(0, static_cast<std::size_t>(rval));
  GrowSize(c.file, static_cast<uint64_t>(start) + written.size());
  t.process->maps.Written(c.file, static_cast<uint64_t>(start), written);
}

}  // namespace crashlab::ptrace
