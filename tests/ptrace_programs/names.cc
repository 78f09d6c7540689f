// O_APPEND writes through a dup2'd descriptor, then mkdir, rename and
// unlink, and a named point written to CRASHLAB_POINT_FD when the recorder
// set it. Usage: names DIR
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::string dir = argv[1];
  if (mkdir((dir + "/d").c_str(), 0755) != 0) return 1;
  const int fd = open((dir + "/d/app").c_str(), O_CREAT | O_WRONLY | O_APPEND, 0644);
  if (fd < 0 || write(fd, "aa", 2) != 2 || write(fd, "bbb", 3) != 3) return 1;
  if (dup2(fd, 50) != 50 || write(50, "c", 1) != 1 || close(fd) != 0) return 1;
  if (write(50, "d", 1) != 1) return 1;
  if (rename((dir + "/d/app").c_str(), (dir + "/d/final").c_str()) != 0) return 1;
  if (const char* point_fd = std::getenv("CRASHLAB_POINT_FD")) {
    const char line[] = "names.rename:after\n";
    if (write(std::atoi(point_fd), line, sizeof(line) - 1) != sizeof(line) - 1) return 1;
  }
  if (unlink((dir + "/d/final").c_str()) != 0 || close(50) != 0) return 1;
  return 0;
}
