// Linked with -static, so LD_PRELOAD cannot reach it: writes, syncs and
// publishes a file with raw libc calls, then replies "done" on stdout.
// Usage: static_writer DIR
#include <fcntl.h>
#include <unistd.h>

#include <string>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::string dir = argv[1];
  const int fd = open((dir + "/log").c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
  if (fd < 0 || write(fd, "hello", 5) != 5 || pwrite(fd, "XY", 2, 10) != 2) return 1;
  if (fdatasync(fd) != 0 || close(fd) != 0) return 1;
  const int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd < 0 || fsync(dfd) != 0 || close(dfd) != 0) return 1;
  return write(1, "done\n", 5) == 5 ? 0 : 1;
}
