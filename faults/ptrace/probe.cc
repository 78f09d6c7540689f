#include "faults/ptrace/probe.h"

#include <errno.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "faults/ptrace/seccomp_filter.h"
#include "faults/ptrace/tracee.h"

namespace crashlab::ptrace {
namespace {

constexpr int kFilterRefused = 3;

int Fail(const std::string& why) {
  std::fprintf(stderr, "crashlab-ptrace: %s\n", why.c_str());
  return 2;
}

}  // namespace

int Probe() {
  const pid_t pid = ::fork();
  if (pid < 0) return Fail(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::raise(SIGSTOP);
    if (const int err = InstallSeccompFilter(); err != 0) ::_exit(kFilterRefused);
    ::syscall(SYS_close, -1);  // a traced call: it must stop in the parent
    ::_exit(0);
  }
  int status = 0;
  if (::waitpid(pid, &status, WSTOPPED) != pid || !WIFSTOPPED(status)) {
    return Fail("the probe's child did not start");
  }
  if (::ptrace(PTRACE_SEIZE, pid, nullptr,
               reinterpret_cast<void*>(static_cast<long>(TraceOptions()))) != 0) {
    const int err = errno;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    return Fail(PtraceRefusedMessage(err));
  }
  ::kill(pid, SIGCONT);
  bool stopped_at_call = false;
  for (;;) {
    if (::waitpid(pid, &status, __WALL) != pid) return Fail("lost the probe's child");
    if (WIFEXITED(status) || WIFSIGNALED(status)) break;
    const int event = status >> 16;
    int sig = WSTOPSIG(status);
    if (event == PTRACE_EVENT_SECCOMP) {
      stopped_at_call = true;
      sig = 0;
    } else if (event != 0) {
      sig = 0;  // the first stop after the seize, or a group-stop
    }
    ::ptrace(PTRACE_CONT, pid, nullptr, reinterpret_cast<void*>(static_cast<long>(sig)));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == kFilterRefused) {
    return Fail(
        "seccomp filters are refused here (prctl(PR_SET_NO_NEW_PRIVS) or seccomp(2) failed): "
        "allow them in the container's seccomp profile (docker run --security-opt "
        "seccomp=unconfined)");
  }
  if (!stopped_at_call || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Fail(
        "the seccomp filter did not stop the traced call in the recorder: this kernel "
        "cannot run crashlab-ptrace; use the preload recorder");
  }
  return 0;
}

}  // namespace crashlab::ptrace
