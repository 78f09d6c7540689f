#include "faults/crash_state.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

#include "faults/fast_digest.h"

namespace crashlab::faults {
namespace {

namespace fs = std::filesystem;

// Whole, in blocks: a character-by-character stream read cost most of a
// block-level exploration (megabytes of database files per state).
Result<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error("cannot read " + path.string() + ": check its permissions");
  std::string content;
  char block[1 << 16];
  while (in.read(block, sizeof block) || in.gcount() > 0) {
    content.append(block, static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) return Status::Error("error reading " + path.string());
  return content;
}

bool AllZero(const char* p, std::size_t n) {
  return n == 0 || (p[0] == '\0' && std::memcmp(p, p + 1, n - 1) == 0);
}

// Writes `content` to a new file, leaving 4 KiB blocks of zeros as holes:
// they read back as zeros, and a crash state of preallocated journals is
// mostly zeros that tmpfs then neither allocates nor copies.
Status WriteFile(const fs::path& path, const std::string& content) {
  auto failed = [&](const char* what) {
    return Status::Error(std::string("cannot ") + what + " " + path.string() + ": " +
                         std::strerror(errno) + "; check space and permissions");
  };
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return failed("create");
  constexpr std::size_t kBlock = 4096;
  std::size_t at = 0;
  while (at < content.size()) {
    const std::size_t n = std::min(kBlock, content.size() - at);
    if (AllZero(content.data() + at, n)) {
      at += n;
      continue;
    }
    // One write for the run of non-zero blocks that starts here.
    std::size_t end = at + n;
    while (end < content.size() &&
           !AllZero(content.data() + end, std::min(kBlock, content.size() - end))) {
      end += std::min(kBlock, content.size() - end);
    }
    for (std::size_t done = at; done < end;) {
      const ssize_t w = pwrite(fd, content.data() + done, end - done, static_cast<off_t>(done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        close(fd);
        return failed("write");
      }
      done += static_cast<std::size_t>(w);
    }
    at = end;
  }
  if (ftruncate(fd, static_cast<off_t>(content.size())) != 0) {
    close(fd);
    return failed("size");
  }
  if (close(fd) != 0) return failed("write");
  return Status::Ok();
}

}  // namespace

Result<DirTree> ReadDirTree(const std::string& dir) {
  DirTree tree;
  std::error_code ec;
  if (dir.empty() || !fs::exists(dir, ec)) return tree;
  if (!fs::is_directory(dir, ec)) {
    return Status::Error("base directory " + dir + " is not a directory");
  }
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    const std::string rel = fs::relative(it->path(), dir, ec).generic_string();
    if (ec) break;
    const fs::file_status status = it->symlink_status(ec);
    if (fs::is_directory(status)) {
      tree.dirs.insert(rel);
    } else if (fs::is_regular_file(status)) {
      // Checked before reading: the whole file, holes included, is read.
      const uintmax_t size = it->file_size(ec);
      if (ec) break;
      if (size > kModelFileSizeLimit) {
        return Status::Error(
            it->path().string() + " is " + std::to_string(size) +
            " bytes, more than the largest file crashlab builds crash states of (" +
            std::to_string(kModelFileSizeLimit) +
            " bytes, docs/persistence-model.md): crash states hold each file whole in memory, "
            "holes included");
      }
      Result<std::string> content = ReadFile(it->path());
      if (!content.ok()) return content.status();
      tree.files[rel] = *std::move(content);
    } else {
      return Status::Error("base directory " + dir + " holds " + rel +
                           ", neither a regular file nor a directory; the crash-state builder "
                           "copies only those");
    }
  }
  if (ec) return Status::Error("cannot list base directory " + dir + ": " + ec.message());
  return tree;
}

Status WriteDirTree(const DirTree& tree, const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::Error("cannot create crash-state directory " + dir + ": " + ec.message());
  if (!fs::is_empty(dir, ec) || ec) {
    return Status::Error("crash-state directory " + dir +
                         " is not empty: give a new directory or remove this one");
  }
  // std::set orders a parent before its children.
  for (const std::string& sub : tree.dirs) {
    fs::create_directories(fs::path(dir) / sub, ec);
    if (ec) return Status::Error("cannot create " + dir + "/" + sub + ": " + ec.message());
  }
  for (const auto& [path, content] : tree.files) {
    if (Status s = WriteFile(fs::path(dir) / path, content); !s.ok()) return s;
  }
  return Status::Ok();
}

Result<CrashReport> DescribePowerLoss(const Trace& trace, const PowerLossPlan& plan,
                                      const std::string& base_dir) {
  Result<DirTree> base = ReadDirTree(base_dir);
  if (!base.ok()) return base.status();
  CrashReport report;
  Result<DirTree> tree = ModelPowerLoss(trace, plan, *base, &report);
  if (!tree.ok()) return tree.status();
  return report;
}

std::string DigestText(uint64_t fast_digest) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fast_digest));
  return std::string(kDigestScheme) + hex;
}

std::string DigestDirTree(const DirTree& tree) { return DigestText(FastDigest(tree)); }

}  // namespace crashlab::faults
