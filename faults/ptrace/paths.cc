#include "faults/ptrace/paths.h"

#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>

namespace crashlab::ptrace {
namespace {

std::string ReadLink(const char* link) {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink(link, buf, sizeof(buf));
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace

std::string Normalize(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t i = 0;
  while (i <= path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    const std::string part = path.substr(i, j - i);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out;
  for (const std::string& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

std::string RealPathOr(const std::string& path) {
  char buf[PATH_MAX];
  return ::realpath(path.c_str(), buf) != nullptr ? std::string(buf) : path;
}

std::string FdPath(pid_t tid, int fd) {
  char link[64];
  std::snprintf(link, sizeof(link), "/proc/%d/fd/%d", static_cast<int>(tid), fd);
  return ReadLink(link);
}

std::string Cwd(pid_t tid) {
  char link[64];
  std::snprintf(link, sizeof(link), "/proc/%d/cwd", static_cast<int>(tid));
  return ReadLink(link);
}

std::string ResolveAgainst(const std::string& base, const std::string& path) {
  const std::string joined = !path.empty() && path[0] == '/' ? path : base + "/" + path;
  const std::string norm = Normalize(joined);
  const std::size_t slash = norm.rfind('/');
  if (slash == 0) return norm;
  return RealPathOr(norm.substr(0, slash)) + norm.substr(slash);
}

bool CaseDir::Contains(const std::string& abs, std::string& rel) {
  if (!resolved_) {
    char buf[PATH_MAX];
    if (::realpath(dir_.c_str(), buf) != nullptr) {
      dir_ = buf;
      resolved_ = true;
    }
  }
  if (abs == dir_) {
    rel = ".";
    return true;
  }
  if (abs.size() > dir_.size() && abs.compare(0, dir_.size(), dir_) == 0 &&
      (dir_ == "/" || abs[dir_.size()] == '/')) {
    rel = abs.substr(dir_ == "/" ? 1 : dir_.size() + 1);
    return true;
  }
  rel = abs;
  return false;
}

bool CaseDir::Untraced(const std::string& rel) const {
  for (const std::string& glob : untraced_) {
    if (::fnmatch(glob.c_str(), rel.c_str(), FNM_PATHNAME) == 0) return true;
  }
  return false;
}

}  // namespace crashlab::ptrace
