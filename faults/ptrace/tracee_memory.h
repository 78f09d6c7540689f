// Reading a stopped tracee from outside: its memory (process_vm_readv, with
// /proc/TID/mem as the fallback when the kernel refuses it) and what
// /proc/TID/fdinfo says about one of its descriptors.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace crashlab::ptrace {

// Copies up to `len` bytes at `addr` in `tid` into `out`; returns how many
// were read (fewer at an unmapped page).
std::size_t ReadMemory(pid_t tid, uint64_t addr, char* out, std::size_t len);
// The bytes [addr, addr+len), or nullopt when not all of them could be read.
std::optional<std::string> ReadBytes(pid_t tid, uint64_t addr, std::size_t len);
// The NUL-terminated string at `addr` (at most PATH_MAX bytes), or nullopt.
std::optional<std::string> ReadString(pid_t tid, uint64_t addr);
// The bytes an iovec array names, gathered in order, or nullopt.
std::optional<std::string> ReadIovecs(pid_t tid, uint64_t iov, uint64_t count);

// The `pos:` and `flags:` lines of /proc/TID/fdinfo/FD (flags are the open
// file's f_flags, O_APPEND, O_DSYNC, O_CLOEXEC... in the host's values).
struct FdInfoLines {
  uint64_t pos = 0;
  uint64_t flags = 0;
};
std::optional<FdInfoLines> ReadFdInfo(pid_t tid, int fd);

// Parses the text of an fdinfo file; nullopt when `pos:` or `flags:` is missing.
std::optional<FdInfoLines> ParseFdInfo(const std::string& text);

}  // namespace crashlab::ptrace
