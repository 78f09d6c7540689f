#include "framework/store/durable_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace crashlab {
namespace {

Status Failed(const std::string& what, const std::string& path, int err) {
  return Status::Error("cannot " + what + " " + path + ": " + std::strerror(err));
}

// Writes all of `bytes` to a new file at `path` and fsyncs it.
Status WriteAndSync(const std::string& path, std::string_view bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Failed("create", path, errno);
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return Failed("write", path, err);
    }
    done += static_cast<std::size_t>(n);
  }
  // DURABILITY: the bytes must be on the device before the rename can be:
  // without this sync a power loss may keep the rename and lose the data,
  // leaving an empty or torn file under the final name (the pattern crashlab
  // reports in engines as a replace-via-rename without a sync).
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    return Failed("fsync", path, err);
  }
  if (::close(fd) != 0) return Failed("close", path, errno);
  return Status::Ok();
}

// fsyncs the directory `dir`.
Status SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Failed("open the directory", dir, errno);
  // DURABILITY: the rename is a change to the directory; until the directory
  // is synced a power loss may undo it, and a reader told that the file was
  // written (a CI job, a user) would find the old one or none. EINVAL: the
  // file system has no directory sync to offer (some FUSE and network file
  // systems), so nothing more can be done.
  const int r = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (r != 0 && err != EINVAL) return Failed("fsync the directory", dir, err);
  return Status::Ok();
}

}  // namespace

Status ReplaceFileDurably(const std::string& path, std::string_view bytes) {
  const std::string tmp = path + ".tmp";
  if (Status s = WriteAndSync(tmp, bytes); !s.ok()) {
    std::remove(tmp.c_str());
    return s;
  }
  // DURABILITY: rename is atomic: a reader, and a crash, sees the old file or
  // the new whole one under `path`, never a mix.
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::remove(tmp.c_str());
    return Failed("rename " + tmp + " to", path, err);
  }
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  return SyncDirectory(dir);
}

}  // namespace crashlab
