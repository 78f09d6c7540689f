// Write tracking against the kernel itself: this process's own userfaultfd
// and pagemap stand in for a tracee's, over a file on disk and one on tmpfs.
#include "faults/ptrace/write_tracker.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace crashlab::ptrace {
namespace {

constexpr std::size_t kTrackedPage = 4096;
constexpr std::size_t kTrackedPages = 256;

// A file of kTrackedPages pages in `dir`, mapped shared and writable.
struct TrackedFile {
  std::string path;
  int fd = -1;
  char* map = nullptr;

  explicit TrackedFile(const std::string& dir) {
    std::string name = dir + "/crashlab-write-tracker-XXXXXX";
    fd = ::mkstemp(name.data());
    path = name;
    EXPECT_EQ(::ftruncate(fd, kTrackedPages * kTrackedPage), 0);
    map = static_cast<char*>(
        ::mmap(nullptr, kTrackedPages * kTrackedPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    EXPECT_NE(map, MAP_FAILED);
  }
  ~TrackedFile() {
    ::munmap(map, kTrackedPages * kTrackedPage);
    ::close(fd);
    ::unlink(path.c_str());
  }
  uint64_t At(std::size_t page) const {
    return reinterpret_cast<uint64_t>(map) + page * kTrackedPage;
  }
};

// A tracker over this process, or nullptr where the kernel has no
// asynchronous write protection (before Linux 6.7).
std::unique_ptr<WriteTracker> TrackSelf() {
  const int uffd = static_cast<int>(::syscall(SYS_userfaultfd, O_CLOEXEC | 1 /* user mode only */));
  if (uffd < 0) return nullptr;
  const int pagemap = ::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (pagemap < 0) {
    ::close(uffd);
    return nullptr;
  }
  return WriteTracker::FromDescriptors(uffd, pagemap);
}

void ListsExactlyThePagesStoredTo(const std::string& dir) {
  std::unique_ptr<WriteTracker> tracker = TrackSelf();
  if (!tracker) GTEST_SKIP() << "no userfaultfd write protection in asynchronous mode here";
  TrackedFile f(dir);
  std::memset(f.map, 1, 8 * kTrackedPage);  // some pages present before tracking, most not
  ASSERT_TRUE(tracker->Track(f.At(0), kTrackedPages * kTrackedPage));
  const auto none = tracker->TakeWritten(f.At(0), kTrackedPages * kTrackedPage);
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());

  f.map[3 * kTrackedPage + 5] = 7;       // present before tracking
  f.map[100 * kTrackedPage] = 7;         // never touched before: still listed
  f.map[101 * kTrackedPage + 4095] = 7;  // next to it: one range
  const auto written = tracker->TakeWritten(f.At(0), kTrackedPages * kTrackedPage);
  ASSERT_TRUE(written.has_value());
  ASSERT_EQ(written->size(), 2u);
  EXPECT_EQ((*written)[0].addr, f.At(3));
  EXPECT_EQ((*written)[0].len, kTrackedPage);
  EXPECT_EQ((*written)[1].addr, f.At(100));
  EXPECT_EQ((*written)[1].len, 2 * kTrackedPage);

  // Listed once, then protected again: only a new store lists a page again.
  const auto again = tracker->TakeWritten(f.At(0), kTrackedPages * kTrackedPage);
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->empty());
  f.map[100 * kTrackedPage + 1] = 8;
  const auto once_more = tracker->TakeWritten(f.At(0), kTrackedPages * kTrackedPage);
  ASSERT_TRUE(once_more.has_value());
  ASSERT_EQ(once_more->size(), 1u);
  EXPECT_EQ((*once_more)[0].addr, f.At(100));

  // A write(2) into the file does not go through the mapping: not listed.
  ASSERT_EQ(::pwrite(f.fd, "x", 1, 50 * kTrackedPage), 1);
  const auto after_pwrite = tracker->TakeWritten(f.At(0), kTrackedPages * kTrackedPage);
  ASSERT_TRUE(after_pwrite.has_value());
  EXPECT_TRUE(after_pwrite->empty());
}

TEST(WriteTracker, ListsExactlyThePagesStoredToOnDisk) {
  const char* tmp = std::getenv("TMPDIR");
  ListsExactlyThePagesStoredTo(tmp != nullptr && *tmp != '\0' ? tmp : "/var/tmp");
}

TEST(WriteTracker, ListsExactlyThePagesStoredToOnTmpfs) {
  ListsExactlyThePagesStoredTo("/dev/shm");
}

TEST(WriteTracker, AnUntrackedRangeIsNoListOfPages) {
  // A range the tracker was never asked about: the scan refuses it, so the
  // caller compares it whole rather than trusting an empty list.
  std::unique_ptr<WriteTracker> tracker = TrackSelf();
  if (!tracker) GTEST_SKIP() << "no userfaultfd write protection in asynchronous mode here";
  TrackedFile f("/dev/shm");
  f.map[0] = 1;
  EXPECT_FALSE(tracker->TakeWritten(f.At(0), kTrackedPages * kTrackedPage).has_value());
}

}  // namespace
}  // namespace crashlab::ptrace
