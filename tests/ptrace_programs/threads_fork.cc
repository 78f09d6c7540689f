// A thread writes one file; then the process forks a child that writes
// another: the recorder must follow both. Usage: threads_fork DIR
#include <fcntl.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

namespace {

std::string dir;

bool WriteFile(const std::string& name, const std::string& text) {
  const int fd = open((dir + "/" + name).c_str(), O_CREAT | O_WRONLY, 0644);
  if (fd < 0) return false;
  const bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  return fsync(fd) == 0 && close(fd) == 0 && ok;
}

void* Thread(void*) { return WriteFile("thread.txt", "from the thread") ? nullptr : &dir; }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  dir = argv[1];
  pthread_t t;
  void* failed = nullptr;
  if (pthread_create(&t, nullptr, Thread, nullptr) != 0 || pthread_join(t, &failed) != 0) return 1;
  if (failed != nullptr) return 1;
  const pid_t child = fork();
  if (child == 0) _exit(WriteFile("child.txt", "from the child") ? 0 : 1);
  int status = 0;
  if (child < 0 || waitpid(child, &status, 0) != child) return 1;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
