// Paths as the tracee sees them, worked out from outside: the path argument
// of a call resolved against its directory descriptor or the tracee's working
// directory (/proc/TID/fd/N, /proc/TID/cwd), and its place relative to the
// case directory. The same rules as the preload library's Resolve and
// UnderCaseDir (faults/preload/tracer.cc), so both recorders name files alike.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace crashlab::ptrace {

// "a/./b/../c" -> "/a/c": absolute, no "." or "..", no empty parts.
std::string Normalize(const std::string& path);
// realpath(path), or `path` itself when it does not resolve.
std::string RealPathOr(const std::string& path);

// The target of the magic link /proc/TID/fd/FD, or "" when it has none.
std::string FdPath(pid_t tid, int fd);
// The tracee's working directory (/proc/TID/cwd), or "".
std::string Cwd(pid_t tid);

// The absolute path `path` names relative to `base` (the directory of the
// dirfd, or the working directory; ignored for an absolute path), normalized,
// with the parent directory's symlinks resolved when it exists.
std::string ResolveAgainst(const std::string& base, const std::string& path);

// The case directory and the files the variant leaves out of the trace.
class CaseDir {
 public:
  CaseDir(std::string dir, std::vector<std::string> untraced_globs)
      : dir_(std::move(dir)), untraced_(std::move(untraced_globs)) {}

  // Sets `rel` to `abs` relative to the case directory ("." for the
  // directory itself) and returns true when `abs` is inside it; otherwise
  // `rel` is `abs` (a name outside is recorded absolute). The directory's own
  // symlinks are resolved once it exists.
  bool Contains(const std::string& abs, std::string& rel);
  // Whether `rel` matches a CRASHLAB_UNTRACED_FILES glob (FNM_PATHNAME).
  bool Untraced(const std::string& rel) const;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  bool resolved_ = false;
  std::vector<std::string> untraced_;
};

}  // namespace crashlab::ptrace
