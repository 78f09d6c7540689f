#include "framework/engine/interrupt.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>

#include "framework/engine/orphans.h"

namespace crashlab {
namespace {

std::atomic<int> interrupt_signal{0};
std::atomic<pid_t> groups[kMaxGroups];

void OnInterrupt(int sig) {
  interrupt_signal.store(sig);
  for (auto& g : groups) {
    const pid_t pgid = g.load();
    if (pgid > 0) kill(-pgid, SIGKILL);  // async-signal-safe
  }
}

}  // namespace

void InstallInterruptHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
}

int InterruptSignal() { return interrupt_signal.load(); }

void RegisterGroup(pid_t pgid) {
  for (auto& g : groups) {
    pid_t expected = 0;
    if (g.compare_exchange_strong(expected, pgid)) return;
  }
}

void UnregisterGroup(pid_t pgid) {
  for (auto& g : groups) {
    pid_t expected = pgid;
    if (g.compare_exchange_strong(expected, 0)) return;
  }
}

void ReraiseInterrupt() {
  KillOrphans();
  const int sig = InterruptSignal() != 0 ? InterruptSignal() : SIGTERM;
  signal(sig, SIG_DFL);
  raise(sig);
  _exit(128 + sig);
}

}  // namespace crashlab
