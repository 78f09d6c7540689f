// One engine process under test: started in its own process group with pipes
// on stdin and stdout and stderr appended to a log file. Every read and write
// has a deadline, and the whole group is killed when the object goes away, so
// a hung or runaway engine never outlives its case.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "framework/base/status.h"

namespace crashlab {

using Millis = std::chrono::milliseconds;

class EngineProcess {
 public:
  // Starts `argv` (argv[0] looked up in PATH when it has no '/') with stderr
  // appended to `stderr_path` and `extra_env` ("NAME=value") added to
  // crashlab's environment; CRASHLAB_KILL_AT is passed only through
  // `extra_env`. CRASHLAB_REPLY_PIPE="DEV:INO" names the pipe on the engine's
  // stdout, so that libcrashlab_preload.so counts as replies only what reaches
  // crashlab (docs/trace-format.md). Fails if the program cannot be started.
  [[nodiscard]] static Result<std::unique_ptr<EngineProcess>> Start(
      const std::vector<std::string>& argv, const std::string& stderr_path,
      const std::vector<std::string>& extra_env = {});
  // Kills the process group and reaps the engine.
  ~EngineProcess();
  EngineProcess(const EngineProcess&) = delete;
  EngineProcess& operator=(const EngineProcess&) = delete;

  enum class Io { kOk, kDied, kTimeout, kTooLong };

  // Writes all of `data` to the engine's stdin within `deadline`. kDied when
  // the engine closed its stdin (usually: it exited).
  [[nodiscard]] Io Write(std::string_view data, Millis deadline);
  // Reads one line (without '\n') within `deadline`. kDied at end of output;
  // kTooLong when a line exceeds `max_bytes`.
  [[nodiscard]] Io ReadLine(std::string& line, Millis deadline, std::size_t max_bytes);
  // From now on, keeps every line ReadLine and DrainLines return (lines()).
  void KeepLines() { keep_lines_ = true; }
  // The lines kept since KeepLines(), in order: what crashlab read.
  const std::vector<std::string>& lines() const { return lines_; }
  // Whether a line the engine wrote is waiting, unread, in crashlab's buffer.
  bool HasBufferedLine() const { return buffer_.find('\n') != std::string::npos; }
  // The first whole line read and not yet taken (without its newline), or "".
  std::string BufferedLine() const {
    const std::size_t nl = buffer_.find('\n');
    return nl == std::string::npos ? std::string() : buffer_.substr(0, nl);
  }

  // SIGKILLs the whole process group and reaps the engine; idempotent.
  void KillGroup();
  // Gives the engine up to `grace` to exit by itself (its output has ended),
  // then KillGroup(): its own exit status is kept when it had one.
  void AwaitExitThenKill(Millis grace);
  // Closes the engine's stdin, waits up to `deadline` for it to exit, then
  // kills the group. Returns whether it exited on its own.
  bool FinishGracefully(Millis deadline);
  // After KillGroup(): the complete lines the engine had written and crashlab
  // had not read, in order.
  std::vector<std::string> DrainLines();
  // "exited with status N", "killed by signal N" or "still running".
  std::string ExitDescription() const;
  // Whether the engine was reaped after dying of SIGKILL (its own, at an
  // armed fault point, or crashlab's).
  bool DiedOfSigkill() const;
  // The signal the reaped engine died of; 0 when it exited or still runs.
  int TermSignal() const;

  pid_t pid() const { return pid_; }

 private:
  EngineProcess() = default;
  bool LeaderExited(Millis wait);
  int FillBuffer(Millis deadline);  // 1 read data, 0 end of output, -1 timeout

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  bool reaped_ = false;
  bool group_killed_ = false;
  int wait_status_ = 0;
  std::string buffer_;
  bool keep_lines_ = false;
  std::vector<std::string> lines_;
};

}  // namespace crashlab
