// SIGINT, SIGTERM and SIGHUP to crashlab: every engine process group still
// running is SIGKILLed at once from the handler (engines run in groups of
// their own, so a terminal's or a CI runner's signal never reaches them), and
// the flag tells the campaign to record nothing more, mark itself
// interrupted and exit. A case cut short this way is never recorded.
#pragma once

#include <sys/types.h>

namespace crashlab {

void InstallInterruptHandlers();
// Whether one of those signals arrived; 0 or the signal number.
int InterruptSignal();
// Engine groups the handler must kill. At most kMaxGroups at a time.
inline constexpr int kMaxGroups = 16;
void RegisterGroup(pid_t pgid);
void UnregisterGroup(pid_t pgid);
// After cleanup: dies of the signal that interrupted crashlab, so the caller
// sees the usual status (130 for SIGINT in a shell).
[[noreturn]] void ReraiseInterrupt();

}  // namespace crashlab
