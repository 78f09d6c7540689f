#include "framework/case/tracer_checks.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "faults/trace_file.h"
#include "framework/protocol/protocol.h"

namespace crashlab {
namespace {

// What works instead, said by every error here.
constexpr std::string_view kKillWorks =
    "power-loss and live cases need a trace of its I/O; `--crash kill` (without --live) works on "
    "this engine, as crashlab kills the real process and needs no trace";

uint64_t Le(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

bool ReadAt(int fd, void* buf, std::size_t n, off_t at) {
  return pread(fd, buf, n, at) == static_cast<ssize_t>(n);
}

std::string Quoted(const std::string& line) { return "\"" + protocol::Readable(line, 80) + "\""; }

}  // namespace

bool IsStaticElf(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  unsigned char h[64] = {};
  bool is_static = false;
  // ELF header (System V ABI, "ELF Header"): e_ident[EI_CLASS] at 4 (1: 32
  // bit, 2: 64 bit), e_ident[EI_DATA] at 5 (1: little-endian); e_phoff,
  // e_phentsize and e_phnum at 28/42/44 (32 bit) or 32/54/56 (64 bit).
  if (ReadAt(fd, h, sizeof h, 0) &&
      std::memcmp(h,
                  "\x7f"
                  "ELF",
                  4) == 0 &&
      h[5] == 1 && (h[4] == 1 || h[4] == 2)) {
    const bool wide = h[4] == 2;
    const uint64_t phoff = wide ? Le(h + 32, 8) : Le(h + 28, 4);
    const uint64_t phentsize = Le(h + (wide ? 54 : 42), 2);
    const uint64_t phnum = Le(h + (wide ? 56 : 44), 2);
    constexpr uint32_t kPtInterp = 3;
    bool interp = false;
    bool readable = phnum > 0 && phentsize >= 4;
    for (uint64_t i = 0; readable && i < phnum && !interp; ++i) {
      unsigned char type[4];
      readable = ReadAt(fd, type, 4, static_cast<off_t>(phoff + i * phentsize));
      interp = readable && Le(type, 4) == kPtInterp;
    }
    is_static = readable && !interp;
  }
  close(fd);
  return is_static;
}

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

Status CheckTraceable(const std::vector<std::string>& argv, const std::string& variant) {
  if (argv.empty()) return Status::Ok();
  const std::string program = FindProgram(argv.front());
  if (program.empty() || !IsStaticElf(program)) return Status::Ok();
  return Status::Error(fmt::format(
      "{}: cannot trace {}: it is statically linked (its ELF file has no PT_INTERP header), so "
      "no dynamic loader runs and LD_PRELOAD does nothing: libcrashlab_preload.so never sees its "
      "I/O; {}. To trace it, link it dynamically",
      variant, program, kKillWorks));
}

Status CheckTracerSawHello(const std::string& trace_path, const std::string& hello_line,
                           const std::vector<std::string>& argv, const std::string& variant) {
  const std::string program = argv.empty() ? "" : argv.front();
  struct stat st;
  if (stat(trace_path.c_str(), &st) != 0) {
    return Status::Error(fmt::format(
        "{}: cannot trace {}: it answered hello, but no process of it loaded "
        "libcrashlab_preload.so (no trace at {}): it, or a program it runs, is statically "
        "linked, set-user-ID, or started with LD_PRELOAD removed from its environment (or the "
        "library could not create the trace: the engine's stderr says so); {}",
        variant, program, trace_path, kKillWorks));
  }
  Result<faults::Trace> trace = faults::ReadTraceFile(trace_path);
  if (!trace.ok()) return trace.status();
  for (const faults::Event& e : trace->events) {
    if (e.kind == faults::EventKind::kReply && e.name == hello_line) return Status::Ok();
  }
  return Status::Error(fmt::format(
      "{}: cannot trace {}: libcrashlab_preload.so is loaded, but the hello reply crashlab read "
      "({}) is not in the trace, so the process that wrote it is not traced: a statically "
      "linked program that a wrapper script execs, a runtime that makes raw system calls (Go), "
      "or stdio output never passed to fflush (a line-buffered stdout); {}",
      variant, program, Quoted(hello_line), kKillWorks));
}

Status CheckRepliesMatch(const faults::Trace& trace, const std::vector<std::string>& lines_read,
                         bool killed, const std::string& variant) {
  std::vector<const std::string*> traced;
  for (const faults::Event& e : trace.events) {
    if (e.kind == faults::EventKind::kReply) traced.push_back(&e.name);
  }
  std::size_t same = 0;
  while (same < traced.size() && same < lines_read.size() && *traced[same] == lines_read[same]) {
    ++same;
  }
  const bool all_read = same == lines_read.size();
  if (all_read && (traced.size() == same || (killed && traced.size() == same + 1))) {
    return Status::Ok();
  }
  std::string where;
  if (same < traced.size() && same < lines_read.size()) {
    where = fmt::format(" (they differ at reply {}: traced {}, read {})", same + 1,
                        Quoted(*traced[same]), Quoted(lines_read[same]));
  }
  return Status::Error(fmt::format(
      "{}: the trace of its run holds {} protocol replies, but crashlab read {} lines from the "
      "engine{}: acknowledgements taken from this trace would be wrong, so no verdict is "
      "recorded. The tracer counts what any process writes to crashlab's pipe and what the "
      "engine flushes with fflush; a line stdio sends by itself (a line-buffered or full "
      "stdout) is missed (docs/trace-format.md, \"Replies\")",
      variant, traced.size(), lines_read.size(), where));
}

}  // namespace crashlab
