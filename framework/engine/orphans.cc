#include "framework/engine/orphans.h"

#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <set>
#include <string>
#include <vector>

namespace crashlab {
namespace {

std::mutex children_mu;
std::set<pid_t>& Started() {
  static std::set<pid_t>* started = new std::set<pid_t>();
  return *started;
}

// Every child of this process: /proc/self/task/<tid>/children lists those of
// each thread (an orphan is reparented to one of them).
std::vector<pid_t> Children() {
  std::vector<pid_t> children;
  DIR* tasks = opendir("/proc/self/task");
  if (tasks == nullptr) return children;
  while (const dirent* task = readdir(tasks)) {
    if (task->d_name[0] == '.') continue;
    std::ifstream in(std::string("/proc/self/task/") + task->d_name + "/children");
    for (pid_t pid; in >> pid;) children.push_back(pid);
  }
  closedir(tasks);
  return children;
}

}  // namespace

std::unique_lock<std::mutex> LockChildren() {
  static const bool subreaper = prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;
  (void)subreaper;
  return std::unique_lock<std::mutex>(children_mu);
}

void AddStartedChild(pid_t pid) { Started().insert(pid); }
void ForgetStartedChild(pid_t pid) { Started().erase(pid); }

int KillOrphans() {
  auto lock = LockChildren();
  const pid_t own_group = getpgrp();
  int reaped = 0;
  // Killing an orphan makes its own children orphans in turn: sweep again
  // until a pass finds none (bounded, in case one forks as fast as we kill).
  for (int pass = 0; pass < 100; ++pass) {
    int found = 0;
    for (pid_t pid : Children()) {
      if (Started().count(pid) != 0 || getpgid(pid) == own_group) continue;
      ++found;
      if (getpgid(pid) == pid) kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
      ++reaped;
    }
    if (found == 0) break;
  }
  return reaped;
}

}  // namespace crashlab
