// The filter's verdicts, run through a small interpreter of the classic BPF
// instructions BuildSeccompFilter uses (a kernel would refuse a malformed
// program; this checks what a well-formed one decides).
#include "faults/ptrace/seccomp_filter.h"

#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <cstring>
#include <initializer_list>

namespace crashlab::ptrace {
namespace {

// Runs `code` over `data` as the kernel would; fails the test on an
// instruction outside the subset, a jump past the end, or a fall-through.
uint32_t RunFilter(const std::vector<struct sock_filter>& code, const struct seccomp_data& data) {
  uint32_t a = 0;
  for (std::size_t pc = 0; pc < code.size(); ++pc) {
    const struct sock_filter& f = code[pc];
    switch (f.code) {
      case BPF_LD | BPF_W | BPF_ABS:
        EXPECT_LE(f.k + 4, sizeof(data));
        std::memcpy(&a, reinterpret_cast<const char*>(&data) + f.k, 4);
        break;
      case BPF_ALU | BPF_AND | BPF_K:
        a &= f.k;
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
        pc += a == f.k ? f.jt : f.jf;
        break;
      case BPF_JMP | BPF_JGE | BPF_K:
        pc += a >= f.k ? f.jt : f.jf;
        break;
      case BPF_JMP | BPF_JSET | BPF_K:
        pc += (a & f.k) ? f.jt : f.jf;
        break;
      case BPF_RET | BPF_K:
        return f.k;
      default:
        ADD_FAILURE() << "instruction " << f.code << " at " << pc;
        return 0;
    }
  }
  ADD_FAILURE() << "the program ran off its end";
  return 0;
}

struct seccomp_data Call(long nr, std::initializer_list<uint64_t> args = {}) {
  struct seccomp_data d {};
  d.nr = static_cast<int>(nr);
  d.arch = AUDIT_ARCH_X86_64;
  int i = 0;
  for (uint64_t arg : args) d.args[i++] = arg;
  return d;
}

constexpr uint32_t kNoSys = SECCOMP_RET_ERRNO | ENOSYS;

TEST(SeccompFilter, FileCallsStopInTheRecorder) {
  const auto code = BuildSeccompFilter();
  for (long nr : {SYS_open,
                  SYS_openat,
                  SYS_openat2,
                  SYS_creat,
                  SYS_close,
                  SYS_write,
                  SYS_pwrite64,
                  SYS_writev,
                  SYS_pwritev,
                  SYS_pwritev2,
                  SYS_ftruncate,
                  SYS_truncate,
                  SYS_fallocate,
                  SYS_fsync,
                  SYS_fdatasync,
                  SYS_sync_file_range,
                  SYS_sync,
                  SYS_syncfs,
                  SYS_munmap,
                  SYS_msync,
                  SYS_mremap,
                  SYS_rename,
                  SYS_renameat,
                  SYS_renameat2,
                  SYS_unlink,
                  SYS_unlinkat,
                  SYS_link,
                  SYS_linkat,
                  SYS_mkdir,
                  SYS_mkdirat,
                  SYS_rmdir,
                  SYS_dup,
                  SYS_dup2,
                  SYS_dup3,
                  SYS_copy_file_range,
                  SYS_sendfile,
                  SYS_close_range}) {
    EXPECT_EQ(RunFilter(code, Call(nr)), SECCOMP_RET_TRACE) << "system call " << nr;
  }
}

TEST(SeccompFilter, OtherCallsRunFreely) {
  const auto code = BuildSeccompFilter();
  for (long nr : {SYS_read, SYS_pread64, SYS_getpid, SYS_futex, SYS_clone, SYS_execve, SYS_lseek,
                  SYS_fstat, SYS_epoll_wait, SYS_nanosleep}) {
    EXPECT_EQ(RunFilter(code, Call(nr)), SECCOMP_RET_ALLOW) << "system call " << nr;
  }
}

TEST(SeccompFilter, OnlySharedWritableFileMapsStop) {
  const auto code = BuildSeccompFilter();
  auto mmap_verdict = [&](uint64_t prot, uint64_t flags) {
    return RunFilter(code, Call(SYS_mmap, {0, 4096, prot, flags, 3, 0}));
  };
  EXPECT_EQ(mmap_verdict(PROT_READ | PROT_WRITE, MAP_SHARED), SECCOMP_RET_TRACE);
  EXPECT_EQ(mmap_verdict(PROT_WRITE, MAP_SHARED_VALIDATE), SECCOMP_RET_TRACE);
  EXPECT_EQ(mmap_verdict(PROT_READ, MAP_SHARED), SECCOMP_RET_ALLOW);
  EXPECT_EQ(mmap_verdict(PROT_READ | PROT_WRITE, MAP_PRIVATE), SECCOMP_RET_ALLOW);
  EXPECT_EQ(mmap_verdict(PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS), SECCOMP_RET_ALLOW);
  EXPECT_EQ(mmap_verdict(PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS), SECCOMP_RET_ALLOW);
}

TEST(SeccompFilter, OnlyTheDupCommandsOfFcntlStop) {
  const auto code = BuildSeccompFilter();
  EXPECT_EQ(RunFilter(code, Call(SYS_fcntl, {3, F_DUPFD, 10})), SECCOMP_RET_TRACE);
  EXPECT_EQ(RunFilter(code, Call(SYS_fcntl, {3, F_DUPFD_CLOEXEC, 10})), SECCOMP_RET_TRACE);
  EXPECT_EQ(RunFilter(code, Call(SYS_fcntl, {3, F_GETFL, 0})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(RunFilter(code, Call(SYS_fcntl, {3, F_SETFD, 1})), SECCOMP_RET_ALLOW);
}

TEST(SeccompFilter, IoUringAnotherArchitectureAndX32AreRefused) {
  const auto code = BuildSeccompFilter();
  EXPECT_EQ(RunFilter(code, Call(SYS_io_uring_setup)), kNoSys);
  struct seccomp_data i386 = Call(SYS_write);
  i386.arch = AUDIT_ARCH_I386;
  EXPECT_EQ(RunFilter(code, i386), kNoSys);
  EXPECT_EQ(RunFilter(code, Call(0x40000000 | SYS_write)), kNoSys);
}

}  // namespace
}  // namespace crashlab::ptrace
