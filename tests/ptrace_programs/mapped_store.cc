// Stores through a MAP_SHARED mapping: one store made durable with
// msync(MS_SYNC), a pwrite into the mapped range (no store: it must not come
// back as a map-write), another store left for munmap to reveal.
// Usage: mapped_store DIR
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const int fd = open((std::string(argv[1]) + "/map").c_str(), O_CREAT | O_RDWR, 0644);
  if (fd < 0 || ftruncate(fd, 8192) != 0) return 1;
  void* addr = mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (addr == MAP_FAILED) return 1;
  char* p = static_cast<char*>(addr);
  std::memcpy(p + 100, "stored", 6);
  if (msync(p, 8192, MS_SYNC) != 0) return 1;
  if (pwrite(fd, "PW", 2, 200) != 2) return 1;
  p[4096 + 5] = 'Z';
  if (munmap(p, 8192) != 0 || close(fd) != 0) return 1;
  return 0;
}
