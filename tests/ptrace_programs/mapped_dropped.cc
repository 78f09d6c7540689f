// A store through a MAP_SHARED mapping whose page the program then drops
// from its own page table (madvise MADV_DONTNEED: the page cache keeps the
// stored bytes, but no page table shows the store any more), an fsync, and
// one more store that munmap reveals. Write tracking must still list the
// first store.
// Usage: mapped_dropped DIR
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const int fd = open((std::string(argv[1]) + "/map").c_str(), O_CREAT | O_RDWR, 0644);
  if (fd < 0 || ftruncate(fd, 8192) != 0) return 1;
  void* addr = mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (addr == MAP_FAILED) return 1;
  char* p = static_cast<char*>(addr);
  p[10] = 'A';
  if (madvise(p, 8192, MADV_DONTNEED) != 0) return 1;
  if (fsync(fd) != 0) return 1;
  p[4096] = 'B';
  if (munmap(p, 8192) != 0 || close(fd) != 0) return 1;
  return 0;
}
