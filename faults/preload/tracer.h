// Internals of libcrashlab_preload.so: the trace writer, the tables of traced
// descriptors, files and mappings, and the guard that keeps the library from
// tracing itself. Functions that read or change the tables (Emit, Record,
// Traced, TrackFd, ForgetFd, FileId, ForgetInode, the sizes and mappings)
// must be called with the Lock held; the path helpers need no lock.
#pragma once

#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "faults/trace.h"

namespace crashlab::preload {

using faults::EventKind;

// One event to append, without seq (implied) and thread (added by Emit).
struct Rec {
  EventKind kind = EventKind::kOpen;
  uint64_t file = 0;
  uint32_t flags = 0;
  uint64_t offset = 0;
  uint64_t length = 0;
  std::string_view path, path2, data, name;
};

// Per-thread reentrancy guard: while one exists on a thread, every hook on
// that thread calls straight through (the library's own I/O, and calls that
// dlsym or libc make on our behalf).
class Guard {
 public:
  Guard();
  ~Guard();
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;
  // True when this thread was not already inside the library: trace the call.
  bool first() const { return first_; }

 private:
  bool first_;
};

// Restores errno when it goes: tracing must not change what the engine sees.
class ErrnoSaver {
 public:
  ErrnoSaver() : saved_(errno) {}
  ~ErrnoSaver() { errno = saved_; }
  ErrnoSaver(const ErrnoSaver&) = delete;
  ErrnoSaver& operator=(const ErrnoSaver&) = delete;

 private:
  int saved_;
};

// True once the constructor opened the trace. A hook traces only when this
// holds and its Guard is first(); otherwise it just calls the real function.
bool Active();

// The lock that serializes the tables and the trace appends.
std::unique_lock<std::mutex> Lock();

// Appends one record with the raw write syscall. Record() first brings the
// trace up to date with stores through shared mappings (Mappings::Flush).
// In live mode (CRASHLAB_KILL_AT_EVENT=c) the process group is SIGKILLed once event
// c is in the trace — after the flush in progress, if any, so that the pages
// it reports all reach the trace.
void Emit(const Rec& rec);
void Record(const Rec& rec);

// Marks a flush of the mappings in progress: a live kill due during it waits
// for the outermost scope to end.
class FlushScope {
 public:
  FlushScope();
  ~FlushScope();
  FlushScope(const FlushScope&) = delete;
  FlushScope& operator=(const FlushScope&) = delete;
};

// What the library knows about a traced descriptor.
struct FdInfo {
  uint64_t file = 0;
  std::string path;  // relative to the case directory
};

// The traced descriptor `fd`, or nullptr when it is not under the case dir.
FdInfo* Traced(int fd);
void TrackFd(int fd, FdInfo info);
void ForgetFd(int fd);

// The file id of the inode described by `st`, assigned on first sight; and
// forgetting an inode whose last name went away (its number may be reused).
uint64_t FileId(const struct stat& st);
void ForgetInode(const struct stat& st);

// The absolute path `path` names relative to `dirfd` (AT_FDCWD or a
// directory descriptor), with "." and ".." removed and the parent directory's
// symlinks resolved when it exists.
std::string Resolve(int dirfd, const char* path);
// The absolute path of open descriptor `fd` (/proc/self/fd), or "".
std::string FdPath(int fd);
// Sets `rel` to `abs` relative to the case directory ("." for the directory
// itself) and returns true when `abs` is inside it.
bool UnderCaseDir(const std::string& abs, std::string& rel);
// Appends `abs`, a regular file the engine opened for writing outside the case
// directory, to the trace's ".outside" list (faults/trace.h): no crash of the
// case directory reaches such a file. /dev, /proc and /sys are not state.
void NoteWriteOutside(const std::string& abs);

// Whether `fd` is the pipe crashlab reads the engine's replies from: the
// pipe whose device and inode CRASHLAB_REPLY_PIPE ("DEV:INO") names, at
// whatever descriptor number the engine holds it. Without the variable, the
// descriptor that was fd 1 when the library loaded. No lock needed.
bool IsReplyPipe(int fd);

// Whether `rel`, a path relative to the case directory, matches one of the
// CRASHLAB_UNTRACED_FILES patterns (fnmatch globs with FNM_PATHNAME, ':'
// between them): files the variant declares it never reads back, whose
// descriptors and names the library leaves out of the trace. No lock needed.
bool Untraced(const std::string& rel);

// The file size the library believes, kept so that diffing a mapping never
// touches a page past the end of its file (SIGBUS).
void SetSize(uint64_t file, uint64_t size);
void GrowSize(uint64_t file, uint64_t end);
uint64_t Size(uint64_t file);

// Shared writable mappings of traced files (mappings.cc).
namespace mappings {
void Add(void* addr, std::size_t len, uint64_t file, uint64_t offset);
// Emits kMapWrite for every page that differs from its shadow.
void Flush();
// Forgets [addr, addr+len) after flushing it.
void Remove(void* addr, std::size_t len);
// Emits kMsync for the traced parts of [addr, addr+len).
void Synced(void* addr, std::size_t len);
// Copies `data`, just written to `file` at `offset` by write(), into the
// shadows that cover it, so that it is not reported again as a map store.
void Written(uint64_t file, uint64_t offset, std::string_view data);
// Makes every traced mapping read-only (live kill: no store may land after
// the last flush).
void Freeze();
}  // namespace mappings

// The real libc function `name`, looked up once with dlsym(RTLD_NEXT).
void* RealSymbol(const char* name);

}  // namespace crashlab::preload

// The cache is a constant-initialised atomic, not a function-local static:
// hooks also run inside other libraries' initialisers, before the process's
// runtime is ready for the __cxa_guard_acquire of a guarded static (a
// ThreadSanitizer runtime creates its log_path directory with mkdir while it
// initialises, and crashes in its own __cxa_guard interceptor). Two threads
// racing on the first call both look the symbol up; both get the same answer.
// (An atomic of void*: one of the function's own pointer type would drop the
// nonnull attributes glibc declares, which GCC warns about.)
#define CRASHLAB_REAL(fn)                               \
  ([]() {                                               \
    static std::atomic<void*> real{nullptr};            \
    void* found = real.load(std::memory_order_acquire); \
    if (found == nullptr) {                             \
      found = ::crashlab::preload::RealSymbol(#fn);     \
      real.store(found, std::memory_order_release);     \
    }                                                   \
    return reinterpret_cast<decltype(&::fn)>(found);    \
  }())
