#include "framework/engine/engine_process.h"

#include "framework/engine/interrupt.h"
#include "framework/engine/orphans.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "framework/base/run_program.h"

namespace crashlab {
namespace {

using Clock = std::chrono::steady_clock;

int RemainingMs(Clock::time_point end) {
  const auto left = std::chrono::duration_cast<Millis>(end - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

// In the child after fork: only async-signal-safe calls until exec. If exec
// fails, its errno goes to `exec_error_fd` (close-on-exec, so the parent
// reads end-of-file when exec succeeds).
[[noreturn]] void ExecChild(const std::vector<char*>& argv, const std::vector<char*>& envp,
                            int in_fd, int out_fd, int err_fd, int exec_error_fd, pid_t parent) {
  setpgid(0, 0);
  // A controller that is SIGKILLed cannot kill its engines: the kernel does,
  // when the thread that started this one dies (unless it already has).
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);
  dup2(in_fd, STDIN_FILENO);
  dup2(out_fd, STDOUT_FILENO);
  dup2(err_fd, STDERR_FILENO);
  // No descriptor of the controller's reaches the engine, whoever opened it
  // without O_CLOEXEC (a std::ifstream does): one on a mounted crash image,
  // held by a verifier engine forked from another thread while the state
  // was read, kept the image from unmounting.
  CloseOnExecFrom3();
  // Signals the controller ignores must not stay ignored in the engine.
  signal(SIGPIPE, SIG_DFL);
  // The same addresses on every run: a recovery that follows a damaged
  // pointer then hangs or crashes the same way each time (bbolt under
  // nosync did either, by the luck of ASLR), so a case replays as it ran.
  personality(static_cast<unsigned long>(personality(0xffffffff)) | ADDR_NO_RANDOMIZE);
  execvpe(argv[0], argv.data(), envp.data());
  const int error = errno;
  ssize_t ignored = write(exec_error_fd, &error, sizeof error);
  (void)ignored;
  _exit(127);
}

}  // namespace

Result<std::unique_ptr<EngineProcess>> EngineProcess::Start(
    const std::vector<std::string>& argv, const std::string& stderr_path,
    const std::vector<std::string>& extra_env) {
  if (argv.empty()) return Status::Error("the engine's command line is empty");
  if (InterruptSignal() != 0) return Status::Error("crashlab was interrupted");
  // A write to an engine that died must come back as EPIPE, not kill crashlab;
  // an ignored SIGCHLD would make the kernel reap engines before we can.
  signal(SIGPIPE, SIG_IGN);
  signal(SIGCHLD, SIG_DFL);
  int err_fd = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (err_fd < 0) {
    return Status::Error("cannot create the engine's log " + stderr_path + ": " +
                         std::strerror(errno));
  }
  int to_child[2], from_child[2], exec_error[2];
  if (pipe2(to_child, O_CLOEXEC) != 0) {
    close(err_fd);
    return Status::Error(std::string("pipe: ") + std::strerror(errno));
  }
  if (pipe2(from_child, O_CLOEXEC) != 0) {
    close(err_fd);
    close(to_child[0]);
    close(to_child[1]);
    return Status::Error(std::string("pipe: ") + std::strerror(errno));
  }
  if (pipe2(exec_error, O_CLOEXEC) != 0) {
    for (int fd : {err_fd, to_child[0], to_child[1], from_child[0], from_child[1]}) close(fd);
    return Status::Error(std::string("pipe: ") + std::strerror(errno));
  }
  std::vector<char*> cargv;
  for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  // Built before fork: the child may only make async-signal-safe calls.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "CRASHLAB_KILL_AT=", 17) != 0 &&
        std::strncmp(*e, "CRASHLAB_REPLY_PIPE=", 20) != 0) {
      env_strings.emplace_back(*e);
    }
  }
  env_strings.insert(env_strings.end(), extra_env.begin(), extra_env.end());
  // The identity of the pipe crashlab reads replies from: a tracer in any
  // process of the engine tells a write to it from one to another stdout.
  struct stat reply_pipe;
  if (fstat(from_child[0], &reply_pipe) == 0) {
    env_strings.push_back("CRASHLAB_REPLY_PIPE=" +
                          std::to_string(static_cast<unsigned long long>(reply_pipe.st_dev)) + ":" +
                          std::to_string(static_cast<unsigned long long>(reply_pipe.st_ino)));
  }
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  // Until the child is registered, no orphan sweep may take it for one.
  auto children_lock = LockChildren();
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) ExecChild(cargv, envp, to_child[0], from_child[1], err_fd, exec_error[1], parent);
  const int fork_errno = errno;
  close(to_child[0]);
  close(from_child[1]);
  close(err_fd);
  close(exec_error[1]);
  if (pid < 0) {
    close(to_child[1]);
    close(from_child[0]);
    close(exec_error[0]);
    return Status::Error(std::string("fork: ") + std::strerror(fork_errno));
  }
  // A program that cannot be executed is a setup error, never a verdict.
  int exec_errno = 0;
  ssize_t got;
  while ((got = read(exec_error[0], &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR) {
  }
  close(exec_error[0]);
  if (got == static_cast<ssize_t>(sizeof exec_errno)) {
    close(to_child[1]);
    close(from_child[0]);
    int ignored;
    waitpid(pid, &ignored, 0);
    // execve reports a missing #! interpreter as ENOENT on the script itself.
    if (exec_errno == ENOENT && access(argv[0].c_str(), F_OK) == 0) {
      return Status::Error("cannot execute engine program '" + argv[0] +
                           "': it exists, so the interpreter its #! line names is missing; "
                           "install it or fix that line");
    }
    return Status::Error("cannot execute engine program '" + argv[0] +
                         "': " + std::strerror(exec_errno) +
                         "; check that it is built and that the variants file names it");
  }
  setpgid(pid, pid);  // also in the parent, so the group exists before any kill
  RegisterGroup(pid);
  AddStartedChild(pid);
  children_lock.unlock();
  auto process = std::unique_ptr<EngineProcess>(new EngineProcess());
  process->pid_ = pid;
  process->stdin_fd_ = to_child[1];
  process->stdout_fd_ = from_child[0];
  fcntl(process->stdin_fd_, F_SETFL, O_NONBLOCK);
  fcntl(process->stdout_fd_, F_SETFL, O_NONBLOCK);
  return process;
}

EngineProcess::~EngineProcess() {
  KillGroup();
  CloseFd(stdin_fd_);
  CloseFd(stdout_fd_);
}

EngineProcess::Io EngineProcess::Write(std::string_view data, Millis deadline) {
  const auto end = Clock::now() + deadline;
  while (!data.empty()) {
    if (stdin_fd_ < 0) return Io::kDied;
    const ssize_t n = write(stdin_fd_, data.data(), data.size());
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EPIPE) return Io::kDied;
    if (n < 0 && errno != EAGAIN && errno != EINTR) return Io::kDied;
    pollfd p{stdin_fd_, POLLOUT, 0};
    const int r = poll(&p, 1, RemainingMs(end));
    if (r == 0) return Io::kTimeout;
    if (r > 0 && (p.revents & (POLLERR | POLLHUP))) return Io::kDied;
  }
  return Io::kOk;
}

int EngineProcess::FillBuffer(Millis deadline) {
  const auto end = Clock::now() + deadline;
  char chunk[65536];
  while (true) {
    const ssize_t n = read(stdout_fd_, chunk, sizeof chunk);
    if (n > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(n));
      return 1;
    }
    if (n == 0) return 0;
    if (errno != EAGAIN && errno != EINTR) return 0;
    pollfd p{stdout_fd_, POLLIN, 0};
    const int left = RemainingMs(end);
    if (poll(&p, 1, left) == 0) return -1;
  }
}

EngineProcess::Io EngineProcess::ReadLine(std::string& line, Millis deadline,
                                          std::size_t max_bytes) {
  const auto end = Clock::now() + deadline;
  std::size_t scanned = 0;
  while (true) {
    const std::size_t nl = buffer_.find('\n', scanned);
    if (nl != std::string::npos) {
      if (nl > max_bytes) return Io::kTooLong;
      line.assign(buffer_, 0, nl);
      buffer_.erase(0, nl + 1);
      if (keep_lines_) lines_.push_back(line);
      return Io::kOk;
    }
    if (buffer_.size() > max_bytes) return Io::kTooLong;
    scanned = buffer_.size();
    if (stdout_fd_ < 0) return Io::kDied;
    const int r = FillBuffer(std::chrono::duration_cast<Millis>(end - Clock::now()));
    if (r == 0) return Io::kDied;
    if (r < 0) return Io::kTimeout;
  }
}

bool EngineProcess::LeaderExited(Millis wait) {
  if (reaped_) return true;
  const auto end = Clock::now() + wait;
  while (true) {
    // WNOWAIT leaves the zombie in place, so its pid (and the group's
    // number) cannot be reused before KillGroup() has run.
    siginfo_t info{};
    const int r = waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT);
    if (r == 0 && info.si_pid == pid_) return true;
    if (r < 0 && errno != EINTR) return true;  // not our child: nothing to wait for
    if (Clock::now() >= end) return false;
    usleep(1000);
  }
}

void EngineProcess::KillGroup() {
  // Once only: after the group is gone its number may be reused.
  if (pid_ <= 0 || group_killed_) return;
  group_killed_ = true;
  // The group outlives its leader when the engine forked: kill it even when
  // the leader has exited (it stays a zombie until reaped just below).
  kill(-pid_, SIGKILL);
  UnregisterGroup(pid_);
  while (true) {
    const pid_t r = waitpid(pid_, &wait_status_, 0);
    if (r == pid_ || (r < 0 && errno != EINTR)) break;
  }
  reaped_ = true;
  {
    auto lock = LockChildren();
    ForgetStartedChild(pid_);
  }
  // The rest of the group (processes the engine forked) dies of the same
  // SIGKILL and, as the leader is gone, is reparented to crashlab (the
  // subreaper) to be reaped; so are processes that moved to a session of
  // their own once their parent dies. The group's number stays taken while
  // any member is left, so probing it is safe.
  for (int i = 0; i < 2000 && kill(-pid_, 0) == 0; ++i) {
    KillOrphans();
    kill(-pid_, SIGKILL);
    usleep(500);
  }
  KillOrphans();
}

void EngineProcess::AwaitExitThenKill(Millis grace) {
  (void)LeaderExited(grace);
  KillGroup();
}

bool EngineProcess::FinishGracefully(Millis deadline) {
  CloseFd(stdin_fd_);
  const bool exited = LeaderExited(deadline);
  KillGroup();
  return exited;
}

std::vector<std::string> EngineProcess::DrainLines() {
  std::vector<std::string> lines;
  while (stdout_fd_ >= 0 && FillBuffer(Millis(0)) == 1) {
  }
  std::size_t nl;
  while ((nl = buffer_.find('\n')) != std::string::npos) {
    lines.push_back(buffer_.substr(0, nl));
    buffer_.erase(0, nl + 1);
    if (keep_lines_) lines_.push_back(lines.back());
  }
  return lines;
}

bool EngineProcess::DiedOfSigkill() const {
  return reaped_ && WIFSIGNALED(wait_status_) && WTERMSIG(wait_status_) == SIGKILL;
}

int EngineProcess::TermSignal() const {
  return reaped_ && WIFSIGNALED(wait_status_) ? WTERMSIG(wait_status_) : 0;
}

std::string EngineProcess::ExitDescription() const {
  if (!reaped_) return "still running";
  if (WIFEXITED(wait_status_))
    return "exited with status " + std::to_string(WEXITSTATUS(wait_status_));
  if (WIFSIGNALED(wait_status_)) {
    return "killed by signal " + std::to_string(WTERMSIG(wait_status_)) + " (" +
           strsignal(WTERMSIG(wait_status_)) + ")";
  }
  return "ended with wait status " + std::to_string(wait_status_);
}

}  // namespace crashlab
