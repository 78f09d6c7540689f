// Small POSIX helpers shared by pagejournal's storage layers: an owning file
// descriptor, page-aligned buffers for O_DIRECT, whole-buffer pread/pwrite and
// directory sync. None of them decides ordering: callers say why they sync.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "framework/base/status.h"

namespace crashlab::pagejournal {

// "<what> <path>: <strerror(err)>".
Status ErrnoError(const std::string& what, const std::string& path, int err);

// Owns one file descriptor; closes it when destroyed.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(Fd&& other) noexcept : fd_(other.Release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release();
  void Reset();

 private:
  int fd_ = -1;
};

// A zero-filled buffer whose address is a multiple of kAlign, as O_DIRECT needs.
class AlignedBuffer {
 public:
  static constexpr std::size_t kAlign = 4096;
  AlignedBuffer() = default;
  explicit AlignedBuffer(std::size_t size);
  uint8_t* data() { return data_.get(); }
  const uint8_t* data() const { return data_.get(); }
  std::size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(uint8_t* p) const;
  };
  std::unique_ptr<uint8_t, Free> data_;
  std::size_t size_ = 0;
};

// Opens `path` with `flags` (O_CLOEXEC added) and `mode`.
[[nodiscard]] Result<Fd> OpenFile(const std::string& path, int flags, int mode = 0644);
// Writes all `size` bytes at `offset`, retrying short writes and EINTR.
[[nodiscard]] Status WriteAt(int fd, const void* data, std::size_t size, uint64_t offset,
                             const std::string& path);
// Reads up to `size` bytes at `offset`; returns how many were read (fewer
// only at end of file).
[[nodiscard]] Result<std::size_t> ReadAt(int fd, void* data, std::size_t size, uint64_t offset,
                                         const std::string& path);
// The size of the open file `fd`.
[[nodiscard]] Result<uint64_t> FileSize(int fd, const std::string& path);
// Sets the size of `fd` to `size` and asks the file system to allocate its
// blocks (posix_fallocate; where unsupported, the size alone is set).
[[nodiscard]] Status Preallocate(int fd, uint64_t size, const std::string& path);
// fsync of the directory `dir`, which makes the names created, renamed or
// removed in it durable. Callers say which name needs it.
[[nodiscard]] Status SyncDirectory(const std::string& dir);
// mkdir -p; the parent of every directory created is synced, so the new
// name survives a power loss.
[[nodiscard]] Status MakeDirectories(const std::string& dir);
// Whether `path` names an existing file.
bool PathExists(const std::string& path);
// unlink(path); absent is not an error.
[[nodiscard]] Status RemoveIfExists(const std::string& path);

}  // namespace crashlab::pagejournal
