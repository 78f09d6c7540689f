#include "faults/ptrace/file_view.h"

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace crashlab::ptrace {
namespace {

// Where a SIGBUS from a view's page returns to; nullptr outside a guarded
// access, when a SIGBUS is a real crash of the recorder.
thread_local sigjmp_buf* view_guard = nullptr;

void OnViewSigbus(int sig, siginfo_t*, void*) {
  if (view_guard != nullptr) siglongjmp(*view_guard, 1);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void InstallViewGuard() {
  static const bool installed = [] {
    struct sigaction sa {};
    sa.sa_sigaction = OnViewSigbus;
    // SA_NODEFER: SIGBUS stays unblocked, so leaving the handler by
    // siglongjmp without restoring a mask (sigsetjmp(.., 0): no system call
    // per access) leaves the next fault deliverable.
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    return ::sigaction(SIGBUS, &sa, nullptr) == 0;
  }();
  (void)installed;
}

// Runs `access`; false when it touched a page past the end of the file. Not
// inlined, so that the jump lands in a frame of its own and the caller's
// locals keep their values.
template <typename Access>
[[gnu::noinline]] bool Guarded(const Access& access) {
  sigjmp_buf here;
  if (sigsetjmp(here, 0) != 0) {
    view_guard = nullptr;
    return false;
  }
  view_guard = &here;
  access();
  view_guard = nullptr;
  return true;
}

std::size_t PageBytes() {
  static const std::size_t size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return size;
}

}  // namespace

std::shared_ptr<const FileView> FileView::Open(const std::string& path, uint64_t offset,
                                               uint64_t len) {
  if (len == 0 || offset % PageBytes() != 0) return nullptr;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  void* base =
      ::mmap(nullptr, len, PROT_READ, MAP_SHARED | MAP_NORESERVE, fd, static_cast<off_t>(offset));
  if (base == MAP_FAILED) {
    ::close(fd);
    return nullptr;
  }
  InstallViewGuard();
  return std::shared_ptr<const FileView>(
      new FileView(fd, static_cast<const char*>(base), offset, len));
}

FileView::~FileView() {
  ::munmap(const_cast<char*>(base_), len_);
  ::close(fd_);
}

std::shared_ptr<const FileView> FileView::Remap(uint64_t offset, uint64_t len) const {
  return Open("/proc/self/fd/" + std::to_string(fd_), offset, len);
}

bool FileView::Covers(uint64_t offset, uint64_t len) const {
  return offset >= offset_ && offset + len <= offset_ + len_;
}

std::size_t FileView::Copy(uint64_t offset, char* out, std::size_t len) const {
  const std::size_t page = PageBytes();
  std::size_t done = 0;
  while (done < len) {
    const std::size_t n = std::min(page, len - done);
    const char* from = At(offset + done);
    char* to = out + done;
    if (!Guarded([&] { std::memcpy(to, from, n); })) break;
    done += n;
  }
  return done;
}

FileView::PageState FileView::ComparePage(uint64_t offset, const char* shadow, char* out,
                                          std::size_t n) const {
  const char* from = At(offset);
  bool same = true;
  const bool there = Guarded([&] {
    same = std::memcmp(from, shadow, n) == 0;
    if (!same) std::memcpy(out, from, n);
  });
  if (!there) return PageState::kGone;
  return same ? PageState::kSame : PageState::kChanged;
}

}  // namespace crashlab::ptrace
