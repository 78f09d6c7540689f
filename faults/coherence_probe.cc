#include "faults/coherence_probe.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace crashlab::faults {
namespace {

constexpr int kPassShift = 40;
constexpr uint64_t kOffsetMask = (uint64_t{1} << kPassShift) - 1;
constexpr uint64_t kPassLimit = (uint64_t{1} << (64 - kPassShift)) - 1;
constexpr std::size_t kAlignment = 4096;  // O_DIRECT buffer, offset and length alignment
constexpr int kMaxReaders = 64;
// How far ahead of the writer the readers touch the mapping: a few read-ahead
// windows, so pages about to be written are cached with their old contents.
constexpr uint64_t kReadAheadBytes = 256 * 1024;

Status ErrnoError(const std::string& what, const std::string& path, int err,
                  const std::string& fix) {
  return Status::Error("coherence probe: " + what + " " + path + ": " + std::strerror(err) + "; " +
                       fix);
}

// Owns everything the probe creates, so every return path removes the file
// and joins the readers.
struct ProbeFiles {
  std::string path;
  int fd = -1;
  void* map = MAP_FAILED;
  uint64_t map_bytes = 0;
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;

  ~ProbeFiles() {
    stop.store(true);
    for (std::thread& t : readers) t.join();
    if (map != MAP_FAILED) munmap(map, map_bytes);
    if (fd >= 0) close(fd);
    if (!path.empty()) unlink(path.c_str());
  }
};

// Touches one byte per page from one block behind the writer's cursor to
// kReadAheadBytes ahead of it, wrapping at the end of the file. It judges
// nothing: it only makes page faults (and the read-ahead they trigger) happen
// next to and under writes in flight, the access the post suspected of
// loading a page's old contents while its write was on the way to disk.
void ReadNearWriter(const uint8_t* map, uint64_t file_bytes, uint64_t page_bytes,
                    uint64_t block_bytes, const std::atomic<uint64_t>& cursor,
                    const std::atomic<bool>& stop, std::atomic<uint64_t>& pages_read) {
  uint64_t touched = 0;
  while (!stop.load(std::memory_order_relaxed)) {
    const uint64_t at = cursor.load(std::memory_order_relaxed);
    uint64_t offset = (at + file_bytes - block_bytes) % file_bytes;
    for (uint64_t n = 0; n < block_bytes + kReadAheadBytes; n += page_bytes) {
      (void)*reinterpret_cast<const volatile uint8_t*>(map + offset);  // volatile: a real load
      offset = (offset + page_bytes) % file_bytes;
      ++touched;
    }
  }
  pages_read.fetch_add(touched, std::memory_order_relaxed);
}

// Writes all of `data` at `offset`; returns 0 or the errno of the failure.
int WriteBlock(int fd, const uint8_t* data, uint64_t bytes, uint64_t offset) {
  uint64_t done = 0;
  while (done < bytes) {
    const ssize_t n = pwrite(fd, data + done, bytes - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return EIO;
    done += static_cast<uint64_t>(n);
  }
  return 0;
}

Status CheckOptions(const CoherenceOptions& o, uint64_t page_bytes) {
  struct stat st;
  if (stat(o.directory.c_str(), &st) != 0) {
    return ErrnoError("cannot use directory", o.directory, errno,
                      "create it or pass --dir with an existing directory");
  }
  if (!S_ISDIR(st.st_mode)) {
    return Status::Error("coherence probe: " + o.directory +
                         " is not a directory; pass --dir with a directory");
  }
  if (o.write_bytes == 0 || o.write_bytes % page_bytes != 0 || o.write_bytes % kAlignment != 0) {
    return Status::Error("coherence probe: write size " + std::to_string(o.write_bytes) +
                         " bytes is not a positive multiple of the page size (" +
                         std::to_string(page_bytes) + " bytes); pass e.g. --write-kib 12");
  }
  if (o.file_bytes < o.write_bytes || o.file_bytes > kOffsetMask) {
    return Status::Error("coherence probe: file size " + std::to_string(o.file_bytes) +
                         " bytes must hold at least one write and stay below 1 TiB");
  }
  if (o.duration.count() <= 0 && o.max_writes == 0) {
    return Status::Error("coherence probe: neither a duration nor a write count was given");
  }
  if (o.readers < 0 || o.readers > kMaxReaders) {
    return Status::Error("coherence probe: " + std::to_string(o.readers) +
                         " reader threads requested; pass 0 to 64");
  }
  return Status::Ok();
}

// Creates the probe file in `dir`, preallocates `file_bytes`, opens it for
// write-through writes (setting `mode`) and maps it read-only into `files`.
Status CreateProbeFile(const std::string& dir, uint64_t file_bytes, ProbeFiles& files,
                       WriteMode& mode) {
  const std::string path = dir + "/.crashlab-coherence-" + std::to_string(getpid()) + ".tmp";
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return ErrnoError("cannot create a file in", dir, errno,
                      "pass --dir with a directory you can write to");
  }
  files.path = path;
  files.fd = fd;
  // Allocated blocks rather than a hole, like the post's SetLength: no write
  // allocates, though on ext4 and xfs the first pass converts unwritten extents.
  if (ftruncate(fd, static_cast<off_t>(file_bytes)) != 0) {
    return ErrnoError("cannot size", path, errno, "check free space or pass a smaller --file-mib");
  }
  if (int err = posix_fallocate(fd, 0, static_cast<off_t>(file_bytes)); err != 0) {
    return ErrnoError("cannot preallocate", path, err,
                      "free some space or pass a smaller --file-mib");
  }
  close(fd);
  files.fd = -1;

  // DURABILITY: not relied on for durability here; O_DSYNC reproduces the
  // journal's write-through mode, so each pwrite returns only once the data
  // is on the device. From then on the mapping must show it: a stale read
  // afterwards is a coherence failure, not a write still in flight.
  mode = WriteMode::kDirectDsync;
  fd = open(path.c_str(), O_RDWR | O_CLOEXEC | O_DIRECT | O_DSYNC);
  if (fd < 0 && errno == EINVAL) {
    mode = WriteMode::kDsync;
    fd = open(path.c_str(), O_RDWR | O_CLOEXEC | O_DSYNC);
  }
  if (fd < 0) return ErrnoError("cannot open for writing", path, errno, "check permissions");
  files.fd = fd;
  // The mapping shares the write descriptor, as in the post's repro.
  void* map = mmap(nullptr, file_bytes, PROT_READ, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) {
    return ErrnoError("cannot map", path, errno, "use a file system that supports mmap");
  }
  files.map = map;
  files.map_bytes = file_bytes;
  return Status::Ok();
}

}  // namespace

std::string_view WriteModeName(WriteMode mode) {
  return mode == WriteMode::kDirectDsync ? "o_direct+o_dsync" : "o_dsync";
}

void FillPattern(uint8_t* data, std::size_t bytes, uint64_t offset, uint64_t pass) {
  const uint64_t tag = (pass + 1) << kPassShift;
  for (std::size_t i = 0; i + 8 <= bytes; i += 8) {
    const uint64_t word = tag | ((offset + i) & kOffsetMask);
    std::memcpy(data + i, &word, 8);
  }
}

bool PageHoldsPass(const uint8_t* page, std::size_t page_bytes, uint64_t offset, uint64_t pass) {
  const uint64_t tag = (pass + 1) << kPassShift;
  for (std::size_t i = 0; i + 8 <= page_bytes; i += 8) {
    uint64_t word;
    std::memcpy(&word, page + i, 8);
    if (word != (tag | ((offset + i) & kOffsetMask))) return false;
  }
  return true;
}

int64_t PassOfWord(uint64_t word, uint64_t offset) {
  if ((word & kOffsetMask) != (offset & kOffsetMask) || (word >> kPassShift) == 0) return -1;
  return static_cast<int64_t>(word >> kPassShift) - 1;
}

std::string FileSystemType(const std::string& path) {
  struct Known {
    uint64_t magic;
    const char* name;
  };
  // statfs(2) magics; ext2 and ext3 share ext4's, and ext4 drives them today.
  static constexpr Known kKnown[] = {
      {0xEF53, "ext4"},      {0x58465342, "xfs"},       {0x9123683E, "btrfs"},
      {0x01021994, "tmpfs"}, {0x794C7630, "overlayfs"}, {0xF2F52010, "f2fs"},
      {0x2FC12FC1, "zfs"},   {0x6969, "nfs"},           {0x65735546, "fuse"},
      {0x858458F6, "ramfs"},
  };
  struct statfs st;
  if (statfs(path.c_str(), &st) != 0) return "unknown";
  const auto type = static_cast<uint64_t>(st.f_type) & 0xffffffffu;
  for (const Known& k : kKnown) {
    if (k.magic == type) return k.name;
  }
  char hex[24];
  std::snprintf(hex, sizeof hex, "0x%llx", static_cast<unsigned long long>(type));
  return hex;
}

std::string KernelName() {
  struct utsname u;
  if (uname(&u) != 0) return "unknown";
  return std::string(u.sysname) + " " + u.release;
}

Result<CoherenceResult> RunCoherenceProbe(const CoherenceOptions& options) {
  const std::string& dir = options.directory;
  const auto page_bytes = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  if (Status s = CheckOptions(options, page_bytes); !s.ok()) return s;

  CoherenceResult result;
  result.kernel = KernelName();
  result.fs_type = FileSystemType(dir);
  const uint64_t block = options.write_bytes;
  const uint64_t file_bytes = options.file_bytes / block * block;
  result.file_bytes = file_bytes;

  ProbeFiles files;
  if (Status s = CreateProbeFile(dir, file_bytes, files, result.mode); !s.ok()) return s;
  const int fd = files.fd;
  const std::string& path = files.path;
  const auto* mapped = static_cast<const uint8_t*>(files.map);

  void* raw = nullptr;
  if (posix_memalign(&raw, kAlignment, block) != 0) {
    return Status::Error("coherence probe: out of memory for the write buffer");
  }
  std::unique_ptr<uint8_t, decltype(&std::free)> buffer(static_cast<uint8_t*>(raw), &std::free);
  auto page = std::make_unique<uint8_t[]>(page_bytes);

  std::atomic<uint64_t> cursor{0};
  std::atomic<uint64_t> reader_pages{0};
  for (int i = 0; i < options.readers; ++i) {
    files.readers.emplace_back(ReadNearWriter, mapped, file_bytes, page_bytes, block,
                               std::cref(cursor), std::cref(files.stop), std::ref(reader_pages));
  }

  const uint64_t blocks = file_bytes / block;
  struct rusage usage_before;
  getrusage(RUSAGE_SELF, &usage_before);
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + options.duration;
  for (uint64_t n = 0;; ++n) {
    if (options.max_writes != 0 && n >= options.max_writes) break;
    if (options.duration.count() > 0 && std::chrono::steady_clock::now() >= deadline) break;
    const uint64_t pass = n / blocks;
    const uint64_t offset = n % blocks * block;
    if (pass >= kPassLimit) break;
    cursor.store(offset, std::memory_order_relaxed);
    FillPattern(buffer.get(), block, offset, pass);
    int err = WriteBlock(fd, buffer.get(), block, offset);
    if (err == EINVAL && n == 0 && result.mode == WriteMode::kDirectDsync) {
      // Some file systems accept O_DIRECT at open and refuse it at the first
      // write; drop it and keep O_DSYNC, as when open refuses it.
      const int flags = fcntl(fd, F_GETFL);
      if (flags >= 0 && fcntl(fd, F_SETFL, flags & ~O_DIRECT) == 0) {
        result.mode = WriteMode::kDsync;
        err = WriteBlock(fd, buffer.get(), block, offset);
      }
    }
    if (err != 0) {
      return ErrnoError("write failed at offset " + std::to_string(offset) + " of", path, err,
                        "check free space and the device");
    }
    ++result.writes;
    result.passes = pass + 1;
    // The post's verify loop: the write has returned, so the mapping must
    // already show every page of it. Each page is copied once and judged on
    // the copy, so what is reported is what was read.
    for (uint64_t p = offset; p < offset + block; p += page_bytes) {
      std::memcpy(page.get(), mapped + p, page_bytes);
      ++result.pages_checked;
      if (PageHoldsPass(page.get(), page_bytes, p, pass)) continue;
      ++result.stale_pages;
      if (result.first_stale.size() < kMaxStaleReported) {
        uint64_t word;
        std::memcpy(&word, page.get(), 8);
        result.first_stale.push_back(
            {p, pass, PassOfWord(word, p), PageHoldsPass(mapped + p, page_bytes, p, pass)});
      }
    }
  }
  result.elapsed_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  files.stop.store(true);
  for (std::thread& t : files.readers) t.join();
  files.readers.clear();
  result.reader_page_reads = reader_pages.load();
  struct rusage usage_after;
  getrusage(RUSAGE_SELF, &usage_after);
  result.major_faults = static_cast<uint64_t>(usage_after.ru_majflt - usage_before.ru_majflt);
  result.minor_faults = static_cast<uint64_t>(usage_after.ru_minflt - usage_before.ru_minflt);
  return result;
}

}  // namespace crashlab::faults
