#include "framework/base/run_program.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace crashlab {

Result<ProgramOutput> RunCapturing(const std::vector<std::string>& argv,
                                   const std::string& more_path) {
  if (argv.empty()) return Status::Error("no program to run");
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return Status::Error(std::string("pipe: ") + strerror(errno));
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::string path = getenv("PATH") != nullptr ? getenv("PATH") : "/usr/bin:/bin";
  if (!more_path.empty()) path += ":" + more_path;
  const pid_t pid = fork();
  if (pid < 0) {
    close(out[0]);
    close(out[1]);
    return Status::Error(std::string("fork: ") + strerror(errno));
  }
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    dup2(out[1], STDERR_FILENO);
    setenv("PATH", path.c_str(), 1);
    execvp(args[0], args.data());
    _exit(127);
  }
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
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  while (!result.output.empty() && result.output.back() == '\n') result.output.pop_back();
  return result;
}

}  // namespace crashlab
