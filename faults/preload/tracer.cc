// The trace writer and the tables of libcrashlab_preload.so: configuration
// from the environment at load, thread numbers, file ids, descriptors, paths.
#include "faults/preload/tracer.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <unordered_map>
#include <utility>
#include <vector>

#include "faults/trace_encoding.h"

namespace crashlab::preload {
namespace {

namespace enc = faults::encoding;

// initial-exec TLS: no __tls_get_addr, which may allocate, on first use.
__attribute__((tls_model("initial-exec"))) thread_local bool inside = false;
__attribute__((tls_model("initial-exec"))) thread_local uint32_t thread_number = 0;  // 1-based

// Set once by the constructor, before any other thread exists.
int trace_fd = -1;
// Live mode (CRASHLAB_KILL_AT_EVENT=c): the process SIGKILLs its group right
// after event c reaches the trace. UINT64_MAX: never.
uint64_t kill_at_event = UINT64_MAX;
// The protocol pipe (IsReplyPipe), set once by the constructor.
bool have_reply_pipe = false;
dev_t reply_dev = 0;
ino_t reply_ino = 0;
// CRASHLAB_UNTRACED_FILES, split at ':'; set once by the constructor.
std::vector<std::string>* untraced_patterns = nullptr;

struct State {
  std::mutex mu;
  std::string case_dir;      // absolute, no trailing slash
  std::string outside_path;  // CRASHLAB_TRACE + faults::kOutsideSuffix
  uint32_t threads = 0;
  uint64_t next_file = 0;
  std::map<std::pair<dev_t, ino_t>, uint64_t> inodes;
  std::unordered_map<int, FdInfo> fds;
  std::unordered_map<uint64_t, uint64_t> sizes;
  uint64_t emitted = 0;  // events this process appended
  int flushing = 0;      // FlushScopes alive
};

// Never destroyed: hooks may run during and after static destruction.
State& S() {
  static State* s = new State();
  return *s;
}

// Writes all of `iov` with raw syscalls: never traced, never buffered.
void WriteAll(struct iovec* iov, int count) {
  while (count > 0) {
    const long n = syscall(SYS_writev, trace_fd, iov, count);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // the trace is best effort; the engine must run on regardless
    }
    std::size_t left = static_cast<std::size_t>(n);
    while (count > 0 && left >= iov->iov_len) {
      left -= iov->iov_len;
      ++iov;
      --count;
    }
    if (count > 0) {
      iov->iov_base = static_cast<char*>(iov->iov_base) + left;
      iov->iov_len -= left;
    }
  }
}

// "a/./b/../c" -> "a/c", keeping the leading '/'.
std::string Normalize(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t i = 0;
  while (i <= path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    const std::string part = path.substr(i, j - i);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out;
  for (const std::string& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

std::string RealPathOr(const std::string& path) {
  char buf[PATH_MAX];
  return ::realpath(path.c_str(), buf) != nullptr ? std::string(buf) : path;
}

// "DEV:INO" in decimal, as framework/engine/engine_process.cc writes it.
bool ParsePipeIdentity(const char* text, dev_t& dev, ino_t& ino) {
  char* end = nullptr;
  const unsigned long long d = std::strtoull(text, &end, 10);
  if (end == text || *end != ':') return false;
  const char* rest = end + 1;
  const unsigned long long i = std::strtoull(rest, &end, 10);
  if (end == rest || *end != '\0') return false;
  dev = static_cast<dev_t>(d);
  ino = static_cast<ino_t>(i);
  return true;
}

void ReadReplyPipe() {
  const char* pipe = std::getenv("CRASHLAB_REPLY_PIPE");
  if (pipe != nullptr && *pipe != '\0') {
    have_reply_pipe = ParsePipeIdentity(pipe, reply_dev, reply_ino);
    return;
  }
  // Run by hand, without crashlab: the first traced process's stdout is the
  // reply pipe, for it and (through the environment) every process it starts.
  struct stat st;
  if (::fstat(1, &st) == 0) {
    have_reply_pipe = true;
    reply_dev = st.st_dev;
    reply_ino = st.st_ino;
    char text[48];
    std::snprintf(text, sizeof text, "%llu:%llu", static_cast<unsigned long long>(st.st_dev),
                  static_cast<unsigned long long>(st.st_ino));
    ::setenv("CRASHLAB_REPLY_PIPE", text, 0);
  }
}

void ReadUntracedPatterns() {
  const char* list = std::getenv("CRASHLAB_UNTRACED_FILES");
  if (list == nullptr || *list == '\0') return;
  untraced_patterns = new std::vector<std::string>();
  const std::string all = list;
  for (std::size_t i = 0; i <= all.size();) {
    std::size_t j = all.find(':', i);
    if (j == std::string::npos) j = all.size();
    if (j > i) untraced_patterns->push_back(all.substr(i, j - i));
    i = j + 1;
  }
}

__attribute__((constructor)) void Init() {
  Guard guard;
  const int saved = errno;
  const char* trace = std::getenv("CRASHLAB_TRACE");
  const char* dir = std::getenv("CRASHLAB_CASE_DIR");
  if (trace != nullptr && *trace != '\0' && dir != nullptr && *dir == '/') {
    S().case_dir = RealPathOr(Normalize(dir));
    S().outside_path = std::string(trace) + faults::kOutsideSuffix;
    ReadReplyPipe();
    ReadUntracedPatterns();
    const long fd =
        syscall(SYS_openat, AT_FDCWD, trace, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    struct stat st;
    if (fd >= 0 && fstat(static_cast<int>(fd), &st) == 0) {
      trace_fd = static_cast<int>(fd);
      // A fork while another thread appends must not leave the child's copy
      // of the lock held forever.
      pthread_atfork([] { S().mu.lock(); }, [] { S().mu.unlock(); }, [] { S().mu.unlock(); });
      if (st.st_size == 0) {
        // A process exec'd by the engine appends to the same trace.
        const std::string header = [] {
          std::string h(enc::kMagic, sizeof(enc::kMagic));
          unsigned char b[8];
          enc::PutU32(b, enc::kVersion);
          enc::PutU32(b + 4, static_cast<uint32_t>(S().case_dir.size()));
          h.append(reinterpret_cast<char*>(b), 8);
          return h + S().case_dir;
        }();
        struct iovec iov = {const_cast<char*>(header.data()), header.size()};
        WriteAll(&iov, 1);
      }
      if (const char* at = std::getenv("CRASHLAB_KILL_AT_EVENT"); at != nullptr && *at != '\0') {
        char* end = nullptr;
        const unsigned long long c = std::strtoull(at, &end, 10);
        if (end != nullptr && *end == '\0') kill_at_event = c;
      }
    } else {
      const char msg[] = "libcrashlab_preload: cannot open CRASHLAB_TRACE; not tracing\n";
      syscall(SYS_write, 2, msg, sizeof(msg) - 1);
    }
  }
  errno = saved;
}

// A thread that stores into a frozen mapping waits here for the SIGKILL.
void ParkUntilKilled(int) {
  for (;;) pause();
}

// Live mode, called with the Lock held after each event and flush: once event
// c is in the trace (written with a raw syscall, so nothing is buffered) and
// no flush is under way, kill the process. Unless c is a write, its call has
// already taken effect (faults::RecordedBeforeItsCall). Stores through shared
// mappings land in the page cache without any call, so the mappings are made
// read-only first (a thread that stores again parks in ParkUntilKilled) and
// flushed once more: every store that reached the file is in the trace.
// Another thread's write waits for the Lock and never starts; but a call the
// library records after it returns (open, rename, truncate...) that another
// thread completes in this instant is missing from the trace, and the live
// check (framework/case/traced_case.h) reports the directory unexplained.
void KillIfDue() {
  if (S().emitted <= kill_at_event || S().flushing > 0) return;
  struct sigaction park = {};
  park.sa_handler = ParkUntilKilled;
  sigaction(SIGSEGV, &park, nullptr);
  sigaction(SIGBUS, &park, nullptr);
  mappings::Freeze();
  ++S().flushing;
  mappings::Flush();
  // The whole process group, as crashlab's own kills do: a wrapper script
  // that runs the engine without exec dies with it, instead of exiting with
  // status 137 and making the planned kill look like the engine's crash.
  // crashlab starts every engine in a group of its own.
  syscall(SYS_kill, 0, SIGKILL);
  syscall(SYS_kill, syscall(SYS_getpid), SIGKILL);
  for (;;) pause();
}

}  // namespace

FlushScope::FlushScope() { ++S().flushing; }
FlushScope::~FlushScope() {
  if (--S().flushing == 0) KillIfDue();
}

Guard::Guard() : first_(!inside) { inside = true; }
Guard::~Guard() {
  if (first_) inside = false;
}

bool Active() { return trace_fd >= 0; }

std::unique_lock<std::mutex> Lock() { return std::unique_lock<std::mutex>(S().mu); }

void* RealSymbol(const char* name) {
  Guard guard;
  return dlsym(RTLD_NEXT, name);
}

void Emit(const Rec& rec) {
  if (thread_number == 0) thread_number = ++S().threads;
  const std::string_view strings[enc::kStringFields] = {rec.path, rec.path2, rec.data, rec.name};
  uint64_t strings_size = 0;
  for (const std::string_view& s : strings) strings_size += s.size();
  enc::BodyFixed f;
  f.kind = static_cast<uint8_t>(rec.kind);
  f.thread = thread_number - 1;
  f.file = rec.file;
  f.flags = rec.flags;
  f.offset = rec.offset;
  f.length = rec.length;
  unsigned char prefix[4 + enc::kBodyFixedSize];
  enc::PutRecordPrefix(prefix, f, strings_size);
  unsigned char lens[enc::kStringFields][4];
  struct iovec iov[1 + 2 * enc::kStringFields];
  iov[0] = {prefix, sizeof(prefix)};
  for (int i = 0; i < enc::kStringFields; ++i) {
    enc::PutU32(lens[i], static_cast<uint32_t>(strings[i].size()));
    iov[1 + 2 * i] = {lens[i], 4};
    iov[2 + 2 * i] = {const_cast<char*>(strings[i].data()), strings[i].size()};
  }
  WriteAll(iov, 1 + 2 * enc::kStringFields);
  ++S().emitted;
  KillIfDue();
}

void Record(const Rec& rec) {
  // One scope over the flush and the event: a live kill due on one of the
  // flushed pages must wait for this event, whose call (an open, a rename...)
  // has already taken effect.
  FlushScope scope;
  mappings::Flush();
  Emit(rec);
}

FdInfo* Traced(int fd) {
  auto it = S().fds.find(fd);
  return it == S().fds.end() ? nullptr : &it->second;
}
void TrackFd(int fd, FdInfo info) { S().fds[fd] = std::move(info); }
void ForgetFd(int fd) { S().fds.erase(fd); }

uint64_t FileId(const struct stat& st) {
  auto [it, added] = S().inodes.try_emplace({st.st_dev, st.st_ino}, S().next_file);
  if (added) ++S().next_file;
  return it->second;
}
void ForgetInode(const struct stat& st) { S().inodes.erase({st.st_dev, st.st_ino}); }

std::string FdPath(int fd) {
  char link[64], buf[PATH_MAX];
  std::snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  const ssize_t n = ::readlink(link, buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

std::string Resolve(int dirfd, const char* path) {
  std::string joined = path;
  if (joined.empty() || joined[0] != '/') {
    std::string base;
    if (dirfd == AT_FDCWD) {
      char buf[PATH_MAX];
      if (::getcwd(buf, sizeof(buf)) != nullptr) base = buf;
    } else {
      base = FdPath(dirfd);
    }
    joined = base + "/" + joined;
  }
  const std::string norm = Normalize(joined);
  const std::size_t slash = norm.rfind('/');
  if (slash == 0) return norm;
  const std::string parent = RealPathOr(norm.substr(0, slash));
  return parent + norm.substr(slash);
}

bool UnderCaseDir(const std::string& abs, std::string& rel) {
  // Called without the Lock. The case directory may not exist at load;
  // its symlinks are resolved once it does, under a lock of its own.
  static std::mutex dir_mu;
  static bool resolved = false;
  std::string dir;
  {
    std::lock_guard<std::mutex> lock(dir_mu);
    if (!resolved) {
      char buf[PATH_MAX];
      if (::realpath(S().case_dir.c_str(), buf) != nullptr) {
        S().case_dir = buf;
        resolved = true;
      }
    }
    dir = S().case_dir;
  }
  if (abs == dir) {
    rel = ".";
    return true;
  }
  if (abs.size() > dir.size() && abs.compare(0, dir.size(), dir) == 0 &&
      (dir == "/" || abs[dir.size()] == '/')) {
    rel = abs.substr(dir == "/" ? 1 : dir.size() + 1);
    return true;
  }
  rel = abs;  // outside: recorded absolute (a rename or link across the boundary)
  return false;
}

void NoteWriteOutside(const std::string& abs) {
  for (const char* system : {"/dev/", "/proc/", "/sys/"}) {
    if (abs.rfind(system, 0) == 0) return;
  }
  auto lock = Lock();
  static int noted = 0;
  if (noted >= 16) return;  // the first few name the problem well enough
  ++noted;
  const long fd = syscall(SYS_openat, AT_FDCWD, S().outside_path.c_str(),
                          O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  const std::string line = abs + "\n";
  (void)syscall(SYS_write, fd, line.data(), line.size());
  syscall(SYS_close, fd);
}

bool IsReplyPipe(int fd) {
  struct stat st;
  return have_reply_pipe && ::fstat(fd, &st) == 0 && st.st_dev == reply_dev &&
         st.st_ino == reply_ino;
}

bool Untraced(const std::string& rel) {
  if (untraced_patterns == nullptr) return false;
  for (const std::string& pattern : *untraced_patterns) {
    if (::fnmatch(pattern.c_str(), rel.c_str(), FNM_PATHNAME) == 0) return true;
  }
  return false;
}

void SetSize(uint64_t file, uint64_t size) { S().sizes[file] = size; }
void GrowSize(uint64_t file, uint64_t end) {
  uint64_t& s = S().sizes[file];
  if (end > s) s = end;
}
uint64_t Size(uint64_t file) {
  auto it = S().sizes.find(file);
  return it == S().sizes.end() ? 0 : it->second;
}

}  // namespace crashlab::preload
