// The calls that change names: rename, renameat, renameat2, unlink,
// unlinkat, link, linkat, mkdir, mkdirat, rmdir, and truncate by path.
// Both names are looked at before the call (the inode a name held, which a
// rename over it or an unlink frees) and the event is appended at the exit,
// once the call succeeded, when either name is under the case directory.
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "faults/ptrace/recorder.h"

namespace crashlab::ptrace {
namespace {

using faults::EventKind;

EventKind KindOf(const PendingCall& c) {
  switch (c.nr) {
    case SYS_rename:
    case SYS_renameat:
    case SYS_renameat2:
      return EventKind::kRename;
    case SYS_unlink:
      return EventKind::kUnlink;
    case SYS_unlinkat:
      return (c.args[2] & AT_REMOVEDIR) ? EventKind::kRmdir : EventKind::kUnlink;
    case SYS_link:
    case SYS_linkat:
      return EventKind::kLink;
    case SYS_mkdir:
    case SYS_mkdirat:
      return EventKind::kMkdir;
    case SYS_rmdir:
      return EventKind::kRmdir;
    default:
      return EventKind::kTruncate;  // truncate(path, length)
  }
}

}  // namespace

bool Recorder::EnterName(Thread& t, PendingCall& c) {
  const uint64_t* a = c.args;
  const int cwd = AT_FDCWD;
  switch (c.nr) {
    case SYS_rename:  // rename(from, to)
    case SYS_link:
      c.a = Look(t, cwd, a[0]);
      c.b = Look(t, cwd, a[1]);
      break;
    case SYS_renameat:  // renameat(fromfd, from, tofd, to[, flags])
    case SYS_renameat2:
    case SYS_linkat:
      c.a = Look(t, static_cast<int>(a[0]), a[1]);
      c.b = Look(t, static_cast<int>(a[2]), a[3]);
      break;
    case SYS_unlink:  // unlink(path), mkdir(path, mode), rmdir(path), truncate(path, len)
    case SYS_mkdir:
    case SYS_rmdir:
    case SYS_truncate:
      c.a = Look(t, cwd, a[0]);
      break;
    case SYS_unlinkat:  // unlinkat(dirfd, path, flags), mkdirat(dirfd, path, mode)
    case SYS_mkdirat:
      c.a = Look(t, static_cast<int>(a[0]), a[1]);
      break;
    default:
      return false;
  }
  if (c.nr == SYS_truncate) {
    return c.a.inside && c.a.exists && S_ISREG(c.a.st.st_mode) && !case_dir_.Untraced(c.a.rel);
  }
  return c.a.inside || c.b.inside;
}

void Recorder::ExitName(Thread& t, const PendingCall& c) {
  const EventKind kind = KindOf(c);
  const NameArg& a = c.a;
  const NameArg& b = c.b;
  if (kind == EventKind::kTruncate) {
    // Beyond the library, which cannot see a path-based truncate.
    Rec r;
    r.kind = kind;
    r.file = FileId(a.st);
    r.path = a.rel;
    r.length = c.args[1];
    sizes_[r.file] = c.args[1];
    Record(t, r);
    return;
  }
  // Names of files the variant never reads back stay out of the trace, like
  // their contents: a rename of LOG to LOG.old is no event.
  const bool file_kind =
      kind == EventKind::kRename || kind == EventKind::kUnlink || kind == EventKind::kLink;
  if (file_kind && (!a.inside || case_dir_.Untraced(a.rel)) &&
      (!b.inside || case_dir_.Untraced(b.rel))) {
    return;
  }
  const uint32_t flags = c.nr == SYS_renameat2 ? static_cast<uint32_t>(c.args[4]) : 0;
  Rec rec;
  rec.kind = kind;
  rec.flags = flags;
  rec.path = a.rel;
  rec.path2 = b.rel;
  if (kind == EventKind::kMkdir) {
    // The new directory: its name resolves inside (a.inside) or absolute.
    const std::string abs =
        a.inside ? (a.rel == "." ? case_dir_.dir() : case_dir_.dir() + "/" + a.rel) : a.rel;
    struct stat st;
    if (::lstat(abs.c_str(), &st) == 0) rec.file = FileId(st);
  } else if (a.exists) {
    rec.file = FileId(a.st);
  }
  Record(t, rec);
  // A name that went away with its inode's last link frees the inode number,
  // which a later file may get: that file must get a new id.
  const bool removes_a = kind == EventKind::kUnlink || kind == EventKind::kRmdir;
  if (removes_a && a.exists && (a.st.st_nlink <= 1 || S_ISDIR(a.st.st_mode))) ForgetInode(a.st);
  const bool replaces_b = kind == EventKind::kRename && !(flags & RENAME_EXCHANGE);
  if (replaces_b && b.exists && b.st.st_ino != a.st.st_ino && b.st.st_nlink <= 1) {
    ForgetInode(b.st);
  }
}

}  // namespace crashlab::ptrace
