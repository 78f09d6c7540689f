// The ptrace loop: starts the program under PTRACE_SEIZE with the seccomp
// filter, follows every thread and child (clone, fork, vfork, exec), hands
// each seccomp stop and each exit stop to the Recorder, passes signals on,
// and in live mode stops every tracee before the planned kill.
#pragma once

#include <string>

namespace crashlab::ptrace {

class Recorder;

// The options every tracee carries: seccomp stops, every thread and child
// followed, exec reported, exit stops told apart (TRACESYSGOOD), and
// EXITKILL: when the recorder ends, every tracee still running dies with it.
int TraceOptions();

// Why PTRACE_SEIZE failed with `err`, and what to change: the line
// `--probe` and a failed start print.
std::string PtraceRefusedMessage(int err);

// Forks, makes the child stop itself, seizes it, and lets it install the
// seccomp filter and exec `argv` (PATH lookup, as execvp). In the child,
// descriptor Recorder::kPointFd is /dev/null and CRASHLAB_POINT_FD names it.
// Records until the main program ends and returns its wait status; -1 when
// the program could not be started under ptrace (said on stderr).
//
// Unless the configuration says otherwise (CRASHLAB_PTRACE_ONE_CPU=0), the
// recorder first binds itself to the CPU it runs on, and the program and
// all its threads inherit that: a stop and its resume then switch tasks on
// one CPU, where across two a wakeup must rouse an idle one (on a VM, an
// interrupt to a halted vCPU). pagejournal under the recorder ran 2-3x
// faster so (docs/performance.md). The program's threads still interleave,
// by preemption, and the trace records the order they took.
int RunTraced(Recorder& recorder, char* const argv[]);

}  // namespace crashlab::ptrace
