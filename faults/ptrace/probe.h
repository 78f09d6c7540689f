// `crashlab-ptrace --probe`: whether ptrace and seccomp work on this machine.
#pragma once

namespace crashlab::ptrace {

// Traces a child through one filtered call. Returns 0, silently, when the
// call stopped in the recorder; otherwise prints one line on stderr naming
// the cause and the fix (kernel.yama.ptrace_scope or CAP_SYS_PTRACE for a
// refused ptrace, the container's seccomp profile for a refused filter) and
// returns 2.
int Probe();

}  // namespace crashlab::ptrace
