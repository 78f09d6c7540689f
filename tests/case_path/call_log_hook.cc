// The function-entry hook of scripts/case-path, linked into a crashlab built
// with -finstrument-functions (build/path) and into nothing else: GCC calls
// __cyg_profile_func_enter at the entry of every instrumented function. When
// CRASHLAB_CALL_LOG names a file, the hook appends to it, as native-endian
// 64-bit words, the address of each function the process's main thread
// enters and leaves, relative to the executable's load address (what
// addr2line reads); a leave has the top bit set. Other threads (the
// explore verifiers) and forked children (an engine between fork and exec)
// log nothing: the log is one thread's walk through the code.
//
// Compiled without instrumentation; it calls nothing instrumented, and no
// allocator, so that it cannot recurse.
#include <fcntl.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" char __executable_start;  // the linker's: where the executable is loaded

namespace {

constexpr std::size_t kWords = 1 << 16;
constexpr uint64_t kExit = uint64_t{1} << 63;
uint64_t words[kWords];
std::size_t used = 0;
int fd = -1;
pid_t main_pid = 0;
// 0: not yet looked at CRASHLAB_CALL_LOG; 1: logging; 2: not logging.
int state = 0;

__attribute__((no_instrument_function)) void Flush() {
  std::size_t done = 0;
  while (fd >= 0 && done < used * sizeof(uint64_t)) {
    const ssize_t n =
        write(fd, reinterpret_cast<const char*>(words) + done, used * sizeof(uint64_t) - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  used = 0;
}

__attribute__((no_instrument_function)) void FlushAtExit() {
  if (state == 1 && getpid() == main_pid) Flush();
}

__attribute__((no_instrument_function)) void StopInChild() { state = 2; }

__attribute__((no_instrument_function)) void Start() {
  state = 2;
  const char* path = std::getenv("CRASHLAB_CALL_LOG");
  if (path == nullptr || *path == '\0') return;
  fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  main_pid = getpid();
  pthread_atfork(nullptr, nullptr, StopInChild);
  std::atexit(FlushAtExit);
  state = 1;
}

}  // namespace

namespace {

// Appends `word` to the log, when this is the main thread and logging is on.
__attribute__((no_instrument_function)) void Log(uint64_t word) {
  if (state == 0) Start();
  if (state != 1) return;
  static thread_local int is_main = -1;
  if (is_main < 0) is_main = syscall(SYS_gettid) == main_pid ? 1 : 0;
  if (is_main == 0) return;
  words[used++] = word;
  if (used == kWords) Flush();
}

__attribute__((no_instrument_function)) uint64_t Relative(void* function) {
  return reinterpret_cast<uintptr_t>(function) - reinterpret_cast<uintptr_t>(&__executable_start);
}

}  // namespace

// An entry logs the function's address; an exit, the address with the top
// bit set, so that the walk's call stack can be rebuilt (who called whom).
extern "C" __attribute__((no_instrument_function)) void __cyg_profile_func_enter(void* function,
                                                                                 void*) {
  Log(Relative(function));
}

extern "C" __attribute__((no_instrument_function)) void __cyg_profile_func_exit(void* function,
                                                                                void*) {
  Log(Relative(function) | kExit);
}
