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

// What works instead, said by every error of the preload library here.
constexpr std::string_view kOtherWays =
    "`--recorder ptrace` traces it with ptrace instead (docs/recorders.md), and `--crash kill` "
    "(without --live) needs no trace at all, as crashlab kills the real process";

std::string Quoted(const std::string& line) { return "\"" + protocol::Readable(line, 80) + "\""; }

}  // namespace

Status CheckTraceable(const std::vector<std::string>& argv, const std::string& variant) {
  if (argv.empty()) return Status::Ok();
  const std::string program = FindProgram(argv.front());
  if (program.empty() || !IsStaticElf(program)) return Status::Ok();
  return Status::Error(fmt::format(
      "{}: cannot trace {} with libcrashlab_preload.so: it is statically linked (its ELF file "
      "has no PT_INTERP header), so no dynamic loader runs and LD_PRELOAD does nothing; {}",
      variant, program, kOtherWays));
}

Status CheckTracerSawHello(const std::string& trace_path, const std::string& hello_line,
                           const std::vector<std::string>& argv, const std::string& variant,
                           RecorderKind recorder) {
  const std::string program = argv.empty() ? "" : argv.front();
  const bool ptrace = recorder == RecorderKind::kPtrace;
  struct stat st;
  if (stat(trace_path.c_str(), &st) != 0) {
    if (ptrace) {
      return Status::Error(fmt::format(
          "{}: cannot trace {}: it answered hello, but crashlab-ptrace wrote no trace at {} "
          "(the engine's stderr says why)",
          variant, program, trace_path));
    }
    return Status::Error(fmt::format(
        "{}: cannot trace {}: it answered hello, but no process of it loaded "
        "libcrashlab_preload.so (no trace at {}): it, or a program it runs, is statically "
        "linked, set-user-ID, or started with LD_PRELOAD removed from its environment (or the "
        "library could not create the trace: the engine's stderr says so); {}",
        variant, program, trace_path, kOtherWays));
  }
  Result<faults::Trace> trace = faults::ReadTraceFile(trace_path);
  if (!trace.ok()) return trace.status();
  for (const faults::Event& e : trace->events) {
    if (e.kind == faults::EventKind::kReply && e.name == hello_line) return Status::Ok();
  }
  if (ptrace) {
    return Status::Error(fmt::format(
        "{}: cannot trace {}: the hello reply crashlab read ({}) is not in crashlab-ptrace's "
        "trace, so the process that wrote it is not traced: was it started outside the engine's "
        "process tree, or does it write to crashlab's pipe through io_uring or splice?",
        variant, program, Quoted(hello_line)));
  }
  return Status::Error(fmt::format(
      "{}: cannot trace {}: libcrashlab_preload.so is loaded, but the hello reply crashlab read "
      "({}) is not in the trace, so the process that wrote it is not traced: a statically "
      "linked program that a wrapper script execs, a runtime that makes raw system calls (Go), "
      "or stdio output never passed to fflush (a line-buffered stdout); {}",
      variant, program, Quoted(hello_line), kOtherWays));
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
