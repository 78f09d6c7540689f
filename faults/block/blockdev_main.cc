// crashlab-blockdev: the disk of the block-level recorder (docs/recorders.md).
// A FUSE file system of two files: `disk`, the image a loop device serves to
// the file system under test, and `mark`, where the controller writes a line
// after each protocol reply it reads. Every write, discard and flush the loop
// driver sends to `disk`, and every mark, goes to the block log
// (block_log.h), in the order this daemon served them: one request at a
// time, so a record's position is its completion order.
//
//   crashlab-blockdev --base IMAGE --disk FILE --log FILE MOUNTPOINT
//
// The disk starts as a copy of --base (the file system mkfs made), whose
// blocks that are not all zeros open the log. "ready" on stdout says the
// mount is up; unmounting MOUNTPOINT ends the daemon, which then writes the
// rest of the log and exits 0.
#define FUSE_USE_VERSION 35
#include <fcntl.h>
#include <fuse.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "faults/block/block_log.h"

namespace {

using crashlab::faults::BlockLogWriter;

constexpr uint32_t kSector = 4096;
constexpr char kDiskPath[] = "/disk";
constexpr char kMarkPath[] = "/mark";

struct Daemon {
  int disk = -1;
  uint64_t size = 0;
  BlockLogWriter log;
  // Requests of the disk that failed here (its own file full, an I/O
  // error): the file system saw an error no real disk gave it, so the run
  // judges crashlab's disk, not the engine. The first is named at exit.
  int failed = 0;
  std::string first_failure;
};
Daemon daemon_state;

int GetAttr(const char* path, struct stat* st, fuse_file_info*) {
  std::memset(st, 0, sizeof(*st));
  const std::string_view p(path);
  if (p == "/") {
    st->st_mode = S_IFDIR | 0755;
    st->st_nlink = 2;
  } else if (p == kDiskPath) {
    st->st_mode = S_IFREG | 0600;
    st->st_nlink = 1;
    st->st_size = static_cast<off_t>(daemon_state.size);
  } else if (p == kMarkPath) {
    st->st_mode = S_IFREG | 0200;
    st->st_nlink = 1;
  } else {
    return -ENOENT;
  }
  return 0;
}

int ReadDir(const char* path, void* buf, fuse_fill_dir_t fill, off_t, fuse_file_info*,
            fuse_readdir_flags) {
  if (std::string_view(path) != "/") return -ENOTDIR;
  for (const char* name : {".", "..", "disk", "mark"}) {
    fill(buf, name, nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
  }
  return 0;
}

int Open(const char* path, fuse_file_info* fi) {
  const std::string_view p(path);
  if (p != kDiskPath && p != kMarkPath) return -ENOENT;
  // No page cache between the loop driver and this daemon: every write of
  // the file system reaches the log when the disk would see it.
  fi->direct_io = 1;
  return 0;
}

// Returns -err after counting it as the disk's own failure.
int Failed(const char* what, int err) {
  if (daemon_state.failed++ == 0) {
    daemon_state.first_failure = std::string(what) + ": " + std::strerror(err);
  }
  return -err;
}

int Read(const char* path, char* buf, size_t size, off_t offset, fuse_file_info*) {
  if (std::string_view(path) != kDiskPath) return -EINVAL;
  ssize_t n = pread(daemon_state.disk, buf, size, offset);
  return n < 0 ? Failed("a read of the disk file", errno) : static_cast<int>(n);
}

int Write(const char* path, const char* buf, size_t size, off_t offset, fuse_file_info*) {
  const std::string_view p(path);
  if (p == kMarkPath) {
    daemon_state.log.Mark(std::string_view(buf, size));
    return static_cast<int>(size);
  }
  if (p != kDiskPath) return -EINVAL;
  if (static_cast<uint64_t>(offset) + size > daemon_state.size) {
    return Failed("a write past the end of the disk", ENOSPC);
  }
  ssize_t n = pwrite(daemon_state.disk, buf, size, offset);
  if (n < 0) return Failed("a write of the disk file", errno);
  if (static_cast<size_t>(n) < size) return Failed("a short write of the disk file", ENOSPC);
  daemon_state.log.Write(static_cast<uint64_t>(offset),
                         std::string_view(buf, static_cast<std::size_t>(n)));
  return static_cast<int>(n);
}

// DURABILITY: the loop driver turns the file system's cache flush into this
// fsync; it is logged as the flush, and the disk file itself needs none (the
// crash states are built from the log, never from this file).
int Fsync(const char* path, int, fuse_file_info*) {
  if (std::string_view(path) == kDiskPath) daemon_state.log.Flush();
  return 0;
}

// A discard (punched hole) or write-zeroes: the range reads back as zeros.
int Fallocate(const char* path, int mode, off_t offset, off_t length, fuse_file_info*) {
  if (std::string_view(path) != kDiskPath) return -EINVAL;
  if ((mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) == 0) return -EOPNOTSUPP;
  if (fallocate(daemon_state.disk, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length) !=
      0) {
    return Failed("a discard of the disk file", errno);
  }
  daemon_state.log.Zero(static_cast<uint64_t>(offset), static_cast<uint64_t>(length));
  return 0;
}

int Flush(const char*, fuse_file_info*) { return 0; }  // close(): no durability

int Truncate(const char* path, off_t, fuse_file_info*) {
  return std::string_view(path) == kMarkPath ? 0 : -EPERM;
}

void* Init(fuse_conn_info* conn, fuse_config* cfg) {
  conn->max_write = 1 << 20;
  cfg->direct_io = 1;
  cfg->kernel_cache = 0;
  return nullptr;
}

bool AllZero(const char* p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    if (p[i] != 0) return false;
  }
  return true;
}

// Copies the base image's data into the new disk file, sector by sector,
// skipping holes and zero sectors, and logs what it copied as the base.
bool CopyBase(const char* base_path, const char* disk_path) {
  int base = open(base_path, O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (base < 0 || fstat(base, &st) != 0) {
    std::fprintf(stderr, "crashlab-blockdev: cannot read --base %s: %s\n", base_path,
                 std::strerror(errno));
    return false;
  }
  daemon_state.size = static_cast<uint64_t>(st.st_size);
  daemon_state.disk = open(disk_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (daemon_state.disk < 0 || ftruncate(daemon_state.disk, st.st_size) != 0) {
    std::fprintf(stderr, "crashlab-blockdev: cannot create --disk %s: %s\n", disk_path,
                 std::strerror(errno));
    return false;
  }
  std::string chunk(1 << 20, '\0');
  off_t at = 0;
  while (true) {
    off_t data = lseek(base, at, SEEK_DATA);
    if (data < 0) break;  // ENXIO: no data past `at`
    off_t hole = lseek(base, data, SEEK_HOLE);
    if (hole < 0) hole = st.st_size;
    data -= data % kSector;
    for (off_t off = data; off < hole; off += static_cast<off_t>(chunk.size())) {
      const std::size_t want = static_cast<std::size_t>(
          std::min<off_t>(static_cast<off_t>(chunk.size()), st.st_size - off));
      ssize_t n = pread(base, chunk.data(), want, off);
      if (n < 0) {
        std::fprintf(stderr, "crashlab-blockdev: reading --base: %s\n", std::strerror(errno));
        return false;
      }
      for (std::size_t s = 0; s < static_cast<std::size_t>(n); s += kSector) {
        const std::size_t len = std::min<std::size_t>(kSector, static_cast<std::size_t>(n) - s);
        if (AllZero(chunk.data() + s, len)) continue;
        if (pwrite(daemon_state.disk, chunk.data() + s, len, off + static_cast<off_t>(s)) !=
            static_cast<ssize_t>(len)) {
          std::fprintf(stderr, "crashlab-blockdev: writing --disk: %s\n", std::strerror(errno));
          return false;
        }
        daemon_state.log.Write(static_cast<uint64_t>(off) + s,
                               std::string_view(chunk.data() + s, len),
                               /*base=*/true);
      }
      if (static_cast<std::size_t>(n) < want) break;
    }
    at = hole;
    if (at >= st.st_size) break;
  }
  close(base);
  return true;
}

int Usage() {
  std::fprintf(stderr, "usage: crashlab-blockdev --base IMAGE --disk FILE --log FILE MOUNTPOINT\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  const char *base = nullptr, *disk = nullptr, *log = nullptr, *mountpoint = nullptr;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a(argv[i]);
    if (i + 1 < argc && a == "--base")
      base = argv[++i];
    else if (i + 1 < argc && a == "--disk")
      disk = argv[++i];
    else if (i + 1 < argc && a == "--log")
      log = argv[++i];
    else if (mountpoint == nullptr && !a.starts_with("--"))
      mountpoint = argv[i];
    else
      return Usage();
  }
  if (!base || !disk || !log || !mountpoint) return Usage();
  struct stat st {};
  if (stat(base, &st) != 0) {
    std::fprintf(stderr, "crashlab-blockdev: cannot read --base %s: %s\n", base,
                 std::strerror(errno));
    return 1;
  }
  if (crashlab::Status s = daemon_state.log.Open(log, static_cast<uint64_t>(st.st_size), kSector);
      !s.ok()) {
    std::fprintf(stderr, "crashlab-blockdev: %s\n", s.message().c_str());
    return 1;
  }
  if (!CopyBase(base, disk)) return 1;

  fuse_operations ops{};
  ops.getattr = GetAttr;
  ops.readdir = ReadDir;
  ops.open = Open;
  ops.read = Read;
  ops.write = Write;
  ops.fsync = Fsync;
  ops.fallocate = Fallocate;
  ops.flush = Flush;
  ops.truncate = Truncate;
  ops.init = Init;
  char arg0[] = "crashlab-blockdev", o[] = "-o",
       opts[] = "fsname=crashlab-blockdev,subtype=crashlab";
  char* fuse_argv[] = {arg0, o, opts, nullptr};
  fuse_args args = FUSE_ARGS_INIT(3, fuse_argv);
  fuse* f = fuse_new(&args, &ops, sizeof(ops), nullptr);
  fuse_opt_free_args(&args);  // fuse_new keeps what it needs of them
  if (f == nullptr) return 1;
  if (fuse_mount(f, mountpoint) != 0) {
    std::fprintf(stderr,
                 "crashlab-blockdev: cannot mount on %s: FUSE needs root (or fusermount3) and "
                 "/dev/fuse\n",
                 mountpoint);
    return 1;
  }
  // No signal ends the daemon but SIGKILL: it is in the controller's process
  // group, and a Ctrl-C meant for crashlab would otherwise cut the disk from
  // under a mounted file system. An unmount ends it.
  for (int sig : {SIGINT, SIGHUP, SIGTERM, SIGQUIT}) std::signal(sig, SIG_IGN);
  std::printf("ready\n");
  std::fflush(stdout);
  const int loop = fuse_loop(f);  // one request at a time: the log's order
  fuse_unmount(f);
  fuse_destroy(f);
  if (crashlab::Status s = daemon_state.log.Finish(); !s.ok()) {
    std::fprintf(stderr, "crashlab-blockdev: %s\n", s.message().c_str());
    return 1;
  }
  close(daemon_state.disk);
  // An unmount ends the connection, and the kernel may report that end as
  // an abort (libfuse then prints "reading device: Software caused
  // connection abort"): the disk was detached first, so the log is whole.
  if (daemon_state.failed > 0) {
    std::fprintf(stderr, "crashlab-blockdev: %d request(s) of the disk failed, the first %s\n",
                 daemon_state.failed, daemon_state.first_failure.c_str());
    return 3;
  }
  return loop == 0 || loop == -ENODEV || loop == -ECONNABORTED ? 0 : 1;
}
