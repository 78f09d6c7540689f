// The binary trace file (docs/trace-format.md): a header naming the case
// directory, then one length-prefixed record per Event, in trace order.
// libcrashlab_preload.so writes it through trace_encoding.h; the functions
// here read it, and write it for tests and tools.
#pragma once

#include <string>

#include "faults/trace.h"
#include "framework/base/status.h"

namespace crashlab::faults {

// Reads the trace at `path`. Events get seq = their position. A torn last
// record (the engine was killed while appending it) is dropped, not an error;
// records of unknown kinds are skipped. Errors (file missing or unreadable,
// bad magic, a version newer than this build reads, a malformed record before
// the end) name the file and what to do.
[[nodiscard]] Result<Trace> ReadTraceFile(const std::string& path);

// Parses `bytes` as a trace file; `path` is only used in error messages.
[[nodiscard]] Result<Trace> ParseTrace(const std::string& bytes, const std::string& path);

// The header bytes of a trace of `case_dir`, at the current version.
std::string EncodeTraceHeader(const std::string& case_dir);

// The record bytes of `event` (its seq is implied by its position).
std::string EncodeEvent(const Event& event);

// Writes the whole `trace` to `path`, replacing it. Fails naming the path.
[[nodiscard]] Status WriteTraceFile(const std::string& path, const Trace& trace);

// The name of `kind` as `crashlab trace dump` prints it ("write", "map-write"),
// or "unknown".
const char* EventKindName(EventKind kind);

// OpenFlag bits in words: "created|O_DSYNC|O_DIRECT", or "-" when none.
std::string OpenFlagsText(uint32_t flags);

}  // namespace crashlab::faults
