#include "engines/adapter/durable_dirs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace crashlab::engines {

Status SyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return Status::Error("cannot open directory " + dir + " to sync it: " + std::strerror(errno));
  }
  // DURABILITY: makes the names in `dir` durable; the caller's comment says
  // which name must survive a power loss and why.
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  if (rc != 0)
    return Status::Error("fsync of directory " + dir + " failed: " + std::strerror(saved));
  return Status::Ok();
}

Status MakeDirsDurably(const std::string& dir) {
  std::filesystem::path prefix;
  for (const std::filesystem::path& part : std::filesystem::path(dir)) {
    prefix /= part;
    if (part.empty()) continue;  // a trailing '/'
    if (::mkdir(prefix.c_str(), 0755) == 0) {
      // DURABILITY: SQLite syncs the directory holding its database when it
      // creates a journal there, LMDB never syncs one, and neither syncs that
      // directory's own entry in its parent. Without this a power loss could
      // drop a directory the adapter made, with data the engine acknowledged.
      const std::filesystem::path parent = prefix.has_parent_path() ? prefix.parent_path() : ".";
      if (Status s = SyncDir(parent.string()); !s.ok()) return s;
    } else if (errno != EEXIST) {
      return Status::Error("cannot create directory " + prefix.string() + ": " +
                           std::strerror(errno));
    }
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return Status::Error(dir + " exists but is not a directory; pass a directory to open");
  }
  return Status::Ok();
}

}  // namespace crashlab::engines
