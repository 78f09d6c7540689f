#include "engines/pagejournal/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace crashlab::pagejournal {

Status ErrnoError(const std::string& what, const std::string& path, int err) {
  return Status::Error(what + " " + path + ": " + std::strerror(err));
}

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    Reset();
    fd_ = other.Release();
  }
  return *this;
}

int Fd::Release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

void Fd::Reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

AlignedBuffer::AlignedBuffer(std::size_t size) : size_(size) {
  const std::size_t rounded = (size + kAlign - 1) / kAlign * kAlign;
  void* p = std::aligned_alloc(kAlign, rounded == 0 ? kAlign : rounded);
  if (p == nullptr) std::abort();  // out of memory: nothing sensible to return
  std::memset(p, 0, rounded == 0 ? kAlign : rounded);
  data_.reset(static_cast<uint8_t*>(p));
}

void AlignedBuffer::Free::operator()(uint8_t* p) const { std::free(p); }

Result<Fd> OpenFile(const std::string& path, int flags, int mode) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrnoError("cannot open", path, errno);
  return Fd(fd);
}

Status WriteAt(int fd, const void* data, std::size_t size, uint64_t offset,
               const std::string& path) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (size > 0) {
    const ssize_t n = ::pwrite(fd, p, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("write failed on", path, errno);
    if (n == 0) return Status::Error("write made no progress on " + path);
    p += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

Result<std::size_t> ReadAt(int fd, void* data, std::size_t size, uint64_t offset,
                           const std::string& path) {
  auto* p = static_cast<uint8_t*>(data);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd, p + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("read failed on", path, errno);
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

Result<uint64_t> FileSize(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoError("cannot stat", path, errno);
  return static_cast<uint64_t>(st.st_size);
}

Status Preallocate(int fd, uint64_t size, const std::string& path) {
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0)
    return ErrnoError("cannot set the size of", path, errno);
  const int rc = ::posix_fallocate(fd, 0, static_cast<off_t>(size));
  if (rc != 0 && rc != EOPNOTSUPP && rc != EINVAL)
    return ErrnoError("cannot allocate space for", path, rc);
  return Status::Ok();
}

Status SyncDirectory(const std::string& dir) {
  Result<Fd> fd = OpenFile(dir, O_RDONLY | O_DIRECTORY);
  if (!fd.ok()) return fd.status();
  // DURABILITY: makes the directory's entries (names created, renamed or
  // removed) durable; each caller says which name depends on it.
  if (::fsync(fd->get()) != 0) return ErrnoError("fsync failed on directory", dir, errno);
  return Status::Ok();
}

Status MakeDirectories(const std::string& dir) {
  std::filesystem::path prefix;
  for (const std::filesystem::path& part : std::filesystem::path(dir)) {
    prefix /= part;
    if (part.empty()) continue;  // a trailing '/'
    if (::mkdir(prefix.c_str(), 0755) == 0) {
      // DURABILITY: the new directory's name lives in its parent; without
      // this sync a power loss can remove the whole store directory, with
      // every acknowledged transaction in it.
      const std::string parent = prefix.has_parent_path() ? prefix.parent_path().string() : ".";
      if (Status s = SyncDirectory(parent.empty() ? "/" : parent); !s.ok()) return s;
    } else if (errno != EEXIST) {
      return ErrnoError("cannot create directory", prefix.string(), errno);
    }
  }
  return Status::Ok();
}

bool PathExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

Status RemoveIfExists(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return ErrnoError("cannot remove", path, errno);
  return Status::Ok();
}

}  // namespace crashlab::pagejournal
