#include "framework/engine/program_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

namespace crashlab {
namespace {

uint64_t Le(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

bool ReadAt(int fd, void* buf, std::size_t n, off_t at) {
  return pread(fd, buf, n, at) == static_cast<ssize_t>(n);
}

// An open ELF file's header fields this file needs (System V ABI, "ELF
// Header"): e_ident[EI_CLASS] at 4 (1: 32 bit, 2: 64 bit), e_ident[EI_DATA]
// at 5 (1: little-endian); program headers at e_phoff/e_phentsize/e_phnum
// (28/42/44 for 32 bit, 32/54/56 for 64 bit), section headers at
// e_shoff/e_shentsize/e_shnum/e_shstrndx (32/46/48/50, 40/58/60/62).
struct ElfHeader {
  bool wide = false;
  uint64_t phoff = 0, phentsize = 0, phnum = 0;
  uint64_t shoff = 0, shentsize = 0, shnum = 0, shstrndx = 0;
};

bool ReadElfHeader(int fd, ElfHeader& out) {
  unsigned char h[64] = {};
  if (!ReadAt(fd, h, sizeof h, 0) ||
      std::memcmp(h,
                  "\x7f"
                  "ELF",
                  4) != 0 ||
      h[5] != 1 || (h[4] != 1 && h[4] != 2)) {
    return false;
  }
  out.wide = h[4] == 2;
  out.phoff = out.wide ? Le(h + 32, 8) : Le(h + 28, 4);
  out.phentsize = Le(h + (out.wide ? 54 : 42), 2);
  out.phnum = Le(h + (out.wide ? 56 : 44), 2);
  out.shoff = out.wide ? Le(h + 40, 8) : Le(h + 32, 4);
  out.shentsize = Le(h + (out.wide ? 58 : 46), 2);
  out.shnum = Le(h + (out.wide ? 60 : 48), 2);
  out.shstrndx = Le(h + (out.wide ? 62 : 50), 2);
  return true;
}

// An ELF file opened read-only, closed when it goes.
class ElfFile {
 public:
  explicit ElfFile(const std::string& path) : fd_(open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    ok_ = fd_ >= 0 && ReadElfHeader(fd_, header_);
  }
  ~ElfFile() {
    if (fd_ >= 0) close(fd_);
  }
  ElfFile(const ElfFile&) = delete;
  ElfFile& operator=(const ElfFile&) = delete;
  bool ok() const { return ok_; }
  int fd() const { return fd_; }
  const ElfHeader& header() const { return header_; }

 private:
  int fd_;
  bool ok_ = false;
  ElfHeader header_;
};

}  // namespace

std::string FindProgram(const std::string& program) {
  if (program.find('/') != std::string::npos) return program;
  const char* path = std::getenv("PATH");
  const std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  for (std::size_t i = 0; i <= dirs.size();) {
    std::size_t j = dirs.find(':', i);
    if (j == std::string::npos) j = dirs.size();
    const std::string candidate = (j > i ? dirs.substr(i, j - i) : ".") + "/" + program;
    struct stat st;
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    i = j + 1;
  }
  return "";
}

bool IsStaticElf(const std::string& path) {
  ElfFile elf(path);
  if (!elf.ok()) return false;
  const ElfHeader& h = elf.header();
  constexpr uint32_t kPtInterp = 3;
  if (h.phnum == 0 || h.phentsize < 4) return false;
  for (uint64_t i = 0; i < h.phnum; ++i) {
    unsigned char type[4];
    if (!ReadAt(elf.fd(), type, 4, static_cast<off_t>(h.phoff + i * h.phentsize))) return false;
    if (Le(type, 4) == kPtInterp) return false;
  }
  return true;
}

bool IsGoElf(const std::string& path) {
  ElfFile elf(path);
  if (!elf.ok()) return false;
  const ElfHeader& h = elf.header();
  // Section header: sh_name (4 bytes) at 0; sh_offset at 24 (64 bit, 8
  // bytes) or 16 (32 bit, 4 bytes); sh_size at 32 or 20.
  const std::size_t min_entry = h.wide ? 40 : 24;
  if (h.shnum == 0 || h.shnum > 65535 || h.shentsize < min_entry || h.shstrndx >= h.shnum) {
    return false;
  }
  auto section = [&](uint64_t index, uint64_t& name, uint64_t& offset, uint64_t& size) {
    unsigned char s[64] = {};
    if (!ReadAt(elf.fd(), s, min_entry, static_cast<off_t>(h.shoff + index * h.shentsize))) {
      return false;
    }
    name = Le(s, 4);
    offset = h.wide ? Le(s + 24, 8) : Le(s + 16, 4);
    size = h.wide ? Le(s + 32, 8) : Le(s + 20, 4);
    return true;
  };
  uint64_t unused = 0, strings_at = 0, strings_size = 0;
  if (!section(h.shstrndx, unused, strings_at, strings_size) || strings_size > (1u << 20)) {
    return false;
  }
  std::vector<char> names(strings_size + 1, '\0');
  if (!ReadAt(elf.fd(), names.data(), strings_size, static_cast<off_t>(strings_at))) return false;
  constexpr std::string_view kGoBuildInfo = ".go.buildinfo";
  for (uint64_t i = 0; i < h.shnum; ++i) {
    uint64_t name = 0, offset = 0, size = 0;
    if (!section(i, name, offset, size)) return false;
    if (name < strings_size && std::string_view(names.data() + name) == kGoBuildInfo) return true;
  }
  return false;
}

std::string ScriptInterpreter(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  char buf[256] = {};
  const ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  close(fd);
  if (n < 2 || buf[0] != '#' || buf[1] != '!') return "";
  std::string_view line(buf + 2, static_cast<std::size_t>(n - 2));
  line = line.substr(0, line.find('\n'));
  std::vector<std::string> words;
  for (std::size_t i = 0; i < line.size();) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    std::size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    if (j > i) words.emplace_back(line.substr(i, j - i));
    i = j;
  }
  if (words.empty()) return "";
  // `#!/usr/bin/env python3`: the program env runs is the one that matters.
  if (words.size() >= 2 && words[0].size() >= 4 &&
      words[0].compare(words[0].size() - 4, 4, "/env") == 0 && words[1].front() != '-') {
    return FindProgram(words[1]);
  }
  return FindProgram(words[0]);
}

}  // namespace crashlab
