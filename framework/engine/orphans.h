// Processes an engine leaves behind. An engine that forks (a helper, a daemon
// that double-forks into a session of its own) can leave processes that its
// process group's SIGKILL does not reach. crashlab makes itself their "child
// subreaper" (prctl(2) PR_SET_CHILD_SUBREAPER): when such a process's parent
// dies it becomes crashlab's child, and KillOrphans() kills and reaps it.
#pragma once

#include <sys/types.h>

#include <mutex>

namespace crashlab {

// Held while a child is forked and until it is registered, so that no sweep
// mistakes a new engine for an orphan. Also makes crashlab the subreaper.
std::unique_lock<std::mutex> LockChildren();
// With LockChildren() held: `pid` is a child crashlab started (an engine
// leader), or no longer is (it was reaped).
void AddStartedChild(pid_t pid);
void ForgetStartedChild(pid_t pid);

// SIGKILLs (with its process group, when it leads one) and reaps every child
// of crashlab that crashlab did not start and that is not in crashlab's own
// process group, until none is left. Returns how many it reaped.
int KillOrphans();

}  // namespace crashlab
