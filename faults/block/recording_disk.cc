#include "faults/block/recording_disk.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>

#include "framework/base/run_program.h"

namespace crashlab::faults {
namespace {

constexpr int kReadyTimeoutMs = 20000;

std::string Tail(const std::string& path) {
  std::ifstream in(path);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!all.empty() && all.back() == '\n') all.pop_back();
  return all.size() > 400 ? "..." + all.substr(all.size() - 400) : all;
}

}  // namespace

Result<std::unique_ptr<RecordingDisk>> RecordingDisk::Start(const RecordingDiskSpec& spec) {
  for (const std::string& dir : {spec.daemon_dir, spec.mountpoint}) {
    if (mkdir(dir.c_str(), 0755) != 0) {
      return Status::Error("cannot create " + dir + ": " + std::strerror(errno));
    }
  }
  std::unique_ptr<RecordingDisk> disk(new RecordingDisk());
  disk->spec_ = spec;
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0)
    return Status::Error(std::string("pipe: ") + std::strerror(errno));
  const pid_t pid = fork();
  if (pid < 0) {
    const int err = errno;
    close(ready[0]);
    close(ready[1]);
    return Status::Error(std::string("fork: ") + std::strerror(err));
  }
  if (pid == 0) {
    // In the controller's process group: its sweep of orphans
    // (framework/engine/orphans.h) spares that group alone.
    const int log = open(spec.daemon_log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(ready[1], 1);
    if (log >= 0) dup2(log, 2);
    CloseOnExecFrom3();
    const char* argv[] = {spec.blockdev_path.c_str(),
                          "--base",
                          spec.base_image.c_str(),
                          "--disk",
                          spec.disk_file.c_str(),
                          "--log",
                          spec.log_file.c_str(),
                          spec.daemon_dir.c_str(),
                          nullptr};
    execv(argv[0], const_cast<char* const*>(argv));
    _exit(127);
  }
  close(ready[1]);
  disk->daemon_ = pid;
  pollfd p{ready[0], POLLIN, 0};
  char word[8] = {};
  int polled = 0;
  while ((polled = poll(&p, 1, kReadyTimeoutMs)) < 0 && errno == EINTR) {
  }
  const ssize_t n = polled > 0 ? read(ready[0], word, sizeof word - 1) : -1;
  close(ready[0]);
  if (n < 5 || std::strncmp(word, "ready", 5) != 0) {
    (void)disk->AwaitDaemon(/*killed=*/true);
    return Status::Error("crashlab-blockdev did not mount its disk on " + spec.daemon_dir +
                         (polled == 0 ? " within 20 s" : "") + "; its stderr: '" +
                         Tail(spec.daemon_log) + "'");
  }
  Result<std::unique_ptr<MountedImage>> mounted = MountedImage::Mount(
      spec.fs, spec.daemon_dir + "/disk", spec.mountpoint, MountFor::kRecording);
  if (!mounted.ok()) return mounted.status();  // the destructor ends the daemon
  disk->mounted_ = std::move(*mounted);
  disk->mark_fd_ = open((spec.daemon_dir + "/mark").c_str(), O_WRONLY | O_CLOEXEC);
  if (disk->mark_fd_ < 0) {
    return Status::Error("cannot open " + spec.daemon_dir + "/mark: " + std::strerror(errno));
  }
  return disk;
}

Status RecordingDisk::Mark(const std::string& line) {
  // The daemon's file is opened with direct I/O: this write is a request
  // the daemon serves, and logs, before it returns.
  if (pwrite(mark_fd_, line.data(), line.size(), 0) == static_cast<ssize_t>(line.size())) {
    return Status::Ok();
  }
  return Status::Error("writing a mark to " + spec_.daemon_dir + "/mark: " + std::strerror(errno));
}

Status RecordingDisk::AwaitDaemon(bool killed) {
  if (daemon_ < 0) return Status::Ok();
  if (killed) kill(daemon_, SIGKILL);
  int status = 0;
  bool reaped = false;
  for (int waited = 0;; waited += 10) {
    const pid_t r = waitpid(daemon_, &status, WNOHANG);
    if (r == daemon_) reaped = true;
    if (r == daemon_ || (r < 0 && errno != EINTR)) break;
    if (waited == 10000) kill(daemon_, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  daemon_ = -1;
  if (killed) {
    (void)umount2(spec_.daemon_dir.c_str(), MNT_DETACH);
    return Status::Ok();
  }
  if (reaped && WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::Ok();
  if (!reaped) {
    return Status::Error("crashlab-blockdev could not be waited for (" +
                         std::string(std::strerror(errno)) +
                         "), so its block log may not be whole");
  }
  return Status::Error("crashlab-blockdev ended badly (" +
                       (WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                                          : "signal " + std::to_string(WTERMSIG(status))) +
                       "), so its block log is not whole; its stderr: '" + Tail(spec_.daemon_log) +
                       "'");
}

Status RecordingDisk::Stop() {
  if (mark_fd_ >= 0) close(mark_fd_);
  mark_fd_ = -1;
  if (mounted_) {
    Status s = mounted_->Unmount();
    mounted_.reset();
    if (!s.ok()) return s;
  }
  if (daemon_ < 0) return Status::Ok();
  // The loop device detaches once the file system lets go of it, and only
  // then can the daemon's mount go.
  if (Status s = UnmountPath(spec_.daemon_dir); !s.ok()) {
    (void)AwaitDaemon(/*killed=*/true);
    return s;
  }
  return AwaitDaemon(/*killed=*/false);
}

RecordingDisk::~RecordingDisk() {
  if (mark_fd_ >= 0) close(mark_fd_);
  mounted_.reset();
  if (daemon_ >= 0) (void)AwaitDaemon(/*killed=*/true);
}

}  // namespace crashlab::faults
