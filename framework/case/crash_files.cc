#include "framework/case/crash_files.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "faults/crash_state.h"
#include "faults/fast_digest.h"
#include "faults/trace_encoding.h"
#include "framework/protocol/protocol.h"

namespace crashlab {
namespace {

void PutLength(std::string& out, uint64_t n) {
  unsigned char bytes[8];
  faults::encoding::PutU64(bytes, n);
  out.append(reinterpret_cast<const char*>(bytes), sizeof bytes);
}

void PutString(std::string& out, const std::string& s) {
  PutLength(out, s.size());
  out += s;
}

// Reads a blob front to back; every read checks what is left, so a damaged
// length can neither read past the end nor make a huge allocation.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  std::optional<uint64_t> Length() {
    if (bytes_.size() - at_ < 8) return std::nullopt;
    const uint64_t n =
        faults::encoding::GetU64(reinterpret_cast<const unsigned char*>(bytes_.data() + at_));
    at_ += 8;
    return n;
  }
  std::optional<std::string> String() {
    const std::optional<uint64_t> n = Length();
    if (!n || *n > bytes_.size() - at_) return std::nullopt;
    std::string s(bytes_.substr(at_, *n));
    at_ += *n;
    return s;
  }
  // Reads `expected` or, when the bytes differ, nothing.
  bool Skip(std::string_view expected) {
    if (bytes_.substr(at_, expected.size()) != expected) return false;
    at_ += expected.size();
    return true;
  }
  // Copies the next `n` bytes, which the caller checked are left, to `out`.
  void CopyTo(char* out, std::size_t n) {
    std::memcpy(out, bytes_.data() + at_, n);
    at_ += n;
  }
  std::size_t left() const { return bytes_.size() - at_; }
  std::size_t at() const { return at_; }
  bool done() const { return at_ == bytes_.size(); }

 private:
  std::string_view bytes_;
  std::size_t at_ = 0;
};

// `path` printable in an error message (names may hold any byte but '/').
std::string Shown(const std::string& path) { return "'" + protocol::Readable(path, 200) + "'"; }

// Why `path` cannot name an entry under a directory, or nullopt if it can.
std::optional<std::string> BadPath(const std::string& path) {
  if (path.empty()) return "an empty path";
  if (path.find('\0') != std::string::npos) return "the path " + Shown(path) + " holds a NUL byte";
  if (path.front() == '/') return "the path " + Shown(path) + " is absolute";
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = path.find('/', start);
    const std::string_view part = std::string_view(path).substr(
        start, slash == std::string::npos ? path.npos : slash - start);
    if (part.empty() || part == "." || part == "..") {
      return "the path " + Shown(path) + " has an empty, '.' or '..' part";
    }
    if (slash == std::string::npos) return std::nullopt;
    start = slash + 1;
  }
}

// The directory holding `path`, "" at the top.
std::string Parent(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

// A range of a file's bytes, [offset, offset + length).
struct Run {
  std::size_t offset = 0, length = 0;
};

// The maximal runs of `content`'s 4 KiB blocks (counted from its start, the
// last maybe short) that are not all zeros.
std::vector<Run> RunsOf(std::string_view content) {
  constexpr std::size_t kBlock = 4096;
  std::vector<Run> runs;
  for (std::size_t at = 0; at < content.size(); at += kBlock) {
    const std::size_t n = std::min(kBlock, content.size() - at);
    const char* p = content.data() + at;
    if (p[0] == '\0' && std::memcmp(p, p + 1, n - 1) == 0) continue;
    if (!runs.empty() && runs.back().offset + runs.back().length == at) {
      runs.back().length += n;
    } else {
      runs.push_back({at, n});
    }
  }
  return runs;
}

// Appends file `path` with `content` to a packed blob; returns the bytes
// its runs hold.
std::size_t PackFile(std::string& out, const std::string& path, std::string_view content) {
  PutString(out, path);
  PutLength(out, content.size());
  const std::vector<Run> runs = RunsOf(content);
  PutLength(out, runs.size());
  std::size_t bytes = 0;
  for (const Run& run : runs) {
    PutLength(out, run.offset);
    PutLength(out, run.length);
    out.append(content.substr(run.offset, run.length));
    bytes += run.length;
  }
  return bytes;
}

// The byte ranges [first, second) of a file that hold data.
using Ranges = std::vector<std::pair<off_t, off_t>>;

// Opens the regular file at `path` for reading, with readahead off: a
// read's readahead would fill the hole after it with zero pages, which
// SEEK_DATA then counts as data and the kernel has to build.
Result<int> OpenWithoutReadahead(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Error("cannot open " + path + ": " + std::strerror(errno));
  (void)posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
  return fd;
}

// Where the first `size` bytes of the file open as `fd` hold data. What
// SEEK_DATA and SEEK_HOLE call a hole reads as zeros by definition, and
// pagejournal's preallocated 4 MiB journal is one past its records.
Ranges DataRanges(int fd, std::size_t size) {
  Ranges ranges;
  const off_t end = static_cast<off_t>(size);
  for (off_t pos = 0; pos < end;) {
    off_t at = lseek(fd, pos, SEEK_DATA);
    if (at < 0 && errno == ENXIO) break;  // a hole up to the end
    if (at < 0) at = pos;                 // no answer: all data
    if (at >= end) break;
    off_t hole = lseek(fd, at, SEEK_HOLE);
    if (hole < 0 || hole > end) hole = end;
    ranges.emplace_back(at, hole);
    pos = hole;
  }
  return ranges;
}

// Calls `use` with the `size` bytes of the regular file at `path`, of
// which only `ranges` are read, into anonymous memory whose other pages
// stay the kernel's shared zero page. Reading the holes too (read(2), or a
// mapping of the file) had the kernel build a zeroed page cache page per
// 4 KiB: 3 ms of a 20 ms case.
Status WithContent(const std::string& path, std::size_t size, const Ranges& ranges,
                   const std::function<void(std::string_view)>& use) {
  Result<int> opened = OpenWithoutReadahead(path);
  if (!opened.ok()) return opened.status();
  const int fd = *opened;
  void* memory = size == 0 ? nullptr
                           : mmap(nullptr, size, PROT_READ | PROT_WRITE,
                                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  auto done = [&](Status s) {
    if (memory != nullptr && memory != MAP_FAILED) munmap(memory, size);
    close(fd);
    return s;
  };
  auto failed = [&](const std::string& what) {
    return done(Status::Error(what + " " + path + ": " + std::strerror(errno)));
  };
  if (memory == MAP_FAILED) return failed("no memory to read");
  char* content = static_cast<char*>(memory);
  for (auto [at, hole] : ranges) {
    while (at < hole) {
      const ssize_t n = pread(fd, content + at, static_cast<std::size_t>(hole - at), at);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return failed("cannot read");
      if (n == 0) break;  // it shrank: told below
      at += n;
    }
    if (at < hole) break;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) return failed("cannot stat");
  if (static_cast<std::size_t>(st.st_size) != size) {
    return done(Status::Error("the size of " + path +
                              " changed while it was read; is a process still writing to it?"));
  }
  use(std::string_view(content, size));
  return done(Status::Ok());
}

}  // namespace

Result<std::optional<PackedCrashState>> PackDirectory(const std::string& dir, std::size_t limit) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path root(dir);
  if (!root.has_filename()) root = root.parent_path();  // "data/" lists as "data"
  // Sorted as faults::DirTree sorts them: the packed order and the digest's.
  std::set<std::string> dirs;
  std::map<std::string, std::pair<std::string, std::size_t>> files;  // path -> (full path, size)
  std::size_t total = 0;
  if (fs::exists(root, ec)) {
    if (!fs::is_directory(root, ec)) return Status::Error(dir + " is not a directory");
    for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      const fs::file_status status = it->symlink_status(ec);
      if (ec) break;
      std::string rel = it->path().lexically_relative(root).generic_string();
      if (fs::is_directory(status)) {
        dirs.insert(std::move(rel));
        continue;
      }
      if (!fs::is_regular_file(status)) {
        return Status::Error(dir + " holds " + rel +
                             ", neither a regular file nor a directory; crash files keep only "
                             "those");
      }
      const std::size_t size = it->file_size(ec);
      if (ec) break;
      total += size;
      if (total > limit) return std::optional<PackedCrashState>();
      files.emplace(std::move(rel), std::make_pair(it->path().string(), size));
    }
    if (ec) return Status::Error("cannot list " + dir + ": " + ec.message());
  }

  // Where each file's data is, and a request to read it all now
  // (POSIX_FADV_WILLNEED): the disk reads run side by side rather than one
  // file after another. They are most of the cost: pagejournal writes its
  // journal records with O_DIRECT, so the page cache does not hold them.
  std::vector<Ranges> ranges;
  for (const auto& [rel, file] : files) {
    Result<int> fd = OpenWithoutReadahead(file.first);
    if (!fd.ok()) return fd.status();
    ranges.push_back(DataRanges(*fd, file.second));
    for (const auto& [at, hole] : ranges.back()) {
      (void)posix_fadvise(*fd, at, hole - at, POSIX_FADV_WILLNEED);
    }
    close(*fd);
  }

  PackedCrashState state;
  faults::TreeDigest digest;
  state.packed = kCrashFilesMagic;
  PutLength(state.packed, dirs.size());
  for (const std::string& d : dirs) {
    PutString(state.packed, d);
    digest.AddDir(d);
  }
  PutLength(state.packed, files.size());
  std::size_t i = 0;
  for (const auto& [rel, file] : files) {
    Status read = WithContent(file.first, file.second, ranges[i++], [&](std::string_view content) {
      digest.AddFile(rel, faults::ContentDigest(content));
      state.non_zero_bytes += PackFile(state.packed, rel, content);
    });
    if (!read.ok()) return read;
  }
  state.digest = faults::DigestText(digest.value());
  return std::optional<PackedCrashState>(std::move(state));
}

std::size_t NonZeroBytes(const faults::DirTree& tree) {
  std::size_t bytes = 0;
  for (const auto& [path, content] : tree.files) {
    for (const Run& run : RunsOf(content)) bytes += run.length;
  }
  return bytes;
}

std::string PackDirTree(const faults::DirTree& tree) {
  std::string out(kCrashFilesMagic);
  PutLength(out, tree.dirs.size());
  for (const std::string& dir : tree.dirs) PutString(out, dir);
  PutLength(out, tree.files.size());
  for (const auto& [path, content] : tree.files) (void)PackFile(out, path, content);
  return out;
}

Result<faults::DirTree> UnpackDirTree(std::string_view bytes, const std::string& source) {
  Reader in(bytes);
  auto damaged = [&](const std::string& what) {
    return Status::Error(fmt::format(
        "{}: {} at byte {} of {}; the results database is damaged (repro --rerun runs the "
        "workload again)",
        source, what, in.at(), bytes.size()));
  };
  if (!in.Skip(kCrashFilesMagic)) return damaged(fmt::format("no {} header", kCrashFilesMagic));
  faults::DirTree tree;
  // Why `path`, following `last` (null: the first), cannot be an entry of
  // `tree` as read so far; nullopt when it can.
  auto bad_entry = [&](const std::string& path,
                       const std::string* last) -> std::optional<std::string> {
    if (std::optional<std::string> bad = BadPath(path)) return bad;
    if (last != nullptr && path <= *last) {
      return "the path " + Shown(path) + " repeats or comes out of order";
    }
    const std::string parent = Parent(path);
    if (!parent.empty() && tree.dirs.count(parent) == 0) {
      return "the path " + Shown(path) + " comes without its directory";
    }
    return std::nullopt;
  };

  const std::optional<uint64_t> dirs = in.Length();
  if (!dirs) return damaged("a truncated directory count");
  for (uint64_t i = 0; i < *dirs; ++i) {
    std::optional<std::string> path = in.String();
    if (!path) return damaged(fmt::format("directory {} of {} truncated", i, *dirs));
    const std::string* last = tree.dirs.empty() ? nullptr : &*tree.dirs.rbegin();
    if (std::optional<std::string> bad = bad_entry(*path, last)) return damaged(*bad);
    tree.dirs.insert(tree.dirs.end(), std::move(*path));
  }
  const std::optional<uint64_t> files = in.Length();
  if (!files) return damaged("a truncated file count");
  std::size_t total = 0;  // bytes of the files so far
  for (uint64_t i = 0; i < *files; ++i) {
    std::optional<std::string> path = in.String();
    if (!path) return damaged(fmt::format("the name of file {} of {} truncated", i, *files));
    const std::string* last = tree.files.empty() ? nullptr : &tree.files.rbegin()->first;
    if (std::optional<std::string> bad = bad_entry(*path, last)) return damaged(*bad);
    if (tree.dirs.count(*path) != 0) {
      return damaged("the path " + Shown(*path) + " is both a file and a directory");
    }
    const std::optional<uint64_t> size = in.Length();
    const std::optional<uint64_t> runs = size ? in.Length() : std::nullopt;
    if (!runs) return damaged("the size of " + Shown(*path) + " truncated");
    // Checked before the allocation: a damaged size must not ask for 2^60 bytes.
    if (*size > kCrashFilesReadLimit - total) {
      return damaged(fmt::format("files of more than {} bytes in all, more than crashlab keeps",
                                 kCrashFilesReadLimit));
    }
    total += *size;
    std::string content(*size, '\0');
    uint64_t end = 0;  // of the last run
    for (uint64_t r = 0; r < *runs; ++r) {
      const std::optional<uint64_t> offset = in.Length();
      const std::optional<uint64_t> length = offset ? in.Length() : std::nullopt;
      if (!length || *length > in.left()) {
        return damaged(fmt::format("run {} of {} truncated", r, Shown(*path)));
      }
      if (*offset < end || *length == 0 || *length > *size || *offset > *size - *length) {
        return damaged(
            fmt::format("run {} of {} overlaps another or the file's end", r, Shown(*path)));
      }
      in.CopyTo(content.data() + *offset, *length);
      end = *offset + *length;
    }
    tree.files.emplace_hint(tree.files.end(), std::move(*path), std::move(content));
  }
  if (!in.done()) return damaged("bytes after the last file");
  return tree;
}

}  // namespace crashlab
