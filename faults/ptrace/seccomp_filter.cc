#include "faults/ptrace/seccomp_filter.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

namespace crashlab::ptrace {
namespace {

// The calls that always stop (the conditional ones, mmap and fcntl, apart).
constexpr int kTracedCalls[] = {
    SYS_open,
    SYS_openat,
    SYS_openat2,
    SYS_creat,
    SYS_close,
    SYS_close_range,
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
};

constexpr uint32_t kX32SyscallBit = 0x40000000;

constexpr uint32_t ArgLow(int i) {
  return static_cast<uint32_t>(offsetof(struct seccomp_data, args) + 8 * i);
}

// A forward-only assembler: jumps name labels, resolved once the program is
// whole (classic BPF jumps are relative and only go forward).
class Program {
 public:
  enum Label { kTrace, kAllow, kNoSys, kMmap, kMmapShared, kFcntl, kLabels };

  void Load(uint32_t offset) { Add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offset), -1, -1); }
  void And(uint32_t mask) { Add(BPF_STMT(BPF_ALU | BPF_AND | BPF_K, mask), -1, -1); }
  // if (A op k) goto yes else goto no; -1 means the next instruction.
  void Jump(uint16_t op, uint32_t k, int yes, int no) {
    Add(BPF_JUMP(BPF_JMP | op | BPF_K, k, 0, 0), yes, no);
  }
  void Ret(uint32_t value) { Add(BPF_STMT(BPF_RET | BPF_K, value), -1, -1); }
  void Here(Label label) { at_[label] = static_cast<int>(code_.size()); }

  std::vector<struct sock_filter> Resolve() const {
    std::vector<struct sock_filter> out = code_;
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (yes_[i] >= 0) out[i].jt = static_cast<uint8_t>(at_[yes_[i]] - static_cast<int>(i) - 1);
      if (no_[i] >= 0) out[i].jf = static_cast<uint8_t>(at_[no_[i]] - static_cast<int>(i) - 1);
    }
    return out;
  }

 private:
  void Add(struct sock_filter f, int yes, int no) {
    code_.push_back(f);
    yes_.push_back(yes);
    no_.push_back(no);
  }
  std::vector<struct sock_filter> code_;
  std::vector<int> yes_, no_;
  int at_[kLabels] = {};
};

}  // namespace

std::vector<struct sock_filter> BuildSeccompFilter() {
  Program p;
  p.Load(offsetof(struct seccomp_data, arch));
  p.Jump(BPF_JEQ, AUDIT_ARCH_X86_64, -1, Program::kNoSys);
  p.Load(offsetof(struct seccomp_data, nr));
  p.Jump(BPF_JGE, kX32SyscallBit, Program::kNoSys, -1);
  p.Jump(BPF_JEQ, SYS_io_uring_setup, Program::kNoSys, -1);
  p.Jump(BPF_JEQ, SYS_mmap, Program::kMmap, -1);
  p.Jump(BPF_JEQ, SYS_fcntl, Program::kFcntl, -1);
  for (int nr : kTracedCalls) p.Jump(BPF_JEQ, static_cast<uint32_t>(nr), Program::kTrace, -1);
  p.Ret(SECCOMP_RET_ALLOW);
  // mmap(addr, len, prot, flags, fd, off): a shared, writable map of a file.
  p.Here(Program::kMmap);
  p.Load(ArgLow(3));
  p.Jump(BPF_JSET, MAP_ANONYMOUS, Program::kAllow, -1);
  p.And(0x0f);  // MAP_TYPE
  p.Jump(BPF_JEQ, MAP_SHARED, Program::kMmapShared, -1);
  p.Jump(BPF_JEQ, MAP_SHARED_VALIDATE, Program::kMmapShared, Program::kAllow);
  p.Here(Program::kMmapShared);
  p.Load(ArgLow(2));
  p.Jump(BPF_JSET, PROT_WRITE, Program::kTrace, Program::kAllow);
  // fcntl(fd, cmd, arg): only the commands that make a descriptor.
  p.Here(Program::kFcntl);
  p.Load(ArgLow(1));
  p.Jump(BPF_JEQ, F_DUPFD, Program::kTrace, -1);
  p.Jump(BPF_JEQ, F_DUPFD_CLOEXEC, Program::kTrace, Program::kAllow);
  // The verdicts last: classic BPF jumps only go forward.
  p.Here(Program::kTrace);
  p.Ret(SECCOMP_RET_TRACE);
  p.Here(Program::kAllow);
  p.Ret(SECCOMP_RET_ALLOW);
  p.Here(Program::kNoSys);
  p.Ret(SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA));
  return p.Resolve();
}

int InstallSeccompFilter() {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
  std::vector<struct sock_filter> code = BuildSeccompFilter();
  struct sock_fprog prog = {static_cast<unsigned short>(code.size()), code.data()};
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) return errno;
  return 0;
}

}  // namespace crashlab::ptrace
