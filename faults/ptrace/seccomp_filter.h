// The seccomp-bpf program the traced program runs under: only the calls that
// change files (or descriptors the recorder must follow) stop in the
// recorder; everything else runs at full speed.
//
//   - SECCOMP_RET_TRACE: open, openat, openat2, creat, close, close_range,
//     write, pwrite64, writev, pwritev, pwritev2, ftruncate, truncate,
//     fallocate, fsync, fdatasync, sync_file_range, sync, syncfs, munmap,
//     msync, mremap, rename, renameat, renameat2, unlink, unlinkat, link,
//     linkat, mkdir, mkdirat, rmdir, dup, dup2, dup3, copy_file_range,
//     sendfile; mmap only of a file (no MAP_ANONYMOUS) with MAP_SHARED or
//     MAP_SHARED_VALIDATE and PROT_WRITE, so private and anonymous maps (a Go
//     heap, ld.so loading libraries) never stop; fcntl only with F_DUPFD or
//     F_DUPFD_CLOEXEC.
//   - SECCOMP_RET_ERRNO(ENOSYS): io_uring_setup (its submissions would bypass
//     every stop; engines fall back to plain calls), any call of another
//     architecture (int 0x80 from a 64-bit program) and any x32 call.
//   - SECCOMP_RET_ALLOW: the rest.
#pragma once

#include <linux/filter.h>

#include <vector>

namespace crashlab::ptrace {

std::vector<struct sock_filter> BuildSeccompFilter();

// Sets PR_SET_NO_NEW_PRIVS and installs the filter on the calling thread
// (inherited by its children and across exec). Returns 0 or an errno value.
int InstallSeccompFilter();

}  // namespace crashlab::ptrace
