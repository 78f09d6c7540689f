// Stores through a MAP_SHARED mapping: one store made durable with
// msync(MS_SYNC), a pwrite into the mapped range (no store: it must not come
// back as a map-write), another store left for munmap to reveal.
//
// With "drop": a store whose page the program then drops from its own page
// table (madvise MADV_DONTNEED: the page cache keeps the stored bytes, but no
// page table shows the store any more), an fsync, and one more store that
// munmap reveals. Write tracking must still list the first store.
// Usage: mapped_store DIR [drop]
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace {

int StoreSyncAndWrite(char* p, int fd) {
  std::memcpy(p + 100, "stored", 6);
  if (msync(p, 8192, MS_SYNC) != 0) return 1;
  if (pwrite(fd, "PW", 2, 200) != 2) return 1;
  p[4096 + 5] = 'Z';
  return 0;
}

int StoreDropAndSync(char* p, int fd) {
  p[10] = 'A';
  if (madvise(p, 8192, MADV_DONTNEED) != 0) return 1;
  if (fsync(fd) != 0) return 1;
  p[4096] = 'B';
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && !(argc == 3 && std::string(argv[2]) == "drop")) return 2;
  const int fd = open((std::string(argv[1]) + "/map").c_str(), O_CREAT | O_RDWR, 0644);
  if (fd < 0 || ftruncate(fd, 8192) != 0) return 1;
  void* addr = mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (addr == MAP_FAILED) return 1;
  char* p = static_cast<char*>(addr);
  if ((argc == 3 ? StoreDropAndSync(p, fd) : StoreSyncAndWrite(p, fd)) != 0) return 1;
  if (munmap(p, 8192) != 0 || close(fd) != 0) return 1;
  return 0;
}
