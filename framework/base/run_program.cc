#include "framework/base/run_program.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace crashlab {
namespace {

// `program` itself when it names a path, else the first executable of that
// name in the colon-separated `dirs`; "" when there is none.
std::string Resolve(const std::string& program, const std::string& dirs) {
  if (program.find('/') != std::string::npos) return program;
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const std::size_t colon = std::min(dirs.find(':', start), dirs.size());
    const std::string dir = dirs.substr(start, colon - start);
    const std::string path = (dir.empty() ? "." : dir) + "/" + program;
    if (access(path.c_str(), X_OK) == 0) return path;
    start = colon + 1;
  }
  return "";
}

std::string SearchPath(const std::string& more_path) {
  std::string dirs = getenv("PATH") != nullptr ? getenv("PATH") : "/usr/bin:/bin";
  if (!more_path.empty()) dirs += ":" + more_path;
  return dirs;
}

}  // namespace

void CloseOnExecFrom3() {
  constexpr unsigned kCloseRangeCloexec = 1u << 2;  // CLOSE_RANGE_CLOEXEC, linux/close_range.h
  (void)syscall(SYS_close_range, 3u, ~0u, kCloseRangeCloexec);
}

std::string FindProgramOnPath(const std::string& program, const std::string& more_path) {
  return Resolve(program, SearchPath(more_path));
}

Result<ProgramOutput> RunCapturing(const std::vector<std::string>& argv,
                                   const std::string& more_path) {
  if (argv.empty()) return Status::Error("no program to run");
  const std::string dirs = SearchPath(more_path);
  const std::string program = Resolve(argv[0], dirs);
  if (program.empty()) return ProgramOutput{127, argv[0] + ": not found on " + dirs};
  // Everything the child needs is made before the fork: between fork and
  // exec a threaded process may not allocate.
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const int null_in = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int out[2];
  if (null_in < 0 || pipe2(out, O_CLOEXEC) != 0) {
    const int err = errno;
    if (null_in >= 0) close(null_in);
    return Status::Error(std::string("pipe: ") + strerror(err));
  }
  const pid_t pid = fork();
  if (pid < 0) {
    const int err = errno;
    close(null_in);
    close(out[0]);
    close(out[1]);
    return Status::Error(std::string("fork: ") + strerror(err));
  }
  if (pid == 0) {
    dup2(null_in, STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    dup2(out[1], STDERR_FILENO);
    CloseOnExecFrom3();
    execve(program.c_str(), args.data(), environ);
    _exit(127);
  }
  close(null_in);
  close(out[1]);
  ProgramOutput result;
  char buf[512];
  for (ssize_t n; (n = read(out[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    if (result.output.size() < 4096) result.output.append(buf, static_cast<std::size_t>(n));
  }
  close(out[0]);
  int status = 0;
  pid_t waited;
  while ((waited = waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
  }
  if (waited != pid) {
    return Status::Error(argv[0] + ": could not wait for it (" + strerror(errno) + ")");
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  while (!result.output.empty() && result.output.back() == '\n') result.output.pop_back();
  return result;
}

}  // namespace crashlab
