// Hooks that resize, sync and map traced files: ftruncate, fallocate,
// posix_fallocate, fsync, fdatasync, sync_file_range, sync, syncfs, mmap,
// munmap, msync; and crashlab_preload_point, which faults/points/point.cc calls at
// every named point. Resizes and syncs are recorded after they succeed: a
// sync is in the trace only once it has returned.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "faults/preload/tracer.h"

namespace crashlab::preload {
namespace {

// Records `kind` on `fd` when it is traced, after a successful call.
void NoteFd(int fd, EventKind kind, uint64_t offset = 0, uint64_t length = 0, uint32_t flags = 0) {
  ErrnoSaver keep;
  auto lock = Lock();
  FdInfo* info = Traced(fd);
  if (info == nullptr) return;
  Rec r;
  r.kind = kind;
  r.file = info->file;
  r.path = info->path;
  r.offset = offset;
  r.length = length;
  r.flags = flags;
  if (kind == EventKind::kTruncate) SetSize(info->file, length);
  if (kind == EventKind::kFallocate && !(flags & FALLOC_FL_KEEP_SIZE)) {
    GrowSize(info->file, offset + length);
  }
  Record(r);
}

void NoteSyncAll() {
  ErrnoSaver keep;
  auto lock = Lock();
  Rec r;
  r.kind = EventKind::kSyncAll;
  Record(r);
}

template <typename Call>
int AfterOk(int fd, Call call, EventKind kind, uint64_t offset = 0, uint64_t length = 0,
            uint32_t flags = 0) {
  Guard guard;
  const int r = call();
  if (r == 0 && guard.first() && Active()) NoteFd(fd, kind, offset, length, flags);
  return r;
}

void NoteMap(void* addr, size_t len, int prot, int flags, int fd, off64_t off) {
  if (addr == MAP_FAILED || fd < 0 || !(prot & PROT_WRITE)) return;
  if ((flags & MAP_TYPE) != MAP_SHARED && (flags & MAP_TYPE) != MAP_SHARED_VALIDATE) return;
  ErrnoSaver keep;
  auto lock = Lock();
  if (FdInfo* info = Traced(fd)) {
    mappings::Flush();
    mappings::Add(addr, len, info->file, static_cast<uint64_t>(off));
  }
}

}  // namespace
}  // namespace crashlab::preload

using namespace crashlab::preload;  // NOLINT: the hooks below are C symbols

extern "C" {

int ftruncate(int fd, off_t len) {
  return AfterOk(
      fd, [&] { return CRASHLAB_REAL(ftruncate)(fd, len); }, EventKind::kTruncate, 0,
      static_cast<uint64_t>(len));
}

int ftruncate64(int fd, off64_t len) {
  return AfterOk(
      fd, [&] { return CRASHLAB_REAL(ftruncate64)(fd, len); }, EventKind::kTruncate, 0,
      static_cast<uint64_t>(len));
}

int fallocate(int fd, int mode, off_t off, off_t len) {
  return AfterOk(
      fd, [&] { return CRASHLAB_REAL(fallocate)(fd, mode, off, len); }, EventKind::kFallocate,
      static_cast<uint64_t>(off), static_cast<uint64_t>(len), static_cast<uint32_t>(mode));
}

int fallocate64(int fd, int mode, off64_t off, off64_t len) {
  return AfterOk(
      fd, [&] { return CRASHLAB_REAL(fallocate64)(fd, mode, off, len); }, EventKind::kFallocate,
      static_cast<uint64_t>(off), static_cast<uint64_t>(len), static_cast<uint32_t>(mode));
}

// posix_fallocate returns an error number and leaves errno alone.
int posix_fallocate(int fd, off_t off, off_t len) {
  return AfterOk(
      fd, [&] { return CRASHLAB_REAL(posix_fallocate)(fd, off, len); }, EventKind::kFallocate,
      static_cast<uint64_t>(off), static_cast<uint64_t>(len));
}

int posix_fallocate64(int fd, off64_t off, off64_t len) {
  return AfterOk(
      fd, [&] { return CRASHLAB_REAL(posix_fallocate64)(fd, off, len); }, EventKind::kFallocate,
      static_cast<uint64_t>(off), static_cast<uint64_t>(len));
}

int fsync(int fd) {
  return AfterOk(
      fd, [&] { return CRASHLAB_REAL(fsync)(fd); }, EventKind::kFsync);
}

int fdatasync(int fd) {
  return AfterOk(
      fd, [&] { return CRASHLAB_REAL(fdatasync)(fd); }, EventKind::kFdatasync);
}

// Only a range synced with SYNC_FILE_RANGE_WAIT_AFTER is known written back
// when the call returns; other forms start writeback and promise nothing.
int sync_file_range(int fd, off64_t off, off64_t len, unsigned int flags) {
  Guard guard;
  const int r = CRASHLAB_REAL(sync_file_range)(fd, off, len, flags);
  if (r == 0 && guard.first() && Active() && (flags & SYNC_FILE_RANGE_WAIT_AFTER) &&
      (flags & SYNC_FILE_RANGE_WRITE)) {
    NoteFd(fd, EventKind::kSyncRange, static_cast<uint64_t>(off), static_cast<uint64_t>(len));
  }
  return r;
}

void sync() {
  Guard guard;
  CRASHLAB_REAL(sync)();
  if (guard.first() && Active()) NoteSyncAll();
}

int syncfs(int fd) {
  Guard guard;
  const int r = CRASHLAB_REAL(syncfs)(fd);
  if (r == 0 && guard.first() && Active()) NoteSyncAll();
  return r;
}

void* mmap(void* addr, size_t len, int prot, int flags, int fd, off_t off) {
  Guard guard;
  void* p = CRASHLAB_REAL(mmap)(addr, len, prot, flags, fd, off);
  if (guard.first() && Active()) NoteMap(p, len, prot, flags, fd, off);
  return p;
}

void* mmap64(void* addr, size_t len, int prot, int flags, int fd, off64_t off) {
  Guard guard;
  void* p = CRASHLAB_REAL(mmap64)(addr, len, prot, flags, fd, off);
  if (guard.first() && Active()) NoteMap(p, len, prot, flags, fd, off);
  return p;
}

int munmap(void* addr, size_t len) {
  Guard guard;
  if (guard.first() && Active()) {
    ErrnoSaver keep;
    auto lock = Lock();
    mappings::Remove(addr, len);
  }
  return CRASHLAB_REAL(munmap)(addr, len);
}

int msync(void* addr, size_t len, int flags) {
  Guard guard;
  if (guard.first() && Active()) {
    ErrnoSaver keep;
    auto lock = Lock();
    mappings::Flush();  // the stores this msync is about come first
  }
  const int r = CRASHLAB_REAL(msync)(addr, len, flags);
  if (r == 0 && (flags & MS_SYNC) && guard.first() && Active()) {
    ErrnoSaver keep;
    auto lock = Lock();
    mappings::Flush();
    mappings::Synced(addr, len);
  }
  return r;
}

// Called by faults/points/point.cc at every named point when this library is loaded.
__attribute__((visibility("default"))) void crashlab_preload_point(const char* name) {
  Guard guard;
  if (!guard.first() || !Active() || name == nullptr) return;
  ErrnoSaver keep;
  auto lock = Lock();
  Rec r;
  r.kind = EventKind::kPoint;
  r.name = name;
  Record(r);
}

}  // extern "C"
