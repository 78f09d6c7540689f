#include "faults/point.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

namespace crashlab::faults {
namespace internal {

std::atomic<bool> armed{false};

namespace {
std::mutex mu;
std::string target;
long long remaining = 0;
}  // namespace

void Hit(const Point& point) {
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
  const char* spec = std::getenv("CRASHLAB_KILL_AT");
  if (spec == nullptr || *spec == '\0') return true;
  const std::string s = spec;
  const std::size_t colon = s.rfind(':');
  char* end = nullptr;
  const long long n = colon == std::string::npos ? 0 : std::strtoll(s.c_str() + colon + 1, &end, 10);
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
