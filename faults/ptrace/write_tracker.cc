#include "faults/ptrace/write_tracker.h"

#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace crashlab::ptrace {
namespace {

// From Linux 6.7's uapi headers (include/uapi/linux/userfaultfd.h and
// include/uapi/linux/fs.h), which Debian 12's 6.1 headers predate.
constexpr uint64_t kFeatureWpUnpopulated = 1ULL << 13;
constexpr uint64_t kFeatureWpAsync = 1ULL << 15;
constexpr uint64_t kPageIsWritten = 1ULL << 1;
constexpr uint64_t kScanWpMatching = 1ULL << 0;
constexpr uint64_t kScanCheckWpAsync = 1ULL << 1;

struct PageRegion {
  uint64_t start, end, categories;
};

struct PmScanArg {
  uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages, category_inverted,
      category_mask, category_anyof_mask, return_mask;
};

const unsigned long kPagemapScan = _IOWR('f', 16, PmScanArg);

}  // namespace

std::unique_ptr<WriteTracker> WriteTracker::Adopt(pid_t tgid, int uffd) {
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, tgid, 0));
  if (pidfd < 0) return nullptr;
  const int mine = static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd, uffd, 0));
  ::close(pidfd);
  if (mine < 0) return nullptr;
  const std::string path = "/proc/" + std::to_string(tgid) + "/pagemap";
  const int pagemap = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (pagemap < 0) {
    ::close(mine);
    return nullptr;
  }
  return FromDescriptors(mine, pagemap);
}

std::unique_ptr<WriteTracker> WriteTracker::FromDescriptors(int uffd, int pagemap) {
  std::unique_ptr<WriteTracker> tracker(new WriteTracker(uffd, pagemap));
  struct uffdio_api api {};
  api.api = UFFD_API;
  api.features = kFeatureWpAsync | kFeatureWpUnpopulated;
  if (::ioctl(uffd, UFFDIO_API, &api) != 0) return nullptr;  // before 6.7: no async mode
  return tracker;
}

WriteTracker::~WriteTracker() {
  ::close(uffd_);
  ::close(pagemap_);
}

bool WriteTracker::Track(uint64_t addr, uint64_t len) {
  struct uffdio_register reg {};
  reg.range.start = addr;
  reg.range.len = len;
  reg.mode = UFFDIO_REGISTER_MODE_WP;
  if (::ioctl(uffd_, UFFDIO_REGISTER, &reg) != 0) return false;
  struct uffdio_writeprotect wp {};
  wp.range.start = addr;
  wp.range.len = len;
  wp.mode = UFFDIO_WRITEPROTECT_MODE_WP;
  if (::ioctl(uffd_, UFFDIO_WRITEPROTECT, &wp) == 0) return true;
  struct uffdio_range range {};
  range.start = addr;
  range.len = len;
  (void)::ioctl(uffd_, UFFDIO_UNREGISTER, &range);
  return false;
}

std::optional<std::vector<WriteTracker::Range>> WriteTracker::TakeWritten(uint64_t addr,
                                                                          uint64_t len) {
  std::vector<Range> out;
  PageRegion regions[64];
  uint64_t from = addr;
  const uint64_t end = addr + len;
  while (from < end) {
    PmScanArg arg{};
    arg.size = sizeof(arg);
    // Protects what it reports, in the same walk; stops at a page that is
    // not tracked (then the caller compares the range whole).
    arg.flags = kScanWpMatching | kScanCheckWpAsync;
    arg.start = from;
    arg.end = end;
    arg.vec = reinterpret_cast<uint64_t>(regions);
    arg.vec_len = sizeof(regions) / sizeof(regions[0]);
    arg.category_mask = kPageIsWritten;
    arg.return_mask = kPageIsWritten;
    const long n = ::ioctl(pagemap_, kPagemapScan, &arg);
    if (n < 0) return std::nullopt;
    for (long i = 0; i < n; ++i) {
      if (!out.empty() && out.back().addr + out.back().len == regions[i].start) {
        out.back().len += regions[i].end - regions[i].start;
      } else {
        out.push_back(Range{regions[i].start, regions[i].end - regions[i].start});
      }
    }
    if (arg.walk_end <= from) return std::nullopt;  // no progress: do not loop forever
    from = arg.walk_end;
  }
  return out;
}

}  // namespace crashlab::ptrace
