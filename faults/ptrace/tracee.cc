#include "faults/ptrace/tracee.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include "faults/ptrace/recorder.h"
#include "faults/ptrace/seccomp_filter.h"

namespace crashlab::ptrace {
namespace {

// The exit status the child reports when it could not install the filter.
constexpr int kSeccompRefusedStatus = 125;

pid_t TgidOf(pid_t tid) {
  std::ifstream status("/proc/" + std::to_string(tid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Tgid:", 0) == 0) return static_cast<pid_t>(std::atoi(line.c_str() + 5));
  }
  return tid;
}

// Binds the calling thread, and so every process it forks, to the CPU it
// runs on now. Best effort: where that is refused, nothing changes.
void StayOnThisCpu() {
  const int cpu = ::sched_getcpu();
  if (cpu < 0) return;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  (void)::sched_setaffinity(0, sizeof(one), &one);
}

void Resume(pid_t tid, int request, int sig = 0) {
  // ESRCH: the tracee was killed meanwhile; its exit is reported next.
  (void)::ptrace(static_cast<__ptrace_request>(request), tid, nullptr,
                 reinterpret_cast<void*>(static_cast<long>(sig)));
}

class Loop {
 public:
  Loop(Recorder& recorder, pid_t main) : recorder_(recorder), main_(main) {
    auto process = std::make_shared<Process>();
    process->tgid = main;
    process->fds.Set(Recorder::kPointFd, FdEntry{FdKind::kPoint, 0, {}});
    threads_[main] = Thread{main, process, {}, {}};
    awaiting_start_.insert(main);
    recorder_.SetKillHook([this] { KillEverything(); });
    recorder_.SetInjector([this](pid_t tid, long nr, const std::array<uint64_t, 6>& args) {
      return Inject(tid, nr, args);
    });
  }

  int Run() {
    for (;;) {
      int status = 0;
      pid_t tid = 0;
      if (!died_.empty()) {
        // Reaped while a call was injected: handled as if waited for now.
        tid = died_.back().first;
        status = died_.back().second;
        died_.pop_back();
      } else {
        tid = ::waitpid(-1, &status, __WALL);
      }
      if (tid < 0) {
        if (errno == EINTR) continue;
        return -1;  // ECHILD: nothing left, and the main program's end was missed
      }
      if (WIFEXITED(status) || WIFSIGNALED(status)) {
        recorder_.ThreadGone(tid);
        threads_.erase(tid);
        // The main program is done: so is the recorder. Its other
        // processes, if any, die with it (PTRACE_O_EXITKILL).
        if (tid == main_) return status;
        continue;
      }
      if (WIFSTOPPED(status)) OnStop(tid, status);
    }
  }

 private:
  void OnStop(pid_t tid, int status) {
    const int sig = WSTOPSIG(status);
    const int event = status >> 16;
    auto it = threads_.find(tid);
    if (it == threads_.end()) {
      early_.insert(tid);  // a new child's first stop, before its parent's event
      return;
    }
    current_ = tid;
    Thread& t = it->second;
    if (sig == (SIGTRAP | 0x80)) {
      struct __ptrace_syscall_info info {};
      if (::ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof(info), &info) > 0 &&
          info.op == PTRACE_SYSCALL_INFO_EXIT) {
        recorder_.OnExit(t, info.exit.rval, info.exit.is_error != 0);
      }
      Resume(tid, PTRACE_CONT);
      return;
    }
    switch (event) {
      case PTRACE_EVENT_SECCOMP: {
        struct __ptrace_syscall_info info {};
        bool to_exit = false;
        if (::ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof(info), &info) > 0 &&
            info.op == PTRACE_SYSCALL_INFO_SECCOMP) {
          to_exit = recorder_.OnEntry(t, static_cast<long>(info.seccomp.nr), info.seccomp.args);
        }
        // PTRACE_SYSCALL from a seccomp stop stops again at the call's exit.
        Resume(tid, to_exit ? PTRACE_SYSCALL : PTRACE_CONT);
        return;
      }
      case PTRACE_EVENT_FORK:
      case PTRACE_EVENT_VFORK:
      case PTRACE_EVENT_CLONE: {
        unsigned long child = 0;
        ::ptrace(PTRACE_GETEVENTMSG, tid, nullptr, &child);
        AddChild(t, static_cast<pid_t>(child), event == PTRACE_EVENT_CLONE);
        Resume(tid, PTRACE_CONT);
        return;
      }
      case PTRACE_EVENT_EXEC: {
        unsigned long former = 0;
        ::ptrace(PTRACE_GETEVENTMSG, tid, nullptr, &former);
        OnExec(tid, static_cast<pid_t>(former));
        Resume(tid, PTRACE_CONT);
        return;
      }
      case PTRACE_EVENT_STOP:
        if (awaiting_start_.erase(tid) > 0 || sig == SIGTRAP) {
          Resume(tid, PTRACE_CONT);  // the first stop of a tracee, or an interrupt
        } else {
          Resume(tid, PTRACE_LISTEN);  // a group-stop: stays stopped until SIGCONT
        }
        return;
      default:
        Resume(tid, PTRACE_CONT, sig);  // a signal for the tracee: delivered
        return;
    }
  }

  // Runs system call `nr` in `tid`, stopped at a call's exit: the thread
  // goes back to its `syscall` instruction with the injected call's number
  // and arguments, runs it, and gets its registers back, so that it leaves
  // the original call as if nothing happened. A signal that arrives
  // meanwhile is sent again afterwards; a death is kept for Run.
  std::optional<int64_t> Inject(pid_t tid, long nr, const std::array<uint64_t, 6>& args) {
    struct user_regs_struct saved {};
    if (::ptrace(PTRACE_GETREGS, tid, nullptr, &saved) != 0) return std::nullopt;
    errno = 0;
    const long text =
        ::ptrace(PTRACE_PEEKTEXT, tid, reinterpret_cast<void*>(saved.rip - 2), nullptr);
    if (errno != 0 || (text & 0xffff) != 0x050f) return std::nullopt;  // not after a `syscall`
    struct user_regs_struct regs = saved;
    regs.rip = saved.rip - 2;
    regs.rax = static_cast<unsigned long long>(nr);
    regs.rdi = args[0];
    regs.rsi = args[1];
    regs.rdx = args[2];
    regs.r10 = args[3];
    regs.r8 = args[4];
    regs.r9 = args[5];
    if (::ptrace(PTRACE_SETREGS, tid, nullptr, &regs) != 0) return std::nullopt;
    std::vector<int> signals;
    std::optional<int64_t> result;
    Resume(tid, PTRACE_SYSCALL);
    for (;;) {
      int status = 0;
      if (::waitpid(tid, &status, __WALL) < 0) {
        if (errno == EINTR) continue;
        return std::nullopt;
      }
      if (WIFEXITED(status) || WIFSIGNALED(status)) {
        died_.emplace_back(tid, status);
        return std::nullopt;
      }
      const int sig = WSTOPSIG(status);
      if (sig == (SIGTRAP | 0x80)) {
        struct __ptrace_syscall_info info {};
        if (::ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof(info), &info) > 0 &&
            info.op == PTRACE_SYSCALL_INFO_EXIT) {
          result = info.exit.rval;
          break;
        }
      } else if ((status >> 16) == 0 && sig != SIGTRAP) {
        signals.push_back(sig);  // held back now, sent again below
      }
      Resume(tid, PTRACE_SYSCALL);  // the entry, the filter's stop, a held signal
    }
    (void)::ptrace(PTRACE_SETREGS, tid, nullptr, &saved);
    for (int sig : signals) (void)::syscall(SYS_tgkill, TgidOf(tid), tid, sig);
    return result;
  }

  void AddChild(Thread& parent, pid_t child, bool clone) {
    std::shared_ptr<Process> process;
    if (clone && TgidOf(child) == parent.process->tgid) {
      process = parent.process;  // a thread shares the table and the mappings
    } else {
      // fork, vfork, or clone without CLONE_THREAD: a copy, even with
      // CLONE_FILES (the recorder does not share tables between processes).
      process = std::make_shared<Process>(*parent.process);
      process->tgid = child;
      // Its memory is a copy the parent's write tracking does not cover.
      process->tracker.reset();
      process->tracker_tried = false;
      process->maps.Untrack();
    }
    threads_[child] = Thread{child, process, {}, {}};
    if (early_.erase(child) > 0) {
      Resume(child, PTRACE_CONT);
    } else {
      awaiting_start_.insert(child);
    }
  }

  void OnExec(pid_t tid, pid_t former) {
    if (former != tid) {
      // A non-leader thread exec'd: it now has the leader's tid.
      auto it = threads_.find(former);
      if (it != threads_.end()) {
        Thread moved = std::move(it->second);
        threads_.erase(it);
        moved.tid = tid;
        threads_[tid] = std::move(moved);
      }
      recorder_.ThreadGone(former);
    }
    Thread& t = threads_[tid];
    t.pending.reset();
    t.restarting.reset();
    // Every other thread of the process is gone.
    for (auto it = threads_.begin(); it != threads_.end();) {
      if (it->first != tid && it->second.process == t.process) {
        recorder_.ThreadGone(it->first);
        it = threads_.erase(it);
      } else {
        ++it;
      }
    }
    recorder_.OnExec(t);
  }

  // Live mode, once the planned event is in the trace: every other tracee
  // stops (the thread at hand is stopped already), their stores through
  // shared mappings reach the trace, and the process group, the recorder
  // with it, dies by SIGKILL, as crashlab expects of a planned kill.
  [[noreturn]] void KillEverything() {
    std::vector<pid_t> interrupted;
    for (const auto& [tid, t] : threads_) {
      if (tid == current_ || early_.count(tid) > 0) continue;
      if (::ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr) == 0) interrupted.push_back(tid);
    }
    for (pid_t tid : interrupted) {
      int status = 0;
      while (::waitpid(tid, &status, __WALL) < 0 && errno == EINTR) {
      }
    }
    std::vector<std::pair<pid_t, Process*>> processes;
    std::set<Process*> seen;
    for (const auto& [tid, t] : threads_) {
      if (seen.insert(t.process.get()).second) processes.emplace_back(tid, t.process.get());
    }
    recorder_.FlushAll(processes);
    ::kill(0, SIGKILL);
    ::kill(::getpid(), SIGKILL);
    for (;;) ::pause();
  }

  Recorder& recorder_;
  const pid_t main_;
  pid_t current_ = 0;
  std::unordered_map<pid_t, Thread> threads_;
  std::vector<std::pair<pid_t, int>> died_;  // reaped during an injected call
  std::set<pid_t> early_;                    // stopped, their parent's event not yet seen
  std::set<pid_t> awaiting_start_;           // known, their first stop not yet seen
};

[[noreturn]] void RunChild(char* const argv[]) {
  // The named points' descriptor (faults/points/point.cc): /dev/null, so a
  // point's write costs the program nothing; the recorder sees it at entry.
  const int null = ::open("/dev/null", O_WRONLY);
  if (null >= 0 && null != Recorder::kPointFd) {
    ::dup2(null, Recorder::kPointFd);
    ::close(null);
  }
  ::setenv("CRASHLAB_POINT_FD", std::to_string(Recorder::kPointFd).c_str(), 1);
  // LeakSanitizer stops a process's threads with ptrace at its exit, which a
  // traced process cannot allow: a sanitized engine would end in a fatal
  // error, or hang while it writes one to its log_path. The last setting of
  // a flag wins, so appending turns leak checks off and keeps the rest.
  for (const char* name : {"ASAN_OPTIONS", "LSAN_OPTIONS"}) {
    const char* options = std::getenv(name);
    const std::string value = options != nullptr && *options != '\0'
                                  ? std::string(options) + ":detect_leaks=0"
                                  : "detect_leaks=0";
    ::setenv(name, value.c_str(), 1);
  }
  ::signal(SIGPIPE, SIG_DFL);  // the recorder ignores it; the program must not inherit that
  ::raise(SIGSTOP);            // the parent seizes us here
  if (const int err = InstallSeccompFilter(); err != 0) {
    std::fprintf(stderr, "crashlab-ptrace: cannot install the seccomp filter: %s\n",
                 std::strerror(err));
    ::_exit(kSeccompRefusedStatus);
  }
  ::execvp(argv[0], argv);
  std::fprintf(stderr, "crashlab-ptrace: cannot run %s: %s\n", argv[0], std::strerror(errno));
  ::_exit(127);
}

}  // namespace

int TraceOptions() {
  return PTRACE_O_TRACESECCOMP | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
         PTRACE_O_TRACEEXEC | PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL;
}

std::string PtraceRefusedMessage(int err) {
  std::string scope;
  std::ifstream in("/proc/sys/kernel/yama/ptrace_scope");
  if (in >> scope) scope = " (kernel.yama.ptrace_scope is " + scope + ")";
  if (err == EPERM) {
    return "ptrace is not permitted here" + scope +
           ": set kernel.yama.ptrace_scope to 0 or 1 (sysctl -w kernel.yama.ptrace_scope=1), or "
           "give the container CAP_SYS_PTRACE (docker run --cap-add=SYS_PTRACE)";
  }
  return std::string("ptrace(PTRACE_SEIZE) failed: ") + std::strerror(err);
}

int RunTraced(Recorder& recorder, char* const argv[]) {
  if (recorder.config().one_cpu) StayOnThisCpu();
  const pid_t pid = ::fork();
  if (pid < 0) {
    std::fprintf(stderr, "crashlab-ptrace: fork: %s\n", std::strerror(errno));
    return -1;
  }
  if (pid == 0) RunChild(argv);
  int status = 0;
  if (::waitpid(pid, &status, WSTOPPED) != pid || !WIFSTOPPED(status)) {
    std::fprintf(stderr, "crashlab-ptrace: the program did not start\n");
    return -1;
  }
  if (::ptrace(PTRACE_SEIZE, pid, nullptr,
               reinterpret_cast<void*>(static_cast<long>(TraceOptions()))) != 0) {
    const int err = errno;
    ::kill(pid, SIGKILL);
    std::fprintf(stderr, "crashlab-ptrace: %s\n", PtraceRefusedMessage(err).c_str());
    return -1;
  }
  Loop loop(recorder, pid);
  ::kill(pid, SIGCONT);
  status = loop.Run();
  return status;
}

}  // namespace crashlab::ptrace
