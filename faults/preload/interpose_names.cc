// Hooks that change names: rename, renameat, renameat2, unlink, unlinkat,
// link, linkat, mkdir, mkdirat, rmdir. Recorded after they succeed, when
// either name is under the case directory (a name outside it is recorded
// absolute, starting with '/').
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "faults/preload/tracer.h"

namespace crashlab::preload {
namespace {

struct Name {
  std::string rel;
  bool inside = false;
  bool exists = false;
  struct stat st {};
};

Name Look(int dirfd, const char* path) {
  Name n;
  if (path == nullptr) return n;
  n.inside = UnderCaseDir(Resolve(dirfd, path), n.rel);
  n.exists = ::fstatat(dirfd, path, &n.st, AT_SYMLINK_NOFOLLOW) == 0;
  return n;
}

// Runs `call` and records `kind` for `from` (and `to`) when it succeeds.
template <typename Call>
int TracedName(EventKind kind, int from_dirfd, const char* from, int to_dirfd, const char* to,
               uint32_t flags, Call call) {
  Guard guard;
  if (!guard.first() || !Active()) return call();
  Name a, b;
  {
    ErrnoSaver keep;
    a = Look(from_dirfd, from);
    if (to != nullptr) b = Look(to_dirfd, to);
  }
  const int r = call();
  if (r != 0 || !(a.inside || b.inside)) return r;
  // Names of files the variant never reads back (Untraced) stay out of the
  // trace, like their contents: a rename of LOG to LOG.old is no event.
  const bool file_kind =
      kind == EventKind::kRename || kind == EventKind::kUnlink || kind == EventKind::kLink;
  if (file_kind && (!a.inside || Untraced(a.rel)) && (!b.inside || Untraced(b.rel))) {
    return r;
  }
  ErrnoSaver keep;
  auto lock = Lock();
  Rec rec;
  rec.kind = kind;
  rec.flags = flags;
  rec.path = a.rel;
  rec.path2 = b.rel;
  if (kind == EventKind::kMkdir) {
    struct stat st;
    if (::fstatat(from_dirfd, from, &st, AT_SYMLINK_NOFOLLOW) == 0) rec.file = FileId(st);
  } else if (a.exists) {
    rec.file = FileId(a.st);
  }
  Record(rec);
  // A name that went away with its inode's last link frees the inode number,
  // which a later file may get: that file must get a new id.
  const bool removes_a = kind == EventKind::kUnlink || kind == EventKind::kRmdir;
  if (removes_a && a.exists && (a.st.st_nlink <= 1 || S_ISDIR(a.st.st_mode))) ForgetInode(a.st);
  const bool replaces_b = kind == EventKind::kRename && !(flags & RENAME_EXCHANGE);
  if (replaces_b && b.exists && b.st.st_ino != a.st.st_ino && b.st.st_nlink <= 1) {
    ForgetInode(b.st);
  }
  return r;
}

}  // namespace
}  // namespace crashlab::preload

using namespace crashlab::preload;  // NOLINT: the hooks below are C symbols

extern "C" {

int rename(const char* from, const char* to) {
  return TracedName(EventKind::kRename, AT_FDCWD, from, AT_FDCWD, to, 0,
                    [&] { return CRASHLAB_REAL(rename)(from, to); });
}

int renameat(int fromfd, const char* from, int tofd, const char* to) {
  return TracedName(EventKind::kRename, fromfd, from, tofd, to, 0,
                    [&] { return CRASHLAB_REAL(renameat)(fromfd, from, tofd, to); });
}

int renameat2(int fromfd, const char* from, int tofd, const char* to, unsigned int flags) {
  return TracedName(EventKind::kRename, fromfd, from, tofd, to, flags,
                    [&] { return CRASHLAB_REAL(renameat2)(fromfd, from, tofd, to, flags); });
}

int unlink(const char* path) {
  return TracedName(EventKind::kUnlink, AT_FDCWD, path, AT_FDCWD, nullptr, 0,
                    [&] { return CRASHLAB_REAL(unlink)(path); });
}

int unlinkat(int dirfd, const char* path, int flags) {
  const EventKind kind = (flags & AT_REMOVEDIR) ? EventKind::kRmdir : EventKind::kUnlink;
  return TracedName(kind, dirfd, path, AT_FDCWD, nullptr, 0,
                    [&] { return CRASHLAB_REAL(unlinkat)(dirfd, path, flags); });
}

int link(const char* from, const char* to) {
  return TracedName(EventKind::kLink, AT_FDCWD, from, AT_FDCWD, to, 0,
                    [&] { return CRASHLAB_REAL(link)(from, to); });
}

int linkat(int fromfd, const char* from, int tofd, const char* to, int flags) {
  return TracedName(EventKind::kLink, fromfd, from, tofd, to, 0,
                    [&] { return CRASHLAB_REAL(linkat)(fromfd, from, tofd, to, flags); });
}

int mkdir(const char* path, mode_t mode) {
  return TracedName(EventKind::kMkdir, AT_FDCWD, path, AT_FDCWD, nullptr, 0,
                    [&] { return CRASHLAB_REAL(mkdir)(path, mode); });
}

int mkdirat(int dirfd, const char* path, mode_t mode) {
  return TracedName(EventKind::kMkdir, dirfd, path, AT_FDCWD, nullptr, 0,
                    [&] { return CRASHLAB_REAL(mkdirat)(dirfd, path, mode); });
}

int rmdir(const char* path) {
  return TracedName(EventKind::kRmdir, AT_FDCWD, path, AT_FDCWD, nullptr, 0,
                    [&] { return CRASHLAB_REAL(rmdir)(path); });
}

}  // extern "C"
