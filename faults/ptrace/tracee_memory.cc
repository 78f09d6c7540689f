#include "faults/ptrace/tracee_memory.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

namespace crashlab::ptrace {
namespace {

std::size_t ReadProcMem(pid_t tid, uint64_t addr, char* out, std::size_t len) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/mem", static_cast<int>(tid));
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  std::size_t done = 0;
  while (done < len) {
    const ssize_t n = ::pread(fd, out + done, len - done, static_cast<off_t>(addr + done));
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return done;
}

}  // namespace

std::size_t ReadMemory(pid_t tid, uint64_t addr, char* out, std::size_t len) {
  std::size_t done = 0;
  while (done < len) {
    struct iovec local = {out + done, len - done};
    struct iovec remote = {reinterpret_cast<void*>(addr + done), len - done};
    const ssize_t n = ::process_vm_readv(tid, &local, 1, &remote, 1, 0);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    // EPERM or ENOSYS in some sandboxes; /proc/TID/mem works for a tracer.
    if (n < 0 && errno != EFAULT)
      return done + ReadProcMem(tid, addr + done, out + done, len - done);
    break;
  }
  return done;
}

std::optional<std::string> ReadBytes(pid_t tid, uint64_t addr, std::size_t len) {
  std::string out(len, '\0');
  if (len > 0 && ReadMemory(tid, addr, out.data(), len) != len) return std::nullopt;
  return out;
}

std::optional<std::string> ReadString(pid_t tid, uint64_t addr) {
  if (addr == 0) return std::nullopt;
  std::string out;
  char chunk[256];
  while (out.size() < PATH_MAX) {
    // Never read across a page end in one go: the next page may be unmapped.
    const std::size_t to_page = 4096 - ((addr + out.size()) % 4096);
    const std::size_t want = std::min(sizeof(chunk), to_page);
    const std::size_t n = ReadMemory(tid, addr + out.size(), chunk, want);
    if (n == 0) return std::nullopt;
    for (std::size_t i = 0; i < n; ++i) {
      if (chunk[i] == '\0') return out;
      out.push_back(chunk[i]);
    }
  }
  return std::nullopt;
}

std::optional<std::string> ReadIovecs(pid_t tid, uint64_t iov, uint64_t count) {
  if (count > 1024) return std::nullopt;  // IOV_MAX: the call fails with EINVAL
  std::vector<struct iovec> vec(count);
  const std::size_t bytes = count * sizeof(struct iovec);
  if (ReadMemory(tid, iov, reinterpret_cast<char*>(vec.data()), bytes) != bytes) {
    return std::nullopt;
  }
  std::string out;
  for (const struct iovec& v : vec) {
    const auto part = ReadBytes(tid, reinterpret_cast<uint64_t>(v.iov_base), v.iov_len);
    if (!part) return std::nullopt;
    out += *part;
  }
  return out;
}

std::optional<FdInfoLines> ParseFdInfo(const std::string& text) {
  FdInfoLines info;
  bool pos = false, flags = false;
  for (std::size_t i = 0; i < text.size();) {
    std::size_t nl = text.find('\n', i);
    if (nl == std::string::npos) nl = text.size();
    const std::string line = text.substr(i, nl - i);
    if (line.rfind("pos:", 0) == 0) {
      info.pos = std::strtoull(line.c_str() + 4, nullptr, 10);
      pos = true;
    } else if (line.rfind("flags:", 0) == 0) {
      info.flags = std::strtoull(line.c_str() + 6, nullptr, 8);  // octal, as the kernel prints it
      flags = true;
    }
    i = nl + 1;
  }
  if (!pos || !flags) return std::nullopt;
  return info;
}

std::optional<FdInfoLines> ReadFdInfo(pid_t tid, int fd) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", static_cast<int>(tid), fd);
  const int in = ::open(path, O_RDONLY | O_CLOEXEC);
  if (in < 0) return std::nullopt;
  char buf[512];
  const ssize_t n = ::read(in, buf, sizeof(buf));
  ::close(in);
  if (n <= 0) return std::nullopt;
  return ParseFdInfo(std::string(buf, static_cast<std::size_t>(n)));
}

}  // namespace crashlab::ptrace
