#include "faults/points/point.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

// Defined by libcrashlab_preload.so when it is loaded: records the point in
// the I/O trace. Null otherwise (weak), so engines need not link the tracer.
extern "C" void crashlab_preload_point(const char* name) __attribute__((weak));

namespace crashlab::faults {
namespace internal {

std::atomic<bool> armed{false};
// CRASHLAB_POINT_FD: the descriptor crashlab-ptrace watches for named points
// (faults/ptrace/syscalls_write.cc); -1 when the engine is not under it.
std::atomic<int> point_fd{-1};

namespace {
std::mutex mu;
std::string target;
long long remaining = 0;
}  // namespace

void Hit(const Point& point) {
  if (crashlab_preload_point != nullptr) {
    const std::string name(point.name);
    crashlab_preload_point(name.c_str());
  }
  if (const int fd = point_fd.load(std::memory_order_relaxed); fd >= 0) {
    // One raw write per point: the ptrace recorder sees the call at its
    // entry and records the name, whatever libc the engine uses (or none).
    const std::string line = std::string(point.name) + "\n";
    (void)syscall(SYS_write, fd, line.data(), line.size());
  }
  std::lock_guard lock(mu);
  if (point.name != target || remaining <= 0) return;
  if (--remaining > 0) return;
  // The planned crash: the whole group, so no helper process of the engine
  // outlives it, and nothing after this point runs.
  kill(0, SIGKILL);
  raise(SIGKILL);
}

}  // namespace internal

bool ArmFromEnvironment() {
  // A traced run records every point, so points fire whenever it traces.
  const char* trace = std::getenv("CRASHLAB_TRACE");
  if (trace != nullptr && *trace != '\0') internal::armed.store(true, std::memory_order_relaxed);
  if (const char* fd = std::getenv("CRASHLAB_POINT_FD"); fd != nullptr && *fd != '\0') {
    char* end = nullptr;
    const long n = std::strtol(fd, &end, 10);
    if (end != nullptr && *end == '\0' && n >= 0) {
      internal::point_fd.store(static_cast<int>(n), std::memory_order_relaxed);
    }
  }
  const char* spec = std::getenv("CRASHLAB_KILL_AT");
  if (spec == nullptr || *spec == '\0') return true;
  const std::string s = spec;
  const std::size_t colon = s.rfind(':');
  char* end = nullptr;
  const long long n =
      colon == std::string::npos ? 0 : std::strtoll(s.c_str() + colon + 1, &end, 10);
  if (colon == std::string::npos || colon == 0 || n <= 0 || end == nullptr || *end != '\0') {
    std::fprintf(stderr,
                 "crashlab point: CRASHLAB_KILL_AT='%s' is not <point-name>:<n> with n >= 1; "
                 "unset it or fix it\n",
                 spec);
    return false;
  }
  std::lock_guard lock(internal::mu);
  internal::target = s.substr(0, colon);
  internal::remaining = n;
  internal::armed.store(true, std::memory_order_relaxed);
  return true;
}

}  // namespace crashlab::faults
