// crashlab-ptrace: runs a program under ptrace with a seccomp filter and
// writes the same I/O trace libcrashlab_preload.so writes
// (docs/trace-format.md, "The ptrace recorder"), for programs the library
// cannot reach: static binaries, Go, stdio. Writes nothing to stdout, which
// is the engine's protocol pipe; its exit status is the program's.
//
//   crashlab-ptrace [--] PROGRAM [ARGS...]
//   crashlab-ptrace --probe
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "faults/ptrace/config.h"
#include "faults/ptrace/probe.h"
#include "faults/ptrace/recorder.h"
#include "faults/ptrace/trace_writer.h"
#include "faults/ptrace/tracee.h"

namespace {

using namespace crashlab::ptrace;

// The file execvp would run for `program`, or "" when there is none.
std::string FindProgram(const std::string& program) {
  if (program.find('/') != std::string::npos) return program;
  const char* path = std::getenv("PATH");
  for (const std::string& dir : SplitColons(path != nullptr ? path : "/usr/bin:/bin")) {
    const std::string candidate = dir + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// True when `file` is a 32-bit ELF: its calls use another system call
// table, which the filter refuses (it checks AUDIT_ARCH_X86_64).
bool Is32BitElf(const std::string& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  unsigned char ident[EI_NIDENT] = {};
  const ssize_t n = ::read(fd, ident, sizeof(ident));
  ::close(fd);
  return n == EI_NIDENT && std::memcmp(ident, ELFMAG, SELFMAG) == 0 &&
         ident[EI_CLASS] == ELFCLASS32;
}

// Ends the recorder as the main program ended: the same exit code, or death
// by the same signal.
[[noreturn]] void MirrorExit(int status) {
  if (WIFEXITED(status)) std::exit(WEXITSTATUS(status));
  const int sig = WTERMSIG(status);
  struct rlimit no_core = {0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);  // the program already dumped its own, if any
  ::signal(sig, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
  ::raise(sig);
  std::_Exit(128 + sig);
}

int Usage() {
  std::fprintf(stderr, "usage: crashlab-ptrace [--] PROGRAM [ARGS...] | crashlab-ptrace --probe\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int first = 1;
  if (argc >= 2 && std::strcmp(argv[1], "--probe") == 0) return argc == 2 ? Probe() : Usage();
  if (argc >= 2 && std::strcmp(argv[1], "--") == 0) first = 2;
  if (first >= argc) return Usage();
  char** program = argv + first;
  const std::string file = FindProgram(program[0]);
  if (!file.empty() && Is32BitElf(file)) {
    std::fprintf(stderr,
                 "crashlab-ptrace: %s is a 32-bit program; the recorder traces x86_64 programs "
                 "only: build it for x86_64\n",
                 file.c_str());
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);  // a closed stderr must not kill the recorder
  std::optional<Config> config = ConfigFromEnvironment();
  TraceWriter writer;
  if (config && !writer.Open(config->trace_path, config->case_dir)) {
    std::fprintf(stderr, "crashlab-ptrace: cannot open CRASHLAB_TRACE=%s: %s; not tracing\n",
                 config->trace_path.c_str(), std::strerror(errno));
    config.reset();
  }
  if (!config) {
    // Nothing to record, as with the library: the program runs untouched.
    ::signal(SIGPIPE, SIG_DFL);
    ::execvp(program[0], program);
    std::fprintf(stderr, "crashlab-ptrace: cannot run %s: %s\n", program[0], std::strerror(errno));
    return 127;
  }
  Recorder recorder(*config, writer);
  const int status = RunTraced(recorder, program);
  if (config->print_stats) recorder.PrintStats();
  if (status < 0) return 2;
  MirrorExit(status);
}
